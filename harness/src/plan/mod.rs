//! The plan stage: the units of work a manifest expands to, their hashes, and the values every
//! later stage reads instead of recomputing them (P of each network, the input dimension d,
//! the test-set size, the noise levels). The manifest is translated here, once.
//!
//! The plan is a deterministic list: members in the order (SNR, n, replica, network, member),
//! then the pairs of each replica: the unordered pairs of its members, or, in a comparison
//! experiment (`compare:`), the pairs (member m of the first network, member m of the
//! second), which were fitted on the same data. The units run through the one executor
//! ([`crate::cache::executor`]); [`units`] says what determines each one's result (its hash),
//! [`accuracy`] plans the estimator-accuracy experiment, and [`shard`] splits plans into the
//! disjoint parts that separate processes run (`run --shard`, `--jobs`, Slurm arrays).

pub mod accuracy;
pub mod explain;
pub mod shard;
pub mod units;
pub mod work;

use crate::data::Input;
use crate::identity::hash_of;
use crate::manifest::{Manifest, Sweep};
use crate::models::Model;
use crate::train::Train;
use units::{MemberSpec, PairSpec};

/// One noise level of a sweep: an SNR (regression) or a label-noise fraction (classification).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Level {
    Snr(f64),
    LabelNoise(f64),
}

impl Level {
    /// The column that holds it in the CSVs.
    pub fn column(self) -> &'static str {
        match self {
            Level::Snr(_) => "snr",
            Level::LabelNoise(_) => "label_noise",
        }
    }

    pub fn value(self) -> f64 {
        match self {
            Level::Snr(v) | Level::LabelNoise(v) => v,
        }
    }

    /// Larger is cleaner: the SNR, or minus the label noise (how the claims order levels).
    pub fn signal(self) -> f64 {
        match self {
            Level::Snr(v) => v,
            Level::LabelNoise(p) => -p,
        }
    }

    /// How figures and claims name it.
    pub fn label(self) -> String {
        match self {
            Level::Snr(v) => format!("SNR {v}"),
            Level::LabelNoise(p) => format!("label noise {p}"),
        }
    }
}

/// One (noise level, n) point of the sweep.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    pub level: Level,
    pub n: usize,
    pub n_over_p: f64,
}

#[derive(Clone, Debug)]
pub struct PlannedMember {
    pub hash: String,
    pub spec: MemberSpec,
    pub point: usize,
    /// Index into [`Plan::networks`]: 0 for `model`, 1 for `compare.model`.
    pub network: usize,
    pub replica: usize,
    pub member: usize,
    /// Index into [`Plan::variants`] (0 when the sweep has no `over`).
    pub variant: usize,
}

#[derive(Clone, Debug)]
pub struct PlannedPair {
    pub hash: String,
    pub spec: PairSpec,
    /// Indices into `Plan::members`.
    pub a: usize,
    pub b: usize,
    /// The pair's extra tie-breaking draws (`alignment.tie_draws` of them for a pair of the
    /// first replica, none otherwise): the same estimate with other tie-breaking seeds, for
    /// `ties.csv`. They travel with their pair (into its shard, its group).
    pub draws: Vec<TieDraw>,
}

/// One extra tie-breaking draw of a pair: its own unit.
#[derive(Clone, Debug)]
pub struct TieDraw {
    pub hash: String,
    pub spec: PairSpec,
}

/// One trained network of the experiment, with its parameter count.
#[derive(Clone, Debug)]
pub struct Network {
    pub model: Model,
    pub train: Train,
    /// P of this network on the task (from the models registry).
    pub p: usize,
}

#[derive(Clone, Debug)]
pub struct Plan {
    pub manifest_hash: String,
    /// What a sample looks like to the networks.
    pub input: Input,
    /// The test-set size, a data set's default filled in.
    pub n_test: usize,
    /// The noise levels in sweep order.
    pub levels: Vec<Level>,
    /// `model`, then `compare.model` if any.
    pub networks: Vec<Network>,
    pub points: Vec<Point>,
    pub members: Vec<PlannedMember>,
    pub pairs: Vec<PlannedPair>,
    /// With `sweep.over`: each combination's own plan, and where its units sit in this one
    /// (whose networks, points, members and pairs are the variants' in order). Empty without.
    pub variants: Vec<VariantPlan>,
}

/// One combination of `sweep.over`, planned as a manifest of its own.
#[derive(Clone, Debug)]
pub struct VariantPlan {
    /// (swept key, value) in key order.
    pub values: Vec<(String, String)>,
    pub manifest: Manifest,
    pub plan: Plan,
    /// Its members and pairs in the whole plan (not in one restricted to a shard).
    pub members: std::ops::Range<usize>,
    pub pairs: std::ops::Range<usize>,
}

/// The experiment's identity: SHA-256 of the canonical manifest (description excluded).
pub fn manifest_hash(manifest: &Manifest) -> String {
    hash_of(manifest)
}

impl Plan {
    /// The input dimension d of a regression task.
    pub fn d(&self) -> Option<usize> {
        match self.input {
            Input::Vector { d } => Some(d),
            Input::Images(_) => None,
        }
    }

    /// The CSV column of the sweep's noise level (`snr` or `label_noise`).
    pub fn level_column(&self) -> &'static str {
        self.levels.first().map_or("snr", |l| l.column())
    }
}

/// Every unit of the manifest, and the derived values, in a deterministic order: with
/// `sweep.over`, each combination's plan in turn (the variants in [`Manifest::variants`]
/// order), the units of one combination together.
pub fn plan(manifest: &Manifest) -> Plan {
    if manifest.variants.is_empty() {
        return plan_one(manifest);
    }
    let parts: Vec<Plan> = manifest
        .variants
        .iter()
        .map(|v| plan_one(&v.manifest))
        .collect();
    let mut whole = Plan {
        manifest_hash: manifest_hash(manifest),
        input: parts[0].input,
        n_test: parts[0].n_test,
        levels: parts[0].levels.clone(),
        networks: Vec::new(),
        points: Vec::new(),
        members: Vec::new(),
        pairs: Vec::new(),
        variants: Vec::new(),
    };
    for (v, (variant, part)) in manifest.variants.iter().zip(parts).enumerate() {
        let (nets, points, members, pairs) = (
            whole.networks.len(),
            whole.points.len(),
            whole.members.len(),
            whole.pairs.len(),
        );
        whole.networks.extend(part.networks.iter().cloned());
        whole.points.extend(part.points.iter().copied());
        whole
            .members
            .extend(part.members.iter().map(|m| PlannedMember {
                point: m.point + points,
                network: m.network + nets,
                variant: v,
                ..m.clone()
            }));
        whole.pairs.extend(part.pairs.iter().map(|p| PlannedPair {
            a: p.a + members,
            b: p.b + members,
            ..p.clone()
        }));
        whole.variants.push(VariantPlan {
            values: variant.values.clone(),
            manifest: variant.manifest.clone(),
            members: members..whole.members.len(),
            pairs: pairs..whole.pairs.len(),
            plan: part,
        });
    }
    whole
}

/// The manifest of a member's combination (the manifest itself without `sweep.over`).
pub fn variant_manifest<'a>(
    manifest: &'a Manifest,
    plan: &'a Plan,
    variant: usize,
) -> &'a Manifest {
    plan.variants.get(variant).map_or(manifest, |v| &v.manifest)
}

/// The plan of one manifest without `sweep.over`.
fn plan_one(manifest: &Manifest) -> Plan {
    let sweep = &manifest.sweep;
    let input = manifest.task.input();
    let networks: Vec<Network> = manifest
        .networks()
        .into_iter()
        .map(|(model, train)| Network {
            model: model.clone(),
            train: train.clone(),
            p: model.parameter_count(&input),
        })
        .collect();
    let p = networks[0].p;
    let levels = levels(sweep);
    let mut points = Vec::new();
    let mut members = Vec::new();
    // Beside `members`: each one's device-free hash, for its pairs' tie-breaking seeds.
    let mut device_free_hashes = Vec::new();
    let mut pairs = Vec::new();
    for &level in &levels {
        for &ratio in &sweep.n_over_p {
            let n = manifest.n_for(ratio);
            let point = points.len();
            points.push(Point {
                level,
                n,
                n_over_p: n as f64 / p as f64,
            });
            for replica in 0..sweep.replicas {
                let first = members.len();
                for (network, net) in networks.iter().enumerate() {
                    for member in 0..sweep.members {
                        let spec = MemberSpec::new(
                            manifest.seed,
                            &manifest.task,
                            &net.model,
                            &net.train,
                            level,
                            n,
                            replica,
                            member,
                            manifest.device,
                        )
                        .in_batch_of(sweep.members);
                        let (hash, device_free) = spec.hashes();
                        device_free_hashes.push(device_free);
                        members.push(PlannedMember {
                            hash,
                            spec,
                            point,
                            network,
                            replica,
                            member,
                            variant: 0,
                        });
                    }
                }
                let pairing: Vec<(usize, usize)> = if manifest.compare.is_some() {
                    (0..sweep.members)
                        .map(|m| (first + m, first + sweep.members + m))
                        .collect()
                } else {
                    (first..members.len())
                        .flat_map(|a| (a + 1..members.len()).map(move |b| (a, b)))
                        .collect()
                };
                for (a, b) in pairing {
                    let spec = PairSpec::of_hashes(
                        (&members[a].hash, &device_free_hashes[a]),
                        (&members[b].hash, &device_free_hashes[b]),
                        &manifest.alignment.report,
                        manifest.alignment.k,
                    )
                    .with_project(manifest.alignment.project);
                    let draws = if replica == 0 {
                        (1..=manifest.alignment.tie_draws)
                            .map(|d| {
                                let spec = spec.clone().with_tie_draw(d);
                                TieDraw {
                                    hash: spec.hash(),
                                    spec,
                                }
                            })
                            .collect()
                    } else {
                        Vec::new()
                    };
                    pairs.push(PlannedPair {
                        hash: spec.hash(),
                        spec,
                        a,
                        b,
                        draws,
                    });
                }
            }
        }
    }
    Plan {
        manifest_hash: manifest_hash(manifest),
        input,
        n_test: manifest.task.test_size(),
        levels,
        networks,
        points,
        members,
        pairs,
        variants: Vec::new(),
    }
}

/// Cache extensions of the two kinds of unit.
pub const MEMBER_EXT: &str = "safetensors";
pub const PAIR_EXT: &str = "json";

/// The noise levels of a sweep, in sweep order.
pub fn levels(sweep: &Sweep) -> Vec<Level> {
    sweep
        .snr
        .iter()
        .map(|&v| Level::Snr(v))
        .chain(sweep.label_noise.iter().map(|&p| Level::LabelNoise(p)))
        .collect()
}

/// A pair's label: its first member's, and the second member's index.
pub fn pair_label(plan: &Plan, p: &PlannedPair) -> String {
    format!(
        "{} with member {}",
        member_label(plan, &plan.members[p.a]),
        plan.members[p.b].member
    )
}

/// Every member's label, for progress lines and errors.
pub fn member_label(plan: &Plan, m: &PlannedMember) -> String {
    let pt = &plan.points[m.point];
    let values = plan.variants.get(m.variant).map_or(String::new(), |v| {
        v.values
            .iter()
            .map(|(k, v)| format!("{k}={v} "))
            .collect::<String>()
    });
    // The variant's networks follow those of the variants before it (also in a plan
    // restricted to a shard, which keeps every variant).
    let first_network: usize = plan
        .variants
        .iter()
        .take(m.variant)
        .map(|v| v.plan.networks.len())
        .sum();
    let network = if m.network > first_network {
        format!("{} ", m.spec.model.name())
    } else {
        String::new()
    };
    format!(
        "{values}{network}{}={} n={} replica={} member={}",
        pt.level.column(),
        pt.level.value(),
        pt.n,
        m.replica,
        m.member
    )
}
