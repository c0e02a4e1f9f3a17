//! The statistics of `harness check`: Student's t distribution (CDF and quantile, for any
//! positive degrees of freedom), Welch's standard error and Welch–Satterthwaite degrees of
//! freedom, the two one-sided test of equivalence (TOST), the minimum-effect test, Holm's
//! step-down correction, and the margin and replica counts that a TOST can pass with.
//!
//! Everything here is a pure function of numbers; [`super`] decides what the numbers are.

/// ln Γ(x) for x > 0 (Lanczos, g = 7, nine coefficients: about 15 significant digits).
fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection: Γ(x)Γ(1 − x) = π / sin(πx).
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = C[0];
    let t = x + G + 0.5;
    for (i, c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// The continued fraction of the incomplete beta function (modified Lentz).
fn beta_continued_fraction(a: f64, b: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..=500 {
        let m = m as f64;
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        let del = d * c;
        h *= del;
        if (del - 1.0).abs() < 1e-16 {
            break;
        }
    }
    h
}

/// The regularized incomplete beta function I_x(a, b), 0 ≤ x ≤ 1.
fn regularized_beta(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let front =
        (ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln()).exp();
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_continued_fraction(a, b, x) / a
    } else {
        1.0 - front * beta_continued_fraction(b, a, 1.0 - x) / b
    }
}

/// P(T ≤ t) for Student's t with `df` > 0 degrees of freedom (not necessarily an integer).
pub fn t_cdf(t: f64, df: f64) -> f64 {
    if t.is_nan() || !(df > 0.0) {
        return f64::NAN;
    }
    if t.is_infinite() {
        return if t > 0.0 { 1.0 } else { 0.0 };
    }
    let tail = 0.5 * regularized_beta(df / 2.0, 0.5, df / (df + t * t));
    if t > 0.0 {
        1.0 - tail
    } else {
        tail
    }
}

/// The p-quantile of Student's t with `df` > 0 degrees of freedom, 0 < p < 1 (bisection on
/// [`t_cdf`] to full precision).
pub fn t_quantile(p: f64, df: f64) -> f64 {
    if !(p > 0.0 && p < 1.0 && df > 0.0) {
        return f64::NAN;
    }
    if p < 0.5 {
        return -t_quantile(1.0 - p, df);
    }
    let mut hi = 1.0;
    while t_cdf(hi, df) < p {
        hi *= 2.0;
    }
    let mut lo = 0.0;
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if t_cdf(mid, df) < p {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo <= 4.0 * f64::EPSILON * hi {
            break;
        }
    }
    0.5 * (lo + hi)
}

/// A quantity's replicas on one side: their number, mean and sample standard deviation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sample {
    pub n: usize,
    pub mean: f64,
    pub sd: f64,
}

impl Sample {
    /// From the replica values (sd NaN below two values).
    pub fn of(values: &[f64]) -> Sample {
        let n = values.len();
        let mean = values.iter().sum::<f64>() / n as f64;
        let sd = if n < 2 {
            f64::NAN
        } else {
            (values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1) as f64).sqrt()
        };
        Sample { n, mean, sd }
    }

    /// The variance of the mean, sd² / n.
    fn var_of_mean(&self) -> f64 {
        self.sd * self.sd / self.n as f64
    }
}

/// The difference of two means with Welch's standard error and Welch–Satterthwaite degrees
/// of freedom: se² = s₁²/n₁ + s₂²/n₂, df = se⁴ / Σ (sᵢ²/nᵢ)² / (nᵢ − 1).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Welch {
    /// mean(a) − mean(b).
    pub diff: f64,
    pub se: f64,
    pub df: f64,
}

impl Welch {
    /// NaN se and df when a side has fewer than two replicas.
    pub fn of(a: Sample, b: Sample) -> Welch {
        let (va, vb) = (a.var_of_mean(), b.var_of_mean());
        let se = (va + vb).sqrt();
        let df = (va + vb).powi(2) / (va * va / (a.n as f64 - 1.0) + vb * vb / (b.n as f64 - 1.0));
        Welch {
            diff: a.mean - b.mean,
            se,
            df,
        }
    }

    /// Whether a t test can be made at all: both sides vary and have ≥ 2 replicas.
    pub fn testable(&self) -> bool {
        self.se.is_finite() && self.se > 0.0 && self.df.is_finite() && self.df > 0.0
    }

    /// The two-sided (1 − 2α) confidence interval of the difference, the one TOST reads.
    pub fn interval(&self, alpha: f64) -> (f64, f64) {
        let half = t_quantile(1.0 - alpha, self.df) * self.se;
        (self.diff - half, self.diff + half)
    }

    /// TOST p-value of equivalence within ±margin: the larger of the two one-sided p-values
    /// of H₀ Δ ≤ −margin and H₀ Δ ≥ +margin. p ≤ α exactly when the (1 − 2α) interval lies
    /// inside ±margin.
    pub fn tost_p(&self, margin: f64) -> f64 {
        let p_lower = 1.0 - t_cdf((self.diff + margin) / self.se, self.df);
        let p_upper = t_cdf((self.diff - margin) / self.se, self.df);
        p_lower.max(p_upper)
    }

    /// Minimum-effect p-value of H₀ |Δ| ≤ margin against |Δ| > margin: the one-sided
    /// p-value in the observed direction, doubled for the two directions tested (so it is
    /// valid, and conservative, at every point of H₀), at most 1.
    pub fn minimum_effect_p(&self, margin: f64) -> f64 {
        let p_above = 1.0 - t_cdf((self.diff - margin) / self.se, self.df);
        let p_below = t_cdf((self.diff + margin) / self.se, self.df);
        (2.0 * p_above.min(p_below)).min(1.0)
    }

    /// The smallest margin a TOST at level α could pass with these standard errors: the one
    /// an observed difference of exactly 0 would need, t₁₋α(df) · se.
    pub fn smallest_passable_margin(&self, alpha: f64) -> f64 {
        t_quantile(1.0 - alpha, self.df) * self.se
    }
}

/// Holm's step-down correction of m p-values at family-wise level α: which hypotheses are
/// rejected. Valid under any dependence between the tests. NaN p-values are never rejected.
pub fn holm(p_values: &[f64], alpha: f64) -> Vec<bool> {
    let mut order: Vec<usize> = (0..p_values.len())
        .filter(|&i| !p_values[i].is_nan())
        .collect();
    order.sort_by(|&a, &b| p_values[a].total_cmp(&p_values[b]));
    let m = order.len();
    let mut rejected = vec![false; p_values.len()];
    for (rank, &i) in order.iter().enumerate() {
        if p_values[i] <= alpha / (m - rank) as f64 {
            rejected[i] = true;
        } else {
            break;
        }
    }
    rejected
}

/// The smallest margin, in units of the seed-to-seed standard deviation σ, that a TOST at
/// level α can pass with n replicas per side and equal spread (observed difference 0):
/// t₁₋α(2n − 2) · √(2/n).
pub fn smallest_passable_margin_in_sd(n: usize, alpha: f64) -> f64 {
    let n = n as f64;
    t_quantile(1.0 - alpha, 2.0 * n - 2.0) * (2.0 / n).sqrt()
}

/// Replicas per side that give a TOST at level α an 80 % chance of passing margin δ when the
/// true difference is 0 and each side's replicas spread by σ: the smallest n with
/// n ≥ 2(σ/δ)²(t₁₋α(2n − 2) + z₀.₉₀)² (z₀.₉₀ = 1.2816: each one-sided test keeps 90 %).
/// `None` when σ or δ is not positive and finite, or beyond `cap`.
pub fn replicas_for_80_percent_pass(sd: f64, margin: f64, alpha: f64, cap: usize) -> Option<usize> {
    const Z90: f64 = 1.281_551_565_544_600_5;
    replicas_for_power(sd, margin, alpha, Z90, cap)
}

/// Replicas per side that give a one-sided non-inferiority test at level α an 80 % chance of
/// passing margin δ when the true difference is 0: as above with z₀.₈₀ = 0.8416 (one test).
pub fn replicas_for_80_percent_non_inferiority(
    sd: f64,
    margin: f64,
    alpha: f64,
    cap: usize,
) -> Option<usize> {
    const Z80: f64 = 0.841_621_233_572_914_3;
    replicas_for_power(sd, margin, alpha, Z80, cap)
}

/// The smallest n with n ≥ 2(σ/δ)²(t₁₋α(2n − 2) + z)².
fn replicas_for_power(sd: f64, margin: f64, alpha: f64, z: f64, cap: usize) -> Option<usize> {
    if !(sd.is_finite() && sd >= 0.0 && margin.is_finite() && margin > 0.0) {
        return None;
    }
    let need = |n: usize| {
        let t = t_quantile(1.0 - alpha, 2.0 * n as f64 - 2.0);
        2.0 * (sd / margin).powi(2) * (t + z).powi(2)
    };
    // n − need(n) grows with n (t falls as df grows), so the first n that suffices is found
    // by doubling, then bisection.
    let enough = |n: usize| n as f64 >= need(n);
    let mut hi = 2;
    while !enough(hi) {
        if hi >= cap {
            return None;
        }
        hi = (hi * 2).min(cap);
    }
    let mut lo = hi / 2; // not enough (or below 2)
    if lo < 2 {
        return Some(hi);
    }
    while hi - lo > 1 {
        let mid = (lo + hi) / 2;
        if enough(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Some(hi)
}

#[cfg(test)]
mod tests;
