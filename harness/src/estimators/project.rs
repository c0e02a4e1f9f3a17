//! Optional dimensionality reduction before any measure (`project: pca:m` in a manifest's
//! `alignment:` section, `--project pca:m` on the command line): each representation is replaced
//! by its scores on its own first m principal components (columns centered, components of the
//! sample covariance by decreasing variance). SPEC §4 recommends it for wide representations,
//! on which the kNN estimators drift upward with dimension.
//!
//! Our choices: a representation with at most m columns is left unchanged (no reduction is
//! needed, and a rotation would change the copula); each component's sign is fixed so that its
//! largest-magnitude loading is positive (the lower column index on a tie), so that the result
//! is deterministic.

use crate::matrix::Matrix;
use anyhow::{bail, Result};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Projection {
    /// Use the representations as they are.
    #[default]
    None,
    /// The first m principal components of each representation.
    Pca(usize),
}

impl Projection {
    pub fn is_none(&self) -> bool {
        *self == Projection::None
    }

    /// Applies the projection to one representation.
    pub fn apply(&self, x: &Matrix) -> Result<Matrix> {
        match *self {
            Projection::Pca(m) if x.cols > m => pca_scores(x, m),
            _ => Ok(x.clone()),
        }
    }
}

impl std::fmt::Display for Projection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Projection::None => f.write_str("none"),
            Projection::Pca(m) => write!(f, "pca:{m}"),
        }
    }
}

impl std::str::FromStr for Projection {
    type Err = anyhow::Error;

    fn from_str(s: &str) -> Result<Self> {
        if s == "none" {
            return Ok(Projection::None);
        }
        match s.strip_prefix("pca:").map(str::parse::<usize>) {
            Some(Ok(m)) if m >= 1 => Ok(Projection::Pca(m)),
            _ => bail!("projection {s:?}: expected `none` or `pca:m` with a whole number m >= 1"),
        }
    }
}

impl serde::Serialize for Projection {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> serde::Deserialize<'de> for Projection {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Scores of `x` (N × d) on its first m < d principal components (N × m).
fn pca_scores(x: &Matrix, m: usize) -> Result<Matrix> {
    let (n, d) = (x.rows, x.cols);
    if n < 2 {
        bail!("pca:{m} needs at least 2 rows, the representation has {n}");
    }
    let means: Vec<f64> = (0..d)
        .map(|j| (0..n).map(|i| x.get(i, j)).sum::<f64>() / n as f64)
        .collect();
    let c = Matrix::from_fn(n, d, |i, j| x.get(i, j) - means[j]);
    let cov = nalgebra::DMatrix::from_fn(d, d, |a, b| {
        (0..n).map(|i| c.get(i, a) * c.get(i, b)).sum::<f64>() / (n - 1) as f64
    });
    let eig = nalgebra::SymmetricEigen::new(cov);
    let mut order: Vec<usize> = (0..d).collect();
    order.sort_by(|&p, &q| {
        eig.eigenvalues[q]
            .total_cmp(&eig.eigenvalues[p])
            .then(p.cmp(&q))
    });
    let components: Vec<Vec<f64>> = order[..m]
        .iter()
        .map(|&col| {
            let v: Vec<f64> = eig.eigenvectors.column(col).iter().copied().collect();
            let big = (0..d).fold(0, |b, j| if v[j].abs() > v[b].abs() { j } else { b });
            let sign = if v[big] < 0.0 { -1.0 } else { 1.0 };
            v.iter().map(|e| sign * e).collect()
        })
        .collect();
    Ok(Matrix::from_fn(n, m, |i, p| {
        c.row(i)
            .iter()
            .zip(&components[p])
            .map(|(a, b)| a * b)
            .sum()
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    #[test]
    fn parses_and_prints() {
        assert_eq!("pca:3".parse::<Projection>().unwrap(), Projection::Pca(3));
        assert_eq!("none".parse::<Projection>().unwrap(), Projection::None);
        assert_eq!(Projection::Pca(3).to_string(), "pca:3");
        for bad in ["pca:0", "pca:", "pca:x", "pca3", "PCA:2"] {
            let e = bad.parse::<Projection>().unwrap_err().to_string();
            assert!(e.contains("pca:m"), "{bad}: {e}");
        }
    }

    #[test]
    fn recovers_a_low_rank_signal() {
        // Two latent factors of variance 9 and 4 spread over 6 columns, plus small noise.
        let mut r = Rng::new(5);
        let n = 2000;
        let z: Vec<(f64, f64)> = (0..n)
            .map(|_| (3.0 * r.normal(), 2.0 * r.normal()))
            .collect();
        let load = [
            [1.0, 0.0],
            [0.0, 1.0],
            [1.0, 1.0],
            [0.5, -1.0],
            [0.0, 0.0],
            [-1.0, 0.2],
        ];
        let x = Matrix::from_fn(n, 6, |i, j| {
            load[j][0] * z[i].0 + load[j][1] * z[i].1 + 0.01 * r.normal() + 7.0
        });
        let s = Projection::Pca(2).apply(&x).unwrap();
        assert_eq!((s.rows, s.cols), (n, 2));
        // Scores are centered, uncorrelated, by decreasing variance, and carry (nearly) all of
        // the variance.
        let col = |j: usize| s.column(j);
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        let var = |v: &[f64]| v.iter().map(|a| a * a).sum::<f64>() / (n - 1) as f64;
        let (v0, v1) = (var(&col(0)), var(&col(1)));
        assert!(mean(&col(0)).abs() < 1e-9 && mean(&col(1)).abs() < 1e-9);
        assert!(v0 > v1);
        let cov01: f64 =
            col(0).iter().zip(col(1)).map(|(a, b)| a * b).sum::<f64>() / (n - 1) as f64;
        assert!(cov01.abs() < 1e-9 * v0);
        let total: f64 = (0..6)
            .map(|j| {
                let c = x.column(j);
                let m = mean(&c);
                c.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (n - 1) as f64
            })
            .sum();
        assert!((v0 + v1) / total > 0.9999, "{}", (v0 + v1) / total);
        // Deterministic, and narrow representations pass through unchanged.
        assert_eq!(Projection::Pca(2).apply(&x).unwrap(), s);
        assert_eq!(Projection::Pca(6).apply(&x).unwrap(), x);
        assert_eq!(Projection::None.apply(&x).unwrap(), x);
    }
}
