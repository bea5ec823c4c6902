"""Kumaraswamy and HardKuma (Bastings et al. 2019)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import integrate, special, stats

from relaxarray.distributions import HardKumaraswamy, Kumaraswamy

LO, HI = -0.1, 1.1


def ref_icdf(u, a, b):
    return (1 - (1 - u) ** (1 / b)) ** (1 / a)


def ref_cdf(x, a, b):
    return 1 - (1 - x**a) ** b


def ref_pdf(x, a, b):
    return a * b * x ** (a - 1) * (1 - x**a) ** (b - 1)


A = np.array([0.5, 1.0, 2.0, 5.0])
B = np.array([0.7, 1.0, 3.0, 0.4])
U = np.array([0.1, 0.5, 0.77, 0.95])


def test_kumaraswamy_sample_log_prob_cdf(be):
    d = Kumaraswamy(be.asarray(A), be.asarray(B))
    x = be.run(
        lambda a, b, u: Kumaraswamy(a, b).rsample(noise=u),
        be.asarray(A),
        be.asarray(B),
        be.asarray(U),
    )
    np.testing.assert_allclose(be.to_numpy(x), ref_icdf(U, A, B), rtol=1e-12)
    v = np.array([0.2, 0.5, 0.9, 0.3])
    np.testing.assert_allclose(
        be.to_numpy(d.log_prob(be.asarray(v))), np.log(ref_pdf(v, A, B)), rtol=1e-12
    )
    np.testing.assert_allclose(be.to_numpy(d.cdf(be.asarray(v))), ref_cdf(v, A, B), rtol=1e-12)
    # outside [0, 1]: a ValueError naming the support; -inf with validation off
    with pytest.raises(ValueError, match=r"outside the support.*\[0, 1\]"):
        d.log_prob(be.asarray(np.array([-0.1, 0.5, 0.5, 1.5])))
    dv = Kumaraswamy(be.asarray(A), be.asarray(B), validate_args=False)
    out = be.to_numpy(dv.log_prob(be.asarray(np.array([-0.1, 0.5, 0.5, 1.5]))))
    assert out[0] == -np.inf and out[3] == -np.inf
    # exactly 0 or 1 (a sample that rounded to the boundary): the density of the nearest
    # interior float, finite
    edge = np.array([0.0, 1.0, 0.0, 1.0])
    near = np.where(edge == 0.0, np.finfo(np.float64).smallest_normal, 1 - 2.0**-53)
    with np.errstate(over="ignore"):
        ref = np.log(A * B) + (A - 1) * np.log(near) + (B - 1) * np.log(-np.expm1(A * np.log(near)))
    np.testing.assert_allclose(be.to_numpy(d.log_prob(be.asarray(edge))), ref, rtol=1e-10)


@pytest.mark.parametrize(("a", "b"), [(0.5, 0.7), (2.0, 3.0), (5.0, 0.4)])
def test_kumaraswamy_moments_entropy_and_ks(a, b):
    d = Kumaraswamy(np.array(a), np.array(b))
    pdf = lambda x: ref_pdf(x, a, b)  # noqa: E731
    mean = integrate.quad(lambda x: x * pdf(x), 0, 1)[0]
    m2 = integrate.quad(lambda x: x * x * pdf(x), 0, 1)[0]
    ent = integrate.quad(lambda x: -pdf(x) * np.log(pdf(x)), 0, 1, limit=200)[0]
    np.testing.assert_allclose(d.mean, mean, rtol=1e-8)
    np.testing.assert_allclose(d.variance, m2 - mean**2, rtol=1e-7)
    np.testing.assert_allclose(d.entropy(), ent, rtol=1e-6, atol=1e-8)
    tot = integrate.quad(lambda x: float(np.exp(d.log_prob(np.array(x)))), 0, 1, limit=200)[0]
    assert abs(tot - 1) < 1e-7
    x = d.sample((20_000,), rng=3)
    assert stats.kstest(x, lambda t: ref_cdf(t, a, b)).pvalue > 1e-3


def ref_masses(a, b):
    x0, x1 = -LO / (HI - LO), (1 - LO) / (HI - LO)
    return ref_cdf(x0, a, b), 1 - ref_cdf(x1, a, b)


def test_hardkuma_masses_match_closed_form(be):
    a, b = np.array([0.5, 1.0, 2.0]), np.array([0.5, 1.0, 1.5])
    d = HardKumaraswamy(be.asarray(a), be.asarray(b))
    p0, p1 = ref_masses(a, b)
    np.testing.assert_allclose(be.to_numpy(d.prob_zero), p0, rtol=1e-12)
    np.testing.assert_allclose(be.to_numpy(d.prob_one), p1, rtol=1e-12)
    np.testing.assert_allclose(be.to_numpy(d.expected_l0), 1 - p0, rtol=1e-12)
    n = 40_000
    h = be.to_numpy(d.sample((n,), rng=be.rng(2)))
    tol = 4 * np.sqrt(0.25 / n)
    np.testing.assert_allclose((h == 0).mean(0), p0, atol=tol)
    np.testing.assert_allclose((h == 1).mean(0), p1, atol=tol)
    np.testing.assert_allclose((h != 0).mean(0), 1 - p0, atol=tol)


@pytest.mark.parametrize(("a", "b"), [(0.5, 0.5), (1.0, 1.0), (3.0, 0.8)])
def test_hardkuma_integrates_to_one_and_histogram(a, b):
    d = HardKumaraswamy(np.array(a), np.array(b))
    cont = integrate.quad(lambda v: float(np.exp(d.log_prob(np.array(v)))), 0, 1, limit=200)[0]
    assert abs(cont + float(d.prob_zero) + float(d.prob_one) - 1) < 1e-7
    lp = d.log_prob(np.array([0.0, 1.0, 0.4]))
    p0, p1 = ref_masses(a, b)
    np.testing.assert_allclose(
        lp, np.log([p0, p1, ref_pdf((0.4 - LO) / (HI - LO), a, b) / (HI - LO)]), rtol=1e-10
    )
    n = 100_000
    h = np.asarray(d.sample((n,), rng=9))
    edges = np.linspace(0, 1, 11)
    counts, _ = np.histogram(h[(h > 0) & (h < 1)], bins=edges)
    expect = n * np.array(
        [
            ref_cdf((hi - LO) / (HI - LO), a, b) - ref_cdf((lo - LO) / (HI - LO), a, b)
            for lo, hi in itertools.pairwise(edges)
        ]
    )
    np.testing.assert_array_less(np.abs(counts - expect), 5 * np.sqrt(expect) + 1)


def test_gradients_match_fd(be):
    if not be.differentiable:
        pytest.skip("no autodiff")
    u = be.asarray(U)
    for which in ("a", "b"):

        def f(p, which=which):
            a = p if which == "a" else be.asarray(A)
            b = p if which == "b" else be.asarray(B)
            return HardKumaraswamy(a, b, stretch=(-0.5, 1.5)).rsample(noise=u)

        def ref(p, which=which):
            a = p if which == "a" else A
            b = p if which == "b" else B
            return np.clip(-0.5 + 2.0 * ref_icdf(U, a, b), 0, 1)

        x0 = A if which == "a" else B
        g = be.to_numpy(be.grad(f, be.asarray(x0)))
        h = 1e-6
        fd = (ref(x0 + h) - ref(x0 - h)) / (2 * h)
        np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-10)
        g = be.to_numpy(be.grad(lambda p, which=which: _l0(be, p, which), be.asarray(x0)))
        fd = (_l0_ref(x0 + h, which) - _l0_ref(x0 - h, which)) / (2 * h)
        np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-9)


def _l0(be, p, which):
    a = p if which == "a" else be.asarray(A)
    b = p if which == "b" else be.asarray(B)
    return HardKumaraswamy(a, b).expected_l0


def _l0_ref(p, which):
    a = p if which == "a" else A
    b = p if which == "b" else B
    return 1 - ref_masses(a, b)[0]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_extremes(be, dtype):
    a = be.asarray(np.array([1e-3, 1e-3, 1e3, 1e3, 1.0]), dtype)
    b = be.asarray(np.array([1e-3, 1e3, 1e-3, 1e3, 1.0]), dtype)
    tiny = 1e-37 if dtype == "float32" else 1e-300
    for u0 in (tiny, 0.5, 1 - 1e-7):
        u = be.asarray(np.full(5, u0), dtype)
        d = HardKumaraswamy(a, b)
        h = d.rsample(noise=u)
        assert h.dtype == getattr(be.xp, dtype)
        assert np.all(np.isfinite(be.to_numpy(h)))
        for v in (d.prob_zero, d.prob_one, d.expected_l0):
            assert v.dtype == getattr(be.xp, dtype)
            assert np.all(np.isfinite(be.to_numpy(v)))
        assert not np.any(np.isnan(be.to_numpy(d.log_prob(h))))
        if be.differentiable:
            for fn in (
                lambda p, u=u: HardKumaraswamy(p, b).rsample(noise=u),
                lambda p: HardKumaraswamy(p, b).expected_l0,
            ):
                g = be.grad(fn, a)
                assert g.dtype == getattr(be.xp, dtype)
                assert np.all(np.isfinite(be.to_numpy(g)))


def test_validation(be):
    with pytest.raises(ValueError, match="a must"):
        Kumaraswamy(be.asarray(np.array([-1.0])), be.asarray(np.array([1.0])))
    with pytest.raises(ValueError, match="stretch"):
        HardKumaraswamy(
            be.asarray(np.array([1.0])), be.asarray(np.array([1.0])), stretch=(0.0, 1.0)
        )


def test_special_values_sanity():
    # Kuma(1, b) is Beta(1, b); check the mean formula against it
    d = Kumaraswamy(np.array(1.0), np.array(3.0))
    assert math.isclose(float(d.mean), 0.25, rel_tol=1e-12)
    assert math.isclose(float(d.entropy()), stats.beta(1, 3).entropy(), rel_tol=1e-10)
    assert special.beta(1, 1) == 1
