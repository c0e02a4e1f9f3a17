//! The networks of SPEC §3, one file each.
pub mod linear2;
pub mod relu2;
