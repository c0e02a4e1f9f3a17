//! The machine key: everything an instruction count depends on besides the code. Two runs
//! with the same key give the same counts for the same tree; a baseline is only compared
//! with runs of its own key. Volatile values (host name, paths, time) stay out of it.

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// Environment of the benchmarked process (Gungraun clears the rest). glibc picks its string
/// functions by CPU feature and Valgrind counts each iteration of `rep movsb` (chosen on CPUs
/// with ERMS/FSRM) as an instruction: a copy-heavy bench moved by 90 % with this tunable, so
/// it is pinned. One thread for candle's matrix products (it reads `RAYON_NUM_THREADS`).
pub const BENCH_ENV: &[(&str, &str)] = &[
    ("GLIBC_TUNABLES", "glibc.cpu.hwcaps=-ERMS,-FSRM"),
    ("RAYON_NUM_THREADS", "1"),
];

/// CPU features that change which code runs (glibc's ifuncs, Valgrind's CPUID, the
/// harness's own AVX2 kernels); the others do not enter the key.
const RELEVANT_CPU_FLAGS: &[&str] = &[
    "sse4_2", "avx", "avx2", "fma", "bmi1", "bmi2", "erms", "fsrm", "avx512f", "avx512bw",
    "avx512vl",
];

/// The key and its parts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MachineKey {
    /// `<arch>-<first 12 hex digits of the parts' SHA-256>`: the baseline's file name.
    pub key: String,
    pub parts: BTreeMap<String, String>,
}

impl MachineKey {
    pub fn from_parts(parts: BTreeMap<String, String>) -> MachineKey {
        let canonical = serde_json::to_string(&parts).expect("a map of strings serializes");
        let digest = hex(&Sha256::digest(canonical.as_bytes()));
        let arch = parts.get("arch").map_or("unknown", |a| a.as_str());
        MachineKey {
            key: format!("{arch}-{}", &digest[..12]),
            parts,
        }
    }

    /// The parts of `self` that differ from `other`'s, as `name: other → self` lines.
    pub fn differences(&self, other: &MachineKey) -> Vec<String> {
        let names: std::collections::BTreeSet<&String> =
            self.parts.keys().chain(other.parts.keys()).collect();
        names
            .into_iter()
            .filter(|n| self.parts.get(*n) != other.parts.get(*n))
            .map(|n| {
                let show = |m: &MachineKey| m.parts.get(n).cloned().unwrap_or("(none)".into());
                format!("{n}: {} → {}", show(other), show(self))
            })
            .collect()
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn command_output(program: &str, args: &[&str]) -> Result<String> {
    let out = Command::new(program)
        .args(args)
        .output()
        .with_context(|| format!("cannot start `{program}` (is it installed?)"))?;
    if !out.status.success() {
        bail!(
            "`{program} {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// The version of `name` pinned in a `Cargo.lock`.
pub fn locked_version(lock: &str, name: &str) -> Option<String> {
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == format!("name = \"{name}\"") {
            let version = lines.next()?.trim();
            return version
                .strip_prefix("version = \"")
                .and_then(|v| v.strip_suffix('"'))
                .map(str::to_string);
        }
    }
    None
}

/// The relevant CPU flags of a `/proc/cpuinfo` text, sorted and comma-joined.
pub fn relevant_cpu_flags(cpuinfo: &str) -> String {
    let flags: std::collections::BTreeSet<&str> = cpuinfo
        .lines()
        .find(|l| l.starts_with("flags"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, f)| f.split_whitespace().collect())
        .unwrap_or_default();
    RELEVANT_CPU_FLAGS
        .iter()
        .filter(|f| flags.contains(*f))
        .copied()
        .collect::<Vec<_>>()
        .join(",")
}

/// Detects the key of this machine for the tree at `root`, with the Gungraun runner found at
/// `runner` (its version must equal the library's in `Cargo.lock`).
pub fn detect(root: &Path, runner: &Path) -> Result<MachineKey> {
    let lock_path = root.join("Cargo.lock");
    let lock = std::fs::read_to_string(&lock_path)
        .with_context(|| format!("cannot read {}", lock_path.display()))?;
    let gungraun = locked_version(&lock, "gungraun")
        .with_context(|| format!("{}: no `gungraun` package", lock_path.display()))?;
    let runner_version = command_output(&runner.to_string_lossy(), &["--version"])
        .with_context(|| format!("Gungraun runner {}", runner.display()))?;
    if runner_version.split_whitespace().last() != Some(gungraun.as_str()) {
        bail!(
            "{} reports `{runner_version}` but Cargo.lock pins gungraun {gungraun}: \
             install the same version (benches/install-tools.sh)",
            runner.display()
        );
    }
    let rustc = command_output("rustc", &["-vV"])?;
    let rustc_line = |prefix: &str| {
        rustc
            .lines()
            .find_map(|l| l.strip_prefix(prefix))
            .unwrap_or("?")
            .trim()
            .to_string()
    };
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").context("cannot read /proc/cpuinfo")?;
    let mut parts = BTreeMap::new();
    parts.insert("arch".into(), std::env::consts::ARCH.to_string());
    parts.insert(
        "rustc".into(),
        format!(
            "{} ({}, LLVM {})",
            rustc_line("release:"),
            rustc_line("commit-hash:"),
            rustc_line("LLVM version:")
        ),
    );
    parts.insert(
        "valgrind".into(),
        command_output("valgrind", &["--version"])?,
    );
    parts.insert(
        "glibc".into(),
        command_output("getconf", &["GNU_LIBC_VERSION"])?,
    );
    parts.insert("gungraun".into(), gungraun);
    parts.insert("cpu_features".into(), relevant_cpu_flags(&cpuinfo));
    parts.insert(
        "cargo_lock_sha256".into(),
        hex(&Sha256::digest(lock.as_bytes()))[..16].to_string(),
    );
    parts.insert(
        "bench_env".into(),
        BENCH_ENV
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(" "),
    );
    Ok(MachineKey::from_parts(parts))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(pairs: &[(&str, &str)]) -> MachineKey {
        MachineKey::from_parts(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn every_part_changes_the_key_and_is_named_in_the_differences() {
        let base = [
            ("arch", "x86_64"),
            ("glibc", "glibc 2.36"),
            ("rustc", "1.95.0"),
        ];
        let a = key(&base);
        assert!(a.key.starts_with("x86_64-") && a.key.len() == "x86_64-".len() + 12);
        assert_eq!(a, key(&base), "the key is a function of the parts");
        let b = key(&[
            ("arch", "x86_64"),
            ("glibc", "glibc 2.37"),
            ("rustc", "1.95.0"),
        ]);
        assert_ne!(a.key, b.key);
        assert_eq!(
            b.differences(&a),
            vec!["glibc: glibc 2.36 → glibc 2.37".to_string()]
        );
    }

    #[test]
    fn locked_version_reads_the_line_after_the_name() {
        let lock = "[[package]]\nname = \"gungraun-runner\"\nversion = \"9\"\n\n[[package]]\nname = \"gungraun\"\nversion = \"0.20.0\"\n";
        assert_eq!(locked_version(lock, "gungraun").as_deref(), Some("0.20.0"));
        assert_eq!(locked_version(lock, "criterion"), None);
    }

    #[test]
    fn only_relevant_cpu_flags_enter_the_key() {
        let info = "processor: 0\nflags\t\t: fpu avx2 sse4_2 ht erms avx\n";
        assert_eq!(relevant_cpu_flags(info), "sse4_2,avx,avx2,erms");
    }
}
