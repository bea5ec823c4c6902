"""Laplace bridge (Hobbhahn et al. 2022)."""

from __future__ import annotations

import numpy as np
import pytest

import relaxarray as rx

ALPHA = np.array([[0.7, 2.0, 5.0, 1.3], [10.0, 10.0, 0.2, 3.0]])


def ref_bridge(mu, var):
    k = mu.shape[-1]
    s = np.exp(-mu).sum(-1, keepdims=True)
    return (1 - 2 / k + np.exp(mu) * s / k**2) / var


def test_forward_matches_formula(be):
    mu = np.array([[0.3, -1.0, 2.0, 0.0], [1.0, 1.0, -4.0, 0.5]])
    var = np.array([[0.5, 1.0, 0.2, 2.0], [0.1, 0.3, 1.5, 0.7]])
    a = be.run(rx.laplace_bridge, be.asarray(mu), be.asarray(var))
    np.testing.assert_allclose(be.to_numpy(a), ref_bridge(mu, var), rtol=1e-12)
    # invariant to a common shift of the mean
    a2 = rx.laplace_bridge(be.asarray(mu + 7.0), be.asarray(var))
    np.testing.assert_allclose(be.to_numpy(a2), ref_bridge(mu, var), rtol=1e-10)


def test_round_trips(be):
    m, v = be.run(rx.laplace_bridge_inverse, be.asarray(ALPHA))
    np.testing.assert_allclose(be.to_numpy(m).sum(-1), 0.0, atol=1e-12)
    back = rx.laplace_bridge(m, v)
    np.testing.assert_allclose(be.to_numpy(back), ALPHA, rtol=1e-12)
    # Gaussian (in the bridge's image) -> Dirichlet -> Gaussian
    m2, v2 = rx.laplace_bridge_inverse(back)
    np.testing.assert_allclose(be.to_numpy(m2), be.to_numpy(m), atol=1e-12)
    np.testing.assert_allclose(be.to_numpy(v2), be.to_numpy(v), rtol=1e-12)


def test_axis(be):
    m, v = rx.laplace_bridge_inverse(be.asarray(ALPHA.T), axis=0)
    np.testing.assert_allclose(be.to_numpy(rx.laplace_bridge(m, v, axis=0)), ALPHA.T, rtol=1e-12)


def test_inverse_is_the_laplace_approximation():
    """mu is the mode of the Dirichlet in the (centred) softmax basis and v the diagonal of
    the paper's inverse Hessian there: check the mode and the moment formulas directly."""
    a = ALPHA[0]
    k = a.size
    m, v = rx.laplace_bridge_inverse(a)
    # mode of p(y) ∝ prod softmax(y)^a over centred y: softmax(mu) = alpha / sum(alpha)
    np.testing.assert_allclose(np.exp(m) / np.exp(m).sum(), a / a.sum(), rtol=1e-12)
    np.testing.assert_allclose(v, (1 - 2 / k) / a + (1 / a).sum() / k**2, rtol=1e-12)


def test_dirichlet_width_matches_formula():
    """Samples of the bridged Dirichlet have its mean and variance alpha_k / alpha_0 and
    alpha_k (alpha_0 - alpha_k) / (alpha_0^2 (alpha_0 + 1))."""
    mu = np.array([0.5, -0.2, 1.0])
    var = np.array([0.3, 0.5, 0.2])
    a = rx.laplace_bridge(mu, var)
    a0 = a.sum()
    x = np.random.default_rng(0).dirichlet(a, size=100_000)
    mean = a / a0
    variance = a * (a0 - a) / (a0**2 * (a0 + 1))
    np.testing.assert_array_less(np.abs(x.mean(0) - mean), 4 * np.sqrt(variance / x.shape[0]))
    np.testing.assert_allclose(x.var(0), variance, rtol=0.02)
    # a larger logit variance gives a wider Dirichlet (smaller alpha_0)
    assert rx.laplace_bridge(mu, 2 * var).sum() < a0


def test_gradients(be):
    if not be.differentiable:
        pytest.skip("no autodiff")
    mu = np.array([0.3, -1.0, 2.0])
    var = np.array([0.5, 1.0, 0.2])
    w = np.array([1.0, -0.5, 2.0])
    g = be.to_numpy(
        be.grad(lambda x: rx.laplace_bridge(x, be.asarray(var)) * be.asarray(w), be.asarray(mu))
    )
    h = 1e-6
    fd = [
        ((ref_bridge(mu + h * e, var) - ref_bridge(mu - h * e, var)) * w).sum() / (2 * h)
        for e in np.eye(3)
    ]
    np.testing.assert_allclose(g, fd, rtol=1e-6)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_extremes(be, dtype):
    # alpha grows like exp(max(mu) - min(mu)): +-50 overflows float32 itself (e^100 > 3e38),
    # so float32 uses +-40 (alpha ~ 6e36, representable)
    r = 50.0 if dtype == "float64" else 40.0
    mu = be.asarray(np.array([r, -r, 0.0]), dtype)
    var = be.asarray(np.array([1e-3, 1.0, 1e3]), dtype)
    a = rx.laplace_bridge(mu, var)
    assert a.dtype == getattr(be.xp, dtype)
    assert np.all(np.isfinite(be.to_numpy(a))) and np.all(be.to_numpy(a) > 0)
    m, v = rx.laplace_bridge_inverse(be.asarray(np.array([1e-3, 1.0, 1e4]), dtype))
    assert np.all(np.isfinite(be.to_numpy(m))) and np.all(np.isfinite(be.to_numpy(v)))


def test_validation(be):
    with pytest.raises(ValueError, match="variance"):
        rx.laplace_bridge(be.asarray(np.zeros(3)), be.asarray(np.array([1.0, 0.0, 1.0])))
    with pytest.raises(ValueError, match="alpha"):
        rx.laplace_bridge_inverse(be.asarray(np.array([1.0, -1.0])))
