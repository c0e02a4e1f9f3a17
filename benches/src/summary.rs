//! The summary `make bench` ends with: one row per line of the "Hot paths" table of docs/OPERATIONS.md,
//! under the same name, with the criterion medians of the benches behind it (`perfgate
//! summary`, reading `target/criterion/`). Its numbers are copied from this table,
//! so the two name the same things; a test holds that table's rows to [`ROWS`].

use crate::history::Wall;
use std::collections::BTreeMap;

/// A row of that table: its name and the criterion ids (`group::function::parameter`) of the values
/// it quotes, separated by ` / ` in the table.
pub struct Row {
    pub name: &'static str,
    pub benches: &'static [&'static str],
}

/// The "Hot paths" rows that `make bench` measures, in the table's order.
pub const ROWS: [Row; 7] = [
    Row {
        name: "`ksg` CCE(A\\|B), N = 2000, 1+1 / 4+4 dims (`benches/fig1.rs`)",
        benches: &["ksg_cce::1+1::2000", "ksg_cce::4+4::2000"],
    },
    Row {
        name: "same, N = 5000",
        benches: &["ksg_cce::1+1::5000", "ksg_cce::4+4::5000"],
    },
    Row {
        name: "`ksg` CCE(A\\|B), N = 20 000, 4+4 / 16+16 dims (`benches/entropy.rs`)",
        benches: &["entropy::ksg_cce::N=20000::d=8", "entropy::ksg_cce::N=20000::d=32"],
    },
    Row {
        name: "one `relu2` training step, ensemble of M = 1 / 8 / 32 (fig2 size, `benches/training.rs`)",
        benches: &["relu2_step::cpu::1", "relu2_step::cpu::8", "relu2_step::cpu::32"],
    },
    Row {
        name: "one `relu2` training step, d = 50, width 8, n = 500, M = 32 (`benches/training.rs`)",
        benches: &["relu2_step_d50_w8_n500::cpu::32"],
    },
    Row {
        name: "one Fig. 1 member fit (min-norm, d = 100, n = 50 / 96 / 300, with its 2000-input test evaluation)",
        benches: &[
            "fig1_member_fit::min-norm d=100::50",
            "fig1_member_fit::min-norm d=100::96",
            "fig1_member_fit::min-norm d=100::300",
        ],
    },
    Row {
        name: "one SGD epoch of `fcnn` on digits / one `cnn5` step (width 4, batch 128, 32×32×3)",
        benches: &[
            "sgd_epoch_fcnn_w4_digits_1297",
            "sgd_step_cnn5_w4_batch128_32x32x3",
        ],
    },
];

/// The criterion filter (a regex on the bench ids) that selects exactly the benches of
/// [`ROWS`]: what `make bench` passes to `cargo bench`.
pub const FILTER: &str =
    "^(ksg_cce/|entropy/ksg_cce/N=20000/d=(8|32)$|relu2_step(_d50_w8_n500)?/cpu/|fig1_member_fit/|sgd_)";

/// A duration in the unit that reads best: µs below 1 ms, ms below 1 s, else s; three
/// significant digits.
pub fn duration(ns: f64) -> String {
    let (v, unit) = if ns < 1e6 {
        (ns / 1e3, "µs")
    } else if ns < 1e9 {
        (ns / 1e6, "ms")
    } else {
        (ns / 1e9, "s")
    };
    let decimals = if v >= 100.0 {
        0
    } else if v >= 10.0 {
        1
    } else {
        2
    };
    format!("{v:.decimals$} {unit}")
}

/// The Markdown table of [`ROWS`] from the medians read (`—` for a bench not measured), and
/// the ids of the benches missing.
pub fn table(medians: &BTreeMap<String, Wall>) -> (String, Vec<&'static str>) {
    let mut missing = Vec::new();
    let mut out = String::from("| bench | median time |\n|---|---|\n");
    for row in &ROWS {
        let cells: Vec<String> = row
            .benches
            .iter()
            .map(|id| match medians.get(*id) {
                Some(w) => duration(w.median_ns),
                None => {
                    missing.push(*id);
                    "—".to_string()
                }
            })
            .collect();
        out.push_str(&format!("| {} | {} |\n", row.name, cells.join(" / ")));
    }
    (out, missing)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_in_their_unit() {
        assert_eq!(duration(15_512.0), "15.5 µs");
        assert_eq!(duration(690_000.0), "690 µs");
        assert_eq!(duration(1_410_000.0), "1.41 ms");
        assert_eq!(duration(427_000_000.0), "427 ms");
        assert_eq!(duration(2.5e9), "2.50 s");
    }

    #[test]
    fn the_table_has_every_row_and_names_what_was_not_measured() {
        let mut medians = BTreeMap::new();
        medians.insert(
            "relu2_step::cpu::1".to_string(),
            Wall {
                median_ns: 15_500.0,
                lo_ns: 15_000.0,
                hi_ns: 16_000.0,
            },
        );
        let (text, missing) = table(&medians);
        assert_eq!(text.lines().count(), 2 + ROWS.len());
        assert!(
            text.contains("(fig2 size, `benches/training.rs`) | 15.5 µs / — / — |"),
            "{text}"
        );
        assert_eq!(missing.len(), 14, "15 benches, 1 measured");
        assert!(missing.contains(&"relu2_step::cpu::8"));
    }

    /// docs/OPERATIONS.md's "Hot paths" table has these rows, under these names, in this order.
    #[test]
    fn the_docs_quote_the_rows_of_the_summary() {
        let readme = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/OPERATIONS.md"),
        )
        .unwrap();
        let section = readme
            .split("Hot paths (criterion, `make bench`")
            .nth(1)
            .expect("the hot-path table of docs/OPERATIONS.md");
        let names: Vec<&str> = section
            .lines()
            .skip_while(|l| !l.starts_with("| bench |"))
            .skip(2)
            .take_while(|l| l.starts_with('|'))
            .map(|l| l.trim_start_matches("| ").split(" | ").next().unwrap())
            .collect();
        let ours: Vec<&str> = ROWS.iter().map(|r| r.name).collect();
        assert_eq!(names, ours);
    }
}
