"""The relu2 training step of `benches/benches/training.rs`, in PyTorch on the CPU.

Same workload: d = 30, width 4 (P = 129), n = 129 samples, an ensemble of M members batched
with a leading ensemble dimension in every tensor, float64, full-batch Adam (lr 0.01) on each
member's mean squared error, gradients by autograd. Run by hand, with the thread count of the
Rust run:

    python3 -m venv /tmp/venv-torch
    /tmp/venv-torch/bin/pip install torch --index-url https://download.pytorch.org/whl/cpu
    /tmp/venv-torch/bin/python benches/torch_training.py --threads 2

Prints the median time of one step per M (and the mean of the fastest half of 5 rounds).
"""

import argparse
import statistics
import time

import torch

D, WIDTH, N = 30, 4, 129


def step_time(m: int, steps: int) -> float:
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
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, float64")
    for m in (1, 8, 32):
        rounds = sorted(step_time(m, args.steps) for _ in range(5))
        print(f"relu2_step M={m:2d}: median {statistics.median(rounds) * 1e6:8.1f} µs/step, "
              f"best-half mean {statistics.mean(rounds[:3]) * 1e6:8.1f} µs/step")


if __name__ == "__main__":
    main()
