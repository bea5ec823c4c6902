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


def default_clock() -> Callable[[], float]:
    """The clock of :func:`ratio_rounds`: CPU seconds of this process
    (:func:`time.process_time`) unless ``RELAXARRAY_BENCH_CLOCK=wall``.

    On a machine shared with other jobs, wall time counts the time this process waits for
    a core; CPU time does not, so CPU-only ratios are far more stable. Work on an
    accelerator is not CPU time: the GPU driver uses the wall clock (with a device
    synchronisation in ``sync``).
    """
    import os

    return (
        time.perf_counter
        if os.environ.get("RELAXARRAY_BENCH_CLOCK") == "wall"
        else (time.process_time)
    )


def ratio_rounds(
    ours: Callable[[], Any],
    native: Callable[[], Any],
    *,
    repeats: int = 21,
    min_time: float = 0.01,
    sync: Callable[[Any], Any] = lambda out: out,
    clock: Callable[[], float] | None = None,
) -> tuple[float, float, float]:
    """``(median ours, median native, median ratio)``: seconds per call and the median of
    the per-round ratios ours / native.

    The two are timed in alternating order (ABBA) in every round, so a load spike from
    another process hits both about equally; the median of per-round ratios is more
    stable on a shared machine than the ratio of the medians. ``clock`` defaults to
    :func:`default_clock`.
    """
    clock = clock or default_clock()
    loops = []
    for fn in (ours, native):
        sync(fn())  # warm-up / compile
        n = 1
        while True:
            t0 = clock()
            for _ in range(n):
                out = fn()
            sync(out)
            if clock() - t0 >= min_time or n >= 1 << 16:
                break
            n *= 2
        loops.append(n)
    n = max(loops)
    times: tuple[list[float], list[float]] = ([], [])
    for r in range(repeats):
        order = (0, 1) if r % 2 == 0 else (1, 0)
        for i in order:
            fn = (ours, native)[i]
            t0 = clock()
            for _ in range(n):
                out = fn()
            sync(out)
            times[i].append((clock() - t0) / n)
    ratios = [a / b for a, b in zip(times[0], times[1], strict=True)]
    return statistics.median(times[0]), statistics.median(times[1]), statistics.median(ratios)


def ratio_table(
    pairs: dict[str, tuple[Callable[[], Any], Callable[[], Any]]],
    label: str,
    *,
    repeats: int = 21,
    min_time: float = 0.01,
    sync: Callable[[Any], Any] = lambda out: out,
    clock: Callable[[], float] | None = None,
) -> list[dict[str, Any]]:
    """Time every pair with :func:`ratio_rounds`; one result row per pair."""
    rows = []
    for name, (ours, native) in pairs.items():
        a, b, r = ratio_rounds(
            ours, native, repeats=repeats, min_time=min_time, sync=sync, clock=clock
        )
        rows.append({"case": name, "shape": label, "ours_s": a, "native_s": b, "ratio": r})
    return rows


def print_rows(rows: list[dict[str, Any]], title: str) -> None:
    """The rows of :func:`ratio_table` as a markdown table under ``title``."""
    print(f"\n### {title}\n")
    print(
        markdown_table(
            ["case", "shape", "relaxarray", "native", "ratio"],
            [
                [
                    r["case"],
                    r["shape"],
                    fmt_seconds(r["ours_s"]),
                    fmt_seconds(r["native_s"]),
                    f"{r['ratio']:.2f}x",
                ]
                for r in rows
            ],
        ),
        flush=True,
    )
