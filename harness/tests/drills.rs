//! Reliability drills (issue 11), run on the binary as a user would, each printing its figures
//! (`drill <name>: ...`, shown with `--nocapture`; the README's "Reliability" table quotes
//! them): results are a pure function of the manifest whatever part of the cache existed,
//! concurrent runs compute each unit once between them, `kill -9` at random moments leaves a
//! cache that `verify` passes and a rerun that gives the same bytes, corrupt entries are named
//! and never served, SIGINT and SIGTERM say what was kept and record the run, a damaged
//! inputs record is named and rewritten by the next run, a full disk stops the run naming the path, and `gc` keeps what the
//! manifests given need.
//!
//! The results compared are every file listed in a results folder's `SHA256SUMS` except
//! `run.json`, which records timings and how many units this run computed (they differ by
//! design); i.e. members.csv, pairs.csv, summary.csv, claims.csv and the figure (SVG, PNG).

mod common;

use common::harness_bin;
use harness::rng::Rng;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// relu2 as in Fig. 2 (shared inputs and initialization, full-batch Adam to convergence),
/// small: 2 SNRs × 2 sizes × 2 replicas × 4 members. With these settings a member trained in a
/// smaller batch differs in the last digits from its fit in the full batch (measured: every
/// rerun's members.csv and summary.csv differed when only the missing members were retrained).
const RELU2: &str = "\
name: drill_relu2
seed: 11
task: {kind: linear-teacher, d: 30, inputs: shared, n_test: 200}
model: {kind: relu2, width: 4, init: shared}
train: {solver: adam, lr: 0.01, max_steps: 2000, tol: 1.0e-4, window: 200}
sweep: {snr: [2, 10], n_over_p: [0.4, 1.0], replicas: 2, members: 4}
";

/// fcnn on the shipped digits: 2 label-noise levels × 2 sizes × 1 replica × 3 members.
const FCNN: &str = "\
name: drill_fcnn
seed: 12
task: {kind: classification, dataset: digits, pairing: independent-subsets, n_test: 200}
model: {kind: fcnn, width: 4, init_std: 0.1}
train: {solver: sgd, lr: 0.1, batch_size: 32, max_steps: 300, epochs: 300, decay_every: 300}
sweep: {label_noise: [0, 0.2], n_over_p: [0.2, 0.6], replicas: 1, members: 3}
alignment: {estimator: ksg, k: 3}
";

struct Drill {
    dir: tempfile::TempDir,
}

impl Drill {
    fn new(manifests: &[(&str, &str)]) -> Drill {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in manifests {
            fs::write(dir.path().join(name), text).unwrap();
        }
        Drill { dir }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn artifacts(&self) -> PathBuf {
        self.path("artifacts")
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = harness_bin();
        c.current_dir(self.dir.path())
            .arg("--quiet")
            .arg("--artifacts")
            .arg(self.artifacts())
            .args(args)
            .env("HARNESS_THREADS", "2");
        c
    }

    /// Runs a command to its end; (exit code, stdout, stderr).
    fn exec(&self, args: &[&str]) -> (i32, String, String) {
        let out = self.command(args).output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn run_ok(&self, manifest: &str) -> String {
        let (code, out, err) = self.exec(&["run", manifest]);
        assert_eq!(code, 0, "run {manifest} failed:\n{out}\n{err}");
        err
    }

    fn verify_clean(&self) -> bool {
        let (code, out, _) = self.exec(&["verify"]);
        if code != 0 {
            eprintln!("verify: {out}");
        }
        code == 0
    }

    /// The compared results files of experiment `name`, by file name.
    fn results(&self, name: &str) -> BTreeMap<String, Vec<u8>> {
        let dir = self.artifacts().join("results").join(name);
        let sums = fs::read_to_string(dir.join("SHA256SUMS")).unwrap();
        sums.lines()
            .map(|l| l.split_once("  ").unwrap().1.to_string())
            .filter(|f| f != "run.json")
            .map(|f| (f.clone(), fs::read(dir.join(&f)).unwrap()))
            .collect()
    }

    /// Every cache entry (not checksum files) with extension `ext`.
    fn entries(&self, ext: &str) -> Vec<PathBuf> {
        let mut found = Vec::new();
        for shard in fs::read_dir(self.artifacts().join("cache")).unwrap() {
            for f in fs::read_dir(shard.unwrap().path()).unwrap() {
                let p = f.unwrap().path();
                if p.extension().is_some_and(|e| e == ext) {
                    found.push(p);
                }
            }
        }
        found.sort();
        found
    }
}

fn sidecar(p: &Path) -> PathBuf {
    PathBuf::from(format!("{}.sha256", p.display()))
}

/// Drops a random subset (about a third) of `paths` with their checksums.
fn drop_some(paths: &[PathBuf], rng: &mut Rng) -> usize {
    let mut dropped = 0;
    for p in paths {
        if rng.next_u64().is_multiple_of(3) {
            fs::remove_file(p).unwrap();
            fs::remove_file(sidecar(p)).unwrap();
            dropped += 1;
        }
    }
    dropped
}

fn purity(file: &str, text: &str, name: &str) {
    let d = Drill::new(&[(file, text)]);
    d.run_ok(file);
    let truth = d.results(name);
    let (mut tried, mut identical) = (0, 0);
    for seed in 1..=3u64 {
        for what in ["members", "pairs", "both"] {
            let mut rng = Rng::new(seed * 7 + what.len() as u64);
            let mut dropped = 0;
            if what != "pairs" {
                dropped += drop_some(&d.entries("safetensors"), &mut rng);
            }
            if what != "members" {
                dropped += drop_some(&d.entries("json"), &mut rng);
            }
            d.run_ok(file);
            tried += 1;
            let same = d.results(name) == truth;
            identical += same as usize;
            assert!(
                same,
                "{name}: results differ after dropping {dropped} {what} (seed {seed})"
            );
            assert!(d.verify_clean());
        }
    }
    println!("drill purity {name}: {tried} partial-cache reruns, {identical} byte-identical");
}

#[test]
fn results_do_not_depend_on_what_was_cached_relu2() {
    purity("relu2.yaml", RELU2, "drill_relu2");
}

#[test]
fn results_do_not_depend_on_what_was_cached_fcnn() {
    purity("fcnn.yaml", FCNN, "drill_fcnn");
}

#[test]
fn concurrent_runs_compute_each_unit_once() {
    let d = Drill::new(&[("relu2.yaml", RELU2)]);
    let children: Vec<_> = (0..4)
        .map(|_| {
            d.command(&["run", "relu2.yaml"])
                .env("HARNESS_LOG_UNITS", "1")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut computed = Vec::new();
    let mut waits = 0;
    for c in children {
        let out = c.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{err}");
        computed.extend(
            err.lines()
                .filter(|l| l.starts_with("unit-computed "))
                .map(|l| l.split(' ').nth(2).unwrap().to_string()),
        );
        let waited = err
            .lines()
            .filter(|l| l.starts_with("unit-waiting "))
            .count();
        waits += waited;
        // The run's summary says so exactly when it waited (the count is of units, the log's
        // of batches, so only whether it waited is compared).
        let said = String::from_utf8_lossy(&out.stdout)
            .contains("were being computed by another process; this run waited for them");
        assert_eq!(said, waited > 0, "{}", String::from_utf8_lossy(&out.stdout));
    }
    let m = harness::manifest::Manifest::parse(RELU2, Path::new("relu2.yaml")).unwrap();
    let plan = harness::plan::plan(&m);
    let draws: usize = plan.pairs.iter().map(|p| p.draws.len()).sum();
    let units = plan.members.len() + plan.pairs.len() + draws;
    let distinct: std::collections::HashSet<_> = computed.iter().collect();
    println!(
        "drill concurrency: 4 runs, {} units computed for {units} units ({waits} waits on a lock)",
        computed.len()
    );
    assert_eq!((computed.len(), distinct.len()), (units, units));
    assert!(d.verify_clean());
}

#[test]
fn kill_9_at_random_moments_leaves_a_clean_cache_and_the_same_results() {
    let d = Drill::new(&[("relu2.yaml", RELU2)]);
    let started = std::time::Instant::now();
    d.run_ok("relu2.yaml");
    let cold_ms = started.elapsed().as_millis() as u64;
    let truth = d.results("drill_relu2");
    let mut rng = Rng::new(2026);
    let (mut tried, mut clean, mut identical) = (0, 0, 0);
    for _ in 0..10 {
        fs::remove_dir_all(d.path("artifacts/cache")).unwrap();
        let mut child = d
            .command(&["run", "relu2.yaml"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(
            rng.next_u64() % (cold_ms + 1),
        ));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        tried += 1;
        clean += d.verify_clean() as usize;
        d.run_ok("relu2.yaml");
        identical += (d.results("drill_relu2") == truth) as usize;
    }
    println!("drill kill -9: {tried} kills (cold run {cold_ms} ms), {clean} verify clean, {identical} reruns identical");
    assert_eq!((clean, identical), (tried, tried));
}

/// SIGINT and SIGTERM in the middle of a run: the run says what it kept and the command
/// that resumes, exits 130 or 143, leaves an `interrupted` record that `runs` lists and `why`
/// reads ("never finished"), a clean cache, and a rerun that resumes to the same results.
/// Piped (not a terminal), the run printed plain progress lines before the signal.
#[test]
fn sigint_and_sigterm_say_what_was_kept_record_the_run_and_resume() {
    let d = Drill::new(&[("relu2.yaml", RELU2)]);
    d.run_ok("relu2.yaml");
    let truth = d.results("drill_relu2");
    let (mut tried, mut resumed) = (0, 0);
    for (signal, code) in [("INT", 130), ("TERM", 143)] {
        fs::remove_dir_all(d.path("artifacts/cache")).unwrap();
        let mut c = harness_bin();
        c.current_dir(d.path(""))
            .args([
                "--artifacts",
                "artifacts",
                "--log-units",
                "run",
                "relu2.yaml",
            ])
            .env("HARNESS_THREADS", "1")
            .env("HARNESS_PROGRESS_SECONDS", "0.05")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = c.spawn().unwrap();
        // Signal once some units are computed (read from the unit log).
        let stderr = child.stderr.take().unwrap();
        let reader = std::thread::spawn(move || {
            use std::io::BufRead;
            let mut lines = Vec::new();
            for line in std::io::BufReader::new(stderr).lines() {
                lines.push(line.unwrap());
            }
            lines
        });
        let pid = child.id().to_string();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while fs::read_dir(d.path("artifacts/cache"))
            .map(|e| e.count())
            .unwrap_or(0)
            < 3
        {
            assert!(std::time::Instant::now() < deadline, "no unit computed");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        std::thread::sleep(std::time::Duration::from_millis(150));
        let sent = Command::new("kill")
            .args([&format!("-{signal}"), &pid])
            .status()
            .unwrap();
        assert!(sent.success());
        let status = child.wait().unwrap();
        let err = reader.join().unwrap().join("\n");
        tried += 1;
        if status.code() == Some(0) {
            // The run finished before the signal: nothing to check this time.
            continue;
        }
        assert_eq!(status.code(), Some(code), "SIG{signal}:\n{err}");
        assert!(
            err.contains(&format!(
                "interrupted by SIG{signal}: drill_relu2 (relu2.yaml)"
            )),
            "{err}"
        );
        assert!(err.contains("are kept in the cache"), "{err}");
        assert!(
            err.contains("--artifacts artifacts --log-units run relu2.yaml"),
            "{err}"
        );
        assert!(err.contains("recorded as interrupted"), "{err}");
        assert!(
            err.lines().any(|l| ["train: ", "align: ", "ties: "]
                .iter()
                .any(|p| l.starts_with(p))
                && l.contains(" units, ")),
            "no plain progress line:\n{err}"
        );
        let (_, runs, _) = d.exec(&["runs"]);
        assert!(
            runs.lines().nth(1).unwrap().contains("(interrupted)"),
            "{runs}"
        );
        let (_, why, _) = d.exec(&["why", "relu2.yaml"]);
        assert!(why.contains("was interrupted before it"), "{why}");
        assert!(d.verify_clean());
        d.run_ok("relu2.yaml");
        assert_eq!(
            d.results("drill_relu2"),
            truth,
            "SIG{signal}: the resumed run differs"
        );
        resumed += 1;
    }
    println!(
        "drill signals: {tried} sent, {resumed} interrupted runs resumed to identical results"
    );
    assert!(resumed >= 1, "every run finished before its signal");
}

#[test]
fn corrupt_entries_are_named_by_verify_and_never_served() {
    let d = Drill::new(&[("relu2.yaml", RELU2)]);
    d.run_ok("relu2.yaml");
    let truth = d.results("drill_relu2");
    let results = d.artifacts().join("results/drill_relu2");
    type Damage = fn(&Path);
    let flip: Damage = |p| {
        let mut b = fs::read(p).unwrap();
        let i = b.len() / 2;
        b[i] ^= 1;
        fs::write(p, b).unwrap();
    };
    let truncate: Damage = |p| {
        let b = fs::read(p).unwrap();
        fs::write(p, &b[..b.len() / 2]).unwrap();
    };
    let unsum: Damage = |p| fs::remove_file(sidecar(p)).unwrap();
    let resum: Damage = |p| {
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        fs::write(sidecar(p), format!("{}  {name}\n", "0".repeat(64))).unwrap()
    };
    let (member, pair) = (
        d.entries("safetensors")[0].clone(),
        d.entries("json")[0].clone(),
    );
    let cases: Vec<(&str, PathBuf, Damage)> = vec![
        ("member bit flipped", member.clone(), flip),
        ("member truncated", member.clone(), truncate),
        ("member checksum removed", member.clone(), unsum),
        ("member checksum altered", member, resum),
        ("pair bit flipped", pair.clone(), flip),
        ("pair truncated", pair.clone(), truncate),
        ("pair checksum removed", pair, unsum),
        ("summary.csv bit flipped", results.join("summary.csv"), flip),
        (
            "members.csv truncated",
            results.join("members.csv"),
            truncate,
        ),
        ("pairs.csv deleted", results.join("pairs.csv"), |p| {
            fs::remove_file(p).unwrap()
        }),
    ];
    let (mut tried, mut named, mut served) = (0, 0, 0);
    for (what, path, damage) in cases {
        damage(&path);
        tried += 1;
        let (code, out, _) = d.exec(&["verify"]);
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let ok = code == 1 && out.contains(&name);
        named += ok as usize;
        assert!(ok, "{what}: verify said\n{out}");
        d.run_ok("relu2.yaml");
        served += (d.results("drill_relu2") != truth) as usize;
        assert!(d.verify_clean(), "{what}: not repaired by the rerun");
    }
    println!("drill corruption: {tried} tried, {named} named by verify, {served} served");
    assert_eq!(served, 0);
}

/// An inputs record (`<entry>.inputs`, what `why` compares with) damaged or deleted beside a
/// valid entry: `verify` names a damaged one, and the next run, which reuses the entry,
/// writes the record again, so `verify` is clean after it and the results are unchanged.
#[test]
fn damaged_inputs_records_are_rewritten_by_the_run_that_reuses_their_entry() {
    let d = Drill::new(&[("relu2.yaml", RELU2)]);
    d.run_ok("relu2.yaml");
    let truth = d.results("drill_relu2");
    let record = |p: &Path| PathBuf::from(format!("{}.inputs", p.display()));
    let (member, pair) = (
        record(&d.entries("safetensors")[0]),
        record(&d.entries("json")[0]),
    );
    let original = (fs::read(&member).unwrap(), fs::read(&pair).unwrap());
    type Damage = fn(&Path);
    let cases: Vec<(&str, &PathBuf, Damage, bool)> = vec![
        (
            "member record bit flipped",
            &member,
            |p| {
                let mut b = fs::read(p).unwrap();
                let i = b.len() / 2;
                b[i] ^= 1;
                fs::write(p, b).unwrap();
            },
            true,
        ),
        (
            "member record truncated",
            &member,
            |p| {
                let b = fs::read(p).unwrap();
                fs::write(p, &b[..b.len() / 2]).unwrap();
            },
            true,
        ),
        (
            "member record deleted",
            &member,
            |p| fs::remove_file(p).unwrap(),
            false,
        ),
        (
            "pair record altered",
            &pair,
            |p| {
                let t = fs::read_to_string(p).unwrap();
                fs::write(p, t.replace("\"k\":3", "\"k\":4")).unwrap();
            },
            true,
        ),
        (
            "pair record deleted",
            &pair,
            |p| fs::remove_file(p).unwrap(),
            false,
        ),
    ];
    let (mut tried, mut named, mut rewritten) = (0, 0, 0);
    for (what, path, damage, verify_names) in cases {
        damage(path);
        tried += 1;
        if verify_names {
            let (code, out, _) = d.exec(&["verify"]);
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            assert!(
                code == 1 && out.contains(&name),
                "{what}: verify said\n{out}"
            );
            named += 1;
        }
        d.run_ok("relu2.yaml");
        assert!(
            d.verify_clean(),
            "{what}: verify is not clean after the rerun"
        );
        let back = (fs::read(&member).unwrap(), fs::read(&pair).unwrap());
        assert_eq!(back, original, "{what}: the record is not the original");
        rewritten += 1;
        assert_eq!(d.results("drill_relu2"), truth, "{what}");
    }
    println!("drill inputs records: {tried} damaged, {named} named by verify, {rewritten} rewritten by the next run");
}

#[test]
fn a_full_disk_stops_the_run_naming_the_path_and_a_rerun_with_space_completes() {
    let d = Drill::new(&[("relu2.yaml", RELU2)]);
    let truth = {
        let t = Drill::new(&[("relu2.yaml", RELU2)]);
        t.run_ok("relu2.yaml");
        t.results("drill_relu2")
    };
    let mnt = d.artifacts();
    fs::create_dir_all(&mnt).unwrap();
    let mount = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=24k", "tmpfs"])
        .arg(&mnt)
        .output();
    match mount {
        Ok(o) if o.status.success() => {}
        Ok(o) => {
            println!(
                "drill disk full: SKIPPED, cannot mount a tmpfs: {}",
                String::from_utf8_lossy(&o.stderr).trim()
            );
            return;
        }
        Err(e) => {
            println!("drill disk full: SKIPPED, cannot run mount: {e}");
            return;
        }
    }
    let unmount = || Command::new("umount").arg(&mnt).status().unwrap();
    let (code, out, err) = d.exec(&["run", "relu2.yaml"]);
    let clean = d.verify_clean();
    let remount = Command::new("mount")
        .args(["-o", "remount,size=64m"])
        .arg(&mnt)
        .status()
        .unwrap();
    let rerun = d.exec(&["run", "relu2.yaml"]);
    let same = rerun.0 == 0 && d.results("drill_relu2") == truth;
    unmount();
    println!(
        "drill disk full: exit {code}, error: {}",
        err.lines()
            .filter(|l| !l.starts_with("drill_"))
            .collect::<Vec<_>>()
            .join(" | ")
    );
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains("No space left on device") && err.contains(&*mnt.to_string_lossy()),
        "{err}"
    );
    assert!(clean, "a full disk left a cache that verify rejects");
    assert!(remount.success());
    assert!(same, "the rerun with space: {}", rerun.2);
}

#[test]
fn gc_keeps_what_the_manifests_need_and_waits_for_a_run() {
    let other = RELU2
        .replace("drill_relu2", "drill_other")
        .replace("seed: 11", "seed: 12");
    let d = Drill::new(&[("relu2.yaml", RELU2), ("other.yaml", &other)]);
    d.run_ok("relu2.yaml");
    d.run_ok("other.yaml");
    let before = d.entries("safetensors").len() + d.entries("json").len();
    // By default the run history's manifests are kept too: other.yaml ran, so nothing goes.
    let (code, kept, _) = d.exec(&["gc", "relu2.yaml"]);
    assert_eq!(code, 0);
    assert!(
        kept.contains(
            "0 file(s), 0 bytes, not needed by the 1 manifest(s) given, nor by the 2 \
                       manifest(s) the run history lists"
        ),
        "{kept}"
    );
    let (code, dry, _) = d.exec(&["gc", "relu2.yaml", "--forget-history", "--files"]);
    assert_eq!(code, 0);
    assert!(
        dry.contains("would remove (dry run; --delete to act)"),
        "{dry}"
    );
    assert_eq!(
        d.entries("safetensors").len() + d.entries("json").len(),
        before
    );
    let listed = dry
        .lines()
        .filter(|l| l.ends_with(" bytes") && !l.contains(':'))
        .count();
    let m = harness::manifest::Manifest::parse(&other, Path::new("other.yaml")).unwrap();
    let p = harness::plan::plan(&m);
    // Each unit of the other manifest (members, pairs, tie-breaking draws): its entry, its
    // checksum file and its inputs record.
    let draws: usize = p.pairs.iter().map(|pp| pp.draws.len()).sum();
    let units = p.members.len() + p.pairs.len() + draws;
    assert_eq!(listed, 3 * units, "{dry}");
    // Grouped by the experiment that computed each entry, with its size.
    assert!(
        dry.contains(&format!(
            "  drill_other: {units} entries ({} files), ",
            3 * units
        )),
        "{dry}"
    );
    let (_, grouped, _) = d.exec(&["gc", "relu2.yaml", "--forget-history"]);
    assert_eq!(
        grouped.lines().count(),
        2,
        "one experiment, then the total: {grouped}"
    );
    // A run of the other manifest (it must retrain what gc removes) while gc --delete works.
    fs::remove_dir_all(d.path("artifacts/results/drill_other")).unwrap();
    let running = d
        .command(&["run", "other.yaml"])
        .stderr(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(100));
    let (code, deleted, _) = d.exec(&["gc", "relu2.yaml", "--delete", "--forget-history"]);
    assert_eq!(code, 0);
    assert!(deleted.contains("removed: "), "{deleted}");
    let out = running.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(d.verify_clean());
    // Nothing relu2.yaml needs was removed: its rerun computes nothing.
    let (_, again, _) = d.exec(&["run", "relu2.yaml"]);
    assert!(
        again.contains("(0 trained,") && again.contains("(0 estimated,"),
        "{again}"
    );
    println!(
        "drill gc: dry run listed {listed} files (the other manifest's {} units, each entry, \
         its checksum and its inputs record) of {} and removed none; --delete during another \
         run: run exit 0, verify clean, the kept manifest's rerun computed 0 units",
        listed / 3,
        3 * before
    );
}
