"""Distribution classes: densities vs formulas/quadrature/own sampler, KL, pytrees, training."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.integrate as si
import scipy.special as sp
import scipy.stats as st

from relaxarray.distributions import (
    Bernoulli,
    Categorical,
    ExpRelaxedOneHotCategorical,
    Normal,
    OneHotCategorical,
    RelaxedBernoulli,
    RelaxedOneHotCategorical,
    StraightThroughBernoulli,
    StraightThroughCategorical,
    kl_divergence,
)
from relaxarray.testing import requires_backend


def _maddison_concrete(y, logits, t):
    """Maddison et al. 2017, eq. for the Concrete density, computed directly in float64."""
    k = len(y)
    a = np.exp(logits)
    num = np.prod(a * y ** (-t - 1))
    return math.factorial(k - 1) * t ** (k - 1) * num / np.sum(a * y ** (-t)) ** k


def _maddison_binary(y, logit, t):
    a = math.exp(logit)
    return t * a * y ** (-t - 1) * (1 - y) ** (-t - 1) / (a * y ** (-t) + (1 - y) ** (-t)) ** 2


def test_concrete_density_equals_formula(be):
    rng = np.random.default_rng(0)
    logits = rng.normal(size=3)
    for t in (0.3, 1.0, 2.5):
        d = RelaxedOneHotCategorical(temperature=t, logits=be.asarray(logits))
        ys = rng.dirichlet(np.ones(3), size=5)
        lp = be.to_numpy(d.log_prob(be.asarray(ys)))
        ref = [math.log(_maddison_concrete(y, logits, t)) for y in ys]
        np.testing.assert_allclose(lp, ref, rtol=1e-12)
        de = ExpRelaxedOneHotCategorical(temperature=t, logits=be.asarray(logits))
        lpe = be.to_numpy(de.log_prob(be.asarray(np.log(ys))))
        np.testing.assert_allclose(lpe, np.array(ref) + np.log(ys).sum(-1), rtol=1e-12)
        db = RelaxedBernoulli(temperature=t, logits=be.asarray(logits))
        yb = rng.uniform(0.01, 0.99, size=(4, 3))
        refb = [
            [math.log(_maddison_binary(y, lg, t)) for y, lg in zip(r, logits, strict=True)]
            for r in yb
        ]
        np.testing.assert_allclose(be.to_numpy(db.log_prob(be.asarray(yb))), refb, rtol=1e-12)


@pytest.mark.parametrize("t", [0.5, 1.0, 3.0])
def test_densities_integrate_to_one(t):
    lg = 0.7
    f = RelaxedBernoulli(temperature=t, logits=np.array(lg))
    val, _ = si.quad(lambda y: math.exp(f.log_prob(np.array(y))), 0, 1, limit=200, points=[0.5])
    assert abs(val - 1) < 1e-6
    fx, _ = si.quad(lambda x: math.exp(f.log_prob_logit(np.array(x))), -np.inf, np.inf)
    assert abs(fx - 1) < 1e-8
    c2 = RelaxedOneHotCategorical(temperature=t, logits=np.array([0.3, -0.4]))
    v2, _ = si.quad(lambda y: math.exp(c2.log_prob(np.array([y, 1 - y]))), 0, 1, limit=200)
    assert abs(v2 - 1) < 1e-6
    e2 = ExpRelaxedOneHotCategorical(temperature=t, logits=np.array([0.3, -0.4]))

    def exp_integrand(x1):
        x2 = math.log1p(-math.exp(x1))
        return math.exp(float(e2.log_prob(np.array([x1, x2]))) - x2)

    v2e, _ = si.quad(exp_integrand, -60, 0, limit=400)
    assert abs(v2e - 1) < 1e-6
    if t >= 1.0:  # K = 3 on the simplex, 2-D quadrature (bounded density for T >= 1)
        c3 = RelaxedOneHotCategorical(temperature=t, logits=np.array([0.2, -0.5, 0.4]))
        v3, _ = si.dblquad(
            lambda y2, y1: math.exp(c3.log_prob(np.array([y1, y2, max(1 - y1 - y2, 1e-300)]))),
            0,
            1,
            0,
            lambda y1: 1 - y1,
            epsabs=1e-7,
        )
        assert abs(v3 - 1) < 1e-4


def test_discrete_masses_sum_to_one_and_entropy_kl(be):
    p = np.array([[0.1, 0.1, 0.8], [0.3, 0.3, 0.4]])
    q = np.array([[0.2, 0.5, 0.3], [0.6, 0.2, 0.2]])
    for cls in (Categorical, OneHotCategorical):
        d, e = cls(probs=be.asarray(p)), cls(logits=be.asarray(np.log(q) + 3.0))
        vals = [
            be.asarray(np.array([k, k]), "int64")
            if cls is Categorical
            else be.asarray(np.tile(np.eye(3)[k], (2, 1)))
            for k in range(3)
        ]
        mass = np.stack([np.exp(be.to_numpy(d.log_prob(v))) for v in vals], -1)
        np.testing.assert_allclose(mass, p, rtol=1e-12)
        np.testing.assert_allclose(be.to_numpy(d.entropy()), -(p * np.log(p)).sum(-1), rtol=1e-12)
        np.testing.assert_allclose(
            be.to_numpy(kl_divergence(d, e)), (p * np.log(p / q)).sum(-1), rtol=1e-12
        )
    pb, qb = np.array([0.1, 0.5, 0.97]), np.array([0.3, 0.4, 0.5])
    b, c = Bernoulli(probs=be.asarray(pb)), Bernoulli(logits=be.asarray(sp.logit(qb)))
    m1 = np.exp(be.to_numpy(b.log_prob(be.asarray(np.ones(3)))))
    m0 = np.exp(be.to_numpy(b.log_prob(be.asarray(np.zeros(3)))))
    np.testing.assert_allclose(m0 + m1, 1.0, rtol=1e-12)
    np.testing.assert_allclose(m1, pb, rtol=1e-12)
    np.testing.assert_allclose(be.to_numpy(b.entropy()), st.bernoulli(pb).entropy(), rtol=1e-12)
    ref = pb * np.log(pb / qb) + (1 - pb) * np.log((1 - pb) / (1 - qb))
    np.testing.assert_allclose(be.to_numpy(kl_divergence(b, c)), ref, rtol=1e-10)
    np.testing.assert_allclose(be.to_numpy(b.mean), pb, rtol=1e-12)
    np.testing.assert_array_equal(be.to_numpy(b.mode), [0.0, 0.0, 1.0])
    n1, n2 = (
        Normal(be.asarray(np.array(0.3)), be.asarray(np.array(0.5))),
        Normal(be.asarray(np.array(-1.0)), be.asarray(np.array(2.0))),
    )
    ref = math.log(2.0 / 0.5) + (0.25 + 1.3**2) / 8.0 - 0.5
    np.testing.assert_allclose(float(be.to_numpy(kl_divergence(n1, n2))), ref, rtol=1e-12)
    np.testing.assert_allclose(
        float(be.to_numpy(n1.log_prob(be.asarray(np.array(1.0))))),
        st.norm(0.3, 0.5).logpdf(1.0),
        rtol=1e-12,
    )
    np.testing.assert_allclose(
        float(be.to_numpy(n1.entropy())), st.norm(0, 0.5).entropy(), rtol=1e-12
    )
    with pytest.raises(NotImplementedError):
        kl_divergence(RelaxedBernoulli(temperature=1.0, probs=be.asarray(pb)), c)


def test_samplers_match_densities(be):
    n = 20000
    probs = np.array([0.1, 0.1, 0.8])
    for cls in (OneHotCategorical, StraightThroughCategorical):
        d = cls(probs=be.asarray(probs))
        y = be.to_numpy(
            d.rsample((n,), rng=be.rng(0)) if d.has_rsample else d.sample((n,), rng=be.rng(0))
        )
        assert st.chisquare(y.sum(0), probs * n).pvalue > 1e-3
    idx = be.to_numpy(Categorical(probs=be.asarray(probs)).sample(n, rng=be.rng(1)))
    assert st.chisquare(np.bincount(idx, minlength=3), probs * n).pvalue > 1e-3
    for cls in (Bernoulli, StraightThroughBernoulli):
        b = be.to_numpy(cls(probs=be.asarray(np.array(0.1))).sample(n, rng=be.rng(2)))
        assert st.chisquare([n - b.sum(), b.sum()], [0.9 * n, 0.1 * n]).pvalue > 1e-3
    # binary Concrete: the sampler's CDF is sigmoid(T logit(y) - l); density = its derivative
    lg, t = 0.7, 0.6
    rb = RelaxedBernoulli(temperature=t, logits=be.asarray(np.array(lg)))
    yb = be.to_numpy(rb.rsample(n, rng=be.rng(3)))

    def cdf(y):
        return sp.expit(t * sp.logit(y) - lg)

    assert st.kstest(yb, cdf).pvalue > 1e-3
    grid = np.linspace(0.05, 0.95, 7)
    dens = np.exp(be.to_numpy(rb.log_prob(be.asarray(grid))))
    np.testing.assert_allclose(dens, (cdf(grid + 1e-6) - cdf(grid - 1e-6)) / 2e-6, rtol=1e-6)
    # K = 3 Concrete: sample moments vs moments of the density by 2-D quadrature
    logits, t = np.array([0.2, -0.5, 0.4]), 1.5
    c3 = RelaxedOneHotCategorical(temperature=t, logits=be.asarray(logits))
    y3 = be.to_numpy(c3.rsample(n, rng=be.rng(4)))
    ref = RelaxedOneHotCategorical(temperature=t, logits=logits)
    for g in (lambda y: y[0], lambda y: y[0] * y[1]):
        m, _ = si.dblquad(
            lambda y2, y1, g=g: (
                g((y1, y2)) * math.exp(ref.log_prob(np.array([y1, y2, max(1 - y1 - y2, 1e-300)])))
            ),
            0,
            1,
            0,
            lambda y1: 1 - y1,
            epsabs=1e-6,
        )
        vals = g((y3[:, 0], y3[:, 1]))
        assert abs(vals.mean() - m) < 4 * vals.std() / math.sqrt(n)


def test_float32_underflow_log_prob_finite(be):
    logits = be.asarray(np.array([8.0, -8.0, 0.0]), "float32")
    rb = RelaxedBernoulli(temperature=0.02, logits=logits)
    y = rb.sample(2000, rng=be.rng(0))
    yn = be.to_numpy(y)
    assert ((yn == 0) | (yn == 1)).any()  # the case the log-space form must survive
    assert np.isfinite(be.to_numpy(rb.log_prob(y))).all()
    x = rb.rsample_logit(2000, rng=be.rng(0))
    assert np.isfinite(be.to_numpy(rb.log_prob_logit(x))).all()
    c = RelaxedOneHotCategorical(temperature=0.02, logits=logits)
    yc = c.sample(500, rng=be.rng(1))
    assert (be.to_numpy(yc) == 0).any()
    assert np.isfinite(be.to_numpy(c.log_prob(yc))).all()
    e = ExpRelaxedOneHotCategorical(temperature=0.02, logits=logits)
    xe = e.sample(500, rng=be.rng(1))
    assert np.isfinite(be.to_numpy(xe)).all() and np.isfinite(be.to_numpy(e.log_prob(xe))).all()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_extreme_distributions_finite(be, dtype):
    logits = be.asarray(np.array([50.0, -50.0, 0.0]), dtype)
    for t in (1e-3, 1.0, 1e3):
        for d in (
            RelaxedBernoulli(temperature=t, logits=logits),
            ExpRelaxedOneHotCategorical(temperature=t, logits=logits),
            RelaxedOneHotCategorical(temperature=t, logits=logits),
        ):
            y = d.rsample(4, rng=be.rng(0))
            assert np.isfinite(be.to_numpy(y)).all()
            assert np.isfinite(be.to_numpy(d.log_prob(y))).all()
            if be.differentiable:

                def lp(lg, d=d, y=y, t=t):
                    return type(d)(temperature=t, logits=lg).log_prob(y)

                g = be.grad(lp, logits)
                assert np.isfinite(be.to_numpy(g)).all()


def test_log_prob_gradients_finite_differences(be):
    logits = np.array([0.3, -0.8, 1.1])
    y = np.array([0.2, 0.5, 0.3])
    g = be.grad(
        lambda lg: RelaxedOneHotCategorical(temperature=0.7, logits=lg).log_prob(be.asarray(y)),
        be.asarray(logits),
    )
    f = RelaxedOneHotCategorical(temperature=0.7, logits=logits)
    ref = [
        (
            float(RelaxedOneHotCategorical(temperature=0.7, logits=logits + e).log_prob(y))
            - float(RelaxedOneHotCategorical(temperature=0.7, logits=logits - e).log_prob(y))
        )
        / 2e-6
        for e in np.eye(3) * 1e-6
    ]
    np.testing.assert_allclose(be.to_numpy(g), ref, rtol=1e-6)
    assert f.batch_shape == () and f.event_shape == (3,)
    g = be.grad(
        lambda lg: RelaxedBernoulli(temperature=0.7, logits=lg).log_prob(be.asarray(y)),
        be.asarray(logits),
    )
    ref = (
        RelaxedBernoulli(temperature=0.7, logits=logits + 1e-6).log_prob(y)
        - RelaxedBernoulli(temperature=0.7, logits=logits - 1e-6).log_prob(y)
    ) / 2e-6
    np.testing.assert_allclose(be.to_numpy(g), ref, rtol=1e-6)
    # the ST rsample's gradient is the soft sample's / the identity pseudo-gradient
    u_rng = be.rng(5)
    gst = be.grad(
        lambda p: StraightThroughBernoulli(probs=p).rsample(rng=u_rng),
        be.asarray(np.array([0.2, 0.7])),
    )
    np.testing.assert_allclose(be.to_numpy(gst), [1.0, 1.0], rtol=1e-12)


def test_batched_temperature_and_expand(be):
    logits = be.asarray(np.zeros((4, 3)))
    t = be.asarray(np.array([0.5, 1.0, 2.0, 4.0]))
    d = RelaxedOneHotCategorical(temperature=t, logits=logits)
    assert d.batch_shape == (4,) and d.event_shape == (3,)
    y = d.rsample(5, rng=be.rng(0))
    assert tuple(y.shape) == (5, 4, 3)
    lp = be.to_numpy(d.log_prob(y))
    assert lp.shape == (5, 4)
    for i, ti in enumerate([0.5, 1.0, 2.0, 4.0]):
        ref = RelaxedOneHotCategorical(temperature=ti, logits=np.zeros(3)).log_prob(
            be.to_numpy(y)[:, i]
        )
        np.testing.assert_allclose(lp[:, i], ref, rtol=1e-10)
    rb = RelaxedBernoulli(temperature=t, logits=be.asarray(np.zeros(4)))
    assert rb.batch_shape == (4,)
    with pytest.raises(ValueError, match="temperature"):  # must broadcast *to* the batch
        RelaxedBernoulli(temperature=t, logits=be.asarray(np.zeros(1)))
    assert be.to_numpy(rb.log_prob(rb.rsample(rng=be.rng(1)))).shape == (4,)
    e = StraightThroughCategorical(temperature=0.5, logits=be.asarray(np.zeros(3))).expand((2, 5))
    assert type(e) is StraightThroughCategorical and e.temperature == 0.5
    assert e.batch_shape == (2, 5) and e.has_rsample
    assert tuple(e.rsample(rng=be.rng(0)).shape) == (2, 5, 3)
    r = RelaxedBernoulli(temperature=0.3, probs=be.asarray(np.array(0.4))).expand((3,))
    assert type(r) is RelaxedBernoulli and r.batch_shape == (3,)


def test_validation_errors(be):
    p = be.asarray(np.array([0.2, 0.8]))
    with pytest.raises(ValueError, match="not both"):
        Bernoulli(logits=p, probs=p)
    with pytest.raises(ValueError, match="neither"):
        Categorical()
    for bad in ([0.2, 1.1], [-0.1, 0.5], [np.nan, 0.5]):
        with pytest.raises(ValueError, match="probs"):
            OneHotCategorical(probs=be.asarray(np.array(bad)))
    for t in (0.0, -1.0):
        with pytest.raises(ValueError, match="temperature"):
            RelaxedBernoulli(temperature=t, probs=p)
        with pytest.raises(ValueError, match="temperature"):
            RelaxedOneHotCategorical(temperature=t, probs=p)
    with pytest.raises(ValueError, match="temperature"):
        RelaxedOneHotCategorical(
            temperature=be.asarray(np.ones(3)), logits=be.asarray(np.zeros((2, 4)))
        )
    with pytest.raises(ValueError, match="temperature"):
        RelaxedBernoulli(temperature=be.asarray(np.array([0.0, 1.0])), logits=p)
    with pytest.raises(NotImplementedError, match="closed-form"):
        RelaxedBernoulli(temperature=1.0, probs=p).entropy()


@requires_backend("jax")
def test_jax_pytrees():
    jax = pytest.importorskip("jax")
    jnp = jax.numpy
    logits = jnp.array([[0.1, -0.3, 0.5], [1.0, 0.0, -1.0]])
    d = RelaxedOneHotCategorical(temperature=0.5, logits=logits)
    y = d.rsample(rng=jax.random.key(0))
    out = jax.jit(lambda dist, v: dist.log_prob(v))(d, y)
    np.testing.assert_allclose(np.asarray(out), np.asarray(d.log_prob(y)), rtol=1e-12)
    dj = jax.jit(lambda dist: dist)(d)
    assert type(dj) is RelaxedOneHotCategorical and dj.temperature == 0.5
    vm = jax.vmap(lambda dist, v: dist.log_prob(v))(d, y)
    np.testing.assert_allclose(np.asarray(vm), np.asarray(out), rtol=1e-12)
    g = jax.grad(lambda dist: dist.log_prob(y).sum())(d)
    assert type(g) is RelaxedOneHotCategorical and g._logits.shape == (2, 3)

    def loss(dist, key):
        return jnp.sum(dist.rsample(rng=key) ** 2)

    gn = jax.jit(jax.grad(loss))(Normal(jnp.array([0.5]), jnp.array([2.0])), jax.random.key(1))
    z = Normal(jnp.array([0.0]), jnp.array([1.0])).rsample(rng=jax.random.key(1))
    np.testing.assert_allclose(np.asarray(gn.loc), 2 * (0.5 + 2.0 * np.asarray(z)), rtol=1e-12)


@requires_backend("torch")
def test_torch_training_loop():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    loc = torch.nn.Parameter(torch.zeros(2, dtype=torch.float64))
    log_scale = torch.nn.Parameter(torch.zeros(2, dtype=torch.float64))
    logits = torch.nn.Parameter(torch.zeros(3, dtype=torch.float64))
    opt = torch.optim.Adam([loc, log_scale, logits], lr=0.05)
    data = torch.tensor([2] * 70 + [0] * 20 + [1] * 10)
    cat = Categorical(logits=logits)  # built once: gradients reach the Parameter every step
    losses = []
    for _ in range(300):
        opt.zero_grad()
        d = Normal(loc, torch.exp(log_scale))
        y = d.rsample(64, rng=gen)
        loss = ((y - 3.0) ** 2).mean() - cat.log_prob(data).mean()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert np.mean(losses[-20:]) < 0.5 * np.mean(losses[:20])
    np.testing.assert_allclose(loc.detach().numpy(), [3.0, 3.0], atol=0.15)
    np.testing.assert_allclose(
        torch.softmax(logits, -1).detach().numpy(), [0.2, 0.1, 0.7], atol=0.02
    )
