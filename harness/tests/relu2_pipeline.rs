//! The `relu2` pipeline end to end on a tiny manifest: batched member units go through the
//! cache like any other (a rerun trains nothing, a new SNR trains only its units, a lost
//! artifact is retrained with its replica and comes back byte for byte), and a `compare:` experiment
//! pairs the two networks' members fitted on the same data.

use harness::cache::executor::Executor;
use harness::cache::Store;
use harness::estimators::Estimator;
use harness::kinds::network::execute;
use harness::kinds::network::run_manifest;
use harness::manifest::Manifest;
use harness::plan::{plan, MEMBER_EXT};
use harness::representations::live_columns;
use harness::results::tables;
use std::path::Path;

fn manifest(snr: &str, extra: &str) -> Manifest {
    let text = format!(
        "name: tiny_relu\nseed: 3\ntask: {{kind: linear-teacher, d: 6, n_test: 200}}\n\
         model: {{kind: relu2, width: 2}}\n\
         train: {{solver: adam, lr: 0.02, max_steps: 300, tol: 1.0e-4, window: 20}}\n\
         sweep: {{snr: [{snr}], n_over_p: [0.5, 2.0], replicas: 2, members: 3}}\n{extra}"
    );
    Manifest::parse(&text, Path::new("tiny.yaml")).unwrap()
}

#[test]
fn relu2_units_are_cached_and_retrained_alone() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new(dir.path());
    let exec = Executor {
        quiet: true,
        ..Executor::new(&store)
    };
    let m = manifest("2", "");
    let p = plan(&m);
    assert_eq!((p.members.len(), p.pairs.len()), (12, 12));
    let cold = execute(&m, &p, &exec).unwrap();
    assert_eq!((cold.stats.members_run, cold.stats.pairs_run), (12, 12));
    let warm = execute(&m, &p, &exec).unwrap();
    assert_eq!(warm.stats.units_run(), 0);
    assert_eq!(warm.members, cold.members);

    // Lose one member of a replica: its replica (the batch it was trained in) is retrained
    // whole, and the member comes back byte for byte.
    let lost = &p.members[4];
    let path = dir
        .path()
        .join("cache")
        .join(&lost.hash[..2])
        .join(format!("{}.{MEMBER_EXT}", lost.hash));
    let before = std::fs::read(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    let again = execute(&m, &p, &exec).unwrap();
    assert_eq!((again.stats.members_run, again.stats.pairs_run), (3, 0));
    assert_eq!(std::fs::read(&path).unwrap(), before);

    // A new SNR value adds only its own units.
    let wider = manifest("2, 5", "");
    let pw = plan(&wider);
    let out = execute(&wider, &pw, &exec).unwrap();
    assert_eq!((out.stats.members_run, out.stats.members_reused), (12, 12));
    assert!(out.members.iter().all(|r| r.repr.cols == 2));
    assert!(out.members.iter().all(|r| r.steps > 0));
}

#[test]
fn compare_pairs_each_member_with_its_twin_on_the_same_data() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new(dir.path());
    let exec = Executor {
        quiet: true,
        ..Executor::new(&store)
    };
    let m = manifest(
        "5",
        "compare: {model: {kind: linear2}, train: {solver: min-norm}}\n",
    );
    let p = plan(&m);
    // 2 points × 2 replicas × (3 relu2 + 3 linear2) members; one pair per member index.
    assert_eq!((p.members.len(), p.pairs.len()), (24, 12));
    for pair in &p.pairs {
        let (a, b) = (&p.members[pair.a], &p.members[pair.b]);
        assert_eq!((a.network, b.network), (0, 1));
        assert_eq!(
            (a.replica, a.member, a.point),
            (b.replica, b.member, b.point)
        );
    }
    let out = execute(&m, &p, &exec).unwrap();
    let rows = tables::summarize(&m, &p, &out);
    assert_eq!(rows.len(), 4);
    let (relu, linear) = (&rows[0], &rows[1]);
    assert_eq!((relu.model, linear.model), ("relu2", "linear2"));
    assert_eq!((relu.p, linear.p), (17, 7));
    assert_eq!(relu.point.n, linear.point.n);
    assert_eq!((relu.pairs, linear.pairs), (6, 6));
    // Each network's row holds the CCE of its own code given the other's: recomputed here from
    // the members' representations (dead units dropped; pair a is the relu2 member), CCE(relu2 |
    // linear2) on the relu2 row and CCE(linear2 | relu2) on the linear2 row, means over pairs.
    let gaussian = |pair: &harness::plan::PlannedPair| {
        let seed = harness::rng::derive_seed(0, &format!("pair/{}/{}", pair.spec.a, pair.spec.b));
        harness::estimators::align(
            &live_columns(&out.members[pair.a].repr),
            &live_columns(&out.members[pair.b].repr),
            Estimator::Gaussian,
            3,
            seed,
        )
        .unwrap()
    };
    for (row, net) in [(relu, 0), (linear, 1)] {
        let mine: Vec<f64> = p
            .pairs
            .iter()
            .filter(|q| p.points[p.members[q.a].point].n == row.point.n)
            .map(|q| {
                let v = gaussian(q);
                if net == 0 {
                    v.cce_a_given_b
                } else {
                    v.cce_b_given_a
                }
            })
            .collect();
        assert_eq!(mine.len(), 6);
        let mean = mine.iter().sum::<f64>() / 6.0;
        let got = row.cce["gaussian"].mean;
        assert!((got - mean).abs() < 1e-12, "{}: {got} vs {mean}", row.model);
    }
    // The gap between the directions is far above the 1e-12 of the check above, so a swapped
    // direction fails it (measured: −0.334 vs −0.289 at n = 9). Where a relu2 member has a dead
    // unit its live code is 1-dim like linear2's and that pair's directions coincide, but these
    // data are fixed by the manifest's seed and the other pairs keep the rows apart.
    assert!(
        (relu.cce["gaussian"].mean - linear.cce["gaussian"].mean).abs() > 0.03,
        "the two directions differ on these unequal codes: {} vs {}",
        relu.cce["gaussian"].mean,
        linear.cce["gaussian"].mean
    );
    let report = run_manifest(&m, Path::new("tiny.yaml"), &exec).unwrap();
    assert_eq!(report.stats.units_run(), 0);
    let c1 = &report.verdicts.v1[0];
    assert_eq!((c1.claim, c1.result()), ("C1", "N/A"));
    let summary = std::fs::read_to_string(report.results_dir.join("summary.csv")).unwrap();
    assert!(
        !summary.contains("theory_"),
        "no theory columns without a theory"
    );
    assert!(report.results_dir.join("fig1.svg").exists());
}

#[test]
fn bad_relu2_settings_are_located() {
    let base = "name: x\nseed: 1\ntask: {kind: linear-teacher, d: 6}\n\
                sweep: {snr: [1], n_over_p: [1.0], replicas: 1, members: 2}\n";
    let err = |extra: &str| {
        Manifest::parse(&format!("{base}{extra}"), Path::new("bad.yaml")).unwrap_err()
    };
    let e = err("model:\n  kind: relu2\n  width: 3\ntrain:\n  solver: min-norm\n");
    assert_eq!(e.key.as_deref(), Some("train.solver"));
    assert_eq!(e.line, Some(9));
    assert!(
        e.to_string().starts_with("bad.yaml:9: key `train.solver`"),
        "{e}"
    );
    let e = err("model: {kind: relu2, width: 0}\ntrain: {solver: adam}\n");
    assert_eq!(e.key.as_deref(), Some("model.width"));
    let e = err("model: {kind: relu2, width: 2}\ntrain:\n  solver: adam\n  beta2: 1.0\n");
    assert_eq!((e.key.as_deref(), e.line), (Some("train.beta2"), Some(8)));
    let e = err("model: {kind: relu2, width: 2, init: random}\ntrain: {solver: adam}\n");
    assert!(e.to_string().contains("random"), "{e}");
    let e = err("model: {kind: linear2}\ncompare:\n  model: {kind: linear2}\n");
    assert_eq!((e.key.as_deref(), e.line), (Some("compare.model"), Some(7)));
    let e = err("model: {kind: linear2}\ncompare:\n  model: {kind: relu2, width: 2}\n");
    assert_eq!(e.key.as_deref(), Some("compare.train.solver"), "{e}");
    // Defaults are filled in: spelling one out does not change the identity.
    let ok = |extra: &str| Manifest::parse(&format!("{base}{extra}"), Path::new("ok.yaml"));
    let short = ok("model: {kind: relu2, width: 2}\ntrain: {solver: adam}\n").unwrap();
    let long = ok("model: {kind: relu2, width: 2, init: shared}\n\
                   train: {solver: adam, lr: 0.001, beta1: 0.9, beta2: 0.999, eps: 1.0e-8}\n")
    .unwrap();
    assert_eq!(
        harness::plan::manifest_hash(&short),
        harness::plan::manifest_hash(&long)
    );
}
