//! The figure of the estimator-accuracy experiment: the RMSE of CCE(A|B) against N, both on log
//! axes (the estimators' errors span three decades: `ksg` at 16 + 16 dims is off by 8 nats,
//! the closed forms by hundredths), one row of panels per family of the figure's ρ, one panel
//! per dimension, one colour per estimator, named in each panel's legend strip beside its plot
//! (so that it covers no point). The signed bias and the spread are in
//! `accuracy.csv` and `accuracy_wide.csv`.

use super::{Panel, Series};
use crate::manifest::accuracy::AccuracyManifest;
use crate::results::accuracy::{AccuracyRow, Quantity};
use anyhow::Result;

/// The figure's SVG and PNG bytes; `manifest_sha256` is the experiment's hash, named under the
/// title with the seed and the overrides (and in the files' metadata).
pub fn render(
    m: &AccuracyManifest,
    manifest_sha256: &str,
    rows: &[AccuracyRow],
) -> Result<(Vec<u8>, Vec<u8>)> {
    let f = m.figure.as_ref().expect("parse fills in the figure cells");
    let title = format!(
        "{}: RMSE of CCE(A|B) vs N, rho = {} per pair, k = {} ({} data sets per point)",
        m.name,
        f.rho,
        m.k,
        seeds_shown(m, rows)
    );
    super::render_figure(&super::Figure {
        title,
        x_label: "N (log scale)".into(),
        rows: panels(m, rows),
        provenance: Some(super::provenance::Provenance {
            manifest_sha256: manifest_sha256.to_string(),
            seed: m.seed,
            overrides: m.overrides.clone(),
        }),
    })
}

/// The data sets per point, as one number or a range ("3-5").
fn seeds_shown(m: &AccuracyManifest, rows: &[AccuracyRow]) -> String {
    let seeds: Vec<usize> = shown(m, rows).iter().map(|r| r.seeds).collect();
    let (lo, hi) = (
        seeds.iter().copied().min().unwrap_or(0),
        seeds.iter().copied().max().unwrap_or(0),
    );
    if lo == hi {
        lo.to_string()
    } else {
        format!("{lo}-{hi}")
    }
}

/// The CCE(A|B) rows of the figure's families at its ρ.
fn shown<'a>(m: &AccuracyManifest, rows: &'a [AccuracyRow]) -> Vec<&'a AccuracyRow> {
    let f = m.figure.as_ref().expect("parse fills in the figure cells");
    rows.iter()
        .filter(|r| {
            r.quantity == Quantity::CceAGivenB
                && f.families.contains(&r.cell.family)
                && r.cell.rho == f.rho
        })
        .collect()
}

/// One row of panels per family of the figure, one panel per dimension: RMSE of CCE(A|B)
/// against N, one series per estimator (in the manifest's order), named by the estimator.
pub fn panels(m: &AccuracyManifest, rows: &[AccuracyRow]) -> Vec<Vec<Panel>> {
    let f = m.figure.as_ref().expect("parse fills in the figure cells");
    let shown = shown(m, rows);
    f.families
        .iter()
        .map(|&family| {
            let mine: Vec<&AccuracyRow> = shown
                .iter()
                .copied()
                .filter(|r| r.cell.family == family)
                .collect();
            let mut dims: Vec<usize> = mine.iter().map(|r| r.cell.dims).collect();
            dims.sort_unstable();
            dims.dedup();
            dims.iter()
                .map(|&d| {
                    let truth = mine
                        .iter()
                        .find(|r| r.cell.dims == d)
                        .map_or(f64::NAN, |r| r.truth);
                    Panel {
                        title: format!("{family}, {d}+{d}: true CCE {truth:.2}"),
                        y_label: "RMSE of CCE(A|B), nats".into(),
                        log_x: true,
                        log_y: true,
                        series: m
                            .estimators
                            .iter()
                            .map(|&e| Series {
                                label: e.to_string(),
                                points: mine
                                    .iter()
                                    .filter(|r| r.cell.dims == d && r.estimator == e)
                                    .map(|r| (r.cell.n as f64, r.rmse, f64::NAN))
                                    .collect(),
                                theory: Vec::new(),
                            })
                            .collect(),
                        bound: None,
                        note: None,
                    }
                })
                .collect()
        })
        .collect()
}
