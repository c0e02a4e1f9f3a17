//! The manifest's `check:` key: how close a rerun must come to its reference to count as the
//! same result (docs/CHECK.md). The margins judge a result; they do not make one, so they
//! are left out of the manifest's canonical form and hash (changing a margin reruns nothing).

use serde::Deserialize;

/// A margin in scientific units: an absolute one, one relative to the reference's mean, or
/// both (then the larger applies).
#[derive(Clone, Copy, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Margin {
    #[serde(default)]
    pub abs: Option<f64>,
    #[serde(default)]
    pub rel: Option<f64>,
}

impl Margin {
    /// The margin δ at a point whose reference mean is `reference`.
    pub fn at(&self, reference: f64) -> f64 {
        let abs = self.abs.unwrap_or(0.0);
        let rel = self.rel.map_or(0.0, |r| r * reference.abs());
        abs.max(rel)
    }

    /// How the manifest would spell it, e.g. `rel 0.1` or `abs 0.05`.
    pub fn describe(&self) -> String {
        match (self.abs, self.rel) {
            (Some(a), Some(r)) => format!("abs {a} or rel {r}"),
            (Some(a), None) => format!("abs {a}"),
            (None, Some(r)) => format!("rel {r}"),
            (None, None) => "none".into(),
        }
    }

    fn validate(&self, key: &str) -> Result<(), (String, String)> {
        if self.abs.is_none() && self.rel.is_none() {
            return Err((key.into(), "give `abs`, `rel` or both".into()));
        }
        for (name, v) in [("abs", self.abs), ("rel", self.rel)] {
            if let Some(v) = v {
                if !(v > 0.0 && v.is_finite()) {
                    return Err((
                        format!("{key}.{name}"),
                        format!("{name} = {v}: a margin must be positive and finite"),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// `check:` in a manifest; every key optional, defaults in [`Default`].
#[derive(Clone, Copy, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CheckMargins {
    /// Equivalence margin of the generalization error (default: 10 % of the reference).
    pub gen_error: Margin,
    /// Equivalence margin of every CCE estimate, in nats (default: 0.05 absolute).
    pub cce: Margin,
    /// Tolerance for values without seed variance (every replica equal on both sides):
    /// compared directly (default: 1e-9 relative, 1e-12 absolute).
    pub deterministic: Margin,
    /// Tier 2's equivalence margin of an effect size (C1's level gaps, C2's contrast, C3's
    /// rise), relative to the reference's effect, and of a whole curve, relative to the
    /// reference curve's range (default: 50 %).
    pub effect: Margin,
}

impl Default for CheckMargins {
    fn default() -> Self {
        CheckMargins {
            gen_error: Margin {
                abs: None,
                rel: Some(0.10),
            },
            cce: Margin {
                abs: Some(0.05),
                rel: None,
            },
            deterministic: Margin {
                abs: Some(1e-12),
                rel: Some(1e-9),
            },
            effect: Margin {
                abs: None,
                rel: Some(0.5),
            },
        }
    }
}

impl CheckMargins {
    /// The margin of a quantity of `replicas.csv` (`gen_error`, `cce_<measure>`).
    pub fn for_quantity(&self, quantity: &str) -> Margin {
        if quantity.starts_with("cce_") {
            self.cce
        } else {
            self.gen_error
        }
    }

    /// Impossible margins, as (dotted key, what is allowed) for the manifest's error.
    pub fn validate(&self) -> Result<(), (String, String)> {
        self.gen_error.validate("check.gen_error")?;
        self.cce.validate("check.cce")?;
        self.deterministic.validate("check.deterministic")?;
        self.effect.validate("check.effect")
    }
}
