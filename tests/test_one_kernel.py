"""One kernel per method: every entry point of the straight-through Gumbel-softmax, of the
straight-through Bernoulli and of the Bernoulli threshold gives the same sample, sample by
sample, and the same gradient, for the same noise, on every backend."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special

import relaxarray as rx
from relaxarray import distributions as D
from relaxarray import estimators as est
from relaxarray.estimators._common import bernoulli_from_uniform

LOGITS = np.array([[0.4, -0.3, 1.0, 0.2], [2.0, -1.0, 0.0, 0.5], [-3.0, 1.5, 1.4, 0.0]])
W = np.array([1.0, -2.0, 0.5, 3.0])
BLOGITS = np.array([-3.0, -0.5, 0.0, 0.3, 1.0, 2.5, 8.0, -8.0])
BW = np.linspace(-1.0, 2.0, BLOGITS.size)


def _st_gs_entries(be, temperature):
    """Every ST Gumbel-softmax entry point, as ``fn(logits) -> one-hot`` with noise from
    ``be.rng(7)`` (the same uniform draw for all)."""
    t = temperature
    return {
        "gumbel_softmax(hard=True)": lambda x: rx.gumbel_softmax(
            x, temperature=t, hard=True, rng=be.rng(7)
        ),
        "estimators.st_gumbel_softmax": lambda x: est.st_gumbel_softmax(
            x, temperature=t, rng=be.rng(7)
        ),
        "StraightThroughCategorical.rsample": lambda x: D.StraightThroughCategorical(
            temperature=t, logits=x
        ).rsample(rng=be.rng(7)),
        "decoupled_st_gumbel_softmax(T_f=1)": lambda x: rx.decoupled_st_gumbel_softmax(
            x, forward_temperature=1.0, backward_temperature=t, rng=be.rng(7)
        ),
        "estimators.decoupled_st(T_f=1)": lambda x: est.decoupled_st(
            x, forward_temperature=1.0, backward_temperature=t, rng=be.rng(7)
        ),
    }


@pytest.mark.parametrize("temperature", [0.5, 2.0])
def test_st_gumbel_softmax_entry_points_agree(be, temperature):
    x = be.asarray(LOGITS)
    entries = _st_gs_entries(be, temperature)
    values = {k: be.to_numpy(f(x)) for k, f in entries.items()}
    first = values["gumbel_softmax(hard=True)"]
    np.testing.assert_array_equal(first.sum(-1), 1.0)
    for k, v in values.items():
        np.testing.assert_array_equal(v, first, err_msg=k)
    # the value is the Gumbel-max sample of the same noise
    np.testing.assert_array_equal(be.to_numpy(rx.gumbel_max(x, rng=be.rng(7))), first)
    w = be.asarray(W)
    grads = {k: be.to_numpy(be.grad(lambda v, f=f: f(v) * w, x)) for k, f in entries.items()}
    # reference: the Jacobian of softmax((logits + g) / T) at the drawn g, in NumPy
    u = be.to_numpy(rx.random.uniform(be.rng(7), LOGITS.shape, like=x))
    p = special.softmax((LOGITS - np.log(-np.log(u))) / temperature, axis=-1)
    ref = (p * W - p * (p * W).sum(-1, keepdims=True)) / temperature
    for k, g in grads.items():
        np.testing.assert_allclose(g, ref, rtol=1e-10, atol=1e-14, err_msg=k)


def _st_bernoulli_entries(be):
    return {
        "straight_through_bernoulli": lambda x: rx.straight_through_bernoulli(x, rng=be.rng(3)),
        "estimators.st_bernoulli": lambda x: est.st_bernoulli(x, rng=be.rng(3)),
        "StraightThroughBernoulli.rsample": lambda x: D.StraightThroughBernoulli(logits=x).rsample(
            rng=be.rng(3)
        ),
    }


def test_st_bernoulli_entry_points_agree(be):
    x = be.asarray(BLOGITS)
    entries = _st_bernoulli_entries(be)
    values = {k: be.to_numpy(f(x)) for k, f in entries.items()}
    u = be.to_numpy(rx.random.uniform(be.rng(3), BLOGITS.shape, like=x))
    ref = (u < special.expit(BLOGITS)).astype(float)
    for k, v in values.items():
        np.testing.assert_array_equal(v, ref, err_msg=k)
    np.testing.assert_array_equal(be.to_numpy(D.Bernoulli(logits=x).sample(rng=be.rng(3))), ref)
    w = be.asarray(BW)
    s = special.expit(BLOGITS)
    for k, f in entries.items():
        g = be.to_numpy(be.grad(lambda v, f=f: f(v) * w, x))
        np.testing.assert_allclose(g, BW * s * (1 - s), rtol=1e-12, err_msg=k)


def test_bernoulli_threshold_entry_points_agree(be):
    """``bernoulli_from_uniform``, the ST-Bernoulli, the stochastic-times-smooth gate and
    the ARM pair all threshold with the same kernel."""
    rng = np.random.default_rng(11)
    lg = rng.normal(0.0, 4.0, (64,))
    u = rng.uniform(0.0, 1.0, (64,))
    x, uu = be.asarray(lg), be.asarray(u)
    ref = (u < special.expit(lg)).astype(float)
    got = {
        "bernoulli_from_uniform": bernoulli_from_uniform(uu, x),
        "straight_through_bernoulli": rx.straight_through_bernoulli(x, noise=uu),
        "st_bernoulli": est.st_bernoulli(x, noise=uu),
        "stochastic_times_smooth > 0": rx.stochastic_times_smooth(x, noise=uu) > 0,
    }
    for k, v in got.items():
        np.testing.assert_array_equal(be.to_numpy(v).astype(float), ref, err_msg=k)


def _near_threshold_draws(offsets):
    """float32 logits in [-85, 85] and float32 uniforms ``offset`` ulps from sigma(l)."""
    rng = np.random.default_rng(5)
    f = np.float32
    lg = np.concatenate(
        [rng.uniform(-20, 20, 3000), rng.uniform(-85, 85, 3000), rng.uniform(10, 20, 2000)]
    ).astype(f)
    s64 = special.expit(lg.astype(np.float64))
    tiny, top = np.finfo(f).tiny, np.nextafter(f(1), f(0))
    base = np.clip(s64.astype(f), tiny, top)
    us, ls, refs = [], [], []
    for off in offsets:
        u = base.copy()
        for _ in range(abs(off)):
            u = np.nextafter(u, f(1) if off > 0 else f(0))
        u = np.clip(u, tiny, top).astype(f)
        us.append(u)
        ls.append(lg)
        refs.append(u.astype(np.float64) < s64)
    return np.concatenate(ls), np.concatenate(us), np.concatenate(refs).astype(float)


def test_bernoulli_threshold_is_exact_beyond_rounding_float32(be):
    """Against a float64 reference: every draw more than 3 ulps away from sigma(l) is
    classified exactly, in both tails (``u < sigmoid(l)`` computed as
    ``exp(log_sigmoid(l))`` and the log-space forms are not)."""
    lg, u, ref = _near_threshold_draws([-6, -5, -4, 4, 5, 6])
    x, uu = be.asarray(lg, "float32"), be.asarray(u, "float32")
    for k, v in {
        "straight_through_bernoulli": rx.straight_through_bernoulli(x, noise=uu),
        "bernoulli_from_uniform": bernoulli_from_uniform(uu, x),
        "st_bernoulli": est.st_bernoulli(x, noise=uu),
    }.items():
        np.testing.assert_array_equal(be.to_numpy(v), ref, err_msg=k)


def test_bernoulli_threshold_antithetic_is_the_mirror_event(be):
    """The ARM partner ``1[1 - u < sigma(l)]`` equals ``1[u' < sigma(l)]`` for ``u' = 1 - u``
    whenever ``1 - u`` is exact (u >= 1/2) and is ``1[u > sigma(-l)]`` by symmetry."""
    from relaxarray._bernoulli import _bernoulli_threshold

    rng = np.random.default_rng(2)
    lg = rng.normal(0.0, 5.0, 400)
    u = rng.uniform(0.0, 1.0, 400)
    xp = be.xp
    got = be.to_numpy(_bernoulli_threshold(xp, be.asarray(u), be.asarray(lg), antithetic=True))
    np.testing.assert_array_equal(got, (1.0 - u) < special.expit(lg))
