//! `harness table`: a network experiment's `summary.csv` as a table for a paper, in Markdown,
//! LaTeX (booktabs) or CSV, with chosen columns and significant digits.
//!
//! A column is named as in `summary.csv`. A name `X` that is not a column but has `X_mean`
//! beside it (`gen_error`, `cce_ksg`, `cce_gaussian`, `mi`, …) is one quantity: its mean and,
//! where `X_se` exists, its standard error over replicas, shown as `mean ± se` (CSV: two
//! columns `X_mean`, `X_se`). Measured numbers are rounded to `digits` significant digits;
//! the sweep's own values (the noise level, n, P, counts, k) and names are shown as they are.

use crate::matrix::InputError;
use anyhow::Result;

/// A bad column name or digit count: bad input (exit code 2), nothing written.
fn bad(message: String) -> anyhow::Error {
    anyhow::Error::new(InputError(message))
}

/// The output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum TableFormat {
    Markdown,
    Latex,
    Csv,
}

/// Columns shown as they are, never rounded (besides the noise level's column).
const EXACT_COLUMNS: [&str; 9] = [
    "n",
    "p",
    "model",
    "replicas",
    "members",
    "pairs",
    "estimator",
    "k",
    "network",
];

/// One column of the table: a `summary.csv` column, or a quantity's mean with its standard
/// error.
#[derive(Clone, Debug, PartialEq)]
enum Column {
    Plain {
        name: String,
        index: usize,
        exact: bool,
    },
    Quantity {
        name: String,
        mean: usize,
        se: Option<usize>,
    },
}

/// The summary as read: its header and rows of cells.
pub struct Summary {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// The noise level's column (`snr` or `label_noise`): shown as it is.
    pub level_column: String,
}

impl Summary {
    /// From `summary.csv` bytes.
    pub fn parse(bytes: &[u8], level_column: &str) -> Result<Summary> {
        let mut r = csv::Reader::from_reader(bytes);
        let header = r.headers()?.iter().map(str::to_string).collect();
        let rows = r
            .records()
            .map(|rec| Ok(rec?.iter().map(str::to_string).collect()))
            .collect::<Result<_>>()?;
        Ok(Summary {
            header,
            rows,
            level_column: level_column.to_string(),
        })
    }

    fn index(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    /// The column `name` stands for, or an error listing the names there are.
    fn column(&self, name: &str) -> Result<Column> {
        if let Some(index) = self.index(name) {
            let exact = name == self.level_column || EXACT_COLUMNS.contains(&name);
            return Ok(Column::Plain {
                name: name.to_string(),
                index,
                exact,
            });
        }
        if let Some(mean) = self.index(&format!("{name}_mean")) {
            return Ok(Column::Quantity {
                name: name.to_string(),
                mean,
                se: self.index(&format!("{name}_se")),
            });
        }
        let quantities: Vec<&str> = self
            .header
            .iter()
            .filter_map(|h| h.strip_suffix("_mean"))
            .collect();
        Err(bad(format!(
            "--columns: no column `{name}` in the summary; its columns are {}, and the \
             quantities (mean ± SE) {}",
            self.header.join(", "),
            quantities.join(", ")
        )))
    }

    /// The default columns: the noise level, n/P, the model in a comparison, the
    /// generalization error, the main estimator's CCE, the Gaussian CCE and the exact or
    /// theoretical CCE where the summary has them.
    pub fn default_columns(&self, main_estimator: &str, compare: bool) -> Vec<String> {
        let mut v = vec![self.level_column.clone(), "n_over_p".to_string()];
        if compare {
            v.push("model".into());
        }
        v.push("gen_error".into());
        for c in [
            format!("cce_{main_estimator}"),
            "cce_gaussian".into(),
            "cce_exact".into(),
        ] {
            if self.index(&format!("{c}_mean")).is_some() && !v.contains(&c) {
                v.push(c);
            }
        }
        if self.index("theory_cce").is_some() {
            v.push("theory_cce".into());
        }
        v
    }
}

/// `x` to `digits` significant digits: fixed notation from 10⁻⁴ to 10⁶, scientific outside;
/// never `-0`.
pub fn significant(x: f64, digits: usize) -> String {
    let digits = digits.max(1);
    if !x.is_finite() {
        return String::new();
    }
    if x == 0.0 {
        return format!("{:.*}", digits - 1, 0.0);
    }
    // The exponent after rounding (9.996 to 3 digits is 10.0: one more integer digit).
    let rounded: f64 = format!("{:.*e}", digits - 1, x).parse().unwrap_or(x);
    let exponent = rounded.abs().log10().floor() as i32;
    let text = if (-4..6).contains(&exponent) {
        let decimals = (digits as i32 - 1 - exponent).max(0) as usize;
        format!("{rounded:.decimals$}")
    } else {
        format!("{:.*e}", digits - 1, x)
    };
    // A value that rounds to zero keeps no sign.
    if text.starts_with('-') && text[1..].chars().all(|c| matches!(c, '0' | '.')) {
        text[1..].to_string()
    } else {
        text
    }
}

/// A cell of an exact column: a number in its shortest form (`1.0` → `1`), else as written.
fn exact_cell(s: &str) -> String {
    match s.parse::<f64>() {
        Ok(x) if !s.is_empty() && x.is_finite() => format!("{x}"),
        _ => s.to_string(),
    }
}

/// A measured cell, rounded.
fn rounded_cell(s: &str, digits: usize) -> String {
    s.parse::<f64>()
        .map_or_else(|_| s.to_string(), |x| significant(x, digits))
}

/// The table of `summary` with `columns` (names, see the module's doc) in `format`.
pub fn render(
    summary: &Summary,
    columns: &[String],
    digits: usize,
    format: TableFormat,
    title: &str,
) -> Result<String> {
    if digits == 0 || digits > 17 {
        return Err(bad(format!(
            "--digits {digits}: give 1 to 17 significant digits"
        )));
    }
    let cols: Vec<Column> = columns
        .iter()
        .map(|c| summary.column(c))
        .collect::<Result<_>>()?;
    // Cells as (mean, se) text; se only for quantities.
    let cells: Vec<Vec<(String, Option<String>)>> = summary
        .rows
        .iter()
        .map(|row| {
            cols.iter()
                .map(|c| match c {
                    Column::Plain { index, exact, .. } => (
                        if *exact {
                            exact_cell(&row[*index])
                        } else {
                            rounded_cell(&row[*index], digits)
                        },
                        None,
                    ),
                    Column::Quantity { mean, se, .. } => (
                        rounded_cell(&row[*mean], digits),
                        se.map(|i| rounded_cell(&row[i], digits)),
                    ),
                })
                .collect()
        })
        .collect();
    let names: Vec<&str> = cols
        .iter()
        .map(|c| match c {
            Column::Plain { name, .. } | Column::Quantity { name, .. } => name.as_str(),
        })
        .collect();
    let numeric: Vec<bool> = cols
        .iter()
        .zip(0..)
        .map(|(_, j)| {
            cells
                .iter()
                .all(|r| r[j].0.is_empty() || r[j].0.parse::<f64>().is_ok())
        })
        .collect();
    let pm = |(mean, se): &(String, Option<String>), plus_minus: &str| match se {
        Some(se) if !se.is_empty() && !mean.is_empty() => format!("{mean}{plus_minus}{se}"),
        _ => mean.clone(),
    };
    Ok(match format {
        TableFormat::Markdown => {
            let mut s = format!("| {} |\n", names.join(" | "));
            let rules: Vec<&str> = numeric
                .iter()
                .map(|&n| if n { "---:" } else { "---" })
                .collect();
            s.push_str(&format!("| {} |\n", rules.join(" | ")));
            for r in &cells {
                let row: Vec<String> = r.iter().map(|c| pm(c, " ± ")).collect();
                s.push_str(&format!("| {} |\n", row.join(" | ")));
            }
            s
        }
        TableFormat::Latex => {
            let esc = |t: &str| t.replace('_', "\\_");
            let spec: String = numeric.iter().map(|&n| if n { 'r' } else { 'l' }).collect();
            let mut s = format!(
                "% {}\n% needs \\usepackage{{booktabs}}\n\\begin{{tabular}}{{{spec}}}\n\\toprule\n",
                esc(title)
            );
            let head: Vec<String> = names.iter().map(|n| esc(n)).collect();
            s.push_str(&format!("{} \\\\\n\\midrule\n", head.join(" & ")));
            for r in &cells {
                let row: Vec<String> = r
                    .iter()
                    .zip(&numeric)
                    .map(|(c, &n)| {
                        let text = pm(c, " \\pm ");
                        if n && !text.is_empty() {
                            format!("${text}$")
                        } else {
                            esc(&text)
                        }
                    })
                    .collect();
                s.push_str(&format!("{} \\\\\n", row.join(" & ")));
            }
            s.push_str("\\bottomrule\n\\end{tabular}\n");
            s
        }
        TableFormat::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            let mut head = Vec::new();
            for c in &cols {
                match c {
                    Column::Plain { name, .. } => head.push(name.clone()),
                    Column::Quantity { name, se, .. } => {
                        head.push(format!("{name}_mean"));
                        if se.is_some() {
                            head.push(format!("{name}_se"));
                        }
                    }
                }
            }
            w.write_record(&head)?;
            for r in &cells {
                let mut row = Vec::new();
                for (mean, se) in r {
                    row.push(mean.clone());
                    if let Some(se) = se {
                        row.push(se.clone());
                    }
                }
                w.write_record(&row)?;
            }
            String::from_utf8(w.into_inner()?)?
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUMMARY: &str = "snr,n,p,n_over_p,model,gen_error_mean,gen_error_se,cce_ksg_mean,cce_ksg_se,theory_cce\n\
        1.0,13,129,0.10077519379844961,relu2,1.040082978085285,0.11187894453914811,-0.0000012,0.07563644833365485,\n\
        2.5,32,129,0.24806201550387597,relu2,0.99961,0.0004,0.16986,,-0.5\n";

    fn summary() -> Summary {
        Summary::parse(SUMMARY.as_bytes(), "snr").unwrap()
    }

    #[test]
    fn significant_digits_round_and_never_show_minus_zero() {
        assert_eq!(significant(0.10077519, 3), "0.101");
        assert_eq!(significant(1.040083, 3), "1.04");
        assert_eq!(significant(9.996, 3), "10.0");
        assert_eq!(significant(123456.0, 2), "120000");
        assert_eq!(significant(-0.00004, 1), "-4e-5");
        assert_eq!(significant(-0.0000012, 2), "-1.2e-6");
        assert_eq!(significant(-0.0004, 1), "-0.0004");
        assert_eq!(significant(-0.0, 3), "0.00");
        assert_eq!(significant(2.5e7, 2), "2.5e7");
    }

    #[test]
    fn markdown_latex_and_csv_show_the_chosen_columns() {
        let s = summary();
        let cols: Vec<String> = ["snr", "n", "n_over_p", "gen_error", "cce_ksg", "theory_cce"]
            .map(String::from)
            .to_vec();
        let md = render(&s, &cols, 2, TableFormat::Markdown, "t").unwrap();
        assert_eq!(
            md,
            "| snr | n | n_over_p | gen_error | cce_ksg | theory_cce |\n\
             | ---: | ---: | ---: | ---: | ---: | ---: |\n\
             | 1 | 13 | 0.10 | 1.0 ± 0.11 | -1.2e-6 ± 0.076 |  |\n\
             | 2.5 | 32 | 0.25 | 1.0 ± 0.00040 | 0.17 | -0.50 |\n"
        );
        let tex = render(&s, &cols, 2, TableFormat::Latex, "fig_2").unwrap();
        assert!(tex.contains("% fig\\_2\n"), "{tex}");
        assert!(tex.contains("\\begin{tabular}{rrrrrr}\n\\toprule\nsnr & n & n\\_over\\_p"));
        assert!(
            tex.contains("$1.0 \\pm 0.11$ & $-1.2e-6 \\pm 0.076$ &  \\\\"),
            "{tex}"
        );
        let csv = render(&s, &cols, 3, TableFormat::Csv, "t").unwrap();
        assert_eq!(
            csv.lines().next().unwrap(),
            "snr,n,n_over_p,gen_error_mean,gen_error_se,cce_ksg_mean,cce_ksg_se,theory_cce"
        );
        assert_eq!(
            csv.lines().nth(2).unwrap(),
            "2.5,32,0.248,1.00,0.000400,0.170,,-0.500"
        );
        let err = render(&s, &["width".to_string()], 3, TableFormat::Csv, "t").unwrap_err();
        assert!(format!("{err}").contains("no column `width`"), "{err}");
        assert!(format!("{err}").contains("quantities (mean ± SE) gen_error, cce_ksg"));
        assert!(render(&s, &cols, 0, TableFormat::Csv, "t").is_err());
    }

    #[test]
    fn default_columns_follow_the_summary() {
        let s = summary();
        assert_eq!(
            s.default_columns("ksg", false),
            ["snr", "n_over_p", "gen_error", "cce_ksg", "theory_cce"]
        );
        assert_eq!(
            s.default_columns("gaussian", true),
            ["snr", "n_over_p", "model", "gen_error", "theory_cce"]
        );
    }
}
