"""Perturbed optimizers: Jacobian estimator vs finite differences (common random
numbers) and vs the closed form for Gumbel noise; Fenchel-Young gradient."""

from __future__ import annotations

import numpy as np
import pytest

from relaxarray import estimators as est

THETA = np.array([0.3, -0.2, 0.5, 0.1])


def _softmax(x):
    e = np.exp(x - x.max())
    return e / e.sum()


def _jacobian(be, p, theta, noise):
    rows = []
    for j in range(theta.shape[-1]):
        g = be.grad(lambda t, j=j: p(t, noise=noise)[..., j], theta)
        rows.append(be.to_numpy(g))
    return np.stack(rows)  # rows[j] = d y_j / d theta


def test_gumbel_mean_matches_softmax(be):
    n = 40000
    z = -np.log(-np.log(np.random.default_rng(1).uniform(size=(n, 4))))
    p = est.perturbed(num_samples=n, sigma=0.7, noise="gumbel")
    y = be.to_numpy(be.run(lambda t, zz: p(t, noise=zz), be.asarray(THETA), be.asarray(z)))
    np.testing.assert_allclose(y, _softmax(THETA / 0.7), atol=0.01)


@pytest.mark.parametrize("baseline", [True, False])
def test_jacobian_gumbel_closed_form(be, baseline):
    # Gumbel noise + argmax: y_eps = softmax(theta / sigma), J = (diag(p) - p p^T) / sigma.
    n, sigma = 200000, 0.8
    z = -np.log(-np.log(np.random.default_rng(2).uniform(size=(n, 4))))
    p = est.perturbed(num_samples=n, sigma=sigma, noise="gumbel", baseline=baseline)
    jac = _jacobian(be, p, be.asarray(THETA), be.asarray(z))
    q = _softmax(THETA / sigma)
    exact = (np.diag(q) - np.outer(q, q)) / sigma
    np.testing.assert_allclose(jac, exact, atol=0.03 if baseline else 0.06)


def test_jacobian_normal_vs_finite_differences(be):
    # Finite differences of the MC perturbed argmax with the same noise (common random
    # numbers) estimate the same Jacobian; both have MC error ~ 1e-2 at this n.
    n, sigma, h = 200000, 0.5, 0.05
    z = np.random.default_rng(3).standard_normal((n, 4))
    p = est.perturbed(num_samples=n, sigma=sigma, noise="normal")
    jac = _jacobian(be, p, be.asarray(THETA), be.asarray(z))
    fd = np.empty((4, 4))
    pn = est.perturbed(num_samples=n, sigma=sigma, noise="normal")
    for i in range(4):
        e = np.zeros(4)
        e[i] = h
        fd[:, i] = (pn(THETA + e, noise=z) - pn(THETA - e, noise=z)) / (2 * h)
    np.testing.assert_allclose(jac, fd, atol=0.03)
    # rows sum to zero (outputs lie on the simplex)
    np.testing.assert_allclose(jac.sum(axis=0), 0.0, atol=1e-12)


def test_fenchel_young_gradient(be):
    n = 5000
    z = np.random.default_rng(4).standard_normal((n, 2, 4))
    theta = np.stack([THETA, -THETA])
    y = np.array([[0.0, 0.0, 1.0, 0.0], [1.0, 0.0, 0.0, 0.0]])
    p = est.perturbed(num_samples=n, sigma=1.0, noise="normal")
    zz = be.asarray(z)
    g = be.grad(lambda t: p.fenchel_young_loss(t, be.asarray(y), noise=zz), be.asarray(theta))
    y_eps = p(theta, noise=z)  # NumPy forward with the same noise
    np.testing.assert_allclose(be.to_numpy(g), y_eps - y, atol=1e-12)
    # the perturbed max has gradient y_eps and is convex: F(theta) >= <theta, y_eps>
    fmax = p.max(theta, noise=z)
    assert np.all(fmax >= np.sum(theta * y_eps, axis=-1) - 1e-12)


@pytest.mark.parametrize("n", [5000, 8192])
def test_max_gradient_is_a_mean_of_one_hots(be, n):
    # d max / d theta is the mean of n one-hot rows, so each row sums to 1 exactly (up to
    # rounding). Under jax.jit, halving the sample axis by slices lost half of it at
    # these sizes (an XLA CPU fusion of the transposed pads).
    z = np.random.default_rng(6).standard_normal((n, 2, 4))
    p = est.perturbed(num_samples=n, sigma=1.0, noise="normal")
    zz = be.asarray(z)
    g = be.to_numpy(be.grad(lambda t: p.max(t, noise=zz), be.asarray(np.stack([THETA, -THETA]))))
    np.testing.assert_allclose(g.sum(axis=-1), 1.0, rtol=1e-12)
    assert np.all(g >= 0)


def test_custom_solver_batched(be):
    # a "top-2 mask" solver on a batch of two rows
    def top2(x):
        xp = be.xp
        r = xp.argsort(xp.argsort(-x, axis=-1), axis=-1)
        return xp.astype(r < 2, x.dtype)

    n = 3000
    z = np.random.default_rng(5).standard_normal((n, 2, 4))
    p = est.perturbed(top2, num_samples=n, sigma=0.5)
    y = be.to_numpy(p(be.asarray(np.stack([THETA, THETA[::-1]])), noise=be.asarray(z)))
    np.testing.assert_allclose(y.sum(axis=-1), 2.0, atol=1e-12)
    assert y[0, 2] > y[0, 1]


def test_validation():
    with pytest.raises(ValueError, match="noise"):
        est.perturbed(noise="cauchy")
    with pytest.raises(ValueError, match="sigma"):
        est.perturbed(sigma=0.0)
    with pytest.raises(ValueError, match="num_samples"):
        est.perturbed(num_samples=0)


@pytest.mark.parametrize("method", ["__call__", "max", "fenchel_young_loss"])
def test_empty_noise_sample_axis_is_refused(method):
    # A noise array with no samples has no Monte Carlo mean: refuse it by name (it used to
    # reach the pairwise mean and raise a bare IndexError).
    p = est.perturbed(num_samples=4)
    theta = np.asarray(THETA)
    args = (theta, np.eye(4)[0]) if method == "fenchel_young_loss" else (theta,)
    with pytest.raises(ValueError, match="noise"):
        getattr(p, method)(*args, noise=np.zeros((0, 4)))
