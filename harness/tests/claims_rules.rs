//! The claim rules of the README, one at a time, at and around each of their edges: C1's strict
//! monotonicity of the level averages and its pointwise 3-SE reversal check; the peak rule of
//! C2/C3 (window 0.5 ≤ n/P ≤ 2 inclusive, above both ends, not at an end) on the right column;
//! C4's 2-SE pair rule in both quantities; N/A; the level order for SNR and for label noise;
//! and the grouped form used with `compare:`. Each expected verdict is worked out by hand from
//! the rule's text, not from the code.

use harness::plan::Level;
use harness::results::claims::{c1, c2, c3, c4, evaluate, evaluate_groups, ClaimPoint, Curve};
use harness::results::tables::Estimate;

const GRID: [f64; 5] = [0.1, 0.5, 0.9, 1.2, 2.5];

fn e(mean: f64, se: f64) -> Estimate {
    Estimate { mean, se }
}

/// A curve on `GRID` (or `grid`) with the given CCE and error means, all standard errors `se`.
fn curve_on(grid: &[f64], level: Level, cce: &[f64], gen: &[f64], se: f64) -> Curve {
    Curve {
        label: level.label(),
        signal: level.signal(),
        points: grid
            .iter()
            .zip(cce.iter().zip(gen))
            .map(|(&r, (&c, &g))| ClaimPoint {
                n_over_p: r,
                cce: e(c, se),
                gen_error: e(g, se),
            })
            .collect(),
    }
}

fn curve(level: Level, cce: &[f64], se: f64) -> Curve {
    curve_on(&GRID, level, cce, &[1.0, 2.0, 9.0, 3.0, 0.5], se)
}

const PEAKED: [f64; 5] = [-0.2, -0.1, -0.02, -0.05, -0.3];

fn shifted(by: f64) -> Vec<f64> {
    PEAKED.iter().map(|v| v + by).collect()
}

// ---- C1 ----

#[test]
fn c1_passes_when_every_cleaner_level_is_lower_on_average_and_nowhere_reversed() {
    let v = c1(&[
        curve(Level::Snr(1.0), &shifted(0.0), 0.01),
        curve(Level::Snr(2.0), &shifted(-0.1), 0.01),
        curve(Level::Snr(5.0), &shifted(-0.2), 0.01),
    ]);
    assert!(v.applicable && v.pass, "{v:?}");
    assert_eq!(v.result(), "PASS");
    assert!(v.detail.contains("0 of 10"), "{}", v.detail);
}

#[test]
fn c1_levels_are_ordered_by_signal_not_by_input_order() {
    // Given cleanest first: the rule sorts them (SNR ascending).
    let v = c1(&[
        curve(Level::Snr(5.0), &shifted(-0.2), 0.01),
        curve(Level::Snr(1.0), &shifted(0.0), 0.01),
        curve(Level::Snr(2.0), &shifted(-0.1), 0.01),
    ]);
    assert!(v.pass, "{v:?}");
    // The same numbers with the SNRs exchanged: alignment falls as SNR rises, FAIL.
    let v = c1(&[
        curve(Level::Snr(1.0), &shifted(-0.2), 0.01),
        curve(Level::Snr(2.0), &shifted(-0.1), 0.01),
        curve(Level::Snr(5.0), &shifted(0.0), 0.01),
    ]);
    assert!(v.applicable && !v.pass, "{v:?}");
}

#[test]
fn c1_with_label_noise_takes_the_cleaner_level_as_the_higher_signal() {
    assert!(Level::LabelNoise(0.0).signal() > Level::LabelNoise(0.2).signal());
    assert!(Level::LabelNoise(0.2).signal() > Level::LabelNoise(0.4).signal());
    // Less label noise, lower CCE: PASS, whatever the input order.
    let clean_aligned = [
        curve(Level::LabelNoise(0.4), &shifted(0.0), 0.01),
        curve(Level::LabelNoise(0.0), &shifted(-0.2), 0.01),
        curve(Level::LabelNoise(0.2), &shifted(-0.1), 0.01),
    ];
    assert!(c1(&clean_aligned).pass, "{:?}", c1(&clean_aligned));
    // More label noise, lower CCE: FAIL.
    let reversed = [
        curve(Level::LabelNoise(0.0), &shifted(0.0), 0.01),
        curve(Level::LabelNoise(0.2), &shifted(-0.1), 0.01),
        curve(Level::LabelNoise(0.4), &shifted(-0.2), 0.01),
    ];
    let v = c1(&reversed);
    assert!(v.applicable && !v.pass, "{v:?}");
}

#[test]
fn c1_averages_must_fall_strictly() {
    let v = c1(&[
        curve(Level::Snr(1.0), &shifted(0.0), 0.01),
        curve(Level::Snr(2.0), &shifted(0.0), 0.01),
    ]);
    assert!(v.applicable && !v.pass, "equal averages: {v:?}");
    // A middle level out of order fails although the ends are ordered.
    let v = c1(&[
        curve(Level::Snr(1.0), &shifted(0.0), 0.01),
        curve(Level::Snr(2.0), &shifted(0.05), 0.01),
        curve(Level::Snr(5.0), &shifted(-0.2), 0.01),
    ]);
    assert!(!v.pass, "{v:?}");
}

#[test]
fn c1_fails_on_one_pointwise_reversal_beyond_three_standard_errors() {
    // SE 0.01 per point: the SE of a difference is 0.01·√2 = 0.01414, 3 SE = 0.0424.
    let noisy = shifted(0.0);
    // The cleaner level is 0.2 lower on average, but 0.05 higher at n/P = 1.2 (3.5 SE).
    let mut clean = shifted(-0.25);
    clean[3] = noisy[3] + 0.05;
    let v = c1(&[
        curve(Level::Snr(1.0), &noisy, 0.01),
        curve(Level::Snr(2.0), &clean, 0.01),
    ]);
    assert!(v.applicable && !v.pass, "{v:?}");
    assert!(v.detail.contains("1 of 5"), "{}", v.detail);
    assert!(v.detail.contains("n/P=1.200"), "{}", v.detail);
    // 0.04 higher is 2.83 SE: within the rule, PASS.
    clean[3] = noisy[3] + 0.04;
    let v = c1(&[
        curve(Level::Snr(1.0), &noisy, 0.01),
        curve(Level::Snr(2.0), &clean, 0.01),
    ]);
    assert!(v.pass, "{v:?}");
    // Unknown standard errors (a single replica, NaN) count as 0: any reversal fails.
    let mut tiny = shifted(-0.25);
    tiny[3] = noisy[3] + 1e-9;
    let v = c1(&[
        curve(Level::Snr(1.0), &noisy, f64::NAN),
        curve(Level::Snr(2.0), &tiny, f64::NAN),
    ]);
    assert!(!v.pass, "{v:?}");
}

#[test]
fn c1_with_a_single_level_is_not_applicable() {
    let v = c1(&[curve(Level::Snr(5.0), &shifted(0.0), 0.01)]);
    assert!(!v.applicable && !v.pass, "{v:?}");
    assert_eq!(v.result(), "N/A");
    assert_eq!(c1(&[]).result(), "N/A");
}

// ---- C2 and C3 ----

fn peak_curve(grid: &[f64], values: &[f64]) -> Vec<Curve> {
    // The same values as CCE and as error: C2 and C3 must agree.
    vec![curve_on(grid, Level::Snr(1.0), values, values, 0.01)]
}

#[test]
fn peak_rule_window_is_inclusive_at_half_and_two() {
    for (at, inside) in [
        (0.5, true),
        (2.0, true),
        (0.49, false),
        (2.01, false),
        (1.0, true),
    ] {
        let grid = [0.1, at, 3.0];
        let curves = peak_curve(&grid, &[0.0, 1.0, 0.5]);
        assert_eq!(
            c2(&curves).pass,
            inside,
            "peak at n/P = {at}: {:?}",
            c2(&curves)
        );
        assert_eq!(
            c3(&curves).pass,
            inside,
            "peak at n/P = {at}: {:?}",
            c3(&curves)
        );
    }
}

#[test]
fn peak_rule_rejects_a_peak_at_either_end_even_inside_the_window() {
    // The whole grid lies in the window; the highest value is the first or the last point.
    let grid = [0.6, 1.0, 1.5];
    assert!(!c2(&peak_curve(&grid, &[2.0, 1.0, 0.5])).pass);
    assert!(!c2(&peak_curve(&grid, &[0.5, 1.0, 2.0])).pass);
    assert!(c2(&peak_curve(&grid, &[0.5, 2.0, 1.0])).pass);
    // A plateau that reaches an end does not exceed that end.
    assert!(!c2(&peak_curve(&grid, &[2.0, 2.0, 1.0])).pass);
    assert!(!c3(&peak_curve(&grid, &[1.0, 2.0, 2.0])).pass);
}

#[test]
fn peak_rule_needs_every_level_and_reads_its_own_column() {
    let good = curve_on(
        &GRID,
        Level::Snr(1.0),
        &PEAKED,
        &[1.0, 2.0, 9.0, 3.0, 0.5],
        0.01,
    );
    // CCE peaks at the end, error in the window: C2 fails, C3 passes.
    let cce_at_end = curve_on(
        &GRID,
        Level::Snr(2.0),
        &[-0.5, -0.4, -0.3, -0.2, -0.1],
        &[1.0, 2.0, 9.0, 3.0, 0.5],
        0.01,
    );
    assert!(c2(std::slice::from_ref(&good)).pass && c3(std::slice::from_ref(&good)).pass);
    let both = [good.clone(), cce_at_end.clone()];
    assert!(!c2(&both).pass, "{:?}", c2(&both));
    assert!(c3(&both).pass, "{:?}", c3(&both));
    assert!(c2(&both).detail.contains("✗"), "{}", c2(&both).detail);
    // Error peaks at the start, CCE in the window: the reverse.
    let error_at_start = curve_on(
        &GRID,
        Level::Snr(3.0),
        &PEAKED,
        &[9.0, 2.0, 3.0, 1.0, 0.5],
        0.01,
    );
    let both = [good, error_at_start];
    assert!(c2(&both).pass && !c3(&both).pass);
    // Nothing to judge is no pass.
    assert!(!c2(&[]).pass && !c3(&[]).pass);
    let empty = Curve {
        label: "empty".into(),
        signal: 1.0,
        points: vec![],
    };
    assert!(!c2(&[empty]).pass);
}

// ---- C4 ----

fn point(r: f64, cce: f64, err: f64, se: f64) -> ClaimPoint {
    ClaimPoint {
        n_over_p: r,
        cce: e(cce, se),
        gen_error: e(err, se),
    }
}

fn two_points(a: ClaimPoint, b: ClaimPoint) -> Vec<Curve> {
    vec![Curve {
        label: "snr=1".into(),
        signal: 1.0,
        points: vec![a, b],
    }]
}

#[test]
fn c4_needs_a_point_better_aligned_and_worse_both_beyond_two_standard_errors() {
    // SE 0.1 per point: 2 SE of a difference = 0.2828.
    let pass = two_points(point(0.5, -1.0, 2.0, 0.1), point(1.0, -0.6, 1.6, 0.1));
    let v = c4(&pass);
    assert!(v.pass, "{v:?}");
    assert!(v.detail.starts_with("1 such ordered pairs"), "{}", v.detail);
    assert!(
        v.detail.contains("n/P=0.500 (CCE -1.0000, error 2.0000)"),
        "{}",
        v.detail
    );
    // CCE gap 0.27 < 2 SE: not beyond the noise.
    let v = c4(&two_points(
        point(0.5, -1.0, 2.0, 0.1),
        point(1.0, -0.73, 1.6, 0.1),
    ));
    assert!(!v.pass, "{v:?}");
    // Error gap 0.27 < 2 SE.
    let v = c4(&two_points(
        point(0.5, -1.0, 2.0, 0.1),
        point(1.0, -0.6, 1.73, 0.1),
    ));
    assert!(!v.pass, "{v:?}");
    // Better aligned and better generalizing: what C4 denies is not shown.
    let v = c4(&two_points(
        point(0.5, -1.0, 1.0, 0.1),
        point(1.0, -0.6, 2.0, 0.1),
    ));
    assert!(!v.pass, "{v:?}");
    assert!(v.detail.contains("no pair of points"), "{}", v.detail);
}

#[test]
fn c4_compares_points_across_levels_and_reports_the_widest_gap() {
    let a = Curve {
        label: "snr=1".into(),
        signal: 1.0,
        points: vec![point(0.5, -1.0, 2.0, 0.0)],
    };
    let b = Curve {
        label: "snr=5".into(),
        signal: 5.0,
        points: vec![point(0.5, -0.5, 1.0, 0.0), point(1.0, -0.2, 1.5, 0.0)],
    };
    let v = c4(&[a, b]);
    assert!(v.pass);
    // (a, b0) and (a, b1) qualify; the reported one has the larger CCE gap (−1.0 vs −0.2).
    assert!(v.detail.starts_with("2 such ordered pairs"), "{}", v.detail);
    assert!(
        v.detail.contains("snr=1 n/P=0.500") && v.detail.contains("snr=5 n/P=1.000"),
        "{}",
        v.detail
    );
}

// ---- all together ----

#[test]
fn evaluate_returns_c1_to_c4_in_order() {
    let curves = [
        curve(Level::Snr(1.0), &shifted(0.0), 0.01),
        curve(Level::Snr(5.0), &shifted(-0.3), 0.01),
    ];
    let v = evaluate(&curves);
    let names: Vec<&str> = v.iter().map(|v| v.claim).collect();
    assert_eq!(names, ["C1", "C2", "C3", "C4"]);
    assert_eq!(v[0], c1(&curves));
    assert_eq!(v[3], c4(&curves));
}

#[test]
fn grouped_claims_judge_c1_per_network_and_the_rest_over_all_curves() {
    let relu = vec![
        curve(Level::Snr(1.0), &shifted(0.0), 0.01),
        curve(Level::Snr(5.0), &shifted(-0.3), 0.01),
    ];
    let linear_bad = vec![
        curve(Level::Snr(1.0), &shifted(-0.3), 0.01),
        curve(Level::Snr(5.0), &shifted(0.0), 0.01),
    ];
    let single = vec![curve(Level::Snr(5.0), &shifted(0.0), 0.01)];
    // One group: exactly the ungrouped verdicts.
    assert_eq!(
        evaluate_groups(&[("relu2".into(), relu.clone())]),
        evaluate(&relu)
    );
    // Every group that can test C1 must pass it; a group with one level is skipped.
    let v = evaluate_groups(&[
        ("relu2".into(), relu.clone()),
        ("linear2".into(), single.clone()),
    ]);
    assert_eq!(v[0].result(), "PASS", "{:?}", v[0]);
    assert!(v[0].detail.contains("linear2: N/A"), "{}", v[0].detail);
    let v = evaluate_groups(&[
        ("relu2".into(), relu.clone()),
        ("linear2".into(), linear_bad.clone()),
    ]);
    assert_eq!(v[0].result(), "FAIL", "{:?}", v[0]);
    // No group can test it: N/A.
    let v = evaluate_groups(&[("a".into(), single.clone()), ("b".into(), single.clone())]);
    assert_eq!(v[0].result(), "N/A");
    // C2–C4 pool the curves of both networks.
    let all: Vec<Curve> = relu.iter().chain(&linear_bad).cloned().collect();
    let v = evaluate_groups(&[("relu2".into(), relu), ("linear2".into(), linear_bad)]);
    assert_eq!(v[1], c2(&all));
    assert_eq!(v[2], c3(&all));
    assert_eq!(v[3], c4(&all));
}

// ---- the exact boundaries, and the numbers in the verdicts (added after cargo-mutants) ----

#[test]
fn c1_reports_each_level_average_and_an_equal_point_is_no_reversal() {
    // Averages by hand: PEAKED sums to −0.67 over 5 points, −0.134; shifted by −0.25, −0.384.
    let noisy = shifted(0.0);
    let mut clean = shifted(-0.25);
    // One point exactly as high as the noisier level's (no standard error known): not a
    // reversal "by more than 3 SE" (0 > 0 is false). The average becomes −0.334.
    clean[3] = noisy[3];
    let v = c1(&[
        curve(Level::Snr(1.0), &noisy, f64::NAN),
        curve(Level::Snr(2.0), &clean, f64::NAN),
    ]);
    assert!(v.pass, "{v:?}");
    assert!(
        v.detail
            .starts_with("mean CCE over n/P by level [SNR 1: -0.1340, SNR 2: -0.3340]"),
        "{}",
        v.detail
    );
    assert!(v.detail.contains("0 of 5"), "{}", v.detail);
}

#[test]
fn c4_equal_alignment_or_equal_error_is_not_beyond_the_noise() {
    // Known standard errors of 0: a difference of exactly 0 is not "beyond 2 SE".
    let v = c4(&two_points(
        point(0.5, -1.0, 2.0, 0.0),
        point(1.0, -1.0, 1.0, 0.0),
    ));
    assert!(!v.pass, "equal CCE: {v:?}");
    let v = c4(&two_points(
        point(0.5, -1.0, 2.0, 0.0),
        point(1.0, -0.5, 2.0, 0.0),
    ));
    assert!(!v.pass, "equal error: {v:?}");
    // And the smallest positive gaps in both count.
    let v = c4(&two_points(
        point(0.5, -1.0, 2.0, 0.0),
        point(1.0, -0.999, 1.999, 0.0),
    ));
    assert!(v.pass, "{v:?}");
}

#[test]
fn c4_reports_the_pair_with_the_widest_alignment_gap_and_the_first_of_equals() {
    // p (CCE −1.0, error 3), q (−0.9, 2), r (0.0, 1): all three ordered pairs (p,q), (p,r),
    // (q,r) qualify; gaps 0.1, 1.0, 0.9. The widest is (p, r) (a sum instead of a difference
    // would pick (q, r)).
    let three = vec![Curve {
        label: "snr=1".into(),
        signal: 1.0,
        points: vec![
            point(0.5, -1.0, 3.0, 0.0),
            point(1.0, -0.9, 2.0, 0.0),
            point(2.0, 0.0, 1.0, 0.0),
        ],
    }];
    let v = c4(&three);
    assert!(v.detail.starts_with("3 such ordered pairs"), "{}", v.detail);
    assert!(
        v.detail.contains(
            "n/P=0.500 (CCE -1.0000, error 3.0000) is better aligned than snr=1 n/P=2.000"
        ),
        "{}",
        v.detail
    );
    // Two pairs with the same gap: the first in point order is reported.
    let tie = vec![Curve {
        label: "snr=1".into(),
        signal: 1.0,
        points: vec![
            point(0.5, -1.0, 2.0, 0.0),
            point(1.0, 0.0, 1.0, 0.0),
            point(2.0, -1.0, 2.0, 0.0),
        ],
    }];
    let v = c4(&tie);
    assert!(v.detail.starts_with("2 such ordered pairs"), "{}", v.detail);
    assert!(
        v.detail.contains("e.g. snr=1 n/P=0.500 (CCE -1.0000"),
        "{}",
        v.detail
    );
}
