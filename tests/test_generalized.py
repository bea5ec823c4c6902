"""Generalized Gumbel-softmax (Joo et al. 2020) and truncated support tables."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import special, stats

import relaxarray as rx

LP = np.log(np.array([[0.2, 0.5, 0.3], [0.6, 0.1, 0.3]]))
VALS = np.array([0.0, 1.0, 5.0])
G = np.array([[0.0, 0.3, 2.0], [1.0, -0.5, 0.2]])


def test_noise_with_leading_sample_axes(be):
    """A negative axis counts from the noise's end: log_probs (2, 3) with noise (4, 2, 3)
    gives (4, 2) samples, each the sample of its own noise."""
    g = np.random.default_rng(3).gumbel(size=(4, *LP.shape))
    for hard in (False, True):
        out = be.to_numpy(
            rx.generalized_gumbel_softmax(
                be.asarray(LP), be.asarray(VALS), temperature=0.5, hard=hard, noise=be.asarray(g)
            )
        )
        assert out.shape == (4, 2)
        w = special.softmax((LP + g) / 0.5, axis=-1)
        ref = VALS[np.argmax(LP + g, -1)] if hard else (w * VALS).sum(-1)
        np.testing.assert_allclose(out, ref, rtol=1e-12)


@pytest.mark.parametrize("t", [0.3, 1.0])
def test_values_match_reference(be, t):
    soft = be.run(
        lambda a, v, g: rx.generalized_gumbel_softmax(a, v, temperature=t, noise=g),
        be.asarray(LP),
        be.asarray(VALS),
        be.asarray(G),
    )
    w = special.softmax((LP + G) / t, axis=-1)
    np.testing.assert_allclose(be.to_numpy(soft), (w * VALS).sum(-1), rtol=1e-12)
    hard = rx.generalized_gumbel_softmax(
        be.asarray(LP), be.asarray(VALS), temperature=t, hard=True, noise=be.asarray(G)
    )
    np.testing.assert_allclose(be.to_numpy(hard), VALS[np.argmax(LP + G, -1)], rtol=1e-12)
    if be.differentiable:
        gs = be.grad(
            lambda a: rx.generalized_gumbel_softmax(
                a, be.asarray(VALS), temperature=t, noise=be.asarray(G)
            ),
            be.asarray(LP),
        )
        gh = be.grad(
            lambda a: rx.generalized_gumbel_softmax(
                a, be.asarray(VALS), temperature=t, hard=True, noise=be.asarray(G)
            ),
            be.asarray(LP),
        )
        np.testing.assert_allclose(be.to_numpy(gh), be.to_numpy(gs), rtol=1e-12)


@pytest.mark.parametrize("log_rate", [50.0, 1e4])
def test_poisson_table_large_rates(be, log_rate):
    # log pmf = n log(rate) - rate - log n!: for rate = e^50 the constant -rate (5e21)
    # swallowed n log(rate) (every entry the same, a uniform table), and for e^1e4 it was
    # -inf - (-inf) = NaN. The constant cancels in the renormalised table.
    lr = np.array([log_rate, 1.0])
    lp, _, dropped = rx.truncated_poisson(be.asarray(lr), size=6)
    n = np.arange(6)
    shape_part = n * lr[:, None] - special.gammaln(n + 1.0)
    want = shape_part - special.logsumexp(shape_part, axis=-1, keepdims=True)
    np.testing.assert_allclose(be.to_numpy(lp), want, rtol=1e-12)
    np.testing.assert_allclose(be.to_numpy(dropped), [1.0, stats.poisson.sf(5, math.e)], rtol=1e-10)
    if not be.differentiable:
        return
    # exp(log(max)) rounded up to inf in the dtype: 0 * inf = NaN in the gradient
    for dtype in ("float32", "float16"):
        g = be.grad(
            lambda x: sum(be.xp.sum(o) for o in rx.truncated_poisson(x, size=6)[::2]),
            be.asarray(lr, dtype),
        )
        assert np.all(np.isfinite(be.to_numpy(g))), dtype


def test_poisson_table_and_hard_sample_mean(be):
    rate = np.array([0.5, 3.0])
    lp, v, dropped = rx.truncated_poisson(be.asarray(np.log(rate)), size=15)
    np.testing.assert_allclose(
        be.to_numpy(dropped), stats.poisson.sf(14, rate), rtol=1e-6, atol=1e-15
    )
    want = (
        stats.poisson.logpmf(np.arange(15), rate[:, None])
        - np.log(stats.poisson.cdf(14, rate))[:, None]
    )
    np.testing.assert_allclose(be.to_numpy(lp), want, rtol=1e-10)
    n = 40_000
    lpb = be.asarray(np.broadcast_to(be.to_numpy(lp), (n, 2, 15)).copy())
    x = be.to_numpy(rx.generalized_gumbel_softmax(lpb, v, hard=True, rng=be.rng(1)))
    np.testing.assert_array_less(np.abs(x.mean(0) - rate), 4 * np.sqrt(rate / n))


def test_geometric_and_binomial_tables(be):
    p = np.array([0.3, 0.8])
    lp, _, dropped = rx.truncated_geometric(be.asarray(special.logit(p)), size=20)
    np.testing.assert_allclose(be.to_numpy(dropped), (1 - p) ** 20, rtol=1e-6)
    want = stats.geom.logpmf(np.arange(20) + 1, p[:, None]) - np.log1p(-((1 - p) ** 20))[:, None]
    np.testing.assert_allclose(be.to_numpy(lp), want, rtol=1e-10)
    lp, _, dropped = rx.truncated_binomial(be.asarray(special.logit(p)), total_count=7)
    np.testing.assert_allclose(
        be.to_numpy(lp), stats.binom.logpmf(np.arange(8), 7, p[:, None]), rtol=1e-10
    )
    assert np.all(be.to_numpy(dropped) < 1e-12)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_extremes(be, dtype):
    lp = be.asarray(np.array([[-50.0, 50.0, 0.0], [0.0, -50.0, 50.0]]), dtype)
    v = be.asarray(VALS, dtype)
    g = be.asarray(G, dtype)
    for t in (1e-3, 1.0, 1e3):
        for hard in (False, True):
            x = rx.generalized_gumbel_softmax(lp, v, temperature=t, hard=hard, noise=g)
            assert x.dtype == getattr(be.xp, dtype) and np.all(np.isfinite(be.to_numpy(x)))
            if be.differentiable:
                gr = be.grad(
                    lambda a, t=t, hard=hard: rx.generalized_gumbel_softmax(
                        a, v, temperature=t, hard=hard, noise=g
                    ),
                    lp,
                )
                assert gr.dtype == getattr(be.xp, dtype) and np.all(np.isfinite(be.to_numpy(gr)))


def test_soft_gradient_matches_finite_differences(be):
    if not be.differentiable:
        pytest.skip("no autodiff")
    t = 0.7
    w = np.linspace(-1.0, 2.0, LP.shape[0]) if LP.ndim > 1 else np.array(1.0)

    def ref(lp):
        probs = special.softmax((lp + G) / t, axis=-1)
        return ((probs * VALS).sum(-1) * w).sum()

    got = be.to_numpy(
        be.grad(
            lambda a: (
                rx.generalized_gumbel_softmax(
                    a, be.asarray(VALS), temperature=t, noise=be.asarray(G)
                )
                * be.asarray(w)
            ),
            be.asarray(LP),
        )
    )
    h = 1e-6
    fd = np.zeros_like(LP)
    for i in np.ndindex(LP.shape):
        e = np.zeros_like(LP)
        e[i] = h
        fd[i] = (ref(LP + e) - ref(LP - e)) / (2 * h)
    np.testing.assert_allclose(got, fd, rtol=1e-6, atol=1e-9)
