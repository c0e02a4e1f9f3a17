//! What `harness check` prints and writes: the report (tier and why first, then the tier's
//! findings, then the verdict line), `check.csv` (tier 3's every point: which points differ),
//! `check_units.csv` (tier 1's every value that differs at all) and `check.json` (the verdict,
//! the tier and the numbers the report page shows).

use super::paired::{percent, Paired};
use super::points::{point_name, PointCheck};
use super::replicas::Provenance;
use super::science::{Science, RESAMPLES};
use super::stats::Sample;
use super::{short, CheckReport, Combination, Outcome};
use crate::results::tables::{cell, with_variant_columns};
use anyhow::Result;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

/// The files `check` writes beside the run's results: every point, every differing unit
/// value, and the verdict.
pub const FILE: &str = "check.csv";
pub const UNITS_FILE: &str = "check_units.csv";
pub const VERDICT_FILE: &str = "check.json";

/// Lines of a list shown in the terminal before "… and N more".
const SHOWN: usize = 10;

fn prov(p: &Provenance) -> String {
    format!(
        "manifest sha256 {}…, algorithm {}, device {}, harness {}",
        &p.manifest_sha256[..12.min(p.manifest_sha256.len())],
        p.algorithm_version,
        p.device,
        p.harness_version
    )
}

fn label(c: &Combination) -> String {
    c.values
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The report `harness check` prints.
pub fn table(report: &CheckReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: {} against {}",
        report.experiment,
        report.run_dir.display(),
        report.reference_dir.display()
    );
    for c in &report.combinations {
        if !c.values.is_empty() {
            let _ = writeln!(out, "[{}]", label(c));
        }
        let t = c.choice.tier;
        let _ = writeln!(out, "  tier {}: {}", t.number(), t.question());
        let _ = writeln!(out, "    why: {}", c.choice.why);
        let _ = writeln!(out, "  run:       {}", prov(&c.run));
        let _ = writeln!(out, "  reference: {}", prov(&c.reference));
        if c.bit_identical {
            let _ = writeln!(
                out,
                "  bit-identical: every reference file is byte-equal to the run's; no statistics needed"
            );
        } else {
            if let Some(p) = &c.paired {
                paired_table(&mut out, p);
            }
            if let Some(s) = &c.science {
                science_table(&mut out, s);
            }
            points_table(&mut out, c, c.choice.tier == super::tier::Tier::Points);
        }
        if !c.values.is_empty() {
            let _ = writeln!(out, "  {} [{}]: {}", c.outcome.name(), label(c), c.reason);
        }
    }
    let _ = writeln!(
        out,
        "{} {}: {}",
        report.outcome.name(),
        report.experiment,
        report.reason
    );
    out
}

fn paired_table(out: &mut String, p: &Paired) {
    let _ = writeln!(out, "  tolerance: {}", p.tolerance);
    let _ = writeln!(
        out,
        "  {:<16} {:>7} {:>7} {:>8} {:>12} {:>10}",
        "quantity", "values", "differ", "outside", "largest |Δ|", "in SD"
    );
    for q in &p.per_quantity {
        let _ = writeln!(
            out,
            "  {:<16} {:>7} {:>7} {:>8} {:>12} {:>10}",
            q.quantity,
            q.values,
            q.values - q.identical,
            q.outside,
            short(q.max_diff),
            short(q.max_in_sd)
        );
    }
    let _ = writeln!(
        out,
        "  units outside the tolerance: {} of {} ({})",
        p.units_outside,
        p.units,
        percent(100.0 * p.units_outside as f64 / p.units.max(1) as f64)
    );
    for d in p.outside.iter().take(SHOWN) {
        let _ = writeln!(out, "    {}", d.describe());
    }
    if p.outside.len() > SHOWN {
        let _ = writeln!(
            out,
            "    … and {} more (check_units.csv)",
            p.outside.len() - SHOWN
        );
    }
    for u in p.unpaired.iter().take(SHOWN) {
        let _ = writeln!(out, "    {u}");
    }
}

fn science_table(out: &mut String, s: &Science) {
    let _ = writeln!(
        out,
        "  claims (each side's verdict, and the share of its {RESAMPLES} resamples of {} + {} replicas that keep it):",
        s.run_replicas, s.reference_replicas
    );
    for c in &s.claims {
        let _ = writeln!(
            out,
            "    {:<12} reference {:<4} {:>4.0} %  rerun {:<6} {:>4.0} %  {}",
            c.name(),
            c.reference,
            100.0 * c.reference_same,
            c.run,
            100.0 * c.run_same,
            match (c.robust(), c.run == c.reference) {
                (true, true) => "robust, same",
                (true, false) if c.flipped() => "robust, DIFFERS",
                (true, false) => "robust, differs but the rerun does not decide it",
                (false, true) => "fragile on the reference, same",
                (false, false) => "fragile on the reference, differs (not counted)",
            }
        );
    }
    if !s.effects.is_empty() {
        let _ = writeln!(
            out,
            "  effects of the claims (± bootstrap SD; the rerun's may fall below the reference's by at most the margin):"
        );
    }
    for e in &s.effects {
        let _ = writeln!(
            out,
            "    {:<12} {:<20} rerun {} ± {}, reference {} ± {} {} (mean over curves), margin {}{}",
            e.outcome.map_or("not tested", Outcome::name),
            e.name,
            short(e.run),
            short(e.run_sd),
            short(e.reference),
            short(e.reference_sd),
            e.unit,
            short(e.margin),
            if e.note.is_empty() {
                String::new()
            } else {
                format!("; {}", e.note)
            }
        );
        let parts: Vec<String> = e
            .parts
            .iter()
            .map(|(label, run, reference)| {
                format!("{label} {} vs {}", short(*run), short(*reference))
            })
            .collect();
        let _ = writeln!(
            out,
            "      rerun vs reference per curve: {}",
            parts.join(", ")
        );
    }
    for b in &s.bands {
        let beyond = b.beyond().len();
        let inside = b.points.iter().filter(|p| p.inside()).count();
        let _ = writeln!(
            out,
            "  curve {}: {}{}: {} of {} points beyond the margin, {} inside it",
            b.quantity,
            b.method,
            if b.critical.is_finite() {
                format!(", c = {}", short(b.critical))
            } else {
                String::new()
            },
            beyond,
            b.points.len(),
            inside
        );
    }
}

fn points_table(out: &mut String, c: &Combination, deciding: bool) {
    let mut quantities: BTreeMap<&str, [usize; 3]> = BTreeMap::new();
    for p in &c.points.points {
        let q = quantities.entry(p.quantity.as_str()).or_default();
        q[match p.outcome {
            Outcome::Pass => 0,
            Outcome::Fail => 1,
            Outcome::Inconclusive => 2,
        }] += 1;
    }
    if !deciding {
        let sum = |i: usize| quantities.values().map(|q| q[i]).sum::<usize>();
        let _ = writeln!(
            out,
            "  tier 3 detail ({}): points {} PASS, {} FAIL, {} INCONCLUSIVE",
            FILE,
            sum(0),
            sum(1),
            sum(2)
        );
        return;
    }
    let _ = writeln!(
        out,
        "  {:<14} {:>5} {:>5} {:>13}",
        "quantity", "PASS", "FAIL", "INCONCLUSIVE"
    );
    for (q, [p, f, i]) in &quantities {
        let _ = writeln!(out, "  {q:<14} {p:>5} {f:>5} {i:>13}");
    }
    let shown: Vec<&PointCheck> = c
        .points
        .points
        .iter()
        .filter(|p| p.decides_claim || p.outcome == Outcome::Fail)
        .collect();
    if !shown.is_empty() {
        let _ = writeln!(
            out,
            "  claim-deciding and failing points (run − reference, 90 % interval, margin δ):"
        );
        for p in shown {
            let _ = writeln!(
                out,
                "    {:<12} {:<13} {:<42} diff {:>10} [{}, {}] δ {:<9} {}",
                p.outcome.name(),
                p.quantity,
                point_name(p),
                short(p.diff),
                short(p.interval.0),
                short(p.interval.1),
                short(p.margin),
                p.note
            );
        }
    }
    for cl in &c.points.claims {
        let same = if cl.run == cl.reference {
            "same"
        } else {
            "DIFFERS"
        };
        let _ = writeln!(
            out,
            "  claim {}: run {} / reference {} ({same})",
            cl.claim, cl.run, cl.reference
        );
    }
}

/// `check.csv` of one combination: one row per (point, quantity).
fn points_csv(c: &Combination) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        c.level_column.as_str(),
        "n",
        "n_over_p",
        "model",
        "quantity",
        "decides_claim",
        "method",
        "verdict",
        "run_replicas",
        "run_mean",
        "run_sd",
        "reference_replicas",
        "reference_mean",
        "reference_sd",
        "diff",
        "ci90_low",
        "ci90_high",
        "margin",
        "smallest_passable_margin",
        "tost_p",
        "minimum_effect_p",
        "replicas_for_80pct_pass",
        "note",
    ])?;
    let num = |v: f64| cell(Some(v));
    for p in &c.points.points {
        let side = |s: Option<Sample>| match s {
            Some(s) => [s.n.to_string(), num(s.mean), num(s.sd)],
            None => [String::new(), String::new(), String::new()],
        };
        let mut row = vec![
            p.point.level.clone(),
            p.point.n.to_string(),
            num(p.n_over_p),
            p.point.model.clone(),
            p.quantity.clone(),
            p.decides_claim.to_string(),
            p.method.name().to_string(),
            p.outcome.name().to_string(),
        ];
        row.extend(side(p.run));
        row.extend(side(p.reference));
        row.extend([
            num(p.diff),
            num(p.interval.0),
            num(p.interval.1),
            num(p.margin),
            num(p.smallest_margin),
            num(p.tost_p),
            num(p.minimum_effect_p),
            p.replicas_needed.map_or(String::new(), |n| n.to_string()),
            p.note.clone(),
        ]);
        w.write_record(&row)?;
    }
    Ok(w.into_inner()?)
}

/// `check_units.csv` of one combination: every unit value that differs at all, with its
/// tolerance and its size in seed-to-seed SDs.
fn units_csv(c: &Combination, differing: &[super::paired::Deviation]) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let header = std::iter::once(c.level_column.as_str())
        .chain(super::units::KEYS)
        .chain([
            "quantity",
            "run",
            "reference",
            "abs_diff",
            "tolerance",
            "seed_sd",
            "diff_in_sd",
            "within",
        ]);
    w.write_record(header)?;
    for d in differing {
        w.write_record(d.unit.cells().into_iter().chain([
            d.quantity.clone(),
            cell(Some(d.run)),
            cell(Some(d.reference)),
            cell(Some(d.diff)),
            cell(Some(d.tolerance)),
            cell(Some(d.sd)),
            cell(Some(d.in_sd())),
            d.within().to_string(),
        ]))?;
    }
    Ok(w.into_inner()?)
}

fn prov_json(p: &Provenance) -> serde_json::Value {
    serde_json::json!({
        "manifest_sha256": p.manifest_sha256,
        "algorithm_version": p.algorithm_version,
        "device": p.device,
        "harness_version": p.harness_version,
    })
}

fn num_json(v: f64) -> serde_json::Value {
    if v.is_finite() {
        v.into()
    } else {
        serde_json::Value::Null
    }
}

fn combination_json(c: &Combination) -> serde_json::Value {
    let count = |o: Outcome| c.points.points.iter().filter(|p| p.outcome == o).count();
    let mut j = serde_json::json!({
        "values": c.values.iter().map(|(k, v)| serde_json::json!({"key": k, "value": v})).collect::<Vec<_>>(),
        "tier": c.choice.tier.number(),
        "tier_forced": c.choice.forced,
        "tier_why": c.choice.why,
        "verdict": c.outcome.name(),
        "reason": c.reason,
        "bit_identical": c.bit_identical,
        "run": prov_json(&c.run),
        "reference": prov_json(&c.reference),
        "points": {"pass": count(Outcome::Pass), "fail": count(Outcome::Fail), "inconclusive": count(Outcome::Inconclusive)},
        "claims": c.points.claims.iter().map(|cl| serde_json::json!({"claim": cl.claim, "run": cl.run, "reference": cl.reference})).collect::<Vec<_>>(),
    });
    if let Some(p) = &c.paired {
        j["units"] = serde_json::json!({
            "devices": p.devices.name(),
            "units": p.units,
            "members": p.members,
            "units_outside": p.units_outside,
            "values": p.values,
            "values_differ": p.values_differ,
            "largest": p.largest.as_ref().map(|d| d.describe()),
            "largest_in_sd": p.largest.as_ref().map_or(serde_json::Value::Null, |d| num_json(d.in_sd())),
        });
    }
    if let Some(s) = &c.science {
        j["science"] = serde_json::json!({
            "run_replicas": s.run_replicas,
            "reference_replicas": s.reference_replicas,
            "resamples": RESAMPLES,
            "claims": s.claims.iter().map(|cl| serde_json::json!({
                "claim": cl.name(), "reference": cl.reference, "run": cl.run,
                "reference_same": num_json(cl.reference_same), "run_same": num_json(cl.run_same),
                "robust": cl.robust(),
            })).collect::<Vec<_>>(),
            "effects": s.effects.iter().map(|e| serde_json::json!({
                "effect": e.name, "claims": e.claims, "unit": e.unit,
                "parts": e.parts.iter().map(|(l, a, b)| serde_json::json!({"on": l, "run": num_json(*a), "reference": num_json(*b)})).collect::<Vec<_>>(),
                "reference": num_json(e.reference), "run": num_json(e.run),
                "reference_sd": num_json(e.reference_sd), "run_sd": num_json(e.run_sd),
                "margin": num_json(e.margin),
                "verdict": e.outcome.map(Outcome::name),
                "replicas_for_80pct_pass": e.replicas_needed,
                "note": e.note,
            })).collect::<Vec<_>>(),
            "bands": s.bands.iter().map(|b| serde_json::json!({
                "quantity": b.quantity, "method": b.method, "critical": num_json(b.critical),
                "points": b.points.len(), "beyond": b.beyond().len(),
                "inside": b.points.iter().filter(|p| p.inside()).count(),
                "verdict": b.outcome.name(),
            })).collect::<Vec<_>>(),
        });
    }
    j
}

/// `check.json`: the experiment's verdict, why, its tier(s), and per combination the numbers
/// (what the report page shows). The first combination's tier, provenance and point counts
/// are repeated at the top level.
pub fn verdict_json(report: &CheckReport) -> serde_json::Value {
    let combos: Vec<serde_json::Value> = report.combinations.iter().map(combination_json).collect();
    let first = combos.first().cloned().unwrap_or_default();
    let mut tiers: Vec<u8> = report
        .combinations
        .iter()
        .map(|c| c.choice.tier.number())
        .collect();
    tiers.sort_unstable();
    tiers.dedup();
    let sum = |k: &str| {
        combos
            .iter()
            .map(|c| c["points"][k].as_u64().unwrap_or(0))
            .sum::<u64>()
    };
    serde_json::json!({
        "experiment": report.experiment,
        "verdict": report.outcome.name(),
        "reason": report.reason,
        "tier": tiers.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(", "),
        "tier_question": match report.combinations.as_slice() {
            [one] => one.choice.tier.question(),
            _ => "",
        },
        "tier_why": first["tier_why"],
        "bit_identical": report.combinations.iter().all(|c| c.bit_identical),
        "against": report.reference_dir.display().to_string(),
        "run": first["run"],
        "reference": first["reference"],
        "points": {"pass": sum("pass"), "fail": sum("fail"), "inconclusive": sum("inconclusive")},
        "claims": first["claims"],
        "combinations": combos,
    })
}

/// Writes `check.csv`, `check.json` and, after a tier-1 comparison, `check_units.csv` (an
/// older one is removed otherwise) into the run's results folder; returns the CSV's path.
pub fn write(report: &CheckReport) -> Result<PathBuf> {
    let parts: Vec<(&[(String, String)], Vec<u8>)> = report
        .combinations
        .iter()
        .map(|c| Ok((c.values.as_slice(), points_csv(c)?)))
        .collect::<Result<_>>()?;
    let csv_path = report.run_dir.join(FILE);
    crate::cache::write_atomic(&csv_path, &with_variant_columns(&parts)?)?;
    let units: Vec<(&[(String, String)], Vec<u8>)> = report
        .combinations
        .iter()
        .filter_map(|c| {
            let p = c.paired.as_ref()?;
            Some(units_csv(c, &p.differing).map(|b| (c.values.as_slice(), b)))
        })
        .collect::<Result<_>>()?;
    let units_path = report.run_dir.join(UNITS_FILE);
    if units.is_empty() {
        if units_path.exists() {
            std::fs::remove_file(&units_path)?;
        }
    } else {
        crate::cache::write_atomic(&units_path, &with_variant_columns(&units)?)?;
    }
    crate::cache::write_atomic(
        &report.run_dir.join(VERDICT_FILE),
        serde_json::to_string_pretty(&verdict_json(report))?.as_bytes(),
    )?;
    Ok(csv_path)
}
