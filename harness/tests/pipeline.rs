//! The cache and the plan: reruns train nothing, edits rerun only what changed, corrupt entries
//! are recomputed, results are bit-identical across cold runs and thread counts.

mod common;

use common::{harness_bin, run, SMALL};
use std::fs;

#[test]
fn rerun_executes_nothing_and_a_new_snr_runs_only_new_units() {
    let dir = tempfile::tempdir().unwrap();
    let first = run(SMALL, dir.path());
    // 2 SNR × 4 sizes × 2 replicas × 3 members; 3 unordered pairs per replica.
    assert_eq!(first.stats.members_run, 48);
    assert_eq!(first.stats.pairs_run, 48);
    let again = run(SMALL, dir.path());
    assert_eq!(again.stats.units_run(), 0);
    assert_eq!(again.stats.members_reused, 48);
    let wider = run(&SMALL.replace("snr: [1, 4]", "snr: [1, 4, 9]"), dir.path());
    assert_eq!(
        wider.stats.members_run, 24,
        "only the new SNR's members train"
    );
    assert_eq!(wider.stats.pairs_run, 24);
    assert_eq!(wider.stats.members_reused, 48);
    // A new estimator setting re-estimates pairs but trains nothing.
    let k4 = run(&format!("{SMALL}alignment:\n  k: 4\n"), dir.path());
    assert_eq!(k4.stats.members_run, 0);
    assert_eq!(k4.stats.pairs_run, 48);
}

#[test]
fn corrupt_or_truncated_entries_are_recomputed_not_served() {
    let dir = tempfile::tempdir().unwrap();
    let first = run(SMALL, dir.path());
    let summary = fs::read(first.results_dir.join("summary.csv")).unwrap();
    // Truncate one member artifact and flip a byte of one pair artifact.
    let mut entries: Vec<_> = walk(&dir.path().join("cache"));
    entries.sort();
    let member = entries
        .iter()
        .find(|p| p.extension().is_some_and(|e| e == "safetensors"))
        .unwrap();
    let bytes = fs::read(member).unwrap();
    fs::write(member, &bytes[..bytes.len() / 2]).unwrap();
    let pair = entries
        .iter()
        .find(|p| p.extension().is_some_and(|e| e == "json"))
        .unwrap();
    let mut bytes = fs::read(pair).unwrap();
    bytes[5] ^= 1;
    fs::write(pair, &bytes).unwrap();

    let out = verify(dir.path());
    assert_eq!(out.status.code(), Some(1));
    let listing = String::from_utf8_lossy(&out.stdout);
    assert!(listing.contains(&member.display().to_string()), "{listing}");
    assert!(listing.contains(&pair.display().to_string()), "{listing}");

    let second = run(SMALL, dir.path());
    assert_eq!(second.stats.members_run, 1);
    assert_eq!(second.stats.pairs_run, 1);
    assert_eq!(second.stats.corrupt_recomputed, 2);
    assert_eq!(
        fs::read(second.results_dir.join("summary.csv")).unwrap(),
        summary
    );
    let out = verify(dir.path());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn verify_names_altered_and_missing_result_files() {
    let dir = tempfile::tempdir().unwrap();
    let report = run(SMALL, dir.path());
    fs::write(report.results_dir.join("claims.csv"), "edited by hand\n").unwrap();
    fs::remove_file(report.results_dir.join("pairs.csv")).unwrap();
    let out = verify(dir.path());
    assert_eq!(out.status.code(), Some(1));
    let listing = String::from_utf8_lossy(&out.stdout);
    assert!(listing.contains("claims.csv: altered"), "{listing}");
    assert!(listing.contains("pairs.csv: missing"), "{listing}");
}

#[test]
fn summary_is_bit_identical_across_cold_runs_and_thread_counts() {
    let summaries: Vec<Vec<u8>> = [1, 2, 2]
        .iter()
        .map(|&threads| {
            let dir = tempfile::tempdir().unwrap();
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let report = pool.install(|| run(SMALL, dir.path()));
            fs::read(report.results_dir.join("summary.csv")).unwrap()
        })
        .collect();
    assert_eq!(summaries[0], summaries[1], "1 vs 2 threads");
    assert_eq!(summaries[1], summaries[2], "two cold runs");
}

#[test]
fn plan_lists_units_with_their_cache_state() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("small.yaml");
    fs::write(&manifest, SMALL).unwrap();
    let plan = |dir: &std::path::Path| {
        let out = harness_bin()
            .arg("--artifacts")
            .arg(dir.join("a"))
            .arg("plan")
            .arg(&manifest)
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    };
    let before = plan(dir.path());
    // 48 members, 48 pairs, and 3 tie-breaking draws of each of the first replica's 24 pairs.
    assert_eq!(
        before.lines().filter(|l| l.contains("pending")).count(),
        96 + 72
    );
    run(SMALL, &dir.path().join("a"));
    let after = plan(dir.path());
    assert_eq!(
        after.lines().filter(|l| l.contains("cached")).count(),
        96 + 72 + 1
    );
    assert!(
        after.contains(
            "48 member units (48 cached), 48 pair units (48 cached), 72 tie-breaking draw units \
             (72 cached)"
        ),
        "{after}"
    );
}

/// `harness --artifacts DIR verify`.
fn verify(dir: &std::path::Path) -> std::process::Output {
    harness_bin()
        .args(["--artifacts"])
        .arg(dir)
        .arg("verify")
        .output()
        .unwrap()
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else if !p.to_string_lossy().ends_with(".sha256") {
            out.push(p);
        }
    }
    out
}

/// Two processes on one cache: both succeed and the cache verifies. They write identical
/// bytes, so this cannot tell an atomic write from an in-place one; that is pinned by
/// `an_entry_is_replaced_by_rename_never_written_in_place` in tests/cache_store.rs.
#[test]
fn concurrent_runs_sharing_one_cache_do_not_corrupt_it() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("small.yaml");
    fs::write(&manifest, SMALL).unwrap();
    let spawn = || {
        harness_bin()
            .args(["--quiet", "--artifacts"])
            .arg(dir.path().join("shared"))
            .arg("run")
            .arg(&manifest)
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    let (mut a, mut b) = (spawn(), spawn());
    assert!(a.wait().unwrap().success());
    assert!(b.wait().unwrap().success());
    let out = verify(&dir.path().join("shared"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let alone = run(SMALL, &dir.path().join("alone"));
    assert_eq!(
        fs::read(dir.path().join("shared/results/small/summary.csv")).unwrap(),
        fs::read(alone.results_dir.join("summary.csv")).unwrap()
    );
}
