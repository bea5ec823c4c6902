"""The lecture's deterministic relaxations on every backend."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from conftest import Backend, assert_close

import relaxarray as rx
from relaxarray.testing import import_backend

X = np.array([1.1, 4.0, -0.1, 2.3])
TEMPS = [1.0, 0.8, 0.6, 0.4, 0.2]
# The lecture's tables (seed 002), to the printed precision.
LECTURE_SOFTMAX = {
    1.0: ([0.044, 0.797, 0.013, 0.146], 3),
    0.8: ([0.023, 0.868, 0.005, 0.104], 3),
    0.6: ([0.008, 0.937, 0.001, 0.055], 3),
    0.4: ([6.997e-04, 9.852e-01, 3.484e-05, 1.405e-02], None),
    0.2: ([5.042e-07, 9.998e-01, 1.250e-09, 2.034e-04], None),
}
LECTURE_SOFT_ARGMAX = {1.0: 1.2606, 0.8: 1.1894, 0.6: 1.1037, 0.4: 1.0274, 0.2: 1.0004}
LECTURE_SOFT_MAX = {1.0: 3.571, 0.8: 3.736, 0.6: 3.881, 0.4: 3.974, 0.2: 3.999}


def _np_softmax(x: np.ndarray, t: float = 1.0, axis: int = -1) -> np.ndarray:
    z = x / t
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _last_place(value: float, decimals: int | None) -> float:
    """One unit in the last printed place (fixed decimals, or 4 significant digits)."""
    if decimals is not None:
        return 10.0**-decimals
    return 10.0 ** (np.floor(np.log10(abs(value))) - 3)


@pytest.mark.parametrize("t", TEMPS)
def test_lecture_softmax_table(be: Backend, t: float) -> None:
    """The printed table to within 0.7 units in the last place.

    Half a unit is ordinary rounding. The lecture rounds twice in three cells (rounded to
    one more digit first): softmax(x / 0.6) = [0.0074542, 0.93646, ...] is printed
    [0.008, 0.937, ...] and softmax(x / 0.4)_2 = 3.48346e-05 as 3.484e-05 (0.55 units at
    most). Its soft max at T = 0.2, 3.99965, is printed 3.999 (0.65 units: truncated).
    Any other error (a wrong temperature, a missing max shift) moves values far more.
    """
    out = be.to_numpy(be.run(rx.softmax, be.asarray(X), temperature=t))
    table, decimals = LECTURE_SOFTMAX[t]
    for got, printed in zip(out, table, strict=True):
        assert abs(got - printed) <= 0.7 * _last_place(printed, decimals), (got, printed)


@pytest.mark.parametrize("t", TEMPS)
def test_lecture_soft_argmax_and_soft_max(be: Backend, t: float) -> None:
    x = be.asarray(X)
    got_index = float(be.to_numpy(be.run(rx.soft_argmax, x, temperature=t)))
    got_max = float(be.to_numpy(be.run(rx.soft_max, x, temperature=t)))
    assert abs(got_index - LECTURE_SOFT_ARGMAX[t]) <= 0.7e-4, got_index
    assert abs(got_max - LECTURE_SOFT_MAX[t]) <= 0.7e-3, got_max


def test_values_against_float64_reference(be: Backend) -> None:
    rs = np.random.default_rng(1)
    x = rs.normal(size=(3, 5, 4)) * 3
    y = rs.normal(size=(3, 5, 4))
    t = 0.7
    xb, yb = be.asarray(x), be.asarray(y)
    p = _np_softmax(x, t, axis=1)
    idx = np.arange(5).reshape(1, 5, 1)
    lse = t * np.log(np.exp(x / t).sum(axis=1))
    d = x - y
    checks: list[tuple[Any, np.ndarray]] = [
        (be.run(rx.softmax, xb, temperature=t, axis=1), p),
        (be.run(rx.log_softmax, xb, temperature=t, axis=1), np.log(p)),
        (be.run(rx.logsumexp, xb, temperature=t, axis=1), lse),
        (be.run(rx.logsumexp, xb, temperature=t, axis=1, keepdims=True), lse[:, None, :]),
        (be.run(rx.soft_argmax, xb, temperature=t, axis=1), (p * idx).sum(axis=1)),
        (be.run(rx.soft_max, xb, temperature=t, axis=1), (p * x).sum(axis=1)),
        (be.run(rx.softplus, xb), np.log1p(np.exp(x))),
        (be.run(rx.softplus, xb, beta=3.0), np.log1p(np.exp(3 * x)) / 3),
        (
            be.run(rx.huber, xb, yb, delta=0.8),
            np.where(np.abs(d) < 0.8, 0.5 * d**2, 0.8 * (np.abs(d) - 0.4)),
        ),
        (
            be.run(rx.smooth_l1, xb, yb, beta=0.8),
            np.where(np.abs(d) < 0.8, 0.5 * d**2 / 0.8, np.abs(d) - 0.4),
        ),
        (be.run(rx.smooth_l1, xb, yb, beta=0.0), np.abs(d)),
        (
            be.run(rx.one_hot_argmax, xb, axis=1),
            (x == x.max(axis=1, keepdims=True)).astype(float),
        ),
        (be.run(rx.st_argmax, xb, axis=1), x.argmax(axis=1).astype(float)),
        (be.run(rx.st_argmax, xb, axis=1, one_hot=True), (x == x.max(axis=1, keepdims=True))),
    ]
    for got, want in checks:
        assert_close(got, want, be, rtol=1e-12, atol=1e-12)


def test_huber_lecture_formula(be: Backend) -> None:
    d = np.array([-3.0, -1.0, -0.999, 0.0, 0.5, 1.0, 2.5])
    want = np.where(np.abs(d) < 1, 0.5 * d**2, np.abs(d) - 0.5)
    assert_close(rx.huber(be.asarray(d), be.asarray(np.zeros_like(d))), want, be, rtol=1e-15)


def test_temperature_array_broadcasts(be: Backend) -> None:
    x = np.random.default_rng(2).normal(size=(3, 4))
    t = np.array([[0.5], [1.0], [2.0]])
    got = rx.softmax(be.asarray(x), temperature=be.asarray(t))
    assert_close(got, _np_softmax(x / t), be, rtol=1e-12)
    lse = rx.logsumexp(be.asarray(x), temperature=be.asarray(t))
    assert_close(lse, t[:, 0] * np.log(np.exp(x / t).sum(-1)), be, rtol=1e-12)


def test_fused_kernels_match_the_core(be: Backend) -> None:
    """Adapters' native softmax/log_softmax/logsumexp give the same values as the core."""
    from relaxarray._relaxations import _huber, _logsumexp, _softmax
    from relaxarray.backends import Adapter

    x = be.asarray(np.random.default_rng(3).normal(size=(4, 6)) * 10)
    adapter = rx.backends.get_adapter(be.xp)
    core = Adapter(be.xp)
    assert_close(
        _softmax(be.xp, adapter, x, 1), be.to_numpy(_softmax(be.xp, core, x, 1)), be, rtol=1e-13
    )
    assert_close(
        _logsumexp(be.xp, adapter, x, 0, False),
        be.to_numpy(_logsumexp(be.xp, core, x, 0, False)),
        be,
        rtol=1e-13,
    )
    edges = be.asarray(np.array([-50.0, -1.0, 0.0, 1e-3, 19.0, 21.0, 39.0, 41.0, 1e4]))
    for beta in (0.5, 1.0, 3.0):
        fused = adapter.softplus(edges, beta)
        if fused is not None:
            want = np.logaddexp(0.0, beta * be.to_numpy(edges)) / beta
            assert_close(fused, want, be, rtol=1e-15)
            if be.differentiable:
                g = be.grad(lambda v, b=beta: adapter.softplus(v, b), edges)
                assert_close(g, 1.0 / (1.0 + np.exp(-beta * be.to_numpy(edges))), be, rtol=1e-15)
    y = be.asarray(np.random.default_rng(4).normal(size=(4, 6)) * 3)
    for delta in (0.5, 1.0, 2.0):
        fused = adapter.huber(x, y, delta)
        if fused is not None:
            assert_close(fused, be.to_numpy(_huber(be.xp, x - y, delta)), be, rtol=1e-14)
            if be.differentiable:
                g_fused = be.grad(lambda v, d=delta: adapter.huber(v, y, d), x)
                g_core = be.grad(lambda v, d=delta: _huber(be.xp, v - y, d), x)
                assert_close(g_fused, be.to_numpy(g_core), be, rtol=1e-14)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dtype_and_device_preserved(be: Backend, dtype: str) -> None:
    import array_api_compat

    x = be.asarray(X, dtype=dtype)
    outs = [
        rx.softmax(x),
        rx.log_softmax(x),
        rx.logsumexp(x),
        rx.soft_argmax(x),
        rx.soft_max(x),
        rx.softplus(x),
        rx.one_hot_argmax(x),
        rx.huber(x, x),
        rx.smooth_l1(x, x),
        rx.st_argmax(x),
        rx.st_argmax(x, one_hot=True),
        rx.stop_gradient(x),
        rx.straight_through(x, x),
    ]
    for out in outs:
        assert out.dtype == be.dtype(dtype)
        assert array_api_compat.device(out) == array_api_compat.device(x)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("t", [1e-3, 1.0, 1e3])
def test_extreme_inputs_finite(be: Backend, dtype: str, t: float) -> None:
    x = np.array([[1e4, -1e4, 0.0, 3.0], [-1e4, -1e4, -1e4, -1e4], [50.0, -50.0, 1e4, 1e4]])
    xb = be.asarray(x, dtype=dtype)
    fns = [
        lambda v: rx.softmax(v, temperature=t),
        lambda v: rx.log_softmax(v, temperature=t),
        lambda v: rx.logsumexp(v, temperature=t),
        lambda v: rx.soft_argmax(v, temperature=t),
        lambda v: rx.soft_max(v, temperature=t),
        lambda v: rx.softplus(v, beta=1.0 / t),
        lambda v: rx.huber(v, 0.0 * v, delta=t),
        lambda v: rx.smooth_l1(v, 0.0 * v, beta=t),
        lambda v: rx.st_argmax(v, temperature=t, one_hot=True),
    ]
    for fn in fns:
        assert np.all(np.isfinite(be.to_numpy(fn(xb))))
        if be.differentiable:
            assert np.all(np.isfinite(be.to_numpy(be.grad(fn, xb))))


def test_low_precision_finite(be: Backend) -> None:
    if be.base not in ("torch", "jax"):
        pytest.skip("float16/bfloat16 are torch/jax extensions")
    for dtype in ("float16", "bfloat16"):
        if be.base == "torch":
            import torch

            x = torch.tensor([[30000.0, -30000.0, 0.0, 3.0]], dtype=getattr(torch, dtype))
        else:
            import jax.numpy as jnp

            x = jnp.asarray([[30000.0, -30000.0, 0.0, 3.0]], dtype=getattr(jnp, dtype))
        for fn in (rx.softmax, rx.log_softmax, rx.logsumexp, rx.soft_argmax, rx.softplus):
            out = fn(x)
            assert out.dtype == x.dtype
            assert np.all(np.isfinite(np.asarray(be.to_numpy(out), dtype=np.float32)))


def _fd_grad(fn: Any, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        xp_, xm = x.copy(), x.copy()
        xp_[i] += eps
        xm[i] -= eps
        g[i] = (fn(xp_).sum() - fn(xm).sum()) / (2 * eps)
    return g


@pytest.mark.parametrize(
    "name",
    [
        "softmax",
        "log_softmax",
        "logsumexp",
        "soft_argmax",
        "soft_max",
        "softplus",
        "huber",
        "smooth_l1",
    ],
)
def test_gradients_match_finite_differences(be: Backend, name: str) -> None:
    if not be.differentiable:
        pytest.skip("no autodiff")
    rs = np.random.default_rng(4)
    x = rs.normal(size=(3, 4)) * 2
    x[0, 0] = 0.5  # one Huber entry inside the quadratic zone, others outside
    w = rs.normal(size=(3, 4))  # a random linear read-out tests the whole Jacobian
    red = 3 if name in ("logsumexp", "soft_argmax", "soft_max") else 4
    w = w[:, :red] if red == 3 else w
    kwargs: dict[str, Any] = (
        {} if name in ("softplus", "huber", "smooth_l1") else {"temperature": 0.7, "axis": 0}
    )
    if name in ("logsumexp", "soft_argmax", "soft_max"):
        w = rs.normal(size=(4,))

    def ref(v: np.ndarray) -> np.ndarray:
        return np.asarray(be.to_numpy(call(be.asarray(v)))) * w

    def call(v: Any) -> Any:
        fn = getattr(rx, name)
        if name in ("huber", "smooth_l1"):
            return fn(v, v * 0.0 + 0.3, **({"delta": 1.2} if name == "huber" else {"beta": 1.2}))
        return fn(v, **kwargs)

    wb = be.asarray(w)
    got = be.to_numpy(be.grad(lambda v: call(v) * wb, be.asarray(x)))
    np.testing.assert_allclose(got, _fd_grad(ref, x), rtol=1e-6, atol=1e-8)


def test_straight_through_value_and_gradient(be: Backend) -> None:
    if not be.differentiable:
        pytest.skip("no autodiff")
    x = be.asarray(X)
    w = be.asarray([0.3, -1.0, 2.0, 0.5])
    t = 0.5
    # st_argmax: the value of argmax, the gradient of soft_argmax
    assert float(be.to_numpy(rx.st_argmax(x, temperature=t))) == 1.0
    g_st = be.grad(lambda v: rx.st_argmax(v, temperature=t), x)
    g_soft = be.grad(lambda v: rx.soft_argmax(v, temperature=t), x)
    assert_close(g_st, be.to_numpy(g_soft), be, rtol=1e-14)
    g_st1 = be.grad(lambda v: rx.st_argmax(v, temperature=t, one_hot=True) * w, x)
    g_soft1 = be.grad(lambda v: rx.softmax(v, temperature=t) * w, x)
    assert_close(g_st1, be.to_numpy(g_soft1), be, rtol=1e-14)
    # straight_through: exact hard value, soft gradient, no gradient into hard
    soft = rx.softmax(x, temperature=0.3)
    out = rx.straight_through(rx.one_hot_argmax(x), soft)
    np.testing.assert_array_equal(be.to_numpy(out), [0.0, 1.0, 0.0, 0.0])
    g = be.grad(lambda v: rx.straight_through(v * 10.0, rx.softplus(v)), x)
    assert_close(g, 1.0 / (1.0 + np.exp(-X)), be, rtol=1e-14)
    # stop_gradient: zero gradient, identity value
    g0 = be.grad(lambda v: rx.stop_gradient(v) * v, x)
    assert_close(g0, X, be, rtol=1e-15)


def test_straight_through_exact_value_for_awkward_floats(be: Backend) -> None:
    soft = be.asarray(np.array([0.1, 0.7, 0.2, 1e-17, 0.3333333333333333]))
    hard = be.asarray(np.array([0.0, 1.0, 0.0, 1.0, 0.0]))
    np.testing.assert_array_equal(be.to_numpy(rx.straight_through(hard, soft)), be.to_numpy(hard))


def test_validation_errors(be: Backend) -> None:
    x = be.asarray(X)
    for bad in (0.0, -1.0, float("inf"), float("nan")):
        with pytest.raises(ValueError, match="temperature"):
            rx.softmax(x, temperature=bad)
        with pytest.raises(ValueError, match="temperature"):
            rx.st_argmax(x, temperature=bad)
    with pytest.raises(ValueError, match="beta"):
        rx.softplus(x, beta=0.0)
    with pytest.raises(ValueError, match="delta"):
        rx.huber(x, x, delta=-1.0)
    with pytest.raises(ValueError, match="beta"):
        rx.smooth_l1(x, x, beta=-1.0)
    with pytest.raises(ValueError, match="axis"):
        rx.softmax(x, axis=3)
    with pytest.raises(TypeError, match="floating"):
        rx.softmax(be.asarray([1, 2, 3], dtype="int64"))
    if be.base != "jax" or not be.jit:
        with pytest.raises(ValueError, match="temperature"):
            rx.softmax(x, temperature=be.asarray([1.0, -1.0, 1.0, 1.0]))
    with pytest.raises(ValueError, match="hard and soft"):
        rx.straight_through(be.asarray(np.zeros(3)), x)


def test_mixed_libraries_raise_type_error(be: Backend) -> None:
    if be.base == "numpy":
        other = import_backend("array_api_strict")

        y = other.asarray(X)
    else:
        y = X
    with pytest.raises(TypeError, match="different libraries"):
        rx.huber(be.asarray(X), y)


def test_non_array_input_is_a_clear_type_error() -> None:
    # the message names the argument (issue 15)
    with pytest.raises(TypeError, match="x must be a real floating-point array, got list"):
        rx.softmax([1.0, 2.0])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="x must be a real floating-point array, got float"):
        rx.softplus(1.0)  # type: ignore[arg-type]
