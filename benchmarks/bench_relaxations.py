"""relaxarray's deterministic relaxations against the native framework calls.

Run: ``python benchmarks/bench_relaxations.py [--quick] [--backend torch|jax]``.

torch: eager, against ``torch.softmax``/``torch.logsumexp``/``torch.nn.functional``.
jax: both under ``jax.jit``, against ``jax.nn``/``jax.scipy.special``.
Median of interleaved repeats; ratio = relaxarray / native (lower is better).
"""

from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from _timing import fmt_seconds, interleaved, markdown_table

import relaxarray as rx

SHAPES = [(8, 10), (256, 128), (4096, 1024)]


def torch_cases(shape: tuple[int, int]):  # type: ignore[no-untyped-def]
    import torch
    import torch.nn.functional as F

    g = torch.Generator().manual_seed(0)
    x = torch.randn(shape, generator=g, dtype=torch.float32)
    y = torch.randn(shape, generator=g, dtype=torch.float32)
    idx = torch.arange(shape[-1], dtype=x.dtype)
    return {
        "softmax": (lambda: rx.softmax(x, temperature=0.5), lambda: torch.softmax(x / 0.5, -1)),
        "soft_argmax": (
            lambda: rx.soft_argmax(x, temperature=0.5),
            lambda: torch.softmax(x / 0.5, -1) @ idx,
        ),
        "logsumexp": (lambda: rx.logsumexp(x), lambda: torch.logsumexp(x, -1)),
        "huber": (
            lambda: rx.huber(x, y),
            lambda: F.huber_loss(x, y, reduction="none"),
        ),
        "softplus": (lambda: rx.softplus(x), lambda: F.softplus(x)),
    }, None


def jax_cases(shape: tuple[int, int]):  # type: ignore[no-untyped-def]
    import jax
    import jax.numpy as jnp

    k1, k2 = jax.random.split(jax.random.key(0))
    x = jax.random.normal(k1, shape, dtype=jnp.float32)
    y = jax.random.normal(k2, shape, dtype=jnp.float32)
    idx = jnp.arange(shape[-1], dtype=x.dtype)

    def huber_native(a, b):  # type: ignore[no-untyped-def]
        d = jnp.abs(a - b)
        return jnp.where(d < 1.0, 0.5 * d * d, d - 0.5)

    pairs = {
        "softmax": (lambda v: rx.softmax(v, temperature=0.5), lambda v: jax.nn.softmax(v / 0.5)),
        "soft_argmax": (
            lambda v: rx.soft_argmax(v, temperature=0.5),
            lambda v: jax.nn.softmax(v / 0.5) @ idx,
        ),
        "logsumexp": (rx.logsumexp, lambda v: jax.scipy.special.logsumexp(v, axis=-1)),
        "huber": (lambda v: rx.huber(v, y), lambda v: huber_native(v, y)),
        "softplus": (rx.softplus, jax.nn.softplus),
    }
    cases = {}
    for name, (ours, native) in pairs.items():
        fo, fn = jax.jit(ours), jax.jit(native)
        cases[name] = ((lambda f=fo: f(x)), (lambda f=fn: f(x)))
    return cases, lambda out: out.block_until_ready()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", choices=["torch", "jax", "all"], default="all")
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args()
    repeats = 5 if args.quick else 21
    backends = ["torch", "jax"] if args.backend == "all" else [args.backend]
    for backend in backends:
        if backend == "torch":
            import torch

            torch.set_num_threads(1)
        rows = []
        for shape in SHAPES:
            cases, sync = (torch_cases if backend == "torch" else jax_cases)(shape)
            for name, (ours, native) in cases.items():
                t = interleaved(
                    {"ours": ours, "native": native},
                    repeats=repeats,
                    **({"sync": sync} if sync else {}),
                )
                ratio = t["ours"] / t["native"]
                rows.append([name, str(shape), fmt_seconds(t["ours"]), fmt_seconds(t["native"]),
                             f"{ratio:.2f}x"])
        mode = "eager, 1 thread" if backend == "torch" else "jax.jit"
        print(f"\n### {backend} ({mode}, float32, median of {repeats} interleaved repeats)\n")
        print(markdown_table(["function", "shape", "relaxarray", "native", "ratio"], rows))


if __name__ == "__main__":
    main()
