//! The per-bench threshold of the gate. A new bench starts at a fixed 2 %; once its history
//! on this machine key spans at least [`MIN_ROWS`] commits, the threshold is the fence
//! Q3 + 3·IQR of its past absolute relative changes between consecutive commits (the rule
//! rustc-perf uses), so that a bench whose count drifts with unrelated edits gets a wider
//! band and a steady one a narrower band. The fence never goes below [`FLOOR`]: a history of
//! identical counts gives a fence of 0, which would fail on any code-layout change.

/// The threshold before a bench has enough history.
pub const DEFAULT: f64 = 0.02;
/// History rows (commits) needed before the fence replaces [`DEFAULT`].
pub const MIN_ROWS: usize = 10;
/// The smallest threshold the fence may give (1 %: innocuous edits moved benches by up to
/// 1.8 % in the tool trial, real regressions by 8–9 %).
pub const FLOOR: f64 = 0.01;

/// A threshold and where it came from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Threshold {
    Default,
    /// The fence and the number of commits it was computed from.
    Fence {
        value: f64,
        commits: usize,
    },
}

impl Threshold {
    /// Relative change (0.02 = 2 %) beyond which a change is flagged.
    pub fn limit(self) -> f64 {
        match self {
            Threshold::Default => DEFAULT,
            Threshold::Fence { value, .. } => value.max(FLOOR),
        }
    }

    pub fn describe(self) -> String {
        match self {
            Threshold::Default => "2% (default)".to_string(),
            Threshold::Fence { commits, .. } => {
                format!("{:.2}% (fence of {commits} commits)", 100.0 * self.limit())
            }
        }
    }
}

/// Quantile by linear interpolation between order statistics (type 7, as numpy's default).
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    assert!(!sorted.is_empty(), "quantile of nothing");
    let pos = q * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    sorted[lo] + (pos - lo as f64) * (sorted[hi] - sorted[lo])
}

/// Absolute relative changes between consecutive counts.
pub fn relative_changes(counts: &[u64]) -> Vec<f64> {
    counts
        .windows(2)
        .map(|w| (w[1] as f64 / w[0] as f64 - 1.0).abs())
        .collect()
}

/// The threshold for a bench whose history (one count per commit, oldest first) is `counts`.
pub fn threshold(counts: &[u64]) -> Threshold {
    if counts.len() < MIN_ROWS {
        return Threshold::Default;
    }
    let mut changes = relative_changes(counts);
    changes.sort_by(f64::total_cmp);
    let q1 = quantile(&changes, 0.25);
    let q3 = quantile(&changes, 0.75);
    Threshold::Fence {
        value: q3 + 3.0 * (q3 - q1),
        commits: counts.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantile_interpolates_like_numpy() {
        let x = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile(&x, 0.0), 1.0);
        assert_eq!(quantile(&x, 0.25), 1.75);
        assert_eq!(quantile(&x, 0.75), 3.25);
        assert_eq!(quantile(&x, 1.0), 4.0);
    }

    #[test]
    fn fewer_than_ten_commits_keep_the_default() {
        let counts = vec![100u64; MIN_ROWS - 1];
        assert_eq!(threshold(&counts), Threshold::Default);
        assert_eq!(threshold(&counts).limit(), 0.02);
        let ten = vec![100u64; MIN_ROWS];
        assert!(
            matches!(threshold(&ten), Threshold::Fence { commits: 10, .. }),
            "ten commits give a fence"
        );
    }

    #[test]
    fn the_fence_is_q3_plus_three_iqr_of_past_changes() {
        // Changes 0 %, 1 %, …, 9 % between ten consecutive commits (11 counts).
        let mut counts = vec![1_000_000u64];
        for i in 0..10 {
            let last = *counts.last().unwrap() as f64;
            counts.push((last * (1.0 + i as f64 / 100.0)).round() as u64);
        }
        let Threshold::Fence { value, commits } = threshold(&counts) else {
            panic!("11 commits give a fence");
        };
        assert_eq!(commits, 11);
        // Q1 = 2.25 %, Q3 = 6.75 %: fence = 6.75 + 3·4.5 = 20.25 %.
        assert!((value - 0.2025).abs() < 1e-4, "{value}");
    }

    #[test]
    fn one_step_in_the_history_does_not_blind_the_fence() {
        // A 50 % speed-up among otherwise small drifts leaves the fence near the drifts.
        let mut counts: Vec<u64> = (0..12).map(|i| 1_000_000 + 1000 * (i % 3)).collect();
        counts[6] = 500_000;
        for c in counts.iter_mut().skip(7) {
            *c /= 2;
        }
        let t = threshold(&counts);
        assert!(t.limit() < 0.01 + 1e-12, "{t:?}");
    }

    #[test]
    fn a_zero_fence_is_raised_to_the_floor() {
        let t = threshold(&[5u64; 12]);
        assert_eq!(
            t,
            Threshold::Fence {
                value: 0.0,
                commits: 12
            }
        );
        assert_eq!(t.limit(), FLOOR);
    }
}
