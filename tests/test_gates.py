"""Hard concrete, Gaussian stochastic gates and stochastic times smooth."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import integrate, special, stats

import relaxarray as rx
from relaxarray.distributions import GaussianGate, HardConcrete

GAMMA, ZETA = -0.1, 1.1


# -- NumPy float64 references --------------------------------------------------------------
def ref_hard_concrete(la, u, t=2 / 3, gamma=GAMMA, zeta=ZETA):
    s = special.expit((np.log(u) - np.log1p(-u) + la) / t)
    return np.clip(s * (zeta - gamma) + gamma, 0.0, 1.0)


def ref_p0(la, t=2 / 3, gamma=GAMMA, zeta=ZETA):
    return special.expit(t * np.log(-gamma / zeta) - la)


def ref_p1(la, t=2 / 3, gamma=GAMMA, zeta=ZETA):
    return special.expit(la - t * np.log((1 - gamma) / (zeta - 1)))


def ref_density(z, la, t=2 / 3, gamma=GAMMA, zeta=ZETA):
    """Binary concrete density (Maddison et al. 2017) pushed through the stretch."""
    s = (z - gamma) / (zeta - gamma)
    a = np.exp(la)
    p_s = t * a * s ** (-t - 1) * (1 - s) ** (-t - 1) / (a * s ** (-t) + (1 - s) ** (-t)) ** 2
    return p_s / (zeta - gamma)


def fd_elementwise(f, x, h=1e-6):
    """Central differences of an elementwise function (its Jacobian's diagonal)."""
    return (f(x + h) - f(x - h)) / (2 * h)


LA = np.array([-3.0, -1.0, 0.0, 0.5, 2.0, 4.0])
U = np.array([0.03, 0.3, 0.5, 0.62, 0.2, 0.01])


# -- hard concrete -----------------------------------------------------------------------------
@pytest.mark.parametrize("t", [2 / 3, 0.1, 3.0])
def test_hard_concrete_matches_reference(be, t):
    out = be.run(rx.hard_concrete, be.asarray(LA), temperature=t, noise=be.asarray(U))
    np.testing.assert_allclose(
        be.to_numpy(out), ref_hard_concrete(LA, U, t), rtol=1e-12, atol=1e-15
    )
    assert out.dtype == be.xp.float64


def test_hard_concrete_custom_stretch(be):
    out = rx.hard_concrete(be.asarray(LA), stretch=(-0.5, 1.3), noise=be.asarray(U))
    np.testing.assert_allclose(
        be.to_numpy(out), ref_hard_concrete(LA, U, 2 / 3, -0.5, 1.3), rtol=1e-12, atol=1e-15
    )


def _draw(be, fn, shape, **kw):
    """Sample at the full shape by passing native uniform noise from ``be.rng``."""
    from relaxarray import random

    u = random.uniform(be.rng(3), shape, like=be.asarray(np.zeros(1)))
    return fn(noise=u, **kw)


def test_hard_concrete_masses_match_closed_form_sampled(be):
    la = np.array([-2.0, 0.0, 1.5])
    t = np.array([0.5, 2 / 3, 1.5])
    n = 40_000
    z = be.to_numpy(
        _draw(
            be,
            lambda **kw: rx.hard_concrete(be.asarray(la), temperature=be.asarray(t), **kw),
            (n, 3),
        )
    )
    p0, p1 = ref_p0(la, t), ref_p1(la, t)
    tol = 4 * np.sqrt(0.25 / n)
    np.testing.assert_allclose((z == 0).mean(0), p0, atol=tol)
    np.testing.assert_allclose((z == 1).mean(0), p1, atol=tol)
    l0 = be.to_numpy(rx.hard_concrete_l0(be.asarray(la), temperature=be.asarray(t)))
    np.testing.assert_allclose((z != 0).mean(0), l0, atol=tol)


def test_hard_concrete_batch_independent_noise(be):
    """rng= draws one independent uniform per entry: neighbouring gates are uncorrelated."""
    la = be.asarray(np.zeros((200, 50)))
    z = be.to_numpy(rx.hard_concrete(la, rng=be.rng(5)))
    a, b = z[:, :-1].ravel(), z[:, 1:].ravel()
    assert abs(np.corrcoef(a, b)[0, 1]) < 4 / math.sqrt(a.size)
    assert len(np.unique(z)) > 1000


@pytest.mark.parametrize("la", [-1.0, 0.0, 2.0])
@pytest.mark.parametrize("t", [0.3, 2 / 3, 1.5])
def test_hard_concrete_density_and_masses_integrate_to_one(la, t):
    d = HardConcrete(np.array(la), temperature=t)
    cont, _ = integrate.quad(lambda v: float(np.exp(d.log_prob(np.array(v)))), 0, 1, limit=200)
    total = cont + float(d.prob_zero) + float(d.prob_one)
    assert abs(total - 1) < 1e-8
    grid = np.linspace(0.01, 0.99, 50)
    np.testing.assert_allclose(np.exp(d.log_prob(grid)), ref_density(grid, la, t), rtol=1e-10)


def test_hard_concrete_log_prob_backends(be):
    la = be.asarray(np.array([-1.0, 0.5, 2.0, 0.0, 0.0]))
    v = np.array([0.0, 1.0, 0.3, 0.999, 1.5])
    d = HardConcrete(la, temperature=0.5)
    lp = be.to_numpy(
        be.run(lambda a, x: HardConcrete(a, temperature=0.5).log_prob(x), la, be.asarray(v))
    )
    la_np = be.to_numpy(la)
    want = np.array(
        [
            np.log(ref_p0(la_np[0], 0.5)),
            np.log(ref_p1(la_np[1], 0.5)),
            np.log(ref_density(0.3, la_np[2], 0.5)),
            np.log(ref_density(0.999, la_np[3], 0.5)),
            -np.inf,
        ]
    )
    np.testing.assert_allclose(lp, want, rtol=1e-10)
    np.testing.assert_allclose(be.to_numpy(d.expected_l0), 1 - ref_p0(la_np, 0.5), rtol=1e-12)


def test_hard_concrete_histogram_matches_density():
    la, t, n = 0.7, 0.5, 200_000
    d = HardConcrete(np.full((n,), la), temperature=t)
    z = d.sample(rng=11)
    inner = z[(z > 0) & (z < 1)]
    edges = np.linspace(0, 1, 21)
    counts, _ = np.histogram(inner, bins=edges)
    expect = np.array(
        [
            integrate.quad(lambda v: ref_density(v, la, t), a, b)[0]
            for a, b in itertools.pairwise(edges)
        ]
    )
    expect *= n
    # Poisson 5-sigma per bin
    np.testing.assert_array_less(np.abs(counts - expect), 5 * np.sqrt(expect) + 1)


def test_hard_concrete_grad_matches_fd(be):
    if not be.differentiable:
        pytest.skip("no autodiff")
    la = np.array([-0.5, 0.0, 0.3, 1.0])
    u = np.array([0.4, 0.5, 0.45, 0.3])  # all strictly inside (0, 1) after the stretch
    for t in (2 / 3, 1.3):
        g = be.to_numpy(
            be.grad(
                lambda x, t=t: rx.hard_concrete(x, temperature=t, noise=be.asarray(u)),
                be.asarray(la),
            )
        )
        fd = fd_elementwise(lambda x, t=t: ref_hard_concrete(x, u, t), la)
        np.testing.assert_allclose(g, fd, rtol=1e-6)
    # gradient to an array temperature
    tt = np.array([0.5, 0.7, 0.9, 1.1])
    g = be.to_numpy(
        be.grad(
            lambda t: rx.hard_concrete(be.asarray(la), temperature=t, noise=be.asarray(u)),
            be.asarray(tt),
        )
    )
    fd = fd_elementwise(lambda t: ref_hard_concrete(la, u, t), tt)
    np.testing.assert_allclose(g, fd, rtol=1e-6)
    # the L0 penalty
    g = be.to_numpy(be.grad(lambda x: rx.hard_concrete_l0(x), be.asarray(la)))
    fd = fd_elementwise(lambda x: 1 - ref_p0(x), la)
    np.testing.assert_allclose(g, fd, rtol=1e-6)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("t", [1e-3, 2 / 3, 1e3])
def test_hard_concrete_extremes(be, dtype, t):
    la = be.asarray(np.array([-50.0, -1e4, 0.0, 50.0, 1e4]), dtype=dtype)
    u = be.asarray(
        np.array([1e-30 if dtype == "float64" else 1e-37, 0.5, 0.999999, 0.5, 0.7]), dtype=dtype
    )
    z = rx.hard_concrete(la, temperature=t, noise=u)
    assert z.dtype == getattr(be.xp, dtype)
    assert np.all(np.isfinite(be.to_numpy(z)))
    l0 = rx.hard_concrete_l0(la, temperature=t)
    assert l0.dtype == getattr(be.xp, dtype) and np.all(np.isfinite(be.to_numpy(l0)))
    d = HardConcrete(la, temperature=t)
    lp = be.to_numpy(d.log_prob(z))
    assert not np.any(np.isnan(lp))
    if be.differentiable:
        for fn in (
            lambda x: rx.hard_concrete(x, temperature=t, noise=u),
            lambda x: rx.hard_concrete_l0(x, temperature=t),
            lambda x: rx.hard_concrete_gate(x),
        ):
            g = be.grad(fn, la)
            assert g.dtype == getattr(be.xp, dtype)
            assert np.all(np.isfinite(be.to_numpy(g)))


def test_hard_concrete_gate_values(be):
    out = rx.hard_concrete_gate(be.asarray(LA))
    want = np.clip(special.expit(LA) * (ZETA - GAMMA) + GAMMA, 0, 1)
    np.testing.assert_allclose(be.to_numpy(out), want, rtol=1e-12, atol=1e-15)


def test_hard_concrete_rsample_shape_and_grad(be):
    d = HardConcrete(be.asarray(np.array([0.0, 1.0])))
    z = d.rsample((500,), rng=be.rng(0))
    assert tuple(z.shape) == (500, 2)
    if be.base == "torch":
        import torch

        la = torch.tensor([0.0, 1.0], dtype=torch.float64, requires_grad=True)
        HardConcrete(la).rsample((10,), rng=be.rng(0)).sum().backward()
        assert la.grad is not None and torch.all(la.grad > 0)


def test_gate_validation(be):
    la = be.asarray(np.zeros(3))
    with pytest.raises(ValueError, match="not both"):
        rx.hard_concrete(la, rng=0, noise=be.asarray(np.full(3, 0.5)))
    with pytest.raises(ValueError, match="temperature"):
        rx.hard_concrete(la, temperature=0.0, rng=0)
    with pytest.raises(ValueError, match="stretch"):
        rx.hard_concrete(la, stretch=(0.1, 1.1), rng=0)
    with pytest.raises(ValueError, match="noise"):
        rx.hard_concrete(la, noise=be.asarray(np.full(4, 0.5)))
    with pytest.raises(ValueError, match="sigma"):
        rx.gaussian_gate(la, sigma=-1.0, rng=0)
    with pytest.raises(TypeError, match="log_alpha"):
        rx.hard_concrete(be.asarray(np.zeros(3, dtype=np.int64), dtype=None), rng=0)


# -- Gaussian gates ----------------------------------------------------------------------------
MU = np.array([-0.3, 0.2, 0.5, 0.8, 1.4])
EPS = np.array([0.5, -0.1, 0.3, 0.1, -1.5])


def test_gaussian_gate_matches_reference(be):
    out = be.run(rx.gaussian_gate, be.asarray(MU), sigma=0.5, noise=be.asarray(EPS))
    np.testing.assert_allclose(
        be.to_numpy(out), np.clip(MU + 0.5 * EPS, 0, 1), rtol=1e-13, atol=1e-15
    )
    l0 = be.run(rx.gaussian_gate_l0, be.asarray(MU), sigma=0.5)
    np.testing.assert_allclose(be.to_numpy(l0), stats.norm.cdf(MU / 0.5), rtol=1e-12)


def test_gaussian_gate_masses(be):
    mu = np.array([-0.2, 0.3, 0.9])
    n = 40_000
    z = be.to_numpy(
        rx.gaussian_gate(be.asarray(np.broadcast_to(mu, (n, 3)).copy()), sigma=0.5, rng=be.rng(2))
    )
    tol = 4 * np.sqrt(0.25 / n)
    np.testing.assert_allclose((z == 0).mean(0), stats.norm.cdf(-mu / 0.5), atol=tol)
    np.testing.assert_allclose((z == 1).mean(0), stats.norm.cdf((mu - 1) / 0.5), atol=tol)
    d = GaussianGate(be.asarray(mu), sigma=0.5)
    np.testing.assert_allclose((z > 0).mean(0), be.to_numpy(d.expected_l0), atol=tol)
    np.testing.assert_allclose(be.to_numpy(d.prob_one), stats.norm.cdf((mu - 1) / 0.5), rtol=1e-12)


@pytest.mark.parametrize("mu", [-0.4, 0.5, 1.2])
def test_gaussian_gate_integrates_to_one(mu):
    d = GaussianGate(np.array(mu), sigma=0.3)
    cont, _ = integrate.quad(lambda v: float(np.exp(d.log_prob(np.array(v)))), 0, 1)
    assert abs(cont + float(d.prob_zero) + float(d.prob_one) - 1) < 1e-10
    np.testing.assert_allclose(
        d.log_prob(np.array([0.0, 1.0, 0.4, -0.1])),
        [
            stats.norm.logcdf(-mu / 0.3),
            stats.norm.logcdf((mu - 1) / 0.3),
            stats.norm.logpdf(0.4, mu, 0.3),
            -np.inf,
        ],
        rtol=1e-10,
    )


def test_gaussian_gate_grads(be):
    if not be.differentiable:
        pytest.skip("no autodiff")
    mu = np.array([0.2, 0.5, 0.7])
    eps = np.array([0.3, -0.4, 0.2])
    sig = np.array([0.3, 0.5, 0.8])
    g = be.to_numpy(
        be.grad(
            lambda m: rx.gaussian_gate(m, sigma=be.asarray(sig), noise=be.asarray(eps)),
            be.asarray(mu),
        )
    )
    np.testing.assert_allclose(g, np.ones(3), rtol=1e-12)
    g = be.to_numpy(
        be.grad(
            lambda s: rx.gaussian_gate(be.asarray(mu), sigma=s, noise=be.asarray(eps)),
            be.asarray(sig),
        )
    )
    np.testing.assert_allclose(g, eps, rtol=1e-12)
    g = be.to_numpy(
        be.grad(lambda m: rx.gaussian_gate_l0(m, sigma=be.asarray(sig)), be.asarray(mu))
    )
    np.testing.assert_allclose(g, fd_elementwise(lambda m: stats.norm.cdf(m / sig), mu), rtol=1e-6)
    g = be.to_numpy(
        be.grad(lambda s: rx.gaussian_gate_l0(be.asarray(mu), sigma=s), be.asarray(sig))
    )
    np.testing.assert_allclose(g, fd_elementwise(lambda s: stats.norm.cdf(mu / s), sig), rtol=1e-6)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_gaussian_gate_extremes(be, dtype):
    mu = be.asarray(np.array([-50.0, -1e4, 0.5, 50.0, 1e4]), dtype=dtype)
    eps = be.asarray(np.array([8.0, -8.0, 0.0, 1.0, 3.0]), dtype=dtype)
    for sigma in (1e-3, 0.5, 1e3):
        z = rx.gaussian_gate(mu, sigma=sigma, noise=eps)
        l0 = rx.gaussian_gate_l0(mu, sigma=sigma)
        for v in (z, l0):
            assert v.dtype == getattr(be.xp, dtype) and np.all(np.isfinite(be.to_numpy(v)))
        if be.differentiable:
            for fn in (
                lambda m, sigma=sigma: rx.gaussian_gate(m, sigma=sigma, noise=eps),
                lambda m, sigma=sigma: rx.gaussian_gate_l0(m, sigma=sigma),
            ):
                g = be.grad(fn, mu)
                assert g.dtype == getattr(be.xp, dtype) and np.all(np.isfinite(be.to_numpy(g)))


# -- stochastic times smooth ----------------------------------------------------------------------
def test_stochastic_times_smooth_values_and_grad(be):
    a = np.array([-2.0, -0.5, 0.0, 0.7, 3.0])
    u = np.array([0.05, 0.5, 0.49, 0.9, 0.5])
    p = special.expit(a)
    b = (u < p).astype(float)
    out = be.run(rx.stochastic_times_smooth, be.asarray(a), noise=be.asarray(u))
    np.testing.assert_allclose(be.to_numpy(out), b * p, rtol=1e-13)
    if be.differentiable:
        g = be.to_numpy(
            be.grad(lambda x: rx.stochastic_times_smooth(x, noise=be.asarray(u)), be.asarray(a))
        )
        np.testing.assert_allclose(g, b * p * (1 - p), rtol=1e-12)


def test_stochastic_times_smooth_mean(be):
    a = np.array([-1.0, 0.0, 2.0])
    n = 40_000
    h = be.to_numpy(
        rx.stochastic_times_smooth(be.asarray(np.broadcast_to(a, (n, 3)).copy()), rng=be.rng(4))
    )
    p = special.expit(a)
    # E[h] = p^2, Var[h] = p^2 (1 - p) p^0 ... <= p^2 / 4 bound -> 4 sigma with sd <= 0.5
    np.testing.assert_allclose(h.mean(0), p**2, atol=4 * 0.5 / np.sqrt(n))
    np.testing.assert_allclose((h > 0).mean(0), p, atol=4 * 0.5 / np.sqrt(n))


def test_noise_shared_across_the_batch_is_refused() -> None:
    """One noise draw broadcast over a batch is a classic bug: every entry must get its own."""
    log_alpha = np.zeros((4, 3))
    with pytest.raises(ValueError, match="full shape"):
        rx.hard_concrete(log_alpha, noise=np.full((3,), 0.5))
    with pytest.raises(ValueError, match="full shape"):
        rx.gumbel_top_k(log_alpha, 1, noise=np.zeros((1, 3)))
