//! Where candle computes: the CPU by default, an NVIDIA GPU with `device: cuda` in the manifest
//! (or `harness --device cuda`) in a binary built with `--features cuda`.
//!
//! The device is part of an experiment's identity when it is not the CPU: a GPU's kernels do
//! not reproduce the CPU's floating-point results bit for bit, so its members are cached apart.

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

/// Why a build without the `cuda` feature cannot run on a GPU, and what to do.
const NO_CUDA_BUILD: &str = "this harness was built without CUDA: build it with \
    `cargo build --release --features cuda` (needs the CUDA toolkit, or \
    benches/gpu/setup_cuda_toolchain.sh) to run on an NVIDIA GPU";

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum DeviceKind {
    #[default]
    Cpu,
    /// The first CUDA GPU (`CUDA_VISIBLE_DEVICES` chooses which).
    Cuda,
}

impl DeviceKind {
    pub fn is_cpu(&self) -> bool {
        *self == DeviceKind::Cpu
    }

    /// The manifest's spelling.
    pub fn name(self) -> &'static str {
        match self {
            DeviceKind::Cpu => "cpu",
            DeviceKind::Cuda => "cuda",
        }
    }

    /// Why this build cannot use the device at all, if it cannot: checked when a manifest is
    /// loaded, so that a run asking for it stops before any work.
    pub fn unavailable(self) -> Option<&'static str> {
        match self {
            DeviceKind::Cuda if !cfg!(feature = "cuda") => Some(NO_CUDA_BUILD),
            DeviceKind::Cpu | DeviceKind::Cuda => None,
        }
    }

    /// The candle device; for CUDA, an error that says how to build with it when it is missing.
    pub fn candle(self) -> Result<candle_core::Device> {
        match self {
            DeviceKind::Cpu => Ok(candle_core::Device::Cpu),
            DeviceKind::Cuda if cfg!(feature = "cuda") => candle_core::Device::new_cuda(0).context(
                "cannot use the CUDA device: this build has CUDA, but no usable NVIDIA GPU \
                     was found (check `nvidia-smi` and CUDA_VISIBLE_DEVICES)",
            ),
            DeviceKind::Cuda => candle_core::Device::new_cuda(0)
                .context(format!("cannot use the CUDA device: {NO_CUDA_BUILD}")),
        }
    }
}
