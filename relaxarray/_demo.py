"""The main job: the lecture's tables and the library's point, computed by relaxarray."""

from __future__ import annotations

import sys
from typing import Any, TextIO

import relaxarray as rx
from relaxarray.backends import namespace_by_name

LECTURE_X = [1.1, 4.0, -0.1, 2.3]
TEMPERATURES = [1.0, 0.8, 0.6, 0.4, 0.2]


def _to_list(a: Any) -> list[float]:
    return [float(a[i]) for i in range(a.shape[0])]


def _row(values: list[float], scientific: bool) -> str:
    cells = [f"{v:.3e}" if scientific else f"{v:.3f}" for v in values]
    return "[ " + "  ".join(cells) + " ]"


def run(backend: str = "numpy", out: TextIO | None = None) -> int:
    """Print the lecture's tables computed by relaxarray on ``backend``."""
    out = out or sys.stdout
    xp = namespace_by_name(backend)

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
    print("\nsoft arg max = softmax(x / T) . [0, 1, 2, 3];  soft max = softmax(x / T) . x",
          file=out)
    for t in TEMPERATURES:
        idx = float(rx.soft_argmax(x, temperature=t))
        mx = float(rx.soft_max(x, temperature=t))
        print(f"  T = {t}:  soft arg max = {idx:.4f}   soft max = {mx:.3f}", file=out)
    st = float(rx.st_argmax(x, temperature=0.5))
    print(f"\nstraight-through arg max = {st} (the exact index; gradient of soft arg max)",
          file=out)
    print(f"one-hot arg max = {_to_list(rx.one_hot_argmax(x))}", file=out)
    d = asarray([-3.0, -0.5, 0.0, 0.5, 3.0])
    print("\nHuber relaxes |d|, softplus relaxes ReLU:", file=out)
    print(f"  d           = {_to_list(d)}", file=out)
    print(f"  huber(d, 0) = {_to_list(rx.huber(d, xp.zeros_like(d)))}", file=out)
    print(f"  softplus(d) = {[round(v, 4) for v in _to_list(rx.softplus(d))]}", file=out)
    return 0
