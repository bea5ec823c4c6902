"""Throughput of the portable Threefry stream vs each backend's native generator.

Draws float32 and float64 uniform noise of shape 4096 x 1024 (4 Mi values) with
``relaxarray.random.uniform(relaxarray.random.portable(seed), ...)`` and with the
native generator (``numpy.random.default_rng().random``, ``torch.rand``,
``jax.random.uniform`` under ``jax.jit``), interleaving the repeats (ABBA, CPU time of
the process: see ``_timing.default_clock``), and prints the medians and the median ratio
portable / native as a markdown table.

    python benchmarks/bench_portable.py [--repeats 7] [--dtypes float32,float64]
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
sys.path.append(os.path.join(os.path.dirname(__file__), ".."))

from _timing import ratio_rounds

from relaxarray import random

SHAPE = (4096, 1024)


def cases(dtype_name: str) -> list[tuple[str, Callable[[], Any], Callable[[], Any]]]:
    key = random.portable(0)
    out: list[tuple[str, Callable[[], Any], Callable[[], Any]]] = []
    gen = np.random.default_rng(0)
    np_dtype = getattr(np, dtype_name)
    like_np = np.zeros(1, dtype=np_dtype)
    out.append(
        (
            "numpy (default_rng().random)",
            lambda: random.uniform(key, SHAPE, like=like_np),
            lambda: gen.random(SHAPE, dtype=np_dtype),
        )
    )
    try:
        import torch

        torch.set_num_threads(1)  # torch.rand on the CPU is serial; CPU time counts threads
        t_dtype = getattr(torch, dtype_name)
        like_t = torch.zeros(1, dtype=t_dtype)
        tgen = torch.Generator().manual_seed(0)
        out.append(
            (
                "torch (torch.rand)",
                lambda: random.uniform(key, SHAPE, like=like_t),
                lambda: torch.rand(SHAPE, generator=tgen, dtype=t_dtype),
            )
        )
    except ImportError:
        pass
    try:
        import jax
        import jax.numpy as jnp

        if dtype_name == "float64":
            jax.config.update("jax_enable_x64", True)
        j_dtype = getattr(jnp, dtype_name)
        like_j = jnp.zeros(1, dtype=j_dtype)
        port = jax.jit(lambda x: random.uniform(key, SHAPE, like=x))
        nat = jax.jit(lambda k: jax.random.uniform(k, SHAPE, dtype=j_dtype))
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
    parser.add_argument("--dtypes", default="float32,float64")
    args = parser.parse_args()
    print("| backend (native generator) | dtype | portable ms | native ms | portable / native |")
    print("|---|---|---|---|---|")
    for dtype_name in args.dtypes.split(","):
        for name, portable_fn, native_fn in cases(dtype_name):
            p, n, r = ratio_rounds(portable_fn, native_fn, repeats=args.repeats, min_time=0.0)
            print(
                f"| {name} | {dtype_name} | {p * 1e3:.1f} | {n * 1e3:.1f} | {r:.1f}x |", flush=True
            )


if __name__ == "__main__":
    main()
