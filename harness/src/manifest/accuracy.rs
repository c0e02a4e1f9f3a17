//! The `kind: estimator-accuracy` manifest: its schema, defaults and validation.
//!
//! A manifest whose top-level `kind` is `estimator-accuracy` describes the estimator-accuracy
//! experiment instead of a network experiment ([`declared_kind`] tells them apart before either
//! schema is parsed, in [`super::load`]. Like the experiment schema, unknown keys are rejected and every error names
//! the file, the line and the key ([`ManifestError`]).
//!
//! ```yaml
//! kind: estimator-accuracy
//! name: estimators
//! seed: 1
//! estimators: [ksg, tcopula]        # default: all of them
//! k: 3                              # default 3
//! grid:                             # blocks of cells; a cell may appear in one block only
//!   - {n: [500, 2000], dims: [1, 4], rho: [0.6], families: [gaussian, clayton], seeds: 5}
//! figure: {families: [gaussian], rho: 0.6}  # default: the first block's first ρ, and every
//!                                            # family with cells at that ρ
//! ```

use crate::estimators::{Estimator, Family};
use crate::manifest::{check_name, find_key_line, ManifestError, Overrides};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The one value `kind` may take here.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    EstimatorAccuracy,
}

/// The estimator-accuracy experiment, defaults filled in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccuracyManifest {
    pub kind: Kind,
    /// Names the results folder `artifacts/results/<name>/`.
    pub name: String,
    /// Free text for people; not part of the experiment's identity.
    #[serde(default, skip_serializing)]
    pub description: String,
    /// The seed every generated data set derives from.
    pub seed: u64,
    #[serde(default = "default_estimators")]
    pub estimators: Vec<Estimator>,
    /// Neighbours of the kNN estimators.
    #[serde(default = "default_k")]
    pub k: usize,
    pub grid: Vec<Block>,
    /// Which cells the figure shows; filled in from the first block when omitted.
    #[serde(default)]
    pub figure: Option<FigureCells>,
    /// The command line's `--set key=value` applied to the file (for the run record).
    #[serde(skip)]
    pub overrides: Vec<String>,
}

/// A rectangular block of cells: every combination of its lists, each with `seeds` data sets.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Block {
    /// Sample sizes N.
    pub n: Vec<usize>,
    /// Coordinates per side: `4` is 4 + 4.
    pub dims: Vec<usize>,
    /// Correlation of each pair (A_i, B_i), in (−1, 1).
    pub rho: Vec<f64>,
    #[serde(default = "default_families")]
    pub families: Vec<Family>,
    /// Independent data sets per cell.
    pub seeds: usize,
}

/// The figure shows the error of CCE(A|B) against N at this ρ: one row of panels per family,
/// one panel per dimension.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FigureCells {
    pub families: Vec<Family>,
    pub rho: f64,
}

fn default_estimators() -> Vec<Estimator> {
    Estimator::default_report()
}
fn default_k() -> usize {
    3
}
fn default_families() -> Vec<Family> {
    vec![Family::Gaussian]
}

/// The top-level `kind` a manifest declares, if any. Only a readable YAML mapping is looked at;
/// anything else is left to the experiment parser, which reports it.
pub fn declared_kind(text: &str) -> Option<String> {
    let value: serde_yaml::Value = serde_yaml::from_str(text).ok()?;
    match value.get("kind")? {
        serde_yaml::Value::String(s) => Some(s.clone()),
        other => Some(format!("{other:?}")),
    }
}

impl AccuracyManifest {
    pub fn load(path: &Path) -> Result<AccuracyManifest, ManifestError> {
        AccuracyManifest::parse(&super::read(path)?, path)
    }

    /// Parses and validates manifest text; `path` is used in error messages only.
    pub fn parse(text: &str, path: &Path) -> Result<AccuracyManifest, ManifestError> {
        AccuracyManifest::parse_with(text, path, &Overrides::default())
    }

    /// [`AccuracyManifest::parse`] with the command line's `--set` values in the document
    /// (checked like the file's own; `--device` is the loader's business).
    pub fn parse_with(
        text: &str,
        path: &Path,
        overrides: &Overrides,
    ) -> Result<AccuracyManifest, ManifestError> {
        let mut m: AccuracyManifest = crate::manifest::parse_yaml(text, path, overrides)?;
        m.overrides = overrides.shown();
        m.validate().map_err(|(key, message)| ManifestError {
            file: path.to_path_buf(),
            line: key_line(text, &key),
            key: Some(key),
            message,
        })?;
        if m.figure.is_none() {
            let rho = m.grid[0].rho[0];
            let mut families: Vec<Family> = Vec::new();
            for (_, c, _) in m.cells() {
                if c.rho == rho && !families.contains(&c.family) {
                    families.push(c.family);
                }
            }
            m.figure = Some(FigureCells { families, rho });
        }
        Ok(m)
    }

    /// Every (family, ρ, dims, N) cell as (block index, cell, seeds), in manifest order.
    pub fn cells(&self) -> Vec<(usize, Cell, usize)> {
        let mut out = Vec::new();
        for (block, b) in self.grid.iter().enumerate() {
            for &family in &b.families {
                for &rho in &b.rho {
                    for &dims in &b.dims {
                        for &n in &b.n {
                            out.push((
                                block,
                                Cell {
                                    family,
                                    rho,
                                    dims,
                                    n,
                                },
                                b.seeds,
                            ));
                        }
                    }
                }
            }
        }
        out
    }

    /// Values that parse but cannot be run: (dotted key, what is allowed).
    fn validate(&self) -> Result<(), (String, String)> {
        let fail = |key: String, msg: String| Err((key, msg));
        check_name(&self.name).or_else(|msg| fail("name".into(), msg))?;
        if self.estimators.is_empty() {
            return fail("estimators".into(), "list at least one estimator".into());
        }
        if (1..self.estimators.len()).any(|i| self.estimators[..i].contains(&self.estimators[i])) {
            return fail("estimators".into(), "an estimator is listed twice".into());
        }
        if self.k < 1 {
            return fail("k".into(), "k must be at least 1".into());
        }
        if self.grid.is_empty() {
            return fail("grid".into(), "give at least one block of cells".into());
        }
        for (i, b) in self.grid.iter().enumerate() {
            let key = |field: &str| format!("grid[{i}].{field}");
            if b.n.is_empty() || b.dims.is_empty() || b.rho.is_empty() || b.families.is_empty() {
                let field = [
                    ("n", b.n.is_empty()),
                    ("dims", b.dims.is_empty()),
                    ("rho", b.rho.is_empty()),
                    ("families", b.families.is_empty()),
                ]
                .iter()
                .find(|f| f.1)
                .map_or("n", |f| f.0);
                return fail(key(field), "give at least one value".into());
            }
            for &n in &b.n {
                if n <= self.k || n > MAX_N {
                    return fail(
                        key("n"),
                        format!("N = {n}: must be above k = {} and at most {MAX_N}", self.k),
                    );
                }
            }
            for &d in &b.dims {
                if !(1..=MAX_DIMS).contains(&d) {
                    return fail(
                        key("dims"),
                        format!("dims = {d}: coordinates per side must be 1 to {MAX_DIMS}"),
                    );
                }
            }
            for &r in &b.rho {
                if !(r > -1.0 && r < 1.0) {
                    return fail(
                        key("rho"),
                        format!("rho = {r}: a correlation strictly between -1 and 1"),
                    );
                }
            }
            if !(1..=MAX_SEEDS).contains(&b.seeds) {
                return fail(
                    key("seeds"),
                    format!(
                        "seeds = {}: allowed are 1 to {MAX_SEEDS} data sets per cell",
                        b.seeds
                    ),
                );
            }
        }
        let units = self.grid.iter().fold(0usize, |total, b| {
            let cells = [b.families.len(), b.rho.len(), b.dims.len(), b.n.len()]
                .into_iter()
                .fold(1usize, usize::saturating_mul);
            total.saturating_add(
                cells
                    .saturating_mul(b.seeds)
                    .saturating_mul(self.estimators.len()),
            )
        });
        if units > crate::manifest::MAX_UNITS {
            return fail(
                "grid".into(),
                format!(
                    "the grid has {units} units of work (cells × seeds × estimators); at most {} are allowed",
                    crate::manifest::MAX_UNITS
                ),
            );
        }
        let cells = self.cells();
        for (i, (block, c, _)) in cells.iter().enumerate() {
            if cells[..i].iter().any(|(_, d, _)| d == c) {
                return fail(
                    format!("grid[{block}]"),
                    format!(
                        "the cell {} N = {}, {}+{} dims, rho = {} appears twice",
                        c.family, c.n, c.dims, c.dims, c.rho
                    ),
                );
            }
        }
        if let Some(f) = &self.figure {
            if f.families.is_empty() {
                return fail("figure".into(), "list at least one family".into());
            }
            for family in &f.families {
                if !cells
                    .iter()
                    .any(|(_, c, _)| c.family == *family && c.rho == f.rho)
                {
                    return fail(
                        "figure".into(),
                        format!(
                            "no cell of the grid has family {family} and rho = {}",
                            f.rho
                        ),
                    );
                }
            }
        }
        Ok(())
    }
}

/// Largest N accepted (memory stays O(N·d), but a cell of ten million points is a typo).
const MAX_N: usize = 1_000_000;
/// Largest number of data sets per cell.
const MAX_SEEDS: usize = 10_000;
/// Largest dimension per side accepted.
const MAX_DIMS: usize = 64;

/// One cell of the grid: a family, a strength, a dimension per side and a sample size.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Cell {
    pub family: Family,
    pub rho: f64,
    pub dims: usize,
    pub n: usize,
}

/// The line of a key like `grid[2].rho` (the `rho:` of the third block).
fn key_line(text: &str, key: &str) -> Option<usize> {
    find_key_line(text, &[key])
}
