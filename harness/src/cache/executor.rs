//! The one cached-unit executor. Every experiment kind (regression, classification, estimator
//! accuracy) runs its units through [`Executor::execute`]: look every unit up in the cache, run what is
//! missing (in batches, in parallel on rayon's pool), store each result as its batch finishes,
//! and count what ran, what was reused and what was found corrupt ([`PhaseStats`], which the
//! run record reports).
//!
//! What a unit *is* stays with its kind: the caller gives the units' hashes in plan order, how
//! their results are encoded ([`Codec`]), how missing units group into batches, and the work
//! of one batch. Results come back in plan order and never depend on which units were cached,
//! on the batching, on the order batches finish in or on the thread count. An interrupted run
//! loses only the batches in flight.

use super::{unitlog, Store};
use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;
use std::time::Instant;

/// How one kind of unit's result is stored: the cache extension and the byte format.
pub struct Codec<T> {
    pub ext: &'static str,
    pub encode: fn(&T) -> Result<Vec<u8>>,
    pub decode: fn(&[u8]) -> Result<T>,
}

/// Counts and time of one [`Executor::execute`] call.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct PhaseStats {
    pub run: usize,
    pub reused: usize,
    /// Cache entries that failed their checksum (or decoding) and were recomputed.
    pub corrupt_recomputed: usize,
    pub seconds: f64,
}

/// One phase of work: units of one kind, in plan order.
pub struct Phase<'a, T> {
    /// The progress bar's prefix (`train`, `align`, `estimate`).
    pub what: &'static str,
    /// Each unit's hash, in plan order.
    pub hashes: Vec<&'a str>,
    pub codec: Codec<T>,
    /// The kind of unit in the unit log (`member`, `pair`, `accuracy`).
    pub unit: &'static str,
    /// A unit's label in the unit log (by its index in plan order).
    pub label: &'a (dyn Fn(usize) -> String + Sync),
}

/// Where and how units run: the store they are cached in, and how the run reports progress.
/// Every kind's units go through [`Executor::execute`]; an option that changes how units are
/// run (which of them, under which lock) belongs here, once.
#[derive(Clone, Copy, Debug)]
pub struct Executor<'a> {
    pub store: &'a Store,
    /// No progress bars.
    pub quiet: bool,
    /// One line per computed unit on stderr ([`unitlog`]).
    pub log_units: bool,
}

impl<'a> Executor<'a> {
    /// Progress bars, no unit log.
    pub fn new(store: &'a Store) -> Self {
        Executor {
            store,
            quiet: false,
            log_units: false,
        }
    }

    /// Runs every unit of `phase` that the store lacks and loads the rest.
    ///
    /// `batch` groups the indices of the missing units (in plan order) into batches, each run
    /// by one call of `run`, which returns one result per index, in the order given. `describe`
    /// names a batch in an error (from its first index and its size).
    pub fn execute<T: Send + Sync>(
        &self,
        phase: &Phase<'_, T>,
        batch: impl FnOnce(Vec<usize>) -> Vec<Vec<usize>>,
        run: impl Fn(&[usize]) -> Result<Vec<T>> + Sync,
        describe: impl Fn(usize, usize) -> String + Sync,
    ) -> Result<(Vec<T>, PhaseStats)> {
        execute(
            self.store,
            phase,
            batch,
            run,
            describe,
            self.quiet,
            self.log_units,
        )
    }
}

fn execute<T: Send + Sync>(
    store: &Store,
    phase: &Phase<'_, T>,
    batch: impl FnOnce(Vec<usize>) -> Vec<Vec<usize>>,
    run: impl Fn(&[usize]) -> Result<Vec<T>> + Sync,
    describe: impl Fn(usize, usize) -> String + Sync,
    quiet: bool,
    log_units: bool,
) -> Result<(Vec<T>, PhaseStats)> {
    let started = Instant::now();
    let mut stats = PhaseStats::default();
    let codec = &phase.codec;
    let mut results: Vec<Option<T>> = phase
        .hashes
        .par_iter()
        .map(|hash| store.load(hash, codec.ext, codec.decode))
        .collect::<Vec<_>>()
        .into_iter()
        .map(|(result, corrupt)| {
            stats.corrupt_recomputed += corrupt as usize;
            result
        })
        .collect();
    let missing: Vec<usize> = (0..results.len())
        .filter(|&i| results[i].is_none())
        .collect();
    stats.reused = results.len() - missing.len();
    stats.run = missing.len();
    let bar = progress(missing.len(), phase.what, quiet);
    let batches = if missing.is_empty() {
        Vec::new()
    } else {
        batch(missing)
    };
    let fresh: Vec<(usize, T)> = batches
        .par_iter()
        .map(|group| {
            let out = run(group).with_context(|| describe(group[0], group.len()))?;
            anyhow::ensure!(
                out.len() == group.len(),
                "{}: {} results for {} units",
                describe(group[0], group.len()),
                out.len(),
                group.len()
            );
            for (&i, result) in group.iter().zip(&out) {
                store.put(phase.hashes[i], codec.ext, &(codec.encode)(result)?)?;
                if log_units {
                    unitlog::computed(phase.unit, phase.hashes[i], &(phase.label)(i));
                }
                bar.inc(1);
            }
            Ok(group.iter().copied().zip(out).collect::<Vec<_>>())
        })
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .flatten()
        .collect();
    bar.finish_and_clear();
    for (i, r) in fresh {
        results[i] = Some(r);
    }
    stats.seconds = started.elapsed().as_secs_f64();
    let results = results
        .into_iter()
        .map(|r| r.expect("every unit is cached or computed"))
        .collect();
    Ok((results, stats))
}

/// Each missing unit in a batch of its own.
pub fn one_by_one(missing: Vec<usize>) -> Vec<Vec<usize>> {
    missing.into_iter().map(|i| vec![i]).collect()
}

/// Missing units with equal keys in one batch, batches in the order of their first unit.
pub fn grouped_by<K: PartialEq>(missing: Vec<usize>, key: impl Fn(usize) -> K) -> Vec<Vec<usize>> {
    let mut batches: Vec<(K, Vec<usize>)> = Vec::new();
    for i in missing {
        let k = key(i);
        match batches.iter_mut().find(|(b, _)| *b == k) {
            Some((_, group)) => group.push(i),
            None => batches.push((k, vec![i])),
        }
    }
    batches.into_iter().map(|(_, group)| group).collect()
}

fn progress(len: usize, what: &str, quiet: bool) -> ProgressBar {
    if quiet || len == 0 {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(len as u64), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(
            "{prefix:>8} [{bar:32}] {pos}/{len} units, {elapsed} elapsed, ETA {eta}",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    bar.set_prefix(what.to_string());
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label(i: usize) -> String {
        format!("unit {i}")
    }

    /// A phase of numbers stored as 8 bytes each.
    fn phase<'a>(hashes: &[&'a str]) -> Phase<'a, u64> {
        Phase {
            what: "test",
            hashes: hashes.to_vec(),
            codec: Codec {
                ext: "num",
                encode: |v| Ok(v.to_le_bytes().to_vec()),
                decode: |b| Ok(u64::from_le_bytes(b.try_into()?)),
            },
            unit: "test",
            label: &label,
        }
    }

    fn quiet(store: &Store) -> Executor<'_> {
        Executor {
            quiet: true,
            ..Executor::new(store)
        }
    }

    #[test]
    fn runs_only_what_is_missing_in_batches_and_returns_plan_order() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        let hashes: Vec<String> = (0..6)
            .map(|i| format!("{i:02}{}", "a".repeat(62)))
            .collect();
        let phase = phase(&hashes.iter().map(|h| h.as_str()).collect::<Vec<_>>());
        store
            .put(phase.hashes[2], "num", &20u64.to_le_bytes())
            .unwrap();
        let calls = std::sync::Mutex::new(Vec::new());
        let executor = quiet(&store);
        let (out, stats) = executor
            .execute(
                &phase,
                |missing| grouped_by(missing, |i| i % 2),
                |group| {
                    calls.lock().unwrap().push(group.to_vec());
                    Ok(group.iter().map(|&i| i as u64 * 10).collect())
                },
                |i, n| format!("batch at {i} of {n}"),
            )
            .unwrap();
        assert_eq!(out, vec![0, 10, 20, 30, 40, 50]);
        assert_eq!(
            (stats.run, stats.reused, stats.corrupt_recomputed),
            (5, 1, 0)
        );
        let mut calls = calls.into_inner().unwrap();
        calls.sort();
        assert_eq!(calls, vec![vec![0, 4], vec![1, 3, 5]]);
        // Everything is cached now: nothing runs, the same results come back.
        let (again, stats) = executor
            .execute(
                &phase,
                one_by_one,
                |_| -> Result<Vec<u64>> { panic!("nothing to run") },
                |i, n| format!("{i} {n}"),
            )
            .unwrap();
        assert_eq!((again, stats.run, stats.reused), (out, 0, 6));
    }

    #[test]
    fn a_corrupt_entry_is_recomputed_and_counted() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        let hash = format!("ab{}", "c".repeat(62));
        let phase = phase(&[hash.as_str()]);
        store.put(&hash, "num", &7u64.to_le_bytes()).unwrap();
        let path = dir.path().join(format!("cache/ab/{hash}.num"));
        std::fs::write(&path, 8u64.to_le_bytes()).unwrap();
        let executor = quiet(&store);
        let (out, stats) = executor
            .execute(
                &phase,
                one_by_one,
                |_| Ok(vec![9]),
                |i, n| format!("{i} {n}"),
            )
            .unwrap();
        assert_eq!((out, stats.run, stats.corrupt_recomputed), (vec![9], 1, 1));
        assert_eq!(std::fs::read(&path).unwrap(), 9u64.to_le_bytes());
    }

    #[test]
    fn a_failing_batch_names_itself_and_stores_nothing_of_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        let hash = format!("cd{}", "e".repeat(62));
        let phase = phase(&[hash.as_str()]);
        let executor = quiet(&store);
        let err = executor
            .execute(
                &phase,
                one_by_one,
                |_| anyhow::bail!("diverged"),
                |i, n| format!("unit {i} ({n} together)"),
            )
            .unwrap_err();
        assert_eq!(format!("{err:#}"), "unit 0 (1 together): diverged");
        assert!(!store.contains(&hash, "num"));
    }
}
