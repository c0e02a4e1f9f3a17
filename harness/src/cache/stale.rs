//! Staleness: which units of a phase a run computes. This is the one rule that `run` (the
//! [executor](super::executor)), `plan` and `why` apply, so that what `plan` and `why` say
//! will run is exactly what `run` runs.
//!
//! A unit runs when its cache entry is not served whole (missing, or corrupt: failing its
//! checksum or its decoding), and also when it is served but another unit of its *batch*
//! is not: a batch (e.g. the members of a `relu2` replica, trained in one stacked computation)
//! is computed whole, so that a unit's bytes always come from the same computation.

/// What the cache holds for one unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Found {
    /// A complete entry that passes its checksum and decodes.
    Valid,
    Missing,
    /// Present but failing its checksum, or not decoding.
    Corrupt,
}

/// Whether a unit runs, and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Served from the cache: does not run.
    Cached,
    /// No entry: runs.
    Missing,
    /// An entry not served whole: runs, and its entry is rewritten.
    Corrupt,
    /// Its entry is valid, but unit `because` of its batch is not: runs with its batch.
    BatchMate { because: usize },
}

impl State {
    pub fn runs(self) -> bool {
        self != State::Cached
    }
}

/// The state of every unit, given what the cache holds for each (`found`, in unit order) and
/// the batches (a partition of the unit indices).
pub fn states(found: &[Found], batches: &[Vec<usize>]) -> Vec<State> {
    let mut states: Vec<State> = found
        .iter()
        .map(|f| match f {
            Found::Valid => State::Cached,
            Found::Missing => State::Missing,
            Found::Corrupt => State::Corrupt,
        })
        .collect();
    for batch in batches {
        if let Some(&because) = batch.iter().find(|&&i| found[i] != Found::Valid) {
            for &i in batch {
                if found[i] == Found::Valid {
                    states[i] = State::BatchMate { because };
                }
            }
        }
    }
    states
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_valid_unit_runs_when_a_unit_of_its_batch_does_not_hold() {
        use Found::*;
        let found = [Valid, Missing, Valid, Valid, Corrupt, Valid];
        let batches = vec![vec![0, 1, 2], vec![3], vec![4, 5]];
        assert_eq!(
            states(&found, &batches),
            vec![
                State::BatchMate { because: 1 },
                State::Missing,
                State::BatchMate { because: 1 },
                State::Cached,
                State::Corrupt,
                State::BatchMate { because: 4 },
            ]
        );
        assert_eq!(
            states(&found, &batches).iter().filter(|s| s.runs()).count(),
            5
        );
    }
}
