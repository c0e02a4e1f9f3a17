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

    /// The points evaluated, in order, are SciPy's `fminbound`'s (SciPy 1.17.1, recorded by
    /// wrapping f; `xtol` as given): the port keeps Brent's parabolic steps, golden-section
    /// fallbacks and stopping rule, not only the minimum. A parabolic step lost (say, its
    /// acceptance test weakened) still finds the minimum, through more golden-section steps,
    /// and fails here. One difference, kept: SciPy's √ε is √(2.2·10⁻¹⁶), this port's
    /// √`f64::EPSILON`, so a step of the minimum length tol₁ = √ε·|x| + xtol/3 differs by
    /// about 7·10⁻¹¹·|x|: the points are compared to within 1e-10.
    #[test]
    fn evaluates_the_points_scipy_fminbound_evaluates() {
        let cases: [(&str, fn(f64) -> f64, f64, f64, f64, &[f64]); 5] = [
            (
                "(x - 0.3)² + 1",
                |x| (x - 0.3).powi(2) + 1.0,
                0.0,
                1.0,
                1e-6,
                &[
                    0.3819660112501051,
                    0.6180339887498948,
                    0.2360679774997897,
                    0.3000000000000004,
                    0.29999966221694796,
                    0.3000003377830528,
                ],
            ),
            (
                "x ln x",
                |x| x * x.ln(),
                0.05,
                1.0,
                1e-8,
                &[
                    0.4128677106875998,
                    0.6371322893124001,
                    0.27426457862480014,
                    0.3758254580721036,
                    0.3700353685748993,
                    0.36767040454285543,
                    0.36787266910436167,
                    0.3678796511323478,
                    0.36787944055207633,
                    0.36787944934194355,
                    0.3678794317622091,
                ],
            ),
            (
                "(s - 0.25)⁴ − sin(5s) / 10",
                |s| (s - 0.25).powi(4) - 0.1 * (5.0 * s).sin(),
                1e-3,
                1.0,
                1e-4,
                &[
                    0.382584045238855,
                    0.6184159547611449,
                    0.23683190952228989,
                    0.3133108538745993,
                    0.31317529933951527,
                    0.3137407922762115,
                    0.3137741302630728,
                    0.31370745428935015,
                ],
            ),
            // Not smooth: parabolic steps rejected (outside the bracket, or longer than half
            // the step before last) and golden-section steps taken instead.
            (
                "|x − 0.3|",
                |x| (x - 0.3).abs(),
                0.0,
                1.0,
                1e-5,
                &[
                    0.3819660112501051,
                    0.6180339887498948,
                    0.2360679774997897,
                    0.28208068577582585,
                    0.3035228547663166,
                    0.3334854743582971,
                    0.303126481159964,
                    0.29702884247115247,
                    0.291319154682697,
                    0.29999278971096544,
                    0.30003874135596215,
                    0.29940333651010337,
                    0.29976763862301353,
                    0.29996060381929196,
                    0.2999998667617435,
                    0.30000785565652704,
                    0.30000320454479396,
                    0.29999652897869306,
                ],
            ),
            (
                "⌊8x⌋ / 8 + (x − 0.55)²",
                |x| (8.0 * x).floor() / 8.0 + (x - 0.55).powi(2),
                0.0,
                1.0,
                1e-5,
                &[
                    0.3819660112501051,
                    0.6180339887498948,
                    0.2360679774997897,
                    0.14589803375031546,
                    0.234454845829213,
                    0.29179606750063086,
                    0.25735421375199785,
                    0.24419859625557302,
                    0.24922359499621452,
                    0.25232921501135636,
                    0.2473042162707149,
                    0.2504098362858567,
                    0.24849045756035712,
                    0.24967669884999932,
                    0.2499567324320719,
                    0.25012980270378415,
                    0.24984976912171156,
                    0.2500228393934238,
                    0.24991587608306345,
                    0.24998198304441535,
                    0.24999758878108036,
                    0.2500072336567588,
                    0.2499916279200938,
                    0.2500012727957723,
                ],
            ),
        ];
        for (name, f, lo, hi, tol, scipy) in cases {
            let mut points = Vec::new();
            let (x, _) = minimize_bounded(
                |x| {
                    points.push(x);
                    Ok(f(x))
                },
                lo,
                hi,
                tol,
            )
            .unwrap();
            assert_eq!(points.len(), scipy.len(), "{name}: {points:?}");
            for (got, want) in points.iter().zip(scipy) {
                assert!((got - want).abs() <= 1e-10, "{name}: {points:?}");
            }
            // The best point evaluated is returned, as SciPy returns it.
            assert!(scipy.iter().any(|w| (w - x).abs() <= 1e-10), "{name}: {x}");
        }
    }
}
