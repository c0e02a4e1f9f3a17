//! The networks of SPEC §3, one file each, and what a classifier offers the trainer.
pub mod classifier;
pub mod cnn5;
pub mod fcnn;
pub mod linear2;
pub mod relu2;
