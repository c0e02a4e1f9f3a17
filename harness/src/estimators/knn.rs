//! Exact nearest-neighbour queries in the maximum (Chebyshev) norm, the geometry behind the `kl`
//! and `ksg` estimators: the distance of every point to its k-th nearest *other* point, and the
//! number of other points strictly within a given radius of every point in a sub-space (a subset
//! of the columns).
//!
//! Both run on a kd-tree (median split on the widest dimension, leaf buckets, flat arrays, a
//! bounding box per node) with memory O(N·d); no N×N matrix is ever formed. Queries run in
//! parallel over points with rayon and are collected in point order, so the results do not depend
//! on the number of threads. Every distance is computed as `max_j |p_j − q_j|`, and the box
//! bounds used for pruning are monotone in the same rounded differences, so the answers are
//! exactly those of brute force, ties included.

use crate::matrix::Matrix;
use rayon::prelude::*;

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

/// A kd-tree over `n` points of dimension `dim`.
struct KdTree {
    dim: usize,
    /// The points in tree order, row-major.
    points: Vec<f64>,
    /// Original index of each point in tree order.
    ids: Vec<usize>,
    nodes: Vec<Node>,
    /// Per node: `dim` lower bounds then `dim` upper bounds.
    bounds: Vec<f64>,
}

/// Chebyshev distance, giving up (returning some value ≥ `limit`) once it reaches `limit`.
#[inline]
fn chebyshev_below(p: &[f64], q: &[f64], limit: f64) -> f64 {
    let mut m = 0.0f64;
    for (a, b) in p.iter().zip(q) {
        let d = (a - b).abs();
        if d > m {
            m = d;
            if m >= limit {
                return m;
            }
        }
    }
    m
}

impl KdTree {
    /// `data` is row-major `n × dim`.
    fn build(data: &[f64], n: usize, dim: usize) -> Self {
        debug_assert_eq!(data.len(), n * dim);
        let mut order: Vec<usize> = (0..n).collect();
        let mut nodes = vec![Node {
            start: 0,
            end: n,
            left: NO_CHILD,
            right: NO_CHILD,
        }];
        let mut bounds: Vec<f64> = Vec::new();
        let mut stack = vec![0usize];
        while let Some(ni) = stack.pop() {
            let Node { start, end, .. } = nodes[ni];
            if bounds.len() < nodes.len() * 2 * dim {
                bounds.resize(nodes.len() * 2 * dim, 0.0);
            }
            let (lo, hi) = bounds[ni * 2 * dim..(ni + 1) * 2 * dim].split_at_mut(dim);
            lo.fill(f64::INFINITY);
            hi.fill(f64::NEG_INFINITY);
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
            let (mut split, mut spread) = (0, -1.0);
            for j in 0..dim {
                if hi[j] - lo[j] > spread {
                    spread = hi[j] - lo[j];
                    split = j;
                }
            }
            if spread <= 0.0 {
                continue; // all points identical: a (large) leaf
            }
            let mid = start + (end - start) / 2;
            order[start..end].select_nth_unstable_by(mid - start, |&a, &b| {
                data[a * dim + split].total_cmp(&data[b * dim + split])
            });
            let left = nodes.len();
            nodes.push(Node {
                start,
                end: mid,
                left: NO_CHILD,
                right: NO_CHILD,
            });
            nodes.push(Node {
                start: mid,
                end,
                left: NO_CHILD,
                right: NO_CHILD,
            });
            nodes[ni].left = left;
            nodes[ni].right = left + 1;
            stack.push(left);
            stack.push(left + 1);
        }
        bounds.resize(nodes.len() * 2 * dim, 0.0);
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
    fn point(&self, p: usize) -> &[f64] {
        &self.points[p * self.dim..(p + 1) * self.dim]
    }

    /// A lower bound on the distance from `q` to any point of node `ni`.
    #[inline]
    fn box_near(&self, ni: usize, q: &[f64]) -> f64 {
        let b = &self.bounds[ni * 2 * self.dim..(ni + 1) * 2 * self.dim];
        let (lo, hi) = b.split_at(self.dim);
        let mut m = 0.0f64;
        for j in 0..self.dim {
            let d = if q[j] < lo[j] {
                lo[j] - q[j]
            } else if q[j] > hi[j] {
                q[j] - hi[j]
            } else {
                0.0
            };
            if d > m {
                m = d;
            }
        }
        m
    }

    /// An upper bound on the distance from `q` to any point of node `ni`.
    #[inline]
    fn box_far(&self, ni: usize, q: &[f64]) -> f64 {
        let b = &self.bounds[ni * 2 * self.dim..(ni + 1) * 2 * self.dim];
        let (lo, hi) = b.split_at(self.dim);
        let mut m = 0.0f64;
        for j in 0..self.dim {
            let d = (q[j] - lo[j]).max(hi[j] - q[j]);
            if d > m {
                m = d;
            }
        }
        m
    }

    /// Distance from `q` to its k-th nearest point other than the point with id `self_id`.
    /// `best` and `stack` are scratch space. Needs at least k other points.
    fn kth_distance(
        &self,
        q: &[f64],
        self_id: usize,
        k: usize,
        best: &mut Vec<f64>,
        stack: &mut Vec<(usize, f64)>,
    ) -> f64 {
        best.clear();
        best.resize(k, f64::INFINITY);
        stack.clear();
        stack.push((0, 0.0));
        while let Some((ni, near)) = stack.pop() {
            let kth = best[k - 1];
            if near >= kth {
                continue; // nothing in there can be strictly closer than the current k-th
            }
            let node = self.nodes[ni];
            if node.left == NO_CHILD {
                for p in node.start..node.end {
                    if self.ids[p] == self_id {
                        continue;
                    }
                    let limit = best[k - 1];
                    let d = chebyshev_below(self.point(p), q, limit);
                    if d < limit {
                        // Insert into the sorted list, dropping the last.
                        let mut pos = k - 1;
                        while pos > 0 && best[pos - 1] > d {
                            best[pos] = best[pos - 1];
                            pos -= 1;
                        }
                        best[pos] = d;
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
        best[k - 1]
    }

    /// Number of points (any, including one equal to `q`) at distance strictly below `r`.
    fn count_below(&self, q: &[f64], r: f64, stack: &mut Vec<usize>) -> usize {
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
                    if chebyshev_below(self.point(p), q, r) < r {
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

/// For each row i of `x`: the max-norm distance to its k-th nearest other row (ties counted:
/// duplicates of row i are at distance 0). Needs 1 ≤ k < rows.
pub(crate) fn kth_neighbour_distances(x: &Matrix, k: usize) -> Vec<f64> {
    assert!(
        k >= 1 && k < x.rows,
        "need 1 <= k < N (k = {k}, N = {})",
        x.rows
    );
    let tree = KdTree::build(&x.data, x.rows, x.cols);
    (0..x.rows)
        .into_par_iter()
        .map_init(
            || (Vec::with_capacity(k), Vec::new()),
            |(best, stack), i| tree.kth_distance(x.row(i), i, k, best, stack),
        )
        .collect()
}

/// For each row i of `x`: the number of other rows j ≠ i with max-norm distance strictly below
/// `radii[i]`, distances taken over the columns `cols` only.
pub(crate) fn count_within(x: &Matrix, cols: &[usize], radii: &[f64]) -> Vec<usize> {
    assert_eq!(radii.len(), x.rows, "one radius per row");
    let dim = cols.len();
    let mut sub = Vec::with_capacity(x.rows * dim);
    for i in 0..x.rows {
        sub.extend(cols.iter().map(|&j| x.get(i, j)));
    }
    let tree = KdTree::build(&sub, x.rows, dim);
    (0..x.rows)
        .into_par_iter()
        .map_init(Vec::new, |stack, i| {
            let r = radii[i];
            if r > 0.0 {
                // The point itself (distance 0) is always inside: take it off.
                tree.count_below(&sub[i * dim..(i + 1) * dim], r, stack) - 1
            } else {
                0
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    fn chebyshev(p: &[f64], q: &[f64]) -> f64 {
        p.iter()
            .zip(q)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max)
    }

    fn brute_kth(x: &Matrix, k: usize) -> Vec<f64> {
        (0..x.rows)
            .map(|i| {
                let mut d: Vec<f64> = (0..x.rows)
                    .filter(|&j| j != i)
                    .map(|j| chebyshev(x.row(i), x.row(j)))
                    .collect();
                d.sort_by(f64::total_cmp);
                d[k - 1]
            })
            .collect()
    }

    fn brute_count(x: &Matrix, cols: &[usize], radii: &[f64]) -> Vec<usize> {
        (0..x.rows)
            .map(|i| {
                (0..x.rows)
                    .filter(|&j| j != i)
                    .filter(|&j| {
                        let d = cols
                            .iter()
                            .map(|&c| (x.get(i, c) - x.get(j, c)).abs())
                            .fold(0.0, f64::max);
                        d < radii[i]
                    })
                    .count()
            })
            .collect()
    }

    fn data(n: usize, d: usize, integer: bool, seed: u64) -> Matrix {
        let mut r = Rng::new(seed);
        Matrix::from_fn(n, d, |_, _| {
            if integer {
                r.below(6) as f64
            } else {
                r.normal()
            }
        })
    }

    #[test]
    fn tree_matches_brute_force() {
        let cases = [
            (30, 1, 1),
            (200, 1, 3),
            (300, 2, 3),
            (500, 3, 5),
            (400, 5, 2),
            (600, 8, 3),
            (150, 3, 20),
            (100, 16, 3),
        ];
        for (ci, &(n, d, k)) in cases.iter().enumerate() {
            for integer in [false, true] {
                let x = data(n, d, integer, 100 + ci as u64);
                let eps = kth_neighbour_distances(&x, k);
                assert_eq!(
                    eps,
                    brute_kth(&x, k),
                    "kth: n={n} d={d} k={k} int={integer}"
                );
                if integer && n > 6usize.pow(d as u32) * k {
                    // Pigeonhole: some cell holds k + 1 copies, so ties at distance 0 occur.
                    assert!(eps.contains(&0.0));
                }
                // Radii exactly at neighbour distances (boundary ties), random radii, zero.
                let mut r = Rng::new(7 + ci as u64);
                let random: Vec<f64> = (0..n).map(|_| 3.0 * r.uniform()).collect();
                let zero = vec![0.0; n];
                let subspaces: Vec<Vec<usize>> = vec![
                    (0..d).collect(),
                    vec![0],
                    (0..d).step_by(2).collect(),
                    (d / 2..d).collect(),
                ];
                for cols in &subspaces {
                    for radii in [&eps, &random, &zero] {
                        assert_eq!(
                            count_within(&x, cols, radii),
                            brute_count(&x, cols, radii),
                            "count: n={n} d={d} k={k} int={integer} cols={cols:?}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn all_identical_points() {
        let x = Matrix::from_fn(100, 3, |_, _| 1.0);
        assert_eq!(kth_neighbour_distances(&x, 3), vec![0.0; 100]);
        assert_eq!(count_within(&x, &[0, 2], &vec![0.5; 100]), vec![99; 100]);
    }
}
