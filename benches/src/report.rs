//! The history plots: one SVG per hot path (a bench function: `ksg_cce`, `knn_search`,
//! `relu2_adam_step`, …, named `<group>-<function>.svg`), each of its cases a line of its
//! instruction count relative to its first recorded commit, over the commits in date order;
//! a step (a change between consecutive commits beyond the gate's threshold at that point of
//! the history) is ringed and labelled.

use crate::fence;
use crate::history::{self, Row};
use anyhow::{anyhow, Context, Result};
use plotters::prelude::*;
use plotters::style::{register_font, FontStyle};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Once;

static FONT: &[u8] = include_bytes!("../../harness/assets/DejaVuSans.ttf");

const PALETTE: [RGBColor; 10] = [
    RGBColor(0x1b, 0x9e, 0x77),
    RGBColor(0xd9, 0x5f, 0x02),
    RGBColor(0x75, 0x70, 0xb3),
    RGBColor(0xe7, 0x29, 0x8a),
    RGBColor(0x66, 0xa6, 0x1e),
    RGBColor(0xe6, 0xab, 0x02),
    RGBColor(0xa6, 0x76, 0x1d),
    RGBColor(0x44, 0x44, 0x44),
    RGBColor(0x1f, 0x78, 0xb4),
    RGBColor(0xb1, 0x59, 0x28),
];

/// A detected step: bench, index of the commit where it lands, relative change.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    pub bench: String,
    pub commit: String,
    pub change: f64,
}

/// Steps of one series (counts oldest first): changes beyond the threshold that the history
/// before them gives (the gate's rule, applied at each commit in turn).
pub fn steps(counts: &[u64]) -> Vec<(usize, f64)> {
    (1..counts.len())
        .filter_map(|i| {
            let change = counts[i] as f64 / counts[i - 1] as f64 - 1.0;
            let limit = fence::threshold(&counts[..i]).limit();
            (change.abs() > limit).then_some((i, change))
        })
        .collect()
}

/// Draws `<out>/<hot path>.svg` for every hot path in `rows` on `machine_key`; returns the
/// files written and the steps found.
pub fn draw_all(rows: &[Row], machine_key: &str, out: &Path) -> Result<(Vec<PathBuf>, Vec<Step>)> {
    static REGISTER: Once = Once::new();
    REGISTER.call_once(|| {
        // Fails only on a malformed font, which include_bytes! rules out.
        let _ = register_font("sans-serif", FontStyle::Normal, FONT);
    });
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let benches: BTreeSet<&str> = rows
        .iter()
        .filter(|r| r.machine_key == machine_key)
        .map(|r| r.bench.as_str())
        .collect();
    // Hot path: the bench name without its case (`entropy::ksg_cce` of
    // `entropy::ksg_cce::n500_1p1`).
    let mut groups: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for b in benches {
        let path = b.rsplit_once("::").map_or(b, |(p, _)| p);
        groups.entry(path).or_default().push(b);
    }
    let (mut files, mut all_steps) = (Vec::new(), Vec::new());
    for (group, benches) in groups {
        let path = out.join(format!("{}.svg", group.replace("::", "-")));
        let steps = draw_group(rows, machine_key, group, &benches, &path)?;
        all_steps.extend(steps);
        files.push(path);
    }
    Ok((files, all_steps))
}

fn draw_group(
    rows: &[Row],
    machine_key: &str,
    group: &str,
    benches: &[&str],
    path: &Path,
) -> Result<Vec<Step>> {
    let series: Vec<(&str, Vec<&Row>)> = benches
        .iter()
        .map(|b| (*b, history::series(rows, machine_key, b)))
        .filter(|(_, s)| !s.is_empty())
        .collect();
    // The commits of this hot path, in date order, as x positions.
    let mut commits: Vec<(&str, &str)> = series
        .iter()
        .flat_map(|(_, s)| {
            s.iter()
                .map(|r| (r.commit_date.as_str(), r.commit.as_str()))
        })
        .collect();
    commits.sort();
    commits.dedup();
    let x_of = |commit: &str| commits.iter().position(|(_, c)| *c == commit).unwrap() as f64;
    let mut lines = Vec::new();
    let mut found = Vec::new();
    let (mut y_min, mut y_max) = (100.0f64, 100.0f64);
    for (bench, s) in &series {
        let counts: Vec<u64> = s.iter().map(|r| r.instructions).collect();
        let first = counts[0] as f64;
        let points: Vec<(f64, f64)> = s
            .iter()
            .map(|r| (x_of(&r.commit), 100.0 * r.instructions as f64 / first))
            .collect();
        for p in &points {
            y_min = y_min.min(p.1);
            y_max = y_max.max(p.1);
        }
        let marks: Vec<((f64, f64), f64)> = steps(&counts)
            .into_iter()
            .map(|(i, change)| {
                found.push(Step {
                    bench: bench.to_string(),
                    commit: s[i].commit.clone(),
                    change,
                });
                (points[i], change)
            })
            .collect();
        let label = bench
            .strip_prefix(&format!("{group}::"))
            .unwrap_or(bench)
            .to_string();
        lines.push((label, points, marks));
    }
    let pad = ((y_max - y_min) * 0.08).max(2.0);
    let (y_lo, y_hi) = (y_min - pad, y_max + pad);
    let size = (900, 400 + 18 * lines.len() as u32);
    let root = SVGBackend::new(path, size).into_drawing_area();
    let err = |e: &dyn std::fmt::Display| anyhow!("{}: {e}", path.display());
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let (plot, legend) = root.split_vertically(370);
    let mut chart = ChartBuilder::on(&plot)
        .caption(
            format!("{group}: Ir relative to the first recorded commit (key {machine_key})"),
            ("sans-serif", 16),
        )
        .margin(12)
        .x_label_area_size(50)
        .y_label_area_size(60)
        .build_cartesian_2d(-0.5f64..(commits.len() as f64 - 0.5), y_lo..y_hi)
        .map_err(|e| err(&e))?;
    let labels: Vec<String> = commits
        .iter()
        .map(|(_, c)| c.chars().take(7).collect())
        .collect();
    chart
        .configure_mesh()
        .x_labels(commits.len().max(2))
        .x_label_formatter(&|x| {
            let i = x.round();
            if (x - i).abs() < 1e-6 && i >= 0.0 {
                labels.get(i as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        })
        .x_desc("commit (oldest left)")
        .y_desc("Ir, % of first commit")
        .label_style(("sans-serif", 13))
        .draw()
        .map_err(|e| err(&e))?;
    for (i, (_, points, marks)) in lines.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        chart
            .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))
            .map_err(|e| err(&e))?;
        chart
            .draw_series(points.iter().map(|p| Circle::new(*p, 3, color.filled())))
            .map_err(|e| err(&e))?;
        for (p, change) in marks {
            chart
                .draw_series([Circle::new(*p, 9, RED.stroke_width(2))])
                .map_err(|e| err(&e))?;
            chart
                .draw_series([Text::new(
                    format!("{:+.0}%", 100.0 * change),
                    (p.0 + 0.06, p.1),
                    ("sans-serif", 12).into_font().color(&RED),
                )])
                .map_err(|e| err(&e))?;
        }
    }
    // Legend below the plot: one line per bench, colour swatch then name.
    for (i, (label, _, _)) in lines.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        let y = 8 + 18 * i as i32;
        legend
            .draw(&Rectangle::new([(80, y + 4), (104, y + 8)], color.filled()))
            .map_err(|e| err(&e))?;
        legend
            .draw(&Text::new(
                label.clone(),
                (112, y),
                ("sans-serif", 13).into_font(),
            ))
            .map_err(|e| err(&e))?;
    }
    legend
        .draw(&Text::new(
            "red rings: steps beyond the gate's threshold".to_string(),
            (520, 8),
            ("sans-serif", 13).into_font().color(&RED),
        ))
        .map_err(|e| err(&e))?;
    root.present().map_err(|e| err(&e))?;
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_beyond_two_percent_is_found_and_drift_is_not() {
        let counts = [1000, 1010, 1005, 500, 501, 530];
        assert_eq!(
            steps(&counts).iter().map(|(i, _)| *i).collect::<Vec<_>>(),
            vec![3, 5]
        );
    }

    #[test]
    fn one_svg_per_hot_path_with_its_benches() {
        let row = |c: &str, d: &str, b: &str, ir| Row {
            commit: c.into(),
            commit_date: d.into(),
            recorded_at: String::new(),
            machine_key: "k".into(),
            bench: b.into(),
            instructions: ir,
            wall: None,
        };
        let rows = vec![
            row("c1", "1", "entropy::ksg_cce::n500", 100),
            row("c2", "2", "entropy::ksg_cce::n500", 50),
            row("c1", "1", "training::relu2::m4", 10),
            row("c1", "1", "entropy::ksg_cce::n500", 100),
        ];
        let dir = tempfile::tempdir().unwrap();
        let (files, steps) = draw_all(&rows, "k", dir.path()).unwrap();
        let names: Vec<_> = files
            .iter()
            .map(|f| f.file_name().unwrap().to_owned())
            .collect();
        assert_eq!(names, vec!["entropy-ksg_cce.svg", "training-relu2.svg"]);
        assert_eq!(
            steps,
            vec![Step {
                bench: "entropy::ksg_cce::n500".into(),
                commit: "c2".into(),
                change: -0.5
            }]
        );
        let svg = std::fs::read_to_string(&files[0]).unwrap();
        assert!(
            svg.contains(">\nn500\n<") && svg.contains("-50%"),
            "labels drawn"
        );
    }
}
