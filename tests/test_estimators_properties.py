"""Estimator properties: explicit and surrogate forms agree given the same noise, the
categorical axis, the functional EMA state, pathwise gradients of f's parameters, extreme
logits, NaN objectives and argument validation."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from _estimator_cases import THETA_B, THETA_C, f_bern, f_cat
from test_estimators_score import CASES, IDS

from relaxarray import estimators as est
from relaxarray.testing import requires_backend


@pytest.mark.parametrize(("name", "kw"), CASES, ids=IDS)
def test_explicit_and_surrogate_agree(be: Any, name: str, kw: dict[str, Any]) -> None:
    """Same noise -> the surrogate's autodiff gradient equals the explicit gradient."""
    if not be.differentiable:
        pytest.skip("surrogate form needs autodiff")
    kinds = ["bernoulli"] if name in ("arm", "disarm") else ["bernoulli", "categorical"]
    for kind in kinds:
        theta = THETA_B if kind == "bernoulli" else THETA_C
        f = f_bern if kind == "bernoulli" else f_cat
        lg_np = np.stack([theta, -0.5 * theta])  # batch of 2 independent parameter sets
        u = np.random.default_rng(3).random((5, *lg_np.shape))
        extra = dict(kw)
        if extra.get("baseline") == "ema":
            extra["baseline"] = est.ema_baseline(np.array([0.2, -0.1]))
        if name not in ("arm", "disarm"):
            extra["distribution"] = kind
        ref = getattr(est, name + "_grad")(f, lg_np, noise=u, **extra)
        if "baseline" in extra and isinstance(extra["baseline"], est.EMABaseline):
            extra["baseline"] = est.ema_baseline(be.asarray(np.array([0.2, -0.1])))
        sur = getattr(est, name)
        noise = be.asarray(u)

        def fn(lg: Any, sur: Any = sur, f: Any = f, extra: Any = extra, noise: Any = noise) -> Any:
            return sur(f, lg, noise=noise, **extra)

        g = be.grad(fn, be.asarray(lg_np))
        val = be.run(fn, be.asarray(lg_np))
        np.testing.assert_allclose(be.to_numpy(g), ref.grad, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(be.to_numpy(val), ref.value, rtol=1e-12, atol=1e-12)


def test_categorical_axis() -> None:
    """Categories on axis 0 give the same estimate as the transposed problem on axis -1."""
    lg = np.stack([THETA_C, THETA_C[::-1]])  # (2, 4)
    u = np.random.default_rng(0).random((7, 2, 4))
    for name in ("reinforce", "vimco"):
        fn = getattr(est, name + "_grad")
        a = fn(f_cat, lg, distribution="categorical", noise=u)
        b = fn(
            lambda h: f_cat(np.moveaxis(h, 1, -1)),
            lg.T.copy(),
            distribution="categorical",
            axis=0,
            noise=np.moveaxis(u, 2, 1).copy(),
        )
        np.testing.assert_allclose(b.grad, a.grad.T, rtol=1e-12)
        np.testing.assert_allclose(b.value, a.value, rtol=1e-12)


def test_ema_functional() -> None:
    state = est.ema_baseline(np.zeros(()), decay=0.5)
    state = est.update_ema(state, np.asarray(2.0))
    state = est.update_ema(state, np.asarray(4.0))
    assert float(state.value) == 2.5
    assert state.decay == 0.5
    with pytest.raises(ValueError, match="decay"):
        est.ema_baseline(np.zeros(()), decay=1.0)


@requires_backend("jax")
def test_ema_jit_scan() -> None:
    """The EMA state is a pytree: it passes through jax.jit and lax.scan."""
    jax = pytest.importorskip("jax")
    jnp = jax.numpy

    def step(carry: Any, key: Any) -> Any:
        logits, state = carry
        g = jax.grad(lambda lg: est.reinforce(f_bern, lg, num_samples=4, baseline=state, rng=key))(
            logits
        )
        v = est.reinforce(f_bern, logits, num_samples=4, baseline=state, rng=key)
        return (logits - 0.1 * g, est.update_ema(state, v)), v

    init = (jnp.asarray(THETA_B), est.ema_baseline(jnp.zeros(()), decay=0.8))
    (logits, state), _vs = jax.jit(lambda c, k: jax.lax.scan(step, c, k))(
        init, jax.random.split(jax.random.key(0), 50)
    )
    assert np.isfinite(np.asarray(logits)).all()
    assert 0 < float(state.value) < 20


@requires_backend("torch")
def test_pathwise_gradient_of_f_parameters() -> None:
    """Surrogates pass f's own parameters a pathwise gradient: d/dt E[(b - t)^2] = -2(p - t)."""
    torch = pytest.importorskip("torch")
    phi = torch.tensor([0.7], dtype=torch.float64)
    p = float(torch.sigmoid(phi))
    for name, kw in [("reinforce", {"baseline": "rloo"}), ("arm", {}), ("disarm", {})]:
        t = torch.tensor(0.3, dtype=torch.float64, requires_grad=True)
        gen = torch.Generator().manual_seed(0)
        out = getattr(est, name)(lambda b, t=t: (b - t) ** 2, phi, num_samples=20000, rng=gen, **kw)
        (gt,) = torch.autograd.grad(out.sum(), t)
        assert abs(float(gt) - (-2 * (p - 0.3))) < 0.02, name


@pytest.mark.parametrize("name", ["reinforce", "vimco", "arm", "disarm"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_extreme_logits_finite(be: Any, name: str, dtype: str) -> None:
    lg_np = np.array([50.0, -50.0, 0.0, 1e4, -1e4])
    f = lambda b: (b - 0.45) ** 2  # noqa: E731
    kw = {"num_samples": 4, "rng": be.rng(0)}
    res = getattr(est, name + "_grad")(f, be.asarray(lg_np, dtype=dtype), **kw)
    assert np.isfinite(be.to_numpy(res.grad)).all() and np.isfinite(be.to_numpy(res.value)).all()
    assert res.grad.dtype == be.asarray(lg_np, dtype=dtype).dtype
    if be.differentiable:
        g = be.grad(
            lambda lg: getattr(est, name)(f, lg, num_samples=4, rng=be.rng(0)),
            be.asarray(lg_np, dtype=dtype),
        )
        assert np.isfinite(be.to_numpy(g)).all()
    cat = be.asarray(np.array([[50.0, -50.0, 0.0], [-1e4, 1e4, 0.0]]), dtype=dtype)
    if name in ("reinforce", "vimco"):
        res = getattr(est, name + "_grad")(
            lambda h: h[..., 0], cat, distribution="categorical", **kw
        )
        assert np.isfinite(be.to_numpy(res.grad)).all()


@pytest.mark.parametrize("name", ["reinforce", "vimco", "arm", "disarm"])
def test_nan_objective_raises(be: Any, name: str) -> None:
    if be.jit:
        pytest.skip("values are traced under jax.jit; the check needs concrete values")

    def f(b: Any) -> Any:
        xp = be.xp
        out = (b[..., 0] - 0.5) ** 2
        return xp.where(b[..., 1] > 0.5, xp.nan, out)  # NaN for the samples with b_1 = 1

    lg = be.asarray(np.array([0.0, 50.0]))  # b_1 = 1 in every sample
    with pytest.raises(ValueError, match="NaN"):
        getattr(est, name + "_grad")(f, lg, num_samples=3, rng=be.rng(0))
    if be.differentiable:
        with pytest.raises(ValueError, match="NaN"):
            getattr(est, name)(f, lg, num_samples=3, rng=be.rng(0))


def test_validation_errors() -> None:
    lg = np.zeros(3)
    f = lambda b: b[..., 0]  # noqa: E731
    with pytest.raises(ValueError, match="rng= or noise=, not both"):
        est.reinforce_grad(f, lg, rng=0, noise=np.full((2, 3), 0.5))
    with pytest.raises(ValueError, match="noise must have shape"):
        est.reinforce_grad(f, lg, noise=np.full((2, 4), 0.5))
    with pytest.raises(ValueError, match="distribution"):
        est.reinforce_grad(f, lg, distribution="gaussian", rng=0)
    with pytest.raises(ValueError, match="rloo"):
        est.reinforce_grad(f, lg, baseline="rloo", num_samples=1, rng=0)
    with pytest.raises(ValueError, match="num_samples"):
        est.vimco_grad(f, lg, num_samples=1, rng=0)
    with pytest.raises(ValueError, match="prefix"):
        est.reinforce_grad(lambda b: b[..., :2], lg, num_samples=2, rng=0)
    with pytest.raises(TypeError, match="logits"):
        est.arm_grad(f, np.zeros(3, dtype=np.int64), rng=0)
