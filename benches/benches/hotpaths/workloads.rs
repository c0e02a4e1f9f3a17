//! The hot-path workloads shared by the instruction-count gate (`hotpaths.rs`, Gungraun) and
//! its wall-clock twin (`hotpaths_wall.rs`, criterion): each is a `setup` that builds the
//! inputs (not measured) and a `run` that does the measured work once.
//!
//! Every input is generated from a fixed seed through the project's own RNG; nothing reads
//! files at run time (the manifest is compiled in), nothing depends on the thread count.
//! The whole set stays within the API that every commit the history covers shares, reached
//! through `api.rs` (see `benches/README.md`, "History"), so that this file also builds
//! against those trees.

// The harness API used by the benches, in one file per source layout (`api.rs` here;
// `benches/record-past.sh` swaps in `api_pre_regroup.rs` for a commit before the regroup).
#[path = "api.rs"]
mod api;
pub use api::*;
// The relu2 step in the form the CPU trainer runs (`relu2_form.rs`; `record-past.sh` swaps in
// `relu2_form_tensor.rs` for a commit before the in-place form).
#[path = "relu2_form.rs"]
mod relu2_form;
pub use relu2_form::*;
// The fleet's steps (`fleet_form.rs`; `record-past.sh` swaps in `fleet_form_absent.rs` for a
// commit before the fleet).
#[path = "fleet_form.rs"]
mod fleet_form;
pub use fleet_form::*;
pub use harness::data::datasets::Dataset;

/// A network of the registry from its manifest form, e.g. `{"kind": "cnn5", "width": 4}`:
/// the one spelling every source layout of `Model` reads (struct variants before issue 25's
/// registry, settings structs after).
pub fn model(manifest_form: &str) -> Model {
    serde_json::from_str(manifest_form).expect("a network the registry knows")
}

use candle_core::{Device, Tensor};
use std::path::Path;

/// Neighbours of the k-NN estimators, as the figures use.
pub const K: usize = 3;
/// Classes of the classification tasks.
const CLASSES: usize = 10;
/// The manifest of the plan bench, compiled in from the tree being measured.
const FIG1_MANIFEST: &str = include_str!("../../../experiments/fig1_linear.yaml");

/// Runs every rayon job on the calling thread: the work is then single-threaded, counted by
/// Callgrind (which counts the benchmark function's own thread), and free of idle spinning.
/// Called by every setup; the second call finds the pool built and does nothing.
pub fn one_thread() {
    let _ = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .use_current_thread()
        .build_global();
}

// ---- entropy: k-NN search, CCE estimators, copula transform ----

/// N samples of A and B (`dims` columns each), B_i correlated with A_i (ρ = 0.6).
pub fn correlated(n: usize, dims: usize) -> (Matrix, Matrix) {
    one_thread();
    let mut rng = Rng::new(20261130);
    let rho: f64 = 0.6;
    let a = Matrix::new(n, dims, rng.normals(n * dims)).unwrap();
    let noise = rng.normals(n * dims);
    let b = Matrix::new(
        n,
        dims,
        a.data
            .iter()
            .zip(&noise)
            .map(|(x, z)| rho * x + (1.0 - rho * rho).sqrt() * z)
            .collect(),
    )
    .unwrap();
    (a, b)
}

/// CCE(A|B) with one estimator (ranks included, as `harness cce` computes it).
pub fn run_cce(input: &(Matrix, Matrix), estimator: Estimator) -> f64 {
    cce(&input.0, &input.1, estimator, K, 0).unwrap()
}

/// The copula sample of a correlated pair, joined (N × 2·dims): the input of a k-NN search.
pub fn copula_sample(n: usize, dims: usize) -> Matrix {
    let (a, b) = correlated(n, dims);
    copula(&a.hstack(&b).unwrap(), &mut Rng::new(0))
}

/// The k-NN search of the Kozachenko–Leonenko entropy (its k-th distances, then a sum).
pub fn run_knn_entropy(u: &Matrix) -> f64 {
    kl_entropy(u, K)
}

/// The joined raw pair (N × 2·dims): the input of the copula transform.
pub fn raw_pair(n: usize, dims: usize) -> Matrix {
    let (a, b) = correlated(n, dims);
    a.hstack(&b).unwrap()
}

/// The copula (rank) transform with its seeded tie-breaks.
pub fn run_copula(x: &Matrix) -> Matrix {
    copula(x, &mut Rng::new(1))
}

// ---- training: relu2 Adam, fcnn and cnn5 SGD, min-norm fit ----

/// Inputs of the fig2 quick size: d = 30, relu2 of width 4 (P = 129), n = P.
const RELU2_FIG2: (usize, usize, usize) = (30, 4, 129);
/// The size of issue 15's allocation report: d = 50, width 8 (P = 417), n = 500.
const RELU2_WIDE: (usize, usize, usize) = (50, 8, 500);

/// One Adam step of an ensemble of `m` relu2 members on shared inputs, fig2 size.
pub fn relu2_ensemble(m: usize) -> Relu2Step {
    relu2_ensemble_of(RELU2_FIG2, m)
}

/// The same at d = 50, width 8, n = 500.
pub fn relu2_wide_ensemble(m: usize) -> Relu2Step {
    relu2_ensemble_of(RELU2_WIDE, m)
}

/// One Adam step of `m` members of size (d, width, n) (see `relu2_form.rs`).
fn relu2_ensemble_of((d, width, n): (usize, usize, usize), m: usize) -> Relu2Step {
    one_thread();
    let mut rng = Rng::new(7);
    let x = Matrix::new(n, d, rng.normals(n * d)).unwrap();
    let ys: Vec<Vec<f64>> = (0..m)
        .map(|_| (0..n).map(|i| x.row(i)[0] + 0.45 * rng.normal()).collect())
        .collect();
    let init = Relu2::init(d, width, &mut rng);
    let xs = vec![&x; m];
    let yr: Vec<&[f64]> = ys.iter().map(|y| y.as_slice()).collect();
    let adam = AdamSettings {
        lr: 0.01,
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        max_steps: 1,
        tol: 1e-4,
        window: 200,
    };
    relu2_step(&xs, &yr, &vec![init; m], &adam)
}

/// A classifier, a batch of images and labels, and the SGD settings of one step.
pub struct SgdStep<M> {
    model: M,
    x: Tensor,
    y: Tensor,
    rng: Rng,
}

/// `n` random images (channels × side × side, values in [−1, 1)) and labels.
fn images(n: usize, channels: usize, side: usize, rng: &mut Rng) -> (Tensor, Tensor) {
    let pixels: Vec<f32> = (0..n * channels * side * side)
        .map(|_| rng.uniform() as f32 * 2.0 - 1.0)
        .collect();
    let x = Tensor::from_vec(pixels, (n, channels, side, side), &Device::Cpu).unwrap();
    let labels: Vec<u32> = (0..n).map(|_| rng.below(CLASSES as u64) as u32).collect();
    let y = Tensor::from_vec(labels, n, &Device::Cpu).unwrap();
    (x, y)
}

/// fcnn of width 4 on a digits-shaped batch (128 images of 1 × 8 × 8).
pub fn fcnn_batch() -> SgdStep<Fcnn> {
    one_thread();
    let mut rng = Rng::new(2);
    let (x, y) = images(128, 1, 8, &mut rng);
    let model = Fcnn::new(64, 4, CLASSES, 0.1, &mut Rng::new(1), &Device::Cpu).unwrap();
    SgdStep { model, x, y, rng }
}

/// cnn5 of width 4 on a CIFAR-shaped batch of 4 images of 3 × 32 × 32 (a batch of 16 takes
/// 216 M instructions, over the gate's budget of about 50 M per bench).
pub fn cnn5_batch() -> SgdStep<Cnn5> {
    one_thread();
    let mut rng = Rng::new(3);
    let (x, y) = images(4, 3, 32, &mut rng);
    let model = Cnn5::new(3, 4, CLASSES, &mut Rng::new(4), &Device::Cpu).unwrap();
    SgdStep { model, x, y, rng }
}

/// One SGD step on the whole batch (forward, cross-entropy, backward, update).
pub fn run_fcnn_step(s: &mut SgdStep<Fcnn>) -> usize {
    let n = s.x.dim(0).unwrap();
    train_sgd(&s.model, &s.x, &s.y, one_sgd_step(n), &mut s.rng).unwrap()
}

pub fn run_cnn5_step(s: &mut SgdStep<Cnn5>) -> usize {
    let n = s.x.dim(0).unwrap();
    train_sgd(&s.model, &s.x, &s.y, one_sgd_step(n), &mut s.rng).unwrap()
}

/// One fig1 member: min-norm `linear2` at d = 100 on n = 96 samples, with its 2000-input
/// test evaluation (the unit fig1 runs 2400 times).
pub fn min_norm_member() -> (MemberSpec, ExperimentData) {
    one_thread();
    let task = Task::LinearTeacher {
        d: 100,
        inputs: Default::default(),
        n_test: 2000,
    };
    let data = regression_data(20260526, &task);
    let spec = MemberSpec::new(
        20260526,
        &task,
        &Model::Linear2(harness::models::linear2::Linear2Config {}),
        &Train::MinNorm {},
        Level::Snr(1.0),
        96,
        0,
        0,
        DeviceKind::Cpu,
    );
    (spec, data)
}

pub fn run_min_norm_member(input: &(MemberSpec, ExperimentData)) -> f64 {
    run_member(&input.0, &input.1).unwrap().gen_error
}

// ---- manifest: parse, canonical hash, plan ----

/// `experiments/fig1_linear.yaml` with one replica instead of six: a sixth of its units, so
/// that planning stays under 50 M instructions (the full plan takes 290 M). A manifest
/// without the `replicas: 6` line stops the bench here, loudly.
pub fn fig1_manifest_text() -> String {
    one_thread();
    assert!(
        FIG1_MANIFEST.contains("  replicas: 6\n"),
        "experiments/fig1_linear.yaml no longer has `replicas: 6`: update the plan bench"
    );
    FIG1_MANIFEST.replace("  replicas: 6\n", "  replicas: 1\n")
}

/// Parses `experiments/fig1_linear.yaml`, hashes its canonical form and plans its units.
/// Returns the number of planned members and the hash's first byte (kept alive).
pub fn run_manifest_plan(text: &str) -> (usize, u8) {
    let manifest = Manifest::parse(text, Path::new("experiments/fig1_linear.yaml")).unwrap();
    let hash = manifest_hash(&manifest);
    let plan = plan(&manifest);
    (plan.members.len(), hash.as_bytes()[0])
}
