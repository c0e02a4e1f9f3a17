//! Random draws beyond the RNG's uniform and normal deviates, from the project's RNG: the Gamma
//! distribution (Marsaglia & Tsang 2000, "A simple method for generating gamma variables", ACM
//! TOMS 26(3)), for the χ² scale of t-copula surrogates (`elliptical.rs`) and the Clayton
//! family's frailty (`families.rs`).

use crate::rng::Rng;

/// One Gamma(shape, 1) deviate, shape > 0. Shapes below 1 draw Gamma(shape + 1) and multiply by
/// U^{1/shape} (Marsaglia & Tsang's §6), with U uniform on (0, 1].
pub(crate) fn gamma(rng: &mut Rng, shape: f64) -> f64 {
    assert!(shape > 0.0 && shape.is_finite(), "gamma({shape})");
    if shape < 1.0 {
        let u = 1.0 - rng.uniform();
        return gamma(rng, shape + 1.0) * u.powf(1.0 / shape);
    }
    let d = shape - 1.0 / 3.0;
    let c = 1.0 / (9.0 * d).sqrt();
    loop {
        let x = rng.normal();
        let v = 1.0 + c * x;
        if v <= 0.0 {
            continue;
        }
        let v = v * v * v;
        let u = 1.0 - rng.uniform();
        let x2 = x * x;
        if u < 1.0 - 0.0331 * x2 * x2 || u.ln() < 0.5 * x2 + d * (1.0 - v + v.ln()) {
            return d * v;
        }
    }
}

/// One χ²_ν / ν deviate (the squared scale of a multivariate t), ν > 0.
pub(crate) fn chi_square_over_nu(rng: &mut Rng, nu: f64) -> f64 {
    2.0 * gamma(rng, nu / 2.0) / nu
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Mean, variance and log-mean of Gamma(k) are k, k and ψ(k): checked to 5 standard errors
    /// for shapes below and above 1 (a wrong boost for k < 1 moves the log-mean).
    #[test]
    fn gamma_moments() {
        let mut rng = Rng::new(4);
        let n = 200_000;
        for k in [0.3, 0.72, 1.0, 2.0, 7.5] {
            let v: Vec<f64> = (0..n).map(|_| gamma(&mut rng, k)).collect();
            assert!(v.iter().all(|&x| x > 0.0 && x.is_finite()));
            let mean = v.iter().sum::<f64>() / n as f64;
            let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
            let se = (k / n as f64).sqrt();
            assert!((mean - k).abs() < 5.0 * se, "k {k}: mean {mean}");
            // Var of the sample variance of a gamma: (μ4 − σ⁴)/n with μ4 = 3k² + 6k.
            let se_var = ((3.0 * k * k + 6.0 * k - k * k) / n as f64).sqrt();
            assert!((var - k).abs() < 5.0 * se_var, "k {k}: var {var}");
            let logs: Vec<f64> = v.iter().map(|x| x.ln()).collect();
            let log_mean = logs.iter().sum::<f64>() / n as f64;
            let log_sd =
                (logs.iter().map(|l| (l - log_mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt();
            let want = super::super::special::digamma(k);
            assert!(
                (log_mean - want).abs() < 5.0 * log_sd / (n as f64).sqrt(),
                "k {k}: {log_mean} vs {want}"
            );
        }
        // χ²_ν/ν has mean 1.
        let m: f64 = (0..n)
            .map(|_| chi_square_over_nu(&mut rng, 3.0))
            .sum::<f64>()
            / n as f64;
        assert!(
            (m - 1.0).abs() < 5.0 * (2.0f64 / 3.0 / n as f64).sqrt(),
            "{m}"
        );
    }
}
