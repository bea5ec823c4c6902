"""LogisticNormal and InvertibleGaussian (Potapczynski et al. 2020)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import integrate, special, stats

from relaxarray.distributions import InvertibleGaussian, LogisticNormal, kl_divergence

LOC = np.array([[0.3, -0.5], [1.0, 0.2]])
SCALE = np.array([[0.7, 1.2], [0.4, 0.9]])
EPS = np.array([[0.5, -1.0], [0.1, 2.0]])


def ref_ig_sample(loc, scale, eps, t, delta):
    y = (loc + scale * eps) / t
    e = np.exp(y)
    den = e.sum(-1, keepdims=True) + delta
    return np.concatenate([e / den, delta / den], axis=-1)


def ref_ln_log_prob(x, m, s):
    w = np.log(x[..., :-1]) - np.log(x[..., -1:])
    return stats.norm.logpdf(w, m, s).sum(-1) - np.log(x).sum(-1)


@pytest.mark.parametrize(("t", "delta"), [(1.0, 1.0), (0.5, 1.0), (2.0, 0.3)])
def test_invertible_gaussian_sample_and_log_prob(be, t, delta):
    d = InvertibleGaussian(be.asarray(LOC), be.asarray(SCALE), temperature=t, delta=delta)
    x = be.run(
        lambda m, s, e: InvertibleGaussian(m, s, temperature=t, delta=delta).rsample(noise=e),
        be.asarray(LOC),
        be.asarray(SCALE),
        be.asarray(EPS),
    )
    want = ref_ig_sample(LOC, SCALE, EPS, t, delta)
    np.testing.assert_allclose(be.to_numpy(x), want, rtol=1e-12)
    lp = be.to_numpy(d.log_prob(be.asarray(want)))
    np.testing.assert_allclose(
        lp, ref_ln_log_prob(want, LOC / t - np.log(delta), SCALE / t), rtol=1e-10
    )
    assert d.event_shape == (3,) and d.batch_shape == (2,)


def test_logistic_normal_sample(be):
    d = LogisticNormal(be.asarray(LOC), be.asarray(SCALE))
    x = be.to_numpy(d.rsample(noise=be.asarray(EPS)))
    np.testing.assert_allclose(x, ref_ig_sample(LOC, SCALE, EPS, 1.0, 1.0), rtol=1e-12)
    x = be.to_numpy(d.rsample((50,), rng=be.rng(0)))
    assert x.shape == (50, 2, 3)
    np.testing.assert_allclose(x.sum(-1), 1.0, rtol=1e-12)


@pytest.mark.parametrize("cls", ["ln", "ig"])
def test_k2_histogram_matches_density(cls):
    if cls == "ln":
        d = LogisticNormal(np.array([0.4]), np.array([0.8]))
    else:
        d = InvertibleGaussian(np.array([0.4]), np.array([0.8]), temperature=0.7, delta=0.5)
    n = 100_000
    x1 = np.asarray(d.sample((n,), rng=5))[:, 0]
    edges = np.linspace(0, 1, 21)
    counts, _ = np.histogram(x1, bins=edges)

    def dens(v):
        return float(np.exp(d.log_prob(np.array([v, 1 - v]))))

    expect = n * np.array([integrate.quad(dens, a, b)[0] for a, b in itertools.pairwise(edges)])
    np.testing.assert_array_less(np.abs(counts - expect), 5 * np.sqrt(expect) + 1)


def test_k3_density_integrates_to_one():
    d = InvertibleGaussian(np.array([0.2, -0.3]), np.array([0.6, 0.5]), temperature=0.8, delta=0.7)

    def f(x2, x1):
        x = np.array([x1, x2, 1 - x1 - x2])
        return float(np.exp(d.log_prob(x))) if x[2] > 0 else 0.0

    total, _ = integrate.dblquad(f, 0, 1, 0, lambda x1: 1 - x1, epsabs=1e-6)
    assert abs(total - 1) < 1e-4


def test_kl_matches_monte_carlo():
    p = InvertibleGaussian(np.array([0.2, -0.3]), np.array([0.6, 0.5]), temperature=0.8)
    q = InvertibleGaussian(np.array([0.5, 0.1]), np.array([0.9, 0.4]), temperature=0.5, delta=2.0)
    kl = float(kl_divergence(p, q))
    x = p.sample((50_000,), rng=2)
    r = p.log_prob(x) - q.log_prob(x)
    assert abs(r.mean() - kl) < 4 * r.std() / np.sqrt(r.size)
    ln = LogisticNormal(np.array([0.1]), np.array([1.0]))
    assert float(kl_divergence(ln, ln)) == 0.0


def test_rsample_gradient_matches_fd(be):
    if not be.differentiable:
        pytest.skip("no autodiff")
    w = be.asarray(np.array([1.0, -2.0, 0.5]))
    e = be.asarray(EPS)

    def f(m):
        return (
            InvertibleGaussian(m, be.asarray(SCALE), temperature=0.6, delta=0.8).rsample(noise=e)
            * w
        )

    g = be.to_numpy(be.grad(f, be.asarray(LOC)))
    h = 1e-6
    fd = np.zeros_like(LOC)
    wn = np.array([1.0, -2.0, 0.5])
    for idx in np.ndindex(LOC.shape):
        dm = np.zeros_like(LOC)
        dm[idx] = h
        fd[idx] = (
            (ref_ig_sample(LOC + dm, SCALE, EPS, 0.6, 0.8) * wn).sum()
            - (ref_ig_sample(LOC - dm, SCALE, EPS, 0.6, 0.8) * wn).sum()
        ) / (2 * h)
    np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-10)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_extremes(be, dtype):
    loc = be.asarray(np.array([[50.0, -50.0], [-50.0, 0.0]]), dtype)
    scale = be.asarray(np.ones((2, 2)), dtype)
    e = be.asarray(EPS, dtype)
    for t in (1e-3, 1.0, 1e3):
        x = InvertibleGaussian(loc, scale, temperature=t).rsample(noise=e)
        assert x.dtype == getattr(be.xp, dtype)
        xn = be.to_numpy(x)
        assert np.all(np.isfinite(xn))
        np.testing.assert_allclose(xn.sum(-1), 1.0, rtol=1e-5)
        if be.differentiable:
            g = be.grad(
                lambda m, t=t: (
                    InvertibleGaussian(m, scale, temperature=t).rsample(noise=e)
                    * be.asarray(np.array([1.0, 2.0, 3.0]), dtype)
                ),
                loc,
            )
            assert g.dtype == getattr(be.xp, dtype) and np.all(np.isfinite(be.to_numpy(g)))


def test_validation(be):
    with pytest.raises(ValueError, match="scale"):
        LogisticNormal(be.asarray(np.zeros(2)), be.asarray(np.array([1.0, -1.0])))
    with pytest.raises(ValueError, match="delta"):
        InvertibleGaussian(be.asarray(np.zeros(2)), be.asarray(np.ones(2)), delta=0.0)
    assert special.softmax([0.0, 0.0])[0] == 0.5
