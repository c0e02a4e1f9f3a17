//! The point and figure verdicts on hand-made replica tables.

use super::super::replicas::{Provenance, ReplicaRow};
use super::*;

fn prov(hash: &str) -> Provenance {
    Provenance {
        manifest_sha256: hash.into(),
        algorithm_version: "2".into(),
        device: "cpu".into(),
        harness_version: "0".into(),
    }
}

/// A table of `points` points (n = 10, 20, …) of one curve, quantities `gen_error` and
/// `cce_ksg`, with replica values `value(point, quantity, replica)`.
fn table(points: usize, replicas: usize, value: impl Fn(usize, &str, usize) -> f64) -> Replicas {
    let mut rows = Vec::new();
    for p in 0..points {
        for q in ["gen_error", "cce_ksg"] {
            for r in 0..replicas {
                rows.push(ReplicaRow {
                    point: PointKey {
                        level: "1".into(),
                        n: 10 * (p + 1),
                        model: "linear2".into(),
                    },
                    n_over_p: (p + 1) as f64 / 10.0,
                    replica: r,
                    quantity: q.into(),
                    value: value(p, q, r),
                });
            }
        }
    }
    Replicas {
        level_column: "snr".into(),
        provenance: prov("a"),
        rows,
    }
}

/// A standard-normal draw times `sd`, one stream per (replica, salt): the project's RNG, so
/// the tables are the same on every run.
fn wiggle(r: usize, salt: usize, sd: f64) -> f64 {
    sd * crate::rng::Rng::new(((salt as u64) << 32) | r as u64).normal()
}

fn judge_all(run: &Replicas, reference: &Replicas) -> (Vec<PointCheck>, Outcome, String) {
    let mut points = compare_points(run, reference, &CheckMargins::default());
    mark_deciding_points(&mut points, "cce_ksg");
    let (o, reason) = figure_verdict(&points, &[], false);
    (points, o, reason)
}

/// gen_error ≈ 1 (margin 0.1), cce ≈ 0.5 (margin 0.05), spread 0.005: well inside.
fn base(p: usize, q: &str, r: usize, salt: usize) -> f64 {
    let centre = if q == "gen_error" {
        1.0 + p as f64 * 0.01
    } else {
        0.5
    };
    centre + wiggle(r, salt + p, 0.005)
}

#[test]
fn two_samples_of_one_distribution_pass() {
    let run = table(12, 10, |p, q, r| base(p, q, r, 1));
    let reference = table(12, 10, |p, q, r| base(p, q, r, 2));
    let (points, outcome, reason) = judge_all(&run, &reference);
    assert_eq!(outcome, Outcome::Pass, "{reason}");
    assert!(points.iter().all(|c| c.method == Method::Tost));
    // Peak and both ends of each of the two curves decide claims (ties in cce_ksg's flat
    // mean may make the peak coincide with an end).
    let deciding = points.iter().filter(|c| c.decides_claim).count();
    assert!((4..=6).contains(&deciding), "{deciding}");
}

#[test]
fn one_point_shifted_far_beyond_its_margin_fails_and_is_named() {
    let run = table(12, 10, |p, q, r| base(p, q, r, 1));
    let reference = table(12, 10, |p, q, r| {
        base(p, q, r, 2) + if p == 4 && q == "cce_ksg" { 0.5 } else { 0.0 }
    });
    let (points, outcome, reason) = judge_all(&run, &reference);
    assert_eq!(outcome, Outcome::Fail);
    let failed: Vec<&PointCheck> = points
        .iter()
        .filter(|c| c.outcome == Outcome::Fail)
        .collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(
        (failed[0].point.n, failed[0].quantity.as_str()),
        (50, "cce_ksg")
    );
    assert!(reason.contains("cce_ksg at level 1 n=50"), "{reason}");
}

#[test]
fn only_a_detectable_excess_over_the_margin_fails() {
    // A difference of 0.08 against a margin of 0.05 (se ≈ 0.002) is a clear minimum effect:
    // FAIL. One of 0.052 may lie a hair beyond the margin, but not detectably among 24
    // tests: INCONCLUSIVE, never FAIL.
    let shifted = |shift: f64| {
        let run = table(12, 10, |p, q, r| base(p, q, r, 1));
        let reference = table(12, 10, |p, q, r| {
            base(p, q, r, 2) + if p == 4 && q == "cce_ksg" { shift } else { 0.0 }
        });
        judge_all(&run, &reference).1
    };
    assert_eq!(shifted(0.08), Outcome::Fail);
    assert_eq!(shifted(0.052), Outcome::Inconclusive);
}

#[test]
fn too_few_replicas_are_inconclusive() {
    let run = table(12, 10, |p, q, r| base(p, q, r, 1));
    let reference = table(12, 1, |p, q, r| base(p, q, r, 2));
    let (points, outcome, _) = judge_all(&run, &reference);
    assert_eq!(outcome, Outcome::Inconclusive);
    assert!(points.iter().all(|c| c.method == Method::Untestable));
    assert!(
        points[0].note.contains("too few replicas"),
        "{}",
        points[0].note
    );
}

/// CCE with a replica spread of 0.05 nats, gen_error as in [`base`].
fn noisy(salt: usize) -> impl Fn(usize, &str, usize) -> f64 {
    move |p: usize, q: &str, r: usize| {
        if q == "cce_ksg" {
            0.5 + wiggle(r, salt + p, 0.05)
        } else {
            base(p, q, r, salt)
        }
    }
}

#[test]
fn a_margin_below_the_passable_one_is_named_and_the_replicas_needed_given() {
    // Spread 0.05 with 3 replicas: the smallest passable CCE margin is ≈ 1.74 · 0.05 ≈ 0.087
    // > 0.05.
    let run = table(6, 3, noisy(1));
    let reference = table(6, 3, noisy(2));
    let (points, outcome, reason) = judge_all(&run, &reference);
    assert_eq!(outcome, Outcome::Inconclusive);
    let cce = points.iter().find(|c| c.quantity == "cce_ksg").unwrap();
    assert!(
        cce.note.contains("below the smallest passable"),
        "{}",
        cce.note
    );
    assert!(cce.replicas_needed.unwrap() > 3);
    assert!(
        reason.contains("replicas per side for an 80 % chance of PASS"),
        "{reason}"
    );
}

#[test]
fn values_without_seed_variance_use_the_tolerance() {
    let run = table(3, 4, |p, _, _| p as f64);
    let same = table(3, 4, |p, _, _| p as f64 * (1.0 + 1e-12));
    let (points, outcome, _) = judge_all(&run, &same);
    assert!(points.iter().all(|c| c.method == Method::Tolerance));
    assert_eq!(outcome, Outcome::Pass);
    let off = table(3, 4, |p, _, _| p as f64 + 1e-6);
    assert_eq!(judge_all(&run, &off).1, Outcome::Fail);
}

#[test]
fn a_claim_verdict_that_differs_keeps_the_figure_from_passing() {
    let run = table(12, 10, |p, q, r| base(p, q, r, 1));
    let reference = table(12, 10, |p, q, r| base(p, q, r, 2));
    let mut points = compare_points(&run, &reference, &CheckMargins::default());
    mark_deciding_points(&mut points, "cce_ksg");
    let claims = [ClaimComparison {
        claim: "C2".into(),
        run: "PASS".into(),
        reference: "FAIL".into(),
    }];
    let (o, reason) = figure_verdict(&points, &claims, false);
    assert_eq!(o, Outcome::Inconclusive);
    assert!(reason.contains("C2 PASS (reference FAIL)"), "{reason}");
}

#[test]
fn a_point_on_one_side_only_is_inconclusive() {
    let run = table(12, 10, |p, q, r| base(p, q, r, 1));
    let reference = table(11, 10, |p, q, r| base(p, q, r, 2));
    let (points, outcome, _) = judge_all(&run, &reference);
    assert_eq!(outcome, Outcome::Inconclusive);
    assert!(points.iter().any(|c| c.note == "only in the run"));
}
