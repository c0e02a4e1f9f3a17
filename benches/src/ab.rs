//! Interleaved A/B wall-clock comparison of two builds on one machine in one run: the only
//! honest use of wall time here (the machine's load moves by more than the effects sought,
//! but it moves both sides alike when they alternate). Rounds alternate the order (A B, then
//! B A) so that a drifting load favours neither side; each round gives one ratio B/A, and the
//! mean of the log ratios with its t interval gives the ratio and its 95 % interval.

use anyhow::{Context, Result};
use std::io::Write;
use std::path::Path;

/// Two-sided 95 % quantile of Student's t with `df` degrees of freedom.
pub fn t975(df: usize) -> f64 {
    const TABLE: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042,
    ];
    match df {
        0 => f64::INFINITY,
        1..=30 => TABLE[df - 1],
        _ => 1.96 + 2.4 / df as f64,
    }
}

/// The comparison of one workload.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    pub rounds: usize,
    pub a_median_s: f64,
    pub b_median_s: f64,
    /// Geometric mean of B/A over the rounds, and its 95 % interval.
    pub ratio: f64,
    pub lo: f64,
    pub hi: f64,
}

impl Comparison {
    pub fn verdict(&self) -> &'static str {
        if self.hi < 1.0 {
            "B faster"
        } else if self.lo > 1.0 {
            "B slower"
        } else {
            "no difference shown"
        }
    }
}

fn median(x: &[f64]) -> f64 {
    let mut s = x.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    }
}

/// Compares paired times (seconds) of A and B, one pair per round.
pub fn compare(a: &[f64], b: &[f64]) -> Comparison {
    assert_eq!(a.len(), b.len(), "one pair per round");
    assert!(a.len() >= 2, "at least two rounds");
    let logs: Vec<f64> = a.iter().zip(b).map(|(a, b)| (b / a).ln()).collect();
    let n = logs.len() as f64;
    let mean = logs.iter().sum::<f64>() / n;
    let var = logs.iter().map(|l| (l - mean).powi(2)).sum::<f64>() / (n - 1.0);
    let half = t975(logs.len() - 1) * (var / n).sqrt();
    Comparison {
        rounds: logs.len(),
        a_median_s: median(a),
        b_median_s: median(b),
        ratio: mean.exp(),
        lo: (mean - half).exp(),
        hi: (mean + half).exp(),
    }
}

/// Writes the fixed inputs of the `cce` workload: two correlated Gaussian CSVs of `n` rows
/// and `dims` columns each (ρ = 0.6), from a fixed seed (SplitMix64 and Box–Muller), so that
/// every run of the comparison reads the same bytes.
pub fn write_cce_inputs(dir: &Path, n: usize, dims: usize) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut state: u64 = 20261130;
    let mut uniform = move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut normal = move || {
        let u1 = 1.0 - uniform();
        let u2 = uniform();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    };
    let (mut a, mut b) = (String::new(), String::new());
    for _ in 0..n {
        let row_a: Vec<f64> = (0..dims).map(|_| normal()).collect();
        let row_b: Vec<f64> = row_a.iter().map(|x| 0.6 * x + 0.8 * normal()).collect();
        let line = |r: &[f64]| {
            r.iter()
                .map(|v| format!("{v:.6}"))
                .collect::<Vec<_>>()
                .join(",")
        };
        a.push_str(&line(&row_a));
        a.push('\n');
        b.push_str(&line(&row_b));
        b.push('\n');
    }
    for (name, text) in [("a.csv", a), ("b.csv", b)] {
        let path = dir.join(name);
        std::fs::File::create(&path)
            .and_then(|mut f| f.write_all(text.as_bytes()))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_sides_give_a_ratio_of_one_inside_its_interval() {
        let a = [1.0, 1.2, 0.9, 1.1, 1.0];
        let c = compare(&a, &a);
        assert!((c.ratio - 1.0).abs() < 1e-12 && c.lo <= 1.0 && c.hi >= 1.0);
        assert_eq!(c.verdict(), "no difference shown");
    }

    #[test]
    fn a_constant_slowdown_under_noise_is_found() {
        // The load changes each round by up to 40 %, B is 10 % slower within every round.
        let a = [1.0, 1.4, 0.8, 1.2, 1.0, 1.3];
        let b: Vec<f64> = a
            .iter()
            .zip([1.0, 1.02, 0.98, 1.01, 0.99, 1.0])
            .map(|(x, e)| 1.1 * x * e)
            .collect();
        let c = compare(&a, &b);
        assert!((c.ratio - 1.1).abs() < 0.01, "{c:?}");
        assert!(c.lo > 1.05 && c.hi < 1.15, "{c:?}");
        assert_eq!(c.verdict(), "B slower");
    }

    #[test]
    fn the_interval_uses_student_t() {
        // Log ratios ±d alternating: mean 0, sd d·√(n/(n−1)).
        let d = 0.1f64;
        let a = [1.0; 4];
        let b = [d.exp(), (-d).exp(), d.exp(), (-d).exp()];
        let c = compare(&a, &b);
        let sd = d * (4.0f64 / 3.0).sqrt();
        assert!((c.hi.ln() - 3.182 * sd / 2.0).abs() < 1e-9, "{c:?}");
    }

    #[test]
    fn the_inputs_are_the_same_bytes_every_time() {
        let dir = tempfile::tempdir().unwrap();
        write_cce_inputs(&dir.path().join("1"), 50, 2).unwrap();
        write_cce_inputs(&dir.path().join("2"), 50, 2).unwrap();
        let read = |d: &str| std::fs::read(dir.path().join(d).join("b.csv")).unwrap();
        assert_eq!(read("1"), read("2"));
        assert_eq!(String::from_utf8(read("1")).unwrap().lines().count(), 50);
    }
}
