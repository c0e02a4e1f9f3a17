//! Units of work of a network experiment: one ensemble member's fit, one pair's alignment
//! estimate. Members that train together (a `relu2` replica) are run as one batch but stored
//! one unit each.
//!
//! Each unit is described by the values that determine its result, and its hash is the
//! SHA-256 of that description in canonical form ([`crate::identity`]): changing anything in
//! these structs changes every hash (and so the cache), which the identity tests pin.

use super::Level;
use crate::device::DeviceKind;
use crate::estimators::{Estimator, Projection};
use crate::identity::{hash_of, ALGORITHM_VERSION};
use crate::manifest::Task;
use crate::models::Model;
use crate::rng::derive_seed;
use crate::train::Train;
use serde::Serialize;

/// Everything that determines one member's fit.
#[derive(Clone, Debug, Serialize)]
pub struct MemberSpec {
    pub unit: &'static str,
    pub version: u32,
    pub seed: u64,
    pub task: Task,
    pub model: Model,
    pub train: Train,
    /// The noise level: `snr` for regression, `label_noise` for classification (the other is
    /// left out of the identity).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snr: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label_noise: Option<f64>,
    pub n: usize,
    pub replica: usize,
    pub member: usize,
    /// The number of members in this member's batch, for a model that
    /// [trains members together](Model::trains_members_together): a batched fit is one
    /// computation over the whole batch (stacked products), so a member's result depends on
    /// how many members share it. Absent for a model that fits each member alone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch_members: Option<usize>,
    /// Left out of the identity on the CPU (see [`crate::device`]).
    #[serde(skip_serializing_if = "DeviceKind::is_cpu")]
    pub device: DeviceKind,
}

impl MemberSpec {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        seed: u64,
        task: &Task,
        model: &Model,
        train: &Train,
        level: Level,
        n: usize,
        replica: usize,
        member: usize,
        device: DeviceKind,
    ) -> Self {
        MemberSpec {
            unit: "member",
            version: ALGORITHM_VERSION,
            seed,
            task: task.clone(),
            model: model.clone(),
            train: train.clone(),
            snr: matches!(level, Level::Snr(_)).then_some(level.value()),
            label_noise: matches!(level, Level::LabelNoise(_)).then_some(level.value()),
            n,
            replica,
            member,
            batch_members: None,
            device,
        }
    }

    /// The same member as one of `members` trained in one batch: recorded in the identity
    /// when the model [trains members together](Model::trains_members_together), ignored
    /// otherwise. The plan calls it for every member.
    pub fn in_batch_of(mut self, members: usize) -> Self {
        self.batch_members = self.model.trains_members_together().then_some(members);
        self
    }

    pub fn hash(&self) -> String {
        hash_of(self)
    }

    /// The hash of this member's identity with the device left out: what a CPU and a GPU fit
    /// of one member share (equal to [`MemberSpec::hash`] on the CPU).
    pub fn device_free_hash(&self) -> String {
        self.hashes().1
    }

    /// [`MemberSpec::hash`] and [`MemberSpec::device_free_hash`] together, serializing the
    /// spec once on the CPU (where the two are equal): what the plan computes per member.
    pub fn hashes(&self) -> (String, String) {
        let hash = self.hash();
        let device_free = if self.device.is_cpu() {
            hash.clone()
        } else {
            hash_of(&MemberSpec {
                device: DeviceKind::Cpu,
                ..self.clone()
            })
        };
        (hash, device_free)
    }

    /// Members with equal keys are fitted together in one batch: the members of one replica
    /// of a model that [trains members together](Model::trains_members_together) (the spec
    /// without the member index); every other member alone. The batch's size is part of each
    /// member's identity ([`MemberSpec::in_batch_of`]), so a batch is always the same batch.
    pub fn batch_key(&self) -> String {
        if self.model.trains_members_together() {
            hash_of(&(
                "batch",
                MemberSpec {
                    member: 0,
                    ..self.clone()
                },
            ))
        } else {
            self.hash()
        }
    }
}

/// Everything that determines one pair's alignment estimates: the two members (by hash) and
/// the estimator settings. The tie-breaking seed derives from the members' device-free
/// hashes, so that a CPU and a GPU run of one pair break ties alike.
#[derive(Clone, Debug, Serialize)]
pub struct PairSpec {
    pub unit: &'static str,
    pub version: u32,
    pub a: String,
    pub b: String,
    pub estimators: Vec<Estimator>,
    pub k: usize,
    /// Applied to both representations first; absent from the hash input when `none`.
    #[serde(skip_serializing_if = "Projection::is_none")]
    pub project: Projection,
    /// 0 for the pair's estimate; d > 0 for its d-th extra tie-breaking draw (the same
    /// estimate with another tie-breaking seed, for `ties.csv`). Absent from the hash input
    /// when 0.
    #[serde(skip_serializing_if = "is_zero")]
    pub tie_draw: usize,
    /// The copula's tie-breaking seed: a function of the members' identities (so not hashed
    /// again), from their device-free hashes.
    #[serde(skip)]
    tie_seed: u64,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl PairSpec {
    pub fn new(a: &MemberSpec, b: &MemberSpec, estimators: &[Estimator], k: usize) -> Self {
        let ((a, a_free), (b, b_free)) = (a.hashes(), b.hashes());
        Self::of_hashes((&a, &a_free), (&b, &b_free), estimators, k)
    }

    /// The pair of the members whose [`MemberSpec::hashes`] (hash, device-free hash) these
    /// are: the plan's path, which hashes each member once rather than once per pair.
    pub fn of_hashes(a: (&str, &str), b: (&str, &str), estimators: &[Estimator], k: usize) -> Self {
        PairSpec {
            unit: "pair",
            version: ALGORITHM_VERSION,
            a: a.0.to_string(),
            b: b.0.to_string(),
            estimators: estimators.to_vec(),
            k,
            project: Projection::None,
            tie_draw: 0,
            tie_seed: tie_seed(a.1, b.1),
        }
    }

    /// The same pair with `project` applied to both representations before estimation.
    pub fn with_project(mut self, project: Projection) -> Self {
        self.project = project;
        self
    }

    /// The same pair's `draw`-th extra tie-breaking draw.
    pub fn with_tie_draw(mut self, draw: usize) -> Self {
        self.tie_draw = draw;
        self
    }

    /// The seed of the copula's random tie-breaking, from the two members' device-free
    /// hashes (and, for an extra draw, its index).
    pub fn tie_break_seed(&self) -> u64 {
        match self.tie_draw {
            0 => self.tie_seed,
            d => derive_seed(self.tie_seed, &format!("tie-draw/{d}")),
        }
    }

    pub fn hash(&self) -> String {
        hash_of(self)
    }
}

/// The tie-breaking seed of the pair of members with these (device-free) hashes.
fn tie_seed(a: &str, b: &str) -> u64 {
    derive_seed(0, &format!("pair/{a}/{b}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::Manifest;
    use std::path::Path;

    fn manifest(model: &str, members: usize) -> Manifest {
        let solver = if model.contains("relu2") {
            "gd"
        } else {
            "min-norm"
        };
        let text = format!(
            "name: t\nseed: 3\ntask:\n  kind: linear-teacher\n  d: 4\n  n_test: 10\n\
             model:\n{model}\ntrain:\n  solver: {solver}\nsweep:\n  snr: [1]\n  n_over_p: [1]\n  \
             replicas: 1\n  members: {members}\n"
        );
        Manifest::parse(&text, Path::new("t.yaml")).unwrap()
    }

    fn specs(m: &Manifest) -> (MemberSpec, MemberSpec) {
        let plan = crate::plan::plan(m);
        (plan.members[0].spec.clone(), plan.members[1].spec.clone())
    }

    #[test]
    fn the_tie_seed_of_a_pair_does_not_depend_on_the_device() {
        let relu = "  kind: relu2\n  width: 3";
        let (a, b) = specs(&manifest(relu, 2));
        let (mut ga, mut gb) = (a.clone(), b.clone());
        ga.device = DeviceKind::Cuda;
        gb.device = DeviceKind::Cuda;
        assert_ne!(
            ga.hash(),
            a.hash(),
            "the device is in a GPU member's identity"
        );
        let cpu = PairSpec::new(&a, &b, &[Estimator::Ksg], 3);
        let gpu = PairSpec::new(&ga, &gb, &[Estimator::Ksg], 3);
        assert_ne!(cpu.hash(), gpu.hash());
        assert_eq!(cpu.tie_break_seed(), gpu.tie_break_seed());
        // On the CPU the seed is the one derived from the member hashes themselves, as before.
        assert_eq!(cpu.tie_break_seed(), tie_seed(&a.hash(), &b.hash()));
        // Extra draws: other seeds, shared by the devices too, and other units.
        let draw = |p: &PairSpec, d| p.clone().with_tie_draw(d);
        assert_eq!(
            draw(&cpu, 1).tie_break_seed(),
            draw(&gpu, 1).tie_break_seed()
        );
        assert_ne!(draw(&cpu, 1).tie_break_seed(), cpu.tie_break_seed());
        assert_ne!(
            draw(&cpu, 1).tie_break_seed(),
            draw(&cpu, 2).tie_break_seed()
        );
        assert_ne!(draw(&cpu, 1).hash(), cpu.hash());
        // It does depend on which members.
        assert_ne!(
            cpu.tie_break_seed(),
            PairSpec::new(&b, &a, &[Estimator::Ksg], 3).tie_break_seed()
        );
    }

    #[test]
    fn a_member_trained_in_a_batch_is_identified_with_the_batch_size() {
        let relu = "  kind: relu2\n  width: 3";
        let (in_two, _) = specs(&manifest(relu, 2));
        let (in_three, _) = specs(&manifest(relu, 3));
        assert!(Model::trains_members_together(&in_two.model));
        assert_eq!(in_two.batch_members, Some(2));
        assert_ne!(in_two.hash(), in_three.hash());
        assert_ne!(in_two.batch_key(), in_three.batch_key());
        // A model that fits each member alone: the member count is not in its identity.
        let linear = "  kind: linear2";
        let (alone_two, _) = specs(&manifest(linear, 2));
        let (alone_three, _) = specs(&manifest(linear, 3));
        assert_eq!(alone_two.batch_members, None);
        assert_eq!(alone_two.hash(), alone_three.hash());
    }
}
