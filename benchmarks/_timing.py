"""Shared timing helpers: interleaved repeats, medians and ratios, a markdown table."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any


def interleaved(
    fns: dict[str, Callable[[], Any]],
    *,
    repeats: int = 15,
    min_time: float = 0.02,
    sync: Callable[[Any], Any] = lambda out: out,
) -> dict[str, float]:
    """Median seconds per call of each function, timing them in turn, ``repeats`` rounds.

    Each round runs every function as many times as needed to last ``min_time`` (the loop
    count is calibrated once, on a warm-up), so fast calls are not dominated by timer noise.
    ``sync(out)`` waits for asynchronous backends (e.g. ``block_until_ready`` on JAX).
    """
    loops: dict[str, int] = {}
    for name, fn in fns.items():
        sync(fn())  # warm-up / compile
        n, elapsed = 1, 0.0
        while True:
            t0 = time.perf_counter()
            for _ in range(n):
                out = fn()
            sync(out)
            elapsed = time.perf_counter() - t0
            if elapsed >= min_time or n >= 1 << 16:
                break
            n *= 2
        loops[name] = n
    samples: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            n = loops[name]
            t0 = time.perf_counter()
            for _ in range(n):
                out = fn()
            sync(out)
            samples[name].append((time.perf_counter() - t0) / n)
    return {name: statistics.median(s) for name, s in samples.items()}


def markdown_table(headers: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def fmt_seconds(s: float) -> str:
    if s < 1e-3:
        return f"{s * 1e6:.1f} us"
    return f"{s * 1e3:.2f} ms"
