//! The figure of the estimator-accuracy experiment: the bias of CCE(A|B) against log10 N, one
//! panel per dimension of the chosen (family, ρ).

use super::{Panel, Series};
use crate::manifest::accuracy::AccuracyManifest;
use crate::results::accuracy::{AccuracyRow, Quantity};
use anyhow::Result;

/// The figure's SVG and PNG bytes.
pub fn render(m: &AccuracyManifest, rows: &[AccuracyRow]) -> Result<(Vec<u8>, Vec<u8>)> {
    let f = m.figure.expect("parse fills in the figure cells");
    let title = format!(
        "{}: bias of CCE(A|B) vs N, {} copula, rho = {} per pair, k = {} (bars: ± 1 sd)",
        m.name, f.family, f.rho, m.k
    );
    super::render(&title, "log10 N", &panels(m, rows))
}

/// One panel per dimension of the figure's (family, ρ): bias of CCE(A|B) against log10 N, one
/// colour per estimator, bars ± one sd over the data sets.
pub fn panels(m: &AccuracyManifest, rows: &[AccuracyRow]) -> Vec<Panel> {
    let f = m.figure.expect("parse fills in the figure cells");
    let shown: Vec<&AccuracyRow> = rows
        .iter()
        .filter(|r| {
            r.quantity == Quantity::CceAGivenB && r.cell.family == f.family && r.cell.rho == f.rho
        })
        .collect();
    let mut dims: Vec<usize> = shown.iter().map(|r| r.cell.dims).collect();
    dims.sort_unstable();
    dims.dedup();
    dims.iter()
        .map(|&d| {
            let truth = shown
                .iter()
                .find(|r| r.cell.dims == d)
                .map_or(f64::NAN, |r| r.truth);
            Panel {
                title: format!("{d} + {d} dims (true CCE {truth:.3})"),
                y_label: "bias of CCE(A|B), nats".into(),
                log_x: false,
                log_y: false,
                series: m
                    .estimators
                    .iter()
                    .map(|&e| Series {
                        label: e.to_string(),
                        points: shown
                            .iter()
                            .filter(|r| r.cell.dims == d && r.estimator == e)
                            .map(|r| ((r.cell.n as f64).log10(), r.bias, r.sd))
                            .collect(),
                        theory: Vec::new(),
                    })
                    .collect(),
                bound: None,
                note: None,
            }
        })
        .collect()
}
