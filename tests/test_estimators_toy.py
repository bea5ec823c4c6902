"""The toy problem of the REBAR and RELAX papers: f(b) = (b - t)^2, b ~ Bernoulli(sigmoid(phi)).

Exact gradient: sigmoid(phi) sigmoid(-phi) (1 - 2t). Every estimator uses two function
evaluations per estimate (REINFORCE and RLOO: two samples; ARM and DisARM: one antithetic
pair) and N = 10^6 independent estimates (numpy, explicit form; one vectorised call).

Tolerances: means within 5 standard errors; variance orderings with a margin of 3
standard errors of the variance estimates (DisARM vs ARM: paired, same noise, on the
difference of squares, since DisARM = E[ARM | b, b~]).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from relaxarray import estimators as est
from relaxarray.testing import requires_backend

N = 10**6


def _estimates(t: float, phi: float, seed: int = 0) -> dict[str, np.ndarray]:
    lg = np.full(N, phi)

    def f(b: Any) -> Any:
        return (b - t) ** 2

    u1 = np.random.default_rng(seed).random((1, N))
    u2 = np.random.default_rng(seed + 1).random((2, N))
    return {
        "reinforce": est.reinforce_grad(f, lg, noise=u2).grad,
        "rloo": est.reinforce_grad(f, lg, noise=u2, baseline="rloo").grad,
        "arm": est.arm_grad(f, lg, noise=u1).grad,
        "disarm": est.disarm_grad(f, lg, noise=u1).grad,
    }


def _var_and_se(g: np.ndarray) -> tuple[float, float]:
    sq = (g - g.mean()) ** 2
    return float(sq.mean()), float(sq.std() / np.sqrt(g.size))


@pytest.mark.parametrize("t", [0.45, 0.499])
@pytest.mark.parametrize("phi", [-2.0, 1.0])
def test_toy_mean_and_variance_order(t: float, phi: float) -> None:
    g = _estimates(t, phi)
    exact = 1 / (1 + np.exp(-phi)) / (1 + np.exp(phi)) * (1 - 2 * t)
    for name, est_g in g.items():
        se = est_g.std() / np.sqrt(N)
        assert abs(est_g.mean() - exact) < 5 * se, (name, est_g.mean(), exact, se)
    v = {k: _var_and_se(x) for k, x in g.items()}
    d = g["arm"] ** 2 - g["disarm"] ** 2  # paired: E[d] = Var(ARM) - Var(DisARM) >= 0
    assert d.mean() > 3 * d.std() / np.sqrt(N)
    assert v["arm"][0] + 3 * v["arm"][1] < v["rloo"][0] - 3 * v["rloo"][1]
    # "far below": at least 5 times smaller than plain REINFORCE at the same cost
    assert v["rloo"][0] < 0.2 * v["reinforce"][0]


def test_disarm_zero_variance_at_phi_zero() -> None:
    g = _estimates(0.45, 0.0)["disarm"]
    np.testing.assert_allclose(g, 0.25 * 0.1, rtol=1e-12)


@requires_backend("torch")
def test_toy_surrogate_torch() -> None:
    """Same check through torch.autograd on the surrogate forms (smaller N)."""
    torch = pytest.importorskip("torch")
    n = 200_000
    for phi in (-2.0, 1.0):
        exact = 1 / (1 + np.exp(-phi)) / (1 + np.exp(phi)) * 0.1
        for name, kw in [
            ("reinforce", {"baseline": "rloo", "num_samples": 2}),
            ("arm", {}),
            ("disarm", {}),
        ]:
            lg = torch.full((n,), phi, dtype=torch.float64, requires_grad=True)
            gen = torch.Generator().manual_seed(5)
            out = getattr(est, name)(lambda b: (b - 0.45) ** 2, lg, rng=gen, **kw)
            (g,) = torch.autograd.grad(out.sum(), lg)
            se = float(g.std()) / np.sqrt(n)
            assert abs(float(g.mean()) - exact) < 5 * se, (name, phi)
