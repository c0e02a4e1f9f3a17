//! Claim rules v2 (docs/SPEC.md §7), one rule and edge at a time: the classifier threshold
//! (ε = 0.01 inclusive, the largest interpolating n, N/A when all or none interpolate), the
//! regression threshold n* = P, the factor-2 window (inclusive), C2, C3 (a ≥ 3 SE rise over the
//! best point at smaller n into a local maximum in the window), C3-loss, the cross-network
//! thresholds of a comparison, the verdict over levels (N/A levels left out), and the
//! `claims.csv` / terminal forms with v1 and v2 side by side. Each expected verdict is worked
//! out by hand from the rule's text.

use harness::results::claims::v2::{
    self, c2_curve, c3_curve, in_window, threshold, Curve, Outcome, Point, Threshold,
};
use harness::results::claims::{self, claims_csv, Verdict, Verdicts};
use harness::results::tables::Estimate;

fn e(mean: f64, se: f64) -> Estimate {
    Estimate { mean, se }
}

/// A classifier curve of P = 100 at label noise `p` on the grid `ns`, with CCE, test error
/// (also as test loss) and training error per point, standard errors `se`.
fn classifier(p: f64, ns: &[usize], cce: &[f64], err: &[f64], train: &[f64], se: f64) -> Curve {
    Curve {
        label: format!("label noise {p}"),
        signal: -p,
        network: "fcnn".into(),
        p: 100,
        points: (0..ns.len())
            .map(|i| Point {
                n: ns[i],
                n_over_p: ns[i] as f64 / 100.0,
                cce: e(cce[i], se),
                gen_error: e(err[i], se),
                test_loss: Some(e(err[i], se)),
                train_error: Some(e(train[i], 0.0)),
            })
            .collect(),
    }
}

/// A regression curve of parameter count `p` on the grid `ns`.
fn regression(network: &str, p: usize, ns: &[usize], cce: &[f64], err: &[f64], se: f64) -> Curve {
    Curve {
        label: format!("{network} SNR 5"),
        signal: 5.0,
        network: network.into(),
        p,
        points: (0..ns.len())
            .map(|i| Point {
                n: ns[i],
                n_over_p: ns[i] as f64 / p as f64,
                cce: e(cce[i], se),
                gen_error: e(err[i], se),
                test_loss: None,
                train_error: None,
            })
            .collect(),
    }
}

fn one(curves: Vec<Curve>) -> Vec<(String, Vec<Curve>)> {
    vec![("net".to_string(), curves)]
}

const NS: [usize; 6] = [10, 20, 40, 60, 100, 200];

fn at(t: &Threshold) -> f64 {
    match t {
        Threshold::At { n, .. } => *n,
        Threshold::NotApplicable(why) => panic!("no threshold: {why}"),
    }
}

// ---- the threshold ----

#[test]
fn classifier_threshold_is_the_largest_grid_n_with_train_error_at_most_epsilon() {
    let flat = [0.0; 6];
    // Interpolates up to n = 40, then not.
    let c = classifier(
        0.2,
        &NS,
        &flat,
        &flat,
        &[0.0, 0.0, 0.004, 0.1, 0.15, 0.18],
        0.01,
    );
    assert_eq!(at(&threshold(&c)), 40.0);
    // ε is inclusive: 0.01 exactly interpolates, 0.0101 does not.
    let c = classifier(
        0.2,
        &NS,
        &flat,
        &flat,
        &[0.0, 0.0, 0.0, 0.01, 0.1, 0.2],
        0.01,
    );
    assert_eq!(at(&threshold(&c)), 60.0);
    let c = classifier(
        0.2,
        &NS,
        &flat,
        &flat,
        &[0.0, 0.0, 0.0, 0.0101, 0.1, 0.2],
        0.01,
    );
    assert_eq!(at(&threshold(&c)), 40.0);
    // The largest such n, even past a point that does not interpolate.
    let c = classifier(
        0.2,
        &NS,
        &flat,
        &flat,
        &[0.0, 0.05, 0.0, 0.0, 0.1, 0.2],
        0.01,
    );
    assert_eq!(at(&threshold(&c)), 60.0);
}

#[test]
fn classifier_threshold_is_not_applicable_when_every_point_or_no_point_interpolates() {
    let flat = [0.0; 6];
    let all = classifier(
        0.0,
        &NS,
        &flat,
        &flat,
        &[0.0, 0.0, 0.0, 0.0, 0.002, 0.01],
        0.01,
    );
    assert!(
        matches!(threshold(&all), Threshold::NotApplicable(ref w) if w.contains("every grid point")),
        "{:?}",
        threshold(&all)
    );
    let none = classifier(
        0.4,
        &NS,
        &flat,
        &flat,
        &[0.02, 0.1, 0.2, 0.3, 0.3, 0.4],
        0.01,
    );
    assert!(
        matches!(threshold(&none), Threshold::NotApplicable(ref w) if w.contains("no grid point")),
        "{:?}",
        threshold(&none)
    );
}

#[test]
fn regression_threshold_is_the_parameter_count() {
    let c = regression(
        "relu2",
        129,
        &[13, 34, 129, 387],
        &[0.0; 4],
        &[0.0; 4],
        0.01,
    );
    assert_eq!(at(&threshold(&c)), 129.0);
}

#[test]
fn window_is_a_factor_two_either_side_inclusive() {
    assert!(in_window(20, &[40.0]) && in_window(80, &[40.0]) && in_window(40, &[40.0]));
    assert!(!in_window(19, &[40.0]) && !in_window(81, &[40.0]));
    // The union of several thresholds' windows; none without a threshold.
    assert!(in_window(100, &[40.0, 60.0]) && !in_window(130, &[40.0, 60.0]));
    assert!(!in_window(40, &[]));
}

// ---- C2 ----

#[test]
fn c2_passes_a_peak_within_a_factor_two_of_the_threshold_above_both_ends() {
    let train = [0.0, 0.0, 0.0, 0.1, 0.2, 0.3]; // n* = 40: window 20..80
    let err = [0.5, 0.4, 0.35, 0.3, 0.25, 0.2];
    let ok = classifier(
        0.2,
        &NS,
        &[-2.0, -1.0, -0.5, -0.8, -1.5, -1.9],
        &err,
        &train,
        0.1,
    );
    assert!(
        matches!(c2_curve(&ok, &[40.0]), Outcome::Pass(_)),
        "{:?}",
        c2_curve(&ok, &[40.0])
    );
    let v = v2::c2(&one(vec![ok.clone()]));
    assert!(v.applicable && v.pass, "{v:?}");
    assert!(
        v.detail.contains("n*=40") && v.detail.contains("peak -0.5000 at n=40"),
        "{}",
        v.detail
    );
    // The same curve judged against a threshold of 200: the peak at 40 is outside 100..400.
    assert!(matches!(c2_curve(&ok, &[200.0]), Outcome::Fail(_)));
    // Peak at n = 80? not on this grid; peak at n = 100 with n* = 40 is outside 20..80.
    let late = classifier(
        0.2,
        &NS,
        &[-2.0, -1.0, -0.9, -0.8, -0.5, -1.9],
        &err,
        &train,
        0.1,
    );
    assert!(matches!(c2_curve(&late, &[40.0]), Outcome::Fail(_)));
}

#[test]
fn c2_fails_a_peak_at_an_end_or_tied_with_one() {
    let train = [0.0, 0.0, 0.0, 0.0, 0.0, 0.3]; // n* = 100: window 50..200 covers 60, 100, 200
    let err = [0.5; 6];
    // Highest at the last point, inside the window.
    let end = classifier(
        0.2,
        &NS,
        &[-2.0, -1.0, -0.9, -0.8, -0.5, -0.4],
        &err,
        &train,
        0.1,
    );
    assert!(matches!(c2_curve(&end, &[100.0]), Outcome::Fail(_)));
    // An interior peak equal to the last end does not exceed it.
    let tied = classifier(
        0.2,
        &NS,
        &[-2.0, -1.0, -0.9, -0.4, -0.5, -0.4],
        &err,
        &train,
        0.1,
    );
    assert!(matches!(c2_curve(&tied, &[100.0]), Outcome::Fail(_)));
    // An interior peak equal to the first end: the peak is the first (smallest n), an end.
    let first = classifier(
        0.2,
        &NS,
        &[-0.4, -1.0, -0.9, -0.4, -0.5, -0.6],
        &err,
        &train,
        0.1,
    );
    assert!(matches!(c2_curve(&first, &[100.0]), Outcome::Fail(_)));
    // The highest point is the first grid point and inside the window (5..20): an end, so
    // not a peak, though it is above the last end.
    let at_start = classifier(
        0.2,
        &NS,
        &[-0.3, -0.5, -1.0, -0.9, -0.8, -0.6],
        &err,
        &train,
        0.1,
    );
    assert!(matches!(c2_curve(&at_start, &[10.0]), Outcome::Fail(ref t) if t.contains("at n=10")));
    // Two interior points tie for the peak: the smaller n (20, outside 50..200) is the peak.
    let twin = classifier(
        0.2,
        &NS,
        &[-2.0, -0.4, -0.9, -0.4, -0.5, -0.6],
        &err,
        &train,
        0.1,
    );
    assert!(matches!(c2_curve(&twin, &[100.0]), Outcome::Fail(ref t) if t.contains("at n=20")));
    let fine = classifier(
        0.2,
        &NS,
        &[-0.6, -1.0, -0.9, -0.4, -0.5, -0.6],
        &err,
        &train,
        0.1,
    );
    assert!(matches!(c2_curve(&fine, &[100.0]), Outcome::Pass(_)));
}

#[test]
fn c2_needs_three_grid_points_each_with_a_finite_mean() {
    // Three points peaking in the middle, inside 20..80: judged, and a pass.
    let three = regression(
        "relu2",
        40,
        &[20, 40, 60],
        &[-1.0, -0.5, -0.9],
        &[0.5; 3],
        0.1,
    );
    assert!(
        matches!(c2_curve(&three, &[40.0]), Outcome::Pass(_)),
        "{:?}",
        c2_curve(&three, &[40.0])
    );
    // Two points cannot hold a peak above both ends: not applicable, not a fail.
    let two = regression("relu2", 40, &[20, 40], &[-1.0, -0.5], &[0.5; 2], 0.1);
    assert!(
        matches!(c2_curve(&two, &[40.0]), Outcome::NotApplicable(ref why) if why.contains("2 grid points")),
        "{:?}",
        c2_curve(&two, &[40.0])
    );
    // A CCE that was not measured at one point (NaN mean) leaves the curve unjudged, even
    // where the rest would pass.
    let mut gap = three.clone();
    gap.points[0].cce.mean = f64::NAN;
    assert!(
        matches!(c2_curve(&gap, &[40.0]), Outcome::NotApplicable(ref why) if why.contains("CCE not measured")),
        "{:?}",
        c2_curve(&gap, &[40.0])
    );
}

#[test]
fn c2_leaves_out_levels_without_a_threshold_and_is_not_applicable_without_any() {
    let err = [0.5; 6];
    // p = 0: fits everywhere, its CCE peaks at the end (would fail if judged).
    let clean = classifier(
        0.0,
        &NS,
        &[-3.0, -2.9, -2.8, -2.7, -2.6, -2.5],
        &err,
        &[0.0; 6],
        0.1,
    );
    let noisy = classifier(
        0.2,
        &NS,
        &[-2.0, -1.0, -0.5, -0.8, -1.5, -1.9],
        &err,
        &[0.0, 0.0, 0.0, 0.1, 0.2, 0.3],
        0.1,
    );
    let v = v2::c2(&one(vec![clean.clone(), noisy]));
    assert!(v.applicable && v.pass, "{v:?}");
    assert!(
        v.detail
            .contains("label noise 0 [no threshold: every grid point"),
        "{}",
        v.detail
    );
    let v = v2::c2(&one(vec![clean]));
    assert!(!v.applicable && v.result() == "N/A", "{v:?}");
    // And nothing to judge at all is N/A, not a pass.
    assert_eq!(v2::c2(&one(vec![])).result(), "N/A");
}

#[test]
fn c2_fails_when_one_judged_level_fails() {
    let err = [0.5; 6];
    let train = [0.0, 0.0, 0.0, 0.1, 0.2, 0.3];
    let good = classifier(
        0.1,
        &NS,
        &[-2.0, -1.0, -0.5, -0.8, -1.5, -1.9],
        &err,
        &train,
        0.1,
    );
    let bad = classifier(
        0.2,
        &NS,
        &[-0.1, -1.0, -0.5, -0.8, -1.5, -1.9],
        &err,
        &train,
        0.1,
    );
    let v = v2::c2(&one(vec![good, bad]));
    assert!(v.applicable && !v.pass, "{v:?}");
    assert!(
        v.detail.contains("label noise 0.2 [") && v.detail.contains("✗"),
        "{}",
        v.detail
    );
}

// ---- C3 ----

fn error_curve(err: &[f64], se: f64) -> Curve {
    // n* = 40: window 20..80 holds n = 20, 40, 60.
    classifier(
        0.2,
        &NS,
        &[0.0; 6],
        err,
        &[0.0, 0.0, 0.0, 0.1, 0.2, 0.3],
        se,
    )
}

fn c3_on_error(c: &Curve) -> Outcome {
    c3_curve(c, &[40.0], "test error", &|p| Some(p.gen_error))
}

#[test]
fn c3_needs_a_rise_of_three_standard_errors_over_the_best_point_at_smaller_n() {
    // SE 0.1 per point: 3 SE of a difference = 0.4243. Best before n = 40 is 1.0 at n = 20.
    let pass = error_curve(&[2.0, 1.0, 1.43, 1.2, 0.8, 0.5], 0.1);
    assert!(
        matches!(c3_on_error(&pass), Outcome::Pass(_)),
        "{:?}",
        c3_on_error(&pass)
    );
    let short = error_curve(&[2.0, 1.0, 1.42, 1.2, 0.8, 0.5], 0.1);
    assert!(
        matches!(c3_on_error(&short), Outcome::Fail(_)),
        "{:?}",
        c3_on_error(&short)
    );
    // The tiny-n end higher than the peak (the null risk) does not matter: non-monotonicity.
    let v = v2::c3(&one(vec![pass.clone()]));
    assert!(v.pass, "{v:?}");
    assert!(v.detail.contains("rise 0.4300 = 3.0 SE"), "{}", v.detail);
    assert!(
        !claims::c3(&[v1_curve(&pass)]).pass,
        "v1 wants a global maximum"
    );
}

#[test]
fn c3_measures_the_rise_from_the_lowest_point_before_not_the_neighbour() {
    // Lowest before the window peak (n = 60) is 0.5 at n = 10, not 0.9 at n = 40.
    // Rise from 0.5: 0.6 > 0.4243; from 0.9 it would be 0.2.
    let c = error_curve(&[0.5, 0.95, 0.9, 1.1, 0.8, 0.4], 0.1);
    assert!(
        matches!(c3_on_error(&c), Outcome::Pass(_)),
        "{:?}",
        c3_on_error(&c)
    );
    // The best point before is the lowest one: here 0.9 at n = 40 (1.1 − 0.9 < 3 SE).
    let c = error_curve(&[1.5, 0.95, 0.9, 1.1, 0.8, 0.4], 0.1);
    assert!(
        matches!(c3_on_error(&c), Outcome::Fail(_)),
        "{:?}",
        c3_on_error(&c)
    );
}

#[test]
fn c3_needs_a_local_maximum_in_the_window() {
    // Rising out of the window: the window's highest point (n = 60) is below n = 100.
    let c = error_curve(&[0.5, 0.6, 0.8, 1.2, 1.5, 0.2], 0.1);
    assert!(matches!(c3_on_error(&c), Outcome::Fail(ref t) if t.contains("not a local maximum")));
    // The window (50..200) starts below its left neighbour: its highest point (n = 60) is
    // above the right neighbour and 3 SE above the low at n = 10, but the curve was falling.
    let c = error_curve(&[0.2, 0.5, 1.5, 1.0, 0.8, 0.6], 0.1);
    let o = c3_curve(&c, &[100.0], "test error", &|p| Some(p.gen_error));
    assert!(
        matches!(o, Outcome::Fail(ref t) if t.contains("not a local maximum (neighbours 1.5000, 0.8000)")),
        "{o:?}"
    );
    // A window reaching the last grid point: no descent seen.
    let c = classifier(
        0.2,
        &NS,
        &[0.0; 6],
        &[0.5, 0.6, 0.8, 0.9, 1.0, 1.5],
        &[0.0, 0.0, 0.0, 0.0, 0.0, 0.3],
        0.1,
    );
    let o = c3_curve(&c, &[100.0], "test error", &|p| Some(p.gen_error));
    assert!(
        matches!(o, Outcome::Fail(ref t) if t.contains("last grid point")),
        "{o:?}"
    );
    // A plateau at the top: equal to the right neighbour is not a maximum.
    let c = error_curve(&[0.5, 0.6, 1.2, 1.2, 0.8, 0.2], 0.1);
    assert!(
        matches!(c3_on_error(&c), Outcome::Fail(_)),
        "{:?}",
        c3_on_error(&c)
    );
}

#[test]
fn c3_edges_first_point_unknown_errors_and_zero_rise() {
    // The window's highest point is the first grid point: nothing to rise from.
    let c = error_curve(&[2.0, 0.1, 1.0, 0.9, 0.8, 0.2], 0.1);
    let o = c3_curve(&c, &[10.0], "test error", &|p| Some(p.gen_error));
    assert!(
        matches!(o, Outcome::Fail(ref t) if t.contains("first grid point")),
        "{o:?}"
    );
    // One replica: standard errors unknown, the rule cannot be judged.
    let c = error_curve(&[2.0, 1.0, 1.9, 1.2, 0.8, 0.5], f64::NAN);
    assert!(
        matches!(c3_on_error(&c), Outcome::NotApplicable(_)),
        "{:?}",
        c3_on_error(&c)
    );
    // Zero standard errors: a window peak level with the best point before (rise 0) is no
    // rise, although 0 ≥ 3 · 0.
    let c = error_curve(&[1.0, 1.0, 0.9, 0.8, 0.7, 0.5], 0.0);
    assert!(
        matches!(c3_on_error(&c), Outcome::Fail(_)),
        "{:?}",
        c3_on_error(&c)
    );
    // No grid point in the window.
    let o = c3_curve(&c, &[1000.0], "test error", &|p| Some(p.gen_error));
    assert!(
        matches!(o, Outcome::NotApplicable(ref t) if t.contains("no grid point")),
        "{o:?}"
    );
}

#[test]
fn c3_loss_is_judged_on_the_test_loss_apart_from_the_error() {
    // Error falls monotonically; the loss peaks at n = 40 (5 SE above 1.0).
    let mut c = error_curve(&[0.5, 0.45, 0.44, 0.43, 0.3, 0.2], 0.1);
    let loss = [1.5, 1.0, 1.8, 1.2, 0.9, 0.7];
    for (p, l) in c.points.iter_mut().zip(loss) {
        p.test_loss = Some(e(l, 0.1));
    }
    let groups = one(vec![c]);
    assert!(!v2::c3(&groups).pass);
    let loss_v = v2::c3_loss(&groups).expect("classifiers have C3-loss");
    assert!(loss_v.pass && loss_v.claim == "C3-loss", "{loss_v:?}");
    // Regression curves have no test loss: no C3-loss verdict at all.
    let r = regression(
        "linear2",
        31,
        &[10, 20, 34, 60, 120],
        &[0.0; 5],
        &[0.0; 5],
        0.1,
    );
    assert!(v2::c3_loss(&one(vec![r])).is_none());
}

// ---- a comparison: either network's threshold ----

#[test]
fn a_comparison_judges_each_curve_against_either_networks_threshold() {
    // fig3-like: linear2 (P = 31, window 15.5..62) and relu2 (P = 129, window 64.5..258), one
    // SNR; both directions peak at n = 34.
    let ns = [13, 26, 34, 52, 129, 387];
    let cce = [-0.5, -0.3, -0.1, -0.2, -0.4, -0.6];
    let err = [1.0; 6];
    let linear = regression("linear2", 31, &ns, &cce, &err, 0.01);
    let relu = regression("relu2", 129, &ns, &cce, &err, 0.01);
    let both = vec![
        ("relu2".to_string(), vec![relu.clone()]),
        ("linear2".to_string(), vec![linear]),
    ];
    let v = v2::c2(&both);
    assert!(v.pass, "{v:?}");
    assert!(
        v.detail.contains("relu2 n*=P=129, linear2 n*=P=31"),
        "{}",
        v.detail
    );
    // relu2 alone: n = 34 is n/P 0.26, outside its own window.
    let v = v2::c2(&one(vec![relu.clone()]));
    assert!(!v.pass && v.applicable, "{v:?}");
    // A curve at another level does not lend its threshold.
    let mut other = regression("linear2", 31, &ns, &cce, &err, 0.01);
    other.signal = 1.0;
    let v = v2::c2(&[
        ("relu2".to_string(), vec![relu]),
        ("linear2".to_string(), vec![other]),
    ]);
    assert!(!v.pass, "{v:?}");
}

// ---- the verdict sets and their forms ----

fn v1_curve(c: &Curve) -> claims::Curve {
    claims::Curve {
        label: c.label.clone(),
        signal: c.signal,
        points: c
            .points
            .iter()
            .map(|p| claims::ClaimPoint {
                n_over_p: p.n_over_p,
                cce: p.cce,
                gen_error: p.gen_error,
            })
            .collect(),
    }
}

#[test]
fn v2_keeps_v1s_c1_and_c4_and_orders_its_claims() {
    let train = [0.0, 0.0, 0.0, 0.1, 0.2, 0.3];
    let a = classifier(
        0.1,
        &NS,
        &[-2.0, -1.0, -0.5, -0.8, -1.5, -1.9],
        &[0.5, 0.4, 0.45, 0.3, 0.2, 0.1],
        &train,
        0.01,
    );
    let b = classifier(
        0.4,
        &NS,
        &[-1.0, -0.5, 0.5, 0.2, -0.5, -0.9],
        &[0.7, 0.6, 0.65, 0.5, 0.4, 0.3],
        &train,
        0.01,
    );
    let groups = one(vec![a.clone(), b.clone()]);
    let v2s = v2::evaluate_groups(&groups);
    let names: Vec<&str> = v2s.iter().map(|v| v.claim).collect();
    assert_eq!(names, ["C1", "C2", "C3", "C3-loss", "C4"]);
    let v1s = claims::evaluate(&[v1_curve(&a), v1_curve(&b)]);
    assert_eq!(v2s[0], v1s[0]);
    assert_eq!(v2s[4], v1s[3]);
    // Regression: no C3-loss.
    let r = regression(
        "linear2",
        31,
        &[10, 20, 34, 60, 120],
        &[0.0; 5],
        &[0.0; 5],
        0.1,
    );
    let names: Vec<&'static str> = v2::evaluate_groups(&one(vec![r]))
        .iter()
        .map(|v| v.claim)
        .collect();
    assert_eq!(names, ["C1", "C2", "C3", "C4"]);
}

fn verdict(claim: &'static str, pass: bool, detail: &str) -> Verdict {
    Verdict {
        claim,
        statement: "a statement, with a comma",
        pass,
        applicable: true,
        detail: detail.into(),
        robustness: None,
    }
}

#[test]
fn claims_csv_adds_a_rules_column_and_keeps_the_v1_rows() {
    let v1 = vec![
        verdict("C1", true, "one"),
        verdict("C2", false, "two \"q\""),
    ];
    let v2 = vec![verdict("C2", true, "three")];
    let v3 = Vec::new();
    let csv = String::from_utf8(claims_csv(&Verdicts { v1, v2, v3 }, &[]).unwrap()).unwrap();
    // The v1 file as it was written before the column, line by line, with `v1,` in front
    // (and the `warning` column, empty without warnings, then v3's `robustness` and
    // `replicas_needed`, empty without a measured robustness, at the end).
    let old = "claim,result,statement,detail\n\
               C1,PASS,\"a statement, with a comma\",one\n\
               C2,FAIL,\"a statement, with a comma\",\"two \"\"q\"\"\"\n";
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("rules,claim,result,statement,detail,warning,robustness,replicas_needed")
    );
    for line in old.lines().skip(1) {
        assert_eq!(lines.next(), Some(format!("v1,{line},,,").as_str()));
    }
    assert_eq!(
        lines.next(),
        Some("v2,C2,PASS,\"a statement, with a comma\",three,,,")
    );
    assert_eq!(lines.next(), None);
}

#[test]
fn side_by_side_shows_both_results_per_claim() {
    let v1 = vec![verdict("C1", true, "same"), verdict("C3", false, "old")];
    let v2 = vec![
        verdict("C1", true, "same"),
        verdict("C3", true, "new"),
        verdict("C3-loss", false, "loss"),
    ];
    let text = Verdicts {
        v1,
        v2,
        v3: Vec::new(),
    }
    .side_by_side();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "  C1      v1 PASS  v2 PASS  a statement, with a comma"
    );
    assert_eq!(lines[1], "       v1: same");
    assert_eq!(lines[2], "       v2: the same rule as v1");
    assert_eq!(
        lines[3],
        "  C3      v1 FAIL  v2 PASS  a statement, with a comma"
    );
    assert_eq!(lines[4], "       v1: old");
    assert_eq!(lines[5], "       v2: new");
    assert_eq!(
        lines[6],
        "  C3-loss v1 -     v2 FAIL  a statement, with a comma"
    );
    assert_eq!(lines[7], "       v2: loss");
    assert_eq!(lines.len(), 8);
}
