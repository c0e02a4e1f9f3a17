//! Both search methods against a naive scan, on random data with many ties, for every
//! coordinate type, and across thread counts: the answers must be bit-identical.

use super::*;
use crate::rng::Rng;

fn naive_sorted<T: Coord>(p: &Points<T>, cols: &[usize], i: usize) -> Vec<(T, usize)> {
    let mut d: Vec<(T, usize)> = (0..p.n)
        .filter(|&j| j != i)
        .map(|j| {
            let m = cols
                .iter()
                .map(|&c| T::dist(p.row(i)[c], p.row(j)[c]))
                .fold(T::ZERO, |a, b| if b > a { b } else { a });
            (m, j)
        })
        .collect();
    d.sort_by(|a, b| T::total_cmp(a.0, b.0).then(a.1.cmp(&b.1)));
    d
}

/// Integer points in 0..levels (few levels: many ties), as any coordinate type.
fn points<T: Coord>(n: usize, d: usize, levels: u64, seed: u64, cast: fn(u64) -> T) -> Points<T> {
    let mut r = Rng::new(seed);
    Points::new(n, d, (0..n * d).map(|_| cast(r.below(levels))).collect())
}

fn check_all_methods<T: Coord + std::fmt::Debug>(p: &Points<T>, k: usize, what: &str) {
    let all: Vec<usize> = (0..p.dim).collect();
    let naive: Vec<Vec<(T, usize)>> = (0..p.n).map(|i| naive_sorted(p, &all, i)).collect();
    let want_kth: Vec<T> = naive.iter().map(|d| d[k - 1].0).collect();
    let want_idx: Vec<Vec<usize>> = naive
        .iter()
        .map(|d| d[..k].iter().map(|x| x.1).collect())
        .collect();
    let subspaces: Vec<Vec<usize>> = vec![
        all.clone(),
        vec![0],
        (0..p.dim).step_by(2).collect(),
        (p.dim / 2..p.dim).collect(),
    ];
    for method in [Method::Tree, Method::Blocked, Method::Auto] {
        assert_eq!(
            kth_distances(p, k, method),
            want_kth,
            "{what} kth {method:?}"
        );
        assert_eq!(
            nearest_indices(p, k, method),
            want_idx,
            "{what} idx {method:?}"
        );
        for cols in &subspaces {
            for radii in [want_kth.clone(), vec![T::ZERO; p.n], vec![T::MAX; p.n]] {
                let want: Vec<usize> = (0..p.n)
                    .map(|i| {
                        naive_sorted(p, cols, i)
                            .iter()
                            .filter(|x| x.0 < radii[i])
                            .count()
                    })
                    .collect();
                assert_eq!(
                    count_within(p, cols, &radii, method),
                    want,
                    "{what} count {method:?} cols {cols:?}"
                );
            }
        }
    }
}

#[test]
fn methods_match_a_naive_scan_ties_included() {
    // Sizes straddle the blocked search's block (128) and tile (32) boundaries.
    let cases = [
        (30, 1, 1, 5),
        (200, 1, 3, 50),
        (300, 2, 3, 6),
        (531, 3, 5, 6),
        (400, 5, 2, 4),
        (600, 8, 3, 3),
        (150, 3, 20, 6),
        (260, 16, 3, 2),
        // Deep enough that the partition splits each of its three coordinates several times
        // and tiles skip whole blocks.
        (1500, 4, 3, 40),
        // Past the blocked search's early-exit checks (every 8 columns), with a partial last group.
        (520, 20, 3, 30),
    ];
    for (ci, &(n, d, k, levels)) in cases.iter().enumerate() {
        let seed = 100 + ci as u64;
        let what = format!("n={n} d={d} k={k}");
        check_all_methods(&points(n, d, levels, seed, |v| v as u16), k, &what);
        check_all_methods(&points(n, d, levels, seed, |v| v as u32), k, &what);
        check_all_methods(&points(n, d, levels, seed, |v| v as f64 * 0.1), k, &what);
        let mut r = Rng::new(seed);
        let cont = Points::new(n, d, r.normals(n * d));
        check_all_methods(&cont, k, &format!("{what} normal"));
    }
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    let p = points(3000, 6, 40, 9, |v| v as u16);
    let run = |threads: usize, method: Method| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| {
                let eps = kth_distances(&p, 3, method);
                let idx = nearest_indices(&p, 2, method);
                let cnt = count_within(&p, &[1, 4], &eps, method);
                (eps, idx, cnt)
            })
    };
    let one = run(1, Method::Tree);
    for threads in [1, 2, 3] {
        assert_eq!(run(threads, Method::Tree), one, "tree, {threads} threads");
        assert_eq!(
            run(threads, Method::Blocked),
            one,
            "blocked, {threads} threads"
        );
    }
}

#[test]
fn all_identical_points() {
    let p = Points::new(100, 3, vec![1u16; 300]);
    for method in [Method::Tree, Method::Blocked] {
        assert_eq!(kth_distances(&p, 3, method), vec![0; 100]);
        assert_eq!(nearest_indices(&p, 2, method)[5], vec![0, 1]);
        assert_eq!(count_within(&p, &[0, 2], &[1; 100], method), vec![99; 100]);
    }
}

/// Timings of both methods on copula ranks (`u16` below N = 65 536, else `u32`, as the
/// estimators search), the numbers behind `Method::resolve` and the blocked search's constants
/// (run with `cargo test --release -p harness --lib time_methods -- --ignored --nocapture`;
/// `TIME_N=2000,20000` picks the sizes).
#[test]
#[ignore]
fn time_methods() {
    use crate::estimators::copula::{rank_points, ranks};
    use crate::matrix::Matrix;

    fn median(mut f: impl FnMut()) -> f64 {
        let mut t: Vec<f64> = (0..3)
            .map(|_| {
                let t = std::time::Instant::now();
                f();
                t.elapsed().as_secs_f64()
            })
            .collect();
        t.sort_by(f64::total_cmp);
        t[1]
    }
    fn time<T: Coord>(p: &Points<T>, d: usize) {
        let b: Vec<usize> = (d..2 * d).collect();
        let eps = kth_distances(p, 3, Method::Auto);
        for method in [Method::Tree, Method::Blocked] {
            if method == Method::Tree && d > 4 {
                continue; // seconds to minutes: the tree is far behind from 8 + 8
            }
            let knn = median(|| {
                kth_distances(p, 3, method);
            });
            let count = median(|| {
                count_within(p, &b, &eps, method);
            });
            println!(
                "N={} {d}+{d} {method:?}: kNN in {} dims {:.2} ms, count in {d} dims {:.2} ms",
                p.n,
                2 * d,
                knn * 1e3,
                count * 1e3
            );
        }
    }
    let sizes: Vec<usize> = std::env::var("TIME_N")
        .map(|v| v.split(',').map(|x| x.parse().expect("TIME_N")).collect())
        .unwrap_or(vec![2_000, 20_000, 100_000]);
    for &n in &sizes {
        for &d in &[1usize, 2, 3, 4, 8, 16] {
            // d + d dims, coordinate c of B correlated (0.6) with coordinate c of A.
            let mut r = Rng::new(1);
            let mut x = Matrix::zeros(n, 2 * d);
            for i in 0..n {
                for c in 0..d {
                    let a = r.normal();
                    x.data[i * 2 * d + c] = a;
                    x.data[i * 2 * d + d + c] = 0.6 * a + 0.8 * r.normal();
                }
            }
            let u = ranks(&x, &mut Rng::new(0));
            if n < 65_536 {
                time(&rank_points::<u16>(&u), d);
            } else {
                time(&rank_points::<u32>(&u), d);
            }
        }
    }
}
