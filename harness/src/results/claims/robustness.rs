//! The robustness of a verdict (docs/SPEC.md §7, v3): the share of bootstrap draws of the
//! replicas under which a rule set gives the same result.
//!
//! A draw is Rubin's Bayesian bootstrap: each replica of each grid n gets a Dirichlet(1, …, 1)
//! weight (R exponential deviates, normalized), the same weights for every level and network
//! at that n, whose replica r shares its seeds (inputs, noise directions, initialization); the
//! points' means and standard errors are then the weighted ones ([`data::reweighted`]). Not the
//! multinomial bootstrap: with 3 replicas one multinomial draw in 9 repeats a single replica at
//! a point, its standard error is then 0, and every t- or SE-based rule reads that as
//! certainty. The draws are seeded from the results themselves ([`data_hash`]: every replica
//! value the rules read), through the project's [`Rng`], and each draw has its own stream, so
//! the robustness is a pure function of the results, whatever the thread count and whatever
//! in the manifest does not change a result (e.g. `alignment.tie_draws`).

use super::data::{self, Groups};
use crate::rng::{derive_seed, Rng};
use rayon::prelude::*;
use std::collections::BTreeMap;

/// Bootstrap draws per experiment.
pub const RESAMPLES: usize = 2000;
/// A v3 verdict whose share of same results is below this reads UNDECIDED.
pub const DECIDED: f64 = 0.9;

/// Dirichlet(1, …, 1) weights over the replicas of every grid n of one block (an experiment).
fn weights(block: &Groups, rng: &mut Rng) -> BTreeMap<usize, Vec<f64>> {
    data::replicas_per_n(block)
        .into_iter()
        .map(|(n, r)| {
            let e: Vec<f64> = (0..r).map(|_| -(1.0 - rng.uniform()).ln()).collect();
            let total: f64 = e.iter().sum();
            let w = if total > 0.0 {
                e.iter().map(|x| x / total).collect()
            } else {
                vec![1.0 / r as f64; r]
            };
            (n, w)
        })
        .collect()
}

/// SHA-256 (hex) over every replica value the rules read, block by block, curve by curve and
/// point by point: each point's `n` and, for the CCE, the error, the test loss and the
/// training error, each replica's index and mean in its shortest round-trip form.
pub fn data_hash(blocks: &[Groups]) -> String {
    let mut text = String::new();
    for (b, block) in blocks.iter().enumerate() {
        for (network, curves) in block {
            for c in curves {
                text += &format!("block {b} {network} {}\n", c.label);
                for p in &c.points {
                    let series = [
                        Some(&p.cce),
                        Some(&p.gen_error),
                        p.test_loss.as_ref(),
                        p.train_error.as_ref(),
                    ];
                    text += &format!("n {}", p.n);
                    for s in series {
                        text += " |";
                        for (r, v) in s.map_or(&[][..], |s| s.replicas.as_slice()) {
                            text += &format!(" {r}:{v:?}");
                        }
                    }
                    text += "\n";
                }
            }
        }
    }
    crate::identity::sha256_hex(text.as_bytes())
}

/// The seed of the draws over `blocks`: from [`data_hash`].
pub fn seed(blocks: &[Groups]) -> u64 {
    derive_seed(0, &format!("claims/robustness/{}", data_hash(blocks)))
}

/// `f` of each of `resamples` draws over independent blocks (experiments), whose reweighted
/// groups are put together in order; in draw order. The claims' draws ([`seed`]).
pub fn draws<T: Send>(
    blocks: &[Groups],
    resamples: usize,
    f: impl Fn(&Groups) -> T + Sync,
) -> Vec<T> {
    draws_from(seed(blocks), blocks, resamples, f)
}

/// As [`draws`], on a stream of their own named by `tag` (still seeded from the data), for a
/// caller whose draws should not be the claims' (e.g. `harness check`'s effect spreads).
pub fn draws_tagged<T: Send>(
    blocks: &[Groups],
    tag: &str,
    resamples: usize,
    f: impl Fn(&Groups) -> T + Sync,
) -> Vec<T> {
    let seed = derive_seed(0, &format!("{tag}/{}", data_hash(blocks)));
    draws_from(seed, blocks, resamples, f)
}

fn draws_from<T: Send>(
    seed: u64,
    blocks: &[Groups],
    resamples: usize,
    f: impl Fn(&Groups) -> T + Sync,
) -> Vec<T> {
    (0..resamples)
        .into_par_iter()
        .map(|b| {
            let mut rng = Rng::derive(seed, &format!("draw={b}"));
            let mut pooled: Groups = Vec::new();
            for block in blocks {
                let w = weights(block, &mut rng);
                pooled.extend(data::reweighted(block, &w));
            }
            f(&pooled)
        })
        .collect()
}

/// The share of `results` (one list per draw) equal to `original`, item by item.
pub fn agreement(original: &[&str], results: &[Vec<&str>]) -> Vec<f64> {
    original
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let same = results
                .iter()
                .filter(|r| r.get(i).is_some_and(|x| x == o))
                .count();
            same as f64 / results.len().max(1) as f64
        })
        .collect()
}

/// The central 90 % interval of a discrete sample of indices (5th and 95th percentiles, by
/// rank: the ⌈0.05·B⌉-th and ⌈0.95·B⌉-th smallest), `None` when empty.
pub fn interval(mut sample: Vec<usize>) -> Option<(usize, usize)> {
    if sample.is_empty() {
        return None;
    }
    sample.sort_unstable();
    let b = sample.len();
    let at = |q: f64| sample[((q * b as f64).ceil() as usize).clamp(1, b) - 1];
    Some((at(0.05), at(0.95)))
}
