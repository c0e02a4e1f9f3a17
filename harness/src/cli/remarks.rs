//! What `harness cce` and `harness align` ([`super::pair`]) say beside their number: reading
//! the two CSV representations (with the optional projection), the remarks a number needs to
//! be read right (a setting that changes nothing, a pair whose true value is infinite), and
//! how a directed measure's two values are named (`CCE(A|B)`, not `A->B`).

use crate::estimators::{Estimator, Measure, MeasureValue, Projection};
use crate::matrix::Matrix;
use anyhow::Result;
use std::path::Path;

/// Two representations as the estimators will see them, and the remarks about them.
pub struct Pair {
    pub a: Matrix,
    pub b: Matrix,
    /// One line each, for stderr: what the user asked for that changes nothing, or what makes
    /// the number special.
    pub remarks: Vec<String>,
}

/// What the command was asked for, beside the files: the projection, and the estimator with
/// whether `--k` was given (`None` for a measure that uses no estimator).
pub struct Asked {
    pub project: Projection,
    pub estimator: Option<(Estimator, bool)>,
}

/// Reads both CSVs (in parallel) and applies the projection to each; `wrap` turns a
/// projection's complaint into the caller's error kind.
pub fn read(
    a: &Path,
    b: &Path,
    asked: &Asked,
    wrap: impl Fn(anyhow::Error) -> anyhow::Error + Sync,
) -> Result<Pair> {
    let read = |p: &Path| -> Result<(Matrix, usize)> {
        let raw = Matrix::read_csv(p)?;
        let cols = raw.cols;
        Ok((asked.project.apply(&raw).map_err(&wrap)?, cols))
    };
    let (ra, rb) = rayon::join(|| read(a), || read(b));
    let ((ma, ca), (mb, cb)) = (ra?, rb?);
    let remarks = remarks(asked, (ca, cb), &ma, &mb, same_file(a, b));
    Ok(Pair {
        a: ma,
        b: mb,
        remarks,
    })
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

/// The remarks on a pair: `raw` is each file's column count before the projection.
pub fn remarks(
    asked: &Asked,
    raw: (usize, usize),
    a: &Matrix,
    b: &Matrix,
    same_file: bool,
) -> Vec<String> {
    let mut out = Vec::new();
    if let Projection::Pca(m) = asked.project {
        if raw.0 <= m && raw.1 <= m {
            out.push(format!(
                "note: --project pca:{m} changes nothing here: A has {} and B {} column(s), and \
                 pca:m leaves a representation of at most m columns as it is (use m < {})",
                raw.0,
                raw.1,
                raw.0.max(raw.1)
            ));
        }
    }
    if let Some((estimator, true)) = asked.estimator {
        if !estimator.is_knn() {
            out.push(format!(
                "note: --k changes nothing for --estimator {estimator} (it has no neighbours)"
            ));
        }
    }
    let identical = a.rows == b.rows && a.cols == b.cols && a.data == b.data;
    if identical {
        out.push(format!(
            "note: A and B are {}: the true CCE(A|A) is −∞ (a representation determines \
             itself) and the copula MI +∞; any finite estimate is the estimator's floor at N = \
             {}, not a level of alignment",
            if same_file {
                "the same file"
            } else {
                "the same matrix"
            },
            a.rows
        ));
    }
    out
}

/// A measure's value as printed: one number, or two lines `CCE(A|B)<TAB>x` and
/// `CCE(B|A)<TAB>y` (the measure's own [`Measure::directions`]).
pub fn value_lines(measure: Measure, value: MeasureValue) -> String {
    match (value, measure.directions()) {
        (MeasureValue::Symmetric(v), _) => format!("{v}\n"),
        (MeasureValue::Directed(ab, ba), Some((x, y))) => format!("{x}\t{ab}\n{y}\t{ba}\n"),
        (MeasureValue::Directed(ab, ba), None) => format!("A->B\t{ab}\nB->A\t{ba}\n"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(cols: usize, seed: f64) -> Matrix {
        Matrix::from_fn(5, cols, |i, j| seed + (i * 7 + j * 3) as f64 % 5.0)
    }

    fn asked(project: Projection, estimator: Option<(Estimator, bool)>) -> Asked {
        Asked { project, estimator }
    }

    #[test]
    fn a_projection_onto_at_least_both_widths_is_remarked() {
        let none = asked(Projection::Pca(7), None);
        let r = remarks(&none, (3, 2), &m(3, 0.0), &m(2, 1.0), false);
        assert_eq!(r.len(), 1, "{r:?}");
        assert!(r[0].contains("pca:7 changes nothing") && r[0].contains("A has 3 and B 2"));
        // One side reduced: the projection does something.
        assert!(remarks(&none, (8, 2), &m(7, 0.0), &m(2, 1.0), false).is_empty());
        assert!(remarks(
            &asked(Projection::None, None),
            (3, 2),
            &m(3, 0.0),
            &m(2, 1.0),
            false
        )
        .is_empty());
    }

    #[test]
    fn k_is_remarked_only_when_given_to_an_estimator_without_neighbours() {
        let (a, b) = (m(2, 0.0), m(2, 1.0));
        let with = |e, given| {
            remarks(
                &asked(Projection::None, Some((e, given))),
                (2, 2),
                &a,
                &b,
                false,
            )
        };
        assert!(with(Estimator::Gaussian, true)[0].contains("--k changes nothing"));
        assert!(with(Estimator::Gaussian, false).is_empty());
        assert!(with(Estimator::Ksg, true).is_empty());
    }

    #[test]
    fn a_representation_against_itself_is_remarked_as_infinite_in_truth() {
        let a = m(3, 0.0);
        let r = remarks(&asked(Projection::None, None), (3, 3), &a, &a.clone(), true);
        assert!(
            r[0].contains("the same file") && r[0].contains("−∞"),
            "{r:?}"
        );
        let r = remarks(
            &asked(Projection::None, None),
            (3, 3),
            &a,
            &a.clone(),
            false,
        );
        assert!(r[0].contains("the same matrix"), "{r:?}");
        assert!(remarks(
            &asked(Projection::None, None),
            (3, 3),
            &a,
            &m(3, 1.0),
            false
        )
        .is_empty());
    }

    #[test]
    fn directed_values_are_named_by_the_measure() {
        assert_eq!(
            value_lines(Measure::Cce, MeasureValue::Directed(-1.0, -2.0)),
            "CCE(A|B)\t-1\nCCE(B|A)\t-2\n"
        );
        assert_eq!(
            value_lines(Measure::Ii, MeasureValue::Directed(0.5, 0.25)),
            "A->B\t0.5\nB->A\t0.25\n"
        );
        assert_eq!(
            value_lines(Measure::Mi, MeasureValue::Symmetric(0.5)),
            "0.5\n"
        );
    }
}
