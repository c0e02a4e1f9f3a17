#!/usr/bin/env python3
"""Side-by-side timings of `harness cce` against Python copent and scipy cKDTree (benches/README.md).

Run by hand, never by tests (it needs numpy, scipy and copent, and takes minutes):

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install numpy scipy copent
    cargo build --release
    /tmp/venv/bin/python benches/compare.py [--n 20000] [--dims 8 32] [--repeats 3]

For each total dimension d, the sample is d_A = d_B = d/2 Gaussian pairs with correlation 0.6,
written as two headerless CSVs. Timed, median of --repeats whole runs:
- copent: `copent.copent(x, k=3)` on the d-dim joint sample x = [A, B] (one entropy, dense
  N x N distances), imported beforehand, data already in memory;
- cKDTree: the same Kozachenko-Leonenko entropy of the d-dim copula sample with scipy's cKDTree
  (max norm, one worker, k = 3), tree build + query, data in memory;
- harness cce (ksg and kl): the whole process `harness cce A.csv B.csv` (reading the CSVs,
  ranks, and CCE(A|B) alone: ksg = one joint d-dim k-NN search + one d/2-dim range count in
  B's space; kl = two k-NN searches, d and d/2 dims), i.e. more work than one entropy.
"""
import argparse, statistics, subprocess, sys, tempfile, time
from pathlib import Path

import numpy as np
import copent
from scipy.spatial import cKDTree
from scipy.special import digamma


def kl_entropy_ckdtree(x, k=3):
    n, d = x.shape
    u = (np.argsort(np.argsort(x, 0), 0) + 1) / n
    eps = cKDTree(u).query(u, k + 1, p=np.inf, workers=1)[0][:, k]
    return digamma(n) - digamma(k) + d * np.mean(np.log(2 * eps))


def median_time(f, repeats):
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--dims", type=int, nargs="+", default=[8, 32])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--harness", default="target/release/harness")
    ap.add_argument("--skip-copent", action="store_true")
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    print("| N | d (A+B) | copent s | cKDTree s | harness cce ksg s | harness cce kl s | copent / ksg | cKDTree / ksg |")
    print("|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for d in args.dims:
            h = d // 2
            a = rng.standard_normal((args.n, h))
            b = 0.6 * a + 0.8 * rng.standard_normal((args.n, h))
            pa, pb = Path(tmp, "a.csv"), Path(tmp, "b.csv")
            np.savetxt(pa, a, delimiter=",", fmt="%.17g")
            np.savetxt(pb, b, delimiter=",", fmt="%.17g")
            x = np.hstack([a, b])
            t_cop = float("nan") if args.skip_copent else median_time(lambda: copent.copent(x, 3), args.repeats)
            t_kd = median_time(lambda: kl_entropy_ckdtree(x, 3), args.repeats)
            t_h = {}
            for est in ["ksg", "kl"]:
                cmd = [args.harness, "cce", str(pa), str(pb), "--estimator", est]
                t_h[est] = median_time(lambda: subprocess.run(cmd, check=True, capture_output=True), args.repeats)
            print(f"| {args.n} | {d} ({h}+{h}) | {t_cop:.3f} | {t_kd:.3f} | {t_h['ksg']:.3f} | {t_h['kl']:.3f} "
                  f"| {t_cop / t_h['ksg']:.1f}x | {t_kd / t_h['ksg']:.1f}x |", flush=True)


if __name__ == "__main__":
    sys.exit(main())
