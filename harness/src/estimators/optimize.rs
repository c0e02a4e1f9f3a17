//! Brent's bounded minimization of a function of one variable (golden section with parabolic
//! steps; Brent 1973, *Algorithms for Minimization without Derivatives*, ch. 5), in the form of
//! SciPy's `fminbound`: the profile likelihood of the t copula's ν (`elliptical.rs`) uses it.

use anyhow::Result;

/// The x in [lo, hi] that minimizes `f`, to within about `x_tol`, and f(x). `f` may fail; its
/// first error is returned. Deterministic: the points evaluated depend on the values only.
pub(crate) fn minimize_bounded(
    mut f: impl FnMut(f64) -> Result<f64>,
    lo: f64,
    hi: f64,
    x_tol: f64,
) -> Result<(f64, f64)> {
    const MAX_EVALUATIONS: usize = 200;
    let sqrt_eps = f64::EPSILON.sqrt();
    let golden_mean = 0.5 * (3.0 - 5f64.sqrt());
    let (mut a, mut b) = (lo, hi);
    let mut xf = a + golden_mean * (b - a);
    let (mut nfc, mut fulc) = (xf, xf);
    let mut fx = f(xf)?;
    let (mut fnfc, mut ffulc) = (fx, fx);
    let (mut rat, mut e) = (0.0f64, 0.0f64);
    let mut xm = 0.5 * (a + b);
    let mut tol1 = sqrt_eps * xf.abs() + x_tol / 3.0;
    let mut tol2 = 2.0 * tol1;
    let sign = |v: f64| if v >= 0.0 { 1.0 } else { -1.0 };
    for _ in 0..MAX_EVALUATIONS {
        if (xf - xm).abs() <= tol2 - 0.5 * (b - a) {
            break;
        }
        let mut golden = true;
        if e.abs() > tol1 {
            // A parabola through the three best points.
            let r = (xf - nfc) * (fx - ffulc);
            let mut q = (xf - fulc) * (fx - fnfc);
            let mut p = (xf - fulc) * q - (xf - nfc) * r;
            q = 2.0 * (q - r);
            if q > 0.0 {
                p = -p;
            }
            q = q.abs();
            let previous = e;
            e = rat;
            if p.abs() < (0.5 * q * previous).abs() && p > q * (a - xf) && p < q * (b - xf) {
                rat = p / q;
                let x = xf + rat;
                if (x - a) < tol2 || (b - x) < tol2 {
                    rat = tol1 * sign(xm - xf);
                }
                golden = false;
            }
        }
        if golden {
            e = if xf >= xm { a - xf } else { b - xf };
            rat = golden_mean * e;
        }
        let x = xf + sign(rat) * rat.abs().max(tol1);
        let fu = f(x)?;
        if fu <= fx {
            if x >= xf {
                a = xf;
            } else {
                b = xf;
            }
            (fulc, ffulc) = (nfc, fnfc);
            (nfc, fnfc) = (xf, fx);
            (xf, fx) = (x, fu);
        } else {
            if x < xf {
                a = x;
            } else {
                b = x;
            }
            if fu <= fnfc || nfc == xf {
                (fulc, ffulc) = (nfc, fnfc);
                (nfc, fnfc) = (x, fu);
            } else if fu <= ffulc || fulc == xf || fulc == nfc {
                (fulc, ffulc) = (x, fu);
            }
        }
        xm = 0.5 * (a + b);
        tol1 = sqrt_eps * xf.abs() + x_tol / 3.0;
        tol2 = 2.0 * tol1;
    }
    Ok((xf, fx))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_interior_and_boundary_minima() {
        let mut calls = 0;
        let (x, fx) = minimize_bounded(
            |x| {
                calls += 1;
                Ok((x - 0.3).powi(2) + 1.0)
            },
            0.0,
            1.0,
            1e-6,
        )
        .unwrap();
        assert!(
            (x - 0.3).abs() < 1e-5 && (fx - 1.0).abs() < 1e-10,
            "{x} {fx}"
        );
        assert!(calls < 15, "{calls} evaluations for a parabola");
        // A non-quadratic one with its minimum at 1/e.
        let (x, _) = minimize_bounded(|x| Ok(x * x.ln()), 0.05, 1.0, 1e-8).unwrap();
        assert!((x - (-1f64).exp()).abs() < 1e-6, "{x}");
        // Decreasing everywhere: the upper bound, to within the tolerance.
        let (x, _) = minimize_bounded(|x| Ok(-x), 0.0, 1.0, 1e-5).unwrap();
        assert!(x > 1.0 - 1e-4 && x <= 1.0, "{x}");
        let (x, _) = minimize_bounded(Ok, 0.0, 1.0, 1e-5).unwrap();
        assert!((0.0..1e-4).contains(&x), "{x}");
        // Errors pass through.
        let err = minimize_bounded(|_| anyhow::bail!("no"), 0.0, 1.0, 1e-5).unwrap_err();
        assert_eq!(err.to_string(), "no");
    }
}
