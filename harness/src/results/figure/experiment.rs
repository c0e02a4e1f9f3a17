//! The figure of a network experiment: its title and provenance, and its two panels
//! (generalization error and the main estimator's CCE against n/P, with the theory of SPEC §5
//! where it applies, and the CCE's bound 0 drawn).

use super::{Figure, Panel, Provenance, Series};
use crate::manifest::{Manifest, Task};
use crate::models::{theory, Model};
use crate::plan::{Level, Plan};
use crate::results::tables::SummaryRow;
use crate::results::warnings::CCE_BOUND;
use crate::train::Train;
use anyhow::Result;

/// The figure's SVG and PNG bytes.
pub fn render(manifest: &Manifest, plan: &Plan, rows: &[SummaryRow]) -> Result<(Vec<u8>, Vec<u8>)> {
    super::render_figure(&Figure {
        title: title(manifest, plan),
        x_label: "n / P".into(),
        rows: vec![panels(manifest, plan, rows)],
        provenance: Some(provenance(manifest, plan)),
    })
}

/// What the figure names as its origin: the manifest's hash, seed and overrides.
pub fn provenance(manifest: &Manifest, plan: &Plan) -> Provenance {
    Provenance {
        manifest_sha256: plan.manifest_hash.clone(),
        seed: manifest.seed,
        overrides: manifest.overrides.clone(),
    }
}

/// The figure of an experiment with `sweep.over`: one row of the two panels per combination,
/// each panel's title led by the combination's values; the rows share each column's y range.
pub fn render_parts(
    manifest: &Manifest,
    plan: &Plan,
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
        "{}: {} replicas × {} members, one row per combination of {} (rows share y axes)",
        manifest.name,
        manifest.sweep.replicas,
        manifest.sweep.members,
        swept.join(", ")
    );
    super::render_figure(&Figure {
        title,
        x_label: "n / P".into(),
        rows,
        provenance: Some(provenance(manifest, plan)),
    })
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
/// where it applies. In a comparison the CCE series are CCE(network | the other), each at its
/// own network's n/P (the panel's note says so). The CCE panel draws its bound, 0.
pub fn panels(manifest: &Manifest, plan: &Plan, rows: &[SummaryRow]) -> Vec<Panel> {
    let main = manifest.alignment.estimator;
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
                    .filter_map(|r| {
                        r.cce
                            .get(main.name())
                            .map(|e| (r.point.n_over_p, e.mean, e.se))
                    })
                    .collect(),
                theory: dense(&|n| theory::cce(d, n, snr)),
            });
        }
    }
    let compared = networks.len() > 1;
    let error = if classification {
        "test error on clean labels"
    } else {
        "excess risk"
    };
    let estimator = if main.is_knn() {
        format!("{main}, k = {}", manifest.alignment.k)
    } else {
        main.to_string()
    };
    vec![
        Panel {
            title: format!("(a) generalization error: {error}"),
            y_label: error.into(),
            log_x: compared,
            log_y: !classification,
            series: gen_series,
            bound: None,
            note: compared.then(|| {
                "x: each network at its own n/P (the same data sets, divided by each \
                 network's own P)"
                    .to_string()
            }),
        },
        Panel {
            title: format!("(b) alignment: CCE ({estimator})"),
            y_label: "CCE (nats), lower = more aligned".into(),
            log_x: compared,
            log_y: false,
            series: cce_series,
            bound: Some(CCE_BOUND),
            note: compared.then(|| {
                "x: each direction at its own network's n/P, so the two directions of one \
                 pair (the same two fits) sit at different x"
                    .to_string()
            }),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::plan;
    use std::path::Path;

    fn manifest(extra: &str) -> Manifest {
        let text = format!(
            "name: r\nseed: 3\ntask: {{kind: linear-teacher, d: 5, n_test: 50}}\n\
             model: {{kind: relu2, width: 3}}\ntrain: {{solver: adam, max_steps: 100}}\n\
             sweep: {{snr: [1, 4], n_over_p: [0.5, 1, 2], replicas: 2, members: 2}}\n{extra}"
        );
        Manifest::parse(&text, Path::new("r.yaml")).unwrap()
    }

    /// Each panel's title names the quantity its y axis reads; k appears only for an
    /// estimator that takes it; the CCE panel carries its bound; a comparison's panels say
    /// why its networks sit at different x.
    #[test]
    fn titles_agree_with_their_axes_and_name_only_what_applies() {
        let m = manifest("alignment: {estimator: ksg, report: [ksg, gaussian], k: 5}\n");
        let p = plan(&m);
        let [a, b] = <[Panel; 2]>::try_from(panels(&m, &p, &[])).unwrap();
        assert!(a.title.ends_with(&a.y_label), "{} / {}", a.title, a.y_label);
        assert_eq!(a.y_label, "excess risk");
        assert!(b.title.contains("(ksg, k = 5)"), "{}", b.title);
        assert_eq!(b.bound, Some(CCE_BOUND));
        assert_eq!(a.bound, None);
        assert!(a.note.is_none() && b.note.is_none());
        let g = manifest("alignment: {estimator: gaussian, report: [gaussian], k: 5}\n");
        let b = panels(&g, &plan(&g), &[]).remove(1);
        assert!(
            b.title.contains("(gaussian)") && !b.title.contains("k ="),
            "{}",
            b.title
        );
        let c = manifest("compare: {model: {kind: linear2}, train: {solver: min-norm}}\n");
        let both = panels(&c, &plan(&c), &[]);
        assert!(both.iter().all(|p| p.log_x));
        let note = both[1].note.as_deref().unwrap();
        assert!(note.contains("two directions of one pair") && note.contains("different x"));
        assert!(both[0].note.as_deref().unwrap().contains("its own n/P"));
    }

    #[test]
    fn the_provenance_is_the_manifest_s_hash_seed_and_overrides() {
        let mut m = manifest("");
        m.overrides = vec!["model.width=3".into()];
        let p = plan(&m);
        let prov = provenance(&m, &p);
        assert_eq!(prov.manifest_sha256, p.manifest_hash);
        assert_eq!(
            (prov.seed, prov.overrides),
            (3, vec!["model.width=3".to_string()])
        );
    }
}
