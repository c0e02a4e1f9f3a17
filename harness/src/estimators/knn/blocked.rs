//! The blocked search. The points are reordered by a kd partition whose cells are blocks of
//! [`BLOCK`] points (and, inside them, tiles of [`TILE`] queries), each block stored
//! column-major with its bounding box. A tile of nearby queries runs over one block while it
//! stays in the L1 cache; the distances of a query to a whole block are computed in one loop
//! that the compiler vectorizes (`max_j |q_j − c_j|` lane-wise; AVX2 when the CPU has it,
//! detected at run time). Blocks whose box is beyond a query's current k-th distance (or
//! radius) are skipped without a distance computed, and the k-NN kernel drops a block once,
//! after some columns, none of its points can beat the query's k-th distance. Tiles run in
//! parallel with rayon. Exact, O(N·d) memory; the work is O(N²·d / lanes) at worst and falls
//! with the pruning, which is strongest in low dimension.

use super::{insert_best, Coord, Points};
use rayon::prelude::*;

/// Candidates per block.
const BLOCK: usize = 128;
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

/// The points reordered by a kd partition: the range of positions is split at the median of its
/// widest coordinate, at a multiple of [`BLOCK`] while it spans more than one block and of
/// [`TILE`] below, until tiles remain. Every block and every tile of queries is then one cell
/// of the partition, compact in every coordinate, and its bounding box bounds the distances
/// to it from below. Ties in a coordinate are ordered by index, so the order is deterministic.
struct PartitionedBlocks<T> {
    /// `order[pos]`: the index of the point at position `pos`.
    order: Vec<usize>,
    /// The points in partition order.
    points: Points<T>,
    blocked: Blocked<T>,
    /// The bounding box of every block (`dim` values per block).
    boxes: Boxes<T>,
}

/// Axis-aligned boxes, `dim` lower and `dim` upper corner values each.
struct Boxes<T> {
    dim: usize,
    lower: Vec<T>,
    upper: Vec<T>,
}

impl<T: Coord> Boxes<T> {
    /// The bounding boxes of consecutive runs of `size` rows of `p` (the last may be shorter).
    fn of_runs(p: &Points<T>, size: usize) -> Self {
        let mut boxes = Boxes {
            dim: p.dim,
            lower: Vec::with_capacity(p.n.div_ceil(size) * p.dim),
            upper: Vec::with_capacity(p.n.div_ceil(size) * p.dim),
        };
        for begin in (0..p.n).step_by(size) {
            let (lower, upper) = bounding_box(p, begin..p.n.min(begin + size));
            boxes.lower.extend(lower);
            boxes.upper.extend(upper);
        }
        boxes
    }

    fn corners(&self, b: usize) -> (&[T], &[T]) {
        let r = b * self.dim..(b + 1) * self.dim;
        (&self.lower[r.clone()], &self.upper[r])
    }

    /// The max-norm distance from `q` to box `b` (zero inside): a lower bound of the distance
    /// from `q` to every point in it.
    fn gap_to_point(&self, b: usize, q: &[T]) -> T {
        let (lower, upper) = self.corners(b);
        let mut gap = T::ZERO;
        for ((&l, &u), &x) in lower.iter().zip(upper).zip(q) {
            gap = T::larger(gap, T::larger(T::excess(l, x), T::excess(x, u)));
        }
        gap
    }

    /// The max-norm distance between box `b` and the box (`lower`, `upper`): a lower bound of the
    /// distance between any point of one and any point of the other.
    fn gap_to_box(&self, b: usize, lower: &[T], upper: &[T]) -> T {
        let (l, u) = self.corners(b);
        let mut gap = T::ZERO;
        for j in 0..self.dim {
            gap = T::larger(
                gap,
                T::larger(T::excess(l[j], upper[j]), T::excess(lower[j], u[j])),
            );
        }
        gap
    }
}

/// The per-coordinate minimum and maximum over the rows `rows` of `p` (non-empty).
fn bounding_box<T: Coord>(p: &Points<T>, rows: impl Iterator<Item = usize>) -> (Vec<T>, Vec<T>) {
    let mut lower = vec![T::MAX; p.dim];
    let mut upper = vec![T::MIN; p.dim];
    for i in rows {
        for ((l, u), &x) in lower.iter_mut().zip(upper.iter_mut()).zip(p.row(i)) {
            if x < *l {
                *l = x;
            }
            if x > *u {
                *u = x;
            }
        }
    }
    (lower, upper)
}

impl<T: Coord> PartitionedBlocks<T> {
    fn new(p: &Points<T>) -> Self {
        let mut order: Vec<usize> = (0..p.n).collect();
        let (lower, upper) = bounding_box(p, 0..p.n);
        let split = widest_coordinates(&lower, &upper, SPLIT_COORDINATES);
        partition(p, &split, &mut order);
        let points = Points::new(
            p.n,
            p.dim,
            order
                .iter()
                .flat_map(|&i| p.row(i).iter().copied())
                .collect(),
        );
        let blocked = Blocked::new(&points);
        let boxes = Boxes::of_runs(&points, BLOCK);
        PartitionedBlocks {
            order,
            points,
            blocked,
            boxes,
        }
    }

    fn blocks(&self) -> usize {
        self.points.n.div_ceil(BLOCK)
    }

    /// Offers the points of block `b` to the k-NN lists `best` (k entries per query) of the
    /// queries at positions `start..`, skipping a query whose list the block cannot improve.
    fn offer_block(
        &self,
        b: usize,
        start: usize,
        k: usize,
        best: &mut [(T, usize)],
        dist: &mut [T; BLOCK],
        mask: &mut LaneMask,
    ) {
        let (begin, block, len) = self.blocked.block(b);
        let order = &self.order[begin..begin + len];
        for (qi, list) in best.chunks_exact_mut(k).enumerate() {
            let pos = start + qi;
            let q = self.points.row(pos);
            let limit = list[k - 1].0;
            if self.boxes.gap_to_point(b, q) > limit
                || within::<T, false>(q, block, dist, len, limit, mask) == 0
            {
                continue;
            }
            let me = self.order[pos];
            for (w, &bits) in mask.iter().enumerate() {
                let mut bits = bits;
                while bits != 0 {
                    let t = w * 64 + bits.trailing_zeros() as usize;
                    bits &= bits - 1;
                    let (d, j) = (dist[t], order[t]);
                    if d <= list[k - 1].0 && j != me {
                        insert_best(list, d, j);
                    }
                }
            }
        }
    }
}

/// How many coordinates the partition splits: the widest ones of the whole sample (for copula
/// ranks, whose coordinates all span 0..N, the first ones). In high dimension the k-NN radius
/// is a large part of every coordinate's range (about 0.4 of it in 32 dimensions at N = 20 000),
/// so a cell split once in each of many coordinates (half the range in each) is rarely beyond
/// the radius in any of them; splitting a few coordinates repeatedly makes cells narrow enough
/// there to be skipped. Measured in-process on copula ranks at N = 20 000 (the ignored test
/// `time_methods`, ksg's k-NN + range count): 16 + 16 dims 159 ms with 3 coordinates, 177 ms
/// with 4, 198 ms with 6, 211 ms with all; 8 + 8 62 ms with 3 against 68 ms with all; 4 + 4
/// 22.5 ms with 3, 21.8 ms with 4, 22.3 ms with all; in lower dimensions the differences were
/// within the noise of the measurement (the 3-dim range count, the same for every setting,
/// measured 4.8 to 6.4 ms).
const SPLIT_COORDINATES: usize = 3;

/// Orders `idx` (indices of rows of `p`) as the kd partition of [`PartitionedBlocks`], splitting
/// the coordinates `split` (each cell along the widest of them). The first part of every split
/// holds the larger half of the blocks (or tiles), so the parts of a range that starts at a
/// block boundary start at block boundaries.
fn partition<T: Coord>(p: &Points<T>, split: &[usize], idx: &mut [usize]) {
    let n = idx.len();
    if n <= TILE {
        return;
    }
    let unit = if n > BLOCK { BLOCK } else { TILE };
    let mid = n.div_ceil(unit).div_ceil(2) * unit;
    let (lower, upper) = bounding_box(p, idx.iter().copied());
    let widest = split
        .iter()
        .copied()
        .max_by(|&a, &b| {
            T::total_cmp(T::dist(upper[a], lower[a]), T::dist(upper[b], lower[b])).then(b.cmp(&a))
        })
        .expect("at least one coordinate");
    idx.select_nth_unstable_by(mid, |&a, &b| {
        T::total_cmp(p.row(a)[widest], p.row(b)[widest]).then(a.cmp(&b))
    });
    let (left, right) = idx.split_at_mut(mid);
    if n > 4 * BLOCK {
        rayon::join(|| partition(p, split, left), || partition(p, split, right));
    } else {
        partition(p, split, left);
        partition(p, split, right);
    }
}

/// The `count` coordinates of the box (`lower`, `upper`) with the largest extent, widest first
/// (ties to the lower index).
fn widest_coordinates<T: Coord>(lower: &[T], upper: &[T], count: usize) -> Vec<usize> {
    let mut coords: Vec<usize> = (0..lower.len()).collect();
    coords.sort_by(|&a, &b| {
        T::total_cmp(T::dist(upper[b], lower[b]), T::dist(upper[a], lower[a])).then(a.cmp(&b))
    });
    coords.truncate(count);
    coords
}

/// Builds the partition of `p` and returns its number of blocks (for the bench of the build).
pub(super) fn partition_block_count<T: Coord>(p: &Points<T>) -> usize {
    PartitionedBlocks::new(p).blocks()
}

/// For each point i of `p`: its k nearest other points as (distance, index), sorted by distance
/// then index, mapped by `f` into `out[i]`.
///
/// Queries go in tiles (cells of the kd partition). A tile visits the blocks in increasing
/// distance between its bounding box and theirs, its own block first, and stops once that
/// distance exceeds every query's current k-th distance: the blocks left are at least as far.
/// Each query skips a block whose box is farther than its own k-th distance, and the kernel
/// drops a block early once none of its points can beat it. Near candidates come first, so the
/// limits tighten early. Since blocks do not come in index order, a candidate at exactly the
/// current k-th distance is offered to [`insert_best`], which orders ties by index: the lists
/// equal the kd-tree's and a naive scan's, ties included.
pub(super) fn map_nearest<T: Coord, R: Send>(
    p: &Points<T>,
    k: usize,
    out: &mut [R],
    f: impl Fn(&[(T, usize)]) -> R + Sync,
) {
    let s = PartitionedBlocks::new(p);
    let blocks = s.blocks();
    let mut sorted_out: Vec<Option<R>> = (0..p.n).map(|_| None).collect();
    sorted_out.par_chunks_mut(TILE).enumerate().for_each_init(
        || (Vec::new(), Vec::new(), [T::ZERO; BLOCK], [0; BLOCK / 64]),
        |(best, visits, dist, mask), (tile, chunk)| {
            let start = tile * TILE;
            best.clear();
            best.resize(chunk.len() * k, (T::MAX, usize::MAX));
            let (lower, upper) = bounding_box(&s.points, start..start + chunk.len());
            let tile_limit = |best: &[(T, usize)]| {
                best.chunks_exact(k)
                    .fold(T::ZERO, |m, list| T::larger(m, list[k - 1].0))
            };
            // The tile's own block first (its cell of the partition holds the tile), which
            // makes every limit finite; then the blocks its box can still reach, nearest first
            // as judged from the tile's middle query (box gaps between a tile and a block are
            // often zero: cells split once in a coordinate touch).
            let home = start / BLOCK;
            s.offer_block(home, start, k, best, dist, mask);
            let limit = tile_limit(best);
            let middle = s.points.row(start + chunk.len() / 2);
            visits.clear();
            // (gap from the middle query, gap from the tile's box, block).
            visits.extend((0..blocks).filter(|&b| b != home).filter_map(|b| {
                let gap = s.boxes.gap_to_box(b, &lower, &upper);
                (gap <= limit).then(|| (s.boxes.gap_to_point(b, middle), gap, b))
            }));
            visits.sort_unstable_by(|a: &(T, T, usize), b| {
                T::total_cmp(a.0, b.0).then(a.2.cmp(&b.2))
            });
            for &(_, gap, b) in visits.iter() {
                if gap <= tile_limit(best) {
                    s.offer_block(b, start, k, best, dist, mask);
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
/// Queries go in tiles of the kd partition; a tile visits only the blocks whose bounding box
/// comes within its largest radius of its own box, and each query only those whose box comes
/// within its own radius. A skipped block's points are all at least the radius away, so the
/// counts are exactly those of a full scan (counting is order-free).
pub(super) fn count_below<T: Coord>(p: &Points<T>, radii: &[T]) -> Vec<usize> {
    let s = PartitionedBlocks::new(p);
    let blocks = s.blocks();
    let radius: Vec<T> = s.order.iter().map(|&i| radii[i]).collect();
    let mut counts = vec![0usize; p.n];
    counts.par_chunks_mut(TILE).enumerate().for_each_init(
        || ([T::ZERO; BLOCK], [0; BLOCK / 64]),
        |(dist, mask), (tile, chunk)| {
            let start = tile * TILE;
            let radii = &radius[start..start + chunk.len()];
            let tile_radius = radii.iter().fold(T::ZERO, |m, &r| T::larger(m, r));
            let (lower, upper) = bounding_box(&s.points, start..start + chunk.len());
            chunk.fill(0);
            for b in 0..blocks {
                if s.boxes.gap_to_box(b, &lower, &upper) >= tile_radius {
                    continue;
                }
                let (_, block, len) = s.blocked.block(b);
                for (qi, (c, &r)) in chunk.iter_mut().zip(radii).enumerate() {
                    let q = s.points.row(start + qi);
                    if s.boxes.gap_to_point(b, q) < r {
                        *c += within::<T, true>(q, block, dist, len, r, mask);
                    }
                }
            }
            for (c, &r) in chunk.iter_mut().zip(radii) {
                // The point itself (distance 0) is inside any positive radius: take it off.
                if r > T::ZERO {
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

/// Which of a block's lanes are within the bound: bit `t % 64` of word `t / 64` for lane `t`.
type LaneMask = [u64; BLOCK / 64];

/// The bits of mask word `w` that are real points (lanes past `len` are padding).
#[inline(always)]
fn valid_bits(w: usize, len: usize) -> u64 {
    let valid = len.saturating_sub(w * 64).min(64);
    u64::MAX.checked_shr(64 - valid as u32).unwrap_or(0)
}

/// The number of the block's first `len` lanes whose distance to `q` is within `bound`: with
/// `COUNT`, strictly below it (the range count); otherwise at most `bound`, and those lanes are
/// also marked in `mask` with their distances in `dist` (the k-NN search). The k-NN search
/// stops early: the distance only grows with each column, so once no lane is within the bound
/// after some columns, none will be (0 is returned at once, `dist` left partial and `mask`
/// untouched). The answer is exactly that of the full computation. Range counts go through all
/// columns: their radii come from a search in more dimensions, the check rarely fires, and it
/// measured 4 % slower at 16 dims.
#[inline(always)]
fn within_generic<T: Coord, const COUNT: bool>(
    q: &[T],
    block: &[T],
    dist: &mut [T; BLOCK],
    len: usize,
    bound: T,
    mask: &mut LaneMask,
) -> usize {
    let inside = |d: T| if COUNT { d < bound } else { d <= bound };
    dist.fill(T::ZERO);
    let mut j = 0;
    while j < q.len() {
        let end = (j + CHECK_EVERY).min(q.len());
        raise_distances(&q[j..end], &block[j * BLOCK..end * BLOCK], dist);
        if !COUNT && end < q.len() && !dist[..len].iter().fold(false, |acc, &d| acc | inside(d)) {
            return 0;
        }
        j = end;
    }
    if COUNT {
        return dist[..len].iter().map(|&d| inside(d) as usize).sum();
    }
    let mut within = 0;
    for (w, (m, lanes)) in mask.iter_mut().zip(dist.chunks_exact(64)).enumerate() {
        let mut bits = 0u64;
        for (t, &d) in lanes.iter().enumerate() {
            bits |= (inside(d) as u64) << t;
        }
        *m = bits & valid_bits(w, len);
        within += m.count_ones() as usize;
    }
    within
}

/// Whether the CPU has AVX2 (checked once).
#[cfg(target_arch = "x86_64")]
pub(crate) fn has_avx2() -> bool {
    use std::sync::OnceLock;
    static AVX2: OnceLock<bool> = OnceLock::new();
    *AVX2.get_or_init(|| std::arch::is_x86_feature_detected!("avx2"))
}

/// [`within_generic`], compiled for AVX2 when the CPU has it.
fn within<T: Coord, const COUNT: bool>(
    q: &[T],
    block: &[T],
    dist: &mut [T; BLOCK],
    len: usize,
    bound: T,
    mask: &mut LaneMask,
) -> usize {
    #[cfg(target_arch = "x86_64")]
    if has_avx2() {
        #[target_feature(enable = "avx2")]
        unsafe fn avx2<T: Coord, const COUNT: bool>(
            q: &[T],
            b: &[T],
            d: &mut [T; BLOCK],
            l: usize,
            x: T,
            m: &mut LaneMask,
        ) -> usize {
            within_generic::<T, COUNT>(q, b, d, l, x, m)
        }
        // SAFETY: the CPU supports AVX2 (checked above); the function is otherwise safe.
        return unsafe { avx2::<T, COUNT>(q, block, dist, len, bound, mask) };
    }
    within_generic::<T, COUNT>(q, block, dist, len, bound, mask)
}
