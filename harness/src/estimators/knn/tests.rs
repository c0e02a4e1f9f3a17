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
    for method in [Method::Tree, Method::Brute, Method::Auto] {
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
    // Sizes straddle the brute-force block (256) and tile (32) boundaries.
    let cases = [
        (30, 1, 1, 5),
        (200, 1, 3, 50),
        (300, 2, 3, 6),
        (531, 3, 5, 6),
        (400, 5, 2, 4),
        (600, 8, 3, 3),
        (150, 3, 20, 6),
        (260, 16, 3, 2),
        // Past the brute force's early-exit checks (every 8 columns), with a partial last group.
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
        assert_eq!(run(threads, Method::Brute), one, "brute, {threads} threads");
    }
}

#[test]
fn all_identical_points() {
    let p = Points::new(100, 3, vec![1u16; 300]);
    for method in [Method::Tree, Method::Brute] {
        assert_eq!(kth_distances(&p, 3, method), vec![0; 100]);
        assert_eq!(nearest_indices(&p, 2, method)[5], vec![0, 1]);
        assert_eq!(count_within(&p, &[0, 2], &[1; 100], method), vec![99; 100]);
    }
}

/// Timings of both methods on copula ranks, to place the crossovers of `Method::resolve` (run with
/// `cargo test --release -- --ignored --nocapture time_methods`).
#[test]
#[ignore]
fn time_methods() {
    for &n in &[20_000usize, 100_000] {
        for &d in &[2usize, 3, 4, 6, 8] {
            let mut r = Rng::new(1);
            let cols: Vec<Vec<usize>> = (0..2 * d).map(|_| r.permutation(n)).collect();
            let p = Points::new(
                n,
                2 * d,
                (0..n * 2 * d)
                    .map(|x| cols[x % (2 * d)][x / (2 * d)] as u32)
                    .collect(),
            );
            let half: Vec<usize> = (0..d).collect();
            let eps = kth_distances(&p, 3, Method::Auto);
            for method in [Method::Tree, Method::Brute] {
                if n > 20_000 && method == Method::Brute {
                    continue;
                }
                let t = std::time::Instant::now();
                let sub = p.columns(&half);
                kth_distances(&sub, 3, method);
                let knn = t.elapsed().as_secs_f64();
                let t = std::time::Instant::now();
                count_within(&p, &half, &eps, method);
                let count = t.elapsed().as_secs_f64();
                println!(
                    "N={n} d={d} {method:?}: kNN {knn:.3} s, count (radius from {}-d) {count:.3} s",
                    2 * d
                );
            }
        }
    }
}
