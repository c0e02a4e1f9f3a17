//! The harness library: everything `harness` (the binary) does, one folder per stage of the
//! pipeline, each importing only the stages below it (docs/ARCHITECTURE.md; the `layering`
//! test keeps it so, and keeps this order the order of the imports):
//!
//! 1. [`data`]: the linear teacher, the image data sets and each member's training data; the
//!    data set registry ([`data::datasets::Dataset`]).
//! 2. [`models`]: the networks and their registry ([`models::Model`]).
//! 3. [`train`]: the trainers and their registry ([`train::Train`]).
//! 4. [`estimators`]: the alignment estimators and their registry
//!    ([`estimators::Estimator`]), the accuracy experiment's generated data.
//! 5. [`manifest`]: the experiment schemas, defaults, validation (errors located by key path
//!    and line), and the one loading path with the command line's overrides.
//! 6. [`cache`]: the content-addressed store, `verify`, and the one cached-unit executor.
//! 7. [`plan`]: the units a manifest expands to, their hashes, and the derived values (P, d,
//!    the noise levels, the test-set size); shards.
//! 8. [`representations`]: a member unit's work and what it yields (metrics, representation).
//! 9. [`alignment`]: a pair unit's work: two members' representations compared.
//! 10. [`results`]: tables, claims, figures, the run record, the check against a reference
//!     and the report page.
//! 11. [`kinds`]: the experiment kinds and their registry ([`kinds::of`]): each kind's run,
//!     from plan through the executor to its results.
//! 12. [`cli`]: the commands, each with its arguments and its output.
//!
//! Below every stage: [`rng`], [`matrix`], [`linalg`], [`identity`] (canonical forms and
//! SHA-256) and [`device`] (CPU or CUDA).
pub mod device;
pub mod identity;
pub mod linalg;
pub mod matrix;
pub mod rng;

pub mod data;

pub mod models;

pub mod train;

pub mod estimators;

pub mod manifest;

pub mod cache;

pub mod plan;

pub mod representations;

pub mod alignment;

pub mod results;

pub mod kinds;

pub mod cli;
