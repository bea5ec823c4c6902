"""REBAR and RELAX: unbiased (mean of per-sample estimates vs the exact gradient by
enumeration), and lower variance than REINFORCE on the toy problem after adapting
eta/temperature/control by descending the estimator's second moment."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from relaxarray import estimators as est
from relaxarray.testing import requires_backend

W = np.array([1.0, -0.7, 0.4])
THETA_B = np.array([0.3, -1.0, 0.8])
THETA_C = np.array([0.2, -0.5, 1.0])


def _sig(x):
    return 1 / (1 + np.exp(-x))


def exact_bernoulli():
    p = _sig(THETA_B)
    g = np.zeros(3)
    for bits in itertools.product([0.0, 1.0], repeat=3):
        b = np.array(bits)
        pb = np.prod(np.where(b > 0, p, 1 - p))
        g += pb * ((b @ W - 0.3) ** 2) * (b - p)
    return g


def exact_categorical():
    q = np.exp(THETA_C) / np.exp(THETA_C).sum()
    fk = (W - 0.3) ** 2
    return q * (fk - q @ fk)


def _f(be):
    w = be.asarray(W)

    def f(b):
        return (be.xp.sum(b * w, axis=-1) - 0.3) ** 2

    return f


CASES = [
    ("rebar", "bernoulli"),
    ("rebar", "categorical"),
    ("relax", "bernoulli"),
    ("relax", "categorical"),
]


@pytest.mark.parametrize("method,dist", CASES)
def test_unbiased_by_enumeration(be, method, dist):
    if not be.differentiable:
        pytest.skip("needs autodiff")
    n = 20000
    theta = THETA_B if dist == "bernoulli" else THETA_C
    logits = be.asarray(np.broadcast_to(theta, (n, 3)).copy())
    noise = be.asarray(np.random.default_rng(0).uniform(size=(2, 1, n, 3)))
    f = _f(be)
    phi = be.asarray([0.5, 0.3])

    def control(z):  # an arbitrary (imperfect) control variate
        s = 1 / (1 + be.xp.exp(-z))
        return phi[0] * f(s) + phi[1] * be.xp.sum(s, axis=-1)

    def sur(t):
        if method == "rebar":
            return est.rebar(f, t, eta=0.8, temperature=0.6, distribution=dist, noise=noise)
        return est.relax(f, t, control=control, distribution=dist, noise=noise)

    g = be.to_numpy(be.grad(sur, logits))
    exact = exact_bernoulli() if dist == "bernoulli" else exact_categorical()
    se = g.std(axis=0) / np.sqrt(n)
    assert np.all(np.abs(g.mean(axis=0) - exact) < 4.5 * se), (g.mean(axis=0), exact, se)
    v = be.to_numpy(sur(logits))
    b_val = be.to_numpy(f(be.asarray(np.zeros((1, 1, 3)))))  # sanity: value is f(b)
    assert v.shape == (n,) and b_val.shape == (1, 1)


def _variance_setup(be, t_target, n):
    f = lambda b: (b - t_target) ** 2  # noqa: E731
    return f, be.asarray(np.zeros(n))


def _per_sample_grads_torch(f, logits, eta, temp, noise, create_graph):
    import torch

    x = logits.detach().clone().requires_grad_(True)
    out = est.rebar(f, x, eta=eta, temperature=temp, noise=noise)
    (g,) = torch.autograd.grad(out.sum(), x, create_graph=create_graph)
    return g


@requires_backend("torch")
@pytest.mark.parametrize("t_target", [0.45, 0.499])
def test_rebar_adaptation_torch(t_target):
    # Descending E[g^2] over (eta, log temperature) from a poor start (eta=1, T=0.1,
    # variance ~5x REINFORCE's) reaches REINFORCE's level. Finding (documented): on this
    # toy problem at theta=0, REBAR's control f(sigmoid(z/T)) is a poor baseline and the
    # adapted REBAR does not go clearly *below* plain REINFORCE; RELAX with a learned
    # control does (test_relax_adapted_control_jax).
    torch = pytest.importorskip("torch")
    n = 4000
    f = lambda b: (b - t_target) ** 2  # noqa: E731
    logits = torch.zeros(n, dtype=torch.float64)
    eta = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
    log_temp = torch.tensor(np.log(0.1), dtype=torch.float64, requires_grad=True)
    gen = torch.Generator().manual_seed(0)
    opt = torch.optim.Adam([eta, log_temp], lr=0.05)
    for _ in range(60):
        noise = torch.rand((2, 1, n), generator=gen, dtype=torch.float64).clamp_min(1e-300)
        g = _per_sample_grads_torch(f, logits, eta, log_temp.exp(), noise, True)
        loss = (g**2).mean()  # E[g^2] = Var + const(mean): its phi-gradient is Var's
        opt.zero_grad()
        loss.backward()
        opt.step()
    noise = torch.rand((2, 1, n), generator=gen, dtype=torch.float64).clamp_min(1e-300)
    g = _per_sample_grads_torch(f, logits, eta.detach(), log_temp.exp().detach(), noise, False)
    u = noise[0, 0]
    b = (u > 0.5).double()  # z = logit(u) > 0 at theta = 0
    g_reinforce = f(b) * (b - 0.5)
    exact = 0.5 * ((1 - t_target) ** 2 - t_target**2) * 0.5
    assert abs(g.mean().item() - exact) < 4 * g.std().item() / np.sqrt(n) + 1e-12
    g0 = _per_sample_grads_torch(f, logits, 1.0, 0.1, noise, False)
    assert g.var().item() < 1.1 * g_reinforce.var().item()
    assert g.var().item() < 0.3 * g0.var().item()


@requires_backend("jax")
def test_relax_adapted_control_jax():
    jax = pytest.importorskip("jax")
    jnp = jax.numpy
    n, t_target = 4000, 0.499
    f = lambda b: (b - t_target) ** 2  # noqa: E731
    logits = jnp.zeros(n)

    def control(phi, z):
        s = jax.nn.sigmoid(z / jnp.exp(phi[3]))
        return phi[0] + phi[1] * s + phi[2] * s**2

    def grads(phi, key):
        noise = jax.random.uniform(key, (2, 1, n), minval=1e-12, maxval=1.0, dtype=jnp.float64)
        sur = lambda t: est.relax(f, t, control=lambda z: control(phi, z), noise=noise).sum()  # noqa: E731
        return jax.grad(sur)(logits)

    var_loss = jax.jit(lambda phi, key: jnp.mean(grads(phi, key) ** 2))
    step = jax.jit(jax.grad(var_loss))
    phi = jnp.array([0.0, 0.0, 0.0, 0.0])
    key = jax.random.key(0)
    start = float(var_loss(phi, jax.random.key(99)))
    for i in range(150):
        phi = phi - 0.5 * step(phi, jax.random.fold_in(key, i))
    g = grads(phi, jax.random.key(123))
    end = float(jnp.var(g))
    noise = jax.random.uniform(
        jax.random.key(123), (2, 1, n), minval=1e-12, maxval=1.0, dtype=jnp.float64
    )
    b = (noise[0, 0] > 0.5).astype(jnp.float64)
    var_reinforce = float(jnp.var(f(b) * (b - 0.5)))
    assert end < 0.5 * var_reinforce
    assert end < 0.5 * start


@requires_backend("torch")
@pytest.mark.parametrize("theta,eta,lam", [(0.3, 0.9, 0.5), (-1.2, 1.3, 0.2)])
def test_rebar_bernoulli_matches_hand_derived_tucker_formula(theta, eta, lam):
    # Independent check of the REBAR estimator against Tucker et al. (2017) written out by
    # hand (conditional noise as in the authors' code, duvenaud/relax):
    #   z = theta + logit u, b = H(z); z~ = theta + logit(w), w = 1 - p + v p (b = 1),
    #   w = (1 - v')(1 - p) (b = 0; v' = v, our orientation of the same uniform);
    #   g = [f(b) - eta f(s(z~))] (b - p) + eta d/dtheta f(s(z)) - eta d/dtheta f(s(z~)),
    #   s(z) = sigmoid(z / lambda).
    torch = pytest.importorskip("torch")
    n, t = 2000, 0.45
    noise = np.random.default_rng(0).uniform(size=(2, 1, n))
    u, v = noise[0, 0], noise[1, 0]
    p = _sig(theta)
    z = theta + np.log(u) - np.log1p(-u)
    b = (z > 0) * 1.0
    w = np.where(b > 0, 1 - p + v * p, (1 - v) * (1 - p))
    dw = -(1 - v) * p * (1 - p)
    zt = theta + np.log(w) - np.log1p(-w)
    dzt = 1 + dw / (w * (1 - w))

    def f(s):
        return (s - t) ** 2

    def dc(zz):
        s = _sig(zz / lam)
        return eta * 2 * (s - t) * s * (1 - s) / lam

    g_ref = (f(b) - eta * f(_sig(zt / lam))) * (b - p) + dc(z) - dc(zt) * dzt
    x = torch.full((n,), theta, dtype=torch.float64, requires_grad=True)
    out = est.rebar(f, x, eta=eta, temperature=lam, noise=torch.tensor(noise))
    (g,) = torch.autograd.grad(out.sum(), x)
    np.testing.assert_allclose(g.numpy(), g_ref, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("method", ["rebar", "relax"])
@pytest.mark.parametrize("dist", ["bernoulli", "categorical"])
def test_decoder_parameters_get_the_plain_pathwise_gradient(be, method, dist):
    """f's own parameters w (a tiny decoder) get grad_w mean_s f(b_s; w) at the sampled b_s
    by default, not grad f(b) + eta grad[f(sigma(z)) - f(sigma(z~))]; the former behaviour
    stays behind parameter_gradient="control_variate"."""
    if not be.differentiable:
        pytest.skip("no autodiff")
    theta = THETA_B if dist == "bernoulli" else THETA_C
    s = 5
    noise = np.random.default_rng(21).uniform(1e-6, 1.0, (2, s, theta.size))
    u = noise[0]
    if dist == "bernoulli":
        b = (theta + np.log(u) - np.log1p(-u) > 0).astype(float)
    else:
        b = np.eye(theta.size)[np.argmax(theta - np.log(-np.log(u)), -1)]
    xp = be.xp

    def f(bb, w):
        return (xp.sum(bb * w, axis=-1) - 0.3) ** 2

    def sur(w, option="plain"):
        g = lambda bb: f(bb, w)  # noqa: E731
        x, nz = be.asarray(theta), be.asarray(noise)
        if method == "rebar":
            return est.rebar(
                g,
                x,
                eta=0.8,
                temperature=0.6,
                distribution=dist,
                noise=nz,
                parameter_gradient=option,
            )
        return est.relax(
            g,
            x,
            control=lambda z: 0.5 * g(z),
            distribution=dist,
            noise=nz,
            parameter_gradient=option,
        )

    w0 = be.asarray(W)
    got = be.to_numpy(be.grad(sur, w0))
    ref = np.mean(2 * ((b * W).sum(-1) - 0.3)[:, None] * b, axis=0)
    np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-14)
    old = be.to_numpy(be.grad(lambda w: sur(w, "control_variate"), w0))
    assert not np.allclose(old, ref, rtol=1e-3)
    # the logits' gradient is unchanged by the option
    x0 = be.asarray(theta)

    def sur_theta(x, option):
        g = lambda bb: f(bb, w0)  # noqa: E731
        nz = be.asarray(noise)
        if method == "rebar":
            return est.rebar(
                g,
                x,
                eta=0.8,
                temperature=0.6,
                distribution=dist,
                noise=nz,
                parameter_gradient=option,
            )
        return est.relax(
            g,
            x,
            control=lambda z: 0.5 * g(z),
            distribution=dist,
            noise=nz,
            parameter_gradient=option,
        )

    np.testing.assert_allclose(
        be.to_numpy(be.grad(lambda x: sur_theta(x, "plain"), x0)),
        be.to_numpy(be.grad(lambda x: sur_theta(x, "control_variate"), x0)),
        rtol=1e-12,
    )
    with pytest.raises(ValueError, match="parameter_gradient"):
        sur(w0, "bogus")
