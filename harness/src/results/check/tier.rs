//! Which question `check` answers (docs/CHECK.md), chosen from the two sides' identities:
//!
//! 1. **Same manifest and seeds, elsewhere** (another machine, thread count, device, cluster
//!    node): the manifests with the device left out hash alike, so every unit is the same
//!    computation; compared unit by unit ([`super::paired`]).
//! 2. **Other seeds** (or other settings): the same science? The claims' verdicts, their
//!    robustness and effect sizes, and whole curves ([`super::science`]).
//! 3. **Which points differ?** Point by point equivalence tests ([`super::points`]): always
//!    written as the detail table, the verdict only when forced (`--tier 3`).
//!
//! The tier is chosen from the manifest hashes (device left out) and can be forced.

use super::replicas::Provenance;
use crate::device::DeviceKind;
use crate::manifest::Manifest;
use std::path::Path;

/// The three questions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Tier {
    SameSeeds,
    OtherSeeds,
    Points,
}

impl Tier {
    pub fn number(self) -> u8 {
        match self {
            Tier::SameSeeds => 1,
            Tier::OtherSeeds => 2,
            Tier::Points => 3,
        }
    }

    /// From `--tier 1|2|3`.
    pub fn from_number(n: u8) -> Option<Tier> {
        match n {
            1 => Some(Tier::SameSeeds),
            2 => Some(Tier::OtherSeeds),
            3 => Some(Tier::Points),
            _ => None,
        }
    }

    /// The question, as the output's first line puts it.
    pub fn question(self) -> &'static str {
        match self {
            Tier::SameSeeds => "same manifest and seeds elsewhere: the same values, unit by unit?",
            Tier::OtherSeeds => "other seeds: the same science (claims, effects, curves)?",
            Tier::Points => "which points differ (per-point equivalence tests)?",
        }
    }
}

/// What identifies one side's experiment (one combination of `sweep.over`).
#[derive(Clone, Debug, PartialEq)]
pub struct Identity {
    /// SHA-256 of the manifest with the device left out; `None` when it cannot be known (a
    /// reference that ran on a GPU and left no `run.json`).
    pub device_free_sha256: Option<String>,
    pub seed: Option<u64>,
    pub device: String,
}

impl Identity {
    /// The run's: from its manifest (one combination's).
    pub fn of_manifest(manifest: &Manifest) -> Identity {
        Identity {
            device_free_sha256: Some(device_free_hash(manifest)),
            seed: Some(manifest.seed),
            device: manifest.device.name().to_string(),
        }
    }

    /// A results folder's: its per-replica provenance (on the CPU the manifest hash is the
    /// device-free one) and, where the folder has its `run.json`, the manifest recorded there
    /// (for the seed, and the device-free hash of a GPU run).
    pub fn of_folder(
        dir: &Path,
        provenance: &Provenance,
        variant: &[(String, String)],
    ) -> Identity {
        let recorded = recorded_manifest(dir, variant);
        let device_free_sha256 = if provenance.device == DeviceKind::Cpu.name() {
            Some(provenance.manifest_sha256.clone())
        } else {
            recorded.as_ref().map(device_free_hash)
        };
        Identity {
            device_free_sha256,
            seed: recorded.map(|m| m.seed),
            device: provenance.device.clone(),
        }
    }
}

/// The manifest's hash with the device set to the CPU (which the canonical form leaves out).
pub fn device_free_hash(manifest: &Manifest) -> String {
    crate::plan::manifest_hash(&Manifest {
        device: DeviceKind::Cpu,
        ..manifest.clone()
    })
}

/// The manifest a results folder's `run.json` records, device left out (one combination's,
/// with `sweep.over`), if it can be read.
fn recorded_manifest(dir: &Path, variant: &[(String, String)]) -> Option<Manifest> {
    let bytes = std::fs::read(dir.join("run.json")).ok()?;
    let record: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let mut manifest = record.get("manifest")?.clone();
    manifest.as_object_mut()?.remove("device");
    let text = serde_json::to_string(&manifest).ok()?;
    let whole = Manifest::parse(&text, &dir.join("run.json")).ok()?;
    if variant.is_empty() {
        return Some(whole);
    }
    whole
        .variants
        .into_iter()
        .find(|v| v.values == variant)
        .map(|v| v.manifest)
}

/// The tier and why, as printed first.
#[derive(Clone, Debug, PartialEq)]
pub struct Choice {
    pub tier: Tier,
    /// The tier the identities give (equal to `tier` unless forced).
    pub natural: Tier,
    pub forced: bool,
    pub why: String,
}

fn short(hash: &str) -> &str {
    &hash[..12.min(hash.len())]
}

/// Tier 1 when both device-free hashes are known and equal, else tier 2; `forced` overrides.
pub fn choose(run: &Identity, reference: &Identity, forced: Option<Tier>) -> Choice {
    let seed = |s: Option<u64>| s.map_or(String::new(), |s| format!(", seed {s}"));
    let (natural, why) = match (&run.device_free_sha256, &reference.device_free_sha256) {
        (Some(a), Some(b)) if a == b => (
            Tier::SameSeeds,
            format!(
                "the same manifest and seeds (sha256 {}… with the device left out{}); run on {}, \
                 reference on {}",
                short(a),
                seed(run.seed),
                run.device,
                reference.device
            ),
        ),
        (Some(a), Some(b)) => (
            Tier::OtherSeeds,
            format!(
                "the run's manifest (sha256 {}…{}) is not the reference's ({}…{}): other seeds \
                 or other settings",
                short(a),
                seed(run.seed),
                short(b),
                seed(reference.seed)
            ),
        ),
        _ => (
            Tier::OtherSeeds,
            format!(
                "the reference ran on {} and its folder has no run.json, so whether it is the \
                 same manifest is unknown (`--tier 1` compares unit by unit anyway)",
                reference.device
            ),
        ),
    };
    match forced {
        Some(t) if t != natural => Choice {
            tier: t,
            natural,
            forced: true,
            why: format!(
                "forced by --tier {} (by the manifests it would be tier {}: {why})",
                t.number(),
                natural.number()
            ),
        },
        _ => Choice {
            tier: natural,
            natural,
            forced: forced.is_some(),
            why,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(hash: Option<&str>, seed: u64, device: &str) -> Identity {
        Identity {
            device_free_sha256: hash.map(String::from),
            seed: Some(seed),
            device: device.into(),
        }
    }

    #[test]
    fn equal_device_free_hashes_give_tier_1_whatever_the_devices() {
        let c = choose(&id(Some("a"), 1, "cuda"), &id(Some("a"), 1, "cpu"), None);
        assert_eq!((c.tier, c.forced), (Tier::SameSeeds, false));
        assert!(c.why.contains("run on cuda, reference on cpu"), "{}", c.why);
    }

    #[test]
    fn other_or_unknown_hashes_give_tier_2_and_a_forced_tier_says_what_it_overrides() {
        let c = choose(&id(Some("a"), 99, "cpu"), &id(Some("b"), 7, "cpu"), None);
        assert_eq!(c.tier, Tier::OtherSeeds);
        assert!(
            c.why.contains("seed 99") && c.why.contains("seed 7"),
            "{}",
            c.why
        );
        let unknown = choose(&id(Some("a"), 1, "cpu"), &id(None, 1, "cuda"), None);
        assert_eq!(unknown.tier, Tier::OtherSeeds);
        assert!(unknown.why.contains("no run.json"), "{}", unknown.why);
        let forced = choose(
            &id(Some("a"), 1, "cpu"),
            &id(None, 1, "cuda"),
            Some(Tier::SameSeeds),
        );
        assert_eq!(
            (forced.tier, forced.natural, forced.forced),
            (Tier::SameSeeds, Tier::OtherSeeds, true)
        );
        assert!(
            forced.why.starts_with("forced by --tier 1"),
            "{}",
            forced.why
        );
    }

    #[test]
    fn the_device_free_hash_ignores_the_device_and_nothing_else() {
        let text =
            "name: t\nseed: 3\ntask:\n  kind: linear-teacher\n  d: 4\nmodel:\n  kind: linear2\n\
                    sweep:\n  snr: [1]\n  n_over_p: [1]\n  replicas: 2\n  members: 2\n";
        let m = Manifest::parse(text, Path::new("t.yaml")).unwrap();
        let gpu = Manifest {
            device: DeviceKind::Cuda,
            ..m.clone()
        };
        assert_ne!(
            crate::plan::manifest_hash(&gpu),
            crate::plan::manifest_hash(&m)
        );
        assert_eq!(device_free_hash(&gpu), crate::plan::manifest_hash(&m));
        let reseeded = Manifest {
            seed: 4,
            ..m.clone()
        };
        assert_ne!(device_free_hash(&reseeded), device_free_hash(&m));
    }
}
