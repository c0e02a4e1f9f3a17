//! Special functions the estimators need, written out here so that results do not depend on a
//! numerics crate: the digamma function ψ, log Γ and the standard normal quantile Φ⁻¹.

/// The digamma function ψ(x) = d/dx log Γ(x).
///
/// For x > 0: the recurrence ψ(x) = ψ(x + 1) − 1/x raises the argument to x ≥ 10, then the
/// asymptotic series ψ(x) ~ ln x − 1/(2x) − Σ B₂ₙ/(2n x²ⁿ) (seven terms) is used (x ≥ 10 rather
/// than 6: at 6 the first omitted term is 1.6e-13); absolute error
/// about 1e-13. Negative non-integers use the reflection ψ(1 − x) − π / tan(πx); poles (0 and the
/// negative integers) and NaN give NaN.
pub fn digamma(x: f64) -> f64 {
    if x.is_nan() || (x <= 0.0 && x == x.floor()) {
        return f64::NAN;
    }
    if x < 0.0 {
        return digamma(1.0 - x) - std::f64::consts::PI / (std::f64::consts::PI * x).tan();
    }
    if x == f64::INFINITY {
        return f64::INFINITY;
    }
    let mut x = x;
    let mut shift = 0.0;
    while x < 10.0 {
        shift -= 1.0 / x;
        x += 1.0;
    }
    let r = 1.0 / (x * x);
    // Bernoulli-number coefficients B₂ₙ/(2n): 1/12, −1/120, 1/252, −1/240, 1/132, −691/32760, 1/12.
    let series = r
        * (1.0 / 12.0
            - r * (1.0 / 120.0
                - r * (1.0 / 252.0
                    - r * (1.0 / 240.0
                        - r * (1.0 / 132.0 - r * (691.0 / 32760.0 - r * (1.0 / 12.0)))))));
    shift + x.ln() - 0.5 / x - series
}

/// log Γ(x) for x > 0.
///
/// The recurrence Γ(x + 1) = x Γ(x) raises the argument to x ≥ 10 (the product of the shifts is
/// taken once, then its log), then Stirling's series
/// (x − ½) ln x − x + ½ ln 2π + Σ B₂ₙ/(2n(2n − 1) x²ⁿ⁻¹) with six terms (the first omitted term
/// is below 1e-16 at x = 10); absolute error about 1e-14 for x ≤ 1e6. x ≤ 0 and NaN give NaN.
pub fn ln_gamma(x: f64) -> f64 {
    if x.is_nan() || x <= 0.0 {
        return f64::NAN;
    }
    if x == f64::INFINITY {
        return f64::INFINITY;
    }
    let mut x = x;
    let mut product = 1.0;
    while x < 10.0 {
        product *= x;
        x += 1.0;
    }
    let r = 1.0 / (x * x);
    // B₂ₙ/(2n(2n − 1)): 1/12, −1/360, 1/1260, −1/1680, 1/1188, −691/360360.
    let series = (1.0 / 12.0
        - r * (1.0 / 360.0
            - r * (1.0 / 1260.0
                - r * (1.0 / 1680.0 - r * (1.0 / 1188.0 - r * (691.0 / 360360.0))))))
        / x;
    (x - 0.5) * x.ln() - x + 0.5 * (2.0 * std::f64::consts::PI).ln() + series - product.ln()
}

/// The standard normal quantile Φ⁻¹(p), Wichura's algorithm AS 241 (PPND16), relative accuracy
/// about 1e-16. p ≤ 0 gives −∞, p ≥ 1 gives +∞, NaN gives NaN.
// The coefficients are those published in AS 241, digit for digit.
#[allow(clippy::excessive_precision)]
pub fn normal_quantile(p: f64) -> f64 {
    if p.is_nan() {
        return f64::NAN;
    }
    if p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    let q = p - 0.5;
    if q.abs() <= 0.425 {
        let r = 0.180625 - q * q;
        let num = (((((((2.509_080_928_730_122_672_7e3 * r + 3.343_057_558_358_812_810_5e4)
            * r
            + 6.726_577_092_700_870_085_3e4)
            * r
            + 4.592_195_393_154_987_145_7e4)
            * r
            + 1.373_169_376_550_946_112_5e4)
            * r
            + 1.971_590_950_306_551_442_7e3)
            * r
            + 1.331_416_678_917_843_774_5e2)
            * r
            + 3.387_132_872_796_366_608_0e0)
            * q;
        let den = ((((((5.226_495_278_852_854_561_0e3 * r + 2.872_908_573_572_194_267_4e4) * r
            + 3.930_789_580_009_271_061_0e4)
            * r
            + 2.121_379_430_158_659_586_7e4)
            * r
            + 5.394_196_021_424_751_107_7e3)
            * r
            + 6.871_870_074_920_579_083_0e2)
            * r
            + 4.231_333_070_160_091_125_2e1)
            * r
            + 1.0;
        return num / den;
    }
    let tail = if q < 0.0 { p } else { 1.0 - p };
    let mut r = (-tail.ln()).sqrt();
    let val = if r <= 5.0 {
        r -= 1.6;
        let num = ((((((7.745_450_142_783_414_076_4e-4 * r + 2.272_384_498_926_918_458_3e-2)
            * r
            + 2.417_807_251_774_506_117_7e-1)
            * r
            + 1.270_458_252_452_368_382_58e0)
            * r
            + 3.647_848_324_763_204_605_04e0)
            * r
            + 5.769_497_221_460_691_405_5e0)
            * r
            + 4.630_337_846_156_545_295_9e0)
            * r
            + 1.423_437_110_749_683_577_34e0;
        let den = ((((((1.050_750_071_644_416_843_24e-9 * r + 5.475_938_084_995_344_946e-4)
            * r
            + 1.519_866_656_361_645_719_66e-2)
            * r
            + 1.481_039_764_274_800_745_9e-1)
            * r
            + 6.897_673_349_851_000_045_5e-1)
            * r
            + 1.676_384_830_183_803_849_4e0)
            * r
            + 2.053_191_626_637_758_821_87e0)
            * r
            + 1.0;
        num / den
    } else {
        r -= 5.0;
        let num = ((((((2.010_334_399_292_288_132_65e-7 * r + 2.711_555_568_743_487_578_15e-5)
            * r
            + 1.242_660_947_388_078_438_6e-3)
            * r
            + 2.653_218_952_657_612_309_3e-2)
            * r
            + 2.965_605_718_285_048_912_3e-1)
            * r
            + 1.784_826_539_917_291_335_8e0)
            * r
            + 5.463_784_911_164_114_369_9e0)
            * r
            + 6.657_904_643_501_103_777_2e0;
        let den = ((((((2.044_263_103_389_939_785_64e-15 * r + 1.421_511_758_316_445_888_7e-7)
            * r
            + 1.846_318_317_510_054_681_8e-5)
            * r
            + 7.868_691_311_456_132_591e-4)
            * r
            + 1.487_536_129_085_061_485_25e-2)
            * r
            + 1.369_298_809_227_358_053_1e-1)
            * r
            + 5.998_322_065_558_879_376_9e-1)
            * r
            + 1.0;
        num / den
    };
    if q < 0.0 {
        -val
    } else {
        val
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EULER_GAMMA: f64 = 0.577_215_664_901_532_9;

    #[test]
    fn digamma_known_values() {
        assert!(
            (digamma(1.0) + EULER_GAMMA).abs() < 1e-13,
            "{}",
            digamma(1.0)
        );
        // ψ(1/2) = −γ − 2 ln 2
        let half = -EULER_GAMMA - 2.0 * std::f64::consts::LN_2;
        assert!((digamma(0.5) - half).abs() < 1e-13, "{}", digamma(0.5));
        // ψ(10) = H₉ − γ
        let h9: f64 = (1..10).map(|i| 1.0 / i as f64).sum();
        assert!((digamma(10.0) - (h9 - EULER_GAMMA)).abs() < 1e-13);
        assert!((digamma(10.0) - 2.251_752_589_066_721).abs() < 1e-13);
        // ψ(3) = 1 + 1/2 − γ (the grid bias of SPEC §4 is log 4 − ψ(3))
        assert!((digamma(3.0) - (1.5 - EULER_GAMMA)).abs() < 1e-13);
        // Large argument: ψ(1e6) ≈ ln(1e6) − 1/(2e6) − 1/(12e12).
        let big = 1e6f64;
        assert!((digamma(big) - (big.ln() - 0.5 / big - 1.0 / (12.0 * big * big))).abs() < 1e-13);
        // Recurrence ψ(x+1) = ψ(x) + 1/x across the x = 10 switch, and reflection.
        for &x in &[0.1, 0.7, 2.3, 5.5, 9.999, 10.0, 17.25] {
            assert!(
                (digamma(x + 1.0) - digamma(x) - 1.0 / x).abs() < 1e-12,
                "x = {x}"
            );
        }
        // ψ(−0.5) = ψ(1.5) + π/tan(−π/2)·(−1) = ψ(0.5) + 2 = 0.03648997397857652
        assert!((digamma(-0.5) - 0.036_489_973_978_576_52).abs() < 1e-12);
        assert!(digamma(0.0).is_nan() && digamma(-2.0).is_nan());
    }

    #[test]
    fn ln_gamma_known_values() {
        let pi = std::f64::consts::PI;
        assert!(ln_gamma(1.0).abs() < 1e-14 && ln_gamma(2.0).abs() < 1e-14);
        assert!((ln_gamma(0.5) - 0.5 * pi.ln()).abs() < 1e-14);
        // Γ(6) = 120, Γ(5/2) = 3√π/4, Γ(21/2) across the x = 10 switch.
        assert!((ln_gamma(6.0) - 120f64.ln()).abs() < 1e-13);
        assert!((ln_gamma(2.5) - (0.75 * pi.sqrt()).ln()).abs() < 1e-14);
        let g10_5: f64 = (0..10).map(|i| (0.5 + i as f64).ln()).sum::<f64>() + 0.5 * pi.ln();
        assert!((ln_gamma(10.5) - g10_5).abs() < 1e-12, "{}", ln_gamma(10.5));
        // scipy.special.gammaln(0.1) = 2.252712651734206, gammaln(123.4) = 469.3360974421906
        assert!((ln_gamma(0.1) - 2.252_712_651_734_206).abs() < 1e-13);
        assert!((ln_gamma(123.4) - 469.336_097_442_190_6).abs() < 1e-11);
        // Recurrence across the switch.
        for &x in &[0.3, 1.7, 9.5, 9.999, 10.0, 33.3] {
            assert!(
                (ln_gamma(x + 1.0) - ln_gamma(x) - x.ln()).abs() < 1e-13,
                "x = {x}"
            );
        }
        assert!(ln_gamma(0.0).is_nan() && ln_gamma(-1.5).is_nan());
    }

    #[test]
    fn normal_quantile_known_values() {
        assert_eq!(normal_quantile(0.5), 0.0);
        assert!((normal_quantile(0.975) - 1.959_963_984_540_054).abs() < 1e-14);
        assert!((normal_quantile(0.025) + 1.959_963_984_540_054).abs() < 1e-14);
        // scipy.stats.norm.ppf(1e-10) = -6.361340902404056
        assert!((normal_quantile(1e-10) + 6.361_340_902_404_056).abs() < 1e-13);
        // scipy.stats.norm.ppf(0.8413447460685429) = 1 (Φ(1)), central branch
        assert!((normal_quantile(0.841_344_746_068_542_9) - 1.0).abs() < 1e-14);
        // scipy.stats.norm.ppf(1e-300) = -37.0470962993612 (far tail branch)
        assert!((normal_quantile(1e-300) + 37.047_096_299_361_2).abs() < 1e-11);
        for &p in &[1e-5, 0.01, 0.1, 0.3, 0.45, 0.075, 0.25] {
            assert!(
                (normal_quantile(p) + normal_quantile(1.0 - p)).abs() < 1e-9,
                "p = {p}"
            );
        }
        // Exact symmetry where 1 − p is exact.
        for &p in &[0.25, 0.125, 0.0625, 0.375] {
            assert_eq!(normal_quantile(p), -normal_quantile(1.0 - p));
        }
        assert_eq!(normal_quantile(0.0), f64::NEG_INFINITY);
        assert_eq!(normal_quantile(1.0), f64::INFINITY);
    }
}
