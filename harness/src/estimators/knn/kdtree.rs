//! The kd-tree: median split on the widest dimension, leaf buckets of [`LEAF_SIZE`] points, flat
//! arrays and a bounding box per node. Exact k-nearest and range-count queries in the max norm;
//! the box bounds are computed from the same exact differences as the distances, so pruning
//! never changes an answer. Compiled for the tests only: an implementation independent of the
//! blocked search, which they hold it against (the blocked search is faster at every size).

use super::{insert_best, Coord, Points};
use rayon::prelude::*;

/// For each point i of `p`: its k nearest other points as (distance, index), sorted by distance
/// then index, mapped by `f` into `out[i]` (the interface of the blocked search's).
pub(super) fn map_nearest<T: Coord, R: Send>(
    p: &Points<T>,
    k: usize,
    out: &mut [R],
    f: impl Fn(&[(T, usize)]) -> R + Sync,
) {
    let tree = KdTree::build(p);
    out.par_iter_mut().enumerate().for_each_init(
        || (Vec::new(), Vec::new()),
        |(best, stack), (i, o)| {
            tree.nearest(p.row(i), i, k, best, stack);
            *o = f(best);
        },
    );
}

/// For each point i of `p`: the number of other points at distance strictly below `radii[i]`.
pub(super) fn count_below<T: Coord>(p: &Points<T>, radii: &[T]) -> Vec<usize> {
    let tree = KdTree::build(p);
    let mut out = vec![0usize; p.n];
    out.par_iter_mut()
        .enumerate()
        .for_each_init(Vec::new, |stack, (i, o)| {
            *o = if radii[i] > T::ZERO {
                // The point itself (distance 0) is always inside: take it off.
                tree.count_below(p.row(i), radii[i], stack) - 1
            } else {
                0
            };
        });
    out
}

/// Points per leaf bucket.
const LEAF_SIZE: usize = 24;
const NO_CHILD: usize = usize::MAX;

#[derive(Clone, Copy, Debug)]
struct Node {
    /// Range of the node's points in the tree order.
    start: usize,
    end: usize,
    /// Children (both `NO_CHILD` for a leaf).
    left: usize,
    right: usize,
}

pub(super) struct KdTree<T> {
    dim: usize,
    /// The points in tree order, row-major.
    points: Vec<T>,
    /// Original index of each point in tree order.
    ids: Vec<usize>,
    nodes: Vec<Node>,
    /// Per node: `dim` lower bounds then `dim` upper bounds.
    bounds: Vec<T>,
}

/// Chebyshev distance; gives up (returning some value > `limit`) once it exceeds `limit`.
#[inline]
fn chebyshev_within<T: Coord>(p: &[T], q: &[T], limit: T) -> T {
    let mut m = T::ZERO;
    for (&a, &b) in p.iter().zip(q) {
        let d = T::dist(a, b);
        if d > m {
            m = d;
            if m > limit {
                return m;
            }
        }
    }
    m
}

impl<T: Coord> KdTree<T> {
    pub fn build(p: &Points<T>) -> Self {
        let (n, dim, data) = (p.n, p.dim, &p.data);
        let mut order: Vec<usize> = (0..n).collect();
        let leaf = |start, end| Node {
            start,
            end,
            left: NO_CHILD,
            right: NO_CHILD,
        };
        let mut nodes = vec![leaf(0, n)];
        let mut bounds: Vec<T> = Vec::new();
        let mut stack = vec![0usize];
        while let Some(ni) = stack.pop() {
            let Node { start, end, .. } = nodes[ni];
            if bounds.len() < nodes.len() * 2 * dim {
                bounds.resize(nodes.len() * 2 * dim, T::ZERO);
            }
            let (lo, hi) = bounds[ni * 2 * dim..(ni + 1) * 2 * dim].split_at_mut(dim);
            lo.fill(T::MAX);
            hi.fill(T::MIN);
            for &i in &order[start..end] {
                for j in 0..dim {
                    let v = data[i * dim + j];
                    if v < lo[j] {
                        lo[j] = v;
                    }
                    if v > hi[j] {
                        hi[j] = v;
                    }
                }
            }
            if end - start <= LEAF_SIZE {
                continue;
            }
            let (mut split, mut spread) = (0, T::ZERO);
            for j in 0..dim {
                let s = T::dist(hi[j], lo[j]);
                if s > spread {
                    spread = s;
                    split = j;
                }
            }
            if spread <= T::ZERO {
                continue; // all points identical: a (large) leaf
            }
            let mid = start + (end - start) / 2;
            order[start..end].select_nth_unstable_by(mid - start, |&a, &b| {
                T::total_cmp(data[a * dim + split], data[b * dim + split])
            });
            let left = nodes.len();
            nodes.push(leaf(start, mid));
            nodes.push(leaf(mid, end));
            nodes[ni].left = left;
            nodes[ni].right = left + 1;
            stack.push(left);
            stack.push(left + 1);
        }
        bounds.resize(nodes.len() * 2 * dim, T::ZERO);
        let mut points = Vec::with_capacity(n * dim);
        for &i in &order {
            points.extend_from_slice(&data[i * dim..(i + 1) * dim]);
        }
        KdTree {
            dim,
            points,
            ids: order,
            nodes,
            bounds,
        }
    }

    #[inline]
    fn point(&self, p: usize) -> &[T] {
        &self.points[p * self.dim..(p + 1) * self.dim]
    }

    #[inline]
    fn node_bounds(&self, ni: usize) -> (&[T], &[T]) {
        self.bounds[ni * 2 * self.dim..(ni + 1) * 2 * self.dim].split_at(self.dim)
    }

    /// A lower bound on the distance from `q` to any point of node `ni`.
    #[inline]
    fn box_near(&self, ni: usize, q: &[T]) -> T {
        let (lo, hi) = self.node_bounds(ni);
        let mut m = T::ZERO;
        for j in 0..self.dim {
            let d = if q[j] < lo[j] {
                T::dist(lo[j], q[j])
            } else if q[j] > hi[j] {
                T::dist(q[j], hi[j])
            } else {
                T::ZERO
            };
            if d > m {
                m = d;
            }
        }
        m
    }

    /// An upper bound on the distance from `q` to any point of node `ni`.
    #[inline]
    fn box_far(&self, ni: usize, q: &[T]) -> T {
        let (lo, hi) = self.node_bounds(ni);
        let mut m = T::ZERO;
        for j in 0..self.dim {
            let (a, b) = (T::dist(q[j], lo[j]), T::dist(q[j], hi[j]));
            let d = if a > b { a } else { b };
            if d > m {
                m = d;
            }
        }
        m
    }

    /// Leaves in `best` the k nearest points to `q` other than the point with id `self_id`, as
    /// (distance, id) sorted by distance, equally distant points ordered by id (the order the
    /// blocked search gives). Needs at least k other points.
    pub fn nearest(
        &self,
        q: &[T],
        self_id: usize,
        k: usize,
        best: &mut Vec<(T, usize)>,
        stack: &mut Vec<(usize, T)>,
    ) {
        best.clear();
        best.resize(k, (T::MAX, usize::MAX));
        stack.clear();
        stack.push((0, T::ZERO));
        while let Some((ni, near)) = stack.pop() {
            // `>`, not `>=`: a node at exactly the k-th distance may hold a point of lower id.
            if near > best[k - 1].0 {
                continue;
            }
            let node = self.nodes[ni];
            if node.left == NO_CHILD {
                for p in node.start..node.end {
                    let id = self.ids[p];
                    if id == self_id {
                        continue;
                    }
                    let limit = best[k - 1].0;
                    let d = chebyshev_within(self.point(p), q, limit);
                    if d <= limit {
                        insert_best(best, d, id);
                    }
                }
            } else {
                let dl = self.box_near(node.left, q);
                let dr = self.box_near(node.right, q);
                // Visit the nearer child first (pushed last).
                if dl <= dr {
                    stack.push((node.right, dr));
                    stack.push((node.left, dl));
                } else {
                    stack.push((node.left, dl));
                    stack.push((node.right, dr));
                }
            }
        }
    }

    /// Number of points (any, including one equal to `q`) at distance strictly below `r`.
    pub fn count_below(&self, q: &[T], r: T, stack: &mut Vec<usize>) -> usize {
        let mut count = 0;
        stack.clear();
        stack.push(0);
        while let Some(ni) = stack.pop() {
            if self.box_near(ni, q) >= r {
                continue;
            }
            let node = self.nodes[ni];
            if self.box_far(ni, q) < r {
                count += node.end - node.start;
                continue;
            }
            if node.left == NO_CHILD {
                for p in node.start..node.end {
                    if chebyshev_within(self.point(p), q, r) < r {
                        count += 1;
                    }
                }
            } else {
                stack.push(node.right);
                stack.push(node.left);
            }
        }
        count
    }
}
