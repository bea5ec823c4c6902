"""Correlated gates through a Gaussian copula (Lee et al. 2022)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special, stats

from relaxarray.distributions import CorrelatedGates

R = np.array([[1.0, 0.6, -0.3], [0.6, 1.0, 0.2], [-0.3, 0.2, 1.0]])
LOGITS = np.array([-1.0, 0.5, 2.0])


def ref_relaxed(logits, eps, t):
    v = eps @ np.linalg.cholesky(R).T
    u = stats.norm.cdf(v)
    return special.expit((logits + np.log(u) - np.log1p(-u)) / t)


def test_relaxed_matches_reference(be):
    eps = np.random.default_rng(0).standard_normal((5, 3))
    z = be.run(
        lambda lg, r, e: CorrelatedGates(lg, r, temperature=0.4).rsample(noise=e),
        be.asarray(LOGITS),
        be.asarray(R),
        be.asarray(eps),
    )
    np.testing.assert_allclose(be.to_numpy(z), ref_relaxed(LOGITS, eps, 0.4), rtol=1e-10)


def test_marginals_and_latent_correlation(be):
    d = CorrelatedGates(be.asarray(LOGITS), be.asarray(R))
    n = 40_000
    eps = np.random.default_rng(1).standard_normal((n, 3))
    m = be.to_numpy(d.hard_sample(noise=be.asarray(eps)))
    p = special.expit(LOGITS)
    np.testing.assert_array_less(np.abs(m.mean(0) - p), 4 * np.sqrt(p * (1 - p) / n))
    v = eps @ np.linalg.cholesky(R).T
    np.testing.assert_allclose(np.corrcoef(v.T), R, atol=0.02)
    # the gates are dependent in the direction of R
    c = np.corrcoef(m.T)
    assert c[0, 1] > 0.1 and c[0, 2] < -0.05
    # and the rng path draws from the same law
    m2 = be.to_numpy(d.hard_sample((n,), rng=be.rng(2)))
    np.testing.assert_array_less(np.abs(m2.mean(0) - p), 4 * np.sqrt(p * (1 - p) / n))


def test_low_temperature_relaxed_tends_to_hard(be):
    eps = be.asarray(np.random.default_rng(3).standard_normal((200, 3)))
    d = CorrelatedGates(be.asarray(LOGITS), be.asarray(R), temperature=1e-3)
    z, m = be.to_numpy(d.rsample(noise=eps)), be.to_numpy(d.hard_sample(noise=eps))
    assert np.mean(np.abs(z - m) < 1e-3) > 0.97


def test_gradient_matches_fd(be):
    if not be.differentiable:
        pytest.skip("no autodiff")
    eps = np.random.default_rng(4).standard_normal((4, 3))
    w = np.arange(1.0, 4.0)
    g = be.to_numpy(
        be.grad(
            lambda lg: (
                CorrelatedGates(lg, be.asarray(R), temperature=0.5).rsample(noise=be.asarray(eps))
                * be.asarray(w)
            ),
            be.asarray(LOGITS),
        )
    )
    h = 1e-6
    fd = [
        ((ref_relaxed(LOGITS + h * e, eps, 0.5) - ref_relaxed(LOGITS - h * e, eps, 0.5)) * w).sum()
        / (2 * h)
        for e in np.eye(3)
    ]
    np.testing.assert_allclose(g, fd, rtol=1e-6)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_extremes(be, dtype):
    logits = be.asarray(np.array([-50.0, 50.0, 0.0]), dtype)
    eps = be.asarray(np.array([[5.0, -5.0, 0.0], [-5.0, 5.0, 1.0]]), dtype)
    for t in (1e-3, 0.5, 1e3):
        d = CorrelatedGates(logits, be.asarray(R, dtype), temperature=t)
        z = d.rsample(noise=eps)
        assert z.dtype == getattr(be.xp, dtype) and np.all(np.isfinite(be.to_numpy(z)))
        if be.differentiable:
            g = be.grad(
                lambda lg, t=t: CorrelatedGates(lg, be.asarray(R, dtype), temperature=t).rsample(
                    noise=eps
                ),
                logits,
            )
            assert g.dtype == getattr(be.xp, dtype) and np.all(np.isfinite(be.to_numpy(g)))


def test_validation(be):
    with pytest.raises(ValueError, match="correlation"):
        CorrelatedGates(be.asarray(LOGITS), be.asarray(np.eye(2)))
    with pytest.raises(ValueError, match="unit diagonal"):
        CorrelatedGates(be.asarray(LOGITS), be.asarray(2 * np.eye(3)))
