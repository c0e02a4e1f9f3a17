//! The researcher's loop through the binary (issue 16): `--set`/`--seed` overrides (checked,
//! located and hashed like the file's values, recorded in run.json), `sweep.over` (every
//! combination's rows equal to a plain run of that combination, swept keys as the leading
//! columns, one figure row each, bad keys located), results of another manifest under the same
//! name never replaced, the run history (`harness runs`) and `harness diff`.

mod common;

use common::{harness_bin, SMALL};
use std::fs;
use std::path::Path;
use std::process::Output;

fn harness(artifacts: &Path, args: &[&str]) -> Output {
    harness_bin()
        .arg("--quiet")
        .arg("--artifacts")
        .arg(artifacts)
        .args(args)
        .output()
        .unwrap()
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn ok(o: Output) -> String {
    assert!(o.status.success(), "{}\n{}", out(&o), err(&o));
    out(&o)
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    fs::write(&p, text).unwrap();
    p.to_string_lossy().into_owned()
}

fn hash(dir: &Path, args: &[&str]) -> String {
    let mut a = vec!["hash"];
    a.extend(args);
    ok(harness(dir, &a)).trim().to_string()
}

#[test]
fn overrides_are_hashed_checked_and_recorded_like_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let art = dir.path().join("art");
    let file = write(dir.path(), "small.yaml", SMALL);
    // The same values written in the file: the same experiment.
    let edited = SMALL
        .replace("seed: 7", "seed: 9")
        .replace("replicas: 2", "replicas: 3")
        .replace("  n_test: 500\n", "  n_test: 400\n");
    let edited = write(dir.path(), "edited.yaml", &edited);
    let set = [
        "--set",
        "sweep.replicas=3",
        "--set",
        "task.n_test=400",
        "--seed",
        "9",
    ];
    let mut args = vec![file.as_str()];
    args.extend(set);
    assert_eq!(hash(&art, &args), hash(&art, &[&edited]));
    assert_ne!(hash(&art, &args), hash(&art, &[&file]));
    // Sections the file omits are created, as if written.
    let with_k = hash(&art, &[&file, "--set", "alignment.k=5"]);
    let k_file = write(
        dir.path(),
        "k.yaml",
        &format!("{SMALL}alignment:\n  k: 5\n"),
    );
    assert_eq!(with_k, hash(&art, &[&k_file]));

    // Checked like the file, and the error names the key, the value and --set, not a line.
    for (set, words) in [
        (
            "sweep.replicas=0",
            &[
                "key `sweep.replicas`",
                "replicas = 0",
                "(from --set sweep.replicas=0)",
            ][..],
        ),
        (
            "model.widht=3",
            &[
                "key `model.widht`",
                "unknown field `widht`",
                "--set model.widht=3",
            ][..],
        ),
        (
            "sweep.snr=high",
            &["key `sweep.snr`", "expected a list", "--set sweep.snr=high"][..],
        ),
    ] {
        let o = harness(&art, &["run", &file, "--set", set]);
        assert_eq!(o.status.code(), Some(2), "{set}: {}", err(&o));
        let e = err(&o);
        for w in words {
            assert!(e.contains(w), "{set}: `{w}` not in {e}");
        }
        assert!(
            e.contains("small.yaml: key"),
            "an override has no file line: {e}"
        );
    }
    assert!(!art.join("results").exists(), "bad input writes nothing");

    // Recorded in run.json, and the run is the edited file's run (a variant: in its own
    // folder, results/small/ being the file's as written).
    let args = ["run", &file, "--set", "sweep.replicas=3", "--seed", "9"];
    ok(harness(&art, &args));
    let variant = hash(&art, &args[1..]);
    let folder = art.join(format!("results/small@{}", &variant[..12]));
    let record: serde_json::Value =
        serde_json::from_slice(&fs::read(folder.join("run.json")).unwrap()).unwrap();
    assert_eq!(
        record["overrides"],
        serde_json::json!(["sweep.replicas=3", "seed=9"])
    );
    assert_eq!(record["manifest"]["seed"], 9);
    assert_eq!(record["manifest"]["sweep"]["replicas"], 3);
}

/// SMALL with `over`: two input dimensions × two k.
fn swept() -> String {
    SMALL.replace(
        "  members: 3\n",
        "  members: 3\n  over:\n    task.d: [12, 20]\n    alignment.k: [3, 5]\n",
    )
}

#[test]
fn every_sweep_combination_is_the_plain_run_of_its_values() {
    let dir = tempfile::tempdir().unwrap();
    let art = dir.path().join("art");
    let file = write(dir.path(), "swept.yaml", &swept());
    let printed = ok(harness(&art, &["run", &file]));
    assert!(printed.contains("[alignment.k=5 task.d=12]"), "{printed}");
    let results = art.join("results/small");
    let read = |dir: &Path, f: &str| fs::read_to_string(dir.join(f)).unwrap();
    for table in ["summary.csv", "members.csv", "pairs.csv", "claims.csv"] {
        let text = read(&results, table);
        let header = text.lines().next().unwrap();
        assert!(
            header.starts_with("alignment.k,task.d,"),
            "{table}: {header}"
        );
        let mut rows_seen = 0;
        for (k, d) in [("3", "12"), ("3", "20"), ("5", "12"), ("5", "20")] {
            let plain_art = dir.path().join(format!("plain-{k}-{d}"));
            let plain_file = write(dir.path(), "plain.yaml", SMALL);
            if !plain_art.exists() {
                ok(harness(
                    &plain_art,
                    &[
                        "run",
                        &plain_file,
                        "--set",
                        &format!("task.d={d}"),
                        "--set",
                        &format!("alignment.k={k}"),
                        "--label",
                        "plain",
                    ],
                ));
            }
            let plain = read(&plain_art.join("results/small@plain"), table);
            let mut plain_lines = plain.lines();
            assert_eq!(
                format!("alignment.k,task.d,{}", plain_lines.next().unwrap()),
                header,
                "{table}"
            );
            let mine: Vec<&str> = text
                .lines()
                .skip(1)
                .filter_map(|l| l.strip_prefix(&format!("{k},{d},")))
                .collect();
            let theirs: Vec<&str> = plain_lines.collect();
            assert!(!theirs.is_empty());
            assert_eq!(mine, theirs, "{table} at k={k} d={d}");
            rows_seen += mine.len();
        }
        assert_eq!(rows_seen + 1, text.lines().count(), "{table}");
    }
    // One row of panels per combination.
    let png = fs::read(results.join("fig1.png")).unwrap();
    let height = u32::from_be_bytes(png[20..24].try_into().unwrap());
    assert_eq!(height, 4 * 560);
    // The swept run is one experiment: a second run computes nothing.
    let again = ok(harness(&art, &["run", &file]));
    assert!(again.contains("(0 trained,"), "{again}");
    ok(harness(&art, &["verify"]));
    // Shard processes give the same files.
    let sharded = dir.path().join("sharded");
    ok(harness(&sharded, &["run", "--jobs", "2", &file]));
    for table in [
        "summary.csv",
        "members.csv",
        "pairs.csv",
        "claims.csv",
        "fig1.png",
    ] {
        assert_eq!(
            fs::read(sharded.join("results/small").join(table)).unwrap(),
            fs::read(results.join(table)).unwrap(),
            "{table}"
        );
    }
}

#[test]
fn bad_sweep_keys_are_located_in_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let art = dir.path().join("art");
    let line_of =
        |text: &str, needle: &str| text.lines().position(|l| l.contains(needle)).unwrap() + 1;
    for (from, to, words) in [
        (
            "task.d: [12, 20]",
            "task.dd: [12, 20]",
            &["key `task.dd`", "unknown field `dd`"][..],
        ),
        (
            "task.d: [12, 20]",
            "task.d: [12, 1]",
            &["key `task.d`", "d = 1", "task.d = 1"][..],
        ),
        (
            "task.d: [12, 20]",
            "name: [a, b]",
            &["key `sweep.over.name`", "cannot be swept"][..],
        ),
        (
            "task.d: [12, 20]",
            "task.d: [12, 12]",
            &["key `sweep.over.task.d`", "repeats"][..],
        ),
    ] {
        let text = swept().replace(from, to);
        let file = write(dir.path(), "bad.yaml", &text);
        let o = harness(&art, &["run", &file]);
        assert_eq!(o.status.code(), Some(2), "{to}: {}", err(&o));
        let e = err(&o);
        let line = line_of(&text, to);
        assert!(
            e.contains(&format!("bad.yaml:{line}:")),
            "{to}: line {line} not in {e}"
        );
        for w in words {
            assert!(e.contains(w), "{to}: `{w}` not in {e}");
        }
    }
}

#[test]
fn another_manifest_under_a_name_never_replaces_its_results_and_runs_are_listed_and_diffed() {
    let dir = tempfile::tempdir().unwrap();
    let art = dir.path().join("art");
    let file = write(dir.path(), "small.yaml", SMALL);
    let plain = art.join("results/small");
    // A --seed variant run first, in a fresh folder, does not take results/small/: that
    // belongs to the manifest as written in the file.
    let seeded_hash = hash(&art, &[&file, "--seed", "8"]);
    let first = ok(harness(&art, &["run", &file, "--seed", "8"]));
    let beside = art.join(format!("results/small@{}", &seeded_hash[..12]));
    assert!(first.contains(&format!("{}/", beside.display())), "{first}");
    assert!(
        first.contains("results/small/ belongs to the manifest as written"),
        "{first}"
    );
    assert!(!plain.exists());
    let summary_b = fs::read(beside.join("summary.csv")).unwrap();
    let second = ok(harness(&art, &["run", &file]));
    assert!(
        second.contains(&format!("{}/", plain.display())),
        "{second}"
    );
    assert!(!second.contains("note:"), "{second}");
    let summary_a = fs::read(plain.join("summary.csv")).unwrap();
    assert_ne!(summary_a, summary_b);
    // Each finds its own folder again; a label is a folder of its own.
    let third = ok(harness(&art, &["run", &file, "--seed", "8"]));
    assert!(third.contains(&format!("{}/", beside.display())), "{third}");
    assert_eq!(fs::read(plain.join("summary.csv")).unwrap(), summary_a);
    assert_eq!(fs::read(beside.join("summary.csv")).unwrap(), summary_b);
    let labelled = ok(harness(
        &art,
        &["run", &file, "--seed", "8", "--label", "s8"],
    ));
    assert!(labelled.contains(&format!("{}/", art.join("results/small@s8").display())));
    assert_eq!(
        fs::read(art.join("results/small@s8/summary.csv")).unwrap(),
        summary_b
    );
    ok(harness(&art, &["verify"]));

    // Four runs recorded, newest first; `runs` matches the start of a name.
    let id = |printed: &str| {
        printed
            .lines()
            .find_map(|l| l.trim().strip_prefix("run "))
            .and_then(|l| l.split_whitespace().next())
            .unwrap()
            .to_string()
    };
    // a: the manifest as written; b: the seeded variant.
    let (b, a, c, d) = (id(&first), id(&second), id(&third), id(&labelled));
    let listing = ok(harness(&art, &["runs", "sm"]));
    let lines: Vec<&str> = listing.lines().collect();
    assert_eq!(lines.len(), 5, "{listing}");
    assert!(lines[0].starts_with("run "), "{listing}");
    for (line, run) in lines[1..].iter().zip([&d, &c, &a, &b]) {
        assert!(line.starts_with(run.as_str()), "{listing}");
    }
    assert!(
        lines[4].contains("seed=8") && lines[4].contains(&seeded_hash[..12]),
        "{listing}"
    );
    assert!(ok(harness(&art, &["runs", "other"])).starts_with("no runs"));
    let record: serde_json::Value =
        serde_json::from_slice(&fs::read(art.join(format!("history/{b}.json"))).unwrap()).unwrap();
    for field in [
        "time",
        "host",
        "harness_version",
        "command",
        "git_commit",
        "git_dirty",
    ] {
        assert!(record.get(field).is_some(), "{field} in {record}");
    }
    assert_eq!(record["manifest_sha256"], seeded_hash.as_str());

    // The diff: the manifest by key, and each point B − A with its standard error.
    let diff = ok(harness(&art, &["diff", &a, &b]));
    assert!(diff.contains("manifest: 1 key(s) differ"), "{diff}");
    assert!(diff.lines().any(|l| l.trim() == "seed  7 → 8"), "{diff}");
    let summary = |dir: &Path| -> Vec<Vec<String>> {
        let text = fs::read_to_string(dir.join("summary.csv")).unwrap();
        text.lines()
            .map(|l| l.split(',').map(String::from).collect())
            .collect()
    };
    let (sa, sb) = (summary(&plain), summary(&beside));
    let col = |name: &str| sa[0].iter().position(|h| h == name).unwrap();
    let (m, se) = (col("gen_error_mean"), col("gen_error_se"));
    let num = |s: &String| s.parse::<f64>().unwrap();
    let point_lines: Vec<&str> = diff
        .lines()
        .filter(|l| l.trim_start().starts_with("snr="))
        .collect();
    assert_eq!(point_lines.len(), sa.len() - 1, "{diff}");
    for (i, line) in point_lines.iter().enumerate() {
        let d = num(&sb[i + 1][m]) - num(&sa[i + 1][m]);
        let s = (num(&sa[i + 1][se]).powi(2) + num(&sb[i + 1][se]).powi(2)).sqrt();
        let want = format!("{d:+.4} ± {s:.4}");
        assert!(line.contains(&want), "point {i}: `{want}` not in `{line}`");
    }
    // A manifest file names the same run as its id.
    let by_file = ok(harness(&art, &["diff", &file, &b]));
    assert_eq!(
        by_file.lines().skip(2).collect::<Vec<_>>(),
        diff.lines().skip(2).collect::<Vec<_>>()
    );
    let unknown = harness(&art, &["diff", "nosuchrun", &b]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(
        err(&unknown).contains("no run `nosuchrun`"),
        "{}",
        err(&unknown)
    );
}

/// A small accuracy grid: Clayton pairs at 1 + 1 dims, where `tcopula`'s misspecified fit is
/// worse than `ksg` in some cells (SPEC §4.C), three data sets a cell.
const ACCURACY: &str = "kind: estimator-accuracy
name: acc
seed: 11
estimators: [ksg, gaussian, tcopula]
k: 3
grid:
  - n: [500, 1000]
    dims: [1]
    rho: [0.3, 0.6, 0.9]
    families: [clayton]
    seeds: 3
figure: {families: [clayton], rho: 0.6}
";

/// `harness diff` of two estimator-accuracy runs (SPEC §4.F): cell by cell, each run's
/// verdict counts as its own `versus.csv` gives them, the cells of the verdicts with
/// `--cells`, a results folder as a side, and a network run against an accuracy run refused.
#[test]
fn two_accuracy_runs_are_diffed_cell_by_cell_and_their_verdicts_set_side_by_side() {
    let dir = tempfile::tempdir().unwrap();
    let art = dir.path().join("art");
    let a = write(dir.path(), "a.yaml", ACCURACY);
    let b = write(
        dir.path(),
        "b.yaml",
        &ACCURACY
            .replace("name: acc", "name: acc_b")
            .replace("seed: 11", "seed: 12")
            .replace("seeds: 3", "seeds: 4"),
    );
    ok(harness(&art, &["run", &a]));
    ok(harness(&art, &["run", &b]));
    let said = ok(harness(&art, &["diff", &a, &b]));
    assert!(said.contains("manifest: 3 key(s) differ"), "{said}");
    assert!(
        said.contains("cells: 6 in both runs (0 in A only, 0 in B only)"),
        "{said}"
    );
    // Each run's counts in the diff are those of its own versus.csv.
    let versus = |name: &str| -> Vec<Vec<String>> {
        let text = fs::read_to_string(art.join("results").join(name).join("versus.csv")).unwrap();
        text.lines()
            .skip(1)
            .map(|l| l.split(',').map(String::from).collect())
            .collect()
    };
    let (va, vb) = (versus("acc"), versus("acc_b"));
    assert_eq!(va.len(), 2 * 3);
    for (ra, rb) in va.iter().zip(&vb) {
        let line = said
            .lines()
            .find(|l| {
                let w: Vec<&str> = l.split_whitespace().collect();
                w.len() == 10 && w[0] == ra[0] && w[1] == ra[1] && w[2] == ra[2]
            })
            .unwrap_or_else(|| panic!("no verdict row for {ra:?}\n{said}"));
        let w: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(w[3], "6", "{line}");
        assert_eq!((w[4], w[5]), (ra[4].as_str(), rb[4].as_str()), "{line}");
        assert_eq!((w[7], w[8]), (ra[5].as_str(), rb[5].as_str()), "{line}");
        let both: usize = w[6].parse().unwrap();
        assert!(both <= ra[4].parse().unwrap() && both <= rb[4].parse().unwrap());
    }
    // Some verdict to list: tcopula on Clayton pairs.
    let worse: usize = va.iter().map(|r| r[4].parse::<usize>().unwrap()).sum();
    assert!(worse > 0, "{va:?}");
    let verdict_ends =
        |l: &&str| l.ends_with("held") || l.ends_with("A only") || l.ends_with("B only");
    let cells = ok(harness(&art, &["diff", &a, &b, "--cells"]));
    let listed: Vec<&str> = cells
        .lines()
        .filter(|l| l.contains("clayton 1+1 N="))
        .filter(verdict_ends)
        .collect();
    assert!(!listed.is_empty(), "{cells}");
    assert!(said.contains("(--cells lists the cells)"), "{said}");
    assert!(!said.lines().any(|l| verdict_ends(&l)), "{said}");
    // A results folder is a side; it has its run record, so the manifests are compared.
    let folder = art.join("results/acc");
    let same = ok(harness(&art, &["diff", folder.to_str().unwrap(), &a]));
    assert!(same.contains("manifest: identical"), "{same}");
    assert!(same.contains("0 (0.0 %)"), "{same}");
    // A network run and an accuracy run are not compared.
    let small = write(dir.path(), "small.yaml", SMALL);
    ok(harness(&art, &["run", &small]));
    let refused = harness(&art, &["diff", &small, &a]);
    assert!(!refused.status.success());
    assert!(
        err(&refused).contains("is an estimator-accuracy run")
            && err(&refused).contains("accuracy.csv exists"),
        "{}",
        err(&refused)
    );
}

/// SPEC §4.F's table of verdicts (worse in run A, in run B, in both) is what `harness diff`
/// reads off the two committed runs, the reference folders as sides.
#[test]
fn the_committed_recheck_reads_as_spec_4f_says() {
    assert_committed_verdicts(
        "estimators_full",
        "estimators_recheck",
        &[
            ("tcopula-matched", "best", "22 32 11 40 63 28"),
            ("tcopula-matched", "ksg", "8 11 2 10 11 5"),
            ("tcopula", "best", "39 47 31 39 40 32"),
            ("ksg-tref", "best", "47 46 21 88 128 79"),
            ("ksg-tref", "ksg", "8 12 1 18 29 7"),
        ],
    );
}

/// SPEC §4.G's table: `tcopula-pooled`'s findings on runs B′ and C, `tcopula-matched`'s on B
/// and C, as `harness diff` reads them off the committed runs; and B′ is B (its established
/// estimators' rows are the recheck's, byte for byte).
#[test]
fn the_committed_pooled_runs_read_as_spec_4g_says() {
    assert_committed_verdicts(
        "estimators_pooled_on_recheck",
        "estimators_pooled",
        &[
            ("tcopula-pooled", "best", "22 18 4 73 77 52"),
            ("tcopula-pooled", "ksg", "11 8 4 11 13 8"),
        ],
    );
    assert_committed_verdicts(
        "estimators_recheck",
        "estimators_pooled",
        &[
            ("tcopula-matched", "best", "32 25 14 63 61 39"),
            ("tcopula-matched", "ksg", "11 8 4 11 13 8"),
        ],
    );
    let rows_of = |run: &str, estimator: &str| -> Vec<String> {
        let path = common::repo_root()
            .join("reference")
            .join(run)
            .join("accuracy.csv");
        let text = std::fs::read_to_string(path).unwrap();
        let tag = format!(",{estimator},3,");
        text.lines()
            .filter(|l| l.contains(&tag))
            .map(String::from)
            .collect()
    };
    for estimator in ["ksg", "kl", "gaussian"] {
        let b = rows_of("estimators_recheck", estimator);
        assert_eq!(b.len(), 2 * 329, "{estimator}");
        assert_eq!(rows_of("estimators_pooled_on_recheck", estimator), b);
    }
}

/// `harness diff reference/<a> reference/<b>` over the full grid's 329 cells, and its verdict
/// counts for CCE(A|B) (|bias| A, B, both; RMSE A, B, both) per (candidate, against).
fn assert_committed_verdicts(a: &str, b: &str, quoted: &[(&str, &str, &str)]) {
    let dir = tempfile::tempdir().unwrap();
    let root = common::repo_root();
    let folder = |name: &str| root.join("reference").join(name).display().to_string();
    let said = ok(harness(dir.path(), &["diff", &folder(a), &folder(b)]));
    assert!(
        said.contains("cells: 329 in both runs (0 in A only, 0 in B only)"),
        "{said}"
    );
    for &(candidate, against, counts) in quoted {
        let row = said
            .lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>())
            .find(|w| w.len() == 10 && w[..3] == [candidate, "cce_a_given_b", against])
            .unwrap_or_else(|| panic!("no row {candidate} {against}\n{said}"));
        assert_eq!((row[3], row[4..].join(" ")), ("329", counts.to_string()));
    }
}
