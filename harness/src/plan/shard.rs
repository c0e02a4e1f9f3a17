//! Shards: the units of one or more manifests split into N disjoint parts of similar
//! estimated cost, so that N processes sharing one artifacts folder (Slurm array tasks,
//! `harness run --jobs N`) each compute their own part. A run without `--shard` afterwards
//! finds every unit cached, trains nothing and writes the results.
//!
//! Sharding happens here, on the plans' unit lists ([`Work`], whatever the experiment's kind),
//! in one place: [`select`] picks one shard's units of each plan; each kind restricts its plan
//! to them (`Plan::restrict_to`, `AccuracyPlan::restrict_to`), and the restricted plans run
//! through the one executor ([`crate::cache::executor`]) exactly as whole plans do.
//!
//! A shard is a set of whole *work groups*. The group of an experiment's member is its sweep
//! point and replica: every member of one replica of one (noise level, n), of both networks in
//! a comparison, with the pairs compared among them. So the members that train together as one
//! batch (a `relu2` replica, [`MemberSpec::batch_key`](super::units::MemberSpec::batch_key))
//! and the pairs that read them never straddle two shards. Groups that share a unit (the same
//! member or pair hash at two sweep points or in two manifests) are merged, so no unit is in
//! two shards. Estimator-accuracy units are independent: one group each.
//!
//! The cost of a group is the sum of its units' estimated costs ([`super::work`]).
//!
//! Groups are assigned largest first, each to the least-loaded shard (ties to the lower
//! shard; equal costs in plan order). The assignment is a pure function of the manifests, in
//! the order given, and of N: every array task computes the same one independently.

use super::work::Work;

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

/// A work group: units that must be computed by one process, as `(plan, unit index)` pairs
/// into the plans' [`Work`] lists, in order.
#[derive(Clone, Debug, Default)]
pub struct Group {
    pub units: Vec<(usize, usize)>,
    pub cost: u128,
}

impl Group {
    fn absorb(&mut self, other: Group) {
        self.units.extend(other.units);
        self.cost += other.cost;
    }
}

/// The work groups of all `works`, in plan order of their first unit.
pub fn groups(works: &[Work]) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    // Each unit's hash, to merge groups that share one (a disjoint-set forest over groups).
    let mut hashes: Vec<(&str, usize)> = Vec::new();
    for (w, work) in works.iter().enumerate() {
        let first = groups.len();
        for (i, u) in work.units.iter().enumerate() {
            let g = first + u.group;
            if groups.len() <= g {
                groups.resize_with(g + 1, Group::default);
            }
            groups[g].units.push((w, i));
            groups[g].cost += u.cost;
            hashes.push((&u.hash, g));
            hashes.extend(u.joins.iter().map(|h| (h.as_str(), g)));
        }
    }
    merge_sharing(groups, &hashes)
}

/// Merges every set of groups linked by a shared hash into the first of them; the survivors
/// keep their order, and each one's units stay in plan order.
fn merge_sharing(groups: Vec<Group>, hashes: &[(&str, usize)]) -> Vec<Group> {
    let mut parent: Vec<usize> = (0..groups.len()).collect();
    fn root(parent: &mut [usize], mut g: usize) -> usize {
        while parent[g] != g {
            parent[g] = parent[parent[g]];
            g = parent[g];
        }
        g
    }
    let mut first: HashMap<&str, usize> = HashMap::new();
    for &(hash, g) in hashes {
        let seen = *first.entry(hash).or_insert(g);
        let (a, b) = (root(&mut parent, seen), root(&mut parent, g));
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
            g.units.sort_unstable();
            g
        })
        .collect()
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

/// What one shard holds: its groups, their units of each kind, and their summed cost.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Load {
    pub groups: usize,
    pub members: usize,
    pub pairs: usize,
    /// Estimator-accuracy units.
    pub units: usize,
    pub cost: u128,
}

/// The load of each of `count` shards.
pub fn loads(works: &[Work], count: usize) -> Vec<Load> {
    let groups = groups(works);
    let mut loads = vec![Load::default(); count];
    for (g, s) in groups.iter().zip(assign(&groups, count)) {
        let l = &mut loads[s];
        l.groups += 1;
        for &(w, i) in &g.units {
            match works[w].units[i].unit {
                "member" => l.members += 1,
                "pair" => l.pairs += 1,
                "accuracy" => l.units += 1,
                _ => {}
            }
        }
        l.cost += g.cost;
    }
    loads
}

/// The units of `shard`, per plan: indices into each plan's [`Work`] list, in order.
pub fn select(works: &[Work], shard: Shard) -> Vec<Vec<usize>> {
    let groups = groups(works);
    let mut chosen = vec![Vec::new(); works.len()];
    for (g, s) in groups.iter().zip(assign(&groups, shard.count)) {
        if s + 1 == shard.index {
            for &(w, i) in &g.units {
                chosen[w].push(i);
            }
        }
    }
    for s in &mut chosen {
        s.sort_unstable();
    }
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::Manifest;
    use crate::plan::Plan;
    use std::path::Path;

    /// The plan of a network experiment.
    fn planned(text: &str) -> Plan {
        let m = Manifest::parse(text, Path::new("test.yaml")).expect("valid manifest");
        crate::plan::plan(&m)
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
        let plans = [planned(RELU), planned(LINEAR)];
        let works: Vec<Work> = plans.iter().map(Plan::work).collect();
        let max_group = groups(&works).iter().map(|g| g.cost).max().unwrap();
        for count in [1, 2, 7] {
            let mut seen = [vec![0; 0], vec![]];
            let mut batch_shard: HashMap<String, usize> = HashMap::new();
            for index in 1..=count {
                let sel = select(&works, Shard { index, count });
                for (w, plan) in plans.iter().enumerate() {
                    seen[w].extend(sel[w].iter().copied());
                    for &u in sel[w].iter().filter(|&&u| u < plan.members.len()) {
                        let key = plan.members[u].spec.batch_key();
                        assert_eq!(*batch_shard.entry(key).or_insert(index), index);
                    }
                    // The shard's plan is self-contained: its pairs read its own members, and
                    // its tie-breaking draws come with their pairs.
                    let part = plan.restrict_to(&sel[w]).unwrap();
                    let listed = sel[w].len();
                    assert_eq!(part.work().units.len(), listed);
                }
            }
            for (w, work) in works.iter().enumerate() {
                seen[w].sort_unstable();
                assert_eq!(seen[w], (0..work.units.len()).collect::<Vec<_>>());
            }
            let loads = loads(&works, count);
            let (lo, hi) = (
                loads.iter().map(|l| l.cost).min().unwrap(),
                loads.iter().map(|l| l.cost).max().unwrap(),
            );
            assert!(hi - lo <= max_group, "N = {count}: loads {loads:?}");
            let members: usize = loads.iter().map(|l| l.members).sum();
            assert_eq!(members, plans[0].members.len() + plans[1].members.len());
        }
    }

    /// Two manifests that differ only in name share every unit (the name is not part of a
    /// unit's identity): their groups merge, so no unit is in two shards.
    #[test]
    fn groups_sharing_a_unit_are_merged() {
        let works = [
            planned(LINEAR).work(),
            planned(&LINEAR.replace("name: l", "name: l2")).work(),
        ];
        let gs = groups(&works);
        assert_eq!(
            gs.len(),
            4,
            "1 SNR × 2 n × 2 replicas, each from both manifests"
        );
        for g in &gs {
            let members = g
                .units
                .iter()
                .filter(|&&(w, i)| works[w].units[i].unit == "member");
            assert_eq!(members.clone().count(), 8);
            assert!(members.clone().any(|&(w, _)| w == 0) && members.clone().any(|&(w, _)| w == 1));
        }
        for count in [2, 3] {
            for index in 1..=count {
                let sel = select(&works, Shard { index, count });
                assert_eq!(sel[0], sel[1], "the same units of both in one shard");
            }
        }
    }

    /// The cost is training steps × size, not a count: a member with more steps costs more.
    #[test]
    fn costs_follow_steps_and_size() {
        let short = planned(RELU).work();
        let long = planned(&RELU.replace("max_steps: 100", "max_steps: 1000")).work();
        let cost = |w: &Work| groups(std::slice::from_ref(w))[0].cost;
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
