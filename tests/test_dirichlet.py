"""Dirichlet with gamma noise (implicit reparameterisation on torch and jax)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special, stats

import relaxarray as rx
from relaxarray.distributions import Dirichlet, kl_divergence

ALPHA = np.array([[0.7, 2.0, 5.0], [3.0, 0.4, 1.0]])


def test_log_prob_moments_entropy(be):
    d = Dirichlet(be.asarray(ALPHA))
    x = np.array([[0.2, 0.3, 0.5], [0.6, 0.1, 0.3]])
    lp = be.to_numpy(
        be.run(lambda a, v: Dirichlet(a).log_prob(v), be.asarray(ALPHA), be.asarray(x))
    )
    want = [stats.dirichlet.logpdf(x[i], ALPHA[i]) for i in range(2)]
    np.testing.assert_allclose(lp, want, rtol=1e-12)
    np.testing.assert_allclose(
        be.to_numpy(d.mean), [stats.dirichlet.mean(a) for a in ALPHA], rtol=1e-12
    )
    np.testing.assert_allclose(
        be.to_numpy(d.variance), [stats.dirichlet.var(a) for a in ALPHA], rtol=1e-12
    )
    np.testing.assert_allclose(
        be.to_numpy(d.entropy()), [stats.dirichlet.entropy(a) for a in ALPHA], rtol=1e-10
    )


def test_samples_match_moments(be):
    d = Dirichlet(be.asarray(ALPHA))
    n = 20_000
    x = be.to_numpy(d.rsample((n,), rng=be.rng(0)))
    assert x.shape == (n, 2, 3)
    np.testing.assert_allclose(x.sum(-1), 1.0, rtol=1e-12)
    var = be.to_numpy(d.variance)
    np.testing.assert_array_less(np.abs(x.mean(0) - be.to_numpy(d.mean)), 4 * np.sqrt(var / n))
    np.testing.assert_allclose(x.var(0), var, rtol=0.05)


def test_noise_path(be):
    g = np.array([[1.0, 2.0, 1.0], [0.5, 0.5, 1.0]])
    x = Dirichlet(be.asarray(ALPHA)).rsample(noise=be.asarray(g))
    np.testing.assert_allclose(be.to_numpy(x), g / g.sum(-1, keepdims=True), rtol=1e-14)


def test_implicit_reparameterisation_gradient(be):
    """d/dalpha E[w . x] by pathwise gradients vs the exact gradient of w . alpha / alpha_0."""
    if not be.differentiable:
        pytest.skip("no autodiff")
    a = np.array([0.8, 2.0, 3.5])
    w = np.array([1.0, -2.0, 0.5])
    n = 40_000
    rng = be.rng(3)
    g = be.to_numpy(
        be.grad(lambda c: Dirichlet(c).rsample((n,), rng=rng) * be.asarray(w) / n, be.asarray(a))
    )
    a0 = a.sum()
    exact = w / a0 - (w @ a) / a0**2
    np.testing.assert_allclose(g, exact, atol=0.01)


def test_kl_matches_monte_carlo():
    p, q = Dirichlet(np.array([0.8, 2.0, 3.5])), Dirichlet(np.array([1.5, 1.0, 2.0]))
    kl = float(kl_divergence(p, q))
    x = p.sample((50_000,), rng=1)
    r = p.log_prob(x) - q.log_prob(x)
    assert abs(r.mean() - kl) < 4 * r.std() / np.sqrt(r.size)


def test_laplace_bridge_width_with_our_sampler(be):
    a = rx.laplace_bridge(
        be.asarray(np.array([0.5, -0.2, 1.0])), be.asarray(np.array([0.3, 0.5, 0.2]))
    )
    d = Dirichlet(a)
    x = be.to_numpy(d.rsample((30_000,), rng=be.rng(4)))
    np.testing.assert_allclose(x.var(0), be.to_numpy(d.variance), rtol=0.05)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_extremes(be, dtype):
    a = be.asarray(np.array([[1e-3, 1.0, 1e3], [1e-3, 1e-3, 1e-3]]), dtype)
    x = Dirichlet(a).rsample((20,), rng=be.rng(0))
    assert x.dtype == getattr(be.xp, dtype)
    assert np.all(np.isfinite(be.to_numpy(x)))
    assert special.gamma(1.0) == 1.0
