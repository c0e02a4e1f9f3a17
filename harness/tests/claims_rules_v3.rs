//! Claim rules v3 (docs/SPEC.md §7, "v3"), one rule and edge at a time, each expected number
//! worked out by hand from the rule's text: the one-sided p-value and its edges, the
//! normalized mid-ranks, C1's paired level gaps, C2's region-against-ends contrast (and its
//! N/A edges, and a comparison's alternative regions), C3's rise and fall between points
//! fixed by the threshold (nearest on a log scale, ties to the smaller n), C4 within curves at
//! Bonferroni's level (a data set where it FAILs while v1 passes), the robustness draws
//! (deterministic, thread-independent, UNDECIDED below 0.9) and the replicas a claim needs.

use harness::results::check::stats::t_cdf;
use harness::results::claims::data::{Curve, Groups, Point, Series};
use harness::results::claims::power::{needed_for, power_at, Needed};
use harness::results::claims::robustness::{self, agreement, interval};
use harness::results::claims::v3::{self, c1_gaps, c2_curve, c3_curve, cce_ranks, Effect, ALPHA};
use harness::results::claims::{self, claims_csv, judge_groups, Robustness, Verdict, Verdicts};

/// A point with these replica values of the CCE and the error (3 or more replicas each).
fn point(n: usize, p: usize, cce: &[f64], err: &[f64]) -> Point {
    Point {
        n,
        n_over_p: n as f64 / p as f64,
        cce: Series::of_replicas(cce),
        gen_error: Series::of_replicas(err),
        test_loss: None,
        train_error: None,
    }
}

/// A regression curve of parameter count `p` (threshold n* = P) at `signal`.
fn curve(label: &str, signal: f64, p: usize, points: Vec<Point>) -> Curve {
    Curve {
        label: label.into(),
        signal,
        network: "relu2".into(),
        p,
        classes: None,
        points,
    }
}

fn one(curves: Vec<Curve>) -> Groups {
    vec![("relu2".into(), curves)]
}

fn close(got: f64, want: f64) {
    assert!(
        (got - want).abs() <= 1e-12 * want.abs().max(1.0),
        "got {got}, want {want}"
    );
}

// ---- the one-sided test ----

#[test]
fn p_value_is_the_upper_t_tail_and_certain_without_spread() {
    let e = |estimate, se, df| Effect { estimate, se, df };
    // t = 2 with 4 df: P(T > 2) = 0.0580 (scipy.stats.t.sf(2, 4) = 0.05805826175840775).
    close(e(1.0, 0.5, 4.0).p(), t_cdf(-2.0, 4.0));
    assert!((e(1.0, 0.5, 4.0).p() - 0.058_058_261_758_407_75).abs() < 1e-12);
    assert!(!e(1.0, 0.5, 4.0).significant(ALPHA));
    assert!(e(1.0, 0.25, 4.0).significant(ALPHA));
    // No spread: certain either way; the boundary 0 is not "> 0".
    assert_eq!(e(0.1, 0.0, f64::NAN).p(), 0.0);
    assert_eq!(e(0.0, 0.0, f64::NAN).p(), 1.0);
    assert_eq!(e(-0.1, 0.0, f64::NAN).p(), 1.0);
    // Unknown: NaN, never significant.
    assert!(e(1.0, f64::NAN, 4.0).p().is_nan());
    assert!(e(f64::NAN, 1.0, 4.0).p().is_nan());
    assert!(!e(1.0, f64::NAN, 4.0).significant(ALPHA));
}

// ---- the rank scale ----

#[test]
fn cce_ranks_are_mid_ranks_over_the_whole_curve_divided_by_their_number() {
    // Pooled values 1, 3 | 2, 2 | 5, 4: sorted 1, 2, 2, 3, 4, 5; the tied 2s share rank 2.5.
    let c = curve(
        "SNR 1",
        1.0,
        10,
        vec![
            point(1, 10, &[1.0, 3.0], &[1.0, 1.0]),
            point(2, 10, &[2.0, 2.0], &[1.0, 1.0]),
            point(3, 10, &[5.0, 4.0], &[1.0, 1.0]),
        ],
    );
    let r = cce_ranks(&c).unwrap();
    assert_eq!(
        r,
        vec![
            vec![1.0 / 6.0, 4.0 / 6.0],
            vec![2.5 / 6.0, 2.5 / 6.0],
            vec![6.0 / 6.0, 5.0 / 6.0]
        ]
    );
    // A point without replicas: no ranks.
    let mut c = c;
    c.points[1].cce = Series::missing();
    assert!(cce_ranks(&c).is_none());
}

// ---- C2 ----

/// Four points n = 10, 20, 40, 80 of P = 20 with CCE replicas a−1, a, a+1 for the given a:
/// twelve distinct values 1..12, so each value is its own rank (÷ 12).
fn c2_curve_of(a: [f64; 4]) -> Curve {
    let ns = [10, 20, 40, 80];
    curve(
        "SNR 1",
        1.0,
        20,
        (0..4)
            .map(|i| point(ns[i], 20, &[a[i] - 1.0, a[i], a[i] + 1.0], &[1.0, 1.0, 1.0]))
            .collect(),
    )
}

#[test]
fn c2_contrasts_the_region_inside_the_window_with_each_end_on_ranks() {
    // Window around n* = P = 20: 10 ≤ n ≤ 40; interior region {20, 40}.
    let e = c2_curve(&c2_curve_of([2.0, 11.0, 8.0, 5.0]), &[20.0]).unwrap();
    assert_eq!((e.low_end, e.high_end), (10, 80));
    assert_eq!(e.regions.len(), 1);
    let r = &e.regions[0];
    assert_eq!(r.region, vec![20, 40]);
    // Region mean rank (11 + 8)/2 / 12 = 9.5/12; ends 2/12 and 5/12.
    close(r.above_low.estimate, 7.5 / 12.0);
    close(r.above_high.estimate, 4.5 / 12.0);
    // Each point: ranks a−1, a, a+1 over 12: s² = 1/144, s²/3 = 1/432. Region terms weigh
    // 1/2: var = ¼/432 + ¼/432 + 1/432 = 1.5/432; df = (6/1728)² / ((1² + 1² + 4²)/1728² / 2) = 4.
    close(r.above_low.se, (1.5f64 / 432.0).sqrt());
    close(r.above_low.df, 4.0);
    close(r.above_high.se, (1.5f64 / 432.0).sqrt());
    assert!(e.pass());
    assert_eq!(e.level, ALPHA);
}

#[test]
fn c2_fails_when_an_end_is_as_high_as_the_region() {
    // The high end (n = 80) is the highest: region below it.
    let e = c2_curve(&c2_curve_of([2.0, 8.0, 5.0, 11.0]), &[20.0]).unwrap();
    assert!(e.regions[0].above_high.estimate < 0.0);
    assert!(!e.pass());
    // The peak need not be inside the region, nor the region the highest: only its mean
    // against each end counts. Region {20, 40} at ranks 8 and 11 (mean 9.5), ends 5 and 2.
    let e = c2_curve(&c2_curve_of([5.0, 8.0, 11.0, 2.0]), &[20.0]).unwrap();
    close(e.regions[0].above_low.estimate, (9.5 - 5.0) / 12.0);
    close(e.regions[0].above_high.estimate, (9.5 - 2.0) / 12.0);
    assert!(e.pass());
    // Region mean 6.5 against ends 5 and 8: below the high end, FAIL.
    let e = c2_curve(&c2_curve_of([5.0, 2.0, 11.0, 8.0]), &[20.0]).unwrap();
    close(e.regions[0].above_high.estimate, (6.5 - 8.0) / 12.0);
    assert!(!e.pass());
}

#[test]
fn c2_is_not_applicable_without_a_threshold_points_or_replicas() {
    let c = c2_curve_of([2.0, 11.0, 8.0, 5.0]);
    assert_eq!(c2_curve(&c, &[]).unwrap_err(), "no threshold");
    // Window 2.5–10 holds only the low end: no interior point.
    assert!(c2_curve(&c, &[5.0])
        .unwrap_err()
        .contains("no grid point between the ends"));
    let mut short = c.clone();
    short.points.truncate(2);
    assert!(c2_curve(&short, &[20.0]).unwrap_err().contains("need 3"));
    let mut lone = c.clone();
    for p in &mut lone.points {
        p.cce = Series::of_replicas(&[p.cce.replicas[0].1]);
    }
    assert!(c2_curve(&lone, &[20.0])
        .unwrap_err()
        .contains("fewer than 2 replicas"));
}

#[test]
fn c2_in_a_comparison_passes_on_either_region_at_half_the_level() {
    // Thresholds 20 and 80 (a second network's): regions {20, 40} and {40} (80 is the end).
    let e = c2_curve(&c2_curve_of([2.0, 11.0, 8.0, 5.0]), &[20.0, 80.0, 20.0]).unwrap();
    assert_eq!(e.regions.len(), 2, "duplicate thresholds count once");
    assert_eq!(e.level, ALPHA / 2.0);
    assert_eq!(e.regions[1].region, vec![40]);
    assert!(e.pass());
}

// ---- C3 ----

/// Errors exp(x) of the log values `x` at each n (3 replicas each).
fn c3_curve_of(p: usize, ns: &[usize], logs: &[[f64; 3]]) -> Curve {
    curve(
        "SNR 5",
        5.0,
        p,
        ns.iter()
            .zip(logs)
            .map(|(&n, x)| point(n, p, &[0.0, 0.1, 0.2], &x.map(f64::exp)))
            .collect(),
    )
}

fn c3_on(c: &Curve, t: Option<f64>) -> Result<v3::C3Effect, String> {
    c3_curve(c, t, "test error", &|p| Some(&p.gen_error))
}

#[test]
fn c3_takes_the_points_nearest_half_the_threshold_it_and_twice_it() {
    let ns = [10, 20, 40, 80, 160];
    let logs = [
        [-1.0, -0.9, -0.8],
        [0.0, 0.2, 0.4],
        [1.0, 1.2, 1.4],
        [0.1, 0.3, 0.5],
        [-1.0, -0.9, -0.8],
    ];
    let e = c3_on(&c3_curve_of(40, &ns, &logs), Some(40.0)).unwrap();
    assert_eq!((e.from, e.at, e.to), (20, 40, 80));
    // Rise 1.2 − 0.2 = 1.0, fall 1.2 − 0.3 = 0.9; each side s² = 0.04: SE √(2·0.04/3), df 4.
    close(e.rise.estimate, 1.0);
    close(e.fall.estimate, 0.9);
    assert!((e.rise.se - (0.08f64 / 3.0).sqrt()).abs() < 1e-12);
    assert!((e.rise.df - 4.0).abs() < 1e-9);
    assert!(e.pass());
    // The start is fixed by n*/2 = 20, not chosen as the lowest error before the threshold
    // (n = 10, where v2 would have measured the rise from).
    // A small rise: 0.2 in SE 0.163 (t = 1.22, df 4, p = 0.144): FAIL.
    let mut weak = logs;
    weak[2] = [0.2, 0.4, 0.6];
    let e = c3_on(&c3_curve_of(40, &ns, &weak), Some(40.0)).unwrap();
    close(e.rise.estimate, 0.2);
    assert!((e.rise.p() - t_cdf(-0.2 / (0.08f64 / 3.0).sqrt(), 4.0)).abs() < 1e-9);
    assert!(!e.pass());
    // A rise without a fall (still climbing at 2n*): FAIL.
    let mut climbing = logs;
    climbing[3] = [2.0, 2.2, 2.4];
    assert!(!c3_on(&c3_curve_of(40, &ns, &climbing), Some(40.0))
        .unwrap()
        .pass());
}

#[test]
fn c3_nearest_is_on_a_log_scale_with_ties_to_the_smaller_n() {
    // n* = 40 between grid points 20 and 80, each a factor 2 away: the threshold point is 20;
    // below it only 10, above it 80 (nearest 2n* = 80).
    let ns = [10, 20, 80, 160];
    let logs = [[0.0; 3], [0.0; 3], [0.0; 3], [0.0; 3]];
    let mut c = c3_curve_of(40, &ns, &logs);
    for (i, p) in c.points.iter_mut().enumerate() {
        p.gen_error = Series::of_replicas(&[1.0 + i as f64, 1.1 + i as f64, 1.2 + i as f64]);
    }
    let e = c3_on(&c, Some(40.0)).unwrap();
    assert_eq!((e.from, e.at, e.to), (10, 20, 80));
    // Nearest on a log scale: for n* = 30 on the grid 10, 20, 45, 90, 20 and 45 are equally
    // near (|ln(2/3)| = ln 1.5; in floating point either may win by an ulp), never 10 or 90.
    let ns = [10, 20, 45, 90];
    let c = c3_curve_of(30, &ns, &[[0.0, 0.1, 0.2]; 4]);
    let at = c3_on(&c, Some(30.0)).unwrap().at;
    assert!(at == 20 || at == 45, "{at}");
}

#[test]
fn c3_is_not_applicable_at_the_edges_of_the_grid_or_without_positive_values() {
    let ns = [10, 20, 40];
    let logs = [[0.0, 0.1, 0.2], [1.0, 1.1, 1.2], [0.0, 0.1, 0.2]];
    let c = c3_curve_of(10, &ns, &logs);
    assert_eq!(c3_on(&c, None).unwrap_err(), "no threshold");
    // n* = 10 is the first grid point: nothing below it.
    assert!(c3_on(&c, Some(10.0)).unwrap_err().contains("nothing below"));
    // n* = 40 is the last: nothing above.
    assert!(c3_on(&c, Some(40.0)).unwrap_err().contains("nothing above"));
    // A zero error cannot be put on a log scale.
    let mut zero = c3_curve_of(20, &ns, &logs);
    zero.points[0].gen_error = Series::of_replicas(&[0.0, 0.1, 0.2]);
    assert!(c3_on(&zero, Some(20.0))
        .unwrap_err()
        .contains("not positive"));
    // One replica: no standard error.
    let mut lone = c3_curve_of(20, &ns, &logs);
    for p in &mut lone.points {
        p.gen_error = Series::of_replicas(&[1.0]);
    }
    assert!(c3_on(&lone, Some(20.0))
        .unwrap_err()
        .contains("fewer than 2"));
    // C3-loss reads the loss: absent there, N/A.
    let e = c3_curve(
        &c3_curve_of(20, &ns, &logs),
        Some(20.0),
        "test loss",
        &|p| p.test_loss.as_ref(),
    );
    assert_eq!(e.unwrap_err(), "test loss not measured");
}

#[test]
fn c3_judges_each_network_against_its_own_threshold() {
    // Two networks at one level: relu2 (P = 40) and linear2 (P = 10) on the grid 5..160.
    let ns = [5, 10, 20, 40, 80, 160];
    let logs = [
        [0.0, 0.1, 0.2],
        [0.0, 0.1, 0.2],
        [0.0, 0.1, 0.2],
        [2.0, 2.1, 2.2],
        [0.0, 0.1, 0.2],
        [0.0, 0.1, 0.2],
    ];
    let relu = c3_curve_of(40, &ns, &logs);
    let mut linear = c3_curve_of(10, &ns, &logs);
    linear.network = "linear2".into();
    linear.label = "linear2 SNR 5".into();
    let groups = vec![
        ("relu2".into(), vec![relu]),
        ("linear2".into(), vec![linear]),
    ];
    let e = v3::effects(&groups);
    let relu = e.c3[0].effect.as_ref().unwrap();
    assert_eq!((relu.from, relu.at, relu.to), (20, 40, 80));
    assert!(relu.pass());
    // linear2's own threshold 10: 5 → 10 → 20, flat: FAIL, though relu2's threshold (40)
    // would have passed it.
    let linear = e.c3[1].effect.as_ref().unwrap();
    assert_eq!((linear.from, linear.at, linear.to), (5, 10, 20));
    assert!(!linear.pass());
    // C2 of a comparison reads both thresholds at the level.
    let c2 = e.c2[1].effect.as_ref().unwrap();
    assert_eq!(c2.regions.len(), 2);
}

// ---- C4 ----

/// Two levels where, within each, the CCE and the error fall together with n (concordant),
/// while across levels SNR 5's n = 10 is better aligned than SNR 1's n = 30 and generalizes
/// worse: v1 passes on that cross-level pair; v3 looks within levels only and fails.
fn concordant() -> Groups {
    let lvl = |label: &str, s: f64, cce: [f64; 3], err: [f64; 3]| {
        let ns = [10, 20, 30];
        curve(
            label,
            s,
            20,
            (0..3)
                .map(|i| {
                    point(
                        ns[i],
                        20,
                        &[cce[i] - 0.01, cce[i], cce[i] + 0.01],
                        &[err[i] - 0.01, err[i], err[i] + 0.01],
                    )
                })
                .collect(),
        )
    };
    one(vec![
        lvl("SNR 1", 1.0, [-0.1, -0.2, -0.3], [1.0, 0.8, 0.6]),
        lvl("SNR 5", 5.0, [-1.1, -1.2, -1.3], [0.9, 0.7, 0.5]),
    ])
}

#[test]
fn c4_fails_when_alignment_and_error_move_together_within_every_level() {
    let g = concordant();
    let v1 = claims::evaluate_groups(&claims::data::v1_groups(&g));
    assert!(
        v1[3].pass,
        "v1 passes on a cross-level pair: {}",
        v1[3].detail
    );
    let e = v3::c4(&g, false);
    // 2 curves × 3 points × 2 others = 12 ordered pairs; none discordant.
    assert_eq!(e.tested, 12);
    assert!(e.best.is_none());
    assert!(!e.pass());
    let v = v3::c4_verdict(&e);
    assert_eq!(v.result(), "FAIL");
    assert!(v.detail.contains("none is better aligned"), "{}", v.detail);
}

#[test]
fn c4_passes_a_discordant_pair_within_a_level_at_bonferronis_level_only() {
    // One level: n = 10 better aligned than n = 30 (ranks 2/9 against 8/9) and worse.
    let mk = |spread: f64| {
        let ns = [10, 20, 30];
        let cce = [-0.3, -0.1, -0.2];
        let err = [1.0, 0.5, 0.2];
        one(vec![curve(
            "SNR 1",
            1.0,
            20,
            (0..3)
                .map(|i| {
                    point(
                        ns[i],
                        20,
                        &[cce[i] - 0.01, cce[i], cce[i] + 0.01],
                        &[err[i] * (1.0 - spread), err[i], err[i] * (1.0 + spread)],
                    )
                })
                .collect(),
        )])
    };
    let e = v3::c4(&mk(0.01), false);
    // One curve of 3 points: 3·2 ordered pairs.
    assert_eq!(e.tested, 6);
    assert_eq!(e.level(), ALPHA / 6.0);
    let b = e.best.as_ref().unwrap();
    // Ranks: n=10 → 1,2,3; n=30 → 4,5,6; n=20 → 7,8,9 (÷ 9). Discordant pairs: (10 better
    // aligned than 20, worse by ln 2) and (10 than 30, worse by ln 5; ranks 3/9 apart), and
    // (30 than 20)? No: 30's error is lower. The rank gap decides the p: (10, 20), 6/9 apart.
    assert_eq!((b.aligned, b.other), (10, 20));
    close(b.alignment.estimate, 6.0 / 9.0);
    let se = (2.0 * (1.0 / 81.0) / 3.0f64).sqrt();
    close(b.alignment.se, se);
    close(b.alignment.p(), t_cdf(-(6.0 / 9.0) / se, 4.0));
    assert!(e.pass());
    // Spread errors widely: the error test no longer reaches α/6.
    assert!(!v3::c4(&mk(0.6), false).pass());
}

// ---- C1 ----

#[test]
fn c1_gaps_pair_the_levels_replica_by_replica() {
    // CCE(SNR 1) − CCE(SNR 5) at n = 10: replicas (0.5, 0.7, 0.9) − (0.1, 0.4, 0.7) = 0.4,
    // 0.3, 0.2; at n = 20: 0.2, 0.2, 0.2. Mean over n: (0.3 + 0.2)/2 = 0.25; SE: the n = 10
    // differences have s² = 0.01, the n = 20 ones none: √(¼·0.01/3); df = 2 (one term).
    let noisy = curve(
        "SNR 1",
        1.0,
        20,
        vec![
            point(10, 20, &[0.5, 0.7, 0.9], &[1.0; 3]),
            point(20, 20, &[0.4, 0.4, 0.4], &[1.0; 3]),
        ],
    );
    let clean = curve(
        "SNR 5",
        5.0,
        20,
        vec![
            point(10, 20, &[0.1, 0.4, 0.7], &[1.0; 3]),
            point(20, 20, &[0.2, 0.2, 0.2], &[1.0; 3]),
        ],
    );
    let gaps = c1_gaps(&one(vec![clean, noisy]));
    assert_eq!(gaps.len(), 1);
    let g = &gaps[0];
    assert_eq!((g.noisier.as_str(), g.cleaner.as_str()), ("SNR 1", "SNR 5"));
    close(g.gap.estimate, 0.25);
    assert!((g.gap.se - (0.25f64 * 0.01 / 3.0).sqrt()).abs() < 1e-12);
    assert!((g.gap.df - 2.0).abs() < 1e-9);
    // Unpaired, the SE would be far larger: the shared replicas make the gap precise.
}

// ---- robustness, UNDECIDED, replicas needed ----

/// A fig-like experiment: one level, a CCE hump around n* = P = 40 and an error peak there,
/// with `effect` setting the hump's and the peak's height against replica noise.
fn hump(effect: f64) -> Groups {
    let ns = [10, 20, 30, 40, 60, 80, 160];
    let shape = [0.0, 0.5, 0.8, 1.0, 0.8, 0.5, 0.0];
    let noise = [-1.0, -0.4, 0.1, 0.5, 0.8];
    one(vec![curve(
        "SNR 5",
        5.0,
        40,
        (0..ns.len())
            .map(|i| {
                let cce: Vec<f64> = noise
                    .iter()
                    .map(|z| effect * shape[i] + z * (1.0 + 0.1 * i as f64))
                    .collect();
                let err: Vec<f64> = noise
                    .iter()
                    .map(|z| (effect * shape[i] + 0.5 * z).exp())
                    .collect();
                point(ns[i], 40, &cce, &err)
            })
            .collect(),
    )])
}

#[test]
fn robustness_is_deterministic_and_independent_of_the_thread_count() {
    let g = hump(1.5);
    let one_thread = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap()
        .install(|| judge_groups(&g));
    let many = judge_groups(&g);
    assert_eq!(one_thread, many);
    // Other results (one replica value moved by 1e-12): other draws, other shares.
    let mut moved = g.clone();
    moved[0].1[0].points[0].cce.replicas[0].1 += 1e-12;
    let other = judge_groups(&moved);
    let r = |v: &Verdicts| -> Vec<f64> {
        v.rows()
            .map(|(_, v)| v.robustness.as_ref().unwrap().same)
            .collect()
    };
    assert_ne!(r(&many), r(&other));
    assert!(r(&many).iter().all(|s| (0.0..=1.0).contains(s)));
    assert!(many
        .rows()
        .all(|(_, v)| v.robustness.as_ref().unwrap().draws == robustness::RESAMPLES));
}

#[test]
fn a_clear_effect_is_decided_and_a_marginal_one_is_undecided_with_the_replicas_it_needs() {
    let clear = judge_groups(&hump(12.0));
    let c2 = clear.v3.iter().find(|v| v.claim == "C2").unwrap();
    assert_eq!(c2.result(), "PASS", "{}", c2.detail);
    assert!(c2.robustness.as_ref().unwrap().same >= 0.9);
    // Find an effect where C2's contrast sits near its critical value.
    let marginal = (1..60)
        .map(|k| k as f64 * 0.1)
        .map(|e| judge_groups(&hump(e)))
        .find(|v| {
            let c2 = v.v3.iter().find(|v| v.claim == "C2").unwrap();
            c2.result() == "UNDECIDED"
        })
        .expect("some effect size leaves C2 undecided");
    let c2 = marginal.v3.iter().find(|v| v.claim == "C2").unwrap();
    let r = c2.robustness.as_ref().unwrap();
    assert!(r.same < 0.9);
    assert!(r.decides);
    assert!(
        c2.detail.starts_with("UNDECIDED: the rule reads"),
        "{}",
        c2.detail
    );
    // The replicas it needs: a count above the pilot's 5, or "fails at any count".
    let needed: Result<usize, _> = r.replicas_needed.parse();
    assert!(
        needed.is_ok_and(|n| n > 2) || r.replicas_needed == "fails at any count",
        "{}",
        r.replicas_needed
    );
    // v1 and v2 keep their results whatever their robustness.
    assert!(marginal
        .v1
        .iter()
        .chain(&marginal.v2)
        .all(|v| v.result() != "UNDECIDED"));
}

#[test]
fn agreement_and_the_peak_interval_count_by_hand() {
    let draws = vec![
        vec!["PASS", "FAIL"],
        vec!["PASS", "PASS"],
        vec!["FAIL", "FAIL"],
        vec!["PASS", "FAIL"],
    ];
    assert_eq!(agreement(&["PASS", "FAIL"], &draws), vec![0.75, 0.75]);
    // 20 draws: the 1st (⌈0.05·20⌉) and 19th (⌈0.95·20⌉) smallest.
    let sample: Vec<usize> = (0..20).map(|i| i / 2).collect();
    assert_eq!(interval(sample), Some((0, 9)));
    assert_eq!(interval(Vec::new()), None);
}

#[test]
fn power_of_one_test_and_the_replicas_it_needs_by_hand() {
    // δ = 1, SE 0.5 at 4 replicas with 6 df, tested for > 0 (α = 0.5: critical value 0).
    let e = Effect {
        estimate: 1.0,
        se: 0.5,
        df: 6.0,
    };
    // At 4 replicas: P(T₆ > −2) = t_cdf(2, 6).
    close(power_at(&e, 4, 4, 0.5), t_cdf(2.0, 6.0));
    // At 2: SE 0.5·√2, df 6·1/3 = 2: t_cdf(√2, 2) = ½ + √2/(2·√(2 + 2)) = 0.8536 < 0.9.
    assert!((power_at(&e, 4, 2, 0.5) - (0.5 + 2f64.sqrt() / 4.0)).abs() < 1e-9);
    // At 3: SE 0.5·√(4/3), df 4: t_cdf(√3, 4) = 0.9208 ≥ 0.9. So 3 replicas.
    assert!(power_at(&e, 4, 3, 0.5) >= 0.9);
    let named = |e: Effect| vec![("gap".to_string(), e, 0.5)];
    assert_eq!(needed_for(&named(e), 4).0, Needed::Replicas(3));
    // Two such tests must each reach 0.95: more replicas.
    let two = vec![("a".to_string(), e, 0.5), ("b".to_string(), e, 0.5)];
    assert!(matches!(needed_for(&two, 4).0, Needed::Replicas(r) if r > 3));
    // An effect ≤ 0 fails at any count; a minute one needs more than the cap.
    let neg = Effect {
        estimate: -0.1,
        ..e
    };
    assert!(matches!(
        needed_for(&named(neg), 4).0,
        Needed::FailsAtAnyCount(_)
    ));
    let tiny = Effect {
        estimate: 1e-6,
        ..e
    };
    assert_eq!(needed_for(&named(tiny), 4).0, Needed::Beyond);
    assert_eq!(Needed::Beyond.cell(), ">10000");
    assert_eq!(needed_for(&[], 4).0, Needed::NotApplicable);
}

// ---- the verdicts' forms ----

fn verdict(claim: &'static str, pass: bool, robustness: Option<f64>, decides: bool) -> Verdict {
    Verdict {
        claim,
        statement: "s",
        pass,
        applicable: true,
        detail: "d".into(),
        robustness: robustness.map(|same| Robustness {
            same,
            draws: 2000,
            decides,
            replicas_needed: if decides { "7".into() } else { String::new() },
        }),
    }
}

#[test]
fn undecided_is_v3s_below_ninety_percent_only() {
    assert_eq!(
        verdict("C2", true, Some(0.8995), true).result(),
        "UNDECIDED"
    );
    assert_eq!(
        verdict("C2", true, Some(0.8995), true).rule_result(),
        "PASS"
    );
    assert_eq!(verdict("C2", false, Some(0.9), true).result(), "FAIL");
    assert_eq!(verdict("C2", true, Some(0.2), false).result(), "PASS");
    assert_eq!(verdict("C2", true, None, true).result(), "PASS");
}

#[test]
fn claims_csv_gives_every_row_its_robustness_and_v3_its_replicas() {
    let v = Verdicts {
        v1: vec![verdict("C2", true, Some(0.5), false)],
        v2: vec![verdict("C2", false, Some(1.0), false)],
        v3: vec![verdict("C2", true, Some(0.25), true)],
    };
    let csv = String::from_utf8(claims_csv(&v, &[]).unwrap()).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines,
        [
            "rules,claim,result,statement,detail,warning,robustness,replicas_needed",
            "v1,C2,PASS,s,d,,0.5000,",
            "v2,C2,FAIL,s,d,,1.0000,",
            "v3,C2,UNDECIDED,s,d,,0.2500,7",
        ]
    );
    let text = v.side_by_side();
    let first = text.lines().next().unwrap();
    assert_eq!(first, "  C2      v1 PASS  v2 FAIL  v3 UNDECIDED  s");
    assert!(text.contains("       v3 (same in 25.0 % of 2000 draws; 90 % power: 7 replicas): d"));
}
