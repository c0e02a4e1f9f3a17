//! The harness library: everything `harness` (the binary) does, one module per
//! responsibility.
//!
//! - [`manifest`]: the experiment schema, defaults and validation.
//! - [`identity`]: canonical forms and SHA-256 hashes.
//! - [`cache`]: the content-addressed artifact store and `verify`.
//! - [`rng`], [`matrix`], [`linalg`]: the project's RNG and numerical basics.
//! - [`data`]: task data (the linear teacher).
//! - [`models`], [`train`], [`optim`]: the networks, their training with candle, optimizers.
//! - [`estimators`]: copula-entropy alignment estimators.
//! - [`theory`]: closed-form predictions for `linear2`.
//! - [`units`], [`experiment`]: units of work, the plan, and its execution.
//! - [`report`], [`claims`], [`figure`], [`run`]: tables, claim checks, figures, the whole job.
pub mod cache;
pub mod claims;
pub mod data;
pub mod estimators;
pub mod experiment;
pub mod figure;
pub mod identity;
pub mod linalg;
pub mod manifest;
pub mod matrix;
pub mod models;
pub mod optim;
pub mod report;
pub mod rng;
pub mod run;
pub mod theory;
pub mod train;
pub mod units;
