//! An experiment's parts: each combination of `sweep.over` (or the whole experiment without
//! one) with its manifest, plan and outcome, summarized ([`super::tables`]), judged
//! ([`super::claims`]) and warned about ([`super::warnings`]). What the results folder
//! ([`super::experiment`]), its figure and the claims across experiments read.

use super::claims::{self, Verdicts};
use super::tables::{self, SummaryRow};
use super::{warnings, Outcome};
use crate::manifest::Manifest;
use crate::plan::Plan;

/// One combination of `sweep.over` (or the whole experiment without one): its swept values,
/// manifest, plan and outcome, its summary and its verdicts.
pub struct Part<'a> {
    pub values: &'a [(String, String)],
    pub manifest: &'a Manifest,
    pub plan: &'a Plan,
    pub outcome: Outcome,
    pub rows: Vec<SummaryRow>,
    pub verdicts: Verdicts,
    /// Warnings about its CCE estimates ([`warnings`]), also in `claims.csv`.
    pub warnings: Vec<String>,
}

impl Part<'_> {
    /// `model.width=8 alignment.k=3`, or empty without `sweep.over`.
    pub fn label(&self) -> String {
        self.values
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The experiment's parts: one per `sweep.over` combination, or the whole experiment, each
/// summarized and judged.
pub fn parts<'a>(manifest: &'a Manifest, plan: &'a Plan, outcome: Outcome) -> Vec<Part<'a>> {
    let outcomes = outcome.split(plan);
    let whole = [(&[][..], manifest, plan)];
    let each: Vec<(&[(String, String)], &Manifest, &Plan)> = if plan.variants.is_empty() {
        whole.to_vec()
    } else {
        plan.variants
            .iter()
            .map(|v| (v.values.as_slice(), &v.manifest, &v.plan))
            .collect()
    };
    each.into_iter()
        .zip(outcomes)
        .map(|((values, manifest, plan), outcome)| {
            let rows = tables::summarize(manifest, plan, &outcome);
            let verdicts = claims::judge(manifest, plan, &rows);
            let warnings = warnings::warnings(manifest, plan, &outcome.members, &rows);
            Part {
                values,
                manifest,
                plan,
                outcome,
                rows,
                verdicts,
                warnings,
            }
        })
        .collect()
}
