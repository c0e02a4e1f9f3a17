//! The blocked brute-force search: candidates stored column-major in blocks of [`BLOCK`] points,
//! so that one block (d × BLOCK values) stays in the L1 cache while a tile of [`TILE`] queries
//! runs over it, and the distances of a query to a whole block are computed in one loop that
//! the compiler vectorizes (`max_j |q_j − c_j|` lane-wise; AVX2 when the CPU has it, detected
//! at run time). The k-NN kernel stops a block early once, after some columns, none of its
//! points can beat the query's current k-th distance. Query tiles run in parallel with rayon.
//! Work O(N²·d / lanes), memory O(N·d).

use super::{insert_best, Coord, Points};
use rayon::prelude::*;

/// Candidates per block.
const BLOCK: usize = 256;
/// Queries per parallel task.
const TILE: usize = 32;

/// The points, reorganized into column-major blocks (the last block padded with zeros, which
/// are never read as candidates).
pub(super) struct Blocked<T> {
    n: usize,
    dim: usize,
    data: Vec<T>,
}

impl<T: Coord> Blocked<T> {
    pub fn new(p: &Points<T>) -> Self {
        let blocks = p.n.div_ceil(BLOCK);
        let mut data = vec![T::ZERO; blocks * p.dim * BLOCK];
        for i in 0..p.n {
            let (b, t) = (i / BLOCK, i % BLOCK);
            for (j, &v) in p.row(i).iter().enumerate() {
                data[(b * p.dim + j) * BLOCK + t] = v;
            }
        }
        Blocked {
            n: p.n,
            dim: p.dim,
            data,
        }
    }

    /// Block `b`: (index of its first point, its column-major values, its number of points).
    fn block(&self, b: usize) -> (usize, &[T], usize) {
        let block = &self.data[b * self.dim * BLOCK..(b + 1) * self.dim * BLOCK];
        (b * BLOCK, block, BLOCK.min(self.n - b * BLOCK))
    }
}

/// The points sorted by their first coordinate (ties by index), in blocks, with the map back to
/// their indices. Along the first coordinate, the candidates near a query are then a run of
/// neighbouring positions, which both searches exploit.
struct SortedBlocks<T> {
    /// `order[pos]`: the index of the point at sorted position `pos`.
    order: Vec<usize>,
    /// The first coordinate, in sorted order.
    first: Vec<T>,
    points: Points<T>,
    blocked: Blocked<T>,
}

impl<T: Coord> SortedBlocks<T> {
    fn new(p: &Points<T>) -> Self {
        let mut order: Vec<usize> = (0..p.n).collect();
        order.sort_unstable_by(|&a, &b| T::total_cmp(p.row(a)[0], p.row(b)[0]).then(a.cmp(&b)));
        let points = Points::new(
            p.n,
            p.dim,
            order
                .iter()
                .flat_map(|&i| p.row(i).iter().copied())
                .collect(),
        );
        let first = order.iter().map(|&i| p.row(i)[0]).collect();
        let blocked = Blocked::new(&points);
        SortedBlocks {
            order,
            first,
            points,
            blocked,
        }
    }

    /// How far `q0` is, along the first coordinate, from the block's points at positions
    /// `begin..begin + len` (zero inside their range): a lower bound of every distance to them.
    fn gap(&self, q0: T, begin: usize, len: usize) -> T {
        let (lo, hi) = (self.first[begin], self.first[begin + len - 1]);
        if q0 < lo {
            T::dist(lo, q0)
        } else if q0 > hi {
            T::dist(q0, hi)
        } else {
            T::ZERO
        }
    }
}

/// For each point i of `p`: its k nearest other points as (distance, index), sorted by distance
/// then index, mapped by `f` into `out[i]`.
///
/// Queries go in tiles of neighbouring sorted positions; each tile visits the blocks outward
/// from its own, alternately below and above, and stops in a direction once no query of the
/// tile can find a candidate there: the gap along the first coordinate already exceeds the
/// query's current k-th distance, and gaps only grow further out while k-th distances only
/// shrink. Near candidates come first, so the limits tighten early and the kernel's early exit
/// fires often. Since blocks no longer come in index order, a candidate at exactly the current
/// k-th distance is offered to [`insert_best`], which orders ties by index: the lists equal the
/// kd-tree's, ties included.
pub(super) fn map_nearest<T: Coord, R: Send>(
    p: &Points<T>,
    k: usize,
    out: &mut [R],
    f: impl Fn(&[(T, usize)]) -> R + Sync,
) {
    let s = SortedBlocks::new(p);
    let blocks = p.n.div_ceil(BLOCK);
    let mut sorted_out: Vec<Option<R>> = (0..p.n).map(|_| None).collect();
    sorted_out.par_chunks_mut(TILE).enumerate().for_each_init(
        || (Vec::new(), [T::ZERO; BLOCK]),
        |(best, dist), (tile, chunk)| {
            let start = tile * TILE;
            best.clear();
            best.resize(chunk.len() * k, (T::MAX, usize::MAX));
            // Offers block b to every query of the tile; false if none could use it.
            let mut visit = |b: usize| -> bool {
                let (begin, block, len) = s.blocked.block(b);
                let mut any = false;
                for (qi, list) in best.chunks_exact_mut(k).enumerate() {
                    let pos = start + qi;
                    let q = s.points.row(pos);
                    let limit = list[k - 1].0;
                    if s.gap(q[0], begin, len) > limit {
                        continue;
                    }
                    any = true;
                    if !distances_any_at_most(q, block, &mut *dist, len, limit) {
                        continue;
                    }
                    let me = s.order[pos];
                    let order = &s.order[begin..begin + len];
                    for (&d, &j) in dist[..len].iter().zip(order) {
                        if d <= list[k - 1].0 && j != me {
                            insert_best(list, d, j);
                        }
                    }
                }
                any
            };
            let home = start / BLOCK;
            visit(home);
            let (mut below, mut above) = (home, home + 1);
            let (mut go_below, mut go_above) = (below > 0, above < blocks);
            while go_below || go_above {
                if go_below {
                    below -= 1;
                    go_below = visit(below) && below > 0;
                }
                if go_above {
                    go_above = visit(above) && above + 1 < blocks;
                    above += 1;
                }
            }
            for (o, list) in chunk.iter_mut().zip(best.chunks_exact(k)) {
                *o = Some(f(list));
            }
        },
    );
    for (pos, r) in sorted_out.into_iter().enumerate() {
        out[s.order[pos]] = r.expect("every query is answered");
    }
}

/// For each point i of `p`: the number of other points at distance strictly below `radii[i]`.
///
/// With the candidates sorted by their first coordinate, those within `radii[i]` of point i
/// along it form one run of positions (found by binary search); a tile of queries, also taken
/// in that order, visits only the blocks its runs overlap, and each query only the blocks its
/// own run overlaps. A candidate outside the run is at least `radii[i]` away in the first
/// coordinate, hence in the max norm: the counts are exactly those of a full scan, whatever the
/// order (counting is order-free).
pub(super) fn count_below<T: Coord>(p: &Points<T>, radii: &[T]) -> Vec<usize> {
    let s = SortedBlocks::new(p);
    let (first, sorted, blocked) = (&s.first, &s.points, &s.blocked);
    let radius: Vec<T> = s.order.iter().map(|&i| radii[i]).collect();
    let mut counts = vec![0usize; p.n];
    counts.par_chunks_mut(TILE).enumerate().for_each_init(
        || [T::ZERO; BLOCK],
        |dist, (tile, chunk)| {
            let start = tile * TILE;
            // The run [lo, hi) of positions within the radius along the first coordinate.
            let runs: Vec<(usize, usize)> = (start..start + chunk.len())
                .map(|i| {
                    let (q, r) = (first[i], radius[i]);
                    let lo = first.partition_point(|&c| c < q && T::dist(c, q) >= r);
                    let hi = first.partition_point(|&c| c <= q || T::dist(c, q) < r);
                    (lo, hi)
                })
                .collect();
            chunk.fill(0);
            let lo_block = runs.iter().map(|r| r.0).min().unwrap_or(0) / BLOCK;
            let hi_block = runs.iter().map(|r| r.1).max().unwrap_or(0).div_ceil(BLOCK);
            for b in lo_block..hi_block {
                let (begin, block, len) = blocked.block(b);
                for (qi, c) in chunk.iter_mut().enumerate() {
                    let (lo, hi) = runs[qi];
                    if hi > begin && lo < begin + len {
                        let i = start + qi;
                        *c +=
                            distances_count_below(sorted.row(i), block, &mut *dist, len, radius[i]);
                    }
                }
            }
            for (qi, c) in chunk.iter_mut().enumerate() {
                // The point itself (distance 0) is inside any positive radius: take it off.
                if radius[start + qi] > T::ZERO {
                    *c -= 1;
                }
            }
        },
    );
    let mut out = vec![0usize; p.n];
    for (pos, &i) in s.order.iter().enumerate() {
        out[i] = counts[pos];
    }
    out
}

/// `dist[t] = max_j |q_j − block[j][t]|` for the whole block.
#[inline(always)]
fn distances<T: Coord>(q: &[T], block: &[T], dist: &mut [T; BLOCK]) {
    dist.fill(T::ZERO);
    raise_distances(q, block, dist);
}

/// `dist[t] = max(dist[t], max_j |q_j − block[j][t]|)` over the columns of `q` and `block`.
#[inline(always)]
fn raise_distances<T: Coord>(q: &[T], block: &[T], dist: &mut [T; BLOCK]) {
    for (&qj, col) in q.iter().zip(block.chunks_exact(BLOCK)) {
        let col: &[T; BLOCK] = col.try_into().expect("a block column");
        for t in 0..BLOCK {
            // An unconditional write of the larger value: a lane-wise max once vectorized.
            dist[t] = T::larger(dist[t], T::dist(qj, col[t]));
        }
    }
}

/// Columns between two early-exit checks of the k-NN kernel.
const CHECK_EVERY: usize = 8;

#[inline(always)]
fn any_at_most<T: Coord>(dist: &[T], limit: T) -> bool {
    dist.iter().fold(false, |acc, &d| acc | (d <= limit))
}

/// Early termination: the distance only grows with each column, so once no point of the block
/// is at most `limit` after some columns, none will be (the block is skipped, `dist` left
/// partial).
/// The answer is exactly that of the full computation.
#[inline(always)]
fn any_at_most_generic<T: Coord>(
    q: &[T],
    block: &[T],
    dist: &mut [T; BLOCK],
    len: usize,
    limit: T,
) -> bool {
    dist.fill(T::ZERO);
    let mut j = 0;
    while j < q.len() {
        let end = (j + CHECK_EVERY).min(q.len());
        raise_distances(&q[j..end], &block[j * BLOCK..end * BLOCK], dist);
        if !any_at_most(&dist[..len], limit) {
            return false;
        }
        j = end;
    }
    true
}

#[inline(always)]
fn count_below_generic<T: Coord>(
    q: &[T],
    block: &[T],
    dist: &mut [T; BLOCK],
    len: usize,
    r: T,
) -> usize {
    distances(q, block, dist);
    dist[..len].iter().map(|&d| (d < r) as usize).sum()
}

/// Whether the CPU has AVX2 (checked once).
#[cfg(target_arch = "x86_64")]
fn has_avx2() -> bool {
    use std::sync::OnceLock;
    static AVX2: OnceLock<bool> = OnceLock::new();
    *AVX2.get_or_init(|| std::arch::is_x86_feature_detected!("avx2"))
}

/// Fills `dist` with the block's distances to `q`; true if any of the first `len` is at most
/// `limit` (false may leave `dist` partial: see [`any_at_most_generic`]).
fn distances_any_at_most<T: Coord>(
    q: &[T],
    block: &[T],
    dist: &mut [T; BLOCK],
    len: usize,
    limit: T,
) -> bool {
    #[cfg(target_arch = "x86_64")]
    if has_avx2() {
        #[target_feature(enable = "avx2")]
        unsafe fn avx2<T: Coord>(q: &[T], b: &[T], d: &mut [T; BLOCK], l: usize, x: T) -> bool {
            any_at_most_generic(q, b, d, l, x)
        }
        // SAFETY: the CPU supports AVX2 (checked above); the function is otherwise safe.
        return unsafe { avx2(q, block, dist, len, limit) };
    }
    any_at_most_generic(q, block, dist, len, limit)
}

/// The number of the block's first `len` points at distance strictly below `r` from `q`.
fn distances_count_below<T: Coord>(
    q: &[T],
    block: &[T],
    dist: &mut [T; BLOCK],
    len: usize,
    r: T,
) -> usize {
    #[cfg(target_arch = "x86_64")]
    if has_avx2() {
        #[target_feature(enable = "avx2")]
        unsafe fn avx2<T: Coord>(q: &[T], b: &[T], d: &mut [T; BLOCK], l: usize, x: T) -> usize {
            count_below_generic(q, b, d, l, x)
        }
        // SAFETY: the CPU supports AVX2 (checked above); the function is otherwise safe.
        return unsafe { avx2(q, block, dist, len, r) };
    }
    count_below_generic(q, block, dist, len, r)
}
