//! `benches/history.csv`: one row per bench and recorded commit, appended by
//! `perfgate record` (`make bench-record`), never rewritten. Columns: commit (short hash,
//! `+dirty` when the tree had uncommitted changes), commit date, time of recording, machine
//! key, bench, instruction count, and the criterion median with its 95 % interval in
//! nanoseconds when the wall-clock twin ran (empty otherwise).

use anyhow::{bail, Context, Result};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

pub const HEADER: &str =
    "commit,commit_date,recorded_at,machine_key,bench,instructions,wall_median_ns,wall_lo_ns,wall_hi_ns";

#[derive(Clone, Debug, PartialEq)]
pub struct Wall {
    pub median_ns: f64,
    pub lo_ns: f64,
    pub hi_ns: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub commit: String,
    pub commit_date: String,
    pub recorded_at: String,
    pub machine_key: String,
    pub bench: String,
    pub instructions: u64,
    pub wall: Option<Wall>,
}

impl Row {
    pub fn is_dirty(&self) -> bool {
        self.commit.ends_with("+dirty")
    }

    fn to_line(&self) -> String {
        let wall = self.wall.as_ref().map_or(",,".to_string(), |w| {
            format!("{:.0},{:.0},{:.0}", w.median_ns, w.lo_ns, w.hi_ns)
        });
        format!(
            "{},{},{},{},{},{},{wall}",
            self.commit,
            self.commit_date,
            self.recorded_at,
            self.machine_key,
            self.bench,
            self.instructions
        )
    }
}

/// Reads every row; a malformed line is an error naming the file and line.
pub fn read(path: &Path) -> Result<Vec<Row>> {
    if !path.exists() {
        return Ok(Vec::new());
    }
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut lines = text.lines().enumerate();
    match lines.next() {
        Some((_, h)) if h == HEADER => {}
        Some((_, h)) => bail!("{}: line 1: header `{h}` is not `{HEADER}`", path.display()),
        None => return Ok(Vec::new()),
    }
    let mut rows = Vec::new();
    for (i, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        let bad =
            |what: &str| anyhow::anyhow!("{}: line {}: {what}: `{line}`", path.display(), i + 1);
        let f: Vec<&str> = line.split(',').collect();
        if f.len() != 9 {
            return Err(bad(&format!("{} fields, expected 9", f.len())));
        }
        let num = |s: &str, name: &str| -> Result<Option<f64>> {
            if s.is_empty() {
                Ok(None)
            } else {
                s.parse()
                    .map(Some)
                    .map_err(|_| bad(&format!("{name} `{s}` is not a number")))
            }
        };
        let wall = match (
            num(f[6], "wall_median_ns")?,
            num(f[7], "wall_lo_ns")?,
            num(f[8], "wall_hi_ns")?,
        ) {
            (Some(median_ns), Some(lo_ns), Some(hi_ns)) => Some(Wall {
                median_ns,
                lo_ns,
                hi_ns,
            }),
            (None, None, None) => None,
            _ => return Err(bad("wall-clock columns must be all set or all empty")),
        };
        rows.push(Row {
            commit: f[0].into(),
            commit_date: f[1].into(),
            recorded_at: f[2].into(),
            machine_key: f[3].into(),
            bench: f[4].into(),
            instructions: f[5]
                .parse()
                .map_err(|_| bad(&format!("instructions `{}` is not a count", f[5])))?,
            wall,
        });
    }
    Ok(rows)
}

/// Appends `rows`, writing the header first into a new file.
pub fn append(path: &Path, rows: &[Row]) -> Result<()> {
    let fresh = !path.exists() || std::fs::metadata(path)?.len() == 0;
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    let mut text = String::new();
    if fresh {
        text.push_str(HEADER);
        text.push('\n');
    }
    for r in rows {
        anyhow::ensure!(
            !r.bench.contains(',') && !r.commit.contains(','),
            "bench or commit name with a comma: {}",
            r.to_line()
        );
        text.push_str(&r.to_line());
        text.push('\n');
    }
    file.write_all(text.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))
}

/// One bench's series on one machine key: the last recorded count of each clean commit,
/// ordered by commit date (oldest first).
pub fn series<'a>(rows: &'a [Row], machine_key: &str, bench: &str) -> Vec<&'a Row> {
    let mut by_commit: BTreeMap<&str, &Row> = BTreeMap::new();
    for r in rows {
        if r.machine_key == machine_key && r.bench == bench && !r.is_dirty() {
            by_commit.insert(&r.commit, r);
        }
    }
    let mut out: Vec<&Row> = by_commit.into_values().collect();
    out.sort_by(|a, b| {
        a.commit_date
            .cmp(&b.commit_date)
            .then(a.commit.cmp(&b.commit))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(commit: &str, date: &str, bench: &str, ir: u64) -> Row {
        Row {
            commit: commit.into(),
            commit_date: date.into(),
            recorded_at: "2026-11-30T20:00:00Z".into(),
            machine_key: "x86_64-k".into(),
            bench: bench.into(),
            instructions: ir,
            wall: None,
        }
    }

    #[test]
    fn rows_round_trip_through_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.csv");
        let mut a = row("abc", "2026-11-01T00:00:00Z", "entropy::ksg_cce::n500", 10);
        a.wall = Some(Wall {
            median_ns: 5.0,
            lo_ns: 4.0,
            hi_ns: 6.0,
        });
        append(&path, std::slice::from_ref(&a)).unwrap();
        let b = row("def", "2026-11-02T00:00:00Z", "entropy::ksg_cce::n500", 11);
        append(&path, std::slice::from_ref(&b)).unwrap();
        assert_eq!(read(&path).unwrap(), vec![a, b]);
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.matches(HEADER).count(), 1, "one header");
    }

    #[test]
    fn a_malformed_line_names_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.csv");
        std::fs::write(&path, format!("{HEADER}\nabc,d,r,k,b,12x,,,\n")).unwrap();
        let err = read(&path).unwrap_err().to_string();
        assert!(
            err.contains("history.csv: line 2") && err.contains("12x"),
            "{err}"
        );
    }

    #[test]
    fn the_series_is_in_commit_order_with_the_last_rerun_and_no_dirty_rows() {
        let rows = vec![
            row("c2", "2026-11-02T00:00:00Z", "x", 20),
            row("c1", "2026-11-01T00:00:00Z", "x", 10),
            row("c1", "2026-11-01T00:00:00Z", "x", 11),
            row("c3+dirty", "2026-11-03T00:00:00Z", "x", 99),
            row("c3", "2026-11-03T00:00:00Z", "y", 7),
        ];
        let counts: Vec<u64> = series(&rows, "x86_64-k", "x")
            .iter()
            .map(|r| r.instructions)
            .collect();
        assert_eq!(counts, vec![11, 20]);
        assert!(series(&rows, "other-key", "x").is_empty());
    }
}
