//! `benches/gpu/batched_scale.sh` (the GPU projection of issue 15) run here on the CPU at tiny
//! scale: the CPU binary stands in for the carried CUDA build, `DEVICE=cpu`, two tiny
//! manifests (an fcnn on the digits shape, a cnn5 on the CIFAR-10 shape: synthetic images, no
//! data set is read). The script must time both and print their projections (the fleet's CPU
//! forms here: fcnn's hand-written step, cnn5 alone through candle).

mod common;

use std::process::Command;

const FCNN: &str = "name: tiny_fcnn
seed: 1
task: {kind: classification, dataset: digits, n_test: 100}
model: {kind: fcnn, width: 4}
train: {solver: sgd, batch_size: 16, epochs: 3, patience: 2}
sweep: {label_noise: [0, 0.2], n_over_p: [0.5], replicas: 2, members: 2}
";

const CNN5: &str = "name: tiny_cnn5
seed: 1
task: {kind: classification, dataset: cifar10, n_test: 100}
model: {kind: cnn5, width: 1}
train: {solver: sgd, batch_size: 8, epochs: 2, schedule: cifar}
sweep: {label_noise: [0.1], n_over_p: [0.1], replicas: 1, members: 3}
";

#[test]
fn batched_scale_times_and_projects_each_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let carry = dir.path().join("carry");
    std::fs::create_dir(&carry).unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_harness"), carry.join("harness")).unwrap();
    let (fcnn, cnn5) = (dir.path().join("fcnn.yaml"), dir.path().join("cnn5.yaml"));
    std::fs::write(&fcnn, FCNN).unwrap();
    std::fs::write(&cnn5, CNN5).unwrap();
    let out = dir.path().join("out");
    let script = common::repo_root().join("benches/gpu/batched_scale.sh");
    let status = Command::new("bash")
        .arg(&script)
        .env("OUT", &out)
        .env("GPU_CARRY", &carry)
        .env("DEVICE", "cpu")
        .env("STEPS", "2")
        .env(
            "MANIFESTS",
            format!("{} {}", fcnn.display(), cnn5.display()),
        )
        .status()
        .expect("bash runs the script");
    let text = std::fs::read_to_string(out.join("projection.txt")).unwrap();
    assert!(status.success(), "{text}");
    for (name, model, form) in [
        ("tiny_fcnn", "fcnn", "hand-written form"),
        ("tiny_cnn5", "cnn5", "alone through candle"),
    ] {
        let step = format!("{name}: {model} on cpu: ");
        let line = text
            .lines()
            .find(|l| l.starts_with(&step))
            .unwrap_or_else(|| panic!("{text}"));
        assert!(
            line.contains(&format!("ms per member step ({form}"))
                && line.contains("tensors per step"),
            "{line}"
        );
        for what in ["alignment: ", "projected "] {
            let wanted = format!("{name}: {what}");
            assert!(text.lines().any(|l| l.starts_with(&wanted)), "{text}");
        }
    }
    // fcnn: n = 0.5·P = 0.5·(4·65 + 10·5) = 155, 10 steps an epoch, 3 epochs; 8 members.
    assert!(
        text.contains("tiny_fcnn: 8 members, 240 member steps on"),
        "{text}"
    );
    assert!(text.contains("tiny_cnn5: 3 members, "), "{text}");
}
