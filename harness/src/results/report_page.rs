//! `harness report`: one self-contained HTML page, `<artifacts>/results/index.html`, with
//! every experiment's figure, claims table, `check` verdict against its reference, run record
//! and links to its CSVs. Figures are embedded (PNG as data URIs), so the page needs no
//! network and can be sent on its own; the CSV links are relative to the page. Readable on a
//! phone: one column, figures scaled to the screen, wide tables scroll sideways.

use crate::cache::{write_atomic, Store};
use anyhow::{Context, Result};
use base64::Engine as _;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The page's file name inside `<artifacts>/results/`.
pub const FILE: &str = "index.html";

/// Writes the page from every folder under `<artifacts>/results/` and returns its path.
pub fn write(store: &Store) -> Result<PathBuf> {
    let results = store.root().join("results");
    let results = results.as_path();
    let mut folders: Vec<PathBuf> = std::fs::read_dir(results)
        .with_context(|| {
            format!(
                "cannot list {}: nothing to report yet (run `harness run` first)",
                results.display()
            )
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    folders.sort();
    if folders.is_empty() {
        anyhow::bail!(
            "{} holds no results: run `harness run` first",
            results.display()
        );
    }
    let mut body = String::new();
    let mut toc = String::new();
    for dir in &folders {
        let name = file_name(dir);
        let _ = write!(toc, r##"<a href="#{0}">{0}</a> "##, esc(&name));
        body.push_str(&section(dir, &name)?);
    }
    let page = format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>alignment-harness results</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 0 auto; max-width: 70em; padding: 0.5em 1em; line-height: 1.4; color: #222; }}
h1 {{ font-size: 1.4em; }} h2 {{ font-size: 1.2em; border-top: 1px solid #ccc; padding-top: 0.8em; }}
img {{ max-width: 100%; height: auto; display: block; margin: 0.5em 0; border: 1px solid #eee; }}
.scroll {{ overflow-x: auto; }}
table {{ border-collapse: collapse; font-size: 0.9em; }}
td, th {{ border: 1px solid #ddd; padding: 0.25em 0.5em; vertical-align: top; text-align: left; }}
.PASS {{ color: #0a6b1f; font-weight: bold; }} .FAIL {{ color: #b00020; font-weight: bold; }}
.INCONCLUSIVE, .NA {{ color: #8a5a00; font-weight: bold; }}
nav a {{ margin-right: 0.8em; }} code {{ font-size: 0.9em; word-break: break-all; }}
</style>
</head>
<body>
<h1>alignment-harness results</h1>
<p>Umar &amp; Laio (2026), reproduced by <code>harness</code> {version}. One section per results
folder under <code>{root}</code>; claims as judged by the run (rules fixed in advance, see
README), check verdicts from <code>harness check</code> against the committed reference.</p>
<nav>{toc}</nav>
{body}
</body>
</html>
"#,
        version = env!("CARGO_PKG_VERSION"),
        root = esc(&results.display().to_string()),
    );
    let path = results.join(FILE);
    write_atomic(&path, page.as_bytes())?;
    Ok(path)
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// HTML text escaping.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The files of a folder with one of the extensions, sorted.
fn files_with(dir: &Path, ext: &str) -> Result<Vec<PathBuf>> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot list {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == ext))
        .collect();
    v.sort();
    Ok(v)
}

/// One experiment's section.
fn section(dir: &Path, name: &str) -> Result<String> {
    let mut s = format!(r#"<section id="{0}"><h2>{0}</h2>"#, esc(name));
    s.push_str(&check_verdict(dir)?);
    for png in files_with(dir, "png")? {
        let bytes =
            std::fs::read(&png).with_context(|| format!("cannot read {}", png.display()))?;
        let _ = write!(
            s,
            r#"<img alt="{} {}" src="data:image/png;base64,{}">"#,
            esc(name),
            esc(&file_name(&png)),
            base64::engine::general_purpose::STANDARD.encode(bytes)
        );
    }
    s.push_str(&claims_table(dir)?);
    s.push_str(&run_record(dir)?);
    let csvs = files_with(dir, "csv")?;
    if !csvs.is_empty() {
        s.push_str("<p>Tables: ");
        for csv in csvs {
            let f = file_name(&csv);
            let _ = write!(s, r#"<a href="{}/{}">{}</a> "#, esc(name), esc(&f), esc(&f));
        }
        s.push_str("</p>");
    }
    s.push_str("</section>\n");
    Ok(s)
}

/// A verdict word as a styled span.
fn verdict(word: &str) -> String {
    let class = if word == "N/A" { "NA" } else { word };
    format!(r#"<span class="{}">{}</span>"#, esc(class), esc(word))
}

/// The claims table from `claims.csv`, if the folder has one.
fn claims_table(dir: &Path) -> Result<String> {
    let path = dir.join("claims.csv");
    if !path.exists() {
        return Ok(String::new());
    }
    let mut r =
        csv::Reader::from_path(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let header = r
        .headers()
        .with_context(|| format!("{}: not CSV", path.display()))?
        .clone();
    let column = |name: &str| header.iter().position(|h| h == name);
    let mut s = String::from(
        r#"<div class="scroll"><table><tr><th>rules</th><th>claim</th><th>result</th><th>statement</th><th>numbers</th></tr>"#,
    );
    // A `sweep.over` experiment's swept keys come first: they name the combination.
    let first = column("rules").or(column("claim")).unwrap_or(0);
    for rec in r.records() {
        let rec = rec.with_context(|| format!("{}: not CSV", path.display()))?;
        // A claims.csv from before the rules column holds v1's verdicts.
        let cell = |name: &str| column(name).and_then(|i| rec.get(i));
        let combination: String = (0..first)
            .map(|i| format!("{}={} ", &header[i], rec.get(i).unwrap_or("")))
            .collect();
        // The `warning` column (results::warnings), under the numbers it concerns.
        let warning = match cell("warning").unwrap_or("") {
            "" => String::new(),
            w => format!("<br><strong>warning:</strong> {}", esc(w)),
        };
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}{warning}</td></tr>",
            esc(cell("rules").unwrap_or("v1")),
            esc(&format!("{combination}{}", cell("claim").unwrap_or(""))),
            verdict(cell("result").unwrap_or("")),
            esc(cell("statement").unwrap_or("")),
            esc(cell("detail").unwrap_or(""))
        );
    }
    s.push_str("</table></div>");
    Ok(s)
}

/// The `harness check` verdict from `check.json`, or a line saying there is none.
fn check_verdict(dir: &Path) -> Result<String> {
    let path = dir.join(super::check::VERDICT_FILE);
    if !path.exists() {
        return Ok(if dir.join(super::check::replicas::FILE).exists() {
            "<p>Check against the reference: not run (<code>harness check MANIFEST</code>).</p>"
                .into()
        } else {
            String::new()
        });
    }
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&path)?)
        .with_context(|| format!("{}: not JSON", path.display()))?;
    let get = |k: &str| v[k].as_str().unwrap_or("").to_string();
    let points = &v["points"];
    let tier = match get("tier").as_str() {
        "" => String::new(),
        t => format!(
            "tier {}{}: ",
            esc(t),
            match get("tier_question").as_str() {
                "" => String::new(),
                q => format!(" ({})", esc(q)),
            }
        ),
    };
    Ok(format!(
        "<p>Check against <code>{}</code>: {} — {tier}{} <br>points: {} pass, {} fail, {} inconclusive (details: <a href=\"{}/{}\">{}</a>)</p>",
        esc(&get("against")),
        verdict(&get("verdict")),
        esc(&get("reason")),
        points["pass"],
        points["fail"],
        points["inconclusive"],
        esc(&file_name(dir)),
        super::check::FILE,
        super::check::FILE
    ))
}

/// The run record from `run.json`: identity, version, device, threads, units and timings.
fn run_record(dir: &Path) -> Result<String> {
    let path = dir.join("run.json");
    if !path.exists() {
        return Ok(String::new());
    }
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&path)?)
        .with_context(|| format!("{}: not JSON", path.display()))?;
    let mut rows: Vec<(String, String)> = Vec::new();
    let text = |x: &serde_json::Value| match x {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => "–".into(),
        other => other.to_string(),
    };
    for key in [
        "manifest_file",
        "manifest_sha256",
        "harness_version",
        "algorithm_version",
        "device",
        "threads",
        "replicas",
        "members_per_replica",
    ] {
        if !v[key].is_null() {
            rows.push((key.to_string(), text(&v[key])));
        }
    }
    for group in ["units", "timings_seconds"] {
        if let Some(map) = v[group].as_object() {
            for (k, x) in map {
                let shown = match x.as_f64() {
                    Some(f) if group == "timings_seconds" => format!("{f:.2}"),
                    _ => text(x),
                };
                rows.push((format!("{group}.{k}"), shown));
            }
        }
    }
    let mut s = String::from(
        r#"<details><summary>run record (run.json)</summary><div class="scroll"><table>"#,
    );
    for (k, x) in rows {
        let _ = write!(
            s,
            "<tr><th>{}</th><td><code>{}</code></td></tr>",
            esc(&k),
            esc(&x)
        );
    }
    s.push_str("</table></div></details>");
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            esc(r#"<a href="x">&</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;"
        );
    }
}
