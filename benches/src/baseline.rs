//! The committed counts of one machine key: `benches/baselines/<key>.json`. Only
//! `perfgate baseline` (`make bench-baseline`) writes one, on purpose; the gate never creates
//! a missing baseline, it reports NO BASELINE.

use crate::machine::MachineKey;
use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    pub machine: MachineKey,
    /// The commit the counts were measured on (provenance only).
    pub commit: String,
    pub recorded_at: String,
    /// Instruction count (Callgrind's Ir) per bench, `group::function::case`.
    pub instructions: BTreeMap<String, u64>,
}

pub fn path_for(dir: &Path, key: &str) -> PathBuf {
    dir.join(format!("{key}.json"))
}

/// The baseline of `key` in `dir`, or `None` when there is none.
pub fn load(dir: &Path, key: &str) -> Result<Option<Baseline>> {
    let path = path_for(dir, key);
    if !path.exists() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let baseline: Baseline = serde_json::from_str(&text)
        .with_context(|| format!("{}: not a baseline file", path.display()))?;
    anyhow::ensure!(
        baseline.machine.key == key,
        "{}: holds the key {}, not the {key} of its name",
        path.display(),
        baseline.machine.key
    );
    Ok(Some(baseline))
}

/// Every baseline in `dir` (to tell a user with no baseline how their machine differs).
pub fn all(dir: &Path) -> Result<Vec<Baseline>> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(out);
    };
    for entry in entries {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "json") {
            let key = path
                .file_stem()
                .unwrap_or_default()
                .to_string_lossy()
                .to_string();
            if let Some(b) = load(dir, &key)? {
                out.push(b);
            }
        }
    }
    Ok(out)
}

pub fn save(dir: &Path, baseline: &Baseline) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let path = path_for(dir, &baseline.machine.key);
    let text = serde_json::to_string_pretty(baseline)? + "\n";
    std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(path)
}
