//! Tier 1: two runs of the same manifest and seeds, compared unit by unit. Every member and
//! ordered pair of `units.csv` is paired with its twin by its place in the plan (its
//! device-free identity, [`super::units`]) and each value compared within the devices'
//! tolerance ([`super::tolerance`]). Reported: the share of units with a value outside it, and
//! the largest deviation in units of the seed-to-seed SD (the spread of that quantity over the
//! reference's units of the same point, which are fits with other seeds). PASS when every
//! value is within its tolerance, FAIL otherwise: no replicas are needed, since the two runs
//! share every draw.

use super::tolerance::{self, DevicePair};
use super::units::{UnitKey, Units};
use super::Outcome;
use crate::manifest::margins::Margin;
use std::collections::BTreeMap;

/// One value of one unit on both sides.
#[derive(Clone, Debug, PartialEq)]
pub struct Deviation {
    pub unit: UnitKey,
    pub quantity: String,
    pub run: f64,
    pub reference: f64,
    /// |run − reference| (0 for two NaNs, infinite for one).
    pub diff: f64,
    pub tolerance: f64,
    /// The seed-to-seed SD of the quantity at the unit's point (NaN with fewer than 2 units).
    pub sd: f64,
}

impl Deviation {
    pub fn within(&self) -> bool {
        self.diff <= self.tolerance
    }

    /// |Δ| in units of the seed-to-seed SD (0 when equal; NaN when the SD is unknown or 0).
    pub fn in_sd(&self) -> f64 {
        if self.diff == 0.0 {
            0.0
        } else if self.sd > 0.0 {
            self.diff / self.sd
        } else {
            f64::NAN
        }
    }

    /// `gen_error of member 2 of replica 1 at level 4 n=27 linear2: run 0.41, reference 0.39
    /// (|Δ| 0.02 = 0.3 SD, tolerance 4e-10)`.
    pub fn describe(&self) -> String {
        let sd = self.in_sd();
        format!(
            "{} of {}: run {}, reference {} (|Δ| {}{}, tolerance {})",
            self.quantity,
            self.unit,
            super::short(self.run),
            super::short(self.reference),
            super::short(self.diff),
            if sd.is_finite() {
                format!(" = {} SD", super::short(sd))
            } else {
                String::new()
            },
            super::short(self.tolerance)
        )
    }
}

/// Per quantity: how many values, how many outside the tolerance, the largest deviation.
#[derive(Clone, Debug, PartialEq)]
pub struct QuantityCount {
    pub quantity: String,
    pub values: usize,
    pub identical: usize,
    pub outside: usize,
    pub max_diff: f64,
    /// The largest |Δ| / SD (NaN when none is known).
    pub max_in_sd: f64,
}

/// Everything tier 1 found.
#[derive(Clone, Debug)]
pub struct Paired {
    pub devices: DevicePair,
    /// The tolerances applied, as the output states them.
    pub tolerance: String,
    /// Units on both sides, and how many of them are members.
    pub units: usize,
    pub members: usize,
    /// Units with a value outside the tolerance.
    pub units_outside: usize,
    /// Values compared, and how many differ at all.
    pub values: usize,
    pub values_differ: usize,
    pub per_quantity: Vec<QuantityCount>,
    /// Values outside the tolerance, largest deviation (in SD, then absolute) first.
    pub outside: Vec<Deviation>,
    /// Every value that differs at all, in unit order (`check_units.csv`).
    pub differing: Vec<Deviation>,
    /// The largest deviation of all (in SD where known), within the tolerance or not.
    pub largest: Option<Deviation>,
    /// Units (or values) on one side only: "only in the run: …".
    pub unpaired: Vec<String>,
    pub outcome: Outcome,
    pub reason: String,
}

fn sd(values: &[f64]) -> f64 {
    super::stats::Sample::of(values).sd
}

/// Compares every unit of the run with its twin in the reference; `deterministic` is the
/// manifest's `check.deterministic` (the CPUs' tolerance of values).
pub fn compare(
    run: &Units,
    reference: &Units,
    devices: DevicePair,
    deterministic: &Margin,
) -> Paired {
    // The seed-to-seed SD per (point, kind of unit, quantity), over the reference's units.
    let mut spread: BTreeMap<(super::replicas::PointKey, &str, &str), Vec<f64>> = BTreeMap::new();
    for (key, values) in &reference.values {
        for (q, v) in values {
            if v.is_finite() {
                spread
                    .entry((key.point(), key.kind(), q.as_str()))
                    .or_default()
                    .push(*v);
            }
        }
    }
    let sds: BTreeMap<_, f64> = spread.into_iter().map(|(k, v)| (k, sd(&v))).collect();
    let mut unpaired = Vec::new();
    let mut deviations = Vec::new();
    let mut units_outside = 0;
    let mut members = 0;
    let mut units = 0;
    for (key, ours) in &run.values {
        let Some(theirs) = reference.values.get(key) else {
            unpaired.push(format!("only in the run: {key}"));
            continue;
        };
        units += 1;
        members += usize::from(key.partner.is_none());
        let mut outside = false;
        let mut quantities: Vec<&String> = ours.keys().chain(theirs.keys()).collect();
        quantities.sort();
        quantities.dedup();
        for q in quantities {
            let (Some(&a), Some(&b)) = (ours.get(q), theirs.get(q)) else {
                unpaired.push(format!(
                    "{q} of {key} only in the {}",
                    if ours.contains_key(q) {
                        "run"
                    } else {
                        "reference"
                    }
                ));
                continue;
            };
            let diff = if a == b || (a.is_nan() && b.is_nan()) {
                0.0
            } else if a.is_finite() && b.is_finite() {
                (a - b).abs()
            } else {
                f64::INFINITY
            };
            let d = Deviation {
                unit: key.clone(),
                quantity: q.clone(),
                run: a,
                reference: b,
                diff,
                tolerance: tolerance::tolerance(devices, q, deterministic).at(b),
                sd: sds
                    .get(&(key.point(), key.kind(), q.as_str()))
                    .copied()
                    .unwrap_or(f64::NAN),
            };
            outside |= !d.within();
            deviations.push(d);
        }
        units_outside += usize::from(outside);
    }
    for key in reference.values.keys() {
        if !run.values.contains_key(key) {
            unpaired.push(format!("only in the reference: {key}"));
        }
    }
    let mut per_quantity: BTreeMap<&str, QuantityCount> = BTreeMap::new();
    for d in &deviations {
        let c = per_quantity
            .entry(d.quantity.as_str())
            .or_insert_with(|| QuantityCount {
                quantity: d.quantity.clone(),
                values: 0,
                identical: 0,
                outside: 0,
                max_diff: 0.0,
                max_in_sd: f64::NAN,
            });
        c.values += 1;
        c.identical += usize::from(d.diff == 0.0);
        c.outside += usize::from(!d.within());
        c.max_diff = c.max_diff.max(d.diff);
        let s = d.in_sd();
        if s.is_finite() && !(c.max_in_sd >= s) {
            c.max_in_sd = s;
        }
    }
    let per_quantity: Vec<QuantityCount> = per_quantity.into_values().collect();
    // Largest first: by SD where known, then by absolute size.
    let order = |d: &Deviation| {
        let s = d.in_sd();
        (if s.is_finite() { s } else { f64::INFINITY }, d.diff)
    };
    let by_size = |a: &Deviation, b: &Deviation| {
        let (x, y) = (order(a), order(b));
        y.0.total_cmp(&x.0).then(y.1.total_cmp(&x.1))
    };
    let largest = deviations
        .iter()
        .filter(|d| d.diff > 0.0)
        .min_by(|a, b| by_size(a, b))
        .cloned();
    let mut outside: Vec<Deviation> = deviations.iter().filter(|d| !d.within()).cloned().collect();
    let identical = deviations.iter().filter(|d| d.diff == 0.0).count();
    outside.sort_by(by_size);
    let differing: Vec<Deviation> = deviations.into_iter().filter(|d| d.diff > 0.0).collect();
    let values = differing.len() + identical;
    let mut p = Paired {
        devices,
        tolerance: tolerance::describe(devices, deterministic),
        units,
        members,
        units_outside,
        values,
        values_differ: differing.len(),
        per_quantity,
        outside,
        differing,
        largest,
        unpaired,
        outcome: Outcome::Pass,
        reason: String::new(),
    };
    (p.outcome, p.reason) = verdict(&p);
    p
}

fn verdict(p: &Paired) -> (Outcome, String) {
    let counted = format!(
        "{} units ({} members, {} ordered pairs), {} values",
        p.units,
        p.members,
        p.units - p.members,
        p.values
    );
    if !p.unpaired.is_empty() {
        return (
            Outcome::Fail,
            format!(
                "{} units or values have no twin ({}{}): the same manifest must give the same units",
                p.unpaired.len(),
                p.unpaired[0],
                if p.unpaired.len() > 1 { ", …" } else { "" }
            ),
        );
    }
    if p.units == 0 {
        return (Outcome::Fail, "no unit to compare".into());
    }
    if p.values_differ == 0 {
        return (
            Outcome::Pass,
            format!("values identical: all {counted} equal on both sides"),
        );
    }
    let largest = p.largest.as_ref().map_or(String::new(), |d| {
        format!("; largest deviation: {}", d.describe())
    });
    if p.outside.is_empty() {
        return (
            Outcome::Pass,
            format!(
                "{counted}: {} differ, every one within the {} tolerance{largest}",
                p.values_differ,
                p.devices.name()
            ),
        );
    }
    let share = 100.0 * p.units_outside as f64 / p.units as f64;
    (
        Outcome::Fail,
        format!(
            "{} of {} units ({}) have a value outside the {} tolerance ({} values); \
             the largest: {}",
            p.units_outside,
            p.units,
            percent(share),
            p.devices.name(),
            p.outside.len(),
            p.outside[0].describe()
        ),
    )
}

/// `4.17 %`, `0.04 %`, `12 %`: two decimals below 10 %.
pub fn percent(share: f64) -> String {
    if share < 10.0 {
        format!("{share:.2} %")
    } else {
        format!("{share:.0} %")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(replica: usize, member: usize, partner: Option<usize>) -> UnitKey {
        UnitKey {
            level: "1.0".into(),
            n: 10,
            model: "linear2".into(),
            replica,
            member,
            partner: partner.map(|p| ("linear2".to_string(), p)),
        }
    }

    /// Two replicas of three members and their ordered pairs, values from `v(unit index)`.
    fn units(v: impl Fn(usize) -> f64) -> Units {
        let mut values = BTreeMap::new();
        let mut i = 0;
        for r in 0..2 {
            for m in 0..3 {
                values.insert(
                    key(r, m, None),
                    BTreeMap::from([
                        ("gen_error".to_string(), 1.0 + v(i)),
                        ("steps".to_string(), 100.0),
                    ]),
                );
                i += 1;
                for p in (0..3).filter(|&p| p != m) {
                    values.insert(
                        key(r, m, Some(p)),
                        BTreeMap::from([("cce_ksg".to_string(), -0.1 * (i as f64) + v(i))]),
                    );
                    i += 1;
                }
            }
        }
        Units {
            level_column: "snr".into(),
            values,
        }
    }

    fn det() -> Margin {
        crate::manifest::margins::CheckMargins::default().deterministic
    }

    #[test]
    fn identical_values_pass_and_say_so() {
        let p = compare(&units(|_| 0.0), &units(|_| 0.0), DevicePair::Cpus, &det());
        assert_eq!(p.outcome, Outcome::Pass);
        assert!(
            p.reason.starts_with(
                "values identical: all 18 units (6 members, 12 ordered pairs), 24 values"
            ),
            "{}",
            p.reason
        );
    }

    #[test]
    fn last_bits_pass_on_cpus_and_a_moved_member_fails_naming_it() {
        let wiggle = units(|i| i as f64 * 1e-13);
        let p = compare(&wiggle, &units(|_| 0.0), DevicePair::Cpus, &det());
        assert_eq!(p.outcome, Outcome::Pass, "{}", p.reason);
        assert!(
            p.reason.contains("within the CPU ↔ CPU tolerance"),
            "{}",
            p.reason
        );
        // One member's error moved by 0.01: outside 1e-9, named, with its size in SD.
        let moved = units(|i| if i == 3 { 0.01 } else { 0.0 });
        let p = compare(&moved, &units(|_| 0.0), DevicePair::Cpus, &det());
        assert_eq!(p.outcome, Outcome::Fail);
        assert_eq!((p.units_outside, p.outside.len()), (1, 1));
        assert!(
            p.reason.starts_with("1 of 18 units (5.56 %)")
                && p.reason
                    .contains("gen_error of member 1 of replica 0 at level 1.0 n=10 linear2"),
            "{}",
            p.reason
        );
        // The SD of the 6 members' errors (one is 0.01 above the rest in the run, none in the
        // reference): the reference's spread is 0, so no SD is given.
        assert!(p.outside[0].in_sd().is_nan());
        // Within the GPU tolerance it would pass? 0.01 > 1e-4: no.
        assert_eq!(
            compare(&moved, &units(|_| 0.0), DevicePair::Gpu, &det()).outcome,
            Outcome::Fail
        );
    }

    #[test]
    fn deviations_are_measured_in_the_reference_spread() {
        let spread = |i: usize| ((i * 7) % 5) as f64 * 0.1;
        let reference = units(spread);
        let run = units(|i| spread(i) + if i == 0 { 0.05 } else { 0.0 });
        let p = compare(&run, &reference, DevicePair::Cpus, &det());
        let d = &p.outside[0];
        let members: Vec<f64> = reference
            .values
            .iter()
            .filter(|(k, _)| k.partner.is_none())
            .map(|(_, v)| v["gen_error"])
            .collect();
        let expected = 0.05 / sd(&members);
        assert!(
            (d.in_sd() - expected).abs() < 1e-12,
            "{} vs {expected}",
            d.in_sd()
        );
        assert_eq!(p.largest.as_ref(), Some(d));
    }

    #[test]
    fn a_unit_missing_on_one_side_fails() {
        let mut fewer = units(|_| 0.0);
        let first = fewer.values.keys().next().unwrap().clone();
        fewer.values.remove(&first);
        let p = compare(&units(|_| 0.0), &fewer, DevicePair::Cpus, &det());
        assert_eq!(p.outcome, Outcome::Fail);
        assert!(
            p.reason.contains("only in the run: member 0 of replica 0"),
            "{}",
            p.reason
        );
    }
}
