"""Distributions at the edges of their parameter and value spaces: probabilities of
exactly 0 and 1, samples that round to a boundary, low precision, devices, jit, and the
refusal of parameters that cannot define a distribution (issue 15)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.special as sp

from relaxarray.distributions import (
    Bernoulli,
    Categorical,
    CorrelatedGates,
    Dirichlet,
    GaussianGate,
    InvertibleGaussian,
    Kumaraswamy,
    LogisticNormal,
    Normal,
    OneHotCategorical,
    RelaxedBernoulli,
    RelaxedOneHotCategorical,
    StraightThroughBernoulli,
    StraightThroughCategorical,
    kl_divergence,
    set_default_validate_args,
)
from relaxarray.testing import requires_backend


def _finite(be, x):
    return np.all(np.isfinite(be.to_numpy(x)))


# -- Dirichlet: 0 * log 0 --------------------------------------------------------------------
def test_dirichlet_log_prob_on_the_boundary(be):
    """(alpha - 1) log x with alpha = 1 and x = 0 contributes 0, not NaN (scipy: log 2)."""
    a = np.array([[1.0, 2.0], [1.0, 3.0]])
    x = np.array([[0.0, 1.0], [0.0, 1.0]])
    ref = sp.gammaln(a.sum(-1)) - sp.gammaln(a).sum(-1) + sp.xlogy(a - 1.0, x).sum(-1)
    assert abs(ref[0] - math.log(2.0)) < 1e-15
    out = be.run(lambda c, v: Dirichlet(c).log_prob(v), be.asarray(a), be.asarray(x))
    np.testing.assert_allclose(be.to_numpy(out), ref, rtol=1e-12)
    # interior gradient in the concentration is unchanged: d/da_k = psi(a0) - psi(a_k) + log x_k
    xi = np.array([0.25, 0.75])
    if be.differentiable:
        g = be.grad(lambda c: Dirichlet(c).log_prob(be.asarray(xi)), be.asarray(a[0]))
        want = sp.digamma(a[0].sum()) - sp.digamma(a[0]) + np.log(xi)
        np.testing.assert_allclose(be.to_numpy(g), want, rtol=1e-10)


# -- probabilities of exactly 0 and 1 ------------------------------------------------------------
P3 = np.array([0.0, 0.3, 1.0])


def test_bernoulli_log_prob_gradient_at_degenerate_probs(be):
    """d/dp log P(v) is 1/p for v = 1 and -1/(1 - p) for v = 0, also at p in {0, 1}."""
    for v in (np.array([0.0, 1.0, 1.0]), np.array([0.0, 0.0, 1.0])):
        out = Bernoulli(probs=be.asarray(P3)).log_prob(be.asarray(v))
        with np.errstate(divide="ignore"):
            ref = np.where(v == 1, np.log(P3), np.log1p(-P3))
        np.testing.assert_allclose(be.to_numpy(out), ref, rtol=1e-14)
        if be.differentiable:
            g = be.grad(lambda p, v=v: Bernoulli(probs=p).log_prob(be.asarray(v)), be.asarray(P3))
            want = np.array(
                [-1.0 / (1 - P3[0]), 1.0 / P3[1] if v[1] == 1 else -1.0 / (1 - P3[1]), 1.0 / P3[2]]
            )
            np.testing.assert_allclose(be.to_numpy(g), want, rtol=1e-12)
    if be.differentiable:  # the case: log_prob(0) at p = 0, analytic -1
        g = be.grad(
            lambda p: Bernoulli(probs=p).log_prob(be.asarray(np.array(0.0))),
            be.asarray(np.array(0.0)),
        )
        np.testing.assert_allclose(be.to_numpy(g), -1.0, rtol=1e-14)


def test_bernoulli_entropy_kl_straight_through_at_degenerate_probs(be):
    p = be.asarray(P3)
    ent = Bernoulli(probs=p).entropy()
    np.testing.assert_allclose(be.to_numpy(ent), sp.entr(P3) + sp.entr(1 - P3), rtol=1e-14)
    q = 0.4
    kl = kl_divergence(Bernoulli(probs=p), Bernoulli(probs=be.asarray(np.full(3, q))))
    ref = sp.rel_entr(P3, q) + sp.rel_entr(1 - P3, 1 - q)
    np.testing.assert_allclose(be.to_numpy(kl), ref, rtol=1e-12)
    # the same KL with the first distribution given by logits
    kl2 = kl_divergence(
        Bernoulli(logits=be.asarray(np.array([0.2]))), Bernoulli(probs=be.asarray(np.array([q])))
    )
    p2 = sp.expit(0.2)
    np.testing.assert_allclose(
        be.to_numpy(kl2), sp.rel_entr(p2, q) + sp.rel_entr(1 - p2, 1 - q), rtol=1e-12
    )
    if be.differentiable:
        # d KL / d q = -p/q + (1 - p)/(1 - q)
        g = be.grad(
            lambda qq: kl_divergence(Bernoulli(probs=p), Bernoulli(probs=qq)),
            be.asarray(np.full(3, q)),
        )
        np.testing.assert_allclose(be.to_numpy(g), -P3 / q + (1 - P3) / (1 - q), rtol=1e-12)
        # straight-through: d b / d p := 1 for every p, including 0 and 1
        g = be.grad(lambda pp: StraightThroughBernoulli(probs=pp).rsample(rng=be.rng(0)), p)
        np.testing.assert_allclose(be.to_numpy(g), np.ones(3), rtol=0)
        g = be.grad(lambda pp: Bernoulli(probs=pp).mean, p)
        np.testing.assert_allclose(be.to_numpy(g), np.ones(3), rtol=0)


PC = np.array([[1.0, 0.0, 0.0], [0.2, 0.0, 0.8]])


@pytest.mark.parametrize("cls", [Categorical, OneHotCategorical])
def test_categorical_zero_probs(be, cls):
    """log_prob, entropy and KL with zero probabilities: values vs scipy, finite gradients."""
    idx = np.array([0, 2])
    v = idx if cls is Categorical else np.eye(3)[idx]
    d = cls(probs=be.asarray(PC))
    lp = d.log_prob(be.asarray(v, dtype="int64" if cls is Categorical else "float64"))
    np.testing.assert_allclose(be.to_numpy(lp), np.log(PC[[0, 1], idx]), rtol=1e-14)
    ent = be.to_numpy(d.entropy())
    np.testing.assert_allclose(ent, sp.entr(PC).sum(-1), rtol=1e-14)
    q = np.array([0.5, 0.25, 0.25])
    kl = kl_divergence(d, cls(probs=be.asarray(q)))
    np.testing.assert_allclose(be.to_numpy(kl), sp.rel_entr(PC, q).sum(-1), rtol=1e-12)
    assert _finite(be, d.logits[:, 0]) and _finite(be, d.probs)
    if be.differentiable:
        # d/dp_k [log p_v - log sum p] = [k == v] / p_v - 1 / sum p  (sum p = 1 here)
        vv = be.asarray(v, dtype="int64" if cls is Categorical else "float64")
        g = be.grad(lambda pp: cls(probs=pp).log_prob(vv), be.asarray(PC))
        want = np.eye(3)[idx] / PC[[0, 1], idx][:, None] - 1.0
        np.testing.assert_allclose(be.to_numpy(g), want, rtol=1e-12)
        # d KL / d q_k = -p_k / q_k
        g = be.grad(lambda qq: kl_divergence(d, cls(probs=qq)), be.asarray(q))
        np.testing.assert_allclose(be.to_numpy(g), (-PC / q).sum(0) + 2.0, rtol=1e-12)
        # samples of zero-probability categories never occur; gradients stay finite
        g = be.grad(
            lambda pp: StraightThroughCategorical(temperature=0.5, probs=pp).rsample(rng=be.rng(1))[
                ..., 0
            ],
            be.asarray(PC),
        )
        assert _finite(be, g)


def test_relaxed_bernoulli_degenerate_probs(be):
    """probs = 1 (0): samples are exactly 1 (0); their density is the limit +inf and any
    other value's is -inf, never NaN; gradients of log_prob stay finite."""
    for p, edge in ((1.0, 1.0), (0.0, 0.0)):
        d = RelaxedBernoulli(temperature=1e-2, probs=be.asarray(np.array(p)))
        s = d.sample(rng=be.rng(0))
        np.testing.assert_array_equal(be.to_numpy(s), edge)
        out = be.to_numpy(d.log_prob(be.asarray(np.array([edge, 0.5, 1.0 - edge]))))
        np.testing.assert_array_equal(out, [np.inf, -np.inf, -np.inf])
    d = RelaxedBernoulli(temperature=1e-2, probs=be.asarray(P3))
    s = d.sample(64, rng=be.rng(0))
    out = be.to_numpy(d.log_prob(s))
    assert not np.any(np.isnan(out)) and np.all(np.isfinite(out[:, 1]))
    if be.differentiable:
        g = be.grad(
            lambda pp: RelaxedBernoulli(temperature=0.5, probs=pp).log_prob(
                be.asarray(np.array([0.1, 0.4, 0.9]))
            ),
            be.asarray(P3),
        )
        assert _finite(be, g)
        # interior value: d/dp of the Logistic density in logits, times dl/dp = 1/(p(1-p))
        lg, t, y = math.log(0.3 / 0.7), 0.5, 0.4
        x = math.log(y / (1 - y))
        dlp_dl = 1 - 2 * sp.expit(lg - t * x)
        np.testing.assert_allclose(be.to_numpy(g)[1], dlp_dl / (0.3 * 0.7), rtol=1e-10)


def test_relaxed_one_hot_zero_probs(be):
    d = RelaxedOneHotCategorical(temperature=0.5, probs=be.asarray(np.array([0.5, 0.5, 0.0])))
    s = d.rsample(8, rng=be.rng(0))
    np.testing.assert_array_equal(be.to_numpy(s)[:, 2], 0.0)
    assert not np.any(np.isnan(be.to_numpy(d.log_prob(s))))
    if be.differentiable:
        g = be.grad(
            lambda pp: RelaxedOneHotCategorical(temperature=0.5, probs=pp).rsample(rng=be.rng(0))[
                ..., 0
            ],
            be.asarray(np.array([0.5, 0.5, 0.0])),
        )
        assert _finite(be, g)


# -- jit: value checks are skipped on tracers -------------------------------------------------
@requires_backend("jax")
def test_probs_constructors_inside_jax_jit():
    jax = pytest.importorskip("jax")
    jnp = jax.numpy
    p, pc = jnp.asarray(0.3), jnp.asarray([0.3, 0.7])
    cases = [
        (lambda x: Bernoulli(probs=p).mean + x, 0.3),
        (lambda x: StraightThroughBernoulli(probs=p).mean + x, 0.3),
        (lambda x: RelaxedBernoulli(temperature=0.5, probs=p).probs + x, 0.3),
        (lambda x: Categorical(probs=pc).probs[0] + x, 0.3),
        (lambda x: OneHotCategorical(probs=pc).mean[1] + x, 0.7),
        (lambda x: RelaxedOneHotCategorical(temperature=0.5, probs=pc).probs[1] + x, 0.7),
        (lambda x: StraightThroughCategorical(temperature=0.5, probs=pc).probs[1] + x, 0.7),
        (lambda x: Bernoulli(probs=p).log_prob(jnp.asarray(1.0)) + x, math.log(0.3)),
    ]
    for fn, want in cases:
        np.testing.assert_allclose(float(jax.jit(fn)(0.0)), want, rtol=1e-12)


# -- parameters that define no distribution -------------------------------------------------------
def test_refuse_bad_parameters(be):
    with pytest.raises(ValueError, match="sum to more than 0"):
        OneHotCategorical(probs=be.asarray(np.zeros(3)))
    with pytest.raises(ValueError, match="sum to more than 0"):
        Categorical(probs=be.asarray(np.array([[0.5, 0.5], [0.0, 0.0]])))
    with pytest.raises(ValueError, match=r"do not broadcast"):
        Kumaraswamy(be.asarray(np.ones((1, 2))), be.asarray(np.ones(4)))
    for cls in (Categorical, OneHotCategorical):
        for kw in ("logits", "probs"):
            with pytest.raises(ValueError, match="at least one category"):
                cls(**{kw: be.asarray(np.zeros((2, 0)))})
    with pytest.raises(ValueError, match="at least one category"):
        RelaxedOneHotCategorical(temperature=1.0, logits=be.asarray(np.zeros((2, 0))))


# -- samples that round to a boundary ---------------------------------------------------------
@pytest.mark.parametrize("dtype,loc", [("float64", 800.0), ("float32", 60.0)])
def test_simplex_log_prob_of_boundary_samples(be, dtype, loc):
    for d in (
        LogisticNormal(be.asarray(np.array([loc, -loc]), dtype), be.asarray(np.ones(2), dtype)),
        InvertibleGaussian(
            be.asarray(np.array([1.0, -1.0]), dtype),
            be.asarray(np.ones(2), dtype),
            temperature=1e-3,
        ),
    ):
        s = d.rsample(16, rng=be.rng(0))
        assert np.any(be.to_numpy(s) == 0.0)  # the case at issue: entries underflowed
        lp = d.log_prob(s)
        assert lp.dtype == s.dtype and _finite(be, lp)
    # interior values are unchanged: the change-of-variables formula in float64
    d = LogisticNormal(be.asarray(np.array([0.3, -0.2])), be.asarray(np.array([0.7, 1.3])))
    x = np.array([0.2, 0.5, 0.3])
    w = np.log(x[:2] / x[2])
    ref = np.sum(
        -0.5 * ((w - [0.3, -0.2]) / [0.7, 1.3]) ** 2 - np.log([0.7, 1.3]) - 0.5 * np.log(2 * np.pi)
    ) - np.sum(np.log(x))
    np.testing.assert_allclose(be.to_numpy(d.log_prob(be.asarray(x))), ref, rtol=1e-12)


def test_kumaraswamy_log_prob_of_boundary_samples(be):
    d = Kumaraswamy(be.asarray(np.array(1e-3)), be.asarray(np.array(1e-3)))
    s = d.rsample(64, rng=be.rng(0))
    assert np.any(be.to_numpy(s) == 1.0)
    assert _finite(be, d.log_prob(s))
    if be.differentiable:
        g = be.grad(
            lambda a: Kumaraswamy(a, be.asarray(np.array(1e-3))).log_prob(s),
            be.asarray(np.array(1e-3)),
        )
        assert _finite(be, g)


# -- NaN gradients through an unselected where-branch ------------------------------------------
def test_gaussian_gate_log_prob_gradient_narrow_sigma(be):
    """sigma = 1e-3: P(z = 1) = Phi(-1000) is tiny but its log is finite (scipy log_ndtr)."""
    sigma, v = 1e-3, np.array([0.0, 0.5, 1.0])
    out = GaussianGate(be.asarray(np.array(0.0)), sigma=sigma).log_prob(be.asarray(v))
    ref = [sp.log_ndtr(0.0), st_norm_logpdf(0.5, 0.0, sigma), sp.log_ndtr(-1.0 / sigma)]
    np.testing.assert_allclose(be.to_numpy(out), ref, rtol=1e-10)
    if be.differentiable:
        g = be.grad(
            lambda mu: GaussianGate(mu, sigma=sigma).log_prob(be.asarray(v)),
            be.asarray(np.array(0.0)),
        )

        def dlog_ndtr(x):
            return math.exp(-0.5 * x * x - 0.5 * math.log(2 * math.pi) - sp.log_ndtr(x))

        want = -dlog_ndtr(0.0) / sigma + 0.5 / sigma**2 + dlog_ndtr(-1.0 / sigma) / sigma
        np.testing.assert_allclose(be.to_numpy(g), want, rtol=1e-8)
    for mu in (-30.0, 30.0, 0.5):  # the log masses in float32 too
        d = GaussianGate(
            be.asarray(np.array(mu), "float32"), sigma=be.asarray(np.array(1.0), "float32")
        )
        lp = be.to_numpy(d.log_prob(be.asarray(np.array([0.0, 1.0]), "float32")))
        np.testing.assert_allclose(
            lp, [sp.log_ndtr(-mu), sp.log_ndtr(mu - 1.0)], rtol=2e-5, atol=1e-6
        )


def st_norm_logpdf(x, mu, s):
    return -0.5 * ((x - mu) / s) ** 2 - math.log(s) - 0.5 * math.log(2 * math.pi)


def test_kumaraswamy_cdf_near_one(be):
    """x^a rounds to 1 for x = 1 - 2^-53, a = 1/2; the CDF and its gradient stay exact."""
    x = 1.0 - 2.0**-53
    a, b = 0.5, 0.5
    lx = math.log(x)
    one_m = -math.expm1(a * lx)  # 1 - x^a, accurately
    ref = -math.expm1(b * math.log(one_m))
    out = Kumaraswamy(be.asarray(np.array(a)), be.asarray(np.array(b))).cdf(be.asarray(np.array(x)))
    np.testing.assert_allclose(be.to_numpy(out), ref, rtol=1e-12)
    if be.differentiable:
        xa = be.asarray(np.array(x))
        g = be.grad(
            lambda aa: Kumaraswamy(aa, be.asarray(np.array(b))).cdf(xa), be.asarray(np.array(a))
        )
        # dF/da = b (1 - x^a)^(b - 1) x^a log x
        want = b * one_m ** (b - 1) * math.exp(a * lx) * lx
        np.testing.assert_allclose(be.to_numpy(g), want, rtol=1e-8)
        xs = be.asarray(np.array([0.0, 0.5, 1.0, 1.5]))
        g = be.grad(
            lambda aa: Kumaraswamy(aa, be.asarray(np.array(b))).cdf(xs), be.asarray(np.array(a))
        )
        assert _finite(be, g)


# -- low precision and devices --------------------------------------------------------------------
def test_dirichlet_rsample_float16(be):
    if be.base == "array_api_strict":
        pytest.skip("array-api-strict: the generic gamma draw goes through float64 NumPy")
    d = Dirichlet(be.asarray(np.full(3, 1e-2), "float16"))
    s = be.to_numpy(d.rsample(256, rng=be.rng(0)))
    assert s.dtype == np.float16 and np.all(np.isfinite(s)) and np.all(s >= 0)
    np.testing.assert_allclose(s.astype(np.float64).sum(-1), 1.0, atol=3e-3)


def test_dirichlet_log_prob_of_own_float16_sample(be):
    # entries below float16's smallest normal were cast to exactly 0, where the log density
    # with concentration < 1 is +inf: samples are floored at tiny, like the gamma draws
    if be.base == "array_api_strict":
        pytest.skip("array-api-strict has no float16")
    d = Dirichlet(be.asarray(np.array([0.05, 2.0, 0.3, 1.0, 0.1]), "float16"))
    s = d.rsample(64, rng=be.rng(0))
    x = be.to_numpy(s)
    assert np.all(x >= np.finfo(np.float16).smallest_normal)
    np.testing.assert_allclose(x.astype(np.float64).sum(-1), 1.0, atol=3e-3)
    assert _finite(be, d.log_prob(s))


@pytest.mark.parametrize(
    "make",
    [
        lambda be, loc: Normal(loc, 1.0),
        lambda be, loc: LogisticNormal(loc, be.asarray(np.ones(2))),
        lambda be, loc: InvertibleGaussian(loc, be.asarray(np.ones(2)), temperature=0.5),
    ],
    ids=["Normal", "LogisticNormal", "InvertibleGaussian"],
)
def test_nan_loc_refused_at_construction(be, make):
    # a NaN loc was accepted, and log_prob of the (NaN) sample then complained about the
    # value ("outside the support") instead of the parameter
    loc = be.asarray(np.array([0.3, np.nan]))
    with pytest.raises(ValueError, match="loc must not be NaN"):
        make(be, loc)


@pytest.mark.parametrize("cls", [LogisticNormal, InvertibleGaussian])
def test_simplex_scale_shape_named(be, cls):
    # a scale that does not broadcast with loc failed later, in rsample, with torch's
    # "The size of tensor a (6) must match the size of tensor b (5)"
    with pytest.raises(ValueError, match=r"loc .* and scale .* do not broadcast"):
        cls(be.asarray(np.zeros((3, 5))), be.asarray(np.ones(6)))


def test_set_default_validate_args_names_its_argument():
    for bad in (1, "yes", None, 1.0):
        with pytest.raises(TypeError, match="value must be a bool"):
            set_default_validate_args(bad)


def test_correlated_gates_float16(be):
    if be.base == "array_api_strict":
        pytest.skip("array-api-strict has no float16")
    corr = np.array([[1.0, 0.5], [0.5, 1.0]])
    d16 = CorrelatedGates(be.asarray(np.zeros(2), "float16"), be.asarray(corr, "float16"))
    d64 = CorrelatedGates(be.asarray(np.zeros(2)), be.asarray(corr))
    eps = np.array([0.3, -1.2])
    s16 = d16.rsample(noise=be.asarray(eps, "float16"))
    assert s16.dtype == be.dtype("float16")
    np.testing.assert_allclose(
        be.to_numpy(s16).astype(np.float64),
        be.to_numpy(d64.rsample(noise=be.asarray(eps))),
        atol=2e-3,
    )


def test_normal_entropy_stays_on_device(be):
    loc = be.asarray(np.zeros(2))
    ent = Normal(loc, 1.0).entropy()
    assert ent.device == loc.device
    np.testing.assert_allclose(be.to_numpy(ent), 0.5 + 0.5 * math.log(2 * math.pi), rtol=1e-15)


@requires_backend("torch")
def test_normal_entropy_torch_meta():
    torch = pytest.importorskip("torch")
    ent = Normal(torch.zeros(2, device="meta"), 1.0).entropy()
    assert ent.device.type == "meta"


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_categorical_probs_low_precision(be, dtype):
    if be.base == "array_api_strict" or (dtype == "bfloat16" and be.base == "numpy"):
        pytest.skip(f"{be.base} has no {dtype}")
    dt = getattr(be.xp, dtype)
    d = Categorical(logits=be.xp.full((3,), 1e4, dtype=dt))
    np.testing.assert_allclose(
        be.to_numpy(d.probs).astype(np.float64), np.full(3, 1 / 3), rtol=4e-3
    )
    np.testing.assert_allclose(
        be.to_numpy(d.logits).astype(np.float64), np.full(3, -math.log(3)), rtol=4e-3
    )
