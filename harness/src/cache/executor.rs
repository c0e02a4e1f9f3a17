//! The one cached-unit executor. Every experiment kind (regression, classification, estimator
//! accuracy) runs its units through [`Executor::execute`]: look every unit up in the cache, run what is
//! missing (in parallel on rayon's pool), store each result as its batch finishes, and count
//! what ran, what was reused and what was found corrupt ([`PhaseStats`], which the run record
//! reports).
//!
//! What a unit *is* stays with its kind: the caller gives the units' hashes in plan order, how
//! their results are encoded ([`Codec`]), the batches (groups of units computed together, e.g.
//! the members of a `relu2` replica, stacked in one product) and the work of one batch.
//!
//! **Results are a pure function of the plan.** A batch is the unit of work: when any unit of
//! a batch is missing (or corrupt) the whole batch is computed again and every unit of it
//! stored, so a unit's bytes always come from the same computation, whatever part of the cache
//! existed before (stacked arithmetic may differ in the last bits from a unit computed alone).
//! What a run returns is what it stored, decoded: a unit used at once and a unit read back
//! later are the same value.
//!
//! **Each batch is computed once across processes.** Before computing a batch the executor
//! takes its lock, an OS file lock (`artifacts/locks/<ext>-<sha256 of its units>.lock`,
//! `flock` on Unix) that the OS releases when the process ends, however it ends; with the lock
//! held it looks the batch up again (another process may have just stored it). A batch whose
//! lock another process holds is set aside and tried again after the others (never waited on
//! while a lock is held, so processes cannot deadlock); meanwhile the progress line says so.

use super::progress::Progress;
use super::stale::{self, Found, State};
use super::{unitlog, Store};
use anyhow::{Context, Result};
use rayon::prelude::*;
use std::time::{Duration, Instant};

/// How one kind of unit's result is stored: the cache extension and the byte format.
pub struct Codec<T> {
    pub ext: &'static str,
    pub encode: fn(&T) -> Result<Vec<u8>>,
    pub decode: fn(&[u8]) -> Result<T>,
}

/// Counts and time of one [`Executor::execute`] call.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct PhaseStats {
    /// Units computed by this process.
    pub run: usize,
    /// Units read from the cache (including those another process stored meanwhile).
    pub reused: usize,
    /// Cache entries that failed their checksum (or decoding) and were recomputed.
    pub corrupt_recomputed: usize,
    /// Units whose batch another process was computing when this one reached it: waited for,
    /// then read from the cache (or computed here, had the other process died).
    pub waited: usize,
    /// Reused entries whose inputs record was missing or damaged and was rewritten.
    pub inputs_repaired: usize,
    pub seconds: f64,
}

/// One phase of work: units of one kind, in plan order.
pub struct Phase<'a, T> {
    /// The progress bar's prefix (`train`, `align`, `estimate`).
    pub what: &'static str,
    /// The unit log's kind (`member`, `pair`, `accuracy`; see [`unitlog`]).
    pub unit: &'static str,
    /// Each unit's hash, in plan order.
    pub hashes: Vec<&'a str>,
    pub codec: Codec<T>,
    /// What to record beside each computed entry (its inputs record, see [`super`]); `None`
    /// records nothing.
    pub record: Option<Record<'a>>,
}

/// The inputs record of a phase's units: the experiment, and each unit's canonical JSON (by
/// index), whose SHA-256 is the unit's hash.
pub struct Record<'a> {
    pub experiment: &'a str,
    pub inputs: Box<dyn Fn(usize) -> String + Sync + 'a>,
}

/// Where and how units run: the store they are cached in, and how the run reports progress.
/// Every kind's units go through [`Executor::execute`]; an option that changes how units are
/// run (which of them, under which lock) belongs here, once.
#[derive(Clone, Copy, Debug)]
pub struct Executor<'a> {
    pub store: &'a Store,
    /// No progress bars.
    pub quiet: bool,
}

/// How long a process waits before trying again a batch that another process is computing.
const RETRY_AFTER: Duration = Duration::from_millis(200);

/// Units this process has computed and stored so far (what an interrupted run keeps).
static COMPUTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// How many units this process has computed and stored so far, over every phase and run.
pub fn computed_so_far() -> usize {
    COMPUTED.load(std::sync::atomic::Ordering::Relaxed)
}

impl<'a> Executor<'a> {
    /// Progress bars on.
    pub fn new(store: &'a Store) -> Self {
        Executor {
            store,
            quiet: false,
        }
    }

    /// Runs every batch of `phase` that lacks a unit in the store and loads the rest.
    ///
    /// `batches` partitions the unit indices (every index in exactly one batch); each batch is
    /// run by one call of `run`, which returns one result per index, in the order given.
    /// `describe` names a batch in an error (from its first index and its size).
    pub fn execute<T: Send + Sync>(
        &self,
        phase: &Phase<'_, T>,
        batches: Vec<Vec<usize>>,
        run: impl Fn(&[usize]) -> Result<Vec<T>> + Sync,
        describe: impl Fn(usize, usize) -> String + Sync,
    ) -> Result<(Vec<T>, PhaseStats)> {
        let (started, n) = (Instant::now(), phase.hashes.len());
        let (mut results, mut stats, mut pending, bar) = self.begin(phase, &batches)?;
        let mut announced = std::collections::HashSet::new();
        while !pending.is_empty() {
            let round = pending
                .par_iter()
                .map(|&batch| self.attempt(phase, batch, &run, &describe, &bar))
                .collect::<Result<Vec<_>>>()?;
            let mut busy = Vec::new();
            for (&batch, outcome) in pending.iter().zip(round) {
                match outcome {
                    Some(Attempt { values, computed }) => {
                        stats.run += computed as usize * batch.len();
                        for (&i, v) in batch.iter().zip(values) {
                            results[i] = Some(v);
                        }
                    }
                    None => busy.push(batch),
                }
            }
            wait_for(&busy, phase, &describe, &bar, &mut announced, &mut stats);
            pending = busy;
        }
        finish(results, stats, n, started, &bar)
    }

    /// [`Executor::execute`] for work that is done best all at once (the classifier fleet of
    /// issue 27): in each round every batch that must be computed is locked, looked up again
    /// under its lock, and those still missing are handed to **one** call of `run`, which
    /// passes each batch's results to `done(k, values)` (k: its place in the list given) as
    /// soon as they exist; they are stored then, and every lock is released when `run`
    /// returns. Batches another process holds are tried again after the round, as in
    /// `execute`. The staleness rule, the stored bytes and the returned values are
    /// `execute`'s: `run` must give each batch the values computing it alone would give.
    pub fn execute_together<T: Send + Sync>(
        &self,
        phase: &Phase<'_, T>,
        batches: Vec<Vec<usize>>,
        run: impl Fn(&[&[usize]], &(dyn Fn(usize, Vec<T>) -> Result<()> + Sync)) -> Result<()>,
        describe: impl Fn(usize, usize) -> String + Sync,
    ) -> Result<(Vec<T>, PhaseStats)> {
        let (started, n) = (Instant::now(), phase.hashes.len());
        let (store, codec) = (self.store, &phase.codec);
        let (mut results, mut stats, mut pending, bar) = self.begin(phase, &batches)?;
        let mut announced = std::collections::HashSet::new();
        while !pending.is_empty() {
            let (mut locks, mut todo, mut busy) = (Vec::new(), Vec::new(), Vec::new());
            for &batch in &pending {
                let hashes: Vec<&str> = batch.iter().map(|&i| phase.hashes[i]).collect();
                let Some(lock) = store.try_lock_batch(codec.ext, &hashes)? else {
                    busy.push(batch);
                    continue;
                };
                let cached: Option<Vec<T>> = hashes
                    .iter()
                    .map(|h| store.load_quietly(h, codec.ext, codec.decode))
                    .collect();
                match cached {
                    Some(values) => {
                        bar.inc(batch.len());
                        for (&i, v) in batch.iter().zip(values) {
                            results[i] = Some(v);
                        }
                    }
                    None => {
                        locks.push(lock);
                        todo.push(batch);
                    }
                }
            }
            if !todo.is_empty() {
                let computed: Vec<std::sync::Mutex<Option<Vec<T>>>> =
                    todo.iter().map(|_| std::sync::Mutex::new(None)).collect();
                let done = |k: usize, out: Vec<T>| -> Result<()> {
                    let batch = *todo
                        .get(k)
                        .with_context(|| format!("no batch {k} among {}", todo.len()))?;
                    let values = self.store_computed(phase, batch, &out, &describe)?;
                    bar.inc(batch.len());
                    let mut slot = computed[k].lock().expect("not poisoned");
                    anyhow::ensure!(
                        slot.is_none(),
                        "{}: computed twice",
                        describe(batch[0], batch.len())
                    );
                    *slot = Some(values);
                    Ok(())
                };
                run(&todo, &done).with_context(|| {
                    format!(
                        "{} batch(es) of {} unit(s) computed together",
                        todo.len(),
                        phase.unit
                    )
                })?;
                for (batch, slot) in todo.iter().zip(computed) {
                    let values = slot.into_inner().expect("not poisoned").with_context(|| {
                        format!("{}: never computed", describe(batch[0], batch.len()))
                    })?;
                    stats.run += batch.len();
                    for (&i, v) in batch.iter().zip(values) {
                        results[i] = Some(v);
                    }
                }
            }
            drop(locks);
            wait_for(&busy, phase, &describe, &bar, &mut announced, &mut stats);
            pending = busy;
        }
        finish(results, stats, n, started, &bar)
    }

    /// The start of a phase: every unit looked up, the batches that must be computed, and the
    /// progress line over their units.
    #[allow(clippy::type_complexity)]
    fn begin<'b, T: Send + Sync>(
        &self,
        phase: &Phase<'_, T>,
        batches: &'b [Vec<usize>],
    ) -> Result<(Vec<Option<T>>, PhaseStats, Vec<&'b [usize]>, Progress)> {
        let (results, found, stats) = self.lookup(phase, batches)?;
        let pending = stale_batches(&found, batches);
        let bar = Progress::new(
            pending.iter().map(|b| b.len()).sum(),
            phase.what,
            phase.unit,
            self.quiet,
        );
        Ok((results, stats, pending, bar))
    }

    /// Every unit looked up (checked, decoded), after checking that `batches` partitions them.
    fn lookup<T: Send + Sync>(
        &self,
        phase: &Phase<'_, T>,
        batches: &[Vec<usize>],
    ) -> Result<(Vec<Option<T>>, Vec<Found>, PhaseStats)> {
        let (store, codec) = (self.store, &phase.codec);
        let n = phase.hashes.len();
        let mut seen = vec![false; n];
        for &i in batches.iter().flatten() {
            anyhow::ensure!(i < n && !seen[i], "unit {i} is in no batch or in two");
            seen[i] = true;
        }
        anyhow::ensure!(seen.iter().all(|&s| s), "a unit is in no batch");
        let mut stats = PhaseStats::default();
        let mut found = Vec::with_capacity(n);
        let results = phase
            .hashes
            .par_iter()
            .map(|hash| store.load(hash, codec.ext, codec.decode))
            .collect::<Vec<_>>()
            .into_iter()
            .map(|(result, corrupt)| {
                stats.corrupt_recomputed += corrupt as usize;
                found.push(match (&result, corrupt) {
                    (Some(_), _) => Found::Valid,
                    (None, true) => Found::Corrupt,
                    (None, false) => Found::Missing,
                });
                result
            })
            .collect();
        if let Some(record) = &phase.record {
            let repaired = self.repair_inputs(phase, record, &found)?;
            if repaired > 0 && !self.quiet {
                eprintln!(
                    "rewrote the missing or damaged inputs record of {repaired} cached {} \
                     unit(s)",
                    phase.unit
                );
            }
            stats.inputs_repaired = repaired;
        }
        Ok((results, found, stats))
    }

    /// Rewrites the inputs record of each valid entry of `phase` whose record is missing,
    /// unreadable or altered (what `verify` names), from the unit's own description; returns
    /// how many. A run that reuses an entry so leaves it as a fresh computation would.
    fn repair_inputs<T>(
        &self,
        phase: &Phase<'_, T>,
        record: &Record<'_>,
        found: &[Found],
    ) -> Result<usize> {
        let ext = phase.codec.ext;
        let damaged: Vec<usize> = (0..found.len())
            .into_par_iter()
            .filter(|&i| {
                found[i] == Found::Valid && !self.store.inputs_intact(phase.hashes[i], ext)
            })
            .collect();
        for &i in &damaged {
            let inputs = (record.inputs)(i);
            self.store
                .put_inputs(phase.hashes[i], ext, record.experiment, &inputs)?;
        }
        Ok(damaged.len())
    }

    /// Stores a batch's computed results (and their inputs records), logs each unit, and
    /// returns what was stored, decoded.
    fn store_computed<T>(
        &self,
        phase: &Phase<'_, T>,
        batch: &[usize],
        out: &[T],
        describe: &(impl Fn(usize, usize) -> String + Sync),
    ) -> Result<Vec<T>> {
        let (store, codec) = (self.store, &phase.codec);
        let label = describe(batch[0], batch.len());
        anyhow::ensure!(
            out.len() == batch.len(),
            "{label}: {} results for {} units",
            out.len(),
            batch.len()
        );
        let mut values = Vec::with_capacity(out.len());
        for (&i, result) in batch.iter().zip(out) {
            let bytes = (codec.encode)(result)?;
            if let Some(record) = &phase.record {
                let inputs = (record.inputs)(i);
                store.put_inputs(phase.hashes[i], codec.ext, record.experiment, &inputs)?;
            }
            store.put(phase.hashes[i], codec.ext, &bytes)?;
            unitlog::computed(phase.unit, phase.hashes[i], &describe(i, 1));
            COMPUTED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            values.push((codec.decode)(&bytes).with_context(|| {
                format!("{label}: a result does not decode from its own encoding")
            })?);
        }
        Ok(values)
    }

    /// What a run of `phase` would do with each unit now, without running anything: the
    /// lookups of [`Executor::execute`] (checksum and decoding, quietly) and the same
    /// staleness rule ([`stale::states`]). `plan` and `why` report this.
    pub fn survey<T>(&self, phase: &Phase<'_, T>, batches: &[Vec<usize>]) -> Vec<State> {
        let codec = &phase.codec;
        let found: Vec<Found> = phase
            .hashes
            .par_iter()
            .map(|hash| match self.store.get(hash, codec.ext) {
                super::Lookup::Hit(bytes) => match (codec.decode)(&bytes) {
                    Ok(_) => Found::Valid,
                    Err(_) => Found::Corrupt,
                },
                super::Lookup::Missing => Found::Missing,
                super::Lookup::Corrupt(_) => Found::Corrupt,
            })
            .collect();
        stale::states(&found, batches)
    }

    /// One try at a batch: `None` when another process holds its lock; else its values, looked
    /// up again under the lock or computed and stored.
    fn attempt<T>(
        &self,
        phase: &Phase<'_, T>,
        batch: &[usize],
        run: &(impl Fn(&[usize]) -> Result<Vec<T>> + Sync),
        describe: &(impl Fn(usize, usize) -> String + Sync),
        bar: &Progress,
    ) -> Result<Option<Attempt<T>>> {
        let (store, codec) = (self.store, &phase.codec);
        let hashes: Vec<&str> = batch.iter().map(|&i| phase.hashes[i]).collect();
        let Some(_lock) = store.try_lock_batch(codec.ext, &hashes)? else {
            return Ok(None);
        };
        let cached: Option<Vec<T>> = hashes
            .iter()
            .map(|h| store.load_quietly(h, codec.ext, codec.decode))
            .collect();
        if let Some(values) = cached {
            bar.inc(batch.len());
            return Ok(Some(Attempt {
                values,
                computed: false,
            }));
        }
        let label = describe(batch[0], batch.len());
        let out = run(batch).with_context(|| label.clone())?;
        let values = self.store_computed(phase, batch, &out, describe)?;
        bar.inc(batch.len());
        Ok(Some(Attempt {
            values,
            computed: true,
        }))
    }
}

struct Attempt<T> {
    values: Vec<T>,
    computed: bool,
}

/// The batches that must run ([`stale::states`]: a batch runs whole when a unit of it does).
fn stale_batches<'b>(found: &[Found], batches: &'b [Vec<usize>]) -> Vec<&'b [usize]> {
    let states = stale::states(found, batches);
    batches
        .iter()
        .filter(|b| b.iter().any(|&i| states[i].runs()))
        .map(|b| b.as_slice())
        .collect()
}

/// Announces (once each) the batches another process is computing, then waits a moment.
fn wait_for<T>(
    busy: &[&[usize]],
    phase: &Phase<'_, T>,
    describe: &impl Fn(usize, usize) -> String,
    bar: &Progress,
    announced: &mut std::collections::HashSet<usize>,
    stats: &mut PhaseStats,
) {
    if busy.is_empty() {
        return;
    }
    bar.set_message(format!(
        "waiting: {} batch(es) being computed by another process",
        busy.len()
    ));
    for &batch in busy {
        if announced.insert(batch[0]) {
            stats.waited += batch.len();
            unitlog::waiting(
                phase.unit,
                phase.hashes[batch[0]],
                &describe(batch[0], batch.len()),
            );
        }
    }
    std::thread::sleep(RETRY_AFTER);
}

/// The phase's values in plan order and its counts.
fn finish<T>(
    results: Vec<Option<T>>,
    mut stats: PhaseStats,
    n: usize,
    started: Instant,
    bar: &Progress,
) -> Result<(Vec<T>, PhaseStats)> {
    bar.finish();
    stats.reused = n - stats.run;
    stats.seconds = started.elapsed().as_secs_f64();
    let results = results
        .into_iter()
        .map(|r| r.expect("every unit is cached or computed"))
        .collect();
    Ok((results, stats))
}

/// Each unit a batch of its own.
pub fn one_by_one(units: usize) -> Vec<Vec<usize>> {
    (0..units).map(|i| vec![i]).collect()
}

/// Units with equal keys in one batch, batches in the order of their first unit.
pub fn grouped_by<K: PartialEq>(units: usize, key: impl Fn(usize) -> K) -> Vec<Vec<usize>> {
    let mut batches: Vec<(K, Vec<usize>)> = Vec::new();
    for i in 0..units {
        let k = key(i);
        match batches.iter_mut().find(|(b, _)| *b == k) {
            Some((_, group)) => group.push(i),
            None => batches.push((k, vec![i])),
        }
    }
    batches.into_iter().map(|(_, group)| group).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codec() -> Codec<u64> {
        Codec {
            ext: "num",
            encode: |v| Ok(v.to_le_bytes().to_vec()),
            decode: |b| Ok(u64::from_le_bytes(b.try_into()?)),
        }
    }

    fn phase(hashes: &[String]) -> Phase<'_, u64> {
        Phase {
            what: "test",
            unit: "test",
            hashes: hashes.iter().map(|h| h.as_str()).collect(),
            codec: codec(),
            record: None,
        }
    }

    fn hashes(n: usize) -> Vec<String> {
        (0..n)
            .map(|i| format!("{i:02}{}", "a".repeat(62)))
            .collect()
    }

    #[test]
    fn a_batch_with_a_missing_unit_is_computed_whole_and_plan_order_returned() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        let hashes = hashes(6);
        let phase = phase(&hashes);
        // Unit 2 was stored by some other computation (a different value); its batch {0, 2, 4}
        // lacks 0 and 4, so the whole batch runs and unit 2 gets this batch's value.
        store
            .put(phase.hashes[2], "num", &999u64.to_le_bytes())
            .unwrap();
        // Batch {1, 3, 5} is complete: it does not run.
        for i in [1, 3, 5] {
            store
                .put(phase.hashes[i], "num", &(i as u64 * 10).to_le_bytes())
                .unwrap();
        }
        let calls = std::sync::Mutex::new(Vec::new());
        let executor = Executor {
            store: &store,
            quiet: true,
        };
        // What `plan` and `why` are told, before: the whole batch {0, 2, 4} runs.
        let runs: Vec<bool> = executor
            .survey(&phase, &grouped_by(6, |i| i % 2))
            .iter()
            .map(|s| s.runs())
            .collect();
        assert_eq!(runs, [true, false, true, false, true, false]);
        let (out, stats) = executor
            .execute(
                &phase,
                grouped_by(6, |i| i % 2),
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
            (3, 3, 0)
        );
        assert_eq!(calls.into_inner().unwrap(), vec![vec![0, 2, 4]]);
        assert!(
            matches!(store.get(phase.hashes[2], "num"), super::super::Lookup::Hit(b) if b == 20u64.to_le_bytes())
        );
        // Everything is cached now: nothing runs, the same results come back.
        let (again, stats) = executor
            .execute(
                &phase,
                one_by_one(6),
                |_| -> Result<Vec<u64>> { panic!("nothing to run") },
                |i, n| format!("{i} {n}"),
            )
            .unwrap();
        assert_eq!((again, stats.run, stats.reused), (out, 0, 6));
    }

    /// `execute_together` hands every stale batch to one call (whole, in plan order), stores
    /// each batch as `done` receives it, waits for a batch another process holds, and returns
    /// what `execute` returns.
    #[test]
    fn batches_computed_together_are_stored_as_each_is_done() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        let hashes = hashes(6);
        let p = phase(&hashes);
        // Batch {1, 3, 5} is cached; {0, 2, 4} lacks 0 and 4; unit 2's old value is replaced.
        for (i, v) in [(1, 10u64), (3, 30), (5, 50), (2, 999)] {
            store.put(p.hashes[i], "num", &v.to_le_bytes()).unwrap();
        }
        let batches = vec![vec![0, 2, 4], vec![1, 3, 5]];
        let calls = std::sync::Mutex::new(Vec::new());
        let executor = Executor {
            store: &store,
            quiet: true,
        };
        let (out, stats) = executor
            .execute_together(
                &p,
                batches.clone(),
                |todo, done| {
                    calls
                        .lock()
                        .unwrap()
                        .push(todo.iter().map(|b| b.to_vec()).collect::<Vec<_>>());
                    for (k, b) in todo.iter().enumerate() {
                        done(k, b.iter().map(|&i| i as u64 * 10).collect())?;
                        // Stored the moment `done` returns.
                        assert!(b.iter().all(|&i| store.contains(p.hashes[i], "num")));
                    }
                    Ok(())
                },
                |i, n| format!("batch at {i} of {n}"),
            )
            .unwrap();
        assert_eq!(out, vec![0, 10, 20, 30, 40, 50]);
        assert_eq!((stats.run, stats.reused), (3, 3));
        assert_eq!(calls.into_inner().unwrap(), vec![vec![vec![0, 2, 4]]]);
        let plain = executor
            .execute(
                &p,
                batches,
                |_| -> Result<Vec<u64>> { panic!("all cached") },
                |i, n| format!("{i} {n}"),
            )
            .unwrap();
        assert_eq!(plain.0, out);
        // A batch never handed to `done` is an error naming it; nothing of it is stored.
        let more = hashes
            .iter()
            .map(|h| h.replace('a', "b"))
            .collect::<Vec<_>>();
        let err = executor
            .execute_together(
                &phase(&more),
                vec![vec![0, 1], vec![2, 3, 4, 5]],
                |_, done| done(1, vec![1, 2, 3, 4]),
                |i, n| format!("batch at {i} ({n})"),
            )
            .unwrap_err();
        assert!(
            format!("{err:#}").contains("batch at 0 (2): never computed"),
            "{err:#}"
        );
        assert!(!store.contains(&more[0], "num") && store.contains(&more[2], "num"));
    }

    #[test]
    fn a_batch_held_by_another_process_is_left_out_of_the_fleet_and_read_later() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        let hashes = hashes(2);
        let lock = store
            .try_lock_batch("num", &[hashes[0].as_str()])
            .unwrap()
            .unwrap();
        let (out, stats) = std::thread::scope(|s| {
            let worker = s.spawn(|| {
                let executor = Executor {
                    store: &store,
                    quiet: true,
                };
                executor.execute_together(
                    &phase(&hashes),
                    one_by_one(2),
                    |todo, done| {
                        assert_eq!(todo, [&[1][..]], "batch 0 is another process's");
                        done(0, vec![7])
                    },
                    |i, n| format!("{i} {n}"),
                )
            });
            std::thread::sleep(Duration::from_millis(600));
            store.put(&hashes[0], "num", &5u64.to_le_bytes()).unwrap();
            drop(lock);
            worker.join().unwrap().unwrap()
        });
        assert_eq!(
            (out, stats.run, stats.reused, stats.waited),
            (vec![5, 7], 1, 1, 1)
        );
    }

    #[test]
    fn batches_must_partition_the_units() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        let hashes = hashes(3);
        let executor = Executor {
            store: &store,
            quiet: true,
        };
        for batches in [vec![vec![0, 1]], vec![vec![0, 1], vec![1, 2]]] {
            let run = |g: &[usize]| Ok(g.iter().map(|&i| i as u64).collect());
            assert!(executor
                .execute(&phase(&hashes), batches, run, |i, n| format!("{i} {n}"))
                .is_err());
        }
    }

    #[test]
    fn a_batch_locked_by_another_process_is_waited_for_and_then_read_not_computed() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        let hashes = hashes(2);
        // "Another process": a lock on batch {0} held here (an flock on its own open file
        // excludes every other open of the file, in this process too).
        let lock = store
            .try_lock_batch("num", &[hashes[0].as_str()])
            .unwrap()
            .unwrap();
        let finished = std::sync::atomic::AtomicBool::new(false);
        let (out, stats) = std::thread::scope(|s| {
            let worker = s.spawn(|| {
                let executor = Executor {
                    store: &store,
                    quiet: true,
                };
                let out = executor.execute(
                    &phase(&hashes),
                    one_by_one(2),
                    |g| {
                        assert_eq!(g, [1], "batch 0 is computed by the other process");
                        Ok(vec![7])
                    },
                    |i, n| format!("{i} {n}"),
                );
                finished.store(true, std::sync::atomic::Ordering::SeqCst);
                out
            });
            std::thread::sleep(Duration::from_millis(600));
            assert!(
                !finished.load(std::sync::atomic::Ordering::SeqCst),
                "waits for the lock"
            );
            store.put(&hashes[0], "num", &5u64.to_le_bytes()).unwrap();
            drop(lock);
            worker.join().unwrap().unwrap()
        });
        assert_eq!(
            (out, stats.run, stats.reused, stats.waited),
            (vec![5, 7], 1, 1, 1)
        );
    }

    #[test]
    fn a_corrupt_entry_is_recomputed_and_counted() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        let hash = format!("ab{}", "c".repeat(62));
        let phase = Phase {
            what: "test",
            unit: "test",
            hashes: vec![hash.as_str()],
            codec: codec(),
            record: None,
        };
        store.put(&hash, "num", &7u64.to_le_bytes()).unwrap();
        let path = dir.path().join(format!("cache/ab/{hash}.num"));
        std::fs::write(&path, 8u64.to_le_bytes()).unwrap();
        let executor = Executor {
            store: &store,
            quiet: true,
        };
        let (out, stats) = executor
            .execute(
                &phase,
                one_by_one(1),
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
        let phase = Phase {
            what: "test",
            unit: "test",
            hashes: vec![hash.as_str()],
            codec: codec(),
            record: None,
        };
        let executor = Executor {
            store: &store,
            quiet: true,
        };
        let err = executor
            .execute(
                &phase,
                one_by_one(1),
                |_| anyhow::bail!("diverged"),
                |i, n| format!("unit {i} ({n} together)"),
            )
            .unwrap_err();
        assert_eq!(format!("{err:#}"), "unit 0 (1 together): diverged");
        assert!(!store.contains(&hash, "num"));
    }
}
