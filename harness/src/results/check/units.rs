//! `units.csv`: every unit's values in one compact table, written beside `summary.csv` by every
//! run and kept in `reference/<name>/`: what `check`'s tier 1 compares unit by unit, and what
//! tier 2 resamples (the members' training error and test loss are not in `replicas.csv`).
//!
//! One row per member (`partner_model` and `partner` empty) and one per ordered pair a|b of
//! members (`model`, `member`: a; `partner_model`, `partner`: b). A unit is named by its place
//! in the plan, (noise level, n, network, replica, member[, partner]): given the manifest with
//! the device left out, that place is the unit's device-free identity (the same member spec,
//! so the same [`crate::plan::units::MemberSpec::device_free_hash`]), so a CPU and a GPU run
//! of one manifest pair their units by it. The value columns: a member's `gen_error`,
//! `train_loss`, `steps` and further measurements (classifiers: `labels_changed`,
//! `test_loss`, `train_error`); a pair's `cce_<measure>`, CCE(a | b), for every estimator and
//! `exact` where the pair has one. Numbers in shortest round-trip form: the file holds the
//! values exactly.

use super::part::Part;
use crate::plan::Plan;
use crate::results::tables::cell;
use crate::results::Outcome;
use anyhow::{bail, Result};
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

/// The file's name in a results folder.
pub const FILE: &str = "units.csv";

/// The key columns after the level column.
pub const KEYS: [&str; 6] = [
    "n",
    "model",
    "replica",
    "member",
    "partner_model",
    "partner",
];

/// The bytes of `units.csv` for a run (one combination of `sweep.over`, or the whole run).
pub fn units_csv(plan: &Plan, outcome: &Outcome) -> Result<Vec<u8>> {
    let mut extras: Vec<&String> = outcome
        .members
        .iter()
        .flat_map(|m| m.extra.keys())
        .collect();
    extras.sort();
    extras.dedup();
    let estimators: std::collections::BTreeSet<crate::estimators::Estimator> = outcome
        .pairs
        .iter()
        .flat_map(|p| p.estimates.keys().copied())
        .collect();
    let mut measures: Vec<String> = estimators.iter().map(|e| e.name().to_string()).collect();
    let exact = outcome.pairs.iter().any(|p| p.exact_cce.is_some());
    if exact {
        measures.push(crate::results::tables::EXACT.to_string());
    }
    let mut header: Vec<String> = std::iter::once(plan.level_column())
        .chain(KEYS)
        .chain(["gen_error", "train_loss", "steps"])
        .map(String::from)
        .collect();
    header.extend(extras.iter().map(|e| e.to_string()));
    header.extend(measures.iter().map(|m| format!("cce_{m}")));
    let blank = |n: usize| std::iter::repeat_n(String::new(), n);
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&header)?;
    for (m, r) in plan.members.iter().zip(&outcome.members) {
        let pt = &plan.points[m.point];
        let mut row = vec![
            cell(Some(pt.level.value())),
            pt.n.to_string(),
            m.spec.model.name().to_string(),
            m.replica.to_string(),
            m.member.to_string(),
            String::new(),
            String::new(),
            cell(Some(r.gen_error)),
            cell(Some(r.train_loss)),
            r.steps.to_string(),
        ];
        row.extend(extras.iter().map(|e| cell(r.extra.get(*e).copied())));
        row.extend(blank(measures.len()));
        w.write_record(&row)?;
    }
    for (pp, res) in plan.pairs.iter().zip(&outcome.pairs) {
        let (ma, mb) = (&plan.members[pp.a], &plan.members[pp.b]);
        let pt = &plan.points[ma.point];
        for (forward, (a, b)) in [(true, (ma, mb)), (false, (mb, ma))] {
            let mut row = vec![
                cell(Some(pt.level.value())),
                pt.n.to_string(),
                a.spec.model.name().to_string(),
                a.replica.to_string(),
                a.member.to_string(),
                b.spec.model.name().to_string(),
                b.member.to_string(),
            ];
            row.extend(blank(3 + extras.len()));
            for m in &measures {
                let v = res
                    .estimates
                    .iter()
                    .find(|(e, _)| e.name() == m)
                    .map(|(_, v)| {
                        if forward {
                            v.cce_a_given_b
                        } else {
                            v.cce_b_given_a
                        }
                    })
                    .or(if m == crate::results::tables::EXACT {
                        res.exact_cce
                    } else {
                        None
                    });
                row.push(cell(v));
            }
            w.write_record(&row)?;
        }
    }
    Ok(w.into_inner()?)
}

/// Which unit: its place in the plan.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnitKey {
    /// The noise level as written.
    pub level: String,
    pub n: usize,
    /// The (first) member's network.
    pub model: String,
    pub replica: usize,
    pub member: usize,
    /// A pair's second member: (network, member).
    pub partner: Option<(String, usize)>,
}

impl UnitKey {
    /// The point (level, n, network) the unit belongs to.
    pub fn point(&self) -> super::replicas::PointKey {
        super::replicas::PointKey {
            level: self.level.clone(),
            n: self.n,
            model: self.model.clone(),
        }
    }

    /// The unit's cells under the level column and [`KEYS`], as `units.csv` writes them.
    pub fn cells(&self) -> [String; 1 + KEYS.len()] {
        let (partner_model, partner) = self
            .partner
            .as_ref()
            .map_or((String::new(), String::new()), |(m, n)| {
                (m.clone(), n.to_string())
            });
        [
            self.level.clone(),
            self.n.to_string(),
            self.model.clone(),
            self.replica.to_string(),
            self.member.to_string(),
            partner_model,
            partner,
        ]
    }

    /// `member` or `pair`.
    pub fn kind(&self) -> &'static str {
        if self.partner.is_some() {
            "pair"
        } else {
            "member"
        }
    }
}

impl fmt::Display for UnitKey {
    /// `member 2 of replica 1 at level 0.5 n=10 linear2`, or for a pair
    /// `pair 0|1 of replica 1 at level 0.5 n=10 linear2` (`relu2 0|linear2 0` across networks).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = format!(
            "of replica {} at level {} n={}",
            self.replica, self.level, self.n
        );
        match &self.partner {
            None => write!(f, "member {} {at} {}", self.member, self.model),
            Some((model, member)) if *model == self.model => {
                write!(f, "pair {}|{member} {at} {}", self.member, self.model)
            }
            Some((model, member)) => write!(
                f,
                "pair {} {}|{model} {member} {at}",
                self.model, self.member
            ),
        }
    }
}

/// A whole `units.csv` (one combination's rows).
#[derive(Clone, Debug, Default)]
pub struct Units {
    /// `snr` or `label_noise`.
    pub level_column: String,
    /// Each unit's values by quantity (only the cells that hold one).
    pub values: BTreeMap<UnitKey, BTreeMap<String, f64>>,
}

impl Units {
    /// Reads `<dir>/units.csv`, the rows of the `sweep.over` combination `variant`; errors name
    /// the file, line and column.
    pub fn read(dir: &Path, variant: &[(String, String)]) -> Result<Units> {
        let path = dir.join(FILE);
        if !path.exists() {
            bail!(
                "{} does not exist: the folder holds no per-unit values (results of a harness \
                 before units.csv, or not a results folder); rerun the experiment (its cached \
                 units are reused) or compare by replicas with `--tier 2` or `--tier 3`",
                path.display()
            );
        }
        let part = Part::read(&path, variant)?;
        let keys: Vec<&str> = part
            .header
            .iter()
            .skip(1)
            .take(KEYS.len())
            .map(String::as_str)
            .collect();
        if keys != KEYS {
            bail!(
                "{}:1: unexpected columns `{}`: expected the level column, then `{}`, then the values",
                path.display(),
                part.header.join(","),
                KEYS.join(",")
            );
        }
        let first_value = 1 + KEYS.len();
        let mut values = BTreeMap::new();
        for (line, rec) in &part.rows {
            let line = *line;
            let partner = if rec[5].is_empty() && rec[6].is_empty() {
                None
            } else {
                Some((rec[5].clone(), part.count(line, 6, &rec[6])?))
            };
            let key = UnitKey {
                level: rec[0].clone(),
                n: part.count(line, 1, &rec[1])?,
                model: rec[2].clone(),
                replica: part.count(line, 3, &rec[3])?,
                member: part.count(line, 4, &rec[4])?,
                partner,
            };
            let mut own = BTreeMap::new();
            for (col, cell) in rec.iter().enumerate().skip(first_value) {
                if !cell.is_empty() {
                    own.insert(part.header[col].clone(), part.number(line, col, cell)?);
                }
            }
            if values.insert(key.clone(), own).is_some() {
                bail!("{}:{line}: {key} appears twice", path.display());
            }
        }
        if values.is_empty() {
            bail!(
                "{}: no rows{}",
                path.display(),
                super::replicas::of_variant(variant)
            );
        }
        Ok(Units {
            level_column: part.header[0].clone(),
            values,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(text: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILE), text).unwrap();
        dir
    }

    const HEAD: &str = "snr,n,model,replica,member,partner_model,partner,gen_error,steps,cce_ksg\n";

    #[test]
    fn members_and_pairs_are_read_by_their_place_in_the_plan() {
        let dir = folder(&format!(
            "{HEAD}1.0,10,linear2,0,1,,,0.5,0,\n1.0,10,linear2,0,1,linear2,2,,,-0.25\n"
        ));
        let u = Units::read(dir.path(), &[]).unwrap();
        assert_eq!(u.level_column, "snr");
        let keys: Vec<String> = u.values.keys().map(|k| k.to_string()).collect();
        assert_eq!(
            keys,
            [
                "member 1 of replica 0 at level 1.0 n=10 linear2",
                "pair 1|2 of replica 0 at level 1.0 n=10 linear2"
            ]
        );
        let member = u.values.values().next().unwrap();
        assert_eq!(member.len(), 2, "empty cells hold no value: {member:?}");
        assert_eq!(member["gen_error"], 0.5);
    }

    #[test]
    fn bad_cells_and_repeated_units_name_the_file_line_and_column() {
        let dir = folder(&format!("{HEAD}1.0,10,linear2,0,1,,,half,0,\n"));
        let err = format!("{:#}", Units::read(dir.path(), &[]).unwrap_err());
        assert!(
            err.contains("units.csv:2: column `gen_error`: `half` is not a number"),
            "{err}"
        );
        let dir = folder(&format!("{HEAD}1.0,10,linear2,0,x,,,0.5,0,\n"));
        let err = format!("{:#}", Units::read(dir.path(), &[]).unwrap_err());
        assert!(
            err.contains("units.csv:2: column `member`: `x` is not a count"),
            "{err}"
        );
        let dir = folder(&format!(
            "{HEAD}1.0,10,linear2,0,1,,,0.5,0,\n1.0,10,linear2,0,1,,,0.6,0,\n"
        ));
        let err = format!("{:#}", Units::read(dir.path(), &[]).unwrap_err());
        assert!(
            err.contains(
                "units.csv:3: member 1 of replica 0 at level 1.0 n=10 linear2 appears twice"
            ),
            "{err}"
        );
        let dir = folder("snr,n,model,replica,member\n");
        let err = format!("{:#}", Units::read(dir.path(), &[]).unwrap_err());
        assert!(err.contains("units.csv:1: unexpected columns"), "{err}");
        // A sweep.over combination's rows need its keys first.
        let dir = folder(&format!("{HEAD}1.0,10,linear2,0,1,,,0.5,0,\n"));
        let variant = [("task.d".to_string(), "10".to_string())];
        let err = format!("{:#}", Units::read(dir.path(), &variant).unwrap_err());
        assert!(
            err.contains(
                "units.csv:1: expected the swept keys `task.d` as the first columns, found `snr`"
            ),
            "{err}"
        );
    }
}
