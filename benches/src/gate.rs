//! The gate's decision: each bench's count now against its baseline, with its threshold.
//! Exit codes (read by CI directly): 0 no regression, 1 at least one regression, 2 no
//! baseline for this machine key or for some bench (never a pass), 3 the gate could not run.

use crate::fence::Threshold;
use std::collections::BTreeMap;
use std::fmt::Write;

pub const EXIT_OK: i32 = 0;
pub const EXIT_REGRESSION: i32 = 1;
pub const EXIT_NO_BASELINE: i32 = 2;
pub const EXIT_ERROR: i32 = 3;

#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    Ok,
    /// Slower beyond the threshold.
    Regression,
    /// Faster beyond the threshold: the baseline should be refreshed.
    Improvement,
    /// Measured now, not in the baseline.
    NoBaseline,
    /// In the baseline, not measured now (renamed or removed bench).
    Missing,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub bench: String,
    pub baseline: Option<u64>,
    pub now: Option<u64>,
    pub threshold: Threshold,
    pub verdict: Verdict,
}

impl Row {
    /// Relative change now / baseline − 1, when both exist.
    pub fn change(&self) -> Option<f64> {
        Some(self.now? as f64 / self.baseline? as f64 - 1.0)
    }
}

/// Compares `now` with `baseline`; `threshold` gives each bench's threshold.
pub fn compare(
    baseline: &BTreeMap<String, u64>,
    now: &BTreeMap<String, u64>,
    threshold: impl Fn(&str) -> Threshold,
) -> Vec<Row> {
    let mut names: Vec<&String> = baseline.keys().chain(now.keys()).collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .map(|bench| {
            let t = threshold(bench);
            let (b, n) = (baseline.get(bench).copied(), now.get(bench).copied());
            let verdict = match (b, n) {
                (None, _) => Verdict::NoBaseline,
                (_, None) => Verdict::Missing,
                (Some(b), Some(n)) => {
                    // Exactly at the limit is within it (1e-12: the rounding of the ratio).
                    let change = n as f64 / b as f64 - 1.0;
                    if change > t.limit() + 1e-12 {
                        Verdict::Regression
                    } else if change < -t.limit() - 1e-12 {
                        Verdict::Improvement
                    } else {
                        Verdict::Ok
                    }
                }
            };
            Row {
                bench: bench.clone(),
                baseline: b,
                now: n,
                threshold: t,
                verdict,
            }
        })
        .collect()
}

/// What the counts are compared with: the committed baseline of this machine key, or the
/// base commit built on this machine ([`crate::base`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reference {
    Baseline,
    Base,
}

/// The exit code of a comparison with the base commit: 1 on a regression, else 0. A bench
/// only one side has (added or removed by the change) is shown but cannot fail: nothing
/// measured it on the other side, and a change that adds a bench must be able to pass.
pub fn ab_exit_code(rows: &[Row]) -> i32 {
    if rows.iter().any(|r| r.verdict == Verdict::Regression) {
        EXIT_REGRESSION
    } else {
        EXIT_OK
    }
}

/// The exit code of a comparison: a regression wins over gaps in the baseline.
pub fn exit_code(rows: &[Row]) -> i32 {
    if rows.iter().any(|r| r.verdict == Verdict::Regression) {
        EXIT_REGRESSION
    } else if rows
        .iter()
        .any(|r| matches!(r.verdict, Verdict::NoBaseline | Verdict::Missing))
    {
        EXIT_NO_BASELINE
    } else {
        EXIT_OK
    }
}

fn thousands(n: Option<u64>) -> String {
    let Some(n) = n else { return "-".into() };
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push('_');
        }
        out.push(c);
    }
    out
}

/// The table the gate prints, one line per bench, then one summary line.
pub fn render(rows: &[Row]) -> String {
    render_against(rows, Reference::Baseline)
}

/// [`render`], its reference column named for what the counts are compared with.
pub fn render_against(rows: &[Row], reference: Reference) -> String {
    let width = rows.iter().map(|r| r.bench.len()).max().unwrap_or(5).max(5);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<width$}  {:>14}  {:>14}  {:>8}  {:>24}  verdict",
        "bench",
        match reference {
            Reference::Baseline => "baseline Ir",
            Reference::Base => "base Ir",
        },
        "now Ir",
        "change",
        "threshold"
    );
    for r in rows {
        let change = r
            .change()
            .map_or("-".into(), |c| format!("{:+.2}%", 100.0 * c));
        let verdict = match (&r.verdict, reference) {
            (Verdict::Ok, _) => "ok",
            (Verdict::Regression, _) => "REGRESSION",
            (Verdict::Improvement, Reference::Baseline) => {
                "IMPROVED (refresh the baseline: make bench-baseline)"
            }
            (Verdict::Improvement, Reference::Base) => "IMPROVED",
            (Verdict::NoBaseline, Reference::Baseline) => "NO BASELINE (new bench?)",
            (Verdict::NoBaseline, Reference::Base) => "NEW (not in the base)",
            (Verdict::Missing, Reference::Baseline) => "MISSING (in the baseline, not measured)",
            (Verdict::Missing, Reference::Base) => "GONE (only in the base)",
        };
        let _ = writeln!(
            out,
            "{:<width$}  {:>14}  {:>14}  {:>8}  {:>24}  {verdict}",
            r.bench,
            thousands(r.baseline),
            thousands(r.now),
            change,
            r.threshold.describe()
        );
    }
    let count = |v: Verdict| rows.iter().filter(|r| r.verdict == v).count();
    let _ = write!(
        out,
        "gate: {} benches, {} regression(s), {} improvement(s), {} without baseline, {} missing",
        rows.len(),
        count(Verdict::Regression),
        count(Verdict::Improvement),
        count(Verdict::NoBaseline),
        count(Verdict::Missing)
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    #[test]
    fn a_change_beyond_the_threshold_is_a_regression_or_an_improvement() {
        let base = map(&[("a", 1000), ("b", 1000), ("c", 1000), ("d", 1000)]);
        let now = map(&[("a", 1020), ("b", 1021), ("c", 979), ("d", 980)]);
        let rows = compare(&base, &now, |_| Threshold::Default);
        let verdicts: Vec<_> = rows.iter().map(|r| r.verdict.clone()).collect();
        assert_eq!(
            verdicts,
            vec![
                Verdict::Ok,
                Verdict::Regression,
                Verdict::Improvement,
                Verdict::Ok
            ]
        );
        assert_eq!(exit_code(&rows), EXIT_REGRESSION);
        assert!(render(&rows).contains("1 regression(s), 1 improvement(s)"));
    }

    #[test]
    fn the_bench_s_own_threshold_is_used() {
        let base = map(&[("a", 1000)]);
        let now = map(&[("a", 1050)]);
        let fence = |_: &str| Threshold::Fence {
            value: 0.06,
            commits: 10,
        };
        assert_eq!(exit_code(&compare(&base, &now, fence)), EXIT_OK);
        assert_eq!(
            exit_code(&compare(&base, &now, |_| Threshold::Default)),
            EXIT_REGRESSION
        );
    }

    #[test]
    fn gaps_in_the_baseline_never_pass_but_a_regression_wins() {
        let base = map(&[("a", 1000), ("gone", 5)]);
        let now = map(&[("a", 1000), ("new", 7)]);
        let rows = compare(&base, &now, |_| Threshold::Default);
        assert_eq!(rows[0].verdict, Verdict::Ok);
        assert_eq!(rows[1].verdict, Verdict::Missing);
        assert_eq!(rows[2].verdict, Verdict::NoBaseline);
        assert_eq!(exit_code(&rows), EXIT_NO_BASELINE);
        let rows = compare(&map(&[("a", 1)]), &map(&[("a", 1), ("new", 7)]), |_| {
            Threshold::Default
        });
        assert_eq!(exit_code(&rows), EXIT_NO_BASELINE);
        let rows = compare(&map(&[("a", 100)]), &map(&[("a", 200), ("new", 1)]), |_| {
            Threshold::Default
        });
        assert_eq!(exit_code(&rows), EXIT_REGRESSION);
    }

    #[test]
    fn against_the_base_only_a_regression_fails() {
        let base = map(&[("a", 1000), ("gone", 5)]);
        let now = map(&[("a", 1000), ("new", 7)]);
        let rows = compare(&base, &now, |_| Threshold::Default);
        assert_eq!(ab_exit_code(&rows), EXIT_OK);
        let text = render_against(&rows, Reference::Base);
        assert!(
            text.contains("NEW (not in the base)") && text.contains("GONE"),
            "{text}"
        );
        let slower = compare(&base, &map(&[("a", 1021), ("new", 7)]), |_| {
            Threshold::Default
        });
        assert_eq!(ab_exit_code(&slower), EXIT_REGRESSION);
        assert!(render_against(&slower, Reference::Base).contains("base Ir"));
    }

    #[test]
    fn identical_counts_pass() {
        let base = map(&[("a", 12_345_678)]);
        let rows = compare(&base, &base, |_| Threshold::Default);
        assert_eq!(exit_code(&rows), EXIT_OK);
        assert!(render(&rows).contains("12_345_678"));
    }
}
