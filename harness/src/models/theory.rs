//! Theory for `linear2` with shared inputs, |β| = 1, σ² = 1/SNR (SPEC §5).
//!
//! These are the project's own derivations (ratios of expectations, exact as d → ∞), printed
//! beside the measurements as theory curves. Near n = d they are undefined or incomplete:
//! see SPEC §5 for why the measured per-pair CCE dips at n = d exactly.

/// Excess risk of the min-norm solution: (1 − n/d) + σ²n/(d − n − 1) for n < d − 1,
/// σ²d/(n − d − 1) for n > d + 1; `None` in between, where it diverges.
pub fn gen_error(d: usize, n: usize, snr: f64) -> Option<f64> {
    let (d, n, s2) = (d as f64, n as f64, 1.0 / snr);
    if n < d - 1.0 {
        Some((1.0 - n / d) + s2 * n / (d - n - 1.0))
    } else if n > d + 1.0 {
        Some(s2 * d / (n - d - 1.0))
    } else {
        None
    }
}

/// Correlation of two members' hidden units: SNR·m/(SNR·m + d), m = |d − n| − 1 (n ≠ d).
pub fn rho(d: usize, n: usize, snr: f64) -> Option<f64> {
    if n == d {
        return None;
    }
    let m = (d as f64 - n as f64).abs() - 1.0;
    if m <= 0.0 {
        return Some(0.0);
    }
    Some(snr * m / (snr * m + d as f64))
}

/// CCE of two jointly Gaussian scalars with correlation ρ: ½ log(1 − ρ²).
pub fn cce_of_rho(rho: f64) -> f64 {
    0.5 * (1.0 - rho * rho).ln()
}

/// Theory CCE = ½ log(1 − ρ²) with ρ from [`rho`].
pub fn cce(d: usize, n: usize, snr: f64) -> Option<f64> {
    rho(d, n, snr).map(cce_of_rho)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_at_known_points() {
        // n < d: (1 − 10/100) + 1·10/89.
        assert!((gen_error(100, 10, 1.0).unwrap() - (0.9 + 10.0 / 89.0)).abs() < 1e-12);
        // n > d: 0.5 · 100/(300 − 101).
        assert!((gen_error(100, 300, 2.0).unwrap() - 50.0 / 199.0).abs() < 1e-12);
        assert_eq!(gen_error(100, 100, 1.0), None);
        let r = rho(100, 10, 1.0).unwrap();
        assert!((r - 89.0 / 189.0).abs() < 1e-12);
        assert!((cce_of_rho(0.6) - 0.5 * 0.64f64.ln()).abs() < 1e-15);
    }

    #[test]
    fn cce_is_highest_next_to_the_threshold() {
        let d = 100;
        let values: Vec<(usize, f64)> = (5..=300)
            .filter(|&n| n != d)
            .map(|n| (n, cce(d, n, 2.0).unwrap()))
            .collect();
        let best = values.iter().max_by(|a, b| a.1.total_cmp(&b.1)).unwrap();
        assert!((99..=101).contains(&best.0), "{best:?}");
    }
}
