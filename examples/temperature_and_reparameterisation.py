"""Temperature annealing and the reparameterisation trick, on NumPy.

A teaching script in two parts.

1. **Temperature annealing.** ``softmax(x / T)`` of the lecture's vector
   ``x = [1.1, 4.0, -0.1, 2.3]`` for a decreasing schedule of temperatures: the output
   moves from nearly uniform to the one-hot arg max, its entropy falls to 0 and the soft
   arg max moves to the index of the maximum. Computed by relaxarray on NumPy.

2. **The reparameterisation trick.** The gradient of ``E[f(y)]``, ``y ~ N(mu, sigma^2)``,
   with ``f(y) = 2 + sin(y)``, for which everything is known in closed form:
   ``E[f(y)] = 2 + sin(mu) exp(-sigma^2 / 2)``. The constant 2 does not change the
   gradient, but the score function estimator's variance grows with it, while the
   pathwise estimator does not see it; a baseline removes it again. Writing
   ``y = mu + sigma z`` with ``z ~ N(0, 1)`` moves the randomness out of the parameters,
   so the gradient of the Monte Carlo average can be taken with the noise held fixed. We
   take it by central finite differences with *common random numbers* (the same ``z`` on
   both sides), which is exactly the pathwise (reparameterisation) estimator up to
   O(h^2). We compare it with

   - finite differences with *independent* noise on the two sides (what happens without
     reparameterisation: the noise does not cancel);
   - the score function (REINFORCE) estimator ``f(y) d/dtheta log N(y; mu, sigma)``;
   - the score function with a leave-one-out baseline (still unbiased).

   Each estimator is run ``repeats`` times with ``samples`` draws each; the table reports
   the mean and the standard deviation of the estimates next to the exact gradient.

Run::

    python examples/temperature_and_reparameterisation.py [--quick] [--plot DIR] [--seed N]

``--plot DIR`` writes ``annealing.png`` and ``reparameterisation.png`` (matplotlib, Agg).
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np

import relaxarray as rx

X = np.array([1.1, 4.0, -0.1, 2.3])
MU, SIGMA = 1.0, 0.8
OFFSET = 2.0  # f(y) = OFFSET + sin(y)
STEP = 1e-2  # finite-difference step


# -- part 1: temperature annealing ----------------------------------------------------------
def annealing(temperatures: np.ndarray) -> list[tuple[float, np.ndarray, float, float]]:
    """(T, softmax(x/T), entropy, soft arg max) for each temperature."""
    rows = []
    for t in temperatures:
        p = rx.softmax(X, temperature=float(t))
        entropy = float(-np.sum(np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)))
        rows.append((float(t), p, entropy, float(rx.soft_argmax(X, temperature=float(t)))))
    return rows


# -- part 2: the reparameterisation trick ----------------------------------------------------
def objective(mu: float, sigma: float, z: np.ndarray) -> np.ndarray:
    """Monte Carlo average of f(mu + sigma z) = OFFSET + sin(mu + sigma z), last axis."""
    return np.mean(OFFSET + np.sin(mu + sigma * z), axis=-1)


def exact_gradient(mu: float, sigma: float) -> tuple[float, float]:
    """d/dmu and d/dsigma of E[f(y)] = OFFSET + sin(mu) exp(-sigma^2 / 2)."""
    damp = math.exp(-0.5 * sigma**2)
    return math.cos(mu) * damp, -sigma * math.sin(mu) * damp


def estimators(
    rng: np.random.Generator, samples: int, repeats: int
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """name -> (estimates of d/dmu, estimates of d/dsigma), each of shape (repeats,)."""
    h = STEP
    z = rng.standard_normal((repeats, samples))
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    # Reparameterised: the same z on both sides of the difference.
    g_mu = (objective(MU + h, SIGMA, z) - objective(MU - h, SIGMA, z)) / (2 * h)
    g_sigma = (objective(MU, SIGMA + h, z) - objective(MU, SIGMA - h, z)) / (2 * h)
    out["finite differences, common random numbers (pathwise)"] = (g_mu, g_sigma)

    # Not reparameterised: fresh noise for each evaluation.
    z1, z2, z3, z4 = (rng.standard_normal((repeats, samples)) for _ in range(4))
    g_mu = (objective(MU + h, SIGMA, z1) - objective(MU - h, SIGMA, z2)) / (2 * h)
    g_sigma = (objective(MU, SIGMA + h, z3) - objective(MU, SIGMA - h, z4)) / (2 * h)
    out["finite differences, independent noise"] = (g_mu, g_sigma)

    # Score function: f(y) * d/dtheta log N(y; mu, sigma), with y = mu + sigma z.
    f = OFFSET + np.sin(MU + SIGMA * z)
    score_mu = z / SIGMA
    score_sigma = (z**2 - 1.0) / SIGMA
    out["score function (REINFORCE)"] = (
        np.mean(f * score_mu, axis=-1),
        np.mean(f * score_sigma, axis=-1),
    )
    # Leave-one-out baseline: b_i = mean of the other samples' f, independent of y_i.
    baseline = (np.sum(f, axis=-1, keepdims=True) - f) / (samples - 1)
    out["score function, leave-one-out baseline"] = (
        np.mean((f - baseline) * score_mu, axis=-1),
        np.mean((f - baseline) * score_sigma, axis=-1),
    )
    return out


# -- output ----------------------------------------------------------------------------------
def print_annealing(rows: list[tuple[float, np.ndarray, float, float]]) -> None:
    print("## 1. Temperature annealing: softmax(x / T), x = [1.1, 4.0, -0.1, 2.3]\n")
    print("| T | softmax(x / T) | max prob | entropy | soft arg max |")
    print("| --- | --- | --- | --- | --- |")
    for t, p, entropy, idx in rows:
        probs = ", ".join(f"{v:.4f}" for v in p)
        print(f"| {t:.4g} | [{probs}] | {float(np.max(p)):.6f} | {entropy:.6f} | {idx:.4f} |")
    print()


def print_gradients(
    results: dict[str, tuple[np.ndarray, np.ndarray]], samples: int, repeats: int
) -> None:
    g_mu, g_sigma = exact_gradient(MU, SIGMA)
    print(
        f"## 2. Gradient of E[{OFFSET:g} + sin(y)], y ~ N(mu, sigma^2), mu = {MU}, "
        f"sigma = {SIGMA}\n"
    )
    print(f"- exact: d/dmu = {g_mu:.6f}   d/dsigma = {g_sigma:.6f}")
    print(f"- {repeats} repeats of {samples} samples each; finite-difference step {STEP}\n")
    print("| estimator | parameter | mean | std | exact |")
    print("| --- | --- | --- | --- | --- |")
    for name, (e_mu, e_sigma) in results.items():
        for param, est, exact in (("mu", e_mu, g_mu), ("sigma", e_sigma, g_sigma)):
            print(
                f"| {name} | {param} | {np.mean(est):.6f} | {np.std(est, ddof=1):.6f} "
                f"| {exact:.6f} |"
            )
    print()


def plot(
    rows: list[tuple[float, np.ndarray, float, float]],
    results: dict[str, tuple[np.ndarray, np.ndarray]],
    outdir: Path,
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    outdir.mkdir(parents=True, exist_ok=True)
    temps = np.array([r[0] for r in rows])
    probs = np.stack([r[1] for r in rows])
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(10, 3.8), constrained_layout=True)
    for i in range(probs.shape[1]):
        ax0.plot(temps, probs[:, i], marker=".", label=f"x_{i} = {X[i]}")
    ax0.set_xscale("log")
    ax0.invert_xaxis()
    ax0.set_xlabel("temperature T (annealed from left to right)")
    ax0.set_ylabel("softmax(x / T)")
    ax0.legend(frameon=False)
    ax0.set_title("annealing: probabilities")
    ax1.plot(temps, [r[2] for r in rows], marker=".", label="entropy (nats)")
    ax1.plot(temps, [r[3] for r in rows], marker=".", label="soft arg max")
    ax1.axhline(1.0, color="grey", ls=":", lw=1)
    ax1.set_xscale("log")
    ax1.invert_xaxis()
    ax1.set_xlabel("temperature T")
    ax1.legend(frameon=False)
    ax1.set_title("annealing: entropy → 0, soft arg max → 1")
    fig.savefig(outdir / "annealing.png", dpi=110)
    plt.close(fig)

    g_mu, _ = exact_gradient(MU, SIGMA)
    fig, axes = plt.subplots(2, 2, figsize=(10, 6), constrained_layout=True)
    for ax, (name, (e_mu, _)) in zip(axes.flat, results.items(), strict=True):
        ax.hist(e_mu, bins=40, color="C0", alpha=0.8)
        ax.axvline(g_mu, color="k", lw=2, label=f"exact {g_mu:.3f}")
        ax.set_title(f"{name}\nstd {np.std(e_mu, ddof=1):.3g}", fontsize=9)
        ax.set_xlabel("estimate of d/dmu E[f(y)]")
        ax.legend(frameon=False, fontsize=8)
    fig.savefig(outdir / "reparameterisation.png", dpi=110)
    plt.close(fig)
    print(f"wrote {outdir / 'annealing.png'} and {outdir / 'reparameterisation.png'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer samples (a few seconds)")
    parser.add_argument("--plot", type=Path, metavar="DIR", help="write PNG figures here")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    samples, repeats = (500, 200) if args.quick else (2000, 1000)

    schedule = np.geomspace(5.0, 0.05, 9 if args.quick else 21)
    rows = annealing(np.unique(np.append(schedule, 1.0))[::-1])  # decreasing, T = 1 included
    print_annealing(rows)
    results = estimators(np.random.default_rng(args.seed), samples, repeats)
    print_gradients(results, samples, repeats)
    if args.plot is not None:
        plot(rows, results, args.plot)
    return 0


if __name__ == "__main__":
    sys.exit(main())
