"""Functional samplers: frequencies, same-noise determinism, gradients, extremes, errors."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special as sp
import scipy.stats as st

import relaxarray as rx

SKEWED = np.array([0.1, 0.1, 0.8])
BATCH_P = np.array([[0.2, 0.3, 0.5], [0.1, 0.1, 0.8], [0.6, 0.3, 0.1]])
N = 20000


def _chi2_ok(counts: np.ndarray, probs: np.ndarray) -> float:
    return float(st.chisquare(counts, probs * counts.sum()).pvalue)


def _cat_samplers() -> list[tuple[str, object]]:
    return [
        ("gumbel_max", lambda lg, **k: rx.gumbel_max(lg, **k)),
        ("gs_hard", lambda lg, **k: rx.gumbel_softmax(lg, temperature=0.5, hard=True, **k)),
    ]


@pytest.mark.parametrize("name,fn", _cat_samplers(), ids=lambda v: v if isinstance(v, str) else "")
@pytest.mark.parametrize("probs", [SKEWED, BATCH_P], ids=["skewed1d", "batched"])
def test_categorical_frequencies(be, name, fn, probs):
    logits = be.asarray(np.log(probs))
    y = be.to_numpy(be.run(fn, logits, sample_shape=(N,), rng=be.rng(1)))
    assert set(np.unique(y)) <= {0.0, 1.0}
    np.testing.assert_array_equal(y.sum(-1), 1.0)
    counts = y.sum(0).reshape(-1, probs.shape[-1])
    for c, p in zip(counts, probs.reshape(-1, probs.shape[-1]), strict=True):
        assert _chi2_ok(c, p) > 1e-3


@pytest.mark.parametrize("hard_fn", ["relaxed_hard", "st_bernoulli"])
def test_bernoulli_frequencies(be, hard_fn):
    logits_np = np.array([[-2.1972, 0.0], [1.3863, 3.0]])  # p ~ 0.1, 0.5, 0.8, 0.95
    logits = be.asarray(logits_np)
    if hard_fn == "relaxed_hard":

        def fn(lg, rng):
            return rx.relaxed_bernoulli(lg, temperature=0.3, hard=True, sample_shape=N, rng=rng)
    else:

        def fn(lg, rng):
            return rx.straight_through_bernoulli(lg, sample_shape=N, rng=rng)

    b = be.to_numpy(be.run(fn, logits, rng=be.rng(2)))
    assert set(np.unique(b)) <= {0.0, 1.0}
    p = sp.expit(logits_np).ravel()
    ones = b.reshape(N, -1).sum(0)
    for k, pk in zip(ones, p, strict=True):
        assert _chi2_ok(np.array([N - k, k]), np.array([1 - pk, pk])) > 1e-3


def test_batch_independence(be):
    logits = be.asarray(np.zeros((1000, 3)))
    y = be.to_numpy(rx.gumbel_softmax(logits, rng=be.rng(3)))
    assert len(np.unique(np.round(y, 12), axis=0)) == 1000
    b = be.to_numpy(rx.relaxed_bernoulli(be.asarray(np.zeros(1000)), rng=be.rng(3)))
    assert len(np.unique(b)) == 1000


def _ref_gumbel_softmax(logits, u, t):
    z = (logits - np.log(-np.log(u))) / t
    return sp.softmax(z, axis=-1)


def _ref_relaxed_bernoulli(logits, u, t):
    return sp.expit((logits + np.log(u) - np.log1p(-u)) / t)


@pytest.mark.parametrize("dtype,rtol", [("float64", 1e-12), ("float32", 1e-6)])
def test_same_noise_same_sample(be, dtype, rtol):
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(4, 5)) * 2
    u = rng.uniform(0.01, 0.99, size=(3, 4, 5))
    lg, un = be.asarray(logits, dtype), be.asarray(u, dtype)
    y = be.run(lambda a, b: rx.gumbel_softmax(a, temperature=0.7, noise=b), lg, un)
    assert y.dtype == be.dtype(dtype)
    ref = _ref_gumbel_softmax(
        logits.astype(dtype).astype(np.float64), u.astype(dtype).astype(np.float64), 0.7
    )
    np.testing.assert_allclose(be.to_numpy(y), ref, rtol=rtol, atol=rtol * 1e-2)
    yb = be.run(lambda a, b: rx.relaxed_bernoulli(a, temperature=0.7, noise=b), lg, un)
    refb = _ref_relaxed_bernoulli(
        logits.astype(dtype).astype(np.float64), u.astype(dtype).astype(np.float64), 0.7
    )
    np.testing.assert_allclose(be.to_numpy(yb), refb, rtol=rtol * 10, atol=rtol * 1e-2)
    hard = be.to_numpy(rx.gumbel_softmax(lg, hard=True, noise=un))
    np.testing.assert_array_equal(hard, be.to_numpy(rx.gumbel_max(lg, noise=un)))
    np.testing.assert_array_equal(hard, np.eye(5)[ref.argmax(-1)])
    z = be.asarray(rng.normal(size=(3, 4)), dtype)
    yn = rx.normal_rsample(
        be.asarray(logits[:, 0], dtype), be.asarray(np.ones(4) * 2, dtype), noise=z
    )
    np.testing.assert_allclose(
        be.to_numpy(yn), logits[:, 0] + 2 * be.to_numpy(z), rtol=rtol, atol=rtol
    )


def _fd(f, x, eps=1e-6):
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        d = np.zeros_like(x)
        d[i] = eps
        g[i] = (f(x + d) - f(x - d)) / (2 * eps)
    return g


def test_gradients_match_finite_differences(be):
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(2, 4))
    u = rng.uniform(0.05, 0.95, size=(2, 4))
    w = rng.normal(size=(2, 4))
    lg, un, wn = be.asarray(logits), be.asarray(u), be.asarray(w)
    g = be.grad(lambda a: rx.gumbel_softmax(a, temperature=0.6, noise=un) * wn, lg)
    ref = _fd(lambda a: float((_ref_gumbel_softmax(a, u, 0.6) * w).sum()), logits)
    np.testing.assert_allclose(be.to_numpy(g), ref, rtol=1e-6, atol=1e-8)
    # straight-through: the hard sample's gradient is the soft sample's
    gh = be.grad(lambda a: rx.gumbel_softmax(a, temperature=0.6, hard=True, noise=un) * wn, lg)
    np.testing.assert_allclose(be.to_numpy(gh), be.to_numpy(g), rtol=1e-12, atol=1e-14)
    gb = be.grad(lambda a: rx.relaxed_bernoulli(a, temperature=0.6, noise=un) * wn, lg)
    refb = _fd(lambda a: float((_ref_relaxed_bernoulli(a, u, 0.6) * w).sum()), logits)
    np.testing.assert_allclose(be.to_numpy(gb), refb, rtol=1e-6, atol=1e-8)
    gbh = be.grad(lambda a: rx.relaxed_bernoulli(a, temperature=0.6, hard=True, noise=un) * wn, lg)
    np.testing.assert_allclose(be.to_numpy(gbh), be.to_numpy(gb), rtol=1e-12, atol=1e-14)
    # Bernoulli-STE: identity pseudo-gradient through p = sigmoid(logits)
    gs = be.grad(lambda a: rx.straight_through_bernoulli(a, noise=un) * wn, lg)
    p = sp.expit(logits)
    np.testing.assert_allclose(be.to_numpy(gs), w * p * (1 - p), rtol=1e-12)
    vs = be.to_numpy(rx.straight_through_bernoulli(lg, noise=un))
    np.testing.assert_array_equal(vs, (u < p).astype(float))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_extreme_inputs_finite(be, dtype):
    logits = be.asarray(np.array([[50.0, -50.0, 0.0], [-50.0, -50.0, 50.0]]), dtype)
    u = rx.random.uniform(4, (2, 3), like=logits)
    fns = [
        lambda a, t: rx.gumbel_softmax(a, temperature=t, noise=u),
        lambda a, t: rx.gumbel_softmax(a, temperature=t, hard=True, noise=u),
        lambda a, t: rx.relaxed_bernoulli(a, temperature=t, noise=u),
        lambda a, t: rx.relaxed_bernoulli(a, temperature=t, hard=True, noise=u),
        lambda a, t: rx.straight_through_bernoulli(a, noise=u),
    ]
    for temperature in (1e-3, 1.0, 1e3):
        for fn in fns:
            y = be.to_numpy(fn(logits, temperature))
            assert y.dtype == np.dtype(dtype) and np.isfinite(y).all()
            if be.differentiable:
                g = be.grad(lambda a, fn=fn, t=temperature: fn(a, t), logits)
                assert np.isfinite(be.to_numpy(g)).all()


def test_inverse_cdf_instances(be):
    n = 20000
    loc, scale = be.asarray(np.array(1.5)), be.asarray(np.array(0.7))
    cases = [
        (rx.normal_icdf, (loc, scale), st.norm(1.5, 0.7)),
        (rx.logistic_icdf, (loc, scale), st.logistic(1.5, 0.7)),
        (rx.gumbel_icdf, (loc, scale), st.gumbel_r(1.5, 0.7)),
        (rx.exponential_icdf, (scale,), st.expon(scale=1 / 0.7)),
    ]
    for icdf, params, ref in cases:
        y = be.to_numpy(rx.inverse_cdf_sample(icdf, *params, sample_shape=n, rng=be.rng(5)))
        assert st.kstest(y, ref.cdf).pvalue > 1e-3
        u = np.array([1e-10, 0.02, 0.3, 0.5, 0.9, 0.999999])
        val = be.to_numpy(rx.inverse_cdf_sample(icdf, *params, noise=be.asarray(u)))
        np.testing.assert_allclose(val, ref.ppf(u), rtol=1e-10)
    # the Gaussian instance is the location-scale reparameterisation y = mu + sigma z
    z = np.array([-3.0, -0.5, 0.0, 1.2, 4.0])
    a = rx.inverse_cdf_sample(rx.normal_icdf, loc, scale, noise=be.asarray(st.norm.cdf(z)))
    b = rx.normal_rsample(loc, scale, noise=be.asarray(z))
    np.testing.assert_allclose(be.to_numpy(a), be.to_numpy(b), rtol=1e-10)


def test_reparam_gradients(be):
    u = be.asarray(np.array([0.2, 0.7]))
    scale = be.asarray(np.array([0.5, 2.0]))
    g = be.grad(lambda s: rx.inverse_cdf_sample(rx.gumbel_icdf, 0.0, s, noise=u), scale)
    np.testing.assert_allclose(be.to_numpy(g), -np.log(-np.log([0.2, 0.7])), rtol=1e-12)
    g = be.grad(lambda r: rx.inverse_cdf_sample(rx.exponential_icdf, r, noise=u), scale)
    np.testing.assert_allclose(
        be.to_numpy(g), np.log1p(-np.array([0.2, 0.7])) / [0.25, 4.0], rtol=1e-12
    )
    z = be.asarray(np.array([0.3, -1.0]))
    g = be.grad(lambda s: rx.normal_rsample(be.asarray(np.zeros(2)), s, noise=z), scale)
    np.testing.assert_allclose(be.to_numpy(g), [0.3, -1.0], rtol=1e-12)


def test_errors(be):
    lg = be.asarray(np.zeros((2, 3)))
    u = be.asarray(np.full((2, 3), 0.5))
    with pytest.raises(ValueError, match="not both"):
        rx.gumbel_max(lg, rng=0, noise=u)
    with pytest.raises(ValueError, match="full shape"):
        rx.gumbel_softmax(lg, noise=be.asarray(np.full((3,), 0.5)))
    with pytest.raises(ValueError, match="sample_shape"):
        rx.relaxed_bernoulli(lg, noise=u, sample_shape=4)
    for t in (0.0, -1.0, float("nan")):
        with pytest.raises(ValueError, match="temperature"):
            rx.gumbel_softmax(lg, temperature=t, noise=u)
        with pytest.raises(ValueError, match="temperature"):
            rx.relaxed_bernoulli(lg, temperature=t, noise=u)
    with pytest.raises(ValueError, match="temperature"):
        rx.relaxed_bernoulli(lg, temperature=be.asarray(np.ones(4)), noise=u)
    with pytest.raises(ValueError, match="scale"):
        rx.normal_rsample(lg, -1.0, noise=u)
    with pytest.raises(TypeError, match="logits"):
        rx.gumbel_max(be.asarray(np.zeros(3), dtype="int64"), noise=u)
