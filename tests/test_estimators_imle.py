"""I-MLE: the backward re-runs the solver on theta - lam * g; same gradient on every
autodiff backend for the same noise (vs a NumPy reference of the formula)."""

from __future__ import annotations

import numpy as np
import pytest

from relaxarray import estimators as est


def _topk(k):
    def solver(x):
        import array_api_compat

        xp = array_api_compat.array_namespace(x)
        r = xp.argsort(xp.argsort(-x, axis=-1, stable=True), axis=-1, stable=True)
        return xp.astype(r < k, x.dtype)

    return solver


def _topk_np(x, k):
    r = np.argsort(np.argsort(-x, axis=-1, kind="stable"), axis=-1, kind="stable")
    return (r < k).astype(x.dtype)


THETA = np.array([[0.5, -0.3, 1.2, 0.1, 0.0], [2.0, 1.0, -1.0, 0.3, 0.2]])
W = np.array([[1.0, -2.0, 0.5, 3.0, -1.0], [0.2, 0.4, -3.0, 1.0, 2.0]])


@pytest.mark.parametrize("noise_kind", ["gumbel", "sum_of_gamma"])
def test_same_gradient_as_numpy_reference(be, noise_kind):
    k, lam, n = 2, 5.0, 3
    eps = (
        -np.log(-np.log(np.random.default_rng(0).uniform(size=(n, *THETA.shape))))
        if noise_kind == "gumbel"
        else est.sum_of_gamma_noise(0, (n, *THETA.shape), k=k, like=np.zeros(1))
    )
    fn = est.imle(_topk(k), num_samples=n, lam=lam, noise=noise_kind, k=k)
    w = be.asarray(W)
    e = be.asarray(eps)

    def loss(t):
        y = fn(t, noise=e)
        return (y * w) ** 2 + y * w  # per-sample upstream gradient 2 y w^2 + w

    g = be.to_numpy(be.grad(loss, be.asarray(THETA)))
    ys = _topk_np(THETA[None] + eps, k)
    up = 2 * ys * W**2 + W
    ref = (ys - _topk_np(THETA[None] - lam * up + eps, k)).sum(axis=0) / lam
    np.testing.assert_allclose(g, ref, atol=1e-12)
    assert np.any(ref != 0)
    np.testing.assert_allclose(be.to_numpy(fn(be.asarray(THETA), noise=e)), ys)


def test_default_argmax_and_rng(be):
    fn = est.imle(num_samples=4, lam=1.0)
    y = be.to_numpy(fn(be.asarray(THETA), rng=be.rng(3)))
    assert y.shape == (4, *THETA.shape)
    np.testing.assert_array_equal(y.sum(axis=-1), 1.0)


def test_sum_of_gamma_moments():
    m = 10
    for k in (1, 4):
        e = est.sum_of_gamma_noise(1, (100000,), k=k, like=np.zeros(1))
        h = sum(1 / i for i in range(1, m + 1))
        v = sum(1 / i**2 for i in range(1, m + 1)) / k
        assert abs(e.mean() - (h - np.log(m)) / k) < 4 * np.sqrt(v / 1e5)
        assert abs(e.var() / v - 1) < 0.05


def test_sum_of_gamma_backends(be):
    e = be.to_numpy(est.sum_of_gamma_noise(be.rng(0), (4000,), k=2, like=be.asarray([0.0])))
    assert np.all(np.isfinite(e))
    assert abs(e.mean() - (sum(1 / i for i in range(1, 11)) - np.log(10)) / 2) < 0.06


def test_validation():
    with pytest.raises(ValueError, match="needs k"):
        est.imle(noise="sum_of_gamma")
    with pytest.raises(ValueError, match="lam"):
        est.imle(lam=0.0)
