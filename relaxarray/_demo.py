"""The main job: the lecture's tables and the library's point, computed by relaxarray."""

from __future__ import annotations

import sys
from typing import Any, TextIO

import relaxarray as rx
from relaxarray import _demo_estimators as _est
from relaxarray import _demo_plot
from relaxarray.backends import get_adapter, namespace_by_name
from relaxarray.backends._base import Adapter

LECTURE_X = [1.1, 4.0, -0.1, 2.3]
TEMPERATURES = [1.0, 0.8, 0.6, 0.4, 0.2]


def has_autodiff(xp: Any) -> bool:
    """Whether the backend's adapter differentiates (overrides ``value_and_grad``)."""
    return type(get_adapter(xp)).value_and_grad is not Adapter.value_and_grad


def _to_list(a: Any) -> list[float]:
    return [float(a[i]) for i in range(a.shape[0])]


def _row(values: list[float], scientific: bool) -> str:
    cells = [f"{v:.3e}" if scientific else f"{v:.3f}" for v in values]
    return "[ " + "  ".join(cells) + " ]"


def run(
    backend: str = "numpy",
    out: TextIO | None = None,
    *,
    compare: bool = True,
    samples: int = _est.SAMPLES,
    seed: int = 0,
    plot: str | None = None,
    progress: bool = True,
) -> int:
    """Print the lecture's tables and the estimator comparison computed on ``backend``.

    ``plot``: also write the figures to this PNG file (needs matplotlib).
    """
    out = out or sys.stdout
    if plot is not None:
        _demo_plot.check_matplotlib()
    xp = namespace_by_name(backend)
    _lecture(xp, backend, out)
    out.flush()  # a closed pipe (``demo | head``) is noticed here, before the long part
    if not compare:
        return 0
    autodiff = has_autodiff(xp)
    rows = _est.compare(xp, autodiff=autodiff, samples=samples, seed=seed, progress=progress)
    _est.print_table(rows, out)
    if not autodiff:
        names = ", ".join(_est.surrogate_only())
        print(
            f"\nSurrogate-only estimators ({names}) need automatic differentiation: "
            "run `python -m relaxarray demo --backend torch` (or jax) to include them.",
            file=out,
        )
    if plot is not None:
        _demo_plot.write(plot, rows, backend)
        print(f"\nwrote {plot}", file=out)
    return 0


def _lecture(xp: Any, backend: str, out: TextIO) -> None:

    def asarray(v: list[float]) -> Any:
        return xp.asarray(v, dtype=xp.float64)

    x = asarray(LECTURE_X)
    print(f"relaxarray {rx.__version__} on {backend}", file=out)
    print("\nDifferentiate almost everywhere: the lecture's tables", file=out)
    print(f"x = {LECTURE_X}\n", file=out)
    print("softmax with temperature, a relaxation of the one-hot arg max", file=out)
    for t in TEMPERATURES:
        row = _row(_to_list(rx.softmax(x, temperature=t)), scientific=t < 0.5)
        print(f"  softmax(x / {t}) = {row}", file=out)
    print(
        "\nsoft arg max = softmax(x / T) . [0, 1, 2, 3];  soft max = softmax(x / T) . x", file=out
    )
    for t in TEMPERATURES:
        idx = float(rx.soft_argmax(x, temperature=t))
        mx = float(rx.soft_max(x, temperature=t))
        print(f"  T = {t}:  soft arg max = {idx:.4f}   soft max = {mx:.3f}", file=out)
    st = float(rx.st_argmax(x, temperature=0.5))
    print(
        f"\nstraight-through arg max = {st} (the exact index; gradient of soft arg max)", file=out
    )
    print(f"one-hot arg max = {_to_list(rx.one_hot_argmax(x))}", file=out)
    d = asarray([-3.0, -0.5, 0.0, 0.5, 3.0])
    print("\nHuber relaxes |d|, softplus relaxes ReLU:", file=out)
    print(f"  d           = {_to_list(d)}", file=out)
    print(f"  huber(d, 0) = {_to_list(rx.huber(d, xp.zeros_like(d)))}", file=out)
    print(f"  softplus(d) = {[round(v, 4) for v in _to_list(rx.softplus(d))]}", file=out)
