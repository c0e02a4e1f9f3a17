//! `linear2`: f(x) = w2 · (w1ᵀx), a two-layer linear network of hidden width 1 (P = d + 1).
//! Its representation is the hidden unit h = w1ᵀx.

use super::network::{Network, Reads, Rejection};
use crate::data::teacher::dot;
use crate::data::Input;
use crate::matrix::Matrix;
use serde::{Deserialize, Serialize};

/// `model: {kind: linear2}`: no settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Linear2Config {}

impl Network for Linear2Config {
    fn name(&self) -> &'static str {
        "linear2"
    }

    fn describe(&self) -> String {
        "two-layer linear network".into()
    }

    fn reads(&self) -> Reads {
        Reads::Vectors
    }

    fn check(&self, _input: &Input) -> Result<(), Rejection> {
        Ok(())
    }

    fn parameter_count(&self, input: &Input) -> usize {
        match input {
            Input::Vector { d } => d + 1,
            Input::Images(_) => unreachable!("linear2 reads vectors (Model::check)"),
        }
    }

    fn representation_width(&self) -> usize {
        1
    }

    fn solvers(&self) -> &'static [&'static str] {
        &["min-norm", "gd"]
    }

    fn trains_members_together(&self) -> bool {
        false
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Linear2 {
    pub w1: Vec<f64>,
    pub w2: f64,
}

impl Linear2 {
    /// The balanced split of a linear map β: w1 = β/√|β|, w2 = √|β| (so |w1| = |w2|).
    pub fn balanced(beta: &[f64]) -> Self {
        let norm = dot(beta, beta).sqrt();
        if norm == 0.0 {
            return Linear2 {
                w1: vec![0.0; beta.len()],
                w2: 0.0,
            };
        }
        let s = norm.sqrt();
        Linear2 {
            w1: beta.iter().map(|b| b / s).collect(),
            w2: s,
        }
    }

    /// The end-to-end linear map w2·w1.
    pub fn beta(&self) -> Vec<f64> {
        self.w1.iter().map(|w| w * self.w2).collect()
    }

    /// The hidden unit on each input: an N × 1 matrix.
    pub fn hidden(&self, x: &Matrix) -> Matrix {
        Matrix {
            rows: x.rows,
            cols: 1,
            data: (0..x.rows).map(|i| dot(x.row(i), &self.w1)).collect(),
        }
    }

    pub fn predict(&self, x: &Matrix) -> Vec<f64> {
        self.hidden(x).data.iter().map(|h| h * self.w2).collect()
    }
}

/// Correlation of two linear2 members' hidden units over x ~ N(0, I): the cosine of w1a, w1b.
pub fn hidden_correlation(a: &[f64], b: &[f64]) -> f64 {
    dot(a, b) / (dot(a, a).sqrt() * dot(b, b).sqrt())
}
