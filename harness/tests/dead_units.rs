//! Dead units (README: "a hidden unit constant on every test input has no copula and is dropped
//! before estimation"): a pair whose representations carry dead columns, at zero or at any
//! other constant, gets exactly the estimates of the same pair with those columns removed by
//! hand; without the dropping the estimators would refuse the constant column.

use harness::alignment::{run_pair, PairSettings};
use harness::estimators::{Estimator, Projection};
use harness::matrix::Matrix;
use harness::representations::{live_units, MemberResult};
use harness::rng::Rng;
use harness::train::StopReason;
use std::collections::BTreeMap;

fn member(repr: Matrix) -> MemberResult {
    MemberResult {
        gen_error: 0.0,
        train_loss: 0.0,
        steps: 0,
        stop: StopReason::Epochs,
        params: BTreeMap::new(),
        repr,
        extra: BTreeMap::new(),
    }
}

#[test]
fn dead_units_are_dropped_before_every_estimator() {
    let n = 500;
    let mut rng = Rng::new(4);
    let z: Vec<f64> = rng.normals(2 * n);
    let noise: Vec<f64> = rng.normals(n);
    // A: units 0 and 2 live, unit 1 dead at 0, unit 3 dead at 0.7. B: unit 0 dead, 1 and 2 live.
    let a = Matrix::from_fn(n, 4, |i, j| match j {
        0 => z[2 * i].max(0.0) + 0.01 * i as f64,
        2 => z[2 * i + 1],
        1 => 0.0,
        _ => 0.7,
    });
    let b = Matrix::from_fn(n, 3, |i, j| match j {
        0 => 0.0,
        1 => z[2 * i] + 0.5 * z[(2 * i + 3) % (2 * n)],
        _ => z[2 * i + 1] * 2.0 - 1.0 + noise[i],
    });
    assert_eq!(live_units(&a), vec![0, 2]);
    assert_eq!(live_units(&b), vec![1, 2]);
    let a_live = Matrix::from_fn(n, 2, |i, j| a.get(i, [0, 2][j]));
    let b_live = Matrix::from_fn(n, 2, |i, j| b.get(i, [1, 2][j]));
    let settings = PairSettings {
        estimators: &Estimator::ALL,
        k: 3,
        project: Projection::None,
        seed: 17,
    };
    let with_dead = run_pair(&member(a), &member(b), &settings).unwrap();
    let by_hand = run_pair(&member(a_live), &member(b_live), &settings).unwrap();
    assert_eq!(with_dead, by_hand);
    assert_eq!(with_dead.estimates.len(), Estimator::ALL.len());
}
