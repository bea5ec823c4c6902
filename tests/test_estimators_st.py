"""Straight-through family: values, gradients against closed forms (ReinMax formula,
ST pseudo-gradients, GST), Gumbel-Rao against brute-force rejection sampling and its
variance against ST Gumbel-softmax."""

from __future__ import annotations

import numpy as np
import pytest

from relaxarray import estimators as est
from relaxarray.testing import requires_backend

THETA = np.array([0.4, -0.3, 1.0, 0.2])
G_UP = np.array([1.0, -2.0, 0.5, 3.0])


def sm(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def jac(p):
    return np.diag(p) - np.outer(p, p)


def gumbel_np(u):
    return -np.log(-np.log(u))


def _u(shape, seed=0):
    return np.random.default_rng(seed).uniform(size=shape)


@pytest.mark.parametrize("temperature", [1.0, 1.7, 4.0])
def test_reinmax_gradient_formula(be, temperature):
    u = _u(THETA.shape, 1)
    d = np.eye(4)[np.argmax(THETA + gumbel_np(u))]
    uu = be.asarray(u)
    out = be.to_numpy(
        be.run(lambda t, x: est.reinmax(t, temperature=temperature, noise=x), be.asarray(THETA), uu)
    )
    np.testing.assert_array_equal(out, d)
    g = be.grad(
        lambda t: est.reinmax(t, temperature=temperature, noise=uu) * be.asarray(G_UP),
        be.asarray(THETA),
    )
    pi0 = sm(THETA)
    pi1 = (sm(THETA / temperature) + d) / 2
    expected = 2 * jac(pi1) @ G_UP - 0.5 * jac(pi0) @ G_UP
    np.testing.assert_allclose(be.to_numpy(g), expected, rtol=1e-10, atol=1e-12)


def test_reinmax_temperature_below_one():
    with pytest.raises(ValueError, match="temperature >= 1"):
        est.reinmax(THETA, temperature=0.5, rng=0)


@pytest.mark.parametrize("temperature", [0.5, 2.0])
def test_st_categorical_and_gumbel_softmax_gradients(be, temperature):
    u = _u((3, 4), 2)
    uu = be.asarray(u)
    z = THETA + gumbel_np(u)
    d = np.eye(4)[np.argmax(z, axis=-1)]
    for fn, surrogate in [
        (
            lambda t: est.st_categorical(t, temperature=temperature, sample_shape=3, noise=uu),
            lambda s: np.broadcast_to(sm(THETA / temperature), (3, 4)),
        ),
        (
            lambda t: est.st_gumbel_softmax(t, temperature=temperature, sample_shape=3, noise=uu),
            lambda s: sm(z / temperature),
        ),
    ]:
        np.testing.assert_array_equal(be.to_numpy(fn(be.asarray(THETA))), d)
        g = be.to_numpy(be.grad(lambda t, fn=fn: fn(t) * be.asarray(G_UP), be.asarray(THETA)))
        p = surrogate(None)
        expected = sum(jac(p[s]) @ G_UP for s in range(3)) / temperature
        np.testing.assert_allclose(g, expected, rtol=1e-10, atol=1e-12)
    g = be.grad(
        lambda t: est.st_categorical(t, pseudo="identity", noise=uu[0]) * be.asarray(G_UP),
        be.asarray(THETA),
    )
    np.testing.assert_allclose(be.to_numpy(g), G_UP)


def test_st_bernoulli(be):
    logits = np.array([-1.0, 0.0, 2.0, 50.0, -50.0])
    u = _u((2, 5), 3)
    uu = be.asarray(u)
    b = be.to_numpy(est.st_bernoulli(be.asarray(logits), sample_shape=2, noise=uu))
    np.testing.assert_array_equal(b, (u < 1 / (1 + np.exp(-logits))).astype(float))
    t = 0.5
    g = be.to_numpy(
        be.grad(
            lambda x: est.st_bernoulli(x, temperature=t, sample_shape=2, noise=uu),
            be.asarray(logits),
        )
    )
    e = np.exp(-np.abs(logits) / t)
    np.testing.assert_allclose(g, 2 * e / (1 + e) ** 2 / t, rtol=1e-10, atol=1e-300)
    g = be.grad(lambda x: est.st_bernoulli(x, pseudo="identity", noise=uu[0]), be.asarray(logits))
    np.testing.assert_allclose(be.to_numpy(g), 1.0)


def test_gapped_st_gradient(be):
    u = _u(THETA.shape, 4)
    d = np.eye(4)[np.argmax(THETA + gumbel_np(u))]
    uu = be.asarray(u)
    g = be.grad(
        lambda t: est.gapped_st(t, temperature=0.7, noise=uu) * be.asarray(G_UP), be.asarray(THETA)
    )
    top = THETA.max()
    pert = THETA + d * (top - THETA) - (1 - d) * np.maximum(THETA - top + 1.0, 0)
    p = sm(pert / 0.7)
    np.testing.assert_allclose(be.to_numpy(g), jac(p) @ G_UP / 0.7, rtol=1e-10, atol=1e-12)
    assert np.argmax(pert) == np.argmax(d) and np.sort(pert)[-2] <= top - 1.0 + 1e-12


@pytest.mark.parametrize("theta", [THETA, np.array([6.0, -1.0, 0.5, -3.0])])
def test_gapped_st_p_gradient(be, theta):
    # GST-p (Fan et al. 2022): gap kappa = -log(1 - pi_d) / pi_d, pi = softmax(theta).
    s_num, temp = 12, 0.6
    u = _u((s_num, 4), 7)
    uu = be.asarray(u)
    d = np.eye(4)[np.argmax(theta + gumbel_np(u), axis=-1)]
    y = be.to_numpy(
        be.run(
            lambda t, x: est.gapped_st(t, gap="p", sample_shape=s_num, noise=x),
            be.asarray(theta),
            uu,
        )
    )
    np.testing.assert_array_equal(y, d)
    g = be.grad(
        lambda t: (
            est.gapped_st(t, temperature=temp, gap="p", sample_shape=s_num, noise=uu)
            * be.asarray(G_UP)
        ),
        be.asarray(theta),
    )
    top = theta.max()
    expected = np.zeros(4)
    kappas = []
    for s in range(s_num):
        pi_d = sm(theta)[np.argmax(d[s])]
        kappa = -np.log(1 - pi_d) / pi_d
        kappas.append(kappa)
        pert = theta + d[s] * (top - theta) - (1 - d[s]) * np.maximum(theta - top + kappa, 0)
        assert np.argmax(pert) == np.argmax(d[s])
        assert np.sort(pert)[-2] <= top - kappa + 1e-12  # the gap holds
        expected += jac(sm(pert / temp)) @ G_UP / temp
    assert min(kappas) >= 1.0 and max(kappas) > 1.2  # gap depends on the sample
    np.testing.assert_allclose(be.to_numpy(g), expected, rtol=1e-10, atol=1e-12)


@requires_backend("torch")
def test_gapped_st_p_extremes_and_errors():
    # pi_d -> 1 (gap capped, finite) and pi_d -> 0 (gap -> 1) stay finite.
    torch = pytest.importorskip("torch")
    x = torch.tensor([[80.0, 0.0, -80.0]], dtype=torch.float64, requires_grad=True)
    for u in ([0.5, 0.5, 0.5], [1e-300, 1e-300, 1 - 1e-16]):
        y = est.gapped_st(x, gap="p", noise=torch.tensor([u], dtype=torch.float64))
        (g,) = torch.autograd.grad((y * torch.tensor([1.0, 2.0, 3.0])).sum(), x)
        assert torch.isfinite(g).all()
    with pytest.raises(ValueError, match="gap"):
        est.gapped_st(THETA, gap="q", rng=0)
    with pytest.raises(ValueError, match="gap"):
        est.gapped_st(THETA, gap=-1.0, rng=0)


def test_decoupled_st(be):
    """Shah et al. 2024: value onehot(argmax(theta/T_f + G)), gradient of
    softmax((theta/T_f + G)/T_b); the deprecated keywords still work."""
    u = _u(THETA.shape, 5)
    y = THETA / 2.0 + gumbel_np(u)
    uu = be.asarray(u)
    out = be.to_numpy(
        est.decoupled_st(
            be.asarray(THETA), forward_temperature=2.0, backward_temperature=0.5, noise=uu
        )
    )
    np.testing.assert_array_equal(out, np.eye(THETA.shape[-1])[np.argmax(y, -1)])
    with pytest.warns(DeprecationWarning, match="deprecated"):
        old = est.decoupled_st(
            be.asarray(THETA), temperature_forward=2.0, temperature_backward=0.5, noise=uu
        )
    np.testing.assert_array_equal(be.to_numpy(old), out)
    g = be.grad(
        lambda t: (
            est.decoupled_st(t, forward_temperature=2.0, backward_temperature=0.5, noise=uu)
            * be.asarray(G_UP)
        ),
        be.asarray(THETA),
    )
    np.testing.assert_allclose(be.to_numpy(g), jac(sm(y / 0.5)) @ G_UP / (0.5 * 2.0), rtol=1e-10)


def test_gumbel_rao_matches_rejection_sampling():
    # E[grad softmax((theta+G)/T) | argmax = D] by brute-force rejection vs the mean over
    # many conditional samples, for every D. Both in NumPy (closed-form Jacobian).
    theta, temp = np.array([0.5, -0.5, 0.0]), 0.7
    rng = np.random.default_rng(6)
    z = theta + gumbel_np(rng.uniform(size=(400000, 3)))
    k = np.argmax(z, axis=-1)
    import array_api_compat

    import relaxarray.estimators._st_common as c
    from relaxarray.backends import get_adapter

    xp = array_api_compat.array_namespace(theta)
    ad = get_adapter(xp)
    for dk in range(3):
        p = sm(z[k == dk] / temp)
        ref = (p[:, :, None] * (np.eye(3)[None] - p[:, None, :])).mean(axis=0) / temp
        e = -np.log(rng.uniform(size=(200000, 3)))
        d = np.eye(3)[dk]
        zc = c.conditional_gumbel(xp, ad, theta[None], d[None], e, 1)
        assert np.all(np.argmax(zc, axis=-1) == dk)
        pc = sm(zc / temp)
        mine = (pc[:, :, None] * (np.eye(3)[None] - pc[:, None, :])).mean(axis=0) / temp
        np.testing.assert_allclose(mine, ref, atol=0.01)


def test_gumbel_rao_gradient_and_variance(be):
    theta, temp, n, kk = np.array([0.5, -0.5, 0.0, 1.0]), 0.5, 4000, 20
    logits = np.broadcast_to(theta, (n, 4)).copy()
    u = _u((n, 4), 7)
    v = _u((kk, n, 4), 8)
    w = be.asarray(G_UP)
    uu, vv = be.asarray(u), be.asarray(v)
    g_gr = be.to_numpy(
        be.grad(
            lambda t: est.gumbel_rao(t, temperature=temp, num_rao_samples=kk, noise=(uu, vv)) * w,
            be.asarray(logits),
        )
    )
    g_st = be.to_numpy(
        be.grad(
            lambda t: est.st_gumbel_softmax(t, temperature=temp, noise=uu) * w, be.asarray(logits)
        )
    )
    # same mean (both estimate E[grad softmax((theta+G)/T)]); lower variance
    se = g_st.std(axis=0) / np.sqrt(n)
    assert np.all(np.abs(g_gr.mean(axis=0) - g_st.mean(axis=0)) < 4 * se + 1e-3)
    assert g_gr.var(axis=0).sum() < 0.7 * g_st.var(axis=0).sum()
    d = np.eye(4)[np.argmax(theta + gumbel_np(u), axis=-1)]
    np.testing.assert_array_equal(
        be.to_numpy(est.gumbel_rao(be.asarray(logits), noise=(uu, vv), num_rao_samples=kk)), d
    )


@pytest.mark.parametrize("scale", [50.0, 1e4])
def test_extreme_logits_finite(be, scale):
    theta = np.array([scale, -scale, 0.0])
    u = be.asarray(_u((2, 3), 9))
    v = be.asarray(_u((3, 2, 3), 10))
    fns = [
        lambda t: est.st_gumbel_softmax(t, temperature=0.1, sample_shape=2, noise=u),
        lambda t: est.gapped_st(t, sample_shape=2, noise=u),
        lambda t: est.reinmax(t, temperature=1.0, sample_shape=2, noise=u),
        lambda t: est.decoupled_st(t, sample_shape=2, noise=u),
        lambda t: est.st_categorical(t, sample_shape=2, noise=u),
        lambda t: est.gumbel_rao(t, num_rao_samples=3, sample_shape=2, noise=(u, v)),
    ]
    for fn in fns:
        out = be.to_numpy(fn(be.asarray(theta)))
        np.testing.assert_array_equal(out, np.array([[1.0, 0, 0]] * 2))
        if be.differentiable:
            g = be.to_numpy(
                be.grad(lambda t, fn=fn: fn(t) * be.asarray(G_UP[:3]), be.asarray(theta))
            )
            assert np.all(np.isfinite(g))


def test_dtype_preserved(be):
    theta = be.asarray(THETA, dtype="float32")
    for out in (
        est.st_gumbel_softmax(theta, rng=be.rng(0)),
        est.reinmax(theta, rng=be.rng(0)),
        est.gumbel_rao(theta, rng=be.rng(0)),
        est.st_bernoulli(theta, rng=be.rng(0)),
    ):
        assert out.dtype == be.xp.float32
