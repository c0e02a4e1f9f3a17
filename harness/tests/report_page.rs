//! `harness report`: the page holds every experiment's figure (embedded), claims, check
//! verdict, run record and CSV links. (That a real browser renders it is checked by
//! `make test-report` with headless Chromium.)

mod common;

use common::{harness_bin, run, SMALL};
use std::fs;

#[test]
fn the_page_embeds_every_figure_and_links_every_table() {
    let dir = tempfile::tempdir().unwrap();
    let report = run(SMALL, dir.path());
    let hash = report.hash.clone();
    let out = harness_bin()
        .arg("--artifacts")
        .arg(dir.path())
        .arg("report")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let page_path = dir.path().join("results/index.html");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        page_path.display().to_string()
    );
    let page = fs::read_to_string(&page_path).unwrap();
    let pngs = fs::read_dir(&report.results_dir)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "png")
        })
        .count();
    assert!(pngs >= 1);
    assert_eq!(page.matches("src=\"data:image/png;base64,").count(), pngs);
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "no network"
    );
    for csv in [
        "members.csv",
        "pairs.csv",
        "summary.csv",
        "replicas.csv",
        "claims.csv",
    ] {
        assert!(page.contains(&format!("href=\"small/{csv}\"")), "{csv}");
    }
    for (rules, claim) in report.verdicts.rows() {
        assert!(
            page.contains(&format!(
                "<td>{rules}</td><td>{}</td><td><span class=\"{}\">",
                claim.claim,
                claim.result().replace("N/A", "NA")
            )),
            "{rules} {}",
            claim.claim
        );
    }
    assert!(page.contains(&hash), "run record with the manifest hash");
    assert!(page.contains("name=\"viewport\""), "phone-readable");
    assert!(page.contains("Check against the reference: not run"));
}

#[test]
fn report_without_results_says_what_to_run() {
    let dir = tempfile::tempdir().unwrap();
    let out = harness_bin()
        .arg("--artifacts")
        .arg(dir.path())
        .arg("report")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("run `harness run` first"));
}
