"""Figures of ``python -m relaxarray demo --plot FILE.png`` (matplotlib, imported lazily)."""

from __future__ import annotations

import importlib
import importlib.util
import math

import relaxarray as rx
from relaxarray import _demo_estimators as _est
from relaxarray.backends import namespace_by_name


def check_matplotlib() -> None:
    """Raise a clear error now if matplotlib is missing (before the long part runs)."""
    if importlib.util.find_spec("matplotlib") is None:
        raise RuntimeError(
            "--plot needs matplotlib, which is not installed: pip install matplotlib"
        )


def write(path: str, rows: list[_est.Row], backend: str) -> None:
    """A 2x2 figure: the lecture's softmax against temperature, each estimator's mean and
    spread at both logits against the exact gradient, and the variances (log scale)."""
    check_matplotlib()
    mpl = importlib.import_module("matplotlib")
    mpl.use("Agg")
    plt = importlib.import_module("matplotlib.pyplot")
    xp = namespace_by_name("numpy")
    fig, axes = plt.subplots(2, 2, figsize=(13, 9))
    ax = axes[0][0]
    x = xp.asarray([1.1, 4.0, -0.1, 2.3], dtype=xp.float64)
    temps = [0.05 * 1.08**k for k in range(60)]
    probs = [rx.softmax(x, temperature=t) for t in temps]
    for i in range(4):
        ax.plot(temps, [float(p[i]) for p in probs], label=f"x[{i}] = {float(x[i])}")
    ax.set_xscale("log")
    ax.set_xlabel("temperature T")
    ax.set_ylabel("softmax(x / T)")
    ax.set_title("The lecture's softmax: one-hot arg max as T -> 0")
    ax.legend(fontsize=8)
    names = list(dict.fromkeys(r.name for r in rows))
    for k, phi in enumerate(_est.PHIS):
        ax = axes[0][1] if k == 0 else axes[1][0]
        sub = {r.name: r for r in rows if r.phi == phi}
        ys = list(range(len(names)))
        for y, name in zip(ys, names, strict=True):
            r = sub[name]
            color = "tab:blue" if r.unbiased else "tab:orange"
            ax.errorbar(r.mean, y, xerr=math.sqrt(r.variance), fmt="o", color=color, capsize=3)
        ax.axvline(_est.exact_gradient(phi), color="k", lw=1, ls="--", label="exact gradient")
        ax.set_yticks(ys, names, fontsize=8)
        ax.invert_yaxis()
        ax.set_xlabel("gradient estimate: mean +- 1 s.d. of one estimate")
        ax.set_title(f"phi = {phi} (blue: unbiased, orange: biased)")
        ax.legend(fontsize=8)
    ax = axes[1][1]
    width = 0.4
    for k, phi in enumerate(_est.PHIS):
        sub = {r.name: r for r in rows if r.phi == phi}
        yb = [y + (k - 0.5) * width for y in range(len(names))]
        ax.barh(yb, [sub[n].variance for n in names], height=width, label=f"phi = {phi}")
    ax.set_yticks(range(len(names)), names, fontsize=8)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlim(left=min(r.variance for r in rows) / 2)
    ax.xaxis.set_minor_formatter(importlib.import_module("matplotlib.ticker").NullFormatter())
    ax.set_xlabel("variance of one estimate (log scale)")
    ax.set_title("Estimator variance")
    ax.legend(fontsize=8)
    fig.suptitle(
        f"relaxarray demo on {backend}: f(b) = (b - {_est.TARGET})^2, b ~ Bernoulli(sigmoid(phi))"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
