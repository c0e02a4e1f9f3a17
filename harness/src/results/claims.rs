//! The paper's claims (SPEC §1) as checks on a summary, under three rule sets: v1 (this
//! module, kept exactly as first written), v2 ([`v2`], pre-registered before the confirmatory
//! runs of issue 15) and v3 ([`v3`], effect sizes; docs/SPEC.md §7). All are reported side by
//! side ([`Verdicts`], [`judge`]), each verdict with its robustness over bootstrap draws of the
//! replicas ([`robustness`]); a v3 verdict below 0.9 reads UNDECIDED, with the replicas per
//! point that would decide it ([`power`]). What every rule reads is in [`data`], from a run or
//! from a results folder's CSV files alone.
//!
//! Each curve is one noise level; `signal` orders the levels from the noisiest to the
//! cleanest (SNR ascending, or label noise descending). Alignment is the main estimator's
//! mean CCE (lower = more aligned). The rules, ours, are written in each check's doc comment
//! and in the README; every verdict carries the numbers it was decided on. The curves come
//! from a summary by [`claim_groups`]; `claims.csv` is written by [`claims_csv`].

use crate::manifest::Manifest;
use crate::plan::Plan;
use crate::results::tables::{Estimate, SummaryRow};
use anyhow::Result;

pub mod data;
pub mod power;
pub mod power_table;
pub mod robustness;
pub mod sensitivity;
pub mod v2;
pub mod v3;

/// One sweep point as the claims see it.
#[derive(Clone, Copy, Debug)]
pub struct ClaimPoint {
    pub n_over_p: f64,
    pub cce: Estimate,
    pub gen_error: Estimate,
}

/// The points of one noise level, in increasing n/P.
#[derive(Clone, Debug)]
pub struct Curve {
    /// How the level is shown, e.g. `snr=2`.
    pub label: String,
    /// Larger is cleaner (SNR, or −label noise).
    pub signal: f64,
    pub points: Vec<ClaimPoint>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    pub claim: &'static str,
    pub statement: &'static str,
    pub pass: bool,
    /// False when the experiment cannot test the claim (e.g. C1 with one noise level); such a
    /// verdict is reported as N/A, never as a pass.
    pub applicable: bool,
    pub detail: String,
    /// How often bootstrap draws of the replicas give the same result ([`judge`] fills it).
    pub robustness: Option<Robustness>,
}

/// A verdict's robustness: the share of [`robustness::RESAMPLES`] draws with the same result.
#[derive(Clone, Debug, PartialEq)]
pub struct Robustness {
    pub same: f64,
    pub draws: usize,
    /// v3: below [`robustness::DECIDED`] the verdict reads UNDECIDED.
    pub decides: bool,
    /// v3: the replicas per point for a 90 % chance to pass ([`power`]), as written in
    /// `claims.csv`.
    pub replicas_needed: String,
}

impl Verdict {
    /// The rule's own result: `PASS`, `FAIL` or `N/A`.
    pub fn rule_result(&self) -> &'static str {
        match (self.applicable, self.pass) {
            (false, _) => "N/A",
            (true, true) => "PASS",
            (true, false) => "FAIL",
        }
    }

    /// `PASS`, `FAIL` or `N/A`; `UNDECIDED` for a v3 verdict that fewer than 90 % of the
    /// bootstrap draws repeat.
    pub fn result(&self) -> &'static str {
        match &self.robustness {
            Some(r) if r.decides && r.same < robustness::DECIDED => "UNDECIDED",
            _ => self.rule_result(),
        }
    }
}

/// Where the interpolation threshold is looked for (SPEC §5): 0.5 ≤ n/P ≤ 2.
pub const THRESHOLD_WINDOW: (f64, f64) = (0.5, 2.0);

/// Standard errors of the difference of two estimates (0 where unknown).
fn se_diff(a: Estimate, b: Estimate) -> f64 {
    let s = a.se * a.se + b.se * b.se;
    if s.is_finite() {
        s.sqrt()
    } else {
        0.0
    }
}

fn mean(v: impl Iterator<Item = f64>) -> f64 {
    let (s, c) = v.fold((0.0, 0usize), |(s, c), x| (s + x, c + 1));
    s / c as f64
}

const C1_STATEMENT: &str = "alignment increases monotonically with the signal-to-noise ratio";

/// C1: alignment increases monotonically with the signal. PASS when the n-averaged CCE falls
/// strictly from each level to the next cleaner one, and no single n/P point goes the other
/// way by more than 3 standard errors of the difference.
pub fn c1(curves: &[Curve]) -> Verdict {
    let mut sorted: Vec<&Curve> = curves.iter().collect();
    sorted.sort_by(|a, b| a.signal.total_cmp(&b.signal));
    let averages: Vec<f64> = sorted
        .iter()
        .map(|c| mean(c.points.iter().map(|p| p.cce.mean)))
        .collect();
    let monotone = averages.windows(2).all(|w| w[1] < w[0]);
    let mut compared = 0;
    let mut violations = Vec::new();
    for w in sorted.windows(2) {
        for (lo, hi) in w[0].points.iter().zip(&w[1].points) {
            compared += 1;
            let excess = hi.cce.mean - lo.cce.mean;
            if excess > 3.0 * se_diff(hi.cce, lo.cce) {
                violations.push(format!(
                    "n/P={:.3} {}→{}",
                    lo.n_over_p, w[0].label, w[1].label
                ));
            }
        }
    }
    let listing: Vec<String> = sorted
        .iter()
        .zip(&averages)
        .map(|(c, a)| format!("{}: {a:.4}", c.label))
        .collect();
    if sorted.len() < 2 {
        return Verdict {
            claim: "C1",
            statement: C1_STATEMENT,
            pass: false,
            applicable: false,
            detail: "a single noise level: the claim compares levels".into(),
            robustness: None,
        };
    }
    Verdict {
        claim: "C1",
        statement: C1_STATEMENT,
        pass: monotone && violations.is_empty(),
        applicable: true,
        detail: format!(
            "mean CCE over n/P by level [{}]; pointwise reversals beyond 3 SE: {} of {compared}{}",
            listing.join(", "),
            violations.len(),
            if violations.is_empty() {
                String::new()
            } else {
                format!(" ({})", violations.join("; "))
            }
        ),
        robustness: None,
    }
}

/// Peak rule shared by C2 and C3: at every level, the highest mean over the n grid lies in
/// [`THRESHOLD_WINDOW`] and exceeds the values at both ends of the grid.
fn peak_check(curves: &[Curve], value: impl Fn(&ClaimPoint) -> f64) -> (bool, String) {
    let mut pass = !curves.is_empty();
    let mut parts = Vec::new();
    for c in curves {
        let Some(top) = c.points.iter().max_by(|a, b| value(a).total_cmp(&value(b))) else {
            pass = false;
            continue;
        };
        let (first, last) = (value(&c.points[0]), value(&c.points[c.points.len() - 1]));
        let inside = (THRESHOLD_WINDOW.0..=THRESHOLD_WINDOW.1).contains(&top.n_over_p);
        // Strictly above both ends: so the peak is neither end.
        let ok = inside && value(top) > first && value(top) > last;
        pass &= ok;
        parts.push(format!(
            "{}: peak {:.4} at n/P={:.3} (ends {:.4}, {:.4}){}",
            c.label,
            value(top),
            top.n_over_p,
            first,
            last,
            if ok { "" } else { " ✗" }
        ));
    }
    (pass, parts.join("; "))
}

/// C2: alignment is weakest (CCE highest) near the interpolation threshold.
pub fn c2(curves: &[Curve]) -> Verdict {
    let (pass, detail) = peak_check(curves, |p| p.cce.mean);
    Verdict {
        claim: "C2",
        statement: "alignment is non-monotonic in n and weakest near the interpolation threshold",
        pass,
        applicable: true,
        detail,
        robustness: None,
    }
}

/// C3: generalization error peaks near the same threshold (sample-wise double descent).
pub fn c3(curves: &[Curve]) -> Verdict {
    let (pass, detail) = peak_check(curves, |p| p.gen_error.mean);
    Verdict {
        claim: "C3",
        statement: "generalization error peaks near the interpolation threshold",
        pass,
        applicable: true,
        detail,
        robustness: None,
    }
}

/// C4: stronger alignment does not imply lower generalization error. PASS when some pair of
/// points has one better aligned (lower CCE) and generalizing worse, both by more than 2
/// standard errors of the difference. Reports the pair with the largest CCE gap.
pub fn c4(curves: &[Curve]) -> Verdict {
    let all: Vec<(&str, &ClaimPoint)> = curves
        .iter()
        .flat_map(|c| c.points.iter().map(move |p| (c.label.as_str(), p)))
        .collect();
    let mut best: Option<(f64, String)> = None;
    let mut count = 0usize;
    for (la, a) in &all {
        for (lb, b) in &all {
            let better_aligned = b.cce.mean - a.cce.mean > 2.0 * se_diff(a.cce, b.cce);
            let worse =
                a.gen_error.mean - b.gen_error.mean > 2.0 * se_diff(a.gen_error, b.gen_error);
            if better_aligned && worse {
                count += 1;
                let gap = b.cce.mean - a.cce.mean;
                if best.as_ref().is_none_or(|(g, _)| gap > *g) {
                    best = Some((
                        gap,
                        format!(
                            "{la} n/P={:.3} (CCE {:.4}, error {:.4}) is better aligned than {lb} n/P={:.3} (CCE {:.4}, error {:.4}) yet generalizes worse",
                            a.n_over_p, a.cce.mean, a.gen_error.mean, b.n_over_p, b.cce.mean, b.gen_error.mean
                        ),
                    ));
                }
            }
        }
    }
    Verdict {
        claim: "C4",
        statement: "stronger alignment does not imply lower generalization error",
        pass: best.is_some(),
        applicable: true,
        detail: match best {
            Some((_, text)) => format!("{count} such ordered pairs of points; e.g. {text}"),
            None => {
                "no pair of points is better aligned and worse at generalizing beyond 2 SE".into()
            }
        },
        robustness: None,
    }
}

pub fn evaluate(curves: &[Curve]) -> Vec<Verdict> {
    vec![c1(curves), c2(curves), c3(curves), c4(curves)]
}

/// The claims for an experiment with several networks (`compare:`), one group of curves per
/// network: C1 within each group (the noise levels of one network; passes when every group
/// that can test it passes, N/A when none can), C2, C3 and C4 over all curves together.
pub fn evaluate_groups(groups: &[(String, Vec<Curve>)]) -> Vec<Verdict> {
    if let [(_, curves)] = groups {
        return evaluate(curves);
    }
    let all: Vec<Curve> = groups.iter().flat_map(|(_, c)| c.iter().cloned()).collect();
    let per_group: Vec<(String, Verdict)> = groups
        .iter()
        .map(|(name, curves)| (name.clone(), c1(curves)))
        .collect();
    let tested: Vec<&Verdict> = per_group
        .iter()
        .map(|(_, v)| v)
        .filter(|v| v.applicable)
        .collect();
    let combined = Verdict {
        claim: "C1",
        statement: C1_STATEMENT,
        pass: !tested.is_empty() && tested.iter().all(|v| v.pass),
        applicable: !tested.is_empty(),
        detail: per_group
            .iter()
            .map(|(name, v)| format!("{name}: {} ({})", v.result(), v.detail))
            .collect::<Vec<_>>()
            .join("; "),
        robustness: None,
    };
    vec![combined, c2(&all), c3(&all), c4(&all)]
}

/// The curves the claims are judged on, one group per network (see [`evaluate_groups`]):
/// v2's curves ([`v2_claim_groups`]) without the quantities only v2's rules read.
pub fn claim_groups(
    manifest: &Manifest,
    plan: &Plan,
    rows: &[SummaryRow],
) -> Vec<(String, Vec<Curve>)> {
    data::v1_groups(&data::from_rows(manifest, plan, rows))
}

/// The curves the v2 claims are judged on, one group per network, from the summary rows
/// (`train_error` and `test_loss` from the members' further measurements, where recorded).
/// Here rather than in [`v2`], which [`data`] reads: no import loop.
pub fn v2_claim_groups(
    manifest: &Manifest,
    plan: &Plan,
    rows: &[SummaryRow],
) -> Vec<(String, Vec<v2::Curve>)> {
    data::v2_groups(&data::from_rows(manifest, plan, rows))
}

/// The verdicts of one experiment (or of `harness claims`) under every rule set.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdicts {
    /// The rules as first written (this module).
    pub v1: Vec<Verdict>,
    /// The pre-registered rules v2 ([`v2`]).
    pub v2: Vec<Verdict>,
    /// The effect-size rules v3 ([`v3`]).
    pub v3: Vec<Verdict>,
}

impl Verdicts {
    /// (`v1`, `v2` or `v3`, verdict), v1's first.
    pub fn rows(&self) -> impl Iterator<Item = (&'static str, &Verdict)> {
        let v1 = self.v1.iter().map(|v| ("v1", v));
        let v2 = self.v2.iter().map(|v| ("v2", v));
        v1.chain(v2).chain(self.v3.iter().map(|v| ("v3", v)))
    }

    fn rows_mut(&mut self) -> impl Iterator<Item = (&'static str, &mut Verdict)> {
        let v1 = self.v1.iter_mut().map(|v| ("v1", v));
        let v2 = self.v2.iter_mut().map(|v| ("v2", v));
        v1.chain(v2).chain(self.v3.iter_mut().map(|v| ("v3", v)))
    }
}

impl Verdicts {
    /// The verdicts for the terminal, one claim per line with each rule set's result side by
    /// side (`-` where a rule set has no such claim; the v3 column only when there are v3
    /// verdicts), then each rule set's numbers, with the robustness where it was measured.
    /// With `sweep.over`, a claim has one verdict per combination in each set: the i-th of
    /// each set is shown beside the others' i-th.
    pub fn side_by_side(&self) -> String {
        let mut claims: Vec<&'static str> = Vec::new();
        for (_, v) in self.rows() {
            if !claims.contains(&v.claim) {
                claims.push(v.claim);
            }
        }
        let with_v3 = !self.v3.is_empty();
        let mut out = String::new();
        for claim in claims {
            let of = |set: &[Verdict]| -> Vec<Verdict> {
                set.iter().filter(|v| v.claim == claim).cloned().collect()
            };
            let (v1, v2, v3) = (of(&self.v1), of(&self.v2), of(&self.v3));
            for i in 0..v1.len().max(v2.len()).max(v3.len()) {
                let (a, b, c) = (v1.get(i), v2.get(i), v3.get(i));
                let result = |v: Option<&Verdict>| v.map_or("-", |v| v.result());
                let statement = c.or(b).or(a).map_or("", |v| v.statement);
                let third = if with_v3 {
                    format!("v3 {:<9}  ", result(c))
                } else {
                    String::new()
                };
                out += &format!(
                    "  {claim:<7} v1 {:<4}  v2 {:<4}  {third}{statement}\n",
                    result(a),
                    result(b)
                );
                let head = |set: &str, v: &Verdict| match &v.robustness {
                    Some(r) => format!(
                        "       {set} (same in {:.1} % of {} draws{}): ",
                        100.0 * r.same,
                        r.draws,
                        if r.replicas_needed.is_empty() {
                            String::new()
                        } else {
                            format!("; 90 % power: {} replicas", r.replicas_needed)
                        }
                    ),
                    None => format!("       {set}: "),
                };
                if let Some(a) = a {
                    out += &format!("{}{}\n", head("v1", a), a.detail);
                }
                match (a, b) {
                    (Some(a), Some(b)) if a.detail == b.detail && a.statement == b.statement => {
                        out += &format!("{}the same rule as v1\n", head("v2", b))
                    }
                    (_, Some(b)) => out += &format!("{}{}\n", head("v2", b), b.detail),
                    _ => {}
                }
                if let Some(c) = c {
                    out += &format!("{}{}\n", head("v3", c), c.detail);
                }
            }
        }
        out
    }
}

/// Every rule set on an experiment's summary rows, each verdict with its robustness.
pub fn judge(manifest: &Manifest, plan: &Plan, rows: &[SummaryRow]) -> Verdicts {
    judge_groups(&data::from_rows(manifest, plan, rows))
}

/// The results of every rule set on the curves, in [`Verdicts::rows`] order.
fn all_results(groups: &data::Groups) -> Vec<&'static str> {
    let v1 = evaluate_groups(&data::v1_groups(groups));
    let mut out: Vec<&'static str> = v1.iter().map(|v| v.result()).collect();
    out.extend(
        v2::evaluate_groups(&data::v2_groups(groups))
            .iter()
            .map(|v| v.result()),
    );
    let c1 = v1.iter().find(|v| v.claim == "C1").cloned();
    out.extend(v3::results(groups, &c1.unwrap_or_else(|| c1_of(&[]))));
    out
}

fn c1_of(curves: &[Curve]) -> Verdict {
    c1(curves)
}

/// The grid index of each curve's highest mean CCE (ties: the smallest n), curves in order.
fn peaks(groups: &data::Groups) -> Vec<Option<usize>> {
    groups
        .iter()
        .flat_map(|(_, cs)| cs.iter())
        .map(|c| {
            let v: Vec<f64> = c.points.iter().map(|p| p.cce.estimate.mean).collect();
            (0..v.len())
                .filter(|&j| v[j].is_finite())
                .fold(None, |best: Option<usize>, j| match best {
                    Some(b) if v[b] >= v[j] => Some(b),
                    _ => Some(j),
                })
        })
        .collect()
}

/// Every rule set on the curves of one experiment, each verdict with its robustness over
/// [`robustness::RESAMPLES`] draws (seeded from the curves' replica values); v3 with the
/// replicas per point it needs, UNDECIDED below [`robustness::DECIDED`], and C2 with where
/// the peak lies in the draws against each threshold definition.
pub fn judge_groups(groups: &data::Groups) -> Verdicts {
    let v1 = evaluate_groups(&data::v1_groups(groups));
    let c1 = v1.iter().find(|v| v.claim == "C1").cloned();
    let effects = v3::effects(groups);
    let mut verdicts = Verdicts {
        v2: v2::evaluate_groups(&data::v2_groups(groups)),
        v3: v3::verdicts(&effects, &c1.unwrap_or_else(|| c1_of(&[]))),
        v1,
    };
    let blocks = [groups.clone()];
    let draws = robustness::draws(&blocks, robustness::RESAMPLES, |g| {
        (all_results(g), peaks(g))
    });
    let pilot = data::replicas_per_n(groups)
        .into_values()
        .max()
        .unwrap_or(0);
    attach(
        &mut verdicts,
        &draws.iter().map(|d| d.0.clone()).collect::<Vec<_>>(),
        &effects,
        pilot,
    );
    let located: Vec<Vec<Option<usize>>> = draws.into_iter().map(|d| d.1).collect();
    if let Some(c2) = verdicts.v3.iter_mut().find(|v| v.claim == "C2") {
        let text = peak_locations(groups, &located);
        if !text.is_empty() {
            c2.detail = format!(
                "{}; where the CCE peaks in 90 % of draws: {text}",
                c2.detail
            );
        }
    }
    verdicts
}

/// Robustness on every verdict, and for v3 the replicas needed (and UNDECIDED's reason).
fn attach(
    verdicts: &mut Verdicts,
    draws: &[Vec<&'static str>],
    effects: &v3::Effects,
    pilot: usize,
) {
    let original: Vec<&'static str> = verdicts.rows().map(|(_, v)| v.result()).collect();
    let same = robustness::agreement(&original, draws);
    let needed = power::needed(effects, pilot);
    for ((rules, v), same) in verdicts.rows_mut().zip(same) {
        let decides = rules == "v3";
        let (cell, worst) = match needed.iter().find(|(c, _, _)| *c == v.claim) {
            Some((_, n, worst)) if decides && v.applicable => (n.cell(), worst.clone()),
            _ => (String::new(), None),
        };
        v.robustness = Some(Robustness {
            same,
            draws: draws.len(),
            decides,
            replicas_needed: cell.clone(),
        });
        if v.result() == "UNDECIDED" {
            let need = match (cell.as_str(), worst) {
                ("", _) => String::new(),
                (c, Some(w)) => {
                    format!("; a 90 % chance to pass needs {c} replicas per point (most: {w})")
                }
                (c, None) => format!("; {c}"),
            };
            v.detail = format!(
                "UNDECIDED: the rule reads {} here and in {:.1} % of {} draws{need}. {}",
                v.rule_result(),
                100.0 * same,
                draws.len(),
                v.detail
            );
        }
    }
}

/// Where each curve's CCE peak lies over the draws (the central 90 % of its grid index), as
/// n and as multiples of each threshold definition in use at its level: n = P of each
/// network, the effective threshold n* (v2's; = P for a regression network), and n·K = P.
fn peak_locations(groups: &data::Groups, located: &[Vec<Option<usize>>]) -> String {
    let curves: Vec<&data::Curve> = groups.iter().flat_map(|(_, c)| c.iter()).collect();
    let v2g = data::v2_groups(groups);
    let v2c: Vec<&v2::Curve> = v2g.iter().flat_map(|(_, c)| c.iter()).collect();
    let mut parts = Vec::new();
    for (i, c) in curves.iter().enumerate() {
        let sample: Vec<usize> = located
            .iter()
            .filter_map(|d| d.get(i).copied().flatten())
            .collect();
        let Some((lo, hi)) = robustness::interval(sample) else {
            continue;
        };
        let (a, b) = (c.points[lo].n as f64, c.points[hi].n as f64);
        let mut defs: Vec<(String, f64)> = Vec::new();
        for (o, v) in curves
            .iter()
            .zip(&v2c)
            .filter(|(o, _)| o.signal == c.signal)
        {
            defs.push((format!("{} n=P={}", o.network, o.p), o.p as f64));
            if let v2::Threshold::At { n, .. } = v2::threshold(v) {
                if n != o.p as f64 {
                    defs.push((format!("{} effective n*={n}", o.network), n));
                }
            }
            if let Some(k) = o.classes {
                let t = o.p as f64 / k as f64;
                defs.push((format!("{} n·{k}=P: n={t:.1}", o.network), t));
            }
        }
        let against: Vec<String> = defs
            .iter()
            .map(|(name, t)| format!("×{:.2}–{:.2} of {name}", a / t, b / t))
            .collect();
        parts.push(format!(
            "{}: n={}–{} ({})",
            c.label,
            c.points[lo].n,
            c.points[hi].n,
            against.join(", ")
        ));
    }
    parts.join("; ")
}

/// C4 judged across several experiments (e.g. fig1–fig3) under every rule set: each
/// experiment's curves, labelled `<name> <level>`, pooled; the draws reweight each
/// experiment's replicas on their own (they share no seeds). `experiments`: (name, manifest
/// hash, curves).
pub fn across(experiments: &[(String, String, data::Groups)]) -> Verdicts {
    let names: Vec<String> = experiments
        .iter()
        .map(|(name, hash, _)| format!("{name} ({})", &hash[..12.min(hash.len())]))
        .collect();
    let blocks: Vec<data::Groups> = experiments
        .iter()
        .map(|(name, _, groups)| {
            groups
                .iter()
                .map(|(net, curves)| {
                    let curves = curves
                        .iter()
                        .map(|c| data::Curve {
                            label: format!("{name} {}", c.label),
                            ..c.clone()
                        })
                        .collect();
                    (net.clone(), curves)
                })
                .collect()
        })
        .collect();
    let pooled: data::Groups = blocks.iter().flatten().cloned().collect();
    let judge = |g: &data::Groups, first: bool| -> (Verdict, Verdict) {
        let curves: Vec<Curve> = data::v1_groups(g)
            .into_iter()
            .flat_map(|(_, c)| c)
            .collect();
        let mut old = c4(&curves);
        old.detail = format!("across {}: {}", names.join(", "), old.detail);
        let e = v3::c4(g, first);
        let mut new = v3::c4_verdict(&e);
        new.detail = format!("across {}: {}", names.join(", "), new.detail);
        (old, new)
    };
    let (old, new) = judge(&pooled, false);
    let mut verdicts = Verdicts {
        v1: vec![old.clone()],
        v2: vec![old],
        v3: vec![new],
    };
    let draws = robustness::draws(&blocks, robustness::RESAMPLES, |g| {
        let (o, n) = judge(g, true);
        vec![o.result(), o.result(), n.result()]
    });
    let effects = v3::Effects {
        c1: Vec::new(),
        c2: Vec::new(),
        c3: Vec::new(),
        c3_loss: None,
        c4: v3::c4(&pooled, false),
    };
    let pilot = blocks
        .iter()
        .flat_map(|b| data::replicas_per_n(b).into_values())
        .max()
        .unwrap_or(0);
    attach(&mut verdicts, &draws, &effects, pilot);
    verdicts
}

/// The claims whose rule reads the CCE (C3 reads the generalization error alone): the ones a
/// warning about the CCE estimates concerns.
pub const JUDGED_ON_CCE: [&str; 3] = ["C1", "C2", "C4"];

/// `claims.csv`: one row per verdict, `rules` naming the rule set (v1's rows first); the
/// `warning` column holds the run's warnings about its CCE estimates (`results::warnings`,
/// joined by ` | `) on each claim judged on the CCE; `robustness` the share of bootstrap
/// draws with the same result, `replicas_needed` (v3) the replicas per point for a 90 %
/// chance to pass.
pub fn claims_csv(verdicts: &Verdicts, warnings: &[String]) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "rules",
        "claim",
        "result",
        "statement",
        "detail",
        "warning",
        "robustness",
        "replicas_needed",
    ])?;
    let joined = warnings.join(" | ");
    for (rules, v) in verdicts.rows() {
        let warning = if JUDGED_ON_CCE.contains(&v.claim) {
            joined.as_str()
        } else {
            ""
        };
        let (same, needed) = match &v.robustness {
            Some(r) => (format!("{:.4}", r.same), r.replicas_needed.clone()),
            None => (String::new(), String::new()),
        };
        w.write_record([
            rules,
            v.claim,
            v.result(),
            v.statement,
            &v.detail,
            warning,
            &same,
            &needed,
        ])?;
    }
    Ok(w.into_inner()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Level;
    use std::collections::BTreeMap;
    use std::path::Path;

    /// relu2 at SNR 1 and 5 over three n, with linear2 under `compare:` when `compare`.
    fn swept(compare: bool) -> (Manifest, Plan) {
        let compare = if compare {
            "compare:\n  model:\n    kind: linear2\n  train:\n    solver: min-norm\n"
        } else {
            ""
        };
        let text = format!(
            "name: t\nseed: 3\ntask:\n  kind: linear-teacher\n  d: 4\n  n_test: 10\n\
             model:\n  kind: relu2\n  width: 2\ntrain:\n  solver: gd\n{compare}\
             sweep:\n  snr: [1, 5]\n  n_over_p: [1, 2, 3]\n  replicas: 1\n  members: 2\n\
             alignment:\n  estimator: kl\n  report: [ksg, kl]\n"
        );
        let m = Manifest::parse(&text, Path::new("t.yaml")).unwrap();
        let plan = crate::plan::plan(&m);
        (m, plan)
    }

    /// The CCE of the main estimator (kl) that the row of (network, level, n) carries: each
    /// point can be traced back to its row.
    fn tag(network: usize, level: Level, n: usize) -> f64 {
        (1000 * network) as f64 + 100.0 * level.signal() + n as f64
    }

    /// The summary rows of `plan`, interleaved across networks and levels and in decreasing
    /// n, each carrying its [`tag`] (ksg: its negative), and a classifier's further
    /// measurements derived from it.
    fn rows(plan: &Plan) -> Vec<SummaryRow> {
        let e = |mean| Estimate { mean, se: 0.5 };
        let mut rows = Vec::new();
        for n in [30, 10, 20] {
            for &level in &plan.levels {
                for (network, net) in plan.networks.iter().enumerate() {
                    let t = tag(network, level, n);
                    rows.push(SummaryRow {
                        point: crate::plan::Point {
                            level,
                            n,
                            n_over_p: n as f64 / net.p as f64,
                        },
                        model: net.model.name(),
                        network,
                        p: net.p,
                        replicas: 1,
                        members: 2,
                        pairs: 2,
                        gen_error: e(-t),
                        train_loss: e(0.0),
                        cce: BTreeMap::from([("kl".into(), e(t)), ("ksg".into(), e(-t))]),
                        mi: e(0.0),
                        theory_gen_error: None,
                        theory_cce: None,
                        theory_rho: None,
                        extra: BTreeMap::from([
                            ("test_loss".into(), e(t + 0.5)),
                            ("train_error".into(), e(t + 0.25)),
                        ]),
                        replica_values: BTreeMap::new(),
                    });
                }
            }
        }
        rows
    }

    /// What both rule sets' `claim_groups` must make of [`rows`]: one group per network in
    /// plan order, one curve per level in sweep order (labels prefixed by the network's
    /// name only in a comparison), its points in increasing n, each from its own row.
    fn check_groups(compare: bool) {
        let (m, plan) = swept(compare);
        let rows = rows(&plan);
        let names: Vec<&str> = if compare {
            vec!["relu2", "linear2"]
        } else {
            vec!["relu2"]
        };
        let v2 = v2_claim_groups(&m, &plan, &rows);
        let v1 = claim_groups(&m, &plan, &rows);
        assert_eq!(v2.len(), names.len());
        assert_eq!(v1.len(), names.len());
        for (network, name) in names.iter().enumerate() {
            let p = plan.networks[network].p;
            let prefix = if compare {
                format!("{name} ")
            } else {
                String::new()
            };
            let (v2_name, v2_curves) = &v2[network];
            let (v1_name, v1_curves) = &v1[network];
            assert_eq!((v2_name.as_str(), v1_name.as_str()), (*name, *name));
            assert_eq!(v2_curves.len(), 2, "{v2_curves:#?}");
            assert_eq!(v1_curves.len(), 2, "{v1_curves:#?}");
            for (i, level) in [Level::Snr(1.0), Level::Snr(5.0)].into_iter().enumerate() {
                let (c2, c1) = (&v2_curves[i], &v1_curves[i]);
                let label = format!("{prefix}SNR {}", level.signal());
                assert_eq!(
                    (c2.label.as_str(), c1.label.as_str()),
                    (label.as_str(), label.as_str())
                );
                assert_eq!((c2.signal, c1.signal), (level.signal(), level.signal()));
                assert_eq!((c2.network.as_str(), c2.p), (*name, p));
                assert_eq!(c2.points.len(), 3);
                assert_eq!(c1.points.len(), 3);
                for (j, n) in [10, 20, 30].into_iter().enumerate() {
                    let t = tag(network, level, n);
                    let (q2, q1) = (&c2.points[j], &c1.points[j]);
                    assert_eq!(q2.n, n);
                    assert_eq!(q2.n_over_p, n as f64 / p as f64);
                    assert_eq!((q2.cce.mean, q2.gen_error.mean), (t, -t));
                    assert_eq!(q2.test_loss.map(|e| e.mean), Some(t + 0.5));
                    assert_eq!(q2.train_error.map(|e| e.mean), Some(t + 0.25));
                    assert_eq!(q1.n_over_p, n as f64 / p as f64);
                    assert_eq!((q1.cce.mean, q1.gen_error.mean), (t, -t));
                }
            }
        }
    }

    #[test]
    fn claim_groups_split_a_comparison_by_network_then_level_in_increasing_n() {
        check_groups(true);
    }

    #[test]
    fn claim_groups_of_one_network_label_its_curves_by_level_alone() {
        check_groups(false);
    }

    #[test]
    fn claim_groups_put_a_missing_main_measure_in_as_not_a_number() {
        let (m, plan) = swept(false);
        let mut rows = rows(&plan);
        rows[0].cce.remove("kl");
        let missing = rows[0].point;
        let groups = v2_claim_groups(&m, &plan, &rows);
        let nan: Vec<(usize, f64)> = groups[0]
            .1
            .iter()
            .flat_map(|c| c.points.iter())
            .filter(|q| q.cce.mean.is_nan())
            .map(|q| (q.n, q.n_over_p))
            .collect();
        assert_eq!(nan, vec![(missing.n, missing.n_over_p)]);
    }

    fn est(mean: f64) -> Estimate {
        Estimate { mean, se: 0.01 }
    }

    fn curve(signal: f64, cce: &[f64], gen: &[f64]) -> Curve {
        let grid = [0.1, 0.5, 0.9, 1.2, 2.5];
        Curve {
            label: format!("snr={signal}"),
            signal,
            points: grid
                .iter()
                .zip(cce.iter().zip(gen))
                .map(|(&r, (&c, &g))| ClaimPoint {
                    n_over_p: r,
                    cce: est(c),
                    gen_error: est(g),
                })
                .collect(),
        }
    }

    #[test]
    fn claims_pass_on_paper_like_curves_and_fail_otherwise() {
        let good = vec![
            curve(
                1.0,
                &[-0.2, -0.1, -0.02, -0.05, -0.3],
                &[1.0, 2.0, 9.0, 3.0, 0.5],
            ),
            curve(
                5.0,
                &[-0.6, -0.3, -0.05, -0.2, -0.9],
                &[0.9, 1.0, 3.0, 1.0, 0.1],
            ),
        ];
        let v = evaluate(&good);
        assert!(v.iter().all(|v| v.pass), "{v:#?}");
        // Swap the levels' alignment: C1 must fail.
        let bad = vec![
            curve(
                1.0,
                &[-0.6, -0.3, -0.05, -0.2, -0.9],
                &[1.0, 2.0, 9.0, 3.0, 0.5],
            ),
            curve(
                5.0,
                &[-0.2, -0.1, -0.02, -0.05, -0.3],
                &[0.9, 1.0, 3.0, 1.0, 0.1],
            ),
        ];
        assert!(!c1(&bad).pass);
        // Peak at the end of the grid: C2 and C3 fail.
        let edge = vec![curve(
            1.0,
            &[-0.2, -0.1, -0.05, -0.02, 0.0],
            &[1.0, 2.0, 3.0, 4.0, 5.0],
        )];
        assert!(!c2(&edge).pass);
        assert!(!c3(&edge).pass);
        // Alignment and error move together everywhere: C4 fails.
        let together = vec![curve(
            1.0,
            &[-0.5, -0.4, -0.3, -0.2, -0.1],
            &[1.0, 2.0, 3.0, 4.0, 5.0],
        )];
        assert!(!c4(&together).pass);
    }
}
