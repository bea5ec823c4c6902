"""REBAR's variance on the toy problem f(b) = (b - t)^2 over a grid of (eta, temperature),
against plain REINFORCE (f(b) * score, no baseline) on the same noise.

N = 200000 single-sample estimates per grid point (torch float64, noise seed 1).

    python benchmarks/estimators/rebar_grid.py [--n N]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from common import table

from relaxarray import estimators as est

ETAS = [0.0, 0.5, 0.8, 0.9, 1.0, 1.1, 1.2, 1.5, 2.0]
TEMPS = [0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.0, 5.0]


def main() -> None:
    import torch

    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=200_000)
    n = ap.parse_args().n
    rows = []
    for theta in (0.0, -2.0, 2.0):
        for t in (0.45, 0.499):

            def f(b: torch.Tensor, t: float = t) -> torch.Tensor:
                return (b - t) ** 2

            gen = torch.Generator().manual_seed(1)
            noise = torch.rand((2, 1, n), generator=gen, dtype=torch.float64).clamp_min(1e-300)
            p = 1 / (1 + np.exp(-theta))
            b = (noise[0, 0] > 1 - p).double()  # z = theta + logit(u) > 0
            v_reinforce = (f(b) * (b - p)).var().item()
            best = (np.inf, 0.0, 0.0)
            for eta in ETAS:
                for lam in TEMPS:
                    x = torch.full((n,), theta, dtype=torch.float64, requires_grad=True)
                    (g,) = torch.autograd.grad(
                        est.rebar(f, x, eta=eta, temperature=lam, noise=noise).sum(), x
                    )
                    best = min(best, (g.var().item(), eta, lam))
            rows.append(
                [theta, t, v_reinforce, best[0], f"{best[1]}, {best[2]}", best[0] / v_reinforce]
            )
    print(f"N = {n}; grid eta in {ETAS}, temperature in {TEMPS}\n")
    print(table(["theta", "t", "Var REINFORCE", "min Var REBAR", "argmin (eta, T)", "ratio"], rows))


if __name__ == "__main__":
    main()
