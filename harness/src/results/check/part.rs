//! One `sweep.over` combination's rows of a results folder's CSV: with `sweep.over` every CSV
//! leads with the swept keys' columns ([`crate::results::tables::with_variant_columns`]);
//! `check` judges each combination on its own, so its readers take the rows whose leading
//! cells are that combination's values, with those columns dropped and each row's line
//! number kept for errors.

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};

/// The rows of one combination (or of the whole file without `sweep.over`).
pub struct Part {
    pub path: PathBuf,
    /// The header without the swept keys' columns.
    pub header: Vec<String>,
    /// (line in the file, cells without the swept keys' columns).
    pub rows: Vec<(usize, Vec<String>)>,
}

impl Part {
    /// Reads `path` and keeps the rows of the combination `variant` ((key, value) in key
    /// order; empty without `sweep.over`). The file must lead with exactly those keys.
    pub fn read(path: &Path, variant: &[(String, String)]) -> Result<Part> {
        let mut reader = csv::Reader::from_path(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let header: Vec<String> = reader
            .headers()
            .with_context(|| format!("{}:1: not CSV", path.display()))?
            .iter()
            .map(String::from)
            .collect();
        let k = variant.len();
        let leading: Vec<&str> = header.iter().take(k).map(String::as_str).collect();
        let keys: Vec<&str> = variant.iter().map(|(key, _)| key.as_str()).collect();
        if leading != keys {
            bail!(
                "{}:1: expected the swept keys `{}` as the first columns, found `{}`",
                path.display(),
                keys.join(","),
                leading.join(",")
            );
        }
        let mut rows = Vec::new();
        for (i, record) in reader.records().enumerate() {
            let line = i + 2;
            let rec = record.with_context(|| format!("{}:{line}: not CSV", path.display()))?;
            if rec.len() != header.len() {
                bail!(
                    "{}:{line}: {} cells, the header has {}",
                    path.display(),
                    rec.len(),
                    header.len()
                );
            }
            if variant.iter().enumerate().all(|(j, (_, v))| &rec[j] == v) {
                rows.push((line, rec.iter().skip(k).map(String::from).collect()));
            }
        }
        Ok(Part {
            path: path.to_path_buf(),
            header: header.into_iter().skip(k).collect(),
            rows,
        })
    }

    /// The index of a column of the part's header.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    /// A cell as a number; the error names the file, line and column.
    pub fn number(&self, line: usize, col: usize, cell: &str) -> Result<f64> {
        cell.parse::<f64>().with_context(|| {
            format!(
                "{}:{line}: column `{}`: `{cell}` is not a number",
                self.path.display(),
                self.header[col]
            )
        })
    }

    /// A cell as a count; the error names the file, line and column.
    pub fn count(&self, line: usize, col: usize, cell: &str) -> Result<usize> {
        cell.parse::<usize>().with_context(|| {
            format!(
                "{}:{line}: column `{}`: `{cell}` is not a count",
                self.path.display(),
                self.header[col]
            )
        })
    }
}
