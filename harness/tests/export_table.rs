//! `harness export` and `harness table` through the binary: an exported pair's members give
//! its `pairs.csv` values exactly with `harness cce --seed <tie_seed>` (ReLU members, whose
//! representations are full of tied zeros, so the seed matters); an exported member's tensors
//! are the cache entry's, in CSV and NPY; the table shows the summary's numbers.

mod common;

use common::harness_bin;
use harness::representations::MemberResult;
use std::fs;
use std::path::Path;
use std::process::Output;

/// A tiny relu2 experiment: width 3 on d = 6, many dead (zero) outputs.
const RELU: &str = "name: tiny_relu
seed: 3
task: {kind: linear-teacher, d: 6, n_test: 200}
model: {kind: relu2, width: 3}
train: {solver: adam, lr: 0.02, max_steps: 300, tol: 1.0e-4, window: 20}
sweep: {snr: [2], n_over_p: [0.5, 2.0], replicas: 2, members: 3}
";

fn harness(dir: &Path, args: &[&str]) -> Output {
    harness_bin()
        .current_dir(dir)
        .args(["--quiet", "--artifacts", "art"])
        .args(args)
        .output()
        .unwrap()
}

fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The rows of a CSV as maps from column to cell.
fn rows(path: &Path) -> Vec<std::collections::BTreeMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header = r.headers().unwrap().clone();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            header
                .iter()
                .zip(rec.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

fn ran() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("m.yaml"), RELU).unwrap();
    ok(harness(dir.path(), &["run", "m.yaml"]));
    dir
}

#[test]
fn an_exported_pair_reproduces_its_pairs_csv_values_with_the_recorded_seed() {
    let dir = ran();
    let d = dir.path();
    let pairs = rows(&d.join("art/results/tiny_relu/pairs.csv"));
    let n = &pairs[0]["n"];
    let selector = format!("snr=2,n={n},replica=1,member_a=2,member_b=0");
    ok(harness(
        d,
        &["export", "m.yaml", "--pair", &selector, "--out", "pair"],
    ));
    let record: serde_json::Value =
        serde_json::from_slice(&fs::read(d.join("pair/pair.json")).unwrap()).unwrap();
    let seed = record["tie_seed"].as_u64().unwrap().to_string();
    // The pair unit is (member 0, member 2): a.csv is member 0.
    assert_eq!(
        record["members"]["a"]["label"],
        format!("snr=2 n={n} replica=1 member=0")
    );
    let row = |a: &str, b: &str, est: &str| {
        pairs
            .iter()
            .find(|r| {
                r["n"] == *n
                    && r["replica"] == "1"
                    && r["member_a"] == a
                    && r["member_b"] == b
                    && r["estimator"] == est
            })
            .unwrap()
            .clone()
    };
    let bits = |s: &str| s.trim().parse::<f64>().unwrap().to_bits();
    let mut seed_matters = false;
    for est in ["ksg", "kl", "gaussian"] {
        let forward = row("0", "2", est);
        assert_eq!(
            forward["tie_seed"], seed,
            "pairs.csv records the pair's seed"
        );
        let cce = |seed: &str| {
            ok(harness(
                &d.join("pair"),
                &["cce", "a.csv", "b.csv", "--estimator", est, "--seed", seed],
            ))
        };
        assert_eq!(bits(&cce(&seed)), bits(&forward["cce"]), "{est}: CCE(a|b)");
        seed_matters |= bits(&cce("0")) != bits(&forward["cce"]);
        // The swapped row is the second line of `align`.
        let both = ok(harness(
            &d.join("pair"),
            &[
                "align",
                "a.csv",
                "b.csv",
                "--estimator",
                est,
                "--seed",
                &seed,
            ],
        ));
        let b_given_a = both
            .lines()
            .nth(1)
            .unwrap()
            .strip_prefix("CCE(B|A)\t")
            .unwrap();
        assert_eq!(
            bits(b_given_a),
            bits(&row("2", "0", est)["cce"]),
            "{est}: CCE(b|a)"
        );
    }
    assert!(
        seed_matters,
        "the members have tied values: another seed gives another CCE"
    );
    // The command lines in pair.json are the ones just run.
    assert_eq!(
        record["estimates"]["ksg"]["reproduce"]["cce_a_given_b"],
        format!("harness cce a.csv b.csv --estimator ksg --k 3 --seed {seed}")
    );
}

/// Reads an `.npy` file of f64 (format 1.0): its shape and values.
fn read_npy(bytes: &[u8]) -> (Vec<usize>, Vec<f64>) {
    assert_eq!(&bytes[..8], b"\x93NUMPY\x01\x00");
    let len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    let header = std::str::from_utf8(&bytes[10..10 + len]).unwrap();
    assert!(
        header.contains("'descr': '<f8', 'fortran_order': False"),
        "{header}"
    );
    let dims = header.split("'shape': (").nth(1).unwrap();
    let shape = dims[..dims.find(')').unwrap()]
        .split(',')
        .filter_map(|d| d.trim().parse().ok())
        .collect();
    let values = bytes[10 + len..]
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
        .collect();
    (shape, values)
}

#[test]
fn an_exported_member_holds_the_cache_entry_s_tensors_in_csv_and_npy() {
    let dir = ran();
    let d = dir.path();
    let members = rows(&d.join("art/results/tiny_relu/members.csv"));
    let unit = &members[5]["unit"];
    let selector = &unit[..10];
    ok(harness(
        d,
        &["export", "m.yaml", "--member", selector, "--out", "csv"],
    ));
    ok(harness(
        d,
        &[
            "export", "m.yaml", "--member", selector, "--format", "npy", "--out", "npy",
        ],
    ));
    let entry = fs::read(d.join(format!("art/cache/{}/{unit}.safetensors", &unit[..2]))).unwrap();
    let cached = MemberResult::decode(&entry).unwrap();
    let record: serde_json::Value =
        serde_json::from_slice(&fs::read(d.join("npy/member.json")).unwrap()).unwrap();
    assert_eq!(record["unit"], unit.as_str());
    assert_eq!(record["metrics"]["steps"], cached.steps);
    let mut tensors = vec![(
        "repr".to_string(),
        (
            vec![cached.repr.rows, cached.repr.cols],
            cached.repr.data.clone(),
        ),
    )];
    tensors.extend(
        cached
            .params
            .iter()
            .map(|(k, v)| (format!("param.{k}"), v.clone())),
    );
    assert!(tensors.len() >= 3, "repr and the parameters");
    for (key, (shape, values)) in &tensors {
        let want: Vec<u64> = values.iter().map(|v| v.to_bits()).collect();
        let (s, v) = read_npy(&fs::read(d.join(format!("npy/{key}.npy"))).unwrap());
        assert_eq!(&s, shape, "{key}");
        assert_eq!(
            v.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
            want,
            "{key}"
        );
        let text = fs::read_to_string(d.join(format!("csv/{key}.csv"))).unwrap();
        let from_csv: Vec<u64> = text
            .split([',', '\n'])
            .filter(|c| !c.is_empty())
            .map(|c| c.parse::<f64>().unwrap().to_bits())
            .collect();
        assert_eq!(from_csv, want, "{key}");
        assert_eq!(record["tensors"][key]["shape"], serde_json::json!(shape));
    }
    // A selector that names no unit, or several, is bad input naming what there is.
    let out = harness(d, &["export", "m.yaml", "--member", "snr=3"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no member matches; the plan has snr in 2")
    );
    let out = harness(d, &["export", "m.yaml", "--member", "replica=0"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("6 members match"));
}

#[test]
fn the_table_shows_the_summary_s_numbers_rounded() {
    let dir = ran();
    let d = dir.path();
    let summary = rows(&d.join("art/results/tiny_relu/summary.csv"));
    let md = ok(harness(
        d,
        &[
            "table",
            "m.yaml",
            "--columns",
            "snr,n,gen_error,cce_ksg",
            "--digits",
            "4",
        ],
    ));
    let lines: Vec<&str> = md.lines().collect();
    assert_eq!(lines[0], "| snr | n | gen_error | cce_ksg |");
    assert_eq!(lines.len(), 2 + summary.len());
    let four = |s: &str| {
        let x: f64 = s.parse().unwrap();
        format!("{x:.3e}").parse::<f64>().unwrap()
    };
    for (line, row) in lines[2..].iter().zip(&summary) {
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        assert_eq!(cells[1], row["n"]);
        let (mean, se) = cells[2].split_once(" ± ").unwrap();
        assert_eq!(
            mean.parse::<f64>().unwrap(),
            four(&row["gen_error_mean"]),
            "{line}"
        );
        assert_eq!(
            se.parse::<f64>().unwrap(),
            four(&row["gen_error_se"]),
            "{line}"
        );
        let (cce, _) = cells[3].split_once(" ± ").unwrap();
        assert_eq!(
            cce.parse::<f64>().unwrap(),
            four(&row["cce_ksg_mean"]),
            "{line}"
        );
    }
    let tex = ok(harness(d, &["table", "m.yaml", "--format", "latex"]));
    assert!(tex.contains("\\toprule") && tex.contains(" \\pm "), "{tex}");
    let csv = ok(harness(d, &["table", "m.yaml", "--format", "csv"]));
    assert!(
        csv.starts_with("snr,n_over_p,gen_error_mean,gen_error_se,cce_ksg_mean"),
        "{csv}"
    );
    let out = harness(d, &["table", "m.yaml", "--columns", "width"]);
    assert_eq!(out.status.code(), Some(2));
    // An experiment not run yet is named, with what to do.
    let fresh = tempfile::tempdir().unwrap();
    fs::write(fresh.path().join("m.yaml"), RELU).unwrap();
    let out = harness(fresh.path(), &["table", "m.yaml"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("run it first"));
}
