"""Benchmark relaxarray's samplers against the native framework implementations.

torch CPU: ``F.gumbel_softmax`` (soft, hard), ``torch.distributions.RelaxedBernoulli`` and
``RelaxedOneHotCategorical`` rsample. JAX under ``jax.jit``: a hand-written
``jax.random.gumbel`` + ``jax.nn.softmax``. Forward and forward+backward; candidates are
interleaved within every repeat; the table shows medians (microseconds per call) and the
ratio relaxarray / native (< 1 means relaxarray is faster).

Usage: ``python benchmarks/bench_samplers.py [--quick] [--sizes 8x10,256x128]
[--ratios-only]``

It first prints the target table of the eager torch path: ``gumbel_softmax`` (soft and
hard, forward and forward+backward, torch's global generator on both sides) against
``F.gumbel_softmax``, as median ratios of interleaved (ABBA) rounds in CPU time
(``benchmarks/_cases.py``, ``benchmarks/_timing.py``); ``--ratios-only`` stops there.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable

sys.path.insert(0, os.path.dirname(__file__))
sys.path.append(os.path.join(os.path.dirname(__file__), ".."))

import relaxarray as rx

Pairs = dict[str, tuple[Callable[[], object], Callable[[], object]]]

SIZES = [(8, 10), (256, 128), (4096, 1024), (64, 50257)]


def _inner(numel: int) -> int:
    return max(1, min(100, int(3e5 // numel)))


def _time(fn: Callable[[], object], n: int) -> float:
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t0) / n * 1e6


def _bench(pairs: Pairs, numel: int, repeats: int) -> dict[str, tuple[float, float]]:
    n = _inner(numel)
    for ours, native in pairs.values():  # warm-up (and jit compilation)
        ours()
        native()
    times: dict[str, tuple[list[float], list[float]]] = {k: ([], []) for k in pairs}
    for r in range(repeats):
        for k, (ours, native) in pairs.items():
            order = [(0, ours), (1, native)] if r % 2 == 0 else [(1, native), (0, ours)]
            for i, fn in order:
                times[k][i].append(_time(fn, n))
    return {k: (statistics.median(a), statistics.median(b)) for k, (a, b) in times.items()}


def torch_pairs(shape: tuple[int, int]) -> Pairs:
    import torch
    import torch.nn.functional as F
    from torch.distributions import RelaxedBernoulli, RelaxedOneHotCategorical

    gen = torch.Generator().manual_seed(0)
    logits = torch.randn(shape, generator=gen)
    lg = logits.clone().requires_grad_(True)
    w = torch.randn(shape, generator=gen)
    t = torch.tensor(0.5)
    rb = RelaxedBernoulli(temperature=t, logits=logits)
    rc = RelaxedOneHotCategorical(temperature=t, logits=logits)

    def bwd(y: torch.Tensor) -> None:
        (y * w).sum().backward()
        lg.grad = None

    return {
        "gumbel_softmax fwd": (
            lambda: rx.gumbel_softmax(logits, temperature=0.5, rng=gen),
            lambda: F.gumbel_softmax(logits, tau=0.5),
        ),
        "gumbel_softmax hard fwd": (
            lambda: rx.gumbel_softmax(logits, temperature=0.5, hard=True, rng=gen),
            lambda: F.gumbel_softmax(logits, tau=0.5, hard=True),
        ),
        "gumbel_softmax fwd+bwd": (
            lambda: bwd(rx.gumbel_softmax(lg, temperature=0.5, rng=gen)),
            lambda: bwd(F.gumbel_softmax(lg, tau=0.5)),
        ),
        "gumbel_softmax hard fwd+bwd": (
            lambda: bwd(rx.gumbel_softmax(lg, temperature=0.5, hard=True, rng=gen)),
            lambda: bwd(F.gumbel_softmax(lg, tau=0.5, hard=True)),
        ),
        "RelaxedOneHotCategorical.rsample fwd": (
            lambda: rx.gumbel_softmax(logits, temperature=0.5, rng=gen),
            lambda: rc.rsample(),
        ),
        "RelaxedOneHotCategorical.rsample fwd+bwd": (
            lambda: bwd(rx.gumbel_softmax(lg, temperature=0.5, rng=gen)),
            lambda: bwd(RelaxedOneHotCategorical(temperature=t, logits=lg).rsample()),
        ),
        "RelaxedBernoulli.rsample fwd": (
            lambda: rx.relaxed_bernoulli(logits, temperature=0.5, rng=gen),
            lambda: rb.rsample(),
        ),
        "RelaxedBernoulli.rsample fwd+bwd": (
            lambda: bwd(rx.relaxed_bernoulli(lg, temperature=0.5, rng=gen)),
            lambda: bwd(RelaxedBernoulli(temperature=t, logits=lg).rsample()),
        ),
    }


def jax_pairs(shape: tuple[int, int]) -> Pairs:
    import jax
    import jax.numpy as jnp

    key = jax.random.key(0)
    logits = jax.random.normal(key, shape)
    w = jax.random.normal(jax.random.key(1), shape)

    def native(lg: jax.Array, k: jax.Array) -> jax.Array:
        return jax.nn.softmax((lg + jax.random.gumbel(k, lg.shape, lg.dtype)) / 0.5, axis=-1)

    def ours(lg: jax.Array, k: jax.Array) -> jax.Array:
        return rx.gumbel_softmax(lg, temperature=0.5, rng=k)

    def loss(f: Callable[[jax.Array, jax.Array], jax.Array]) -> Callable[..., jax.Array]:
        return lambda lg, k: jnp.sum(f(lg, k) * w)

    f_ours, f_nat = jax.jit(ours), jax.jit(native)
    g_ours, g_nat = jax.jit(jax.grad(loss(ours))), jax.jit(jax.grad(loss(native)))
    return {
        "jax gumbel_softmax fwd (jit)": (
            lambda: f_ours(logits, key).block_until_ready(),
            lambda: f_nat(logits, key).block_until_ready(),
        ),
        "jax gumbel_softmax fwd+bwd (jit)": (
            lambda: g_ours(logits, key).block_until_ready(),
            lambda: g_nat(logits, key).block_until_ready(),
        ),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="fewer repeats")
    ap.add_argument("--repeats", type=int, default=None)
    ap.add_argument("--sizes", default=None, help="e.g. 8x10,256x128")
    ap.add_argument("--ratios-only", action="store_true")
    args = ap.parse_args()
    repeats = args.repeats or (3 if args.quick else 5)
    sizes = (
        SIZES
        if not args.sizes
        else [tuple(int(v) for v in s.split("x")) for s in args.sizes.split(",")]
    )
    import torch
    from _cases import torch_samplers
    from _timing import print_rows, ratio_table

    torch.set_num_threads(1)
    rows = []
    for shape in sizes[:3]:
        rows += ratio_table(
            torch_samplers(shape), f"{shape[0]}x{shape[1]}", repeats=max(repeats, 9)
        )
    print_rows(
        rows,
        "torch eager gumbel_softmax vs F.gumbel_softmax (1 thread, float32, "
        "rng=None on both sides)",
    )
    if args.ratios_only:
        return
    print(f"torch {torch.__version__} threads={torch.get_num_threads()}; repeats={repeats}")
    print("| case | shape | relaxarray (us) | native (us) | ratio |")
    print("| --- | --- | ---: | ---: | ---: |")
    for shape in sizes:
        numel = shape[0] * shape[1]
        for make in (torch_pairs, jax_pairs):
            res = _bench(make(shape), numel, repeats)  # type: ignore[arg-type]
            for name, (a, b) in res.items():
                print(
                    f"| {name} | {shape[0]}x{shape[1]} | {a:.1f} | {b:.1f} | {a / b:.2f} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
