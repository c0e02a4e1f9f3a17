//! A plan's units seen without its kind: each unit's hash, cache extension, work group and
//! estimated cost, listed once by each kind's plan ([`Plan::work`], `AccuracyPlan::work`).
//! Everything that handles units without computing them reads this list: the shards
//! ([`super::shard`]), `gc` (the entries a manifest keeps) and the count of units a run still
//! misses.
//!
//! The cost of a unit is in multiply-adds up to a constant (integers, so shard assignment is
//! exact arithmetic):
//! - member: (samples seen in training + n_test) × P, the samples seen as the solver says
//!   (`Train::samples_seen`: an upper bound where training can stop early);
//! - pair: estimators × n_test × ⌈log₂ n_test⌉ × 2w, w the representation's width (1 for
//!   `linear2`, else the model's `width`, at most m under `project: pca:m`), times one plus its
//!   tie-breaking draws (the draws themselves are listed at cost 0: they travel with the pair);
//! - estimator-accuracy unit: n × ⌈log₂ n⌉ × 2 dims.

use super::{Plan, PlannedPair, MEMBER_EXT, PAIR_EXT};
use crate::cache::Store;
use crate::estimators::Projection;
use anyhow::{bail, Result};
use std::collections::{HashMap, HashSet};

/// One unit of a plan.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkUnit {
    /// What the unit is, as the unit log names it: `member`, `pair`, `tie` or `accuracy`.
    pub unit: &'static str,
    pub hash: String,
    /// The extension of its cache entry.
    pub ext: &'static str,
    /// Its work group within the plan: the units one process must compute together (the
    /// members of one replica of one sweep point, with the pairs among them; an accuracy unit
    /// alone).
    pub group: usize,
    /// Hashes of other units (of any plan) whose groups must be this unit's too: a pair
    /// reads its second member.
    pub joins: Vec<String>,
    pub cost: u128,
}

/// Every unit of one plan, in the order the plan's kind runs them.
#[derive(Clone, Debug, PartialEq)]
pub struct Work {
    pub manifest_hash: String,
    pub units: Vec<WorkUnit>,
}

impl Work {
    /// The cache entry file names (`<hash>.<ext>`) of every unit.
    pub fn entry_names(&self) -> impl Iterator<Item = String> + '_ {
        self.units.iter().map(|u| format!("{}.{}", u.hash, u.ext))
    }

    /// How many units have no valid entry in the cache.
    pub fn missing(&self, store: &Store) -> usize {
        self.units
            .iter()
            .filter(|u| !store.contains(&u.hash, u.ext))
            .count()
    }
}

impl Plan {
    /// The plan's units: members, then pairs, then the pairs' tie-breaking draws (each
    /// pair's in order), the indices [`Plan::restrict_to`] takes.
    pub fn work(&self) -> Work {
        let mut units = Vec::new();
        let mut group_of: HashMap<(usize, usize), usize> = HashMap::new();
        let mut member_group = Vec::with_capacity(self.members.len());
        for m in &self.members {
            let next = group_of.len();
            let group = *group_of.entry((m.point, m.replica)).or_insert(next);
            member_group.push(group);
            units.push(WorkUnit {
                unit: "member",
                hash: m.hash.clone(),
                ext: MEMBER_EXT,
                group,
                joins: Vec::new(),
                cost: member_cost(self, m.network, m.spec.n),
            });
        }
        for p in &self.pairs {
            units.push(WorkUnit {
                unit: "pair",
                hash: p.hash.clone(),
                ext: PAIR_EXT,
                group: member_group[p.a],
                joins: vec![self.members[p.b].hash.clone()],
                cost: pair_cost(self, p) * (1 + p.draws.len() as u128),
            });
        }
        for p in &self.pairs {
            for d in &p.draws {
                units.push(WorkUnit {
                    unit: "tie",
                    hash: d.hash.clone(),
                    ext: PAIR_EXT,
                    group: member_group[p.a],
                    joins: Vec::new(),
                    cost: 0,
                });
            }
        }
        Work {
            manifest_hash: self.manifest_hash.clone(),
            units,
        }
    }

    /// The plan restricted to the given members and pairs (indices into `self`, in order);
    /// every pair's members must be among them.
    pub fn restrict(&self, members: &[usize], pairs: &[usize]) -> Result<Plan> {
        let mut new_index = vec![usize::MAX; self.members.len()];
        for (new, &old) in members.iter().enumerate() {
            new_index[old] = new;
        }
        let mut sub_pairs = Vec::with_capacity(pairs.len());
        for &i in pairs {
            let mut p = self.pairs[i].clone();
            (p.a, p.b) = (new_index[p.a], new_index[p.b]);
            if p.a == usize::MAX || p.b == usize::MAX {
                bail!("pair unit {} without its members in the shard", p.hash);
            }
            sub_pairs.push(p);
        }
        Ok(Plan {
            manifest_hash: self.manifest_hash.clone(),
            input: self.input,
            n_test: self.n_test,
            levels: self.levels.clone(),
            networks: self.networks.clone(),
            points: self.points.clone(),
            members: members.iter().map(|&i| self.members[i].clone()).collect(),
            pairs: sub_pairs,
            variants: self.variants.clone(),
        })
    }

    /// The plan restricted to some of its [`work`](Plan::work) units (whole groups): the
    /// members and pairs among them, each pair with its tie-breaking draws.
    pub fn restrict_to(&self, units: &[usize]) -> Result<Plan> {
        let chosen: HashSet<usize> = units.iter().copied().collect();
        let members: Vec<usize> = (0..self.members.len())
            .filter(|i| chosen.contains(i))
            .collect();
        let first_pair = self.members.len();
        let pairs: Vec<usize> = (0..self.pairs.len())
            .filter(|i| chosen.contains(&(first_pair + i)))
            .collect();
        self.restrict(&members, &pairs)
    }
}

/// ⌈log₂ n⌉, at least 1.
pub fn log2_ceil(n: usize) -> u128 {
    (usize::BITS - n.saturating_sub(1).leading_zeros()).max(1) as u128
}

/// A member's estimated cost (see the module documentation).
fn member_cost(plan: &Plan, network: usize, n: usize) -> u128 {
    let net = &plan.networks[network];
    let p = net.p as u128;
    let n = n as u128;
    (net.train.samples_seen(n, p) + plan.n_test as u128) * p
}

/// A pair's estimated cost, one estimate (see the module documentation).
fn pair_cost(plan: &Plan, pair: &PlannedPair) -> u128 {
    let width = plan.networks[plan.members[pair.a].network]
        .model
        .representation_width();
    let width = match pair.spec.project {
        Projection::None => width,
        Projection::Pca(m) => width.min(m),
    };
    let n_test = plan.n_test;
    pair.spec.estimators.len() as u128 * n_test as u128 * log2_ceil(n_test) * 2 * width as u128
}
