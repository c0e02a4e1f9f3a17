//! Classification with label noise (SPEC §2.2): the experiment's data on the device, and each
//! member's training set (a subset of the pool and its noisy labels). The member's network,
//! training and measurement are in [`crate::representations::classification`].
//!
//! Randomness, each from its own stream of the experiment seed (our design, as in
//! [`crate::data::teacher`]):
//! - `init/n=…/replica=…`: the initial weights, shared by the members of a replica (**same
//!   initialization**) and by every label-noise level (common random numbers);
//! - `subset/n=…/replica=…[/member=…]`: the training images, a uniformly random subset of n
//!   pool images; per member with `pairing: independent-subsets`, per replica with
//!   `same-inputs`;
//! - `label-noise/n=…/replica=…/member=…`: a random order of the n images and a uniform class
//!   for each; the first round(p·n) images of that order get their drawn class (which may be the
//!   true one). The draws do not depend on p, so a cleaner level's noisy labels are a subset of
//!   a noisier level's;
//! - `batches/…`: the SGD mini-batch order of the member.

use crate::data::datasets::hub::HubCache;
use crate::data::datasets::{Dataset, Split, CLASSES};
use crate::rng::Rng;
use anyhow::Result;
use candle_core::{Device, Tensor};
use serde::{Deserialize, Serialize};

/// How the members of one replica get their training images (`task.pairing`, SPEC §2.2).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Pairing {
    /// Each member draws its own random subset of n pool images, with its own label noise.
    #[default]
    IndependentSubsets,
    /// The members share the replica's images and differ only by their label-noise draws.
    SameInputs,
}

impl Pairing {
    /// The manifest's spelling.
    pub fn name(self) -> &'static str {
        match self {
            Pairing::IndependentSubsets => "independent-subsets",
            Pairing::SameInputs => "same-inputs",
        }
    }
}

/// The experiment's shared inputs: the split and the test images on the device.
pub struct ClassificationData {
    pub dataset: Dataset,
    pub split: Split,
    pub device: Device,
    pub test_x: Tensor,
}

impl ClassificationData {
    /// The split of `dataset` with `n_test` test images, the test images on `device`.
    pub fn load(dataset: Dataset, seed: u64, n_test: usize, device: Device) -> Result<Self> {
        let split = Split::new(dataset, seed, n_test, &HubCache::from_env())?;
        let test_x = images_tensor(&split.test.pixels, dataset, split.test.len(), &device)?;
        Ok(ClassificationData {
            dataset,
            split,
            device,
            test_x,
        })
    }
}

/// Images as an N × C × H × W tensor on `device`.
pub fn images_tensor(
    pixels: &[f32],
    dataset: Dataset,
    n: usize,
    device: &Device,
) -> Result<Tensor> {
    let s = dataset.shape();
    Ok(Tensor::from_slice(
        pixels,
        (n, s.channels, s.height, s.width),
        device,
    )?)
}

/// Pool indices of one member's training images.
pub fn member_subset(
    seed: u64,
    pairing: Pairing,
    pool: usize,
    n: usize,
    replica: usize,
    member: usize,
) -> Vec<usize> {
    let tag = match pairing {
        Pairing::IndependentSubsets => format!("subset/n={n}/replica={replica}/member={member}"),
        Pairing::SameInputs => format!("subset/n={n}/replica={replica}"),
    };
    let mut order = Rng::derive(seed, &tag).permutation(pool);
    order.truncate(n);
    order
}

/// The labels of one member's training images with a fraction `p` replaced (SPEC §2.2).
pub fn noisy_labels(seed: u64, clean: &[u8], p: f64, replica: usize, member: usize) -> Vec<u8> {
    let n = clean.len();
    let mut rng = Rng::derive(
        seed,
        &format!("label-noise/n={n}/replica={replica}/member={member}"),
    );
    let order = rng.permutation(n);
    let drawn: Vec<u8> = (0..n).map(|_| rng.below(CLASSES as u64) as u8).collect();
    let replaced = (p * n as f64).round() as usize;
    let mut labels = clean.to_vec();
    for &i in &order[..replaced.min(n)] {
        labels[i] = drawn[i];
    }
    labels
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_noise_replaces_the_stated_fraction_with_uniform_classes() {
        let clean: Vec<u8> = (0..10_000).map(|i| (i % 10) as u8).collect();
        let noisy = noisy_labels(1, &clean, 0.4, 0, 0);
        let changed = noisy.iter().zip(&clean).filter(|(a, b)| a != b).count();
        // 4000 replaced, each lands on the true class with probability 1/10: ≈ 3600 change.
        assert!((3450..3750).contains(&changed), "{changed}");
        assert_eq!(noisy_labels(1, &clean, 0.0, 0, 0), clean);
        // Nested across levels: every label changed at 0.1 is changed the same way at 0.4.
        let light = noisy_labels(1, &clean, 0.1, 0, 0);
        for i in 0..clean.len() {
            if light[i] != clean[i] {
                assert_eq!(light[i], noisy[i]);
            }
        }
        assert_ne!(noisy_labels(1, &clean, 0.4, 0, 1), noisy);
    }

    /// `name` is what overlap.csv and the figures print: it must be the manifest's spelling.
    #[test]
    fn pairing_names_are_the_manifest_spellings() {
        for (pairing, spelling) in [
            (Pairing::IndependentSubsets, "independent-subsets"),
            (Pairing::SameInputs, "same-inputs"),
        ] {
            assert_eq!(pairing.name(), spelling);
            assert_eq!(serde_yaml::from_str::<Pairing>(spelling).unwrap(), pairing);
        }
    }

    #[test]
    fn pairing_decides_whether_members_share_images() {
        let a = member_subset(5, Pairing::IndependentSubsets, 1000, 100, 0, 0);
        let b = member_subset(5, Pairing::IndependentSubsets, 1000, 100, 0, 1);
        assert_ne!(a, b);
        let c = member_subset(5, Pairing::SameInputs, 1000, 100, 0, 0);
        let d = member_subset(5, Pairing::SameInputs, 1000, 100, 0, 1);
        assert_eq!(c, d);
        let mut sorted = a.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), 100);
        assert!(a.iter().all(|&i| i < 1000));
    }
}
