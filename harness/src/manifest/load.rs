//! The one way a command gets a manifest: read the file once, tell the two kinds apart (a
//! network experiment, or `kind: estimator-accuracy`), apply the command line's overrides and
//! validate the result. `run`, `plan`, `hash` and `claims` all load through [`load`], so an
//! override means the same thing to every command.

use super::accuracy::{declared_kind, AccuracyManifest};
use super::{find_key_line, read, Manifest, ManifestError, Overrides};
use crate::device::DeviceKind;
use std::path::Path;

/// A manifest of any kind: the schema registry, one variant per kind, each named by its
/// top-level `kind:` in [`load`]. Past loading, every command reaches a kind through
/// `kinds::of` (the pipeline registry) and nothing else matches on it.
#[derive(Clone, Debug)]
pub enum AnyManifest {
    Experiment(Box<Manifest>),
    Accuracy(AccuracyManifest),
}

/// Reads, parses and validates a manifest of either kind, with `overrides` applied. A network
/// experiment has no top-level `kind`; any `kind` other than `estimator-accuracy` is an error.
pub fn load(path: &Path, overrides: &Overrides) -> Result<AnyManifest, ManifestError> {
    let text = read(path)?;
    match declared_kind(&text) {
        None => Manifest::parse_with(&text, path, overrides)
            .map(|m| AnyManifest::Experiment(Box::new(m))),
        Some(k) if k == "estimator-accuracy" => {
            let m = AccuracyManifest::parse_with(&text, path, overrides)
                .map_err(|e| overrides.attribute(e))?;
            match overrides.device {
                Some(DeviceKind::Cuda) => Err(ManifestError {
                    file: path.to_path_buf(),
                    line: None,
                    key: Some("device".into()),
                    message: "--device cuda: the estimator-accuracy experiment runs its \
                              estimators on the CPU (they have no GPU path); run it without \
                              --device, or with --device cpu"
                        .into(),
                }),
                Some(DeviceKind::Cpu) | None => Ok(AnyManifest::Accuracy(m)),
            }
        }
        Some(k) => Err(ManifestError {
            file: path.to_path_buf(),
            line: find_key_line(&text, &["kind"]),
            key: Some("kind".into()),
            message: format!(
                "unknown experiment kind `{k}`: the only one is `estimator-accuracy` (a network \
                 experiment has no top-level `kind`)"
            ),
        }),
    }
}
