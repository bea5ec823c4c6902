"""Throughput of the portable Threefry stream vs each backend's native generator.

Draws float32 uniform noise of shape 4096 x 1024 (4 Mi values) with
``relaxarray.random.uniform(relaxarray.random.portable(seed), ...)`` and with the
native generator (``numpy.random.default_rng().random``, ``torch.rand``,
``jax.random.uniform`` under ``jax.jit``), interleaving the repeats, and prints the
medians and the ratio portable / native as a markdown table.

    python benchmarks/bench_portable.py [--repeats 7]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from relaxarray import random

SHAPE = (4096, 1024)


def _time(fn: Callable[[], Any]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def cases() -> list[tuple[str, Callable[[], Any], Callable[[], Any]]]:
    key = random.portable(0)
    out: list[tuple[str, Callable[[], Any], Callable[[], Any]]] = []
    gen = np.random.default_rng(0)
    like_np = np.zeros(1, dtype=np.float32)
    out.append(
        (
            "numpy (default_rng().random)",
            lambda: random.uniform(key, SHAPE, like=like_np),
            lambda: gen.random(SHAPE, dtype=np.float32),
        )
    )
    try:
        import torch

        like_t = torch.zeros(1, dtype=torch.float32)
        tgen = torch.Generator().manual_seed(0)
        out.append(
            (
                "torch (torch.rand)",
                lambda: random.uniform(key, SHAPE, like=like_t),
                lambda: torch.rand(SHAPE, generator=tgen, dtype=torch.float32),
            )
        )
    except ImportError:
        pass
    try:
        import jax
        import jax.numpy as jnp

        like_j = jnp.zeros(1, dtype=jnp.float32)
        port = jax.jit(lambda x: random.uniform(key, SHAPE, like=x))
        nat = jax.jit(lambda k: jax.random.uniform(k, SHAPE, dtype=jnp.float32))
        jkey = jax.random.key(0)
        out.append(
            (
                "jax (jax.random.uniform, jit)",
                lambda: port(like_j).block_until_ready(),
                lambda: nat(jkey).block_until_ready(),
            )
        )
    except ImportError:
        pass
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    rows = []
    for name, portable_fn, native_fn in cases():
        portable_fn(), native_fn()  # warm up (and compile)
        tp, tn = [], []
        for _ in range(args.repeats):
            tp.append(_time(portable_fn))
            tn.append(_time(native_fn))
        p, n = statistics.median(tp), statistics.median(tn)
        rows.append((name, p, n))
    print(
        f"float32 uniform, shape {SHAPE[0]} x {SHAPE[1]}, "
        f"median of {args.repeats} interleaved repeats\n"
    )
    print("| backend (native generator) | portable ms | native ms | portable / native |")
    print("|---|---|---|---|")
    for name, p, n in rows:
        print(f"| {name} | {p * 1e3:.1f} | {n * 1e3:.1f} | {p / n:.1f}x |")


if __name__ == "__main__":
    main()
