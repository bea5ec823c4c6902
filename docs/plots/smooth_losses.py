"""Figure: softplus against ReLU, Huber against L1, and their derivatives.

Huber is drawn divided by delta (``huber(d, 0, delta=b) / b == smooth_l1(d, 0, beta=b)``),
the scaling under which it tends to |d| as delta -> 0.

Writes ``<out>/smooth_losses.png``. Values come from relaxarray on NumPy; derivatives are
central differences of those values (``numpy.gradient``), not formulas typed in here.
Run: ``python docs/plots/smooth_losses.py OUTDIR``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

import relaxarray as rx


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    d = np.linspace(-3.0, 3.0, 601)
    zero = np.zeros_like(d)
    fig, axes = plt.subplots(2, 2, figsize=(10, 6), sharex=True, constrained_layout=True)

    ax, dax = axes[0, 0], axes[1, 0]
    relu = np.maximum(d, 0.0)
    ax.plot(d, relu, "k", lw=2, label="ReLU  max(0, x)")
    dax.plot(d, np.gradient(relu, d), "k", lw=2, label="ReLU'")
    for beta in (1.0, 2.0, 5.0):
        y = rx.softplus(d, beta=beta)
        ax.plot(d, y, label=f"softplus, beta = {beta:g}")
        dax.plot(d, np.gradient(y, d), label=f"= sigmoid(beta x), beta = {beta:g}")
    ax.set_title("softplus relaxes ReLU (beta → ∞ recovers it)")
    dax.set_title("derivatives: a step becomes a sigmoid")
    dax.set_xlabel("x")

    ax, dax = axes[0, 1], axes[1, 1]
    l1 = np.abs(d)
    ax.plot(d, l1, "k", lw=2, label="L1  |d|")
    dax.plot(d, np.gradient(l1, d), "k", lw=2, label="sign(d)")
    for delta in (0.25, 1.0, 2.0):
        y = rx.huber(d, zero, delta=delta) / delta  # = rx.smooth_l1(d, zero, beta=delta)
        ax.plot(d, y, label=f"Huber / delta, delta = {delta:g}")
        dax.plot(d, np.gradient(y, d), label=f"clip(d / {delta:g}, -1, 1)")
    ax.set_title("Huber / delta relaxes |d| (delta = 1: the lecture's Huber)")
    dax.set_title("derivatives: sign(d) becomes a clipped line")
    dax.set_xlabel("d = x - y")
    for a in axes.flat:
        a.legend(frameon=False, fontsize=8)
        a.grid(alpha=0.3)
    fig.savefig(out / "smooth_losses.png", dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/_generated"))
