"""The relu2 training step of `benches/benches/training.rs`, in PyTorch on the CPU.

Same workloads: an ensemble of M members batched with a leading ensemble dimension in every
tensor, float64, full-batch Adam (lr 0.01) on each member's mean squared error, gradients by
autograd, at the two sizes of the Rust bench: `fig2` (d = 30, width 4, n = 129; M = 1, 8, 32,
group `relu2_step`) and `wide` (d = 50, width 8, n = 500; M = 32, group
`relu2_step_d50_w8_n500`). Run by hand, with the thread count of the Rust run:

    python3 -m venv /tmp/venv-torch
    /tmp/venv-torch/bin/pip install torch --index-url https://download.pytorch.org/whl/cpu
    /tmp/venv-torch/bin/python benches/torch_training.py --threads 2 [--size wide]

Prints the median time of one step per case (and the mean of the fastest half of 5 rounds).
"""

import argparse
import statistics
import time

import torch

# name: (d, width, n, ensemble sizes M)
SIZES = {"fig2": (30, 4, 129, (1, 8, 32)), "wide": (50, 8, 500, (32,))}


def step_time(size: str, m: int, steps: int) -> float:
    D, WIDTH, N, _ = SIZES[size]
    g = torch.Generator().manual_seed(7)
    x = torch.randn(N, D, generator=g, dtype=torch.float64).expand(m, N, D).contiguous()
    y = x[:, :, :1] + 0.45 * torch.randn(m, N, 1, generator=g, dtype=torch.float64)
    bound1, bound2 = 1 / D**0.5, 1 / WIDTH**0.5

    def uniform(shape, bound):
        return ((torch.rand(shape, generator=g, dtype=torch.float64) * 2 - 1) * bound).requires_grad_()

    w1 = uniform((m, WIDTH, D), bound1)
    b1 = uniform((m, 1, WIDTH), bound1)
    w2 = uniform((m, WIDTH, 1), bound2)
    b2 = uniform((m, 1, 1), bound2)
    opt = torch.optim.Adam([w1, b1, w2, b2], lr=0.01)

    def one_step():
        opt.zero_grad(set_to_none=True)
        out = torch.relu(torch.baddbmm(b1, x, w1.transpose(1, 2))).bmm(w2) + b2
        per_member = ((out - y) ** 2).mean(dim=1)  # [M, 1]
        per_member.sum().backward()
        opt.step()
        return per_member.detach()

    for _ in range(50):
        one_step()
    start = time.perf_counter()
    for _ in range(steps):
        loss = one_step()
    float(loss[0, 0])
    return (time.perf_counter() - start) / steps


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--size", choices=[*SIZES, "all"], default="all")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, float64")
    for size in SIZES if args.size == "all" else [args.size]:
        d, width, n, members = SIZES[size]
        for m in members:
            rounds = sorted(step_time(size, m, args.steps) for _ in range(5))
            print(f"relu2_step {size} (d {d}, width {width}, n {n}) M={m:2d}: "
                  f"median {statistics.median(rounds) * 1e6:8.1f} µs/step, "
                  f"best-half mean {statistics.mean(rounds[:3]) * 1e6:8.1f} µs/step")


if __name__ == "__main__":
    main()
