//! `mnist` and `cifar10` from the Hugging Face Hub, through its standard local cache.
//!
//! Files are looked up in the hf-hub cache (`$HF_HOME/hub`, default
//! `~/.cache/huggingface/hub`, the layout the Python `huggingface_hub` uses), and downloaded
//! with hf-hub into it when missing, unless `HF_HUB_OFFLINE` is set: then a missing file is an
//! error that names the data set and how to fetch it. The hub serves both data sets as parquet
//! files of PNG-encoded images ([`super::parquet_images`]).

use super::parquet_images::read_parquet_images;
use super::{Dataset, RawImages};
use anyhow::{anyhow, bail, Context, Result};
use hf_hub::api::sync::ApiBuilder;
use hf_hub::{Cache, Repo, RepoType};
use std::path::{Path, PathBuf};

/// Where a hub data set lives: repository id and the train and test files in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HubFiles {
    pub repo: &'static str,
    pub train: &'static str,
    pub test: &'static str,
}

impl Dataset {
    /// The hub repository and files of a downloadable data set (`None` for `digits`).
    pub fn hub_files(self) -> Option<HubFiles> {
        match self {
            Dataset::Digits => None,
            Dataset::Mnist => Some(HubFiles {
                repo: "ylecun/mnist",
                train: "mnist/train-00000-of-00001.parquet",
                test: "mnist/test-00000-of-00001.parquet",
            }),
            Dataset::Cifar10 => Some(HubFiles {
                repo: "uoft-cs/cifar10",
                train: "plain_text/train-00000-of-00001.parquet",
                test: "plain_text/test-00000-of-00001.parquet",
            }),
        }
    }
}

/// The local hub cache and whether the network may be used.
#[derive(Clone, Debug)]
pub struct HubCache {
    /// The `hub` folder (`$HF_HOME/hub`).
    root: PathBuf,
    offline: bool,
}

/// `HF_HUB_OFFLINE` as the Python client reads it: `1`, `true`, `yes` or `on`.
pub fn offline_from_env() -> bool {
    std::env::var("HF_HUB_OFFLINE").is_ok_and(|v| {
        matches!(
            v.trim().to_ascii_lowercase().as_str(),
            "1" | "true" | "yes" | "on"
        )
    })
}

impl HubCache {
    pub fn new(root: PathBuf, offline: bool) -> Self {
        HubCache { root, offline }
    }

    /// The cache hf-hub and `huggingface_hub` use (`HF_HOME`), offline per `HF_HUB_OFFLINE`.
    pub fn from_env() -> Self {
        HubCache::new(Cache::from_env().path().clone(), offline_from_env())
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The local path of one file of a data set, downloading it when missing and allowed.
    pub fn file(&self, dataset: Dataset, filename: &str) -> Result<PathBuf> {
        let files = dataset
            .hub_files()
            .ok_or_else(|| anyhow!("{dataset} is shipped with the harness, not on the hub"))?;
        let repo = Repo::new(files.repo.to_string(), RepoType::Dataset);
        if let Some(path) = Cache::new(self.root.clone())
            .repo(repo.clone())
            .get(filename)
        {
            return Ok(path);
        }
        if self.offline {
            bail!(
                "data set `{dataset}` is not in the Hugging Face cache ({} has no {}/{filename}) \
                 and HF_HUB_OFFLINE is set: fetch it once with network access, \
                 `harness fetch {dataset}` (or `huggingface-cli download {} --repo-type dataset`), \
                 with the same HF_HOME",
                self.root.display(),
                files.repo,
                files.repo
            );
        }
        eprintln!(
            "downloading {}/{filename} into {}",
            files.repo,
            self.root.display()
        );
        let api = ApiBuilder::from_env()
            .with_cache_dir(self.root.clone())
            .build()
            .context("cannot start the Hugging Face Hub client")?;
        api.repo(repo).get(filename).with_context(|| {
            format!(
                "cannot download data set `{dataset}` ({}/{filename}) from the Hugging Face Hub; \
                 without network access, copy a Hugging Face cache holding it to {} \
                 (or set HF_HOME to one)",
                files.repo,
                self.root.display()
            )
        })
    }

    /// Makes sure both files of a data set are in the cache; returns their paths.
    pub fn fetch(&self, dataset: Dataset) -> Result<(PathBuf, PathBuf)> {
        let files = dataset
            .hub_files()
            .ok_or_else(|| anyhow!("{dataset} is shipped with the harness: nothing to fetch"))?;
        Ok((
            self.file(dataset, files.train)?,
            self.file(dataset, files.test)?,
        ))
    }

    /// Decodes a data set's official (train, test) splits.
    pub fn load(&self, dataset: Dataset) -> Result<(RawImages, RawImages)> {
        let (train, test) = self.fetch(dataset)?;
        let shape = dataset.shape();
        Ok((
            read_parquet_images(&train, shape)
                .with_context(|| format!("{dataset} training split"))?,
            read_parquet_images(&test, shape).with_context(|| format!("{dataset} test split"))?,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::super::parquet_images::tests::write_parquet_images;
    use super::super::{ImageShape, Split};
    use super::*;

    /// Lays out a fake hub cache with the real repository layout (refs/main → snapshot).
    fn fake_cache(root: &Path, dataset: Dataset, train: &RawImages, test: &RawImages) {
        let files = dataset.hub_files().unwrap();
        let repo_dir = root.join(format!("datasets--{}", files.repo.replace('/', "--")));
        let commit = "0123456789abcdef0123456789abcdef01234567";
        std::fs::create_dir_all(repo_dir.join("refs")).unwrap();
        std::fs::write(repo_dir.join("refs/main"), commit).unwrap();
        for (name, images) in [(files.train, train), (files.test, test)] {
            let path = repo_dir.join("snapshots").join(commit).join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            let column = if dataset == Dataset::Cifar10 {
                "img"
            } else {
                "image"
            };
            write_parquet_images(&path, images, column);
        }
    }

    fn random_images(shape: ImageShape, n: usize, seed: u64) -> RawImages {
        let mut rng = crate::rng::Rng::new(seed);
        RawImages {
            shape,
            pixels: (0..n * shape.len()).map(|_| rng.below(256) as u8).collect(),
            labels: (0..n).map(|_| rng.below(10) as u8).collect(),
            max_value: 255.0,
        }
    }

    #[test]
    fn mnist_and_cifar10_load_from_a_hub_cache_offline() {
        let dir = tempfile::tempdir().unwrap();
        for (dataset, seed) in [(Dataset::Mnist, 1), (Dataset::Cifar10, 2)] {
            let shape = dataset.shape();
            let train = random_images(shape, 12, seed);
            let test = random_images(shape, 5, seed + 10);
            fake_cache(dir.path(), dataset, &train, &test);
            let hub = HubCache::new(dir.path().to_path_buf(), true);
            let (tr, te) = hub.load(dataset).unwrap();
            assert_eq!(tr, train, "{dataset} train");
            assert_eq!(te, test, "{dataset} test");
            // Scaled to the model's input: CIFAR-10 normalized to [-1, 1].
            let scaled = te.clone().scaled(dataset);
            let first = test.pixels[0] as f32 / 255.0;
            let first = if dataset == Dataset::Cifar10 {
                (first - 0.5) / 0.5
            } else {
                first
            };
            assert_eq!(scaled.pixels[0], first);
            // A split checks that the files hold the official numbers of images.
            let err = Split::new(dataset, 3, 4, &hub).unwrap_err().to_string();
            assert!(err.contains("12 training and 5 test images"), "{err}");
        }
    }

    #[test]
    fn offline_and_missing_names_the_data_set_and_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        let hub = HubCache::new(dir.path().to_path_buf(), true);
        let err = format!("{:#}", hub.load(Dataset::Cifar10).unwrap_err());
        assert!(err.contains("`cifar10`"), "{err}");
        assert!(err.contains("HF_HUB_OFFLINE"), "{err}");
        assert!(err.contains("harness fetch cifar10"), "{err}");
    }
}
