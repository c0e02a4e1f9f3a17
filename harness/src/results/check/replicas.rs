//! `replicas.csv`: the per-replica values that `harness check` compares, written beside
//! `summary.csv` by every run and read back from a run or a reference folder.
//!
//! Long format, one row per (point, network, replica, quantity): the replica's mean of
//! `gen_error` or of a `cce_<measure>` over its members (or ordered pairs), the unit the
//! standard errors of `summary.csv` are computed over. Every row also names the run's
//! identity (manifest SHA-256, algorithm version) and where it ran (device, harness version):
//! constant columns, so that the file alone says what it is a sample of.

use super::part::Part;
use crate::identity::ALGORITHM_VERSION;
use crate::manifest::Manifest;
use crate::plan::Plan;
use crate::results::tables::{cell, SummaryRow};
use anyhow::{bail, Result};
use std::path::Path;

/// The file's name in a results folder.
pub const FILE: &str = "replicas.csv";

const COLUMNS: [&str; 11] = [
    "n",
    "p",
    "n_over_p",
    "model",
    "replica",
    "quantity",
    "value",
    "manifest_sha256",
    "algorithm_version",
    "device",
    "harness_version",
];

/// The bytes of `replicas.csv` for a run's summary rows.
pub fn replicas_csv(manifest: &Manifest, plan: &Plan, rows: &[SummaryRow]) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(std::iter::once(plan.level_column()).chain(COLUMNS))?;
    let device = manifest.device.name();
    for r in rows {
        for (quantity, values) in &r.replica_values {
            for (replica, value) in values {
                w.write_record([
                    cell(Some(r.point.level.value())),
                    r.point.n.to_string(),
                    r.p.to_string(),
                    cell(Some(r.point.n_over_p)),
                    r.model.to_string(),
                    replica.to_string(),
                    quantity.clone(),
                    cell(Some(*value)),
                    plan.manifest_hash.clone(),
                    ALGORITHM_VERSION.to_string(),
                    device.to_string(),
                    env!("CARGO_PKG_VERSION").to_string(),
                ])?;
            }
        }
    }
    Ok(w.into_inner()?)
}

/// Where a point sits: noise level (as written), n and network.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PointKey {
    pub level: String,
    pub n: usize,
    pub model: String,
}

/// One row of `replicas.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct ReplicaRow {
    pub point: PointKey,
    pub n_over_p: f64,
    pub replica: usize,
    pub quantity: String,
    pub value: f64,
}

/// What a `replicas.csv` says about the run that wrote it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Provenance {
    pub manifest_sha256: String,
    pub algorithm_version: String,
    pub device: String,
    pub harness_version: String,
}

/// A whole `replicas.csv`.
#[derive(Clone, Debug)]
pub struct Replicas {
    /// `snr` or `label_noise`.
    pub level_column: String,
    pub provenance: Provenance,
    pub rows: Vec<ReplicaRow>,
}

impl Replicas {
    /// Reads `<dir>/replicas.csv`, the rows of the `sweep.over` combination `variant` (empty
    /// without `sweep.over`); errors name the file and the line.
    pub fn read(dir: &Path, variant: &[(String, String)]) -> Result<Replicas> {
        let path = dir.join(FILE);
        if !path.exists() {
            bail!(
                "{} does not exist: the folder holds no per-replica values (results of \
                 `harness run` before replicas.csv existed, or not a results folder); rerun \
                 the experiment",
                path.display()
            );
        }
        let part = Part::read(&path, variant)?;
        let header = &part.header;
        let tail: Vec<&str> = header.iter().skip(1).map(String::as_str).collect();
        if tail != COLUMNS || header.is_empty() {
            bail!(
                "{}:1: unexpected columns `{}`: expected the level column, then `{}`",
                path.display(),
                header.join(","),
                COLUMNS.join(",")
            );
        }
        let level_column = header[0].to_string();
        let mut rows = Vec::new();
        let mut provenance: Option<Provenance> = None;
        for (line, rec) in &part.rows {
            let line = *line;
            let here = Provenance {
                manifest_sha256: rec[8].to_string(),
                algorithm_version: rec[9].to_string(),
                device: rec[10].to_string(),
                harness_version: rec[11].to_string(),
            };
            match &provenance {
                None => provenance = Some(here),
                Some(p) if *p != here => bail!(
                    "{}:{line}: the run's identity columns change within the file",
                    path.display()
                ),
                Some(_) => {}
            }
            rows.push(ReplicaRow {
                point: PointKey {
                    level: rec[0].to_string(),
                    n: part.count(line, 1, &rec[1])?,
                    model: rec[4].to_string(),
                },
                n_over_p: part.number(line, 3, &rec[3])?,
                replica: part.count(line, 5, &rec[5])?,
                quantity: rec[6].to_string(),
                value: part.number(line, 7, &rec[7])?,
            });
        }
        let Some(provenance) = provenance else {
            bail!("{}: no rows{}", path.display(), of_variant(variant));
        };
        Ok(Replicas {
            level_column,
            provenance,
            rows,
        })
    }
}

/// ` of model.width=8` for a combination's messages; empty without `sweep.over`.
pub fn of_variant(variant: &[(String, String)]) -> String {
    if variant.is_empty() {
        return String::new();
    }
    let values: Vec<String> = variant.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!(" of {}", values.join(" "))
}
