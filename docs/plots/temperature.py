"""Figure: the effect of the temperature on softmax, soft arg max and soft max.

Writes ``<out>/temperature.png``. Every value is computed by relaxarray on NumPy.
Run: ``python docs/plots/temperature.py OUTDIR``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

import relaxarray as rx

X = np.array([1.1, 4.0, -0.1, 2.3])


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(12, 3.8), constrained_layout=True)

    temps = [5.0, 1.0, 0.6, 0.2]
    width = 0.8 / len(temps)
    for j, t in enumerate(temps):
        p = rx.softmax(X, temperature=t)
        ax0.bar(np.arange(4) + (j - (len(temps) - 1) / 2) * width, p, width, label=f"T = {t}")
    ax0.set_xticks(range(4), [f"$x_{i}$ = {v}" for i, v in enumerate(X)])
    ax0.set_ylabel("softmax(x / T)")
    ax0.set_ylim(0, 1.05)
    ax0.set_title("softmax with temperature: T → 0 gives the one-hot arg max")
    ax0.legend(frameon=False)

    t_grid = np.geomspace(0.05, 20.0, 200)
    idx = [float(rx.soft_argmax(X, temperature=t)) for t in t_grid]
    mx = [float(rx.soft_max(X, temperature=t)) for t in t_grid]
    ax1.plot(t_grid, idx, label="soft arg max  softmax(x/T)·[0,1,2,3]")
    ax1.plot(t_grid, mx, label="soft max  softmax(x/T)·x")
    ax1.axhline(float(np.argmax(X)), color="C0", ls=":", lw=1, label="arg max = 1")
    ax1.axhline(float(np.max(X)), color="C1", ls=":", lw=1, label="max = 4.0")
    ax1.axhline(float(np.mean(X)), color="C1", ls="--", lw=1, label="mean(x), the T → ∞ limit")
    ax1.axhline(1.5, color="C0", ls="--", lw=1, label="mean index 1.5, the T → ∞ limit")
    ax1.set_xscale("log")
    ax1.set_xlabel("temperature T")
    ax1.set_title("scalar relaxations of arg max and max")
    ax1.legend(frameon=False, fontsize=8, loc="center left", bbox_to_anchor=(1.0, 0.5))
    fig.savefig(out / "temperature.png", dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/_generated"))
