"""Toy problem of REBAR/RELAX: f(b) = (b - t)^2, b ~ Bernoulli(sigmoid(phi)).

Gradient variance at fixed phi (N independent estimates in one vectorised numpy call,
explicit forms), and cost per estimate: function evaluations and median seconds of one
estimate on numpy (explicit), torch and jax (surrogate + autodiff; jax under jit), with
torch.distributions' native REINFORCE as the framework reference.

    python benchmarks/estimators/toy.py [--quick]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from common import median_time, progress, table

from relaxarray import estimators as est

# name -> (function stem, kwargs, evaluations per estimate)
ESTIMATORS: dict[str, tuple[str, dict[str, Any], int]] = {
    "REINFORCE (S=2)": ("reinforce", {"num_samples": 2}, 2),
    "REINFORCE + const 0.25 (S=2)": ("reinforce", {"num_samples": 2, "baseline": 0.25}, 2),
    "RLOO (S=2)": ("reinforce", {"num_samples": 2, "baseline": "rloo"}, 2),
    "ARM (1 pair)": ("arm", {}, 2),
    "DisARM (1 pair)": ("disarm", {}, 2),
}


def variances(n: int) -> list[list[Any]]:
    rows = []
    settings = [(t, phi) for t in (0.45, 0.499) for phi in (-2.0, 1.0)]
    for t, phi in progress(settings, len(settings), "toy variance"):
        exact = 1 / (1 + np.exp(-phi)) / (1 + np.exp(phi)) * (1 - 2 * t)
        lg = np.full(n, phi)
        for name, (stem, kw, _) in ESTIMATORS.items():
            g = getattr(est, stem + "_grad")(lambda b, t=t: (b - t) ** 2, lg, rng=1, **kw).grad
            rows.append([t, phi, name, exact, float(g.mean()), float(g.var())])
    return rows


def costs(repeats: int) -> list[list[Any]]:
    import jax
    import torch

    jax.config.update("jax_enable_x64", True)
    t = 0.45
    fns: dict[str, Any] = {}
    meta: dict[str, tuple[str, str, int]] = {}
    lg_np = np.array([1.0])
    lg_t = torch.tensor([1.0], dtype=torch.float64, requires_grad=True)
    lg_j = jax.numpy.asarray([1.0])
    gen = torch.Generator().manual_seed(0)
    key = jax.random.key(0)
    f = lambda b: (b - t) ** 2  # noqa: E731
    for name, (stem, kw, evals) in ESTIMATORS.items():
        fn_np = getattr(est, stem + "_grad")
        sur = getattr(est, stem)
        fns[f"{name}|numpy"] = lambda fn_np=fn_np, kw=kw: fn_np(f, lg_np, rng=0, **kw).grad

        def torch_fn(sur: Any = sur, kw: Any = kw) -> Any:
            return torch.autograd.grad(sur(f, lg_t, rng=gen, **kw).sum(), lg_t)[0]

        fns[f"{name}|torch"] = torch_fn
        jf = jax.jit(jax.grad(lambda lg, k, sur=sur, kw=kw: sur(f, lg, rng=k, **kw).sum()))
        fns[f"{name}|jax (jit)"] = lambda jf=jf: jf(lg_j, key).block_until_ready()
        for be in ("numpy", "torch", "jax (jit)"):
            meta[f"{name}|{be}"] = (name, be, evals)

    def native() -> Any:  # torch.distributions REINFORCE with two samples
        d = torch.distributions.Bernoulli(logits=lg_t)
        b = d.sample((2,))
        fb = f(b)
        return torch.autograd.grad((fb.detach() * d.log_prob(b)).mean(0).sum(), lg_t)[0]

    fns["native|torch"] = native
    meta["native|torch"] = ("torch.distributions REINFORCE (S=2)", "torch", 2)
    med = median_time(fns, repeats)
    return [[*meta[k][:2], meta[k][2], med[k] * 1e6] for k in fns]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    n = 100_000 if args.quick else 1_000_000
    print(f"## Toy problem: gradient variance at fixed phi ({n} estimates, numpy explicit)\n")
    print(table(["t", "phi", "estimator", "exact grad", "mean", "variance"], variances(n)))
    print("\n## Toy problem: cost per estimate (t=0.45, phi=1)\n")
    print(
        table(
            ["estimator", "backend", "f evaluations", "median us / estimate"],
            costs(30 if args.quick else 200),
        )
    )


if __name__ == "__main__":
    main()
