//! Tier 1's tolerances: how far one unit's value may move between two runs of the same
//! manifest and seeds, by the devices they ran on and the kind of quantity (docs/CHECK.md,
//! "Tier 1", gives the measurements behind each number).
//!
//! - **Both on CPUs.** One machine gives bit-identical values whatever the thread count,
//!   shards or cache history (the project's determinism rule; measured again for this tier).
//!   On another x86-64 host candle's matrix products take the same kernel (gemm's FMA path,
//!   chosen at run time when the CPU has FMA, as every x86-64 CPU since 2013 has) and the
//!   project's own f64 code fixes its summation order, so the values are expected to agree
//!   to the last bits; the tolerance, 1e-9 relative (1e-12 absolute), is the one
//!   `tests/linear2.rs` allows Fig. 1's summary between processors. Counts (steps, labels
//!   changed) must be equal.
//! - **A GPU on either side.** Other kernels round differently. The recorded H200 runs (CUDA
//!   13.0, `benches/gpu/cross_device.sh`, not re-measured since) agreed to: classification
//!   errors identical, training loss within 2.9e-6, CCE within 3e-6 nats; `relu2` and
//!   `linear2` by `gd`: generalization error within 3.6e-15, and `linear2`'s steps within 33
//!   of about 1500 (its stopping rule reads a training loss near 1e-30). The tolerances are
//!   about 30 times those deviations: 1e-4 absolute and relative for every value, 5 % for
//!   steps.

use crate::manifest::margins::Margin;

/// Which devices the two runs used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DevicePair {
    /// Both on CPUs.
    Cpus,
    /// A GPU on at least one side.
    Gpu,
}

impl DevicePair {
    /// From the two sides' device names (`cpu`, `cuda`).
    pub fn of(run: &str, reference: &str) -> DevicePair {
        if run == "cpu" && reference == "cpu" {
            DevicePair::Cpus
        } else {
            DevicePair::Gpu
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            DevicePair::Cpus => "CPU ↔ CPU",
            DevicePair::Gpu => "CPU ↔ GPU",
        }
    }
}

/// Counts of a member: equal or not (CPUs), within a share (GPU).
fn is_count(quantity: &str) -> bool {
    matches!(quantity, "steps" | "labels_changed")
}

/// The tolerance of one quantity (`gen_error`, `train_loss`, `steps`, `cce_ksg`, …) between
/// two runs on these devices: the larger of its absolute and relative parts applies.
pub fn tolerance(devices: DevicePair, quantity: &str) -> Margin {
    let m = |abs: f64, rel: f64| Margin {
        abs: Some(abs),
        rel: Some(rel),
    };
    match (devices, is_count(quantity)) {
        (DevicePair::Cpus, true) => m(0.0, 0.0),
        (DevicePair::Cpus, false) => m(1e-12, 1e-9),
        (DevicePair::Gpu, true) => m(0.0, 0.05),
        (DevicePair::Gpu, false) => m(1e-4, 1e-4),
    }
}

/// The tolerances of a device pair, as the output states them.
pub fn describe(devices: DevicePair) -> String {
    let part = |m: Margin| {
        let (abs, rel) = (m.abs.unwrap_or(0.0), m.rel.unwrap_or(0.0));
        match (abs > 0.0, rel > 0.0) {
            (false, false) => "0 (equal)".to_string(),
            (true, false) => format!("{abs:e}"),
            (false, true) => format!("{rel:e} relative"),
            (true, true) => format!("{abs:e} or {rel:e} relative, the larger"),
        }
    };
    format!(
        "{}: values within {}; counts within {}",
        devices.name(),
        part(tolerance(devices, "gen_error")),
        part(tolerance(devices, "steps"))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpus_allow_last_bits_and_no_count_change_a_gpu_allows_more() {
        let cpu = DevicePair::of("cpu", "cpu");
        assert_eq!(cpu, DevicePair::Cpus);
        assert_eq!(DevicePair::of("cuda", "cpu"), DevicePair::Gpu);
        assert_eq!(tolerance(cpu, "gen_error").at(2.0), 2e-9);
        assert_eq!(tolerance(cpu, "cce_ksg").at(0.0), 1e-12);
        assert_eq!(tolerance(cpu, "steps").at(1500.0), 0.0);
        assert_eq!(tolerance(DevicePair::Gpu, "steps").at(1500.0), 75.0);
        assert_eq!(tolerance(DevicePair::Gpu, "cce_ksg").at(-0.2), 1e-4);
        assert_eq!(
            describe(cpu),
            "CPU ↔ CPU: values within 1e-12 or 1e-9 relative, the larger; counts within 0 (equal)"
        );
        assert!(describe(DevicePair::Gpu).ends_with("counts within 5e-2 relative"));
    }
}
