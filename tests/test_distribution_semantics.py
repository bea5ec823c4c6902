"""Distribution semantics a torch.distributions user relies on: out-of-support values
raise, parameters are keywords, ``validate_args=False`` switches validation off, the
checks are skipped under ``jax.jit``/``torch.compile``, ``enumerate_support`` as torch's,
closed-form ``cdf``/``icdf``/``stddev`` as scipy's."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from relaxarray import distributions as D
from relaxarray.testing import import_backend

P3 = np.array([0.7, 0.2, 0.1])


@pytest.mark.parametrize("value", [3, 7, -1, 1.5])
def test_categorical_log_prob_outside_the_support_raises(be, value) -> None:  # type: ignore[no-untyped-def]
    d = D.Categorical(logits=be.asarray(np.log(P3)))
    with pytest.raises(ValueError, match=r"outside the support: expected an integer in \[0, 2\]"):
        d.log_prob(be.asarray(np.asarray(value), "float64" if value == 1.5 else "int64"))
    # inside it: the log-probability itself
    lp = be.to_numpy(d.log_prob(be.asarray(np.asarray(1), "int64")))
    np.testing.assert_allclose(lp, np.log(0.2), rtol=1e-12)


def test_one_hot_and_bernoulli_outside_the_support_raise(be) -> None:  # type: ignore[no-untyped-def]
    oh = D.OneHotCategorical(logits=be.asarray(np.log(P3)))
    for bad in (np.zeros(3), np.array([1.0, 1.0, 0.0]), np.array([0.5, 0.5, 0.0])):
        with pytest.raises(ValueError, match="outside the support: expected a one-hot"):
            oh.log_prob(be.asarray(bad))
    b = D.Bernoulli(probs=be.asarray(np.asarray(0.3)))
    for bad in (2.0, 0.5, -1.0):
        with pytest.raises(ValueError, match="outside the support: expected 0 or 1"):
            b.log_prob(be.asarray(np.asarray(bad)))
    np.testing.assert_allclose(
        be.to_numpy(b.log_prob(be.asarray(np.asarray(1.0)))), np.log(0.3), rtol=1e-12
    )


def test_validate_args_false_evaluates_the_formula(be) -> None:  # type: ignore[no-untyped-def]
    b = D.Bernoulli(probs=be.asarray(np.asarray(0.3)), validate_args=False)
    # documented: with validation off a value counts as 1 when it is > 1/2 (torch instead
    # evaluates v log p + (1 - v) log(1 - p) at any v)
    got = be.to_numpy(b.log_prob(be.asarray(np.array([0.5, 2.0]))))
    np.testing.assert_allclose(got, np.log([0.7, 0.3]), rtol=1e-12)
    oh = D.OneHotCategorical(logits=be.asarray(np.log(P3)), validate_args=False)
    assert float(be.to_numpy(oh.log_prob(be.asarray(np.zeros(3))))) == 0.0
    D.set_default_validate_args(False)
    try:
        D.Categorical(probs=be.asarray(np.array([1.5, -0.5])))  # would raise when on
    finally:
        D.set_default_validate_args(True)
    with pytest.raises(ValueError, match="probs"):
        D.Categorical(probs=be.asarray(np.array([1.5, -0.5])))


@pytest.mark.parametrize(
    "cls",
    [
        D.Categorical,
        D.Bernoulli,
        D.OneHotCategorical,
        D.RelaxedOneHotCategorical,
        D.RelaxedBernoulli,
    ],
)
def test_positional_parameters_fail_loudly(cls) -> None:  # type: ignore[no-untyped-def]
    p = np.array([0.6, 0.4])
    args = (0.5, p) if cls.__name__.startswith("Relaxed") else (p,)
    with pytest.raises(TypeError, match=r"keywords only.*probabilities"):
        cls(*args)


def test_validation_is_skipped_under_jax_jit() -> None:
    jax = import_backend("jax")
    jnp = jax.numpy
    d = D.Categorical(logits=jnp.log(jnp.asarray(P3)))
    with pytest.raises(ValueError, match="outside the support"):
        d.log_prob(jnp.asarray(3))
    # under jit the value is a tracer: no check (documented), the formula runs
    out = jax.jit(lambda v: D.Categorical(logits=jnp.log(jnp.asarray(P3))).log_prob(v))(
        jnp.asarray(1)
    )
    np.testing.assert_allclose(float(out), np.log(0.2), rtol=1e-6)
    jax.jit(lambda v: D.Bernoulli(probs=jnp.asarray(0.3)).log_prob(v))(jnp.asarray(0.5))


def test_validation_is_skipped_under_torch_compile() -> None:
    torch = import_backend("torch")

    def f(v):  # type: ignore[no-untyped-def]
        return D.Bernoulli(probs=torch.tensor(0.3, dtype=torch.float64)).log_prob(v)

    with pytest.raises(ValueError, match="outside the support"):
        f(torch.tensor(0.5, dtype=torch.float64))
    out = torch.compile(f, fullgraph=True, backend="eager")(torch.tensor(0.5, dtype=torch.float64))
    np.testing.assert_allclose(float(out), np.log(0.7), rtol=1e-12)  # 0.5 counts as 0


def test_enumerate_support_matches_torch() -> None:
    torch = import_backend("torch")
    td = torch.distributions
    logits = np.log(np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]]))
    lt = torch.asarray(logits)
    cases = [
        (D.Categorical(logits=lt), td.Categorical(logits=lt)),
        (D.OneHotCategorical(logits=lt), td.OneHotCategorical(logits=lt)),
        (D.Bernoulli(logits=lt[:, 0]), td.Bernoulli(logits=lt[:, 0])),
    ]
    for ours, ref in cases:
        for expand in (True, False):
            got, want = ours.enumerate_support(expand), ref.enumerate_support(expand)
            assert tuple(got.shape) == tuple(want.shape), (type(ours).__name__, expand)
            np.testing.assert_array_equal(got.numpy(), want.numpy())
        # each value of the support has the log-probability torch gives it
        v = ref.enumerate_support()
        np.testing.assert_allclose(ours.log_prob(v).numpy(), ref.log_prob(v).numpy(), rtol=1e-12)


def test_normal_cdf_icdf_stddev_match_scipy(be) -> None:  # type: ignore[no-untyped-def]
    loc, scale = np.array([0.0, 1.5, -2.0]), np.array([1.0, 0.7, 3.0])
    d = D.Normal(be.asarray(loc), be.asarray(scale))
    x = np.array([0.3, 1.0, -8.0])
    u = np.array([1e-6, 0.5, 0.975])
    ref = stats.norm(loc, scale)
    np.testing.assert_allclose(be.to_numpy(d.cdf(be.asarray(x))), ref.cdf(x), rtol=1e-12)
    np.testing.assert_allclose(be.to_numpy(d.icdf(be.asarray(u))), ref.ppf(u), rtol=1e-10)
    np.testing.assert_allclose(be.to_numpy(d.stddev), ref.std(), rtol=1e-12)
    np.testing.assert_allclose(be.to_numpy(d.variance), ref.var(), rtol=1e-12)


def test_kumaraswamy_cdf_icdf_stddev_match_scipy(be) -> None:  # type: ignore[no-untyped-def]
    # Kumaraswamy(a, b): F(x) = 1 - (1 - x^a)^b, checked against scipy's numerical moments
    a, b = np.array([0.5, 2.0]), np.array([3.0, 1.5])
    d = D.Kumaraswamy(be.asarray(a), be.asarray(b))
    x = np.array([0.2, 0.7])
    np.testing.assert_allclose(be.to_numpy(d.cdf(be.asarray(x))), 1 - (1 - x**a) ** b, rtol=1e-12)
    u = np.array([0.1, 0.9])
    np.testing.assert_allclose(be.to_numpy(d.cdf(d.icdf(be.asarray(u)))), u, rtol=1e-10)
    for i in range(2):
        pdf = lambda t, i=i: a[i] * b[i] * t ** (a[i] - 1) * (1 - t ** a[i]) ** (b[i] - 1)  # noqa: E731
        dist = stats.rv_continuous(a=0, b=1)
        dist._pdf = pdf  # type: ignore[method-assign]
        np.testing.assert_allclose(be.to_numpy(d.stddev)[i], dist.std(), rtol=1e-6)
