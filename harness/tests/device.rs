//! The device is honoured or refused, the same way by every command: `--device` (or
//! `HARNESS_DEVICE`) replaces the manifest's `device` through the one loading path before the
//! manifest is validated, and a device this build cannot use stops the command with exit code 2
//! before any work.

mod common;

use common::{harness_bin, repo_root};
use harness::device::DeviceKind;
use harness::manifest::{self, AnyManifest, Overrides};
use std::path::Path;
use std::process::Output;

/// A tiny linear2 experiment that asks for the GPU in its own file.
const ON_CUDA: &str = "\
name: on_cuda
seed: 5
device: cuda
task:
  kind: linear-teacher
  d: 6
  n_test: 200
model:
  kind: linear2
sweep:
  snr: [1, 4]
  n_over_p: [0.5, 2.0]
  replicas: 2
  members: 2
";

fn harness(artifacts: &Path, args: &[&str]) -> Output {
    harness_bin()
        .current_dir(repo_root())
        .env_remove("HARNESS_DEVICE")
        .arg("--artifacts")
        .arg(artifacts)
        .args(args)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn the_override_is_applied_before_validation_and_changes_the_hash() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("on_cuda.yaml");
    std::fs::write(&path, ON_CUDA).unwrap();
    let cpu = Overrides {
        device: Some(DeviceKind::Cpu),
        ..Overrides::default()
    };
    let AnyManifest::Experiment(m) = manifest::load(&path, &cpu).unwrap() else {
        panic!("a network experiment")
    };
    assert_eq!(m.device, DeviceKind::Cpu);
    let plain = harness::manifest::Manifest::parse(
        &ON_CUDA.replace("device: cuda\n", ""),
        Path::new("x.yaml"),
    )
    .unwrap();
    assert_eq!(
        harness::plan::manifest_hash(&m),
        harness::plan::manifest_hash(&plain),
        "cpu is left out of the identity, whoever chose it"
    );
}

/// Defect 2: `claims` read the manifest without `--device`, so after a run with an override it
/// looked for the units of the manifest's own device and reported them missing.
#[test]
fn claims_plan_and_hash_honour_the_device_override_like_run() {
    let dir = tempfile::tempdir().unwrap();
    let art = dir.path().join("artifacts");
    let path = dir.path().join("on_cuda.yaml");
    std::fs::write(&path, ON_CUDA).unwrap();
    let m = path.to_str().unwrap();
    let run = harness(&art, &["--quiet", "--device", "cpu", "run", m]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    let claims = harness(&art, &["--device", "cpu", "claims", m]);
    assert_eq!(claims.status.code(), Some(0), "{}", text(&claims.stderr));
    assert!(
        text(&claims.stdout).contains("C4"),
        "{}",
        text(&claims.stdout)
    );
    let plan = harness(&art, &["--device", "cpu", "plan", "--summary", m]);
    assert!(
        text(&plan.stdout).contains("16 member units (16 cached), 8 pair units (8 cached)"),
        "{}",
        text(&plan.stdout)
    );
    let hash = harness(&art, &["--device", "cpu", "hash", m]);
    let plain = dir.path().join("plain.yaml");
    std::fs::write(&plain, ON_CUDA.replace("device: cuda\n", "")).unwrap();
    let plain_hash = harness(&art, &["hash", plain.to_str().unwrap()]);
    assert_eq!(text(&hash.stdout), text(&plain_hash.stdout));
    // The environment variable is the same override.
    let env = harness_bin()
        .current_dir(repo_root())
        .env("HARNESS_DEVICE", "cpu")
        .arg("--artifacts")
        .arg(&art)
        .args(["claims", m])
        .output()
        .unwrap();
    assert_eq!(env.status.code(), Some(0), "{}", text(&env.stderr));
}

/// Defect 1: a CPU-only build asked for cuda trained on the CPU (regression) and filed the
/// results under "cuda" hashes. Now every kind refuses, with exit code 2, before any work.
#[cfg(not(feature = "cuda"))]
#[test]
fn a_cpu_only_build_refuses_cuda_for_every_kind_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    let art = dir.path().join("artifacts");
    for (manifest, says) in [
        ("experiments/fig2_relu.yaml", "built without CUDA"),
        ("experiments/fig1_linear.yaml", "built without CUDA"),
        ("experiments/fig3_linear_vs_relu.yaml", "built without CUDA"),
        ("experiments/fig4_digits_fcnn.yaml", "built without CUDA"),
        ("experiments/estimators.yaml", "on the CPU"),
    ] {
        for command in [&["run"][..], &["plan"], &["hash"], &["claims"]] {
            if command == ["claims"] && manifest.contains("estimators") {
                continue;
            }
            let mut args = vec!["--device", "cuda"];
            args.extend(command);
            args.push(manifest);
            let out = harness(&art, &args);
            let err = text(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
            assert!(err.contains(manifest), "{args:?} names the file: {err}");
            assert!(
                err.contains("--device cuda"),
                "{args:?} names the override: {err}"
            );
            assert!(err.contains(says), "{args:?}: {err}");
            assert!(!art.exists(), "{args:?} wrote {}", art.display());
        }
    }
    // The manifest's own `device: cuda` is refused the same way, at its line.
    let path = dir.path().join("on_cuda.yaml");
    std::fs::write(&path, ON_CUDA).unwrap();
    let out = harness(&art, &["run", path.to_str().unwrap()]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("on_cuda.yaml:3: key `device`: device: cuda"),
        "{err}"
    );
    assert!(!art.exists());
}

/// On a CUDA build, linear2's closed form has no GPU path: refused with the reason, before any
/// work; gradient descent runs on the GPU.
#[cfg(feature = "cuda")]
#[test]
fn a_cuda_build_refuses_min_norm_on_the_gpu_and_trains_gd_there() {
    let dir = tempfile::tempdir().unwrap();
    let art = dir.path().join("artifacts");
    let path = dir.path().join("on_cuda.yaml");
    std::fs::write(&path, ON_CUDA).unwrap();
    let out = harness(&art, &["run", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("min-norm"),
        "{}",
        text(&out.stderr)
    );
    assert!(!art.exists());
    let gd = ON_CUDA.replace(
        "  kind: linear2\n",
        "  kind: linear2\ntrain:\n  solver: gd\n  lr: 0.05\n  max_steps: 2000\n",
    );
    std::fs::write(&path, gd).unwrap();
    let out = harness(&art, &["--quiet", "run", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}
