"""Helpers for the estimator benchmarks: progress bar, timing, markdown tables."""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any


def progress(it: Iterable[Any], total: int, desc: str) -> Iterator[Any]:
    """tqdm when installed, else a one-line text bar on stderr."""
    try:
        from tqdm import tqdm

        yield from tqdm(it, total=total, desc=desc, leave=False)
        return
    except ImportError:
        pass
    for i, x in enumerate(it):
        done = int(30 * (i + 1) / max(total, 1))
        sys.stderr.write(f"\r{desc:<28} [{'#' * done}{'.' * (30 - done)}] {i + 1}/{total}")
        sys.stderr.flush()
        yield x
    sys.stderr.write("\r" + " " * 80 + "\r")


def median_time(fns: dict[str, Callable[[], Any]], repeats: int) -> dict[str, float]:
    """Median seconds per call, interleaving the candidates in each repeat."""
    for fn in fns.values():  # warm-up (compilation)
        fn()
    times: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(repeats):
        for k, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            times[k].append(time.perf_counter() - t0)
    return {k: statistics.median(v) for k, v in times.items()}


def table(header: list[str], rows: list[list[Any]]) -> str:
    def fmt(x: Any) -> str:
        if isinstance(x, float):
            return f"{x:.3g}"
        return str(x)

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(fmt(x) for x in r) + " |" for r in rows]
    return "\n".join(lines)


def numpy_grads_from_jax(grad_fn: Callable[..., Any]) -> Callable[..., dict[str, Any]]:
    """NumPy-in, NumPy-out wrapper of a jitted JAX gradient ``grad_fn(params, x, key)``.

    The wrapper carries its own key stream (split once per call), so the training loops
    of the VAE benchmarks can stay NumPy code shared by every backend.
    """
    import jax
    import jax.numpy as jnp
    import numpy as np

    state = {"key": jax.random.key(0)}

    def grads(p: dict[str, Any], x: Any) -> dict[str, Any]:
        state["key"], k = jax.random.split(state["key"])
        out = grad_fn({kk: jnp.asarray(v) for kk, v in p.items()}, jnp.asarray(x), k)
        return {kk: np.asarray(v) for kk, v in out.items()}

    return grads


def adam_train(
    grads: Callable[..., dict[str, Any]],
    init: dict[str, Any],
    data: Any,
    steps: int,
    batch: int,
    desc: str,
) -> tuple[dict[str, Any], float]:
    """Adam (lr 3e-3) on minibatches of ``data``; returns the parameters and the median
    milliseconds per gradient call (the first 5 calls, compilation, left out)."""
    import numpy as np

    p = {k: v.copy() for k, v in init.items()}
    m = {k: np.zeros_like(v) for k, v in p.items()}
    v2 = {k: np.zeros_like(v) for k, v in p.items()}
    order = np.random.default_rng(1)
    times = []
    for i in progress(range(steps), steps, desc):
        idx = order.integers(0, data.shape[0], batch)
        t0 = time.perf_counter()
        g = grads(p, data[idx])
        times.append(time.perf_counter() - t0)
        for k in p:
            m[k] = 0.9 * m[k] + 0.1 * g[k]
            v2[k] = 0.999 * v2[k] + 0.001 * g[k] ** 2
            mh, vh = m[k] / (1 - 0.9 ** (i + 1)), v2[k] / (1 - 0.999 ** (i + 1))
            p[k] -= 3e-3 * mh / (np.sqrt(vh) + 1e-8)
    return p, 1e3 * float(np.median(times[5:] if len(times) > 10 else times))
