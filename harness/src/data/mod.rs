//! The data stage: what the networks learn from (SPEC §2), drawn from the experiment seed.
//!
//! - [`teacher`]: the linear teacher of the regression task (inputs, labels, test set).
//! - [`datasets`]: image data sets (digits, mnist, cifar10), their hub cache and their split.
//! - [`classification`]: a classification experiment's data on the device, each member's
//!   training subset and its noisy labels.
//!
//! The enums a manifest's `task:` names live here, beside the code they select: [`Dataset`],
//! [`teacher::Inputs`] and [`classification::Pairing`]. [`Input`] is what the data looks like
//! to a network, which is all the models stage needs to know of it.
pub mod classification;
pub mod datasets;
pub mod teacher;

pub use datasets::Dataset;

/// What one sample looks like to a network.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Input {
    /// A vector of `d` features (the linear teacher).
    Vector { d: usize },
    /// An image of the data set's shape.
    Images(Dataset),
}
