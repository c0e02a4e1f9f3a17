//! `harness why`: what it says will run is exactly what `harness run` then computes (the unit
//! log), and `harness plan` lists the same units as pending; each cause is named in the
//! manifest's terms; entries cached before inputs were recorded are said to be so. Exit code 0
//! when nothing would run, 1 otherwise.

mod common;

use common::harness_bin;
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

/// relu2 (members trained together in batches of 3), tiny: a run takes a second.
const RELU: &str = "\
name: why_relu
seed: 11
task:
  kind: linear-teacher
  d: 5
  n_test: 200
model:
  kind: relu2
  width: 3
train:
  solver: adam
  lr: 0.01
  max_steps: 300
sweep:
  snr: [1, 10]
  n_over_p: [0.5, 2.0]
  replicas: 2
  members: 3
";

struct Dir {
    tmp: tempfile::TempDir,
}

impl Dir {
    fn new() -> Self {
        Dir {
            tmp: tempfile::tempdir().unwrap(),
        }
    }

    fn manifest(&self, name: &str, text: &str) -> PathBuf {
        let p = self.tmp.path().join(name);
        fs::write(&p, text).unwrap();
        p
    }

    fn harness(&self, args: &[&str]) -> (i32, String, String) {
        let out = harness_bin()
            .arg("--artifacts")
            .arg(self.tmp.path().join("artifacts"))
            .arg("--quiet")
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// `why --units`: the (kind, hash) of every unit it says would run, its exit code and
    /// its whole output.
    fn why(&self, m: &Path) -> (i32, BTreeSet<(String, String)>, String) {
        let (code, out, err) = self.harness(&["why", "--units", m.to_str().unwrap()]);
        assert!(code == 0 || code == 1, "{out}{err}");
        let units = out
            .lines()
            .filter_map(|l| {
                let mut w = l.split(' ');
                let kind = w.next()?;
                ["member", "pair", "tie"]
                    .contains(&kind)
                    .then(|| (kind.to_string(), w.next().unwrap().to_string()))
            })
            .collect();
        (code, units, out)
    }

    /// `plan`: the (kind, hash) of every unit listed as pending.
    fn pending(&self, m: &Path) -> BTreeSet<(String, String)> {
        let (code, out, err) = self.harness(&["plan", m.to_str().unwrap()]);
        assert_eq!(code, 0, "{err}");
        out.lines()
            .filter(|l| l.contains(" pending "))
            .map(|l| {
                let w: Vec<&str> = l.split_whitespace().collect();
                (w[0].to_string(), w[1].to_string())
            })
            .collect()
    }

    /// `run --log-units`: the (kind, hash) of every unit it computed.
    fn run(&self, m: &Path) -> BTreeSet<(String, String)> {
        let (code, _, err) = self.harness(&["--log-units", "run", m.to_str().unwrap()]);
        assert_eq!(code, 0, "{err}");
        let lines: Vec<(String, String)> = err
            .lines()
            .filter_map(|l| {
                let w: Vec<&str> = l.split(' ').collect();
                (w[0] == "unit-computed").then(|| (w[1].to_string(), w[2].to_string()))
            })
            .collect();
        let set: BTreeSet<_> = lines.iter().cloned().collect();
        assert_eq!(set.len(), lines.len(), "a unit computed twice");
        set
    }

    /// Cache files whose name ends with `suffix`, sorted.
    fn cache_files(&self, suffix: &str) -> Vec<PathBuf> {
        let mut found = Vec::new();
        let cache = self.tmp.path().join("artifacts/cache");
        for shard in fs::read_dir(cache).unwrap() {
            for f in fs::read_dir(shard.unwrap().path()).unwrap() {
                let p = f.unwrap().path();
                if p.to_string_lossy().ends_with(suffix) {
                    found.push(p);
                }
            }
        }
        found.sort();
        found
    }
}

/// Asserts that `why` and `plan` name exactly the units the run then computes, and that the
/// run leaves nothing for `why`.
fn why_then_run(d: &Dir, m: &Path) -> String {
    let (code, said, out) = d.why(m);
    assert_eq!(code, 1, "{out}");
    assert!(!said.is_empty());
    assert_eq!(d.pending(m), said, "plan and why disagree");
    let computed = d.run(m);
    assert_eq!(
        said, computed,
        "why said one thing, run did another:\n{out}"
    );
    let (code, said, after) = d.why(m);
    assert_eq!((code, said.len()), (0, 0), "{after}");
    assert!(after.contains("nothing to run"), "{after}");
    out
}

#[test]
fn why_names_exactly_what_run_computes_with_causes_in_manifest_terms() {
    let d = Dir::new();
    let m = d.manifest("relu.yaml", RELU);
    // Cold: every unit, nothing to compare with.
    let cold = why_then_run(&d, &m);
    assert!(
        cold.starts_with("why_relu: 24 of 24 members to train — no member unit is cached yet"),
        "{cold}"
    );

    // One member entry deleted: its whole batch (a relu2 replica) trains again. One pair
    // entry corrupted: it alone is estimated again.
    let members = d.cache_files(".safetensors");
    fs::remove_file(&members[0]).unwrap();
    let pair = d.cache_files(".json")[0].clone();
    fs::write(&pair, b"{").unwrap();
    let damaged = why_then_run(&d, &m);
    for cause in [
        "3 of 24 members to train",
        "compared with run ",
        "the manifest is the same as in that run",
        "removed from the cache since run ",
        "trained again with its batch (another member of the batch is not cached) (2 members)",
        "its cache entry is corrupt",
    ] {
        assert!(damaged.contains(cause), "`{cause}` not in\n{damaged}");
    }

    // The manifest edited: a new SNR and another k.
    let edited = RELU.replace("snr: [1, 10]", "snr: [1, 10, 20]") + "alignment:\n  k: 5\n";
    let m2 = d.manifest("relu2.yaml", &edited);
    let out = why_then_run(&d, &m2);
    let summary = out.lines().next().unwrap();
    assert!(
        summary.starts_with(
            "why_relu: 12 of 36 members to train — sweep.snr gained 20 (12 members) ; 36 of 36 \
             pairs to estimate — alignment.k: 3 → 5 (24 pairs), its members are trained: \
             sweep.snr gained 20 (12 pairs)"
        ),
        "{summary}"
    );
}

/// The two examples, in a cache that holds other runs: another SNR is `gained`
/// (never "removed"), another width is the width (never `sweep.n_over_p`, though every n
/// moved with P), one line per cause however many sizes; each against the last recorded
/// run of the same file. Without any history, the nearest cached unit still does not blame
/// `sweep.n_over_p` (P is read from the units).
#[test]
fn another_snr_is_gained_and_another_width_is_the_width_in_one_line() {
    let d = Dir::new();
    let m = d.manifest("relu.yaml", RELU);
    d.run(&m);
    // Another run in the same cache: SNR 20 at width 4 (so 20 is a value the cache has).
    let other = d.manifest(
        "other.yaml",
        &RELU
            .replace("snr: [1, 10]", "snr: [20]")
            .replace("width: 3", "width: 4"),
    );
    d.run(&other);
    let m = d.manifest("relu.yaml", RELU);
    let (code, out, _) = d.harness(&["why", m.to_str().unwrap(), "--set", "sweep.snr=[1, 10, 20]"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.starts_with("why_relu: 12 of 36 members to train — sweep.snr gained 20 (12 members)"),
        "{out}"
    );
    assert!(out.contains("the last recorded run of "), "{out}");
    assert!(!out.contains("removed"), "{out}");
    let (_, out, _) = d.harness(&["why", m.to_str().unwrap(), "--set", "model.width=5"]);
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0]
            .starts_with("why_relu: 24 of 24 members to train — model.width: 3 → 5 (24 members) ;"),
        "{out}"
    );
    assert!(!out.contains("n_over_p"), "{out}");
    let members = lines
        .iter()
        .position(|l| l.trim() == "24 members to train:")
        .unwrap();
    assert_eq!(lines[members + 1].trim(), "24  model.width: 3 → 5", "{out}");
    assert!(
        !lines[members + 2].starts_with("       "),
        "one cause: {out}"
    );
    // Only the cache to go by.
    fs::remove_dir_all(d.tmp.path().join("artifacts/history")).unwrap();
    let (_, out, _) = d.harness(&["why", m.to_str().unwrap(), "--set", "model.width=5"]);
    assert!(
        out.contains("compared with the nearest cached units"),
        "{out}"
    );
    assert!(!out.contains("n_over_p"), "{out}");
    assert!(out.contains("model.width: 3 → 5"), "{out}");
}

#[test]
fn entries_cached_before_inputs_were_recorded_are_said_to_be_so() {
    let d = Dir::new();
    let m = d.manifest("relu.yaml", RELU);
    d.run(&m);
    // What a cache written before this version holds: entries without inputs records.
    let records = d.cache_files(".inputs");
    assert_eq!(records.len(), 24 + 24 + 36, "one record per entry");
    for r in &records {
        fs::remove_file(r).unwrap();
    }
    // And no run history to compare with: only the cache.
    fs::remove_dir_all(d.tmp.path().join("artifacts/history")).unwrap();
    let edited = RELU.replace("width: 3", "width: 4");
    let m2 = d.manifest("wide.yaml", &edited);
    let (code, _, out) = d.why(&m2);
    assert_eq!(code, 1);
    assert!(
        out.contains(
            "24 of 24 members to train — no cached member unit to compare with: the 24 in the \
             cache were cached before inputs were recorded"
        ),
        "{out}"
    );
    assert!(out.contains("note: "), "{out}");
    assert!(
        out.contains("compared with the nearest cached units"),
        "{out}"
    );
    // With records, the same edit is named.
    let d = Dir::new();
    let m = d.manifest("relu.yaml", RELU);
    d.run(&m);
    let m2 = d.manifest("wide.yaml", &edited);
    let (_, _, out) = d.why(&m2);
    assert!(
        out.contains("24 of 24 members to train — model.width: 3 → 4"),
        "{out}"
    );
}

#[test]
fn inputs_records_hash_to_their_entries_and_verify_checks_them() {
    let d = Dir::new();
    let m = d.manifest("relu.yaml", RELU);
    d.run(&m);
    for r in d.cache_files(".inputs") {
        let text = fs::read_to_string(&r).unwrap();
        let record: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(record["experiment"], "why_relu");
        let name = r.file_name().unwrap().to_string_lossy().into_owned();
        assert_eq!(
            harness::identity::hash_of(&record["inputs"]),
            name.split('.').next().unwrap(),
            "{name}"
        );
    }
    let (code, out, _) = d.harness(&["verify"]);
    assert_eq!(code, 0, "{out}");
    let victim = d.cache_files(".safetensors.inputs")[0].clone();
    let text = fs::read_to_string(&victim).unwrap();
    fs::write(&victim, text.replacen("\"seed\":11", "\"seed\":12", 1)).unwrap();
    let (code, out, _) = d.harness(&["verify"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("altered inputs record"), "{out}");
}
