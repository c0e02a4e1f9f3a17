//! The figure of a network experiment: its title and its two panels (generalization error and
//! the main estimator's CCE against n/P, with the theory of SPEC §5 where it applies).

use super::{Panel, Series};
use crate::manifest::{Manifest, Task};
use crate::models::{theory, Model};
use crate::plan::{Level, Plan};
use crate::results::tables::SummaryRow;
use crate::train::Train;
use anyhow::Result;
use plotters::chart::SeriesLabelPosition;

/// The figure's SVG and PNG bytes.
pub fn render(manifest: &Manifest, plan: &Plan, rows: &[SummaryRow]) -> Result<(Vec<u8>, Vec<u8>)> {
    super::render(
        &title(manifest, plan),
        "n / P",
        &panels(manifest, plan, rows),
    )
}

/// The figure of an experiment with `sweep.over`: one row of the two panels per combination,
/// each panel's title led by the combination's values.
pub fn render_parts(
    manifest: &Manifest,
    parts: &[crate::results::parts::Part<'_>],
) -> Result<(Vec<u8>, Vec<u8>)> {
    let rows: Vec<Vec<Panel>> = parts
        .iter()
        .map(|p| {
            let label = p.label();
            panels(p.manifest, p.plan, &p.rows)
                .into_iter()
                .map(|panel| Panel {
                    title: format!("{label}: {}", panel.title),
                    ..panel
                })
                .collect()
        })
        .collect();
    let swept: Vec<&str> = manifest.sweep.over.keys().map(String::as_str).collect();
    let title = format!(
        "{}: {} replicas × {} members, one row per combination of {}",
        manifest.name,
        manifest.sweep.replicas,
        manifest.sweep.members,
        swept.join(", ")
    );
    super::render_rows(&title, "n / P", &rows)
}

/// The figure's title: the experiment, its networks, d and the ensemble sizes.
pub fn title(manifest: &Manifest, plan: &Plan) -> String {
    if let Task::Classification {
        dataset, pairing, ..
    } = &manifest.task
    {
        let model = manifest.model.network().describe();
        return format!(
            "{}: {model} on {dataset} with label noise (same initialization, {}), {} replicas × {} members",
            manifest.name,
            pairing.name(),
            manifest.sweep.replicas,
            manifest.sweep.members
        );
    }
    let d = plan.d().unwrap_or(0);
    let network = |model: &Model, train: &Train| -> String {
        format!("{} {}", model.network().describe(), train.describe())
    };
    let what = match &manifest.compare {
        None => network(&manifest.model, &manifest.train),
        Some(c) => format!(
            "{} vs {} on the same data",
            manifest.model.name(),
            c.model.name()
        ),
    };
    format!(
        "{}: {what}, d = {d}, {} replicas × {} members",
        manifest.name, manifest.sweep.replicas, manifest.sweep.members
    )
}

/// The two panels: generalization error (log scale) and the main estimator's CCE, one
/// series per (network, SNR) at the network's own n/P, with the theory of SPEC §5 as lines
/// where it applies. In a comparison the CCE series are CCE(network | the other).
pub fn panels(manifest: &Manifest, plan: &Plan, rows: &[SummaryRow]) -> Vec<Panel> {
    let main = manifest.alignment.estimator.name();
    let d = plan.d().unwrap_or(0);
    let classification = matches!(manifest.task, Task::Classification { .. });
    let networks = &plan.networks;
    let has_theory = rows.iter().any(|r| r.theory_cce.is_some());
    let mut gen_series = Vec::new();
    let mut cce_series = Vec::new();
    for (net, network) in networks.iter().enumerate() {
        let (model, p) = (&network.model, network.p);
        let (gen_label, cce_label) = match networks.len() {
            1 => (String::new(), String::new()),
            _ => {
                let other = networks[1 - net].model.name();
                (
                    format!("{} ", model.name()),
                    format!("CCE({} | {other}) ", model.name()),
                )
            }
        };
        for &level in &plan.levels {
            let snr = level.value();
            let mine: Vec<&SummaryRow> = rows
                .iter()
                .filter(|r| r.network == net && r.point.level == level)
                .collect();
            let max_n = mine.iter().map(|r| r.point.n).max().unwrap_or(1);
            let dense = |f: &dyn Fn(usize) -> Option<f64>| -> Vec<(f64, f64)> {
                if !has_theory || !matches!(level, Level::Snr(_)) {
                    return Vec::new();
                }
                (1..=max_n)
                    .map(|n| (n as f64 / p as f64, f(n).unwrap_or(f64::NAN)))
                    .collect()
            };
            gen_series.push(Series {
                label: format!("{gen_label}{}", level.label()),
                points: mine
                    .iter()
                    .map(|r| (r.point.n_over_p, r.gen_error.mean, r.gen_error.se))
                    .collect(),
                theory: dense(&|n| theory::gen_error(d, n, snr)),
            });
            cce_series.push(Series {
                label: format!("{cce_label}{}", level.label()),
                points: mine
                    .iter()
                    .filter_map(|r| r.cce.get(main).map(|e| (r.point.n_over_p, e.mean, e.se)))
                    .collect(),
                theory: dense(&|n| theory::cce(d, n, snr)),
            });
        }
    }
    let theory_note = if has_theory {
        "; lines: theory (SPEC §5)"
    } else {
        ""
    };
    let x_note = if networks.len() > 1 {
        " (each network at its own P)"
    } else {
        ""
    };
    vec![
        Panel {
            title: format!("(a) generalization error{theory_note}{x_note}"),
            y_label: if classification {
                "test error on clean labels".into()
            } else {
                "excess risk".into()
            },
            log_x: networks.len() > 1,
            log_y: !classification,
            legend: SeriesLabelPosition::UpperRight,
            series: gen_series,
        },
        Panel {
            title: format!(
                "(b) alignment: CCE ({main}, k = {}){theory_note}",
                manifest.alignment.k
            ),
            y_label: "CCE (nats), lower = more aligned".into(),
            log_x: networks.len() > 1,
            log_y: false,
            legend: SeriesLabelPosition::LowerMiddle,
            series: cce_series,
        },
    ]
}
