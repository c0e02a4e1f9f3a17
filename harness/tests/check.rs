//! `harness check` through the binary, one test per promise of docs/CHECK.md: the tier is
//! chosen from the manifests and printed first; tier 1 passes a same-seed rerun at another
//! thread count and fails one member retrained with a perturbed learning rate, naming it;
//! tier 2 passes a fig1 rerun with another seed at the replicas its power analysis asks for
//! (25 a side) and does not count fig2's fragile claims;
//! tier 3 (forced) fails a reference with one point shifted far, naming it; byte-equal
//! results are "bit-identical", equal values "values identical"; `sweep.over` is checked per
//! combination; no reference is bad input naming `--against`; the margins are not part of the
//! identity; an estimator-accuracy manifest is refused as bad input.

mod common;

use common::{harness_bin, parse, repo_root, SMALL};
use std::fs;
use std::path::Path;
use std::process::Output;

fn harness(artifacts: &Path, args: &[&str]) -> Output {
    harness_bin()
        .current_dir(repo_root())
        .arg("--quiet")
        .arg("--artifacts")
        .arg(artifacts)
        .args(args)
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Writes a manifest file and runs it into `artifacts`.
fn run(manifest_text: &str, dir: &Path, artifacts: &Path) -> String {
    let path = dir.join("m.yaml");
    fs::write(&path, manifest_text).unwrap();
    let out = harness(artifacts, &["run", path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    path.to_str().unwrap().to_string()
}

/// `harness check MANIFEST --against AGAINST [MORE…]`, run with `artifacts`.
fn check_against(artifacts: &Path, manifest: &str, against: &Path, more: &[&str]) -> Output {
    let mut args = vec!["check", manifest, "--against", against.to_str().unwrap()];
    args.extend_from_slice(more);
    harness(artifacts, &args)
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        fs::copy(&p, to.join(p.file_name().unwrap())).unwrap();
    }
}

/// Runs a shipped experiment with another seed into `artifacts` and checks it against
/// `reference/<name>/`: (exit code, output).
fn rerun_with_seed(experiment: &str, seed: &str, dir: &Path) -> (Option<i32>, String) {
    let manifest =
        fs::read_to_string(repo_root().join(format!("experiments/{experiment}.yaml"))).unwrap();
    let line = manifest.lines().find(|l| l.starts_with("seed: ")).unwrap();
    let path = run(
        &manifest.replace(line, &format!("seed: {seed}")),
        dir,
        &dir.join("a"),
    );
    let out = harness(&dir.join("a"), &["check", path.as_str()]);
    (out.status.code(), text(&out))
}

#[test]
fn a_rerun_of_fig1_with_another_seed_keeps_every_v1_and_v2_claim_and_effect_at_tier_2() {
    let dir = tempfile::tempdir().unwrap();
    let (code, said) = rerun_with_seed("fig1_linear", "99", dir.path());
    // Measured (docs/CHECK.md, "Tier 2"): every claim of v1 and v2 robust on the reference
    // and the same on the rerun, their effects within the margin; v3's C2, robust on the
    // reference, reads FAIL on this rerun in only 68 % of its draws: undecided there, so the
    // verdict is INCONCLUSIVE, never FAIL.
    assert!(code == Some(0) || code == Some(3), "exit {code:?}: {said}");
    assert!(said.contains("  tier 2: other seeds"), "{said}");
    assert!(
        said.contains("seed 99") && said.contains("reference/fig1_linear"),
        "{said}"
    );
    for rules in ["v1", "v2"] {
        for claim in ["C1", "C2", "C3", "C4"] {
            let line = said
                .lines()
                .find(|l| l.trim_start().starts_with(&format!("{rules} {claim} ")))
                .unwrap_or_else(|| panic!("{rules} {claim}: {said}"));
            assert!(line.ends_with("robust, same"), "{line}");
        }
    }
    for effect in [
        "C1 level gap",
        "C2 peak contrast",
        "C3 peak contrast",
        "C3 rise",
    ] {
        assert!(
            said.contains(&format!("PASS         {effect} ")),
            "{effect}: {said}"
        );
    }
    assert!(
        said.contains("curve cce_ksg: permutation band (924 splits)"),
        "{said}"
    );
    if code == Some(3) {
        assert!(said.contains("so the rerun does not decide it"), "{said}");
    }
    // Tier 3's detail is still written: 100 points × (gen_error + ksg, kl, gaussian, exact).
    let csv = fs::read_to_string(dir.path().join("a/results/fig1_linear/check.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 100 * 5);
    let verdict = fs::read_to_string(dir.path().join("a/results/fig1_linear/check.json")).unwrap();
    assert!(verdict.contains("\"tier\": \"2\""), "{verdict}");
}

/// The design registered in docs/CHECK.md ("A fig1 rerun with another seed, with the
/// replicas it needs") before its run: fig1 as shipped at 25 replicas a side, the reference at
/// the manifest's seed, the rerun at seed 99. Measured: PASS, every claim of v1–v3 robust and
/// the same on both sides, all six effects within their margins, both curves in their bands.
/// About 2.5 min of the two cores: the only way tier 2 can say PASS for fig1 is with the
/// replicas the power analysis asks for.
#[test]
fn a_fig1_rerun_with_another_seed_at_25_replicas_a_side_passes_at_tier_2() {
    let dir = tempfile::tempdir().unwrap();
    let artifacts = dir.path();
    let manifest = "experiments/fig1_linear.yaml";
    let replicas = ["--set", "sweep.replicas=25"];
    // The reference at the manifest's own seed, in a folder of its own name; the rerun at seed 99.
    for seed in [&["--label", "reference"][..], &["--seed", "99"][..]] {
        let mut args = vec!["run", manifest];
        args.extend_from_slice(&replicas);
        args.extend_from_slice(seed);
        let out = harness(artifacts, &args);
        assert!(out.status.success(), "{}", text(&out));
    }
    let reference = artifacts.join("results/fig1_linear@reference");
    let mut args = replicas.to_vec();
    args.extend_from_slice(&["--seed", "99"]);
    let out = check_against(artifacts, manifest, &reference, &args);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(0), "{said}");
    assert!(said.contains("  tier 2: other seeds"), "{said}");
    assert!(
        said.contains("PASS fig1_linear: 12 of 12 claims robust on the reference (25 replicas"),
        "{said}"
    );
    assert!(
        said.contains("12 of them with the same verdict on the rerun (25 replicas)"),
        "{said}"
    );
    assert!(
        said.contains("6 of 6 effects of its robustly passing claims"),
        "{said}"
    );
    assert!(
        said.contains("PASS         C2 region above the ends "),
        "{said}"
    );
}

#[test]
fn a_rerun_of_fig2_with_another_seed_does_not_count_its_fragile_claims() {
    let dir = tempfile::tempdir().unwrap();
    let (code, said) = rerun_with_seed("fig2_relu", "99", dir.path());
    // At 3 replicas fig2's C3 of v1 and v2 rests on the draw of the replicas (each verdict kept in
    // fewer than 90 % of the reference's resamples); v2 C3 flips with this seed. That is
    // reported as fragile, never as a failure to reproduce.
    assert_ne!(code, Some(1), "{said}");
    assert!(said.contains("  tier 2: other seeds"), "{said}");
    let c3 = said
        .lines()
        .find(|l| l.trim_start().starts_with("v2 C3 "))
        .unwrap_or_else(|| panic!("{said}"));
    assert!(
        c3.ends_with("fragile on the reference, differs (not counted)"),
        "{c3}"
    );
    assert!(
        said.contains("fragile on the reference, so not counted: "),
        "{said}"
    );
    // C2 is robust on the reference and passes on the rerun; its effect is compared.
    let c2 = said
        .lines()
        .find(|l| l.trim_start().starts_with("v2 C2 "))
        .unwrap();
    assert!(c2.ends_with("robust, same"), "{c2}");
    assert!(said.contains("PASS         C2 peak contrast"), "{said}");
}

/// SMALL with more replicas, so that a t test has power.
fn small_with(replicas: usize) -> String {
    SMALL.replace("replicas: 2", &format!("replicas: {replicas}"))
}

#[test]
fn byte_equal_results_are_bit_identical_and_pass() {
    let dir = tempfile::tempdir().unwrap();
    let path = run(&small_with(3), dir.path(), &dir.path().join("a"));
    let reference = dir.path().join("ref");
    copy_dir(&dir.path().join("a/results/small"), &reference);
    let out = check_against(&dir.path().join("a"), &path, &reference, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("PASS small: bit-identical"),
        "{}",
        text(&out)
    );
    // One changed byte in a figure is enough to lose "bit-identical": then tier 1 compares
    // every unit and finds the values identical.
    let png = reference.join("small.png");
    let png = if png.exists() {
        png
    } else {
        reference.join("fig1.png")
    };
    let mut bytes = fs::read(&png).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    fs::write(&png, bytes).unwrap();
    let out = check_against(&dir.path().join("a"), &path, &reference, &[]);
    let said = text(&out);
    assert!(!said.contains("bit-identical"), "{said}");
    assert_eq!(out.status.code(), Some(0), "{said}");
    assert!(
        said.contains("  tier 1: same manifest and seeds elsewhere")
            && said.contains(
                "PASS small: values identical: all 216 units (72 members, 144 ordered pairs)"
            ),
        "{said}"
    );
}

#[test]
fn tier_3_fails_a_reference_with_one_point_shifted_far_naming_that_point() {
    let dir = tempfile::tempdir().unwrap();
    let path = run(&small_with(4), dir.path(), &dir.path().join("a"));
    let reference = dir.path().join("ref");
    copy_dir(&dir.path().join("a/results/small"), &reference);
    // Shift gen_error at snr 4, n = round(1.3 · 21) = 27 by +100 (it is of order 0.1–1).
    let csv = fs::read_to_string(reference.join("replicas.csv")).unwrap();
    let mut shifted = 0;
    let lines: Vec<String> = csv
        .lines()
        .map(|l| {
            let mut f: Vec<String> = l.split(',').map(String::from).collect();
            if f[0] == "4.0" && f[1] == "27" && f[6] == "gen_error" {
                f[7] = format!("{:?}", f[7].parse::<f64>().unwrap() + 100.0);
                shifted += 1;
            }
            f.join(",")
        })
        .collect();
    assert_eq!(shifted, 4, "one value per replica");
    fs::write(reference.join("replicas.csv"), lines.join("\n") + "\n").unwrap();
    let out = check_against(&dir.path().join("a"), &path, &reference, &["--tier", "3"]);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("tier 3: which points differ"), "{said}");
    assert!(
        said.contains("why: forced by --tier 3 (by the manifests it would be tier 1"),
        "{said}"
    );
    assert!(
        said.contains("FAIL small: 1 of") && said.contains("gen_error at level 4.0 n=27"),
        "{said}"
    );
}

#[test]
fn a_reference_with_too_few_replicas_is_inconclusive() {
    let dir = tempfile::tempdir().unwrap();
    run(&small_with(1), dir.path(), &dir.path().join("ref"));
    let path = run(&small_with(4), dir.path(), &dir.path().join("a"));
    let reference = dir.path().join("ref/results/small");
    let out = check_against(&dir.path().join("a"), &path, &reference, &[]);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(3), "{said}");
    assert!(said.contains("INCONCLUSIVE small"), "{said}");
    let csv = fs::read_to_string(dir.path().join("a/results/small/check.csv")).unwrap();
    assert!(
        csv.contains("too few replicas to test (run 4, reference 1)"),
        "{csv}"
    );
}

#[test]
fn check_needs_replica_values_on_both_sides_and_says_which_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let path = run(&small_with(2), dir.path(), &dir.path().join("a"));
    let empty = dir.path().join("empty");
    fs::create_dir_all(&empty).unwrap();
    let out = harness(
        &dir.path().join("a"),
        &["check", path.as_str(), "--against", empty.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("empty/replicas.csv does not exist"),
        "{}",
        text(&out)
    );
    // A run that was never made: nothing to compare.
    let out = harness(&dir.path().join("none"), &["check", path.as_str()]);
    assert!(
        text(&out).contains("replicas.csv does not exist: no results of `small`"),
        "{}",
        text(&out)
    );
}

#[test]
fn without_a_reference_check_is_bad_input_and_points_to_against() {
    let dir = tempfile::tempdir().unwrap();
    let path = run(&small_with(2), dir.path(), &dir.path().join("a"));
    let out = harness(&dir.path().join("a"), &["check", path.as_str()]);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(2), "{said}");
    assert!(
        said.contains("no reference for small: pass --against DIR"),
        "{said}"
    );
    let out = harness(
        &dir.path().join("a"),
        &["check", path.as_str(), "--against", "/nonexistent/folder"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("--against /nonexistent/folder: no such folder"),
        "{}",
        text(&out)
    );
}

/// relu2 trained by Adam (candle, members batched per replica, shared initialization): the
/// kind of training whose rounding a thread count or a device could move.
const RELU: &str = "\
name: small_relu
seed: 5
task:
  kind: linear-teacher
  d: 6
  n_test: 200
model:
  kind: relu2
  width: 3
  init: shared
train:
  solver: adam
  lr: 0.01
  max_steps: 400
  tol: 1.0e-4
  window: 50
sweep:
  snr: [2]
  n_over_p: [0.5, 1.5]
  replicas: 3
  members: 3
";

/// Runs `manifest` with `--threads threads` into `artifacts`; returns the manifest's path.
fn run_threads(manifest: &str, dir: &Path, artifacts: &Path, threads: &str) -> String {
    let path = dir.join("m.yaml");
    fs::write(&path, manifest).unwrap();
    let out = harness(
        artifacts,
        &["--threads", threads, "run", path.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", text(&out));
    path.to_str().unwrap().to_string()
}

#[test]
fn a_same_seed_rerun_at_another_thread_count_passes_at_tier_1() {
    let dir = tempfile::tempdir().unwrap();
    let path = run_threads(RELU, dir.path(), &dir.path().join("one"), "1");
    run_threads(RELU, dir.path(), &dir.path().join("three"), "3");
    let other = dir.path().join("three/results/small_relu");
    let check = |against: &Path| {
        let out = check_against(&dir.path().join("one"), &path, against, &[]);
        (out.status.code(), text(&out))
    };
    let (code, said) = check(&other);
    assert_eq!(code, Some(0), "{said}");
    assert!(
        said.contains("  tier 1: same manifest and seeds elsewhere"),
        "{said}"
    );
    assert!(said.contains("PASS small_relu: bit-identical"), "{said}");
    // The report page shows the tier beside the verdict.
    let out = harness(&dir.path().join("one"), &["report"]);
    assert!(out.status.success(), "{}", text(&out));
    let page = fs::read_to_string(dir.path().join("one/results/index.html")).unwrap();
    assert!(
        page.contains(
            "<span class=\"PASS\">PASS</span> — tier 1 (same manifest and seeds elsewhere: \
             the same values, unit by unit?): bit-identical"
        ),
        "{page}"
    );
    // The units themselves: a figure byte changed leaves every unit's values to compare.
    let copy = dir.path().join("copy");
    copy_dir(&other, &copy);
    let png = fs::read_dir(&copy)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "png"))
        .unwrap();
    let mut bytes = fs::read(&png).unwrap();
    bytes[100] ^= 1;
    fs::write(&png, bytes).unwrap();
    let (code, said) = check(&copy);
    assert_eq!(code, Some(0), "{said}");
    assert!(
        said.contains(
            "PASS small_relu: values identical: all 54 units (18 members, 36 ordered pairs)"
        ),
        "{said}"
    );
}

/// `units.csv` with the row of `unit` (its first five cells: level, n, model, replica, member,
/// then empty partner cells) taken from `donor`.
fn splice_member(target: &Path, donor: &Path, unit: &str) {
    let donor_csv = fs::read_to_string(donor.join("units.csv")).unwrap();
    let row = donor_csv
        .lines()
        .find(|l| l.starts_with(unit))
        .unwrap_or_else(|| panic!("{unit} in {donor_csv}"))
        .to_string();
    let csv = fs::read_to_string(target.join("units.csv")).unwrap();
    let mut spliced = 0;
    let lines: Vec<String> = csv
        .lines()
        .map(|l| {
            if l.starts_with(unit) {
                spliced += 1;
                row.clone()
            } else {
                l.to_string()
            }
        })
        .collect();
    assert_eq!(spliced, 1);
    fs::write(target.join("units.csv"), lines.join("\n") + "\n").unwrap();
}

#[test]
fn one_member_retrained_with_a_perturbed_learning_rate_fails_at_tier_1_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = run_threads(RELU, dir.path(), &dir.path().join("a"), "2");
    // The same manifest at lr 0.0101: every member retrained; one of them goes into a copy
    // of the run's folder (its members.csv row stays: tier 1 reads units.csv).
    let perturbed = dir.path().join("p");
    fs::create_dir_all(&perturbed).unwrap();
    run_threads(
        &RELU.replace("lr: 0.01", "lr: 0.0101"),
        &perturbed,
        &dir.path().join("b"),
        "2",
    );
    let reference = dir.path().join("ref");
    copy_dir(&dir.path().join("a/results/small_relu"), &reference);
    // Member 1 of replica 2 at n = round(1.5 · 25) = 38 (P = 3 · (6 + 2) + 1 = 25).
    let unit = "2.0,38,relu2,2,1,,,";
    splice_member(&reference, &dir.path().join("b/results/small_relu"), unit);
    let out = check_against(&dir.path().join("a"), &path, &reference, &[]);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        said.contains("  tier 1: same manifest and seeds elsewhere"),
        "{said}"
    );
    assert!(
        said.contains(
            "FAIL small_relu: 1 of 54 units (1.85 %) have a value outside the CPU ↔ CPU tolerance"
        ) && said.contains("of member 1 of replica 2 at level 2.0 n=38 relu2: run "),
        "{said}"
    );
    // Its size in seed-to-seed SDs is given, and every differing value is in check_units.csv.
    assert!(said.contains(" SD, tolerance "), "{said}");
    let units =
        fs::read_to_string(dir.path().join("a/results/small_relu/check_units.csv")).unwrap();
    assert!(
        units
            .lines()
            .skip(1)
            .all(|l| l.starts_with("2.0,38,relu2,2,1,,,")),
        "{units}"
    );
    assert!(units.lines().count() >= 2, "{units}");
}

#[test]
fn sweep_over_is_checked_per_combination_and_names_the_one_that_differs() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = small_with(2).replace(
        "  members: 3\n",
        "  members: 3\n  over:\n    task.d: [10, 20]\n",
    );
    let path = run(&manifest, dir.path(), &dir.path().join("a"));
    let reference = dir.path().join("ref");
    copy_dir(&dir.path().join("a/results/small"), &reference);
    // One member's error in the combination task.d=20, rewritten by hand (+0.5).
    let csv = fs::read_to_string(reference.join("units.csv")).unwrap();
    let mut changed = 0;
    let lines: Vec<String> = csv
        .lines()
        .enumerate()
        .map(|(i, l)| {
            let mut f: Vec<String> = l.split(',').map(String::from).collect();
            if i > 0 && changed == 0 && f[0] == "20" && f[7].is_empty() {
                f[8] = format!("{:?}", f[8].parse::<f64>().unwrap() + 0.5);
                changed += 1;
            }
            f.join(",")
        })
        .collect();
    assert_eq!(changed, 1);
    assert!(
        csv.starts_with("task.d,snr,n,model,replica,member,partner_model,partner,gen_error"),
        "{csv}"
    );
    fs::write(reference.join("units.csv"), lines.join("\n") + "\n").unwrap();
    let out = check_against(&dir.path().join("a"), &path, &reference, &[]);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        said.contains("[task.d=10]") && said.contains("  PASS [task.d=10]: values identical"),
        "{said}"
    );
    assert!(said.contains("  FAIL [task.d=20]: 1 of "), "{said}");
    assert!(
        said.contains("FAIL small: 2 combinations: 1 PASS, 1 FAIL, 0 INCONCLUSIVE; [task.d=20]"),
        "{said}"
    );
}

#[test]
fn margins_are_not_part_of_the_identity_and_bad_ones_name_their_key() {
    let plain = parse(SMALL);
    let with = parse(&format!(
        "{SMALL}check:\n  gen_error: {{rel: 0.2}}\n  cce: {{abs: 0.1}}\n"
    ));
    assert_eq!(with.check.cce.abs, Some(0.1));
    assert_eq!(
        harness::plan::manifest_hash(&plain),
        harness::plan::manifest_hash(&with)
    );
    let bad = format!("{SMALL}check:\n  cce:\n    abs: -1\n");
    let err = harness::manifest::Manifest::parse(&bad, Path::new("x.yaml")).unwrap_err();
    assert_eq!(err.key.as_deref(), Some("check.cce.abs"));
    assert_eq!(
        err.line,
        Some(bad.lines().position(|l| l.contains("abs: -1")).unwrap() + 1)
    );
}

#[test]
fn an_accuracy_manifest_has_nothing_to_check_and_is_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let out = harness(dir.path(), &["check", "experiments/estimators.yaml"]);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(2), "{said}");
    assert!(
        said.contains("experiments/estimators.yaml")
            && said.contains("is an estimator-accuracy experiment, which has no replicas"),
        "{said}"
    );
}
