"""Bridges: relaxarray distributions as torch/Pyro and NumPyro distributions, JAX-style
``sample(key, shape)`` / ``sample(seed=key)``, and SVI on a discrete-latent model."""

from __future__ import annotations

import math

import numpy as np
import pytest

import relaxarray as rx
from relaxarray import distributions as D
from relaxarray.testing import requires_backend

# -- the discrete-latent model shared by the SVI tests ---------------------------------------
# z ~ Bernoulli(1/2), x | z ~ Normal(MU[z], 1), x observed; guide q(z) = Bernoulli(sigmoid(phi)).
MU = (-2.0, 2.0)
X_OBS = 0.5
PHI0 = -1.0


def _log_normal(x: float, mu: float) -> float:
    return -0.5 * (x - mu) ** 2 - 0.5 * math.log(2 * math.pi)


def exact_elbo(phi: float) -> float:
    """ELBO(phi) = sum_z q(z) [log p(z) + log p(x|z) - log q(z)], by enumeration."""
    q1 = 1 / (1 + math.exp(-phi))
    total = 0.0
    for z, qz in ((0, 1 - q1), (1, q1)):
        total += qz * (math.log(0.5) + _log_normal(X_OBS, MU[z]) - math.log(qz))
    return total


def exact_elbo_grad(phi: float, h: float = 1e-6) -> float:
    return (exact_elbo(phi + h) - exact_elbo(phi - h)) / (2 * h)


def test_exact_elbo_gradient_sign() -> None:
    # the optimum is the posterior logit: log p(x|1) - log p(x|0) = 4 x = 2 > PHI0
    assert exact_elbo_grad(PHI0) > 0.1
    assert abs(exact_elbo_grad(4 * X_OBS)) < 1e-6


# -- torch / Pyro ------------------------------------------------------------------------------


@requires_backend("torch")
def test_to_torch_is_a_torch_distribution_delegating_to_relaxarray() -> None:
    torch = pytest.importorskip("torch")
    lg = torch.tensor([0.3, -1.2, 2.0], dtype=torch.float64)
    d = D.Bernoulli(logits=lg)
    w = d.to_torch()
    assert isinstance(w, torch.distributions.Distribution) and w.base is d
    assert rx.interop.to_torch(d).base is d
    assert w.batch_shape == torch.Size([3]) and not w.has_rsample
    v = torch.tensor([1.0, 0.0, 1.0], dtype=torch.float64)
    ref = torch.distributions.Bernoulli(logits=lg)
    torch.testing.assert_close(w.log_prob(v), ref.log_prob(v))
    torch.testing.assert_close(w.entropy(), ref.entropy())
    torch.testing.assert_close(w.mean, ref.mean)
    assert w.expand((4, 3)).batch_shape == torch.Size([4, 3])
    # sampling draws from torch's global generator
    torch.manual_seed(0)
    a = w.sample((5,))
    torch.manual_seed(0)
    assert torch.equal(a, w.sample((5,)))
    r = D.RelaxedBernoulli(temperature=0.5, logits=lg.clone().requires_grad_(True)).to_torch()
    assert r.has_rsample and r.rsample((2,)).requires_grad
    with pytest.raises(TypeError, match="torch tensors"):
        D.Bernoulli(logits=np.zeros(3)).to_torch()


@requires_backend("torch")
@pytest.mark.parametrize(
    "make",
    [
        lambda t, a, b: (D.Normal(a, t.exp(b)), D.Normal(b, t.exp(a))),
        lambda t, a, b: (D.Bernoulli(logits=a), D.Bernoulli(logits=b)),
        lambda t, a, b: (D.Categorical(logits=a), D.Categorical(logits=b)),
        lambda t, a, b: (D.Dirichlet(t.exp(a)), D.Dirichlet(t.exp(b))),
    ],
    ids=["Normal", "Bernoulli", "Categorical", "Dirichlet"],
)
def test_torch_kl_divergence_of_wrapped_pair_is_relaxarrays(make) -> None:  # type: ignore[no-untyped-def]
    torch = pytest.importorskip("torch")
    gen = np.random.default_rng(1)
    a = torch.tensor(gen.normal(size=4))
    b = torch.tensor(gen.normal(size=4))
    p, q = make(torch, a, b)
    got = torch.distributions.kl_divergence(p.to_torch(), q.to_torch())
    torch.testing.assert_close(got, D.kl_divergence(p, q), rtol=0, atol=0)
    # and relaxarray's value is torch's own for the same pair (an independent reference)
    ref = {
        "Normal": lambda: (
            torch.distributions.Normal(p.loc, p.scale),
            torch.distributions.Normal(q.loc, q.scale),
        ),
        "Bernoulli": lambda: (
            torch.distributions.Bernoulli(logits=a),
            torch.distributions.Bernoulli(logits=b),
        ),
        "Categorical": lambda: (
            torch.distributions.Categorical(logits=a),
            torch.distributions.Categorical(logits=b),
        ),
        "Dirichlet": lambda: (
            torch.distributions.Dirichlet(a.exp()),
            torch.distributions.Dirichlet(b.exp()),
        ),
    }[type(p).__name__]()
    torch.testing.assert_close(got, torch.distributions.kl_divergence(*ref))


@requires_backend("torch")
def test_pyro_svi_trains_a_discrete_latent_model() -> None:
    torch = pytest.importorskip("torch")
    pyro = pytest.importorskip("pyro")
    from pyro.infer import SVI, TraceGraph_ELBO

    x = torch.tensor(X_OBS, dtype=torch.float64)
    mu = torch.tensor(MU, dtype=torch.float64)

    def model() -> None:
        z = pyro.sample("z", D.Bernoulli(logits=torch.zeros((), dtype=torch.float64)).to_torch())
        pyro.sample("x", D.Normal(mu[z.long()], 1.0).to_torch(), obs=x)

    def guide() -> None:
        phi = pyro.param("phi", torch.tensor(PHI0, dtype=torch.float64))
        pyro.sample("z", D.Bernoulli(logits=phi).to_torch())

    pyro.clear_param_store()
    pyro.set_rng_seed(0)
    # one step's gradient: Pyro's score-function estimate, averaged over many particles,
    # matches the exact gradient of the ELBO (enumeration + finite differences)
    elbo = TraceGraph_ELBO(num_particles=4000, vectorize_particles=True, max_plate_nesting=0)
    guide()
    loss_grads = []
    for _ in range(2):
        pyro.get_param_store()["phi"].grad = None
        elbo.loss_and_grads(model, guide)
        loss_grads.append(float(pyro.param("phi").grad))
    exact = exact_elbo_grad(PHI0)
    # -d loss/dphi = dELBO/dphi; the per-particle standard deviation is below 3, so the
    # standard error of a 4000-particle mean is below 0.05
    for g in loss_grads:
        assert -g == pytest.approx(exact, abs=0.2)
    # a few SVI steps: phi moves the exact gradient's way and the exact ELBO improves
    pyro.clear_param_store()
    svi = SVI(
        model,
        guide,
        pyro.optim.Adam({"lr": 0.1}),
        loss=TraceGraph_ELBO(num_particles=64, vectorize_particles=True, max_plate_nesting=0),
    )
    for _ in range(15):
        svi.step()
    phi = float(pyro.param("phi").detach())
    assert (phi - PHI0) * exact > 0
    assert exact_elbo(phi) > exact_elbo(PHI0) + 0.1


# -- JAX / NumPyro -------------------------------------------------------------------------------


@requires_backend("jax")
def test_jax_key_first_and_seed_keyword() -> None:
    jax = pytest.importorskip("jax")
    jnp = jax.numpy
    d = D.RelaxedBernoulli(temperature=0.5, logits=jnp.asarray([0.3, -1.2, 2.0]))
    key = jax.random.key(3)
    ref = np.asarray(d.sample((4,), rng=key))
    for got in (
        d.sample(key, (4,)),
        d.sample(seed=key, sample_shape=(4,)),
        d.sample(key=key, sample_shape=(4,)),
        d.rsample(key, (4,)),
        d.rsample(seed=key, sample_shape=4),
    ):
        np.testing.assert_array_equal(np.asarray(got), ref)
    assert d.sample(key).shape == (3,)
    other = np.asarray(d.sample((4,), rng=jax.random.key(4)))
    assert not np.array_equal(other, ref)
    with pytest.raises(TypeError, match="pass the random key once"):
        d.sample(key, (4,), seed=key)


@requires_backend("jax")
def test_to_numpyro_delegates() -> None:
    jax = pytest.importorskip("jax")
    nd = pytest.importorskip("numpyro.distributions")
    jnp = jax.numpy
    lg = jnp.asarray([0.3, -1.2, 2.0])
    d = D.Bernoulli(logits=lg)
    w = d.to_numpyro()
    assert isinstance(w, nd.Distribution) and w.base is d and not w.has_rsample
    v = jnp.asarray([1.0, 0.0, 1.0])
    np.testing.assert_allclose(w.log_prob(v), nd.BernoulliLogits(lg).log_prob(v), rtol=1e-6)
    key = jax.random.key(0)
    np.testing.assert_array_equal(w.sample(key, (5,)), d.sample((5,), rng=key))
    assert w.expand((2, 3)).batch_shape == (2, 3)
    with pytest.raises(TypeError, match="JAX arrays"):
        D.Bernoulli(logits=np.zeros(3)).to_numpyro()


@requires_backend("jax")
def test_numpyro_svi_trains_a_discrete_latent_model() -> None:
    jax = pytest.importorskip("jax")
    numpyro = pytest.importorskip("numpyro")
    from numpyro.infer import SVI, TraceGraph_ELBO

    jnp = jax.numpy
    mu = jnp.asarray(MU)

    def model() -> None:
        z = numpyro.sample("z", D.Bernoulli(logits=jnp.zeros(())).to_numpyro())
        numpyro.sample("x", D.Normal(mu[z.astype(jnp.int32)], 1.0).to_numpyro(), obs=X_OBS)

    def guide() -> None:
        phi = numpyro.param("phi", jnp.asarray(PHI0))
        numpyro.sample("z", D.Bernoulli(logits=phi).to_numpyro())

    exact = exact_elbo_grad(PHI0)
    # the gradient of NumPyro's loss, over many particles, is the exact ELBO gradient
    loss = TraceGraph_ELBO(num_particles=4000)
    params = {"phi": jnp.asarray(PHI0)}
    g = jax.grad(lambda p: loss.loss(jax.random.key(0), p, model, guide))(params)["phi"]
    assert -float(g) == pytest.approx(exact, abs=0.2)
    svi = SVI(model, guide, numpyro.optim.Adam(0.1), loss=TraceGraph_ELBO(num_particles=64))
    state = svi.init(jax.random.key(1))
    update = jax.jit(svi.update)
    for _ in range(15):
        state, _ = update(state)
    phi = float(svi.get_params(state)["phi"])
    assert (phi - PHI0) * exact > 0
    assert exact_elbo(phi) > exact_elbo(PHI0) + 0.1


# -- supports and enumeration through the bridges ----------------------------------------------


def _support_pairs(t):  # type: ignore[no-untyped-def]
    """(relaxarray distribution, the library's own distribution of the same law)."""
    lg = t.asarray([0.3, -1.2, 2.0])
    return [
        (D.Bernoulli(logits=lg), "Bernoulli", {"logits": lg}),
        (D.Categorical(logits=lg), "Categorical", {"logits": lg}),
        (D.OneHotCategorical(logits=lg), "OneHotCategorical", {"logits": lg}),
        (D.Normal(lg, 1.0), "Normal", {"loc": lg, "scale": 1.0}),
        (
            D.RelaxedBernoulli(temperature=0.5, logits=lg),
            "RelaxedBernoulli",
            {"temperature": t.asarray(0.5), "logits": lg},
        ),
        (D.Dirichlet(t.exp(lg)), "Dirichlet", {"concentration": t.exp(lg)}),
    ]


_PROBE_VALUES = [-1.0, 0.0, 0.3, 1.0, 2.0, 7.0]


def _probe(t, event_shape):  # type: ignore[no-untyped-def]
    if not event_shape:
        return [t.asarray(v) for v in _PROBE_VALUES]
    return [
        t.asarray(v)
        for v in (
            [0.0, 1.0, 0.0],
            [0.2, 0.3, 0.5],
            [1.0, 1.0, 0.0],
            [0.0, 0.0, 0.0],
            [-0.5, 1.0, 0.5],
        )
    ]


@requires_backend("torch")
def test_to_torch_support_and_enumeration_are_the_wrapped_distributions() -> None:
    torch = pytest.importorskip("torch")
    torch.set_default_dtype(torch.float64)
    try:
        for d, name, kw in _support_pairs(torch):
            w, ref = d.to_torch(), getattr(torch.distributions, name)(**kw)
            assert type(w.support) is type(ref.support), name
            for v in _probe(torch, tuple(ref.event_shape)):
                assert bool(w.support.check(v)) == bool(ref.support.check(v)), (name, v)
            assert w.has_enumerate_support == ref.has_enumerate_support, name
            if ref.has_enumerate_support:
                for expand in (True, False):
                    torch.testing.assert_close(
                        w.enumerate_support(expand), ref.enumerate_support(expand)
                    )
    finally:
        torch.set_default_dtype(torch.float32)


@requires_backend("torch")
def test_pyro_enumerated_elbo_is_exact() -> None:
    """Pyro's TraceEnum_ELBO sums over the wrapped Bernoulli's support: the exact ELBO."""
    torch = pytest.importorskip("torch")
    pyro = pytest.importorskip("pyro")
    from pyro.infer import TraceEnum_ELBO, config_enumerate

    x = torch.tensor(X_OBS, dtype=torch.float64)
    mu = torch.tensor(MU, dtype=torch.float64)

    def model(phi: float) -> None:
        z = pyro.sample("z", D.Bernoulli(logits=torch.zeros((), dtype=torch.float64)).to_torch())
        pyro.sample("x", D.Normal(mu[z.long()], 1.0).to_torch(), obs=x)

    @config_enumerate
    def guide(phi: float) -> None:
        pyro.sample("z", D.Bernoulli(logits=torch.tensor(phi, dtype=torch.float64)).to_torch())

    elbo = TraceEnum_ELBO(max_plate_nesting=0)
    for phi in (PHI0, 0.0, 2.5):
        assert -elbo.loss(model, guide, phi) == pytest.approx(exact_elbo(phi), abs=1e-12)


@requires_backend("jax")
def test_to_numpyro_support_and_enumeration_are_the_wrapped_distributions() -> None:
    jax = pytest.importorskip("jax")
    nd = pytest.importorskip("numpyro.distributions")
    jnp = jax.numpy
    names = {
        "Bernoulli": nd.BernoulliLogits,
        "Categorical": nd.CategoricalLogits,
        "OneHotCategorical": None,
        "Normal": nd.Normal,
        "RelaxedBernoulli": None,
        "Dirichlet": nd.Dirichlet,
    }
    for d, name, kw in _support_pairs(jnp):
        w = d.to_numpyro()
        if names[name] is None:  # no NumPyro class of that law: the constraint itself
            expected = {
                "OneHotCategorical": nd.constraints.simplex,  # no one_hot in NumPyro
                "RelaxedBernoulli": nd.constraints.unit_interval,
            }[name]
            assert w.support is expected, name
            continue
        ref = names[name](**kw)
        assert type(w.support) is type(ref.support), name
        for v in _probe(jnp, tuple(ref.event_shape)):
            assert bool(w.support(v)) == bool(ref.support(v)), (name, v)
        assert w.has_enumerate_support == ref.has_enumerate_support, name
        if ref.has_enumerate_support:
            for expand in (True, False):
                np.testing.assert_array_equal(
                    np.asarray(w.enumerate_support(expand)),
                    np.asarray(ref.enumerate_support(expand)),
                )
