"""Benchmark: relaxarray gates and Gumbel-top-k vs plain hand-written torch.

Forward and forward+backward at shape (4096, 1024), float32, on torch's default device
(CPU here). Both sides draw their noise from a torch.Generator inside the timed call.
Repeats are interleaved (relaxarray, torch, relaxarray, torch, ...) and the table reports
medians and the ratio relaxarray / torch.

    python benchmarks/bench_gates.py [--repeats 21] [--k 8] [--device cpu]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

import relaxarray as rx

GAMMA, ZETA = -0.1, 1.1


def torch_hard_concrete(la, t, gen):
    u = torch.rand(la.shape, generator=gen, dtype=la.dtype, device=la.device)
    u = u.clamp_min(torch.finfo(la.dtype).tiny)
    s = torch.sigmoid((torch.log(u) - torch.log1p(-u) + la) / t)
    return (s * (ZETA - GAMMA) + GAMMA).clamp(0.0, 1.0)


def torch_gaussian_gate(mu, sigma, gen):
    eps = torch.randn(mu.shape, generator=gen, dtype=mu.dtype, device=mu.device)
    return (mu + sigma * eps).clamp(0.0, 1.0)


def torch_gumbel_top_k(logits, k, t, gen):
    u = torch.rand(logits.shape, generator=gen, dtype=logits.dtype, device=logits.device)
    u = u.clamp_min(torch.finfo(logits.dtype).tiny)
    keys = logits - torch.log(-torch.log(u))
    eps = torch.finfo(logits.dtype).eps
    alpha, soft = keys, torch.zeros_like(keys)
    for _ in range(k):
        p = torch.softmax(alpha / t, dim=-1)
        soft = soft + p
        alpha = alpha + torch.log((1.0 - p).clamp_min(eps))
    idx = torch.topk(keys.detach(), k, dim=-1).indices
    hard = torch.zeros_like(keys).scatter_(-1, idx, 1.0)
    return hard - soft.detach() + soft


def timed(fn, x, backward):
    x.grad = None
    t0 = time.perf_counter()
    out = fn(x)
    if backward:
        out.sum().backward()
    if x.device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=21)
    ap.add_argument("--k", type=int, default=8)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--shape", default="4096,1024")
    args = ap.parse_args()
    shape = tuple(int(s) for s in args.shape.split(","))
    dev = torch.device(args.device)
    gen = torch.Generator(device=dev).manual_seed(0)
    base = torch.randn(shape, device=dev)
    k = args.k

    cases = {
        "hard_concrete": (
            lambda x: rx.hard_concrete(x, temperature=2 / 3, rng=gen),
            lambda x: torch_hard_concrete(x, 2 / 3, gen),
        ),
        "gaussian_gate": (
            lambda x: rx.gaussian_gate(x, sigma=0.5, rng=gen),
            lambda x: torch_gaussian_gate(x, 0.5, gen),
        ),
        f"gumbel_top_k hard k={k}": (
            lambda x: rx.gumbel_top_k(x, k, temperature=0.5, hard=True, rng=gen),
            lambda x: torch_gumbel_top_k(x, k, 0.5, gen),
        ),
    }
    print(
        f"shape {shape}, float32, device {dev}, torch {torch.__version__}, "
        f"{args.repeats} interleaved repeats, median ms\n"
    )
    print("| function | pass | relaxarray (ms) | torch (ms) | ratio |")
    print("| --- | --- | ---: | ---: | ---: |")
    for name, (ours, ref) in cases.items():
        for backward in (False, True):
            x = base.clone().requires_grad_(backward)
            for _ in range(2):  # warm-up
                timed(ours, x, backward)
                timed(ref, x, backward)
            a, b = [], []
            for _ in range(args.repeats):
                a.append(timed(ours, x, backward))
                b.append(timed(ref, x, backward))
            ma, mb = statistics.median(a) * 1e3, statistics.median(b) * 1e3
            label = "fwd+bwd" if backward else "fwd"
            print(f"| {name} | {label} | {ma:.2f} | {mb:.2f} | {ma / mb:.2f}x |")


if __name__ == "__main__":
    main()
