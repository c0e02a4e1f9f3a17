//! The `tcopula-pairs`, `tcopula-matched` and `tcopula-pooled` alignment estimators (SPEC §4.3,
//! §4.D, §4.E, §4.G): the fitted t copula's closed form, plus what the k-NN estimator sees of the
//! data's departure from that model in pairs of coordinates, where it sees one beyond noise.
//!
//! With θ̂ the t copula fitted to the data (`elliptical.rs`) and U* one surrogate sample of the
//! same N drawn from it, every copula entropy is
//!
//!   Ĥ_c(X) = H_c,θ̂(X) + Σ_{i<j ∈ X} sᵢⱼ δᵢⱼ,   δᵢⱼ = ksg(uᵢ|uⱼ) − ksg(u*ᵢ|u*ⱼ),
//!
//! with ksg(uᵢ|uⱼ) the 2-D copula entropy of the pair (CCE of one coordinate given the other:
//! the second one's copula entropy is 0). A pair passes when its δᵢⱼ / SE(δᵢⱼ) passes Benjamini &
//! Hochberg's step-up test at 5 % over all D(D − 1)/2 pairs ([`FAMILY_WISE_ALPHA`]): on data from
//! the model no pair passes, 19 times in 20, and the estimate is `tcopula`'s; where several pairs
//! depart, more of them pass than Bonferroni's bound would let. SE(δ) is c·√(SE² + SE*²), each
//! the spread of the per-point terms of the 2-D estimate over √N and c = [`SE_INFLATION`] for
//! their correlation. `tcopula-pairs` sets sᵢⱼ = 1 for every passing pair; `tcopula-matched`
//! for a matching of them ([`Selection::Matching`]: in decreasing |z|, a pair is kept when
//! neither of its coordinates is in a pair kept before). Then CCE(A|B) = Ĥ_c(A, B) − Ĥ_c(B),
//! and CCE(B|A) and the MI likewise.
//!
//! Why it should work: it is the second-order term of an expansion of the departure from the
//! model, H_c(X) − H_c,θ(X) ≈ Σ_pairs [H_c(xᵢ, xⱼ) − H_c,θ(xᵢ, xⱼ)], exact where the departure
//! sits in disjoint pairs (independent non-elliptical pairs, such as the Clayton family, against a
//! Gaussian fit whose R is block-diagonal) and zero where the model holds. Each term is a 2-D
//! k-NN estimate, where `ksg` is nearly unbiased (within ±0.02 nats at N ≥ 2000 on every copula
//! of the accuracy grid), referenced to the same estimate on the model's surrogate so that what
//! bias it has cancels; the test keeps the D(D − 1)/2 noisy terms of a pure model out. Where the
//! departing pairs overlap, the expansion fails: on one Clayton copula over all coordinates
//! (`clayton-joint`), every one of the D(D − 1)/2 pairs departs, their sum counts the one shared
//! dependence once a pair (496 terms at 16 + 16 dims), and `tcopula-pairs` misses by up to 32
//! nats there, the more the larger N, as more pairs pass (SPEC §4.E). `tcopula-matched` adds at
//! most D/2 terms, none sharing a coordinate: the expansion's exact case where the departures are
//! disjoint (there it is `tcopula-pairs`), and a bounded correction where they are not.
//! `tcopula-pooled` adds, to `tcopula-matched`'s, the departures of a second matching of the
//! coordinates left free, taken in decreasing |R̂ᵢⱼ| of the fit, all of them when their sum
//! passes one test ([`pooled`]): departures each too weak for the step-up test (a Clayton
//! pair's 0.02 nats at ρ = 0.3) add up in the sum, whose noise grows as the square root of the
//! pairs pooled.
//!
//! The 2-D searches run on a grid of cells holding about one point each: a k-th neighbour is
//! found in the point's cell and the rings around it (`for_each_kth_distance`); the counts in one
//! coordinate are arithmetic, since each column of ranks is a permutation of 1..N. The results
//! equal `ksg` on the pair up to the order of summation (a test holds them to it).
//!
//! The surrogate is drawn from `derive_seed(seed, "tcopula-pairs")` for all three estimators,
//! `seed` being the pair's tie-breaking seed: the estimate stays a pure function of the inputs
//! and the seed, and the three differ only in which pairs they add.

use super::elliptical::{fit, EllipticalFit};
use super::special::{digamma, normal_quantile};
use super::PairAlignment;
use crate::matrix::Matrix;
use crate::rng::derive_seed;
use anyhow::Result;
use rayon::prelude::*;

/// The rate at which any pair of a sample from the fitted model passes the test.
const FAMILY_WISE_ALPHA: f64 = 0.05;

/// The spread of the per-point terms over √N understates a k-NN estimate's standard error:
/// neighbouring points share neighbourhoods, so their terms are correlated. Measured (720 pairs
/// of independent or Gaussian-dependent coordinates a setting, 8 + 8 dims, at N = 500, 2000 and
/// 20 000, ρ 0 to 0.9, Gaussian, t(2) and Clayton copulas): δ / SE has a spread of 1.21 to 1.26
/// at k = 3 to 10 and 1.15 at k = 1. The SE is scaled by this factor, the largest measured
/// rounded up (a test holds the scaled spread near 1).
const SE_INFLATION: f64 = 1.25;

/// The registry's handle on the three estimators of this file, which differ in which pairs'
/// departures they add up.
pub(super) struct TCopulaPairs {
    pub(super) selection: Selection,
}

/// Which of the pairs that pass the test contribute their departure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Selection {
    /// Every passing pair (`tcopula-pairs`).
    Every,
    /// A matching of the passing pairs (`tcopula-matched`; [`disjoint`]).
    Matching,
    /// `Matching`, then the departures too small to pass one by one, pooled over a matching of
    /// the coordinates it leaves and added together when their sum passes one test
    /// (`tcopula-pooled`; [`pooled`]).
    Pooling,
}

impl super::CopulaEstimator for TCopulaPairs {
    fn name(&self) -> &'static str {
        match self.selection {
            Selection::Every => "tcopula-pairs",
            Selection::Matching => "tcopula-matched",
            Selection::Pooling => "tcopula-pooled",
        }
    }

    fn about(&self) -> &'static str {
        match self.selection {
            Selection::Every => {
                "tcopula plus the 2-D ksg departures from the fitted model of every pair that shows \
                 one (far off where many pairs share one dependence: use tcopula-matched)"
            }
            Selection::Matching => {
                "tcopula-pairs with the departing pairs kept only where they share no coordinate"
            }
            Selection::Pooling => {
                "tcopula-matched plus the departures too small to pass one by one, of the most \
                 correlated pairs of the coordinates left, added when their sum passes one test"
            }
        }
    }

    fn is_knn(&self) -> bool {
        true
    }

    fn alignment(&self, ra: &Matrix, rb: &Matrix, k: usize, seed: u64) -> Result<PairAlignment> {
        let da = ra.cols;
        let (model, departures) = departures(ra, rb, k, seed, self.selection)?;
        let closed = model.alignment(da)?;
        let (within_a, within_b, across) = departures.sums(da);
        Ok(PairAlignment::new(
            closed.cce_a_given_b + within_a + across,
            closed.cce_b_given_a + within_b + across,
            closed.mutual_information - across,
        ))
    }

    fn cce(&self, ra: &Matrix, rb: &Matrix, k: usize, seed: u64) -> Result<f64> {
        let da = ra.cols;
        // Pairs within B cancel in H_c(A, B) − H_c(B), but they are tested with the others:
        // which pairs pass depends on all of them.
        let (model, departures) = departures(ra, rb, k, seed, self.selection)?;
        let (within_a, _, across) = departures.sums(da);
        Ok(model.cce(da)? + within_a + across)
    }
}

/// The departures δᵢⱼ of the pairs i < j (A's coordinates first) that pass the test; the others
/// are 0.
struct Departures {
    pairs: Vec<(usize, usize, f64)>,
}

impl Departures {
    /// (Σ over pairs within A, within B, across A × B), each summed in pair order.
    fn sums(&self, da: usize) -> (f64, f64, f64) {
        let mut s = (0.0, 0.0, 0.0);
        for &(i, j, d) in &self.pairs {
            match (i < da, j < da) {
                (true, true) => s.0 += d,
                (false, false) => s.1 += d,
                _ => s.2 += d,
            }
        }
        s
    }
}

/// The fitted model and every pair's departure from it.
fn departures(
    ra: &Matrix,
    rb: &Matrix,
    k: usize,
    seed: u64,
    selection: Selection,
) -> Result<(EllipticalFit, Departures)> {
    let n = ra.rows;
    let x = rank_columns(ra, rb);
    let d = x.len();
    let tables = Tables::new(n);
    let pairs: Vec<(usize, usize)> = (0..d)
        .flat_map(|i| (i + 1..d).map(move |j| (i, j)))
        .collect();
    let each_pair = |columns: &[RankColumn]| -> Vec<Estimate> {
        pairs
            .par_iter()
            .map(|&(i, j)| pair_cce(&columns[i], &columns[j], k, &tables))
            .collect()
    };
    // The searches on the data need no model: they run while the model is fitted (whose
    // serial parts would leave the other cores idle).
    let (fitted, on_data) = rayon::join(
        || -> Result<_> {
            let model = fit(ra, rb)?;
            let xs = surrogate_columns(&model, n, derive_seed(seed, "tcopula-pairs"))?;
            Ok((model, xs))
        },
        || each_pair(&x),
    );
    let (model, xs) = fitted?;
    let on_model = each_pair(&xs);
    let tested: Vec<Estimate> = on_data
        .iter()
        .zip(&on_model)
        .map(|(on_data, on_model)| Estimate {
            value: on_data.value - on_model.value,
            se: SE_INFLATION * on_data.se.hypot(on_model.se),
        })
        .collect();
    let z: Vec<f64> = tested.iter().map(|t| t.value / t.se).collect();
    let mut pass = step_up(&z);
    if selection != Selection::Every {
        pass = disjoint(&pairs, &z, &pass, d);
    }
    if selection == Selection::Pooling {
        pass = pooled(&pairs, &tested, &model.r, &pass, d);
    }
    let pairs = pairs
        .into_iter()
        .zip(tested.iter().zip(pass))
        .map(|((i, j), (t, pass))| (i, j, if pass { t.value } else { 0.0 }))
        .collect();
    Ok((model, Departures { pairs }))
}

/// The columns of two matrices of ranks 1..N (A's first), as integers.
fn rank_columns(ra: &Matrix, rb: &Matrix) -> Vec<RankColumn> {
    let column =
        |m: &Matrix, j: usize| (0..m.rows).map(|i| m.data[i * m.cols + j] as u32).collect();
    let a = (0..ra.cols).map(|j| column(ra, j));
    let b = (0..rb.cols).map(|j| column(rb, j));
    a.chain(b).map(RankColumn::new).collect()
}

/// The columns of one surrogate sample of the fitted model.
fn surrogate_columns(model: &EllipticalFit, n: usize, seed: u64) -> Result<Vec<RankColumn>> {
    let columns = model.surrogate_rank_columns(n, seed)?;
    Ok(columns.into_iter().map(RankColumn::new).collect())
}

/// A column of ranks 1..=N (a permutation) and its inverse, the rows in rank order.
struct RankColumn {
    rank: Vec<u32>,
    rows_by_rank: Vec<u32>,
}

impl RankColumn {
    fn new(rank: Vec<u32>) -> Self {
        let mut rows_by_rank = vec![0u32; rank.len()];
        for (i, &r) in rank.iter().enumerate() {
            rows_by_rank[r as usize - 1] = i as u32;
        }
        RankColumn { rank, rows_by_rank }
    }
}

/// Which of m two-sided z scores pass Benjamini & Hochberg's step-up test at
/// [`FAMILY_WISE_ALPHA`]: with |z| in decreasing order, the first r, r the largest rank whose
/// |z|₍ᵣ₎ exceeds the two-sided normal quantile of r·α/m. When no pair departs it passes any
/// with probability at most α, as Bonferroni's bound would; when several depart, it admits
/// more of them.
fn step_up(z: &[f64]) -> Vec<bool> {
    let m = z.len();
    let order = strongest_first(z, (0..m).collect());
    let critical =
        |rank: usize| -normal_quantile(FAMILY_WISE_ALPHA * rank as f64 / (2.0 * m as f64));
    let passing = (1..=m)
        .rev()
        .find(|&r| z[order[r - 1]].abs() > critical(r))
        .unwrap_or(0);
    let mut pass = vec![false; m];
    for &i in &order[..passing] {
        pass[i] = true;
    }
    pass
}

/// Of the passing pairs, those kept greedily in decreasing |z| (ties in pair order) while
/// neither coordinate is taken: a matching of the `d` coordinates.
fn disjoint(pairs: &[(usize, usize)], z: &[f64], pass: &[bool], d: usize) -> Vec<bool> {
    let order = strongest_first(z, (0..pairs.len()).filter(|&p| pass[p]).collect());
    let mut keep = vec![false; pairs.len()];
    for p in greedy_matching(pairs, order, &mut vec![false; d]) {
        keep[p] = true;
    }
    keep
}

/// Of the pairs `order`, in that order, those whose coordinates are both free in `taken`,
/// each taking its two as it is kept: the greedy matching of [`disjoint`] and [`pooled`].
fn greedy_matching(pairs: &[(usize, usize)], order: Vec<usize>, taken: &mut [bool]) -> Vec<usize> {
    let mut kept = Vec::new();
    for p in order {
        let (i, j) = pairs[p];
        if !taken[i] && !taken[j] {
            (taken[i], taken[j]) = (true, true);
            kept.push(p);
        }
    }
    kept
}

/// `kept` (a matching) and, where their sum passes one two-sided test at
/// [`FAMILY_WISE_ALPHA`], the pairs of a second matching of the coordinates `kept` leaves free:
/// greedily in decreasing |R̂ᵢⱼ| of the fitted model (ties in pair order), so that which pairs
/// are pooled does not depend on their departures' noise, and their sum's z score
/// Σδ / √(Σ SE²) is a standard normal under the model (the pairs share no coordinate). Where
/// each of several pairs departs by less than the step-up test can see (Clayton pairs at
/// ρ = 0.3, or at N = 500), their sum can.
fn pooled(
    pairs: &[(usize, usize)],
    tested: &[Estimate],
    r: &Matrix,
    kept: &[bool],
    d: usize,
) -> Vec<bool> {
    let mut taken = vec![false; d];
    for (p, _) in kept.iter().enumerate().filter(|(_, &k)| k) {
        let (i, j) = pairs[p];
        (taken[i], taken[j]) = (true, true);
    }
    let strength: Vec<f64> = pairs.iter().map(|&(i, j)| r.get(i, j)).collect();
    let pool = greedy_matching(
        pairs,
        strongest_first(&strength, (0..pairs.len()).collect()),
        &mut taken,
    );
    let sum: f64 = pool.iter().map(|&p| tested[p].value).sum();
    let se = pool
        .iter()
        .map(|&p| tested[p].se * tested[p].se)
        .sum::<f64>()
        .sqrt();
    let mut pass = kept.to_vec();
    if !pool.is_empty() && (sum / se).abs() > -normal_quantile(FAMILY_WISE_ALPHA / 2.0) {
        for p in pool {
            pass[p] = true;
        }
    }
    pass
}

/// The pairs `order` sorted by decreasing |z|, ties in pair order: the order in which the
/// step-up test admits pairs and the matching keeps them.
fn strongest_first(z: &[f64], mut order: Vec<usize>) -> Vec<usize> {
    order.sort_by(|&a, &b| z[b].abs().total_cmp(&z[a].abs()).then(a.cmp(&b)));
    order
}

/// A 2-D estimate and its standard error.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Estimate {
    value: f64,
    se: f64,
}

/// ψ(m) and ln(2m/N) for m = 0..=N (the values `ksg` computes point by point) and the search's
/// grid, shared by every pair of one sample.
struct Tables {
    n: usize,
    psi: Vec<f64>,
    log_two_eps: Vec<f64>,
    grid: Grid,
}

impl Tables {
    fn new(n: usize) -> Self {
        Tables {
            n,
            grid: Grid::new(n),
            psi: (0..=n).map(|m| digamma(m as f64)).collect(),
            log_two_eps: (0..=n).map(|m| (2.0 * m as f64 / n as f64).ln()).collect(),
        }
    }
}

/// `ksg`'s CCE(x|y) of a 2-D sample of ranks (each column a permutation of 1..=N):
/// −ψ(k) + ⟨ψ(n_y,i + 1)⟩ + ⟨log 2εᵢ⟩, εᵢ the k-th neighbour max-norm distance over N and
/// n_y,i the other points strictly within it in y, which for a permutation is
/// min(yᵢ − 1, Dᵢ − 1) + min(N − yᵢ, Dᵢ − 1) with Dᵢ the rank distance. Both take integer
/// values, so the means are sums over their histograms in value order, and the spread of the
/// per-point terms (SE = spread / √N) is summed in fixed point: exact sums, whatever the order
/// of the points. (`ksg` sums the sorted values instead: equal up to rounding.)
fn pair_cce(x: &RankColumn, y: &RankColumn, k: usize, t: &Tables) -> Estimate {
    let n = t.n;
    // How many points take each entry of the two tables (grown to the largest entry taken).
    let (mut at_psi, mut at_log) = (Vec::<u32>::new(), Vec::<u32>::new());
    let (mut sum, mut sum_sq) = (0i128, 0i128);
    let mut add = |count: usize, di: usize, points: u32| {
        if count + 1 >= at_psi.len() {
            at_psi.resize(count + 2, 0);
        }
        if di >= at_log.len() {
            at_log.resize(di + 1, 0);
        }
        at_psi[count + 1] += points;
        at_log[di] += points;
        let q = ((t.psi[count + 1] + t.log_two_eps[di]) * FIXED_POINT).round() as i128;
        sum += points as i128 * q;
        sum_sq += points as i128 * q * q;
    };
    // Most points lie further than Dᵢ − 1 from both ends of y, where n_y,i = 2(Dᵢ − 1): those
    // are counted by Dᵢ alone, and their terms added once a distance.
    let mut interior = Vec::<u32>::new();
    for_each_kth_distance(&x.rows_by_rank, &y.rank, k, &t.grid, |_, yi, di| {
        let (yi, di) = (yi as usize, di as usize);
        if yi >= di && n + 1 - yi >= di {
            if di >= interior.len() {
                interior.resize(di + 1, 0);
            }
            interior[di] += 1;
        } else {
            add((yi - 1).min(di - 1) + (n - yi).min(di - 1), di, 1);
        }
    });
    for (di, &points) in interior.iter().enumerate().filter(|(_, &h)| h > 0) {
        add(2 * (di - 1), di, points);
    }
    // Entries no point takes are skipped (ψ(0) and ln 0 are infinite).
    let mean = |hist: &[u32], table: &[f64]| -> f64 {
        hist.iter()
            .zip(table)
            .filter(|(&h, _)| h > 0)
            .map(|(&h, v)| h as f64 * v)
            .sum::<f64>()
            / n as f64
    };
    let (mean_psi, mean_log) = (mean(&at_psi, &t.psi), mean(&at_log, &t.log_two_eps));
    let nf = n as f64;
    let (s, s2) = (
        sum as f64 / FIXED_POINT,
        sum_sq as f64 / (FIXED_POINT * FIXED_POINT),
    );
    let var = ((s2 - s * s / nf) / (nf - 1.0).max(1.0)).max(0.0);
    Estimate {
        value: -digamma(k as f64) + mean_psi + mean_log,
        se: (var / nf).sqrt(),
    }
}

/// The scale of the fixed-point sums of per-point terms (|term| < 50: squares and sums of
/// 2·10⁹ points stay far inside an i128).
const FIXED_POINT: f64 = (1u64 << 32) as f64;

/// The k-th distances of [`for_each_kth_distance`] in row order (the tests' view of it).
#[cfg(test)]
pub(crate) fn kth_distances_2d(x: &[u32], y: &[u32], k: usize) -> Vec<u32> {
    let mut out = vec![0u32; x.len()];
    let x = RankColumn::new(x.to_vec());
    for_each_kth_distance(&x.rows_by_rank, y, k, &Grid::new(y.len()), |xi, _, d| {
        out[x.rows_by_rank[xi as usize - 1] as usize] = d
    });
    out
}

/// Calls `emit(xᵢ, yᵢ, Dᵢ)` with the max-norm distance Dᵢ from every point i to its k-th nearest
/// other point, in the search's order (cells, not rows), for 2-D points of integer ranks whose
/// columns are permutations of 1..=N (no two points share an x, so every other point is at
/// distance ≥ 1), given as the rows in increasing x (`by_x`: row `by_x[r − 1]` has x = r) and
/// the y of each row. The points are sorted into square cells of side ⌈√(N·[`POINTS_PER_CELL`])⌉,
/// strip of cells by strip (a strip holds exactly `side` points). For each strip, the points of
/// it and its two neighbours are laid out row of cells by row, so that the 3 × 3 cells around
/// any cell of the strip are one run; each point is offered that run, and the further rings of
/// cells only where the k-th distance found may reach beyond them, and of a ring only the cells
/// within that distance (rarely needed). Sequential: the estimator runs the pairs in parallel.
/// Built for AVX2 where the CPU has it (integer work only: the same results).
fn for_each_kth_distance(
    by_x: &[u32],
    y: &[u32],
    k: usize,
    grid: &Grid,
    emit: impl FnMut(u32, u32, u32),
) {
    let n = y.len();
    assert!(
        k >= 1 && k < n,
        "k = {k} needs at least k + 1 points, got {n}"
    );
    #[cfg(target_arch = "x86_64")]
    if super::knn::has_avx2() {
        #[target_feature(enable = "avx2")]
        unsafe fn avx2(
            by_x: &[u32],
            y: &[u32],
            k: usize,
            grid: &Grid,
            emit: impl FnMut(u32, u32, u32),
        ) {
            search_for_k(by_x, y, k, grid, emit)
        }
        // SAFETY: the CPU has AVX2 (checked above), all this function enables.
        return unsafe { avx2(by_x, y, k, grid, emit) };
    }
    search_for_k(by_x, y, k, grid, emit)
}

/// [`search_2d`] with the k smallest distances in registers for the usual k.
#[inline(always)]
fn search_for_k(by_x: &[u32], y: &[u32], k: usize, grid: &Grid, emit: impl FnMut(u32, u32, u32)) {
    match k {
        1 => search_2d(by_x, y, grid, [u32::MAX; 1], emit),
        2 => search_2d(by_x, y, grid, [u32::MAX; 2], emit),
        3 => search_2d(by_x, y, grid, [u32::MAX; 3], emit),
        4 => search_2d(by_x, y, grid, [u32::MAX; 4], emit),
        5 => search_2d(by_x, y, grid, [u32::MAX; 5], emit),
        6 => search_2d(by_x, y, grid, [u32::MAX; 6], emit),
        7 => search_2d(by_x, y, grid, [u32::MAX; 7], emit),
        8 => search_2d(by_x, y, grid, [u32::MAX; 8], emit),
        _ => search_2d(by_x, y, grid, vec![u32::MAX; k], emit),
    }
}

/// [`for_each_kth_distance`] with the k smallest distances (less one) kept in `best`.
#[inline(always)]
fn search_2d<B: Nearest>(
    by_x: &[u32],
    y: &[u32],
    grid: &Grid,
    mut best: B,
    mut emit: impl FnMut(u32, u32, u32),
) {
    let n = y.len();
    assert_eq!(by_x.len(), n, "one x for each y");
    assert_eq!(grid.cell_of.len(), n + 1, "a grid for {n} points");
    let (side, g) = (grid.side, grid.g);
    let cell = |v: u32| grid.cell_of[v as usize] as usize;
    // The strip of cells cx holds exactly the points of x ranks cx·side + 1 ..= (cx + 1)·side:
    // each strip is sorted into its cells on its own (a counting sort over g cells, in cache).
    let mut cell_start = vec![0u32; g * g + 1];
    // The points in cell order, as columns padded for `insert_run`'s reads.
    let (mut xs, mut ys) = (vec![u32::MAX; n + LANES], vec![u32::MAX; n + LANES]);
    let mut fill = vec![0u32; g + 1];
    for cx in 0..g {
        let (lo, hi) = (cx * side, ((cx + 1) * side).min(n));
        fill.fill(0);
        for &i in &by_x[lo..hi] {
            fill[cell(y[i as usize]) + 1] += 1;
        }
        for cy in 0..g {
            fill[cy + 1] += fill[cy];
            cell_start[cx * g + cy] = lo as u32 + fill[cy];
        }
        for (v, &i) in (lo..hi).zip(&by_x[lo..hi]) {
            let yi = y[i as usize];
            let at = &mut fill[cell(yi)];
            let to = lo + *at as usize;
            (xs[to], ys[to]) = (v as u32 + 1, yi);
            *at += 1;
        }
    }
    cell_start[g * g] = n as u32;
    let cells = Cells {
        start: &cell_start,
        xs: &xs,
        ys: &ys,
    };
    let gi = g as isize;
    // The distance from coordinate p of cell c to the first coordinate outside the cells
    // c - r ..= c + r (none there: u64::MAX).
    let reach = |c: usize, p: u32, r: usize| -> u64 {
        let (c, r) = (c as isize, r as isize);
        let below = if c - r <= 0 {
            u64::MAX
        } else {
            p as u64 - (c - r) as u64 * side as u64
        };
        let above = if c + r >= gi - 1 {
            u64::MAX
        } else {
            (c + r + 1) as u64 * side as u64 + 1 - p as u64
        };
        below.min(above)
    };
    // The points of the strips cx − 1 ..= cx + 1 ordered by cell row cy, so that the 3 × 3
    // block around any cell of strip cx is one run: `block` holds them (at most 3·side points,
    // each strip holding exactly `side`), `row_start[cy]` where row cy begins.
    let (mut block_x, mut block_y) = (vec![0u32; 3 * side + LANES], vec![0u32; 3 * side + LANES]);
    let mut row_start = vec![0usize; g + 1];
    let mut dist = [0u32; LANES];
    for cx in 0..g {
        let strips = (cx.saturating_sub(1))..=(cx + 1).min(g - 1);
        let mut pos = 0;
        for cy in 0..g {
            row_start[cy] = pos;
            for ix in strips.clone() {
                let (s, e) = cells.run(ix * g + cy, ix * g + cy);
                // A cell rarely holds more than COPY points: copy that many whatever it
                // holds (the arrays are padded for it) and move on by what it holds.
                block_x[pos..pos + COPY].copy_from_slice(&xs[s..s + COPY]);
                block_y[pos..pos + COPY].copy_from_slice(&ys[s..s + COPY]);
                if e - s > COPY {
                    block_x[pos + COPY..pos + e - s].copy_from_slice(&xs[s + COPY..e]);
                    block_y[pos + COPY..pos + e - s].copy_from_slice(&ys[s + COPY..e]);
                }
                pos += e - s;
            }
        }
        row_start[g] = pos;
        // The points of strip cx one by one, not cell by cell (a loop of 0 to 3 turns a cell
        // is one mispredicted branch a point).
        let (first, end) = cells.run(cx * g, cx * g + g - 1);
        for at in first..end {
            let (px, py) = (xs[at], ys[at]);
            let cy = cell(py);
            let (b0, b1) = (row_start[cy.saturating_sub(1)], row_start[(cy + 2).min(g)]);
            best.clear();
            insert_run(
                &block_x[b0..],
                &block_y[b0..],
                b1 - b0,
                (px, py),
                &mut best,
                &mut dist,
            );
            // Rings 2, 3, … only where the k-th distance may lie beyond the 3 × 3 block, and of
            // a ring only the cells that meet the square of the points nearer than the k-th
            // found so far (a point outside it cannot change the k-th distance).
            let mut r = 1;
            loop {
                // The k-th distance less one (u32::MAX: fewer than k points found).
                let kth = best.kth();
                let reach = reach(cx, px, r).min(reach(cy, py, r));
                if (kth as u64) < reach || reach == u64::MAX {
                    break;
                }
                r += 1;
                let span = |p: u32, c: usize| {
                    let lo = cell(p.saturating_sub(kth).max(1));
                    let hi = cell(p.saturating_add(kth).min(n as u32));
                    (lo.max(c.saturating_sub(r)), hi.min(c + r))
                };
                let ((x0, x1), (y0, y1)) = (span(px, cx), span(py, cy));
                for ix in x0..=x1 {
                    let row = ix * g;
                    // Rows cx ± r of the ring whole, the rows between at cy ± r only.
                    if ix.abs_diff(cx) == r {
                        cells.offer(row + y0, row + y1, (px, py), &mut best, &mut dist);
                    } else {
                        if cy >= r && cy - r >= y0 {
                            let c = row + cy - r;
                            cells.offer(c, c, (px, py), &mut best, &mut dist);
                        }
                        if cy + r <= y1 {
                            let c = row + cy + r;
                            cells.offer(c, c, (px, py), &mut best, &mut dist);
                        }
                    }
                }
            }
            emit(px, py, best.kth() + 1);
        }
    }
}

/// The points of a layout of cells: cell c's are entries `start[c]..start[c + 1]` of the
/// columns `xs`, `ys` (padded for [`insert_run`]).
struct Cells<'a> {
    start: &'a [u32],
    xs: &'a [u32],
    ys: &'a [u32],
}

impl Cells<'_> {
    /// Where the points of cells `c0..=c1` lie in the columns (one run: cells of one strip).
    #[inline(always)]
    fn run(&self, c0: usize, c1: usize) -> (usize, usize) {
        (self.start[c0] as usize, self.start[c1 + 1] as usize)
    }

    /// Offers `best` the points of cells `c0..=c1` (one run: cells of one strip).
    #[inline(always)]
    fn offer<B: Nearest>(
        &self,
        c0: usize,
        c1: usize,
        p: (u32, u32),
        best: &mut B,
        dist: &mut [u32; LANES],
    ) {
        let (s, e) = self.run(c0, c1);
        insert_run(&self.xs[s..], &self.ys[s..], e - s, p, best, dist);
    }
}

/// The cells of the search for N points: square, of side ⌈√(N·[`POINTS_PER_CELL`])⌉, g to a row.
struct Grid {
    side: usize,
    g: usize,
    /// The cell row (or column) of each rank 1..=N (entry 0 unused): no division per point.
    cell_of: Vec<u32>,
}

impl Grid {
    fn new(n: usize) -> Self {
        let side = ((n as f64 * POINTS_PER_CELL).sqrt().ceil() as usize).max(1);
        let g = n.div_ceil(side);
        let cell_of = std::iter::once(0)
            .chain((0..g as u32).flat_map(|c| std::iter::repeat_n(c, side)))
            .take(n + 1)
            .collect();
        Grid { side, g, cell_of }
    }
}

/// The mean number of points a cell holds: measured 0.5, 0.7, 0.85, 1 and 1.3 at N = 20 000,
/// k = 3, a search on t(4) pairs at ρ = 0 taking 1.79, 1.45, 1.27, 1.19 and 1.18 ms, at ρ = 0.6
/// 1.93, 1.55, 1.51, 1.43 and 1.52 ms, on a Clayton pair at ρ = 0.9 2.10, 2.12, 2.13, 2.21 and
/// 2.55 ms (larger cells: more points to offer; smaller: more rings to scan); measured before
/// the distances were computed [`LANES`] at a time.
const POINTS_PER_CELL: f64 = 1.0;

/// Offers `best` the distances, less one, from `p` to the first `len` points of `xs`, `ys`:
/// less one, so that `p` itself (distance 0) wraps to u32::MAX and never counts among the k.
/// The distances are computed [`LANES`] at a time, in vector registers, reading up to
/// LANES − 1 entries past `len` (the columns are padded for it); only the first `len` are
/// offered.
#[inline(always)]
fn insert_run<B: Nearest>(
    xs: &[u32],
    ys: &[u32],
    len: usize,
    (px, py): (u32, u32),
    best: &mut B,
    dist: &mut [u32; LANES],
) {
    let mut j = 0;
    while j < len {
        let (qx, qy) = (&xs[j..j + LANES], &ys[j..j + LANES]);
        for l in 0..LANES {
            dist[l] = px.abs_diff(qx[l]).max(py.abs_diff(qy[l])).wrapping_sub(1);
        }
        for &d in &dist[..(len - j).min(LANES)] {
            best.offer(d);
        }
        j += LANES;
    }
}

/// Distances computed together (see [`insert_run`]), and points copied per cell into a block
/// whatever the cell holds: the columns carry this much padding. 16 against 8: about 4 %
/// faster searches at ρ = 0, 2 to 15 % slower (runs differ) on the Clayton pair of
/// [`POINTS_PER_CELL`].
const LANES: usize = 16;

/// Points copied per cell into a block whatever the cell holds (a cell of one point on average
/// holds more than 4 about once in 270 where the coordinates are independent: Poisson(1)).
const COPY: usize = 4;

/// The k smallest values offered so far, ascending (u32::MAX where fewer were offered).
trait Nearest {
    fn clear(&mut self);
    fn offer(&mut self, d: u32);
    fn kth(&self) -> u32;
}

/// Bubbles `d` through `best` by min and max: branch-free, which beats a search-and-shift
/// whose branches the data decide.
#[inline(always)]
fn bubble(best: &mut [u32], mut d: u32) {
    for b in best.iter_mut() {
        let low = (*b).min(d);
        d = (*b).max(d);
        *b = low;
    }
}

/// For the usual k: a length known to the compiler, the loop unrolled, the array in registers.
impl<const K: usize> Nearest for [u32; K] {
    #[inline(always)]
    fn clear(&mut self) {
        *self = [u32::MAX; K];
    }
    #[inline(always)]
    fn offer(&mut self, d: u32) {
        bubble(self, d)
    }
    #[inline(always)]
    fn kth(&self) -> u32 {
        self[K - 1]
    }
}

impl Nearest for Vec<u32> {
    fn clear(&mut self) {
        self.fill(u32::MAX);
    }
    fn offer(&mut self, d: u32) {
        bubble(self, d)
    }
    fn kth(&self) -> u32 {
        self[self.len() - 1]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::estimators::copula::{rank_points, ranks};
    use crate::estimators::knn::{self, Method};
    use crate::estimators::ksg::ksg_cce;
    use crate::estimators::{align, cce, Estimator, Family};
    use crate::rng::Rng;

    /// Two permutation columns of a sample of `family` (ranks 1..=N).
    fn pair_ranks(family: Family, n: usize, rho: f64, seed: u64) -> (Vec<u32>, Vec<u32>) {
        let (a, b) = family.sample(seed, n, 1, rho, 0);
        let (ra, rb) = (ranks(&a, &mut Rng::new(1)), ranks(&b, &mut Rng::new(1)));
        let mut columns = rank_columns(&ra, &rb).into_iter().map(|c| c.rank);
        (columns.next().unwrap(), columns.next().unwrap())
    }

    /// The grid search finds exactly the k-th distances of the exact search the other
    /// estimators use, for dependent and independent pairs, at k in registers (1, 3, 4) and on
    /// the heap (9), and at sizes where the grid has one cell or many.
    #[test]
    fn the_grid_search_is_the_exact_search() {
        for (family, rho) in [
            (Family::Gaussian, 0.0),
            (Family::Gaussian, 0.95),
            (Family::Clayton, 0.9),
        ] {
            for n in [5, 40, 3000] {
                let (x, y) = pair_ranks(family, n, rho, 3);
                let m = Matrix::from_fn(n, 2, |i, j| if j == 0 { x[i] } else { y[i] } as f64);
                for k in [1, 3, 4, 9] {
                    if k >= n {
                        continue;
                    }
                    let want = knn::kth_distances(&rank_points::<u32>(&m), k, Method::Auto);
                    assert_eq!(kth_distances_2d(&x, &y, k), want, "{family:?} n {n} k {k}");
                }
            }
        }
    }

    /// A query whose nearest point lies in the third ring of cells, where only the upper side
    /// of y bounds the scan after the second: 100 points (cells of 10 ranks), P = (55, 40) at
    /// the top of its cell, Q = (54, 15) at distance 25 in the second ring, H = (56, 61) at 21
    /// in the third, and every other point at 25 or more from P. A bound that overstates the
    /// reach above stops after the second ring with 25.
    #[test]
    fn the_search_scans_a_further_ring_where_only_its_upper_side_bounds_it() {
        let mut x = vec![55, 54, 56];
        let mut y = vec![40, 15, 61];
        // The other x within 24 of P's take a y at least 25 from P's.
        let near_x: Vec<u32> = (31..=79).filter(|v| !x.contains(v)).collect();
        let far_y = (1..=14).chain(65..=100);
        for (vx, vy) in near_x.into_iter().zip(far_y) {
            x.push(vx);
            y.push(vy);
        }
        let far_x: Vec<u32> = (1..=100).filter(|v| !x.contains(v)).collect();
        let rest_y: Vec<u32> = (1..=100).filter(|v| !y.contains(v)).collect();
        x.extend(far_x);
        y.extend(rest_y);
        assert_eq!(x.len(), 100);
        let got = kth_distances_2d(&x, &y, 1);
        assert_eq!(got[0], 21);
        let m = Matrix::from_fn(100, 2, |i, j| if j == 0 { x[i] } else { y[i] } as f64);
        assert_eq!(
            got,
            knn::kth_distances(&rank_points::<u32>(&m), 1, Method::Auto)
        );
    }

    /// The search built for the CPU's vector width (AVX2 here, where the CPU has it) emits
    /// what the baseline build emits, point for point and in the same order.
    #[test]
    fn the_dispatched_search_is_the_baseline_build() {
        let (x, y) = pair_ranks(Family::Clayton, 3000, 0.9, 5);
        let (x, grid) = (RankColumn::new(x), Grid::new(3000));
        for k in [1, 3, 9] {
            let (mut dispatched, mut baseline) = (Vec::new(), Vec::new());
            for_each_kth_distance(&x.rows_by_rank, &y, k, &grid, |i, yi, d| {
                dispatched.push((i, yi, d))
            });
            search_for_k(&x.rows_by_rank, &y, k, &grid, |i, yi, d| {
                baseline.push((i, yi, d))
            });
            assert_eq!(dispatched.len(), 3000);
            assert!(dispatched == baseline, "k {k}");
        }
    }

    /// A pair's estimate is `ksg`'s on that pair, up to the order of summation (the counts are
    /// arithmetic, the logs and ψ tabulated, the means summed over histograms).
    #[test]
    fn a_pair_estimate_is_ksg_on_the_pair() {
        let (x, y) = pair_ranks(Family::StudentT { nu: 4 }, 2500, 0.6, 9);
        let col = |v: &[u32]| Matrix::from_fn(v.len(), 1, |i, _| v[i] as f64);
        let want = ksg_cce(
            &rank_points::<u16>(&col(&x)),
            &rank_points::<u16>(&col(&y)),
            3,
        );
        // Its standard error is the spread of the per-point terms ψ(n_y,i + 1) + ln(2Dᵢ/N) over
        // √N, n_y,i counted here point against point.
        let n = x.len();
        let terms: Vec<f64> = kth_distances_2d(&x, &y, 3)
            .iter()
            .zip(&y)
            .map(|(&d, &yi)| {
                let within = y.iter().filter(|&&yj| yj.abs_diff(yi) < d).count() - 1;
                digamma(within as f64 + 1.0) + (2.0 * d as f64 / n as f64).ln()
            })
            .collect();
        let mean = terms.iter().sum::<f64>() / n as f64;
        let var = terms.iter().map(|t| (t - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        let se = (var / n as f64).sqrt();
        let (x, y) = (RankColumn::new(x), RankColumn::new(y));
        let got = pair_cce(&x, &y, 3, &Tables::new(2500));
        assert!((got.value - want).abs() < 1e-12, "{} vs {want}", got.value);
        assert!((got.se - se).abs() < 1e-9 * se, "se {} vs {se}", got.se);
        // And where neighbours are at rank distance 1 (k = 1, a few points): counts of 0 and 1.
        for seed in 0..20 {
            let (x, y) = pair_ranks(Family::Clayton, 12, 0.9, seed);
            let want = ksg_cce(
                &rank_points::<u16>(&col(&x)),
                &rank_points::<u16>(&col(&y)),
                1,
            );
            let (x, y) = (RankColumn::new(x), RankColumn::new(y));
            let got = pair_cce(&x, &y, 1, &Tables::new(12)).value;
            assert!((got - want).abs() < 1e-12, "{got} vs {want}");
        }
    }

    /// The scaled standard error is calibrated: on pairs of independent coordinates (8 + 8
    /// dims of a Gaussian copula at ρ = 0.6: 28 + 28 independent pairs and 64 cross pairs of
    /// which 56 are independent, over three data sets), δ / SE spreads with a standard
    /// deviation near 1 (unscaled, about 1.23: the test would pass pairs of pure noise
    /// several times too often).
    #[test]
    fn the_standard_error_of_a_departure_is_calibrated() {
        let mut z = Vec::new();
        for set in 0..3 {
            let (a, b) = Family::Gaussian.sample(5, 2000, 8, 0.6, set);
            let (ra, rb) = (ranks(&a, &mut Rng::new(1)), ranks(&b, &mut Rng::new(1)));
            let model = fit(&ra, &rb).unwrap();
            let surrogate = surrogate_columns(&model, 2000, 40 + set as u64).unwrap();
            let data = rank_columns(&ra, &rb);
            let t = Tables::new(2000);
            for i in 0..16 {
                for j in i + 1..16 {
                    if j == i + 8 {
                        continue; // the dependent pairs (A_i, B_i)
                    }
                    let p = pair_cce(&data[i], &data[j], 3, &t);
                    let q = pair_cce(&surrogate[i], &surrogate[j], 3, &t);
                    z.push((p.value - q.value) / (SE_INFLATION * p.se.hypot(q.se)));
                }
            }
        }
        let mean = z.iter().sum::<f64>() / z.len() as f64;
        let sd = (z.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / z.len() as f64).sqrt();
        assert!(
            sd > 0.85 && sd < 1.1,
            "sd of delta / se over {} pairs: {sd}",
            z.len()
        );
    }

    /// The step-up test: a lone score passes only above Bonferroni's bound (3.53 among 120),
    /// eight scores of 3.2 among 120 all pass (the eighth's bound is 2.94), and one pass
    /// carries every larger score with it; at one pair the bound is 1.96.
    #[test]
    fn the_step_up_test_admits_more_pairs_when_more_depart() {
        let mut z = vec![0.1; 120];
        z[7] = -3.4;
        assert!(step_up(&z).iter().all(|p| !p));
        z[7] = 3.6;
        assert_eq!(step_up(&z).iter().filter(|p| **p).count(), 1);
        let mut z = vec![0.1; 120];
        for (i, v) in z.iter_mut().enumerate().take(8) {
            *v = if i % 2 == 0 { 3.2 } else { -3.2 };
        }
        let pass = step_up(&z);
        assert!(pass[..8].iter().all(|p| *p) && pass[8..].iter().all(|p| !p));
        z[0] = 2.5; // now the eighth largest is 2.5, below its 2.94; the seventh needs 2.98
        assert_eq!(step_up(&z).iter().filter(|p| **p).count(), 7);
        assert_eq!(step_up(&[1.97]), [true]);
        assert_eq!(step_up(&[-1.95]), [false]);
    }

    /// Every pair i < j of the D coordinates (A's first) is tested once, in order, and no
    /// coordinate with itself: a diagonal pair would read δ = 0 but still count among the
    /// D(D − 1)/2 tests that set the step-up test's thresholds.
    #[test]
    fn the_departures_are_of_every_pair_of_distinct_coordinates() {
        let (a, b) = Family::Gaussian.sample(5, 400, 3, 0.6, 0);
        let b = Matrix::from_fn(a.rows, 2, |i, j| b.get(i, j));
        let (ra, rb) = (ranks(&a, &mut Rng::new(1)), ranks(&b, &mut Rng::new(2)));
        for selection in [Selection::Every, Selection::Matching] {
            let (_, departures) = departures(&ra, &rb, 3, 7, selection).unwrap();
            let tested: Vec<(usize, usize)> =
                departures.pairs.iter().map(|&(i, j, _)| (i, j)).collect();
            let want: Vec<(usize, usize)> = (0..5)
                .flat_map(|i| (i + 1..5).map(move |j| (i, j)))
                .collect();
            assert_eq!(tested, want);
        }
    }

    /// The matching keeps passing pairs in decreasing |z| while their coordinates are free: of
    /// (0, 1) z 5, (1, 2) z −9, (2, 3) z 4, (0, 3) z 3 and (0, 2) z 8 (not passing), it keeps
    /// (1, 2) first, then (0, 3); a failing pair is never kept.
    #[test]
    fn the_matching_keeps_the_strongest_disjoint_passing_pairs() {
        let pairs = [(0, 1), (1, 2), (2, 3), (0, 3), (0, 2)];
        let z = [5.0, -9.0, 4.0, 3.0, 8.0];
        let pass = [true, true, true, true, false];
        assert_eq!(
            disjoint(&pairs, &z, &pass, 4),
            [false, true, false, true, false]
        );
        // Equal |z|: the earlier pair wins.
        let z = [4.0, 4.0, -4.0, 4.0, 0.0];
        assert_eq!(
            disjoint(&pairs, &z, &pass, 4),
            [true, false, true, false, false]
        );
    }

    /// The pool is a matching of the coordinates the kept pairs leave, in decreasing |R̂ᵢⱼ|:
    /// with (0, 1) kept, of the free 2 … 5 it takes (2, 4) (|R̂| 0.5), then (3, 5) (−0.4), not
    /// (2, 3) (0.3, its coordinates taken) however far that pair departs. Two departures of
    /// 0.05 ± 0.03 sum to z = 0.10 / 0.042 = 2.36 and are added; of 0.04 or 0.03 each, z = 1.89
    /// or 1.41, and they are not. A sum that passes adds every pooled pair, whatever its own
    /// sign or size.
    #[test]
    fn the_pool_takes_the_most_correlated_free_pairs_and_adds_them_when_their_sum_passes() {
        let d = 6;
        let pairs: Vec<(usize, usize)> = (0..d)
            .flat_map(|i| (i + 1..d).map(move |j| (i, j)))
            .collect();
        let at = |i: usize, j: usize| pairs.iter().position(|&p| p == (i, j)).unwrap();
        let mut r = Matrix::from_fn(d, d, |i, j| if i == j { 1.0 } else { 0.0 });
        for (i, j, v) in [
            (2, 4, 0.5),
            (3, 5, -0.4),
            (2, 3, 0.3),
            (0, 2, 0.9),
            (4, 5, 0.1),
        ] {
            r.data[i * d + j] = v;
            r.data[j * d + i] = v;
        }
        let mut kept = vec![false; pairs.len()];
        kept[at(0, 1)] = true;
        let tested = |small: f64, other: f64| -> Vec<Estimate> {
            (0..pairs.len())
                .map(|p| Estimate {
                    value: if p == at(2, 4) || p == at(3, 5) {
                        small
                    } else {
                        other
                    },
                    se: 0.03,
                })
                .collect()
        };
        let mut want = kept.clone();
        (want[at(2, 4)], want[at(3, 5)]) = (true, true);
        assert_eq!(pooled(&pairs, &tested(0.05, 1.0), &r, &kept, d), want);
        assert_eq!(pooled(&pairs, &tested(-0.05, 1.0), &r, &kept, d), want);
        assert_eq!(pooled(&pairs, &tested(0.03, 1.0), &r, &kept, d), kept);
        // z = 0.08 / 0.042 = 1.89: under the two-sided 1.96 (a one-sided 1.64 would pass it).
        assert_eq!(pooled(&pairs, &tested(0.04, 1.0), &r, &kept, d), kept);
        // One pooled pair far off carries the other with it.
        let mut one_far = tested(0.0, 1.0);
        one_far[at(3, 5)].value = 0.2;
        assert_eq!(pooled(&pairs, &one_far, &r, &kept, d), want);
        // Nothing free, nothing pooled.
        let mut all_kept = kept.clone();
        (all_kept[at(2, 3)], all_kept[at(4, 5)]) = (true, true);
        assert_eq!(
            pooled(&pairs, &tested(1.0, 1.0), &r, &all_kept, d),
            all_kept
        );
    }

    /// Clayton pairs at 8 + 8 dims, N = 500, ρ = 0.6: each pair departs from the t fit by about
    /// 0.07 nats, under the step-up test's reach, so `tcopula-matched` is `tcopula` and reads
    /// about 0.6 nats high (measured +0.57); their pooled sum passes and `tcopula-pooled` reads
    /// the level (measured +0.05), in CCE and MI alike. On Gaussian data of the same shape the
    /// pool's sum does not pass and the two are the same number.
    #[test]
    fn pooled_departures_read_pairs_too_weak_to_pass_one_by_one() {
        let truth = Family::Clayton.truth(8, 0.6).unwrap();
        let (a, b) = Family::Clayton.sample(5, 500, 8, 0.6, 0);
        let matched = align(&a, &b, Estimator::TCopulaMatched, 3, 7).unwrap();
        let pooled = align(&a, &b, Estimator::TCopulaPooled, 3, 7).unwrap();
        let t = align(&a, &b, Estimator::TCopula, 3, 7).unwrap();
        assert_eq!(matched, t, "no pair passes on its own");
        assert!(
            matched.cce_a_given_b - truth.cce_a_given_b > 0.4,
            "tcopula-matched {matched:?} vs {truth:?}"
        );
        assert!(
            (pooled.cce_a_given_b - truth.cce_a_given_b).abs() < 0.15,
            "tcopula-pooled {pooled:?} vs {truth:?}"
        );
        assert!(
            (pooled.mutual_information - truth.mutual_information).abs() < 0.15,
            "tcopula-pooled {pooled:?} vs {truth:?}"
        );
        let c = cce(&a, &b, Estimator::TCopulaPooled, 3, 7).unwrap();
        assert_eq!(c, pooled.cce_a_given_b);

        let (a, b) = Family::Gaussian.sample(5, 2000, 8, 0.6, 0);
        assert_eq!(
            align(&a, &b, Estimator::TCopulaPooled, 3, 7).unwrap(),
            align(&a, &b, Estimator::TCopulaMatched, 3, 7).unwrap()
        );
    }

    /// One Clayton copula over all 4 + 4 coordinates: all 28 pairs depart, and their sum
    /// (`tcopula-pairs`) overshoots by more than a nat, where a matching of them
    /// (`tcopula-matched`) stays within 0.2 of the truth (measured: −1.40 and +0.02 nats, the
    /// mean of five data sets of the joint grid's cell). On independent Clayton pairs the
    /// departing pairs are disjoint and the two are the same number.
    #[test]
    fn a_matching_of_the_departures_bounds_a_departure_shared_by_every_coordinate() {
        let truth = Family::ClaytonJoint.truth(4, 0.9).unwrap().cce_a_given_b;
        let (a, b) = Family::ClaytonJoint.sample(5, 5000, 4, 0.9, 0);
        let every = cce(&a, &b, Estimator::TCopulaPairs, 3, 7).unwrap();
        let matched = align(&a, &b, Estimator::TCopulaMatched, 3, 7).unwrap();
        assert!(
            every - truth < -1.0,
            "tcopula-pairs {every} vs truth {truth}"
        );
        assert!(
            (matched.cce_a_given_b - truth).abs() < 0.2,
            "tcopula-matched {matched:?} vs truth {truth}"
        );
        let c = cce(&a, &b, Estimator::TCopulaMatched, 3, 7).unwrap();
        assert_eq!(c, matched.cce_a_given_b);

        let (a, b) = Family::Clayton.sample(5, 3000, 4, 0.9, 0);
        let every = align(&a, &b, Estimator::TCopulaPairs, 3, 7).unwrap();
        let t = align(&a, &b, Estimator::TCopula, 3, 7).unwrap();
        assert_ne!(every, t, "the Clayton pairs depart");
        assert_eq!(
            align(&a, &b, Estimator::TCopulaMatched, 3, 7).unwrap(),
            every
        );
    }

    /// On Clayton pairs at 8 + 8 dims the t fit sees only each pair's correlation (`tcopula`
    /// reads about 0.6 nats high at ρ = 0.6); the pairs' 2-D departures must carry the rest back
    /// (with none, or of the wrong sign, the estimate stays at or beyond `tcopula`'s error). On
    /// Gaussian data of the same shape no pair passes and the estimate is `tcopula`'s.
    #[test]
    fn pair_departures_correct_a_misspecified_fit_and_vanish_under_the_model() {
        let truth = Family::Clayton.truth(8, 0.6).unwrap().cce_a_given_b;
        let (a, b) = Family::Clayton.sample(5, 5000, 8, 0.6, 0);
        let t = align(&a, &b, Estimator::TCopula, 3, 7)
            .unwrap()
            .cce_a_given_b;
        let all = align(&a, &b, Estimator::TCopulaPairs, 3, 7).unwrap();
        let p = all.cce_a_given_b;
        assert!(t - truth > 0.4, "tcopula {t} vs truth {truth}");
        assert!(
            (p - truth).abs() < 0.15,
            "tcopula-pairs {p} vs truth {truth}"
        );
        // The departures are across A × B, so they correct CCE(B|A) (whose truth is the same
        // here) and the mutual information (−truth) as much; the CCE alone is the same number.
        assert!((all.cce_b_given_a - truth).abs() < 0.15, "{all:?}");
        assert!((all.mutual_information + truth).abs() < 0.15, "{all:?}");
        assert_eq!(cce(&a, &b, Estimator::TCopulaPairs, 3, 7).unwrap(), p);

        // Departures within A and within B: the Clayton pairs (A₁, B₁) and (A₂, B₂) of a 2 + 2
        // sample, regrouped as A' = (A₁, B₁), B' = (A₂, B₂): CCE(A'|B') and CCE(B'|A') are one
        // pair's copula entropy, the mutual information 0, where `tcopula` reads high.
        let pair = Family::Clayton.truth(1, 0.9).unwrap().cce_a_given_b;
        let (a, b) = Family::Clayton.sample(6, 5000, 2, 0.9, 0);
        let regroup = |j: usize| {
            Matrix::from_fn(a.rows, 2, |i, c| {
                let m = if c == 0 { &a } else { &b };
                m.data[i * 2 + j]
            })
        };
        let (a2, b2) = (regroup(0), regroup(1));
        let t = align(&a2, &b2, Estimator::TCopula, 3, 7).unwrap();
        let all = align(&a2, &b2, Estimator::TCopulaPairs, 3, 7).unwrap();
        assert!(t.cce_a_given_b - pair > 0.1, "tcopula {t:?} vs {pair}");
        let bias = [
            all.cce_a_given_b - pair,
            all.cce_b_given_a - pair,
            all.mutual_information,
        ];
        assert!(bias.iter().all(|e| e.abs() < 0.06), "{all:?} vs {pair}");
        let c = cce(&a2, &b2, Estimator::TCopulaPairs, 3, 7).unwrap();
        assert_eq!(c, all.cce_a_given_b);

        let (a, b) = Family::Gaussian.sample(5, 3000, 4, 0.6, 0);
        let t = align(&a, &b, Estimator::TCopula, 3, 7).unwrap();
        let p = align(&a, &b, Estimator::TCopulaPairs, 3, 7).unwrap();
        assert_eq!(p, t);
    }
}
