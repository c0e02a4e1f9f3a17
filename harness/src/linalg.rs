//! Small dense linear algebra in f64 (nalgebra underneath): the minimum-norm least-squares
//! solution that defines `linear2` "at global minimum".

use crate::matrix::Matrix;
use anyhow::{bail, Result};
use nalgebra::{DMatrix, DVector};

fn to_na(x: &Matrix) -> DMatrix<f64> {
    DMatrix::from_row_slice(x.rows, x.cols, &x.data)
}

/// β̂ = X⁺y, the minimum-norm minimizer of |Xβ − y|².
///
/// Solved through the normal equations of the smaller side (XᵀX when n ≥ d, XXᵀ when n < d)
/// by Cholesky, which is exact in f64 away from n = d; when the Gram matrix is numerically
/// singular it falls back to the SVD pseudo-inverse.
pub fn min_norm_least_squares(x: &Matrix, y: &[f64]) -> Result<Vec<f64>> {
    if x.rows != y.len() {
        bail!("{} inputs but {} labels", x.rows, y.len());
    }
    let xa = to_na(x);
    let yv = DVector::from_column_slice(y);
    let beta = if x.rows >= x.cols {
        let gram = xa.transpose() * &xa;
        match gram.clone().cholesky() {
            Some(ch) => Some(ch.solve(&(xa.transpose() * &yv))),
            None => None,
        }
    } else {
        let gram = &xa * xa.transpose();
        gram.cholesky().map(|ch| xa.transpose() * ch.solve(&yv))
    };
    let beta = match beta {
        Some(b) if b.iter().all(|v| v.is_finite()) => b,
        _ => {
            let svd = xa.svd(true, true);
            let eps = 1e-12 * svd.singular_values.max();
            svd.solve(&yv, eps)
                .map_err(|e| anyhow::anyhow!("SVD solve failed: {e}"))?
        }
    };
    Ok(beta.iter().copied().collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    fn residual_orthogonal_and_min_norm(n: usize, d: usize) {
        let mut rng = Rng::new(n as u64 * 31 + d as u64);
        let x = Matrix::new(n, d, rng.normals(n * d)).unwrap();
        let y = rng.normals(n);
        let b = min_norm_least_squares(&x, &y).unwrap();
        let xa = to_na(&x);
        let bv = DVector::from_column_slice(&b);
        let r = &xa * &bv - DVector::from_column_slice(&y);
        // Normal equations hold: Xᵀ(Xβ − y) = 0.
        let g = xa.transpose() * &r;
        assert!(g.norm() < 1e-9 * (1.0 + bv.norm()), "gradient {}", g.norm());
        if n < d {
            // Interpolates, and lies in the row space of X (minimum norm).
            assert!(r.norm() < 1e-9);
            let svd = xa.clone().svd(true, true);
            let pinv = svd.pseudo_inverse(1e-12).unwrap();
            let reference = pinv * DVector::from_column_slice(&y);
            assert!((reference - bv).norm() < 1e-9);
        }
    }

    #[test]
    fn min_norm_solution_underdetermined() {
        residual_orthogonal_and_min_norm(7, 20);
    }

    #[test]
    fn min_norm_solution_overdetermined() {
        residual_orthogonal_and_min_norm(40, 10);
    }
}
