//! The harness's own source as the structure tests read it (tests/layering.rs,
//! tests/extending.rs): its `.rs` files, and each file's code without comments and without
//! its inline test module (a test may name whatever it tests).

use std::path::{Path, PathBuf};

/// `harness/src`.
pub fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `src/`, relative to it, sorted.
pub fn files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path.strip_prefix(src()).unwrap().to_path_buf());
            }
        }
    }
    let mut out = Vec::new();
    walk(&src(), &mut out);
    out.sort();
    out
}

/// A file's code lines without comments (line and doc comments) and without its inline test
/// module: from `#[cfg(test)]` followed by `mod name {` (or `pub(crate) mod name {`) to the end
/// of the file, where the project keeps them. A `mod tests;` declaration stays (its file is
/// a test file of its own).
pub fn code(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text
        .lines()
        .map(|l| match l.find("//") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect();
    let end = lines
        .windows(2)
        .position(|w| {
            w[0].trim() == "#[cfg(test)]"
                && w[1]
                    .trim_start()
                    .trim_start_matches("pub(crate) ")
                    .starts_with("mod ")
                && w[1].trim_end().ends_with('{')
        })
        .unwrap_or(lines.len());
    lines[..end].iter().map(|l| l.to_string()).collect()
}
