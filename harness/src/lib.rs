//! The harness library: everything `harness` (the binary) does, one folder per stage of the
//! pipeline, each importing only the stages below it (docs/ARCHITECTURE.md; the
//! `layering` test keeps it so):
//!
//! 1. [`manifest`]: the experiment schemas, defaults, validation (errors located by key path
//!    and line), and the one loading path with the command line's overrides.
//! 2. [`plan`]: the units a manifest expands to, their hashes, and the derived values (P, d,
//!    the noise levels, the test-set size).
//! 3. [`cache`]: the content-addressed store, `verify`, and the one cached-unit executor.
//! 4. [`data`]: the linear teacher, the image data sets and each member's training data.
//! 5. [`models`]: the networks and their registry ([`models::Model`]).
//! 6. [`train`]: the trainers and their registry ([`train::Train`]).
//! 7. [`representations`]: a member unit's work and what it yields (metrics, representation).
//! 8. [`estimators`]: alignment estimators, a pair unit's work, the accuracy experiment's data.
//! 9. [`results`]: tables, claims, figures, the run record, the check against a reference
//!    and the report page.
//! 10. [`cli`]: what a command runs, stage by stage.
//!
//! Below every stage: [`rng`], [`matrix`], [`linalg`], [`identity`] (canonical forms and
//! SHA-256) and [`device`] (CPU or CUDA).
pub mod cache;
pub mod cli;
pub mod data;
pub mod device;
pub mod estimators;
pub mod identity;
pub mod linalg;
pub mod manifest;
pub mod matrix;
pub mod models;
pub mod plan;
pub mod representations;
pub mod results;
pub mod rng;
pub mod train;
