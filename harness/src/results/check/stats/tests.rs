//! The statistics against independent answers: values computed with SciPy 1.17.1
//! (`scipy.stats.t.ppf`, `t.cdf`, `ttest_ind(equal_var=False)`), pasted as constants; Holm on
//! the worked example of Holm's method (Wikipedia, "Holm–Bonferroni method", example); and the
//! smallest passable margins of `shared/notes/gate-check-why.md`.

use super::*;

fn close(got: f64, want: f64, rel: f64) {
    assert!(
        (got - want).abs() <= rel * want.abs().max(1e-300),
        "got {got}, want {want}"
    );
}

#[test]
fn t_quantiles_match_scipy() {
    // (df, t.ppf(0.95, df), t.ppf(0.975, df)) from SciPy 1.17.1.
    let table = [
        (1.0, 6.313751514675037, 12.706204736174694),
        (2.0, 2.9199855803537242, 4.302652729749462),
        (4.0, 2.1318467863266495, 2.7764451051977934),
        (8.0, 1.8595480375308973, 2.306004135204166),
        (18.0, 1.7340636066175388, 2.1009220402410382),
        (38.0, 1.6859544601667371, 2.0243941639119694),
        (2.5, 2.5582186141359355, 3.5746548420036817),
        (7.3, 1.8829300179564308, 2.345066736547703),
        (100.0, 1.6602343260853392, 1.9839715185235518),
    ];
    for (df, q95, q975) in table {
        close(t_quantile(0.95, df), q95, 1e-10);
        close(t_quantile(0.975, df), q975, 1e-10);
        close(t_quantile(0.05, df), -q95, 1e-10);
    }
}

#[test]
fn t_cdf_matches_scipy() {
    // (t, df, t.cdf(t, df)) from SciPy 1.17.1, fractional df included.
    let table = [
        (0.5, 3.0, 0.6742760175759245),
        (-1.7, 4.6, 0.07747576008445552),
        (2.0, 10.0, 0.9633059826146299),
        (3.5, 2.2, 0.968305824695359),
        (-4.2, 30.0, 0.00010989421710800989),
    ];
    for (t, df, p) in table {
        close(t_cdf(t, df), p, 1e-10);
    }
    assert_eq!(t_cdf(0.0, 5.0), 0.5);
}

/// Two samples with a known Welch test (SciPy: statistic −2.455356398286006, df
/// 24.988529290231416).
fn welch_example() -> Welch {
    let a = [
        27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1, 21.9, 22.6, 23.1, 19.6, 19.0, 21.7, 21.4,
    ];
    let b = [
        27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0, 24.8, 20.2, 21.9, 22.1, 22.9, 20.5, 24.4,
    ];
    Welch::of(Sample::of(&a), Sample::of(&b))
}

#[test]
fn welch_matches_scipy() {
    let w = welch_example();
    close(w.diff / w.se, -2.455356398286006, 1e-12);
    close(w.df, 24.988529290231416, 1e-12);
    close(w.se, 0.8824245100137552, 1e-12);
}

#[test]
fn tost_and_minimum_effect_match_scipy() {
    let w = welch_example();
    // max of ttest_ind(a + 3, b, 'greater') and ttest_ind(a − 3, b, 'less') p-values.
    close(w.tost_p(3.0), 0.17701197973669205, 1e-9);
    // 2·min(t.sf((d − 0.5)/se, df), t.cdf((d + 0.5)/se, df)).
    close(w.minimum_effect_p(0.5), 0.07058803042735251, 1e-9);
}

#[test]
fn tost_passes_exactly_when_the_90_percent_interval_lies_inside_the_margin() {
    let w = Welch {
        diff: 0.3,
        se: 0.1,
        df: 9.0,
    };
    let (_, hi) = w.interval(0.05);
    // At the margin equal to the interval's far end the TOST p-value is α exactly.
    close(w.tost_p(hi), 0.05, 1e-9);
    assert!(w.tost_p(hi * 1.001) < 0.05);
    assert!(w.tost_p(hi * 0.999) > 0.05);
    // Symmetric in the sign of the difference.
    let neg = Welch { diff: -0.3, ..w };
    close(neg.tost_p(hi), 0.05, 1e-9);
    // An observed difference of 0 passes from the smallest passable margin on, not below.
    let zero = Welch { diff: 0.0, ..w };
    let m = zero.smallest_passable_margin(0.05);
    close(m, 1.833112932656237 * 0.1, 1e-9); // SciPy t.ppf(0.95, 9)
    assert!(zero.tost_p(m * 1.0001) < 0.05 && zero.tost_p(m * 0.9999) > 0.05);
}

#[test]
fn minimum_effect_rejects_only_beyond_the_margin() {
    let w = Welch {
        diff: 1.0,
        se: 0.1,
        df: 20.0,
    };
    // Difference well beyond the margin: tiny p (2·t.sf(8, 20) ≈ 1.1e-7); at the margin
    // itself: p = 1 (doubled 0.5).
    assert!(w.minimum_effect_p(0.2) < 1e-6);
    close(w.minimum_effect_p(1.0), 1.0, 1e-12);
    assert_eq!(w.minimum_effect_p(5.0), 1.0);
    // One-sided p in the observed direction, doubled: 2·t.sf(2.0, 20) = 0.05926...
    close(
        Welch { diff: -0.5, ..w }.minimum_effect_p(0.3),
        2.0 * (1.0 - t_cdf(2.0, 20.0)),
        1e-12,
    );
}

#[test]
fn holm_on_the_textbook_example() {
    // Four hypotheses, α = 0.05: p = 0.01, 0.04, 0.03, 0.005. Sorted thresholds 0.0125,
    // 0.0167, 0.025, 0.05: 0.005 and 0.01 are rejected; 0.03 > 0.025 stops the procedure, so
    // 0.04 is kept although it is below 0.05.
    assert_eq!(
        holm(&[0.01, 0.04, 0.03, 0.005], 0.05),
        vec![true, false, false, true]
    );
    // Bonferroni's first step: one p-value below α/m rejects; NaN is never rejected.
    assert_eq!(
        holm(&[0.0124, 0.5, f64::NAN, 0.9], 0.05),
        vec![true, false, false, false]
    );
    assert_eq!(holm(&[0.0126, 0.5, 0.9, 0.9], 0.05), vec![false; 4]);
}

#[test]
fn smallest_passable_margins_match_the_notes() {
    // shared/notes/gate-check-why.md: 3 replicas per side 1.74σ, 5: 1.18σ, 10: 0.78σ,
    // 20: 0.53σ (SciPy: 1.7406456120974698, 1.1760814434187814, 0.7754968203410542,
    // 0.5331456125446513).
    for (n, want) in [
        (3, 1.7406456120974698),
        (5, 1.1760814434187814),
        (10, 0.7754968203410542),
        (20, 0.5331456125446513),
    ] {
        close(smallest_passable_margin_in_sd(n, 0.05), want, 1e-9);
    }
}

#[test]
fn replicas_for_an_80_percent_pass_invert_the_notes_margins() {
    // The notes' 80 %-pass margins (SciPy: (t + z₀.₉₀)·√(2/n)): 3 → 2.787σ, 5 → 1.987σ,
    // 10 → 1.349σ, 20 → 0.938σ. At exactly that margin n replicas suffice, just below not.
    for (n, margin) in [
        (3, 2.7870280836472108),
        (5, 1.986605820633882),
        (10, 1.348624103786855),
        (20, 0.9384078011522015),
    ] {
        assert_eq!(
            replicas_for_80_percent_pass(1.0, margin * 1.000001, 0.05, 10_000),
            Some(n)
        );
        assert_eq!(
            replicas_for_80_percent_pass(1.0, margin * 0.999, 0.05, 10_000),
            Some(n + 1)
        );
    }
    assert_eq!(replicas_for_80_percent_pass(1.0, 1e-3, 0.05, 1000), None);
    assert_eq!(replicas_for_80_percent_pass(1.0, 0.0, 0.05, 1000), None);
}

#[test]
fn welch_is_untestable_with_one_replica_or_no_spread() {
    let one = Sample::of(&[1.0]);
    let three = Sample::of(&[1.0, 2.0, 3.0]);
    assert!(!Welch::of(one, three).testable());
    let flat = Sample::of(&[2.0, 2.0, 2.0]);
    assert!(!Welch::of(flat, flat).testable());
    assert!(Welch::of(three, flat).testable());
}
