//! Tier 2: a rerun with other seeds (or other settings) against the reference: the same
//! science? (docs/CHECK.md, "Tier 2")
//!
//! 1. **Claims and their robustness.** Every rule set ([`RuleSet`]) judges both sides, and
//!    both sides again under [`RESAMPLES`] bootstrap resamples of their replicas (whole
//!    replicas, with replacement). A claim whose verdict the reference keeps in at least
//!    [`ROBUST`] of its resamples is *robust*: if the rerun's verdict differs, the rerun FAILs.
//!    A claim below that is *fragile*: its verdict rests on the draw of the replicas, so the
//!    rerun's verdict on it is reported, never counted as a failure to reproduce.
//! 2. **Effects.** Each claim that robustly passes on the reference has an effect (C1's level
//!    gaps, C2's peak contrast, C3's rise, pooled over its curves: [`super::effects`]). The
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
//! PASS when every robust claim keeps its verdict, every tested effect is equivalent and no
//! curve leaves its band; FAIL when a robust claim flips, an effect or a curve differs beyond
//! its margin; INCONCLUSIVE otherwise.

use super::band::{self, Band};
use super::effects::{Effect, RuleSet};
use super::resample::ReplicaTable;
use super::stats;
use super::{short, Outcome, ALPHA, REPLICA_CAP};
use crate::manifest::margins::CheckMargins;
use crate::manifest::Manifest;
use crate::plan::Plan;
use crate::rng::{derive_seed, Rng};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// A claim is robust on a side when this share of its resamples keep its verdict.
pub const ROBUST: f64 = 0.9;
/// Bootstrap resamples per side.
pub const RESAMPLES: usize = 400;

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
}

impl ClaimCheck {
    pub fn robust(&self) -> bool {
        self.reference_same >= ROBUST
    }

    /// `v2 C3`.
    pub fn name(&self) -> String {
        format!("{} {}", self.rules, self.claim)
    }

    /// Robust on the reference and another verdict on the rerun.
    pub fn flipped(&self) -> bool {
        self.robust() && self.run != self.reference
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

/// One side judged: each claim's verdict, each effect with the claims that rest on it.
struct Judged {
    verdicts: Vec<(&'static str, &'static str, &'static str)>,
    effects: Vec<(Effect, Vec<String>)>,
}

fn judge(manifest: &Manifest, plan: &Plan, table: &ReplicaTable) -> Judged {
    let rows = table.rows(manifest, plan);
    let mut verdicts = Vec::new();
    let mut effects: Vec<(Effect, Vec<String>)> = Vec::new();
    for set in RuleSet::ALL {
        for v in set.verdicts(manifest, plan, &rows) {
            verdicts.push((set.name(), v.claim, v.result()));
        }
        for e in set.effects(manifest, plan, &rows) {
            let claim = format!("{} {}", set.name(), e.claim);
            match effects.iter_mut().find(|(f, _)| f.name == e.name) {
                Some((_, claims)) => claims.push(claim),
                None => effects.push((e, vec![claim])),
            }
        }
    }
    Judged { verdicts, effects }
}

/// A side under resampling: the share of resamples keeping each claim's verdict, and each
/// effect's standard deviation over the resamples.
struct Resampled {
    same: BTreeMap<(&'static str, &'static str), f64>,
    sd: BTreeMap<String, f64>,
}

fn resample(
    manifest: &Manifest,
    plan: &Plan,
    table: &ReplicaTable,
    observed: &Judged,
    tag: &str,
) -> Resampled {
    let mut rng = Rng::new(derive_seed(0, &format!("check/tier2/{tag}")));
    let mut kept: BTreeMap<(&'static str, &'static str), usize> = BTreeMap::new();
    let mut values: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for _ in 0..RESAMPLES {
        let j = judge(manifest, plan, &table.bootstrap(&mut rng));
        for (rules, claim, result) in &observed.verdicts {
            let same = j
                .verdicts
                .iter()
                .any(|(r, c, x)| r == rules && c == claim && x == result);
            *kept.entry((*rules, *claim)).or_default() += usize::from(same);
        }
        for (e, _) in &j.effects {
            if e.value.is_finite() {
                values.entry(e.name.clone()).or_default().push(e.value);
            }
        }
    }
    Resampled {
        same: kept
            .into_iter()
            .map(|(k, n)| (k, n as f64 / RESAMPLES as f64))
            .collect(),
        sd: values
            .into_iter()
            .map(|(k, v)| (k, stats::Sample::of(&v).sd))
            .collect(),
    }
}

/// Tier 2 on one combination: both sides' replica tables, the run's manifest and plan (the
/// reference is read on the same grid).
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
    let ours_r = resample(manifest, plan, run, &ours, "run");
    let theirs_r = resample(manifest, plan, reference, &theirs, "reference");
    for &(rules, claim, result) in &theirs.verdicts {
        let run_result = ours
            .verdicts
            .iter()
            .find(|(r, c, _)| *r == rules && *c == claim)
            .map_or("absent", |v| v.2);
        science.claims.push(ClaimCheck {
            rules,
            claim,
            reference: result,
            run: run_result,
            reference_same: theirs_r
                .same
                .get(&(rules, claim))
                .copied()
                .unwrap_or(f64::NAN),
            run_same: ours_r
                .same
                .get(&(rules, claim))
                .copied()
                .unwrap_or(f64::NAN),
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
            reference_sd: theirs_r.sd.get(&e.name).copied().unwrap_or(f64::NAN),
            run_sd: ours_r.sd.get(&e.name).copied().unwrap_or(f64::NAN),
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
    let mut fails: Vec<String> = s
        .claims
        .iter()
        .filter(|c| c.flipped())
        .map(|c| {
            format!(
                "{} is {} on the reference in {:.0} % of its resamples but {} on the rerun",
                c.name(),
                c.reference,
                100.0 * c.reference_same,
                c.run
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
        "{robust} of {} claims robust on the reference ({nf} replicas, {RESAMPLES} resamples), each with the same verdict on the rerun ({nr} replicas); {}",
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
    if passed == tested.len() {
        return (Outcome::Pass, format!("{reason}{fragile_note}"));
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
                "v1 C2 is PASS on the reference in 100 % of its resamples but FAIL on the rerun"
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
    fn a_noisy_reference_makes_its_claims_fragile_and_a_flip_of_those_is_not_a_failure() {
        let (m, plan) = design();
        let margins = CheckMargins::default();
        // The level gap (0.01) is far inside the replicas' spread (0.05): C1's verdict rests on
        // the draw.
        let reference = table(&plan, 3, 0.01, 0.4, 0.05, 1);
        let run = table(&plan, 3, -0.01, 0.4, 0.05, 5);
        let s = compare(&m, &plan, &run, &reference, &margins);
        let c1 = s
            .claims
            .iter()
            .find(|c| c.rules == "v1" && c.claim == "C1")
            .unwrap();
        assert!(!c1.robust(), "{c1:?}");
        assert_ne!(s.outcome, Outcome::Fail, "{}", s.reason);
        assert!(
            s.reason
                .contains("fragile on the reference, so not counted: v1 C1"),
            "{}",
            s.reason
        );
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
            }],
            effects: vec![e.clone()],
            bands: Vec::new(),
            outcome: Outcome::Inconclusive,
            reason: String::new(),
        };
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
