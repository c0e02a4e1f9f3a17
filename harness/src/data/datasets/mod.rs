//! Image classification data sets (SPEC §2.2): what the harness knows about each one, the
//! in-memory image set, and the fixed split into a training pool and a test set.
//!
//! - [`digits`]: the UCI 8×8 digits, embedded in the binary (works offline).
//! - [`hub`]: `mnist` and `cifar10` from the Hugging Face Hub cache (downloaded with hf-hub).
//! - [`parquet_images`]: decoding the hub's parquet files of PNG-encoded images.
//!
//! Pixels are scaled to [0, 1]; CIFAR-10 is then normalized with mean 0.5 and std 0.5 (as Gu,
//! Zheng & Aste). The split is recorded in every results folder (`split.csv` and the SHA-256 of
//! its index lists in `run.json`).

pub mod digits;
pub mod hub;
pub mod parquet_images;

use crate::identity::sha256_hex;
use crate::rng::Rng;
use anyhow::{bail, Result};
use serde::{Deserialize, Serialize};

/// Number of classes of every data set here.
pub const CLASSES: usize = 10;

/// The data sets a classification manifest can name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Dataset {
    /// UCI 8×8 handwritten digits, 1797 grey images, shipped with the project.
    Digits,
    /// MNIST 28×28 grey, 60 000 training and 10 000 test images (`ylecun/mnist` on the Hub).
    Mnist,
    /// CIFAR-10 32×32 colour, 50 000 training and 10 000 test images (`uoft-cs/cifar10`).
    Cifar10,
}

/// Channels, height and width of one image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImageShape {
    pub channels: usize,
    pub height: usize,
    pub width: usize,
}

impl ImageShape {
    /// Values per image, C·H·W.
    pub fn len(self) -> usize {
        self.channels * self.height * self.width
    }

    pub fn is_empty(self) -> bool {
        self.len() == 0
    }
}

impl Dataset {
    pub fn name(self) -> &'static str {
        match self {
            Dataset::Digits => "digits",
            Dataset::Mnist => "mnist",
            Dataset::Cifar10 => "cifar10",
        }
    }

    pub fn shape(self) -> ImageShape {
        let (channels, side) = match self {
            Dataset::Digits => (1, 8),
            Dataset::Mnist => (1, 28),
            Dataset::Cifar10 => (3, 32),
        };
        ImageShape {
            channels,
            height: side,
            width: side,
        }
    }

    /// Images available as (training pool + test set); for `digits` the two share the 1797.
    pub fn sizes(self) -> (usize, usize) {
        match self {
            Dataset::Digits => (digits::ROWS, digits::ROWS),
            Dataset::Mnist => (60_000, 10_000),
            Dataset::Cifar10 => (50_000, 10_000),
        }
    }

    /// The default test-set size: 500 held-out digits (ours), the whole official test split
    /// otherwise.
    pub fn default_test_size(self) -> usize {
        match self {
            Dataset::Digits => 500,
            _ => self.sizes().1,
        }
    }

    /// The training pool's size for a test set of `n_test` images.
    pub fn pool_size(self, n_test: usize) -> usize {
        match self {
            Dataset::Digits => digits::ROWS.saturating_sub(n_test),
            _ => self.sizes().0,
        }
    }

    /// The largest test set possible.
    pub fn max_test_size(self) -> usize {
        match self {
            // Keep at least one image per class for training.
            Dataset::Digits => digits::ROWS - CLASSES,
            _ => self.sizes().1,
        }
    }

    /// Pixel values in [0, 1] mapped to the model's input scale.
    fn normalize(self, unit: f32) -> f32 {
        match self {
            Dataset::Cifar10 => (unit - 0.5) / 0.5,
            _ => unit,
        }
    }
}

impl std::fmt::Display for Dataset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Images (C·H·W values each, row-major, channel first) with their labels.
#[derive(Clone, Debug, PartialEq)]
pub struct ImageSet {
    pub shape: ImageShape,
    pub pixels: Vec<f32>,
    pub labels: Vec<u8>,
}

impl ImageSet {
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    pub fn image(&self, i: usize) -> &[f32] {
        let d = self.shape.len();
        &self.pixels[i * d..(i + 1) * d]
    }

    /// The images at `indices`, in that order.
    pub fn select(&self, indices: &[usize]) -> ImageSet {
        let mut pixels = Vec::with_capacity(indices.len() * self.shape.len());
        for &i in indices {
            pixels.extend_from_slice(self.image(i));
        }
        ImageSet {
            shape: self.shape,
            pixels,
            labels: indices.iter().map(|&i| self.labels[i]).collect(),
        }
    }
}

/// 8-bit images and the table that maps each byte to the model's input value (what
/// [`RawImages`] scales it to, the same f32 expression): the training pool, stored once at a
/// byte per value, from which each member's images are gathered through the table.
#[derive(Clone, Debug, PartialEq)]
pub struct Images8 {
    pub shape: ImageShape,
    /// C·H·W bytes per image, channel first.
    pub pixels: Vec<u8>,
    pub labels: Vec<u8>,
    /// The input value of each byte.
    pub table: Vec<f32>,
}

impl Images8 {
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    pub fn image(&self, i: usize) -> &[u8] {
        let d = self.shape.len();
        &self.pixels[i * d..(i + 1) * d]
    }

    /// Appends image `i`'s input values to `out`.
    pub fn gather_into(&self, i: usize, out: &mut Vec<f32>) {
        out.extend(self.image(i).iter().map(|&p| self.table[p as usize]));
    }

    /// The images at `indices`, in that order, as input values.
    pub fn select(&self, indices: &[usize]) -> ImageSet {
        let mut pixels = Vec::with_capacity(indices.len() * self.shape.len());
        for &i in indices {
            self.gather_into(i, &mut pixels);
        }
        ImageSet {
            shape: self.shape,
            pixels,
            labels: indices.iter().map(|&i| self.labels[i]).collect(),
        }
    }
}

/// Raw 8-bit images as decoded from a source, before scaling.
#[derive(Clone, Debug, PartialEq)]
pub struct RawImages {
    pub shape: ImageShape,
    /// C·H·W bytes per image, channel first.
    pub pixels: Vec<u8>,
    pub labels: Vec<u8>,
    /// The value of a fully lit pixel (16 for digits, 255 for PNG images).
    pub max_value: f32,
}

impl RawImages {
    /// Each byte's input value on `dataset`'s scale.
    fn table(&self, dataset: Dataset) -> Vec<f32> {
        let max = self.max_value;
        (0..=255u8)
            .map(|p| dataset.normalize(p as f32 / max))
            .collect()
    }

    fn scaled(self, dataset: Dataset) -> ImageSet {
        let table = self.table(dataset);
        ImageSet {
            shape: self.shape,
            pixels: self.pixels.iter().map(|&p| table[p as usize]).collect(),
            labels: self.labels,
        }
    }

    /// The images at `rows`, kept as bytes with their table.
    fn select8(&self, dataset: Dataset, rows: &[usize]) -> Images8 {
        let d = self.shape.len();
        let mut pixels = Vec::with_capacity(rows.len() * d);
        for &r in rows {
            pixels.extend_from_slice(&self.pixels[r * d..(r + 1) * d]);
        }
        Images8 {
            shape: self.shape,
            pixels,
            labels: rows.iter().map(|&r| self.labels[r]).collect(),
            table: self.table(dataset),
        }
    }
}

/// The source rows of the training pool and of the test set (each in increasing order).
///
/// For `digits`, a seeded permutation of the 1797 rows gives its first `n_test` rows to the
/// test set and the rest to the pool. For the hub data sets the pool is the whole official
/// training split and the test set is the official test split, or a seeded subset of `n_test`
/// of its rows when `n_test` is smaller. Seeded by the experiment seed (our choice).
pub fn split_rows(dataset: Dataset, seed: u64, n_test: usize) -> Result<(Vec<usize>, Vec<usize>)> {
    if n_test > dataset.max_test_size() {
        bail!(
            "{dataset}: n_test = {n_test} is more than the {} test images allowed",
            dataset.max_test_size()
        );
    }
    let mut rng = Rng::derive(seed, &format!("split/{dataset}"));
    let (train, test) = dataset.sizes();
    let (pool_rows, test_rows) = match dataset {
        Dataset::Digits => {
            let order = rng.permutation(train);
            (order[n_test..].to_vec(), order[..n_test].to_vec())
        }
        Dataset::Mnist | Dataset::Cifar10 => {
            let chosen = if n_test == test {
                (0..n_test).collect()
            } else {
                rng.permutation(test)[..n_test].to_vec()
            };
            ((0..train).collect(), chosen)
        }
    };
    let sorted = |mut v: Vec<usize>| {
        v.sort_unstable();
        v
    };
    Ok((sorted(pool_rows), sorted(test_rows)))
}

/// SHA-256 of a row list (decimal, one per line).
pub fn rows_hash(rows: &[usize]) -> String {
    let text: String = rows.iter().map(|r| format!("{r}\n")).collect();
    sha256_hex(text.as_bytes())
}

/// `split.csv`: one line per image used, `set,row` (`pool` or `test`, source row number).
pub fn split_csv(pool_rows: &[usize], test_rows: &[usize]) -> Vec<u8> {
    let mut out = String::from("set,row\n");
    for r in pool_rows {
        out.push_str(&format!("pool,{r}\n"));
    }
    for r in test_rows {
        out.push_str(&format!("test,{r}\n"));
    }
    out.into_bytes()
}

/// The training pool and the test set of one experiment, and where they came from.
#[derive(Clone, Debug)]
pub struct Split {
    pub dataset: Dataset,
    /// The training pool, as bytes (members gather their images from it).
    pub pool: Images8,
    pub test: ImageSet,
    /// Row numbers of the pool images in their source (`digits.csv`, or the hub's train file).
    pub pool_rows: Vec<usize>,
    /// Row numbers of the test images in their source (`digits.csv`, or the hub's test file).
    pub test_rows: Vec<usize>,
}

impl Split {
    /// Loads a data set and splits it as [`split_rows`] says.
    pub fn new(dataset: Dataset, seed: u64, n_test: usize, hub: &hub::HubCache) -> Result<Split> {
        let (pool_rows, test_rows) = split_rows(dataset, seed, n_test)?;
        let (pool_raw, test_raw) = match dataset {
            Dataset::Digits => {
                let all = digits::load()?;
                (all.clone(), all)
            }
            Dataset::Mnist | Dataset::Cifar10 => {
                let (train, test) = hub.load(dataset)?;
                let expected = dataset.sizes();
                if (train.labels.len(), test.labels.len()) != expected {
                    bail!(
                        "{dataset}: the hub files hold {} training and {} test images, expected {} and {}",
                        train.labels.len(),
                        test.labels.len(),
                        expected.0,
                        expected.1
                    );
                }
                (train, test)
            }
        };
        Ok(Split {
            dataset,
            pool: pool_raw.select8(dataset, &pool_rows),
            test: test_raw.scaled(dataset).select(&test_rows),
            pool_rows,
            test_rows,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_split_is_disjoint_seeded_and_complete() {
        let hub = hub::HubCache::new("/nonexistent-hf-home/hub".into(), true);
        let a = Split::new(Dataset::Digits, 7, 500, &hub).unwrap();
        let b = Split::new(Dataset::Digits, 7, 500, &hub).unwrap();
        let c = Split::new(Dataset::Digits, 8, 500, &hub).unwrap();
        assert_eq!(a.test.len(), 500);
        assert_eq!(a.pool.len(), 1297);
        assert_eq!(a.test_rows, b.test_rows);
        assert_ne!(a.test_rows, c.test_rows);
        assert_eq!(rows_hash(&a.test_rows), rows_hash(&b.test_rows));
        let mut all: Vec<usize> = a.pool_rows.iter().chain(&a.test_rows).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..1797).collect::<Vec<_>>());
        // Scaled to [0, 1] with some fully lit pixels.
        let pool = a.pool.select(&(0..a.pool.len()).collect::<Vec<_>>()).pixels;
        assert!(pool.iter().all(|&p| (0.0..=1.0).contains(&p)));
        assert!(pool.contains(&1.0));
    }

    #[test]
    fn digits_test_size_is_checked() {
        let hub = hub::HubCache::new("/nonexistent-hf-home/hub".into(), true);
        let err = Split::new(Dataset::Digits, 1, 1795, &hub).unwrap_err();
        assert!(err.to_string().contains("n_test = 1795"), "{err}");
        assert!(split_rows(Dataset::Mnist, 1, 10_001).is_err());
        let (pool, test) = split_rows(Dataset::Mnist, 1, 100).unwrap();
        assert_eq!((pool.len(), test.len()), (60_000, 100));
    }
}
