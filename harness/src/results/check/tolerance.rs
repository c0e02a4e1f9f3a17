//! Tier 1's tolerances: how far one unit's value may move between two runs of the same
//! manifest and seeds, by the devices they ran on and the kind of quantity (docs/CHECK.md,
//! "Tier 1", gives the measurements behind each number).
//!
//! - **Both on CPUs.** One machine gives bit-identical values whatever the thread count,
//!   shards or cache history (the project's determinism rule; measured again for this tier:
//!   1 and 2 threads, bit-identical). On another x86-64 host candle's matrix products take
//!   the same kernel (gemm's FMA path, chosen at run time on every x86-64 CPU with FMA) and
//!   the project's own f64 code fixes its summation order, so the values are expected to
//!   agree to the last bits: the tolerance is the manifest's `check.deterministic` (default
//!   1e-9 relative, 1e-12 absolute, what `tests/linear2.rs` allows Fig. 1's summary between
//!   processors), and counts (steps, epochs, labels changed, dead units) must be equal. A host
//!   whose kernels round differently (another architecture) moves training like a one-ulp
//!   change of the learning rate, measured here: `relu2` by Adam, 46 of 576 members of fig2
//!   stop at another step (up to 172 of ~1100); ask tier 2 there, or raise
//!   `check.deterministic`.
//! - **A GPU on either side.** Other kernels round differently. The recorded H200 runs (CUDA
//!   13.0, `benches/gpu/cross_device.sh`, not re-measured since) agreed to: classification
//!   errors identical, training loss within 2.9e-6, CCE within 3e-6 nats; `relu2` and
//!   `linear2` by `gd`: generalization error within 3.6e-15, and `linear2`'s steps within 33
//!   of about 1500. The tolerances are about 30 times those deviations: 1e-4 absolute and
//!   relative for every value; counts within 25 %, above the 16 % by which a one-ulp change
//!   of the learning rate moved Adam's plateau stop on the CPU (the stopping rule reads a
//!   plateau, where a last-bit change moves the step at which it is seen).

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

/// Counts of a member: equal on CPUs, within a share on a GPU.
fn is_count(quantity: &str) -> bool {
    matches!(
        quantity,
        "steps" | "epochs" | "labels_changed" | "dead_units"
    )
}

/// The tolerance of one quantity (`gen_error`, `train_loss`, `steps`, `cce_ksg`, …) between
/// two runs on these devices, `deterministic` being the manifest's `check.deterministic`:
/// the larger of its absolute and relative parts applies.
pub fn tolerance(devices: DevicePair, quantity: &str, deterministic: &Margin) -> Margin {
    let m = |abs: f64, rel: f64| Margin {
        abs: Some(abs),
        rel: Some(rel),
    };
    match (devices, is_count(quantity)) {
        (DevicePair::Cpus, true) => m(0.0, 0.0),
        (DevicePair::Cpus, false) => *deterministic,
        (DevicePair::Gpu, true) => m(0.0, 0.25),
        (DevicePair::Gpu, false) => m(1e-4, 1e-4),
    }
}

/// The tolerances of a device pair, as the output states them.
pub fn describe(devices: DevicePair, deterministic: &Margin) -> String {
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
        part(tolerance(devices, "gen_error", deterministic)),
        part(tolerance(devices, "steps", deterministic))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpus_allow_last_bits_and_no_count_change_a_gpu_allows_more() {
        let d = crate::manifest::margins::CheckMargins::default().deterministic;
        let cpu = DevicePair::of("cpu", "cpu");
        assert_eq!(cpu, DevicePair::Cpus);
        assert_eq!(DevicePair::of("cuda", "cpu"), DevicePair::Gpu);
        assert_eq!(tolerance(cpu, "gen_error", &d).at(2.0), 2e-9);
        assert_eq!(tolerance(cpu, "cce_ksg", &d).at(0.0), 1e-12);
        assert_eq!(tolerance(cpu, "steps", &d).at(1500.0), 0.0);
        assert_eq!(tolerance(cpu, "labels_changed", &d).at(3.0), 0.0);
        assert_eq!(tolerance(DevicePair::Gpu, "steps", &d).at(1000.0), 250.0);
        assert_eq!(tolerance(DevicePair::Gpu, "cce_ksg", &d).at(-0.2), 1e-4);
        // The manifest's check.deterministic sets the CPU values' tolerance.
        let raised = Margin {
            abs: Some(1e-6),
            rel: None,
        };
        assert_eq!(tolerance(cpu, "train_loss", &raised).at(5.0), 1e-6);
        assert_eq!(
            describe(cpu, &d),
            "CPU ↔ CPU: values within 1e-12 or 1e-9 relative, the larger; counts within 0 (equal)"
        );
        assert!(describe(DevicePair::Gpu, &d).ends_with("counts within 2.5e-1 relative"));
    }
}
