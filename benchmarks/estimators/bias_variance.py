"""Bias and variance of the biased (straight-through family) estimators on small problems
whose exact gradient is known by enumeration.

Problems
--------
cat4
    One 4-category variable, logits theta = (0.4, -0.3, 1.0, 0.2) and the non-linear
    f(y) = sin(3 <y, w>) + <y, w>^2, w = (1, -0.7, 0.4, 2). Exact gradient
    J(pi) F with pi = softmax(theta), J(p) = diag(p) - p p^T, F_k = f(e_k).
cat4q
    The same variable with the quadratic f(y) = (<y, w> - 0.3)^2.
bern3
    Three Bernoulli variables, logits theta = (0.3, -1.0, 0.8), f(b) = (<b, w> - 0.3)^2,
    w = (1, -0.7, 0.4): exact gradient by enumerating the 8 outcomes. The categorical
    estimators run on 2-category logits (0, theta_i) (the same Bernoulli law); the gradient
    with respect to theta_i is the one reaching the second logit.

For each estimator: N independent single-sample estimates ghat (torch, float64, noise
from ``torch.Generator().manual_seed(seed)``), bias = ||mean(ghat) - g|| / ||g|| and
variance = trace of the covariance of ghat. REINFORCE (no baseline, unbiased) is a
reference row: its bias column shows the Monte Carlo noise floor of the bias estimate
(about sqrt(variance / N) / ||g||).

    python benchmarks/estimators/bias_variance.py [--quick] [--n N] [--seed S]
"""

from __future__ import annotations

import argparse
import itertools
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from common import table

from relaxarray import estimators as est

THETA_C = np.array([0.4, -0.3, 1.0, 0.2])
W_C = np.array([1.0, -0.7, 0.4, 2.0])
THETA_B = np.array([0.3, -1.0, 0.8])
W_B = np.array([1.0, -0.7, 0.4])
TEMP = 1.0  # temperature of the relaxations (ReinMax needs >= 1)


def _sm(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max())
    return e / e.sum()


def _fk(kind: str, s: np.ndarray) -> np.ndarray:
    return np.sin(3 * s) + s**2 if kind == "sin" else (s - 0.3) ** 2


def exact_cat(kind: str = "sin") -> np.ndarray:
    p = _sm(THETA_C)
    return (np.diag(p) - np.outer(p, p)) @ _fk(kind, W_C)


def exact_bern() -> np.ndarray:
    p = 1 / (1 + np.exp(-THETA_B))
    g = np.zeros(3)
    for bits in itertools.product([0.0, 1.0], repeat=3):
        b = np.array(bits)
        g += np.prod(np.where(b > 0, p, 1 - p)) * (b @ W_B - 0.3) ** 2 * (b - p)
    return g


# name -> sampler(logits (N, K), generator) returning one-hot/relaxed samples (N, K)
def categorical_estimators(torch: object) -> dict[str, Callable[..., object]]:
    def u(x: object, gen: object, shape: tuple[int, ...] | None = None) -> object:
        import torch as t

        sh = shape if shape is not None else tuple(x.shape)  # type: ignore[attr-defined]
        return t.rand(sh, generator=gen, dtype=t.float64).clamp_min(1e-300)

    return {
        "ST (softmax)": lambda x, g: est.st_categorical(x, temperature=TEMP, noise=u(x, g)),
        "ST (identity)": lambda x, g: est.st_categorical(x, pseudo="identity", noise=u(x, g)),
        "ST-GS": lambda x, g: est.st_gumbel_softmax(x, temperature=TEMP, noise=u(x, g)),
        "ST-GS (T=0.5)": lambda x, g: est.st_gumbel_softmax(x, temperature=0.5, noise=u(x, g)),
        "GST-1.0": lambda x, g: est.gapped_st(x, temperature=TEMP, noise=u(x, g)),
        "GST-p": lambda x, g: est.gapped_st(x, temperature=TEMP, gap="p", noise=u(x, g)),
        "Gumbel-Rao (K=10)": lambda x, g: est.gumbel_rao(
            x, temperature=TEMP, num_rao_samples=10, noise=(u(x, g), u(x, g, (10, *tuple(x.shape))))
        ),
        "ReinMax (T=1)": lambda x, g: est.reinmax(x, temperature=1.0, noise=u(x, g)),
        "ReinMax (T=1.5)": lambda x, g: est.reinmax(x, temperature=1.5, noise=u(x, g)),
        "DST (Tf=1, Tb=0.5)": lambda x, g: est.decoupled_st(
            x, forward_temperature=1.0, backward_temperature=0.5, noise=u(x, g)
        ),
        "DST (Tf=1, Tb=2)": lambda x, g: est.decoupled_st(
            x, forward_temperature=1.0, backward_temperature=2.0, noise=u(x, g)
        ),
    }


def measure(ghat: np.ndarray, exact: np.ndarray) -> tuple[float, float, float]:
    mean = ghat.mean(axis=0)
    bias = float(np.linalg.norm(mean - exact) / np.linalg.norm(exact))
    var = float(ghat.var(axis=0, ddof=1).sum())
    noise_floor = float(np.sqrt(var / ghat.shape[0]) / np.linalg.norm(exact))
    return bias, var, noise_floor


def run_cat(n: int, seed: int, kind: str = "sin") -> list[list[object]]:
    import torch

    w = torch.tensor(W_C, dtype=torch.float64)

    def f(y: torch.Tensor) -> torch.Tensor:
        s = (y * w).sum(-1)
        return torch.sin(3 * s) + s**2 if kind == "sin" else (s - 0.3) ** 2

    exact = exact_cat(kind)
    rows: list[list[object]] = []
    theta = torch.tensor(THETA_C, dtype=torch.float64)
    for name, fn in categorical_estimators(torch).items():
        gen = torch.Generator().manual_seed(seed)
        x = theta.expand(n, 4).clone().requires_grad_(True)
        (g,) = torch.autograd.grad(f(fn(x, gen)).sum(), x)
        rows.append([name, *measure(g.numpy(), exact)])
    gen = torch.Generator().manual_seed(seed)
    x = theta.expand(n, 4).clone().requires_grad_(True)
    noise = torch.rand((1, n, 4), generator=gen, dtype=torch.float64).clamp_min(1e-300)
    fk = torch.tensor(_fk(kind, W_C), dtype=torch.float64)
    sur = est.reinforce(lambda b: (b * fk).sum(-1), x, distribution="categorical", noise=noise)
    (g,) = torch.autograd.grad(sur.sum(), x)
    rows.append(["REINFORCE (unbiased ref.)", *measure(g.numpy(), exact)])
    return rows


def run_bern(n: int, seed: int) -> list[list[object]]:
    import torch

    w = torch.tensor(W_B, dtype=torch.float64)

    def f(b: torch.Tensor) -> torch.Tensor:
        return ((b * w).sum(-1) - 0.3) ** 2

    exact = exact_bern()
    theta = torch.tensor(THETA_B, dtype=torch.float64)
    rows: list[list[object]] = []

    def u(shape: tuple[int, ...], gen: torch.Generator) -> torch.Tensor:
        return torch.rand(shape, generator=gen, dtype=torch.float64).clamp_min(1e-300)

    for name, pseudo, t in [
        ("ST Bernoulli (sigmoid)", "sigmoid", TEMP),
        ("ST Bernoulli (identity)", "identity", TEMP),
    ]:
        gen = torch.Generator().manual_seed(seed)
        x = theta.expand(n, 3).clone().requires_grad_(True)
        b = est.st_bernoulli(x, pseudo=pseudo, temperature=t, noise=u((n, 3), gen))
        (g,) = torch.autograd.grad(f(b).sum(), x)
        rows.append([name, *measure(g.numpy(), exact)])
    for name, fn in categorical_estimators(torch).items():
        if name.startswith("ST (identity)"):
            continue  # identity pseudo-gradient of the 2-logit encoding is not ST Bernoulli's
        gen = torch.Generator().manual_seed(seed)
        x = theta.expand(n, 3).clone().requires_grad_(True)
        logits2 = torch.stack([torch.zeros_like(x), x], dim=-1)  # (n, 3, 2)
        y = fn(logits2, gen)
        (g,) = torch.autograd.grad(f(y[..., 1]).sum(), x)
        rows.append([name + " (2-cat.)", *measure(g.numpy(), exact)])
    gen = torch.Generator().manual_seed(seed)
    x = theta.expand(n, 3).clone().requires_grad_(True)
    sur = est.reinforce(f, x, noise=u((1, n, 3), gen))
    (g,) = torch.autograd.grad(sur.sum(), x)
    rows.append(["REINFORCE (unbiased ref.)", *measure(g.numpy(), exact)])
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="N = 20000 instead of 400000")
    ap.add_argument("--n", type=int, default=None)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    n = a.n if a.n is not None else (20_000 if a.quick else 400_000)
    hdr = ["estimator", "rel. bias", "variance (trace cov)", "bias noise floor"]
    print(
        f"N = {n} single-sample estimates per row, seed {a.seed}, torch float64, "
        f"temperature {TEMP} unless stated\n"
    )
    print(
        "cat4: one 4-category variable, f(y) = sin(3<y,w>) + <y,w>^2, "
        f"||g|| = {np.linalg.norm(exact_cat()):.4g}\n"
    )
    print(table(hdr, run_cat(n, a.seed)))
    print(
        "\ncat4q: the same variable, quadratic f(y) = (<y,w> - 0.3)^2, "
        f"||g|| = {np.linalg.norm(exact_cat('quad')):.4g}\n"
    )
    print(table(hdr, run_cat(n, a.seed, "quad")))
    print(
        "\nbern3: three Bernoulli variables, f(b) = (<b,w> - 0.3)^2, "
        f"||g|| = {np.linalg.norm(exact_bern()):.4g}\n"
    )
    print(table(hdr, run_bern(n, a.seed)))


if __name__ == "__main__":
    main()
