"""Decoupled straight-through Gumbel-softmax (Shah et al. 2024)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import special

import relaxarray as rx

LOGITS = np.array([[1.0, 2.0, 0.5, -1.0], [0.0, -3.0, 2.5, 1.0]])
G = np.array([[0.9, 0.0, 0.1, 2.5], [0.3, 1.0, -0.5, 0.7]])
W = np.array([1.0, -2.0, 0.5, 3.0])


def ref(logits, g, tf, tb):
    y = logits / tf + g
    hard = np.eye(y.shape[-1])[np.argmax(y, -1)]
    return hard, special.softmax(y / tb, axis=-1)


@pytest.mark.parametrize(("tf", "tb"), [(1.0, 0.5), (2.0, 0.5), (0.3, 3.0)])
def test_value_is_one_hot_of_scaled_logits(be, tf, tb):
    out = be.run(
        lambda x, g: rx.decoupled_st_gumbel_softmax(
            x, forward_temperature=tf, backward_temperature=tb, noise=g
        ),
        be.asarray(LOGITS),
        be.asarray(G),
    )
    np.testing.assert_array_equal(be.to_numpy(out), ref(LOGITS, G, tf, tb)[0])


def test_forward_temperature_sets_the_sampling_distribution(be):
    """Forward samples are Categorical(softmax(logits / T_f)): T_f is used."""
    logits = np.array([0.0, 1.0, 2.0])
    n = 30_000
    x = be.asarray(np.broadcast_to(logits, (n, 3)).copy())
    for i, tf in enumerate((0.5, 1.0, 3.0)):
        z = be.to_numpy(
            rx.decoupled_st_gumbel_softmax(
                x, forward_temperature=tf, backward_temperature=1.0, rng=be.rng(i)
            )
        )
        p = special.softmax(logits / tf)
        np.testing.assert_array_less(np.abs(z.mean(0) - p), 4 * np.sqrt(p * (1 - p) / n))


def test_backward_temperature_sets_the_gradient(be):
    """The gradient is that of softmax((logits / T_f + g) / T_b): T_b (and T_f) are used."""
    if not be.differentiable:
        pytest.skip("no autodiff")
    g = be.asarray(G)
    grads = {}
    for tf, tb in ((1.0, 0.5), (1.0, 2.0), (2.0, 0.5)):
        got = be.to_numpy(
            be.grad(
                lambda x, tf=tf, tb=tb: (
                    rx.decoupled_st_gumbel_softmax(
                        x, forward_temperature=tf, backward_temperature=tb, noise=g
                    )
                    * be.asarray(W)
                ),
                be.asarray(LOGITS),
            )
        )
        h = 1e-6
        fd = np.zeros_like(LOGITS)
        for idx in np.ndindex(LOGITS.shape):
            e = np.zeros_like(LOGITS)
            e[idx] = h
            fd[idx] = (
                (ref(LOGITS + e, G, tf, tb)[1] * W).sum()
                - (ref(LOGITS - e, G, tf, tb)[1] * W).sum()
            ) / (2 * h)
        np.testing.assert_allclose(got, fd, rtol=1e-6, atol=1e-10)
        grads[(tf, tb)] = got
    assert not np.allclose(grads[(1.0, 0.5)], grads[(1.0, 2.0)])
    assert not np.allclose(grads[(1.0, 0.5)], grads[(2.0, 0.5)])


def test_hand_derivation_value_and_gradient(be):
    r"""One row, fixed noise, worked by hand.

    :math:`y = \ell / T_f + g`; value :math:`\mathrm{onehot}(\arg\max y)`; the gradient of
    :math:`\sum_i w_i s_i` with :math:`s = \mathrm{softmax}(y / T_b)` is
    :math:`\partial / \partial \ell_j = s_j (w_j - \sum_i w_i s_i) / (T_f T_b)`
    (the softmax Jacobian :math:`(\mathrm{diag}(s) - s s^\top) / T_b` times
    :math:`\partial y / \partial \ell = 1 / T_f`).
    """
    lg, g, w = np.array([1.0, 2.0, 0.0]), np.array([0.6, -0.8, 0.1]), np.array([1.0, -1.0, 2.0])
    tf, tb = 2.0, 0.5
    # y = [0.5 + 0.6, 1.0 - 0.8, 0.0 + 0.1] = [1.1, 0.2, 0.1]: category 0 wins, although
    # category 1 has the largest logit (T_f = 1 would give y = [1.6, 1.2, 0.1], also 0; with
    # this noise T_f = 0.5 gives [2.6, 3.2, 0.1]: category 1)
    out = rx.decoupled_st_gumbel_softmax(
        be.asarray(lg), forward_temperature=tf, backward_temperature=tb, noise=be.asarray(g)
    )
    np.testing.assert_array_equal(be.to_numpy(out), [1.0, 0.0, 0.0])
    out = rx.decoupled_st_gumbel_softmax(
        be.asarray(lg), forward_temperature=0.5, backward_temperature=tb, noise=be.asarray(g)
    )
    np.testing.assert_array_equal(be.to_numpy(out), [0.0, 1.0, 0.0])
    if not be.differentiable:
        return
    # s = softmax([2.2, 0.4, 0.2]) by hand: e^0 = 1, e^-1.8, e^-2.0 over their sum
    e = np.array([1.0, math.exp(-1.8), math.exp(-2.0)])
    s = e / e.sum()
    want = s * (w - (w * s).sum()) / (tf * tb)
    got = be.grad(
        lambda x: (
            rx.decoupled_st_gumbel_softmax(
                x, forward_temperature=tf, backward_temperature=tb, noise=be.asarray(g)
            )
            * be.asarray(w)
        ),
        be.asarray(lg),
    )
    np.testing.assert_allclose(be.to_numpy(got), want, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_extremes(be, dtype):
    x = be.asarray(np.array([[-50.0, 50.0, 0.0], [1e4, -1e4, 0.0]]), dtype)
    g = be.asarray(np.array([[0.1, -0.2, 3.0], [0.0, 1.0, -1.0]]), dtype)
    for tf in (1e-3, 1.0, 1e3):
        for tb in (1e-3, 1.0, 1e3):
            out = rx.decoupled_st_gumbel_softmax(
                x, forward_temperature=tf, backward_temperature=tb, noise=g
            )
            assert out.dtype == getattr(be.xp, dtype)
            np.testing.assert_array_equal(be.to_numpy(out).sum(-1), 1.0)
            if be.differentiable:
                gr = be.grad(
                    lambda v, tf=tf, tb=tb: (
                        rx.decoupled_st_gumbel_softmax(
                            v, forward_temperature=tf, backward_temperature=tb, noise=g
                        )
                        * be.asarray(np.array([1.0, -1.0, 2.0]), dtype)
                    ),
                    x,
                )
                assert gr.dtype == getattr(be.xp, dtype)
                assert np.all(np.isfinite(be.to_numpy(gr)))


def test_noise_with_leading_sample_axes(be):
    """A negative axis counts from the noise's end: logits (2, 4) with noise (3, 2, 4)."""
    g = np.random.default_rng(8).gumbel(size=(3, *LOGITS.shape))
    out = be.to_numpy(
        rx.decoupled_st_gumbel_softmax(
            be.asarray(LOGITS),
            forward_temperature=0.5,
            backward_temperature=2.0,
            noise=be.asarray(g),
        )
    )
    assert out.shape == (3, *LOGITS.shape)
    np.testing.assert_array_equal(out, ref(LOGITS, g, 0.5, 2.0)[0])


def test_one_construction_for_both_entry_points(be):
    """rx.decoupled_st_gumbel_softmax and estimators.decoupled_st are one kernel: same
    one-hot and same gradient for g = -log(-log u) at T_f != 1."""
    u = np.random.default_rng(9).uniform(size=LOGITS.shape)
    g = -np.log(-np.log(u))
    a = lambda x: rx.decoupled_st_gumbel_softmax(  # noqa: E731
        x, forward_temperature=0.25, backward_temperature=1.0, noise=be.asarray(g)
    )
    b = lambda x: rx.estimators.decoupled_st(  # noqa: E731
        x, forward_temperature=0.25, backward_temperature=1.0, noise=be.asarray(u)
    )
    x = be.asarray(LOGITS)
    np.testing.assert_array_equal(be.to_numpy(a(x)), be.to_numpy(b(x)))
    np.testing.assert_array_equal(be.to_numpy(a(x)), ref(LOGITS, g, 0.25, 1.0)[0])
    w = be.asarray(W)
    ga = be.to_numpy(be.grad(lambda v: a(v) * w, x))
    gb = be.to_numpy(be.grad(lambda v: b(v) * w, x))
    np.testing.assert_allclose(ga, gb, rtol=1e-12)


def test_validation(be):
    x = be.asarray(LOGITS)
    with pytest.raises(ValueError, match="backward_temperature"):
        rx.decoupled_st_gumbel_softmax(x, forward_temperature=1.0, backward_temperature=0.0, rng=0)
    with pytest.raises(ValueError, match="not both"):
        rx.decoupled_st_gumbel_softmax(
            x, forward_temperature=1.0, backward_temperature=1.0, rng=0, noise=x
        )
