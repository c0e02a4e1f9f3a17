//! The harness library: everything `harness` (the binary) does, one module per
//! responsibility.
//!
//! - [`manifest`]: the experiment schema, defaults and validation.
//! - [`identity`]: canonical forms and SHA-256 hashes.
//! - [`cache`]: the content-addressed artifact store and `verify`.
//! - [`rng`], [`matrix`], [`linalg`]: the project's RNG and numerical basics.
//! - [`data`]: task data (the linear teacher); [`datasets`]: image data sets (digits, mnist,
//!   cifar10) and their split.
//! - [`models`], [`train`], [`optim`]: the networks, their training with candle, optimizers;
//!   [`sgd`], [`classification`]: SGD for classifiers and a classification member's whole fit.
//! - [`device`]: CPU or CUDA.
//! - [`estimators`]: copula-entropy alignment estimators; [`accuracy`]: their accuracy on
//!   generated data with known answers (`kind: estimator-accuracy` manifests).
//! - [`theory`]: closed-form predictions for `linear2`.
//! - [`units`], [`experiment`]: units of work, the plan, and its execution.
//! - [`report`], [`claims`], [`figure`], [`run`]: tables, claim checks, figures, the whole job.
//! - [`shard`], [`launch`], [`slurm`]: a run split over processes sharing one artifacts
//!   folder (shards, local `--jobs`, Slurm job arrays); [`unitlog`]: one line per computed unit.
pub mod accuracy;
pub mod cache;
pub mod claims;
pub mod classification;
pub mod data;
pub mod datasets;
pub mod device;
pub mod estimators;
pub mod experiment;
pub mod figure;
pub mod identity;
pub mod launch;
pub mod linalg;
pub mod manifest;
pub mod matrix;
pub mod models;
pub mod optim;
pub mod report;
pub mod rng;
pub mod run;
pub mod sgd;
pub mod shard;
pub mod slurm;
pub mod theory;
pub mod train;
pub mod unitlog;
pub mod units;
