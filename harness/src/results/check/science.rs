//! Tier 2: a rerun with other seeds (or other settings) against the reference: the same
//! science? (docs/CHECK.md, "Tier 2")
//!
//! 1. **Claims and their robustness.** Every rule set (v1, v2, v3) judges both sides, each
//!    verdict with its robustness as the claims module measures it
//!    ([`claims::judge_groups`]: the share of [`RESAMPLES`] Bayesian-bootstrap draws of the
//!    replica weights that give the same result, seeded by the side's replica values). A claim
//!    whose verdict the reference keeps in at least [`ROBUST`] of its draws is *robust*: if the
//!    rerun's verdict differs and the rerun's own draws keep that verdict as robustly, the
//!    rerun FAILs; if the rerun's differing verdict is itself fragile, the rerun does not decide
//!    the claim (INCONCLUSIVE). A claim below [`ROBUST`] on the reference is *fragile*: its
//!    verdict rests on the draw of the replicas, so the rerun's verdict on it is reported,
//!    never counted as a failure to reproduce.
//! 2. **Effects.** Each claim that robustly passes on the reference has an effect (C1's level
//!    gaps, C2's peak contrast, C3's rise, pooled over its curves: [`super::effects`]), with
//!    its standard deviation over as many draws of the replica weights. The
//!    claims are directional, so the test is **non-inferiority**: the rerun's effect must not
//!    fall below the reference's by more than the effect margin (default 50 % of the
//!    reference's effect). PASS when the lower end of the 90 % interval of rerun − reference
//!    (bootstrap standard errors of both sides, t with n₁ + n₂ − 2 degrees of freedom) lies
//!    above −margin; FAIL when the rerun's effect is significantly below it (Holm over the
//!    effects); INCONCLUSIVE otherwise, with the replicas per side that would settle it. A
//!    rerun effect larger by more than the margin is noted, not failed.
//! 3. **Whole curves** (generalization error and the main CCE) with one simultaneous band
//!    ([`super::band`]): a curve that leaves it by more than the margin FAILs.
//!
//! PASS when every robust claim keeps its verdict, every tested effect passes and no curve
//! leaves its band; FAIL when a robust claim flips robustly, an effect falls significantly
//! below its margin or a curve leaves its band; INCONCLUSIVE otherwise.

use super::band::{self, Band};
use super::effects::{Effect, RuleSet};
use super::resample::ReplicaTable;
use super::stats;
use super::{short, Outcome, ALPHA, REPLICA_CAP};
use crate::manifest::margins::CheckMargins;
use crate::manifest::Manifest;
use crate::plan::Plan;
use crate::results::claims::{self, data, robustness};
use crate::rng::{derive_seed, Rng};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// A claim is robust on a side when this share of its bootstrap draws keep its verdict (the
/// claims module's threshold of a decided v3 verdict).
pub const ROBUST: f64 = robustness::DECIDED;
/// Bootstrap draws per side (the claims module's).
pub const RESAMPLES: usize = robustness::RESAMPLES;

/// One claim of one rule set on both sides.
#[derive(Clone, Debug, PartialEq)]
pub struct ClaimCheck {
    pub rules: &'static str,
    pub claim: &'static str,
    /// `PASS`, `FAIL` or `N/A`.
    pub reference: &'static str,
    pub run: &'static str,
    /// The share of each side's resamples with that side's verdict.
    pub reference_same: f64,
    pub run_same: f64,
    /// v3: the replicas per point the rerun's verdict needs for a 90 % chance to pass
    /// (`claims.csv`'s `replicas_needed`); empty otherwise.
    pub run_replicas_needed: String,
}

impl ClaimCheck {
    pub fn robust(&self) -> bool {
        self.reference_same >= ROBUST
    }

    /// `v2 C3`.
    pub fn name(&self) -> String {
        format!("{} {}", self.rules, self.claim)
    }

    /// Robust on the reference, and another verdict on the rerun that the rerun's own draws
    /// keep as robustly: the rerun contradicts the reference.
    pub fn flipped(&self) -> bool {
        self.robust() && self.run != self.reference && self.run_same >= ROBUST
    }

    /// Robust on the reference, another verdict on the rerun, but one the rerun's draws do not
    /// keep (a verdict that flips under resampling is not a finding): undecided, not failed.
    pub fn undecided(&self) -> bool {
        self.robust() && self.run != self.reference && !(self.run_same >= ROBUST)
    }
}

/// One effect on both sides.
#[derive(Clone, Debug, PartialEq)]
pub struct EffectCheck {
    pub name: String,
    /// The claims that rest on it, e.g. `v1 C2`, `v2 C2`.
    pub claims: Vec<String>,
    pub unit: &'static str,
    /// Per curve (or pair of levels): (label, rerun's, reference's).
    pub parts: Vec<(String, f64, f64)>,
    /// The pooled effects (the mean of the parts).
    pub reference: f64,
    pub run: f64,
    /// Bootstrap standard deviations of the effect on each side.
    pub reference_sd: f64,
    pub run_sd: f64,
    pub margin: f64,
    /// `None` when not tested: no claim that rests on it robustly passes on the reference.
    pub outcome: Option<Outcome>,
    pub minimum_effect_p: f64,
    pub interval: (f64, f64),
    pub replicas_needed: Option<usize>,
    pub note: String,
}

/// Everything tier 2 found.
#[derive(Clone, Debug)]
pub struct Science {
    pub run_replicas: usize,
    pub reference_replicas: usize,
    pub claims: Vec<ClaimCheck>,
    pub effects: Vec<EffectCheck>,
    pub bands: Vec<Band>,
    pub outcome: Outcome,
    pub reason: String,
}

/// One side judged: each claim's rule result and robustness (the share of the claims
/// module's bootstrap draws keeping it), each effect with the claims that rest on it and its
/// standard deviation over draws of the replica weights.
struct Judged {
    /// (rules, claim, rule result, share of draws keeping it, replicas needed).
    verdicts: Vec<(&'static str, &'static str, &'static str, f64, String)>,
    effects: Vec<(Effect, Vec<String>)>,
    sd: BTreeMap<String, f64>,
}

/// Every rule set's effects on the curves, each named once with the claims that rest on it.
fn all_effects(groups: &data::Groups) -> Vec<(Effect, Vec<String>)> {
    let mut effects: Vec<(Effect, Vec<String>)> = Vec::new();
    for set in RuleSet::ALL {
        for e in set.effects(groups) {
            let claim = format!("{} {}", set.name(), e.claim);
            match effects.iter_mut().find(|(f, _)| f.name == e.name) {
                Some((_, claims)) => claims.push(claim),
                None => effects.push((e, vec![claim])),
            }
        }
    }
    effects
}

/// One side: its verdicts with their robustness ([`claims::judge_groups`], seeded by the
/// side's replica values, as its `claims.csv` is), and its effects with their spread over as
/// many draws of the replica weights ([`robustness::draws_tagged`], a stream of their own).
fn judge(manifest: &Manifest, plan: &Plan, table: &ReplicaTable) -> Judged {
    let groups = data::from_rows(manifest, plan, &table.rows(manifest, plan));
    let verdicts = claims::judge_groups(&groups)
        .rows()
        .map(|(rules, v)| {
            let same = v.robustness.as_ref().map_or(f64::NAN, |r| r.same);
            let needed = v
                .robustness
                .as_ref()
                .map_or(String::new(), |r| r.replicas_needed.clone());
            (rules, v.claim, v.rule_result(), same, needed)
        })
        .collect();
    let blocks = [groups.clone()];
    let draws = robustness::draws_tagged(&blocks, "check/effects", RESAMPLES, |g| {
        all_effects(g)
            .into_iter()
            .map(|(e, _)| (e.name, e.value))
            .collect::<Vec<_>>()
    });
    let mut values: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for (name, v) in draws.into_iter().flatten() {
        if v.is_finite() {
            values.entry(name).or_default().push(v);
        }
    }
    Judged {
        verdicts,
        effects: all_effects(&groups),
        sd: values
            .into_iter()
            .map(|(k, v)| (k, stats::Sample::of(&v).sd))
            .collect(),
    }
}

/// Tier 2 on one combination: both sides' replica tables and the run's manifest and plan (the
/// reference is read on the same grid); each side's draws are seeded by its own values.
pub fn compare(
    manifest: &Manifest,
    plan: &Plan,
    run: &ReplicaTable,
    reference: &ReplicaTable,
    margins: &CheckMargins,
) -> Science {
    let (nr, nf) = (run.replicas().len(), reference.replicas().len());
    let mut science = Science {
        run_replicas: nr,
        reference_replicas: nf,
        claims: Vec::new(),
        effects: Vec::new(),
        bands: Vec::new(),
        outcome: Outcome::Inconclusive,
        reason: String::new(),
    };
    if nr < 2 || nf < 2 {
        science.reason = format!(
            "too few replicas to resample (run {nr}, reference {nf}): tier 2 needs at least 2 per side"
        );
        return science;
    }
    let ours = judge(manifest, plan, run);
    let theirs = judge(manifest, plan, reference);
    for (rules, claim, result, same, _) in &theirs.verdicts {
        let (rules, claim, result, same) = (*rules, *claim, *result, *same);
        let (run_result, run_same, run_replicas_needed) = ours
            .verdicts
            .iter()
            .find(|(r, c, ..)| *r == rules && *c == claim)
            .map_or(("absent", f64::NAN, String::new()), |v| {
                (v.2, v.3, v.4.clone())
            });
        science.claims.push(ClaimCheck {
            rules,
            claim,
            reference: result,
            run: run_result,
            reference_same: same,
            run_same,
            run_replicas_needed,
        });
    }
    let robust_pass: Vec<String> = science
        .claims
        .iter()
        .filter(|c| c.robust() && c.reference == "PASS")
        .map(ClaimCheck::name)
        .collect();
    let df = (nr + nf) as f64 - 2.0;
    for (e, claims) in &theirs.effects {
        let run_effect = ours
            .effects
            .iter()
            .find(|(f, _)| f.name == e.name)
            .map(|(f, _)| f);
        let run_value = run_effect.map_or(f64::NAN, |f| f.value);
        let parts = e
            .parts
            .iter()
            .map(|(label, v)| {
                let r = run_effect
                    .and_then(|f| f.parts.iter().find(|p| p.0 == *label))
                    .map_or(f64::NAN, |p| p.1);
                (label.clone(), r, *v)
            })
            .collect();
        let mut c = EffectCheck {
            name: e.name.clone(),
            claims: claims.clone(),
            unit: e.unit,
            parts,
            reference: e.value,
            run: run_value,
            reference_sd: theirs.sd.get(&e.name).copied().unwrap_or(f64::NAN),
            run_sd: ours.sd.get(&e.name).copied().unwrap_or(f64::NAN),
            margin: margins.effect.at(e.value),
            outcome: None,
            minimum_effect_p: f64::NAN,
            interval: (f64::NAN, f64::NAN),
            replicas_needed: None,
            note: String::new(),
        };
        if claims.iter().any(|k| robust_pass.contains(k)) {
            test_effect(&mut c, df, nr, nf);
        } else {
            c.note = "not tested: no claim resting on it passes robustly on the reference".into();
        }
        science.effects.push(c);
    }
    // Holm over the tested effects' minimum-effect tests.
    let tested: Vec<usize> = (0..science.effects.len())
        .filter(|&i| science.effects[i].outcome.is_some())
        .collect();
    let p: Vec<f64> = tested
        .iter()
        .map(|&i| science.effects[i].minimum_effect_p)
        .collect();
    for (i, reject) in tested.iter().zip(stats::holm(&p, ALPHA)) {
        if reject {
            let c = &mut science.effects[*i];
            c.outcome = Some(Outcome::Fail);
            c.note = format!(
                "smaller than the reference's by more than {} (p = {:.2e}, Holm over {} effects)",
                short(c.margin),
                c.minimum_effect_p,
                tested.len()
            );
        }
    }
    let mut rng = Rng::new(derive_seed(0, "check/tier2/band"));
    let main = format!("cce_{}", manifest.alignment.estimator.name());
    for q in ["gen_error", main.as_str()] {
        let b = band::band(q, run, reference, &margins.effect, &mut rng);
        if !b.points.is_empty() {
            science.bands.push(b);
        }
    }
    (science.outcome, science.reason) = verdict(&science);
    science
}

/// The non-inferiority test of one effect and its inferiority p-value (before Holm): the
/// claims are directional, so a rerun effect larger than the reference's reproduces the claim
/// (it is noted when larger by more than the margin); one smaller by more than the margin does
/// not.
fn test_effect(c: &mut EffectCheck, df: f64, nr: usize, nf: usize) {
    if !(c.reference.is_finite() && c.run.is_finite()) {
        c.outcome = Some(Outcome::Inconclusive);
        c.note = "not defined on the rerun".into();
        return;
    }
    if !(c.margin > 0.0) {
        c.outcome = Some(Outcome::Inconclusive);
        c.note = "the reference's effect is 0: no relative margin".into();
        return;
    }
    // In the claim's direction: positive when the rerun's effect is the larger.
    let diff = (c.run - c.reference) * c.reference.signum();
    let se = (c.reference_sd.powi(2) + c.run_sd.powi(2)).sqrt();
    if !(se > 0.0) {
        let ok = diff >= -c.margin;
        c.outcome = Some(if ok { Outcome::Pass } else { Outcome::Fail });
        c.note = "no spread under resampling: compared directly".into();
        return;
    }
    let t = stats::t_quantile(1.0 - ALPHA, df);
    c.interval = (diff - t * se, diff + t * se);
    c.minimum_effect_p = stats::t_cdf((diff + c.margin) / se, df);
    // The spread of one replica's effect, pooled over the sides.
    let sd = ((c.reference_sd.powi(2) * nf as f64 + c.run_sd.powi(2) * nr as f64) / 2.0).sqrt();
    c.replicas_needed =
        stats::replicas_for_80_percent_non_inferiority(sd, c.margin, ALPHA, REPLICA_CAP);
    if c.interval.0 > -c.margin {
        c.outcome = Some(Outcome::Pass);
        if c.interval.0 > c.margin {
            c.note = "larger than the reference's by more than the margin (the claim holds more strongly)".into();
        }
    } else {
        c.outcome = Some(Outcome::Inconclusive);
        c.note = "its 90 % interval reaches below the margin".into();
    }
}

fn verdict(s: &Science) -> (Outcome, String) {
    let (nr, nf) = (s.run_replicas, s.reference_replicas);
    let fragile: Vec<String> = s
        .claims
        .iter()
        .filter(|c| !c.robust())
        .map(|c| {
            format!(
                "{} {} in {:.0} % of the reference's resamples (rerun {})",
                c.name(),
                c.reference,
                100.0 * c.reference_same,
                c.run
            )
        })
        .collect();
    let fragile_note = if fragile.is_empty() {
        String::new()
    } else {
        format!(
            "; fragile on the reference, so not counted: {}",
            fragile.join(", ")
        )
    };
    let robust = s.claims.iter().filter(|c| c.robust()).count();
    let kept = s
        .claims
        .iter()
        .filter(|c| c.robust() && c.run == c.reference)
        .count();
    let mut fails: Vec<String> = s
        .claims
        .iter()
        .filter(|c| c.flipped())
        .map(|c| {
            format!(
                "{} is {} on the reference in {:.0} % of its resamples but {} on the rerun in {:.0} % of its own",
                c.name(),
                c.reference,
                100.0 * c.reference_same,
                c.run,
                100.0 * c.run_same
            )
        })
        .collect();
    for e in s
        .effects
        .iter()
        .filter(|e| e.outcome == Some(Outcome::Fail))
    {
        fails.push(format!(
            "{}: rerun {} vs reference {} {}, {}",
            e.name,
            short(e.run),
            short(e.reference),
            e.unit,
            e.note
        ));
    }
    for b in &s.bands {
        let beyond = b.beyond();
        if let Some(p) = beyond.first() {
            fails.push(format!(
                "the {} curve leaves its simultaneous 95 % band ({}) by more than the margin at {} of {} points, e.g. level {} n={} {} (run − reference {}, margin ±{})",
                b.quantity,
                b.method,
                beyond.len(),
                b.points.len(),
                p.point.level,
                p.point.n,
                p.point.model,
                short(p.diff),
                short(p.margin)
            ));
        }
    }
    if !fails.is_empty() {
        return (Outcome::Fail, format!("{}{fragile_note}", fails.join("; ")));
    }
    let tested: Vec<&EffectCheck> = s.effects.iter().filter(|e| e.outcome.is_some()).collect();
    let passed = tested
        .iter()
        .filter(|e| e.outcome == Some(Outcome::Pass))
        .count();
    let mut reason = format!(
        "{robust} of {} claims robust on the reference ({nf} replicas, {RESAMPLES} resamples), {kept} of them with the same verdict on the rerun ({nr} replicas); {}",
        s.claims.len(),
        if tested.is_empty() {
            "no claim passes robustly on the reference, so no effect to compare".to_string()
        } else {
            format!("{passed} of {} effects of its robustly passing claims at least the reference's less the effect margin", tested.len())
        }
    );
    if !s.bands.is_empty() {
        let _ = write!(
            reason,
            "; curves ({}) within their simultaneous bands' margins",
            s.bands
                .iter()
                .map(|b| b.quantity.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let undecided: Vec<&ClaimCheck> = s.claims.iter().filter(|c| c.undecided()).collect();
    if passed == tested.len() && undecided.is_empty() {
        return (Outcome::Pass, format!("{reason}{fragile_note}"));
    }
    if let Some(c) = undecided.first() {
        let would = if c.run_replicas_needed.is_empty() {
            String::new()
        } else {
            format!(
                "; a 90 % chance to pass needs {} replicas per point",
                c.run_replicas_needed
            )
        };
        return (
            Outcome::Inconclusive,
            format!(
                "{nr} + {nf} replicas: {} is {} on the reference in {:.0} % of its resamples, but \
                 the rerun reads {} in only {:.0} % of its own, so the rerun does not decide it{would} \
                 ({} of the robust claims undecided on the rerun); {reason}{fragile_note}",
                c.name(),
                c.reference,
                100.0 * c.reference_same,
                c.run,
                100.0 * c.run_same,
                undecided.len()
            ),
        );
    }
    // The first unsettled effect says what would settle it.
    let open: Vec<&&EffectCheck> = tested
        .iter()
        .filter(|e| e.outcome != Some(Outcome::Pass))
        .collect();
    let first = open[0];
    let would = first
        .replicas_needed
        .map_or(String::new(), |n| format!("; {n} per side would"));
    (
        Outcome::Inconclusive,
        format!(
            "{nr} + {nf} replicas cannot show the {} within {} {} of the reference's ({:.0} % of {}){would} ({} of {} effects unsettled); {reason}{fragile_note}",
            first.name,
            short(first.margin),
            first.unit,
            100.0 * first.margin / first.reference.abs(),
            short(first.reference),
            open.len(),
            tested.len()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::check::replicas::PointKey;
    use crate::results::tables::cell;

    /// linear2 (P = 5 at d = 4) at SNR 1 and 5 over n = 2 … 12: the threshold is n = 5.
    fn design() -> (Manifest, Plan) {
        let text = "name: t\nseed: 3\ntask:\n  kind: linear-teacher\n  d: 4\n  n_test: 10\n\
                    model:\n  kind: linear2\nsweep:\n  snr: [1, 5]\n  n_over_p: [0.4, 0.8, 1.0, 1.2, 1.6, 2.4]\n\
                    \x20 replicas: 6\n  members: 2\n";
        let m = Manifest::parse(text, std::path::Path::new("t.yaml")).unwrap();
        let plan = crate::plan::plan(&m);
        (m, plan)
    }

    /// Paper-like curves (CCE and error peak at n = P = 5, the cleaner level better aligned
    /// by `gap`), each replica's values wiggled by `sd` from the project's RNG.
    fn table(
        plan: &Plan,
        replicas: usize,
        gap: f64,
        peak: f64,
        sd: f64,
        salt: u64,
    ) -> ReplicaTable {
        let mut values = BTreeMap::new();
        let mut rng = Rng::new(salt);
        for point in &plan.points {
            let key = PointKey {
                level: cell(Some(point.level.value())),
                n: point.n,
                model: "linear2".into(),
            };
            let bump = if point.n == 5 { peak } else { 0.0 };
            let clean = if point.level.value() > 1.0 { gap } else { 0.0 };
            for (q, centre) in [("cce_ksg", -0.5 - clean + bump), ("gen_error", 1.0 + bump)] {
                let per = (0..replicas)
                    .map(|r| (r, centre + sd * rng.normal()))
                    .collect();
                values.insert((key.clone(), q.to_string()), per);
            }
        }
        ReplicaTable { values }
    }

    #[test]
    fn the_same_science_passes_and_a_robust_claim_that_flips_fails() {
        let (m, plan) = design();
        let margins = CheckMargins::default();
        let reference = table(&plan, 6, 0.3, 0.4, 0.02, 1);
        let same = compare(
            &m,
            &plan,
            &table(&plan, 6, 0.3, 0.4, 0.02, 2),
            &reference,
            &margins,
        );
        assert_eq!(same.outcome, Outcome::Pass, "{}", same.reason);
        assert!(
            same.claims
                .iter()
                .filter(|c| c.claim != "C4")
                .all(|c| c.robust()),
            "{:#?}",
            same.claims
        );
        // The rerun's peak is gone: C2 and C3, robust PASS on the reference, flip.
        let flat = compare(
            &m,
            &plan,
            &table(&plan, 6, 0.3, 0.0, 0.02, 2),
            &reference,
            &margins,
        );
        assert_eq!(flat.outcome, Outcome::Fail);
        assert!(
            flat.reason.contains(
                "v2 C3 is PASS on the reference in 100 % of its resamples but FAIL on the rerun \
                 in 100 % of its own"
            ),
            "{}",
            flat.reason
        );
        // The peak a third of the reference's: C2 and C3 still pass, but their effects fall
        // below the reference's less 50 %: FAIL on the effects.
        let weak = compare(
            &m,
            &plan,
            &table(&plan, 6, 0.3, 0.13, 0.02, 2),
            &reference,
            &margins,
        );
        assert_eq!(weak.outcome, Outcome::Fail, "{}", weak.reason);
        assert!(
            weak.reason.contains("C2 peak contrast: rerun"),
            "{}",
            weak.reason
        );
        assert!(
            weak.reason
                .contains("smaller than the reference's by more than"),
            "{}",
            weak.reason
        );
    }

    #[test]
    fn a_noisy_reference_makes_claims_fragile_and_their_flips_are_never_failures() {
        let (m, plan) = design();
        let margins = CheckMargins::default();
        // A peak (0.05) and a level gap (0.01) about as large as the replicas' spread (0.05):
        // some verdicts rest on the draw of the 3 replicas.
        let reference = table(&plan, 3, 0.01, 0.05, 0.05, 1);
        let run = table(&plan, 3, -0.01, 0.0, 0.05, 5);
        let s = compare(&m, &plan, &run, &reference, &margins);
        let fragile: Vec<&ClaimCheck> = s.claims.iter().filter(|c| !c.robust()).collect();
        assert!(!fragile.is_empty(), "{:#?}", s.claims);
        assert!(
            s.reason
                .contains("fragile on the reference, so not counted: "),
            "{}",
            s.reason
        );
        for c in fragile {
            assert!(!c.flipped() && !c.undecided());
            assert!(!s.reason.contains(&format!(
                "{} is {} on the reference",
                c.name(),
                c.reference
            )));
        }
    }

    fn effect(reference: f64, run: f64, sd: f64) -> EffectCheck {
        EffectCheck {
            name: "C2 peak contrast".into(),
            claims: vec!["v1 C2".into()],
            unit: "nats",
            parts: Vec::new(),
            reference,
            run,
            reference_sd: sd,
            run_sd: sd,
            margin: 0.5 * reference.abs(),
            outcome: None,
            minimum_effect_p: f64::NAN,
            interval: (f64::NAN, f64::NAN),
            replicas_needed: None,
            note: String::new(),
        }
    }

    #[test]
    fn effects_pass_when_not_smaller_by_the_margin_larger_ones_included() {
        let mut e = effect(0.2, 0.19, 0.01);
        test_effect(&mut e, 10.0, 6, 6);
        assert_eq!(e.outcome, Some(Outcome::Pass));
        // Three times the reference's: the claim holds more strongly; noted, passed.
        let mut big = effect(0.2, 0.6, 0.01);
        test_effect(&mut big, 10.0, 6, 6);
        assert_eq!(big.outcome, Some(Outcome::Pass));
        assert!(
            big.note.starts_with("larger than the reference's"),
            "{}",
            big.note
        );
        // Too noisy to tell: inconclusive, with the replicas that would settle it.
        let mut noisy = effect(0.2, 0.15, 0.08);
        test_effect(&mut noisy, 4.0, 3, 3);
        assert_eq!(noisy.outcome, Some(Outcome::Inconclusive));
        assert!(noisy.replicas_needed.unwrap() > 3);
        // A negative reference effect reads the other way round.
        let mut neg = effect(-0.2, -0.6, 0.01);
        test_effect(&mut neg, 10.0, 6, 6);
        assert_eq!(neg.outcome, Some(Outcome::Pass));
    }

    #[test]
    fn an_unsettled_effect_says_how_many_replicas_would_settle_it() {
        let mut e = effect(0.2, 0.15, 0.08);
        test_effect(&mut e, 4.0, 3, 3);
        let s = Science {
            run_replicas: 3,
            reference_replicas: 3,
            claims: vec![ClaimCheck {
                rules: "v1",
                claim: "C2",
                reference: "PASS",
                run: "PASS",
                reference_same: 1.0,
                run_same: 0.95,
                run_replicas_needed: String::new(),
            }],
            effects: vec![e.clone()],
            bands: Vec::new(),
            outcome: Outcome::Inconclusive,
            reason: String::new(),
        };
        // A robust claim whose other verdict on the rerun is itself fragile there: undecided,
        // not a FAIL; robust there too: a FAIL.
        let mut undecided = s.clone();
        undecided.claims[0].run = "FAIL";
        undecided.claims[0].run_same = 0.6;
        let (o, reason) = verdict(&undecided);
        assert_eq!(o, Outcome::Inconclusive, "{reason}");
        assert!(reason.starts_with("3 + 3 replicas: v1 C2 is PASS on the reference in 100 % of its resamples, but the rerun reads FAIL in only 60 % of its own"), "{reason}");
        undecided.claims[0].run_same = 0.95;
        assert_eq!(verdict(&undecided).0, Outcome::Fail);
        let (o, reason) = verdict(&s);
        assert_eq!(o, Outcome::Inconclusive);
        let n = e.replicas_needed.unwrap();
        assert!(
            reason.starts_with(&format!(
                "3 + 3 replicas cannot show the C2 peak contrast within 0.1 nats of the reference's (50 % of 0.2); {n} per side would"
            )),
            "{reason}"
        );
    }
}
