//! Task data: the linear teacher of SPEC §2.1 and its inputs, labels and test set.
//!
//! Every draw comes from a stream derived from the experiment seed and a tag naming what is
//! drawn, so a member's data depends only on (seed, n, replica, member), never on the order
//! units run in. The noise of a member is σ·z with z drawn from a tag without the SNR: the
//! same standard-normal draws serve every SNR of the sweep (common random numbers), so
//! differences between SNR values are not blurred by independent draws. This is our choice.

use crate::matrix::Matrix;
use crate::rng::Rng;
use serde::{Deserialize, Serialize};

/// How the members of one replica get their training inputs (`task.inputs`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Inputs {
    /// The members of a replica see the same X with independent noise draws.
    #[default]
    Shared,
    /// Each member draws its own X.
    Independent,
}

/// y = β·x + ε with x ~ N(0, I_d), β ~ N(0, I_d) rescaled to |β| = 1, ε ~ N(0, 1/SNR).
#[derive(Clone, Debug)]
pub struct LinearTeacher {
    pub seed: u64,
    pub d: usize,
    pub beta: Vec<f64>,
}

impl LinearTeacher {
    pub fn new(seed: u64, d: usize) -> Self {
        let mut beta = Rng::derive(seed, "teacher").normals(d);
        let norm = beta.iter().map(|b| b * b).sum::<f64>().sqrt();
        beta.iter_mut().for_each(|b| *b /= norm);
        LinearTeacher { seed, d, beta }
    }

    /// The test inputs shared by every member of the experiment.
    pub fn test_inputs(&self, n_test: usize) -> Matrix {
        self.gaussian_inputs(n_test, "test-inputs")
    }

    /// The training inputs of one member: shared within a replica, or its own.
    pub fn train_inputs(&self, inputs: Inputs, n: usize, replica: usize, member: usize) -> Matrix {
        let tag = match inputs {
            Inputs::Shared => format!("inputs/n={n}/replica={replica}"),
            Inputs::Independent => format!("inputs/n={n}/replica={replica}/member={member}"),
        };
        self.gaussian_inputs(n, &tag)
    }

    /// Noisy labels y = Xβ + σz for one member, σ² = 1/SNR.
    pub fn labels(
        &self,
        x: &Matrix,
        snr: f64,
        n: usize,
        replica: usize,
        member: usize,
    ) -> Vec<f64> {
        let sigma = (1.0 / snr).sqrt();
        let mut rng = Rng::derive(
            self.seed,
            &format!("noise/n={n}/replica={replica}/member={member}"),
        );
        self.clean(x)
            .into_iter()
            .map(|signal| signal + sigma * rng.normal())
            .collect()
    }

    /// β·x for each row of `x`.
    pub fn clean(&self, x: &Matrix) -> Vec<f64> {
        (0..x.rows).map(|i| dot(x.row(i), &self.beta)).collect()
    }

    fn gaussian_inputs(&self, rows: usize, tag: &str) -> Matrix {
        let mut rng = Rng::derive(self.seed, tag);
        Matrix {
            rows,
            cols: self.d,
            data: rng.normals(rows * self.d),
        }
    }
}

pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}
