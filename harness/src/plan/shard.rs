//! Shards: the units of one or more manifests split into N disjoint parts of similar
//! estimated cost, so that N processes sharing one artifacts folder (Slurm array tasks,
//! `harness run --jobs N`) each compute their own part. A run without `--shard` afterwards
//! finds every unit cached, trains nothing and writes the results.
//!
//! Sharding happens here, on the plan, in one place: [`shard_plans`] restricts each manifest's
//! plan to one shard's units, and the restricted plans run through the one executor
//! ([`crate::cache::executor`]) exactly as whole plans do.
//!
//! A shard is a set of whole *work groups*. The group of an experiment's member is its sweep
//! point and replica: every member of one replica of one (noise level, n), of both networks in
//! a comparison, with the pairs compared among them. So the members that train together as one
//! batch (a `relu2` replica, [`MemberSpec::batch_key`](super::units::MemberSpec::batch_key))
//! and the pairs that read them never straddle two shards. Groups that share a unit (the same
//! member or pair hash at two sweep points or in two manifests) are merged, so no unit is in
//! two shards. Estimator-accuracy units are independent: one group each.
//!
//! The cost of a group is the sum of its units' estimated costs, in multiply-adds up to a
//! constant (integers, so the assignment is exact arithmetic):
//! - member: (samples seen in training + n_test) × P, where the samples seen are
//!   `max_steps` × n for `gd` and `adam` (an upper bound: training stops early when the loss
//!   converges), min(epochs × n, max_steps × batch_size) for `sgd`, and n × min(n, P) for
//!   `min-norm` (the least-squares solve);
//! - pair: estimators × n_test × ⌈log₂ n_test⌉ × 2w, w the representation's width (1 for
//!   `linear2`, else the model's `width`, at most m under `project: pca:m`);
//! - estimator-accuracy unit: n × ⌈log₂ n⌉ × 2 dims.
//!
//! Groups are assigned largest first, each to the least-loaded shard (ties to the lower
//! shard; equal costs in plan order). The assignment is a pure function of the manifests, in
//! the order given, and of N: every array task computes the same one independently.

use super::accuracy::{self, AccuracyPlan};
use super::{plan, Plan};
use crate::estimators::Projection;
use crate::manifest::AnyManifest;
use crate::models::Model;
use crate::train::Train;
use anyhow::{bail, Result};
use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

/// Shard `index` of `count`, 1-based (`--shard 2/7`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let usage = || format!("`{text}`: a shard is I/N with 1 ≤ I ≤ N, e.g. 2/7");
        let (i, n) = text.split_once('/').ok_or_else(usage)?;
        let (index, count): (usize, usize) = (
            i.trim().parse().map_err(|_| usage())?,
            n.trim().parse().map_err(|_| usage())?,
        );
        if index == 0 || index > count {
            return Err(usage());
        }
        Ok(Shard { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// One manifest's plan, of either kind.
#[derive(Clone, Debug)]
pub enum AnyPlan {
    Experiment(Plan),
    Accuracy(AccuracyPlan),
}

impl AnyPlan {
    pub fn of(manifest: &AnyManifest) -> Result<Self> {
        Ok(match manifest {
            AnyManifest::Experiment(m) => AnyPlan::Experiment(plan(m)),
            AnyManifest::Accuracy(m) => AnyPlan::Accuracy(accuracy::plan(m)?),
        })
    }
}

/// A work group: units that must be computed by one process, as indices into each plan:
/// `members`, `pairs` (experiments) and `units` (estimator accuracy), each `(plan, index)`.
#[derive(Clone, Debug, Default)]
pub struct Group {
    pub members: Vec<(usize, usize)>,
    pub pairs: Vec<(usize, usize)>,
    pub units: Vec<(usize, usize)>,
    pub cost: u128,
}

impl Group {
    fn absorb(&mut self, other: Group) {
        self.members.extend(other.members);
        self.pairs.extend(other.pairs);
        self.units.extend(other.units);
        self.cost += other.cost;
    }
}

/// The work groups of all `plans`, in plan order of their first unit.
pub fn groups(plans: &[AnyPlan]) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    // Each unit's hash, to merge groups that share one (a disjoint-set forest over groups).
    let mut hashes: Vec<(String, usize)> = Vec::new();
    for (w, plan) in plans.iter().enumerate() {
        match plan {
            AnyPlan::Experiment(plan) => {
                let mut by_key: HashMap<(usize, usize), usize> = HashMap::new();
                let mut of_member = Vec::with_capacity(plan.members.len());
                for (i, m) in plan.members.iter().enumerate() {
                    let g = *by_key.entry((m.point, m.replica)).or_insert_with(|| {
                        groups.push(Group::default());
                        groups.len() - 1
                    });
                    groups[g].members.push((w, i));
                    groups[g].cost += member_cost(plan, m.network, m.spec.n);
                    hashes.push((m.hash.clone(), g));
                    of_member.push(g);
                }
                for (i, p) in plan.pairs.iter().enumerate() {
                    let g = of_member[p.a];
                    groups[g].pairs.push((w, i));
                    groups[g].cost += pair_cost(plan, p) * (1 + p.draws.len() as u128);
                    hashes.push((p.hash.clone(), g));
                    // A pair reads both members: their groups must be one.
                    hashes.push((plan.members[p.b].hash.clone(), g));
                }
            }
            AnyPlan::Accuracy(plan) => {
                for (i, u) in plan.units.iter().enumerate() {
                    let s = &u.spec;
                    groups.push(Group {
                        units: vec![(w, i)],
                        cost: accuracy_cost(s),
                        ..Group::default()
                    });
                    hashes.push((u.hash.clone(), groups.len() - 1));
                }
            }
        }
    }
    merge_sharing(groups, &hashes)
}

/// Merges every set of groups linked by a shared hash into the first of them; the survivors
/// keep their order, and each one's units stay in plan order.
fn merge_sharing(groups: Vec<Group>, hashes: &[(String, usize)]) -> Vec<Group> {
    let mut parent: Vec<usize> = (0..groups.len()).collect();
    fn root(parent: &mut [usize], mut g: usize) -> usize {
        while parent[g] != g {
            parent[g] = parent[parent[g]];
            g = parent[g];
        }
        g
    }
    let mut first: HashMap<&str, usize> = HashMap::new();
    for (hash, g) in hashes {
        let seen = *first.entry(hash.as_str()).or_insert(*g);
        let (a, b) = (root(&mut parent, seen), root(&mut parent, *g));
        if a != b {
            parent[a.max(b)] = a.min(b);
        }
    }
    let mut merged: Vec<Option<Group>> = groups.into_iter().map(Some).collect();
    for g in (0..merged.len()).rev() {
        let r = root(&mut parent, g);
        if r != g {
            let group = merged[g].take().expect("each group is merged once");
            merged[r].as_mut().expect("roots survive").absorb(group);
        }
    }
    merged
        .into_iter()
        .flatten()
        .map(|mut g| {
            g.members.sort_unstable();
            g.pairs.sort_unstable();
            g.units.sort_unstable();
            g
        })
        .collect()
}

/// ⌈log₂ n⌉, at least 1.
fn log2_ceil(n: usize) -> u128 {
    (usize::BITS - n.saturating_sub(1).leading_zeros()).max(1) as u128
}

/// An estimator-accuracy unit's estimated cost (see the module documentation).
pub fn accuracy_cost(s: &super::accuracy::UnitSpec) -> u128 {
    (s.n as u128) * log2_ceil(s.n) * 2 * (s.dims as u128)
}

/// A member's estimated cost (see the module documentation).
pub fn member_cost(plan: &Plan, network: usize, n: usize) -> u128 {
    let net = &plan.networks[network];
    let p = net.p as u128;
    let n = n as u128;
    let seen = match &net.train {
        Train::MinNorm {} => n * n.min(p),
        Train::Gd(s) => s.max_steps as u128 * n,
        Train::Adam(s) => s.max_steps as u128 * n,
        Train::Sgd(s) => {
            let all = s.epochs as u128 * n;
            s.max_steps
                .map_or(all, |steps| all.min(steps as u128 * s.batch_size as u128))
        }
    };
    (seen + plan.n_test as u128) * p
}

/// A pair's estimated cost, and each of its tie-breaking draws' (see the module
/// documentation).
pub fn pair_cost(plan: &Plan, pair: &super::PlannedPair) -> u128 {
    let width = match &plan.networks[plan.members[pair.a].network].model {
        Model::Linear2 {} => 1,
        Model::Relu2 { width, .. } | Model::Fcnn { width, .. } | Model::Cnn5 { width } => *width,
    };
    let width = match pair.spec.project {
        Projection::None => width,
        Projection::Pca(m) => width.min(m),
    };
    let n_test = plan.n_test;
    pair.spec.estimators.len() as u128 * n_test as u128 * log2_ceil(n_test) * 2 * width as u128
}

/// The 0-based shard of each group: largest cost first, to the least-loaded shard.
pub fn assign(groups: &[Group], count: usize) -> Vec<usize> {
    assert!(count >= 1, "at least one shard");
    let mut order: Vec<usize> = (0..groups.len()).collect();
    order.sort_by_key(|&g| (std::cmp::Reverse(groups[g].cost), g));
    let mut load = vec![0u128; count];
    let mut shard_of = vec![0; groups.len()];
    for g in order {
        let lightest = (0..count)
            .min_by_key(|&s| (load[s], s))
            .expect("at least one shard");
        load[lightest] += groups[g].cost;
        shard_of[g] = lightest;
    }
    shard_of
}

/// What one shard holds: its groups' units and their summed cost.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Load {
    pub groups: usize,
    pub members: usize,
    pub pairs: usize,
    pub units: usize,
    pub cost: u128,
}

/// The load of each of `count` shards.
pub fn loads(plans: &[AnyPlan], count: usize) -> Vec<Load> {
    let groups = groups(plans);
    let mut loads = vec![Load::default(); count];
    for (g, s) in groups.iter().zip(assign(&groups, count)) {
        let l = &mut loads[s];
        l.groups += 1;
        l.members += g.members.len();
        l.pairs += g.pairs.len();
        l.units += g.units.len();
        l.cost += g.cost;
    }
    loads
}

/// The units of one shard in one plan, each list in plan order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Selection {
    pub members: Vec<usize>,
    pub pairs: Vec<usize>,
    /// Estimator-accuracy units.
    pub units: Vec<usize>,
}

/// The units of `shard`, per plan.
pub fn select(plans: &[AnyPlan], shard: Shard) -> Vec<Selection> {
    let groups = groups(plans);
    let mut chosen = vec![Selection::default(); plans.len()];
    for (g, s) in groups.iter().zip(assign(&groups, shard.count)) {
        if s + 1 == shard.index {
            for &(w, i) in &g.members {
                chosen[w].members.push(i);
            }
            for &(w, i) in &g.pairs {
                chosen[w].pairs.push(i);
            }
            for &(w, i) in &g.units {
                chosen[w].units.push(i);
            }
        }
    }
    for s in &mut chosen {
        s.members.sort_unstable();
        s.pairs.sort_unstable();
        s.units.sort_unstable();
    }
    chosen
}

/// Each plan restricted to the units of `shard` (in plan order), ready for the executor.
pub fn shard_plans(plans: &[AnyPlan], shard: Shard) -> Result<Vec<AnyPlan>> {
    plans
        .iter()
        .zip(select(plans, shard))
        .map(|(plan, s)| {
            Ok(match plan {
                AnyPlan::Experiment(p) => AnyPlan::Experiment(p.restrict(&s.members, &s.pairs)?),
                AnyPlan::Accuracy(p) => AnyPlan::Accuracy(AccuracyPlan {
                    manifest_hash: p.manifest_hash.clone(),
                    cells: p.cells.clone(),
                    units: s.units.iter().map(|&i| p.units[i].clone()).collect(),
                }),
            })
        })
        .collect()
}

impl Plan {
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::Manifest;
    use std::path::Path;

    /// The plan of a network experiment.
    fn planned(text: &str) -> AnyPlan {
        let m = Manifest::parse(text, Path::new("test.yaml")).expect("valid manifest");
        AnyPlan::Experiment(plan(&m))
    }

    fn experiment(plan: &AnyPlan) -> &Plan {
        match plan {
            AnyPlan::Experiment(p) => p,
            AnyPlan::Accuracy(_) => unreachable!("a network experiment"),
        }
    }

    const RELU: &str = "
name: r
seed: 3
task: {kind: linear-teacher, d: 5, n_test: 50}
model: {kind: relu2, width: 3}
train: {solver: adam, max_steps: 100}
sweep: {snr: [1, 4], n_over_p: [0.5, 1, 2, 3], replicas: 3, members: 3}
";
    const LINEAR: &str = "
name: l
seed: 4
task: {kind: linear-teacher, d: 8, n_test: 60}
model: {kind: linear2}
sweep: {snr: [2], n_over_p: [0.5, 1.5], replicas: 2, members: 4}
";

    /// Every unit of every plan lands in exactly one shard, whole batches and whole
    /// replicas together, and LPT keeps the loads within one group of each other.
    #[test]
    fn every_unit_is_in_exactly_one_shard() {
        let works = [planned(RELU), planned(LINEAR)];
        let max_group = groups(&works).iter().map(|g| g.cost).max().unwrap();
        for count in [1, 2, 7] {
            let mut member_seen = [vec![0; 0], vec![]];
            let mut pair_seen = [vec![], vec![]];
            let mut batch_shard: HashMap<String, usize> = HashMap::new();
            for index in 1..=count {
                let sel = select(&works, Shard { index, count });
                for (w, work) in works.iter().enumerate() {
                    let plan = experiment(work);
                    member_seen[w].extend(sel[w].members.iter().copied());
                    pair_seen[w].extend(sel[w].pairs.iter().copied());
                    for &m in &sel[w].members {
                        let key = plan.members[m].spec.batch_key();
                        assert_eq!(*batch_shard.entry(key).or_insert(index), index);
                    }
                    // The shard's plan is self-contained: its pairs read its own members.
                    plan.restrict(&sel[w].members, &sel[w].pairs).unwrap();
                }
            }
            for (w, work) in works.iter().enumerate() {
                let plan = experiment(work);
                member_seen[w].sort_unstable();
                pair_seen[w].sort_unstable();
                assert_eq!(member_seen[w], (0..plan.members.len()).collect::<Vec<_>>());
                assert_eq!(pair_seen[w], (0..plan.pairs.len()).collect::<Vec<_>>());
            }
            let loads = loads(&works, count);
            let (lo, hi) = (
                loads.iter().map(|l| l.cost).min().unwrap(),
                loads.iter().map(|l| l.cost).max().unwrap(),
            );
            assert!(hi - lo <= max_group, "N = {count}: loads {loads:?}");
        }
    }

    /// Two manifests that differ only in name share every unit (the name is not part of a
    /// unit's identity): their groups merge, so no unit is in two shards.
    #[test]
    fn groups_sharing_a_unit_are_merged() {
        let works = [
            planned(LINEAR),
            planned(&LINEAR.replace("name: l", "name: l2")),
        ];
        let gs = groups(&works);
        assert_eq!(
            gs.len(),
            4,
            "1 SNR × 2 n × 2 replicas, each from both manifests"
        );
        for g in &gs {
            assert_eq!(g.members.len(), 8);
            assert!(
                g.members.iter().any(|&(w, _)| w == 0) && g.members.iter().any(|&(w, _)| w == 1)
            );
        }
        for count in [2, 3] {
            for index in 1..=count {
                let sel = select(&works, Shard { index, count });
                assert_eq!(
                    sel[0].members, sel[1].members,
                    "the same members of both in one shard"
                );
            }
        }
    }

    /// The cost is training steps × size, not a count: a member with more steps costs more.
    #[test]
    fn costs_follow_steps_and_size() {
        let short = planned(RELU);
        let long = planned(&RELU.replace("max_steps: 100", "max_steps: 1000"));
        let cost = |p: &AnyPlan| groups(std::slice::from_ref(p))[0].cost;
        assert!(cost(&long) > 5 * cost(&short));
        // Within one plan, larger n costs more.
        let gs = groups(std::slice::from_ref(&short));
        assert!(gs.last().unwrap().cost > gs[0].cost);
    }

    #[test]
    fn shard_text_is_checked() {
        assert_eq!("2/7".parse::<Shard>(), Ok(Shard { index: 2, count: 7 }));
        for bad in ["0/3", "4/3", "1", "a/2", "1/0", "/2"] {
            let err = bad.parse::<Shard>().unwrap_err();
            assert!(err.contains("1 ≤ I ≤ N"), "{bad}: {err}");
        }
    }
}
