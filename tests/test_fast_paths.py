"""The lean per-call paths: cached namespace detection, exact divisions, fused adapter
kernels, and validation that never synchronises with an accelerator.

Every fast path is compared with the general code it short-cuts, and every error of the
general code is checked to survive the cache.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from conftest import Backend

import relaxarray as rx
from relaxarray.testing import import_backend, requires_backend


# -- the per-type cache --------------------------------------------------------------------
def test_errors_survive_the_cache(be: Backend) -> None:
    x = be.asarray(np.array([[0.3, -1.0, 2.0]]))
    rx.softmax(x, temperature=0.5)  # fills the cache for this type and dtype
    rx.gumbel_softmax(x, temperature=0.5, noise=be.asarray(np.full((1, 3), 0.5)))
    with pytest.raises(TypeError, match="x must be a real floating-point array"):
        rx.softmax(be.xp.asarray([[1, 2, 3]]), temperature=0.5)
    with pytest.raises(TypeError, match="x must be a real floating-point array, got list"):
        rx.softmax([[0.3, -1.0]], temperature=0.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="temperature"):
        rx.softmax(x, temperature=-0.5)
    with pytest.raises(ValueError, match="temperature"):
        rx.softmax(x, temperature=float("nan"))
    with pytest.raises(TypeError, match="temperature"):
        rx.softmax(x, temperature=True)
    with pytest.raises(ValueError, match="out of range"):
        rx.softmax(x, axis=2)
    with pytest.raises(ValueError, match="at least one category"):
        rx.softmax(be.asarray(np.zeros((2, 0))))
    with pytest.raises(ValueError, match="beta"):
        rx.softplus(x, beta=0.0)
    with pytest.raises(ValueError, match="temperature"):
        rx.gumbel_softmax(x, temperature=0.0, noise=be.asarray(np.full((1, 3), 0.5)))
    if be.base != "numpy":
        with pytest.raises(TypeError, match="different libraries"):
            rx.softmax(x, temperature=np.array([[0.5]]))
        with pytest.raises(TypeError, match=r"different libraries|real floating"):
            rx.huber(x, np.zeros((1, 3)))


@requires_backend("array_api_strict")
def test_type_cache_follows_register_adapter(monkeypatch: pytest.MonkeyPatch) -> None:
    import array_api_strict

    from relaxarray import backends
    from relaxarray._namespace import float_namespace

    x = array_api_strict.asarray([1.0, 2.0])
    assert float_namespace(x, "x")[1].name == "generic"  # now cached
    monkeypatch.setattr(backends, "_registry", list(backends._registry))
    monkeypatch.setattr(backends, "_cache", {})
    monkeypatch.setattr(backends, "TYPE_CACHE", {})

    class Mine(backends.Adapter):
        name = "mine"

    backends.register_adapter(lambda xp: xp is array_api_strict, Mine)
    assert float_namespace(x, "x")[1].name == "mine"


# -- exact divisions: x / T with T a power of two needs no shift first ------------------------
@pytest.mark.parametrize("t", [0.5, 2.0, 0.25, 1.0, 0.7, 2.0**-20])
def test_softmax_at_any_temperature_matches_float64(be: Backend, t: float) -> None:
    rs = np.random.default_rng(0)
    x = rs.normal(size=(4, 6)) * 5 + 30.0  # an offset: the shift matters for 0.7
    e = np.exp((x - x.max(-1, keepdims=True)) / t)
    ref = e / e.sum(-1, keepdims=True)
    got = be.to_numpy(rx.softmax(be.asarray(x, "float32"), temperature=t))
    np.testing.assert_allclose(got, ref, atol=3e-6)
    lse = be.to_numpy(rx.logsumexp(be.asarray(x), temperature=t))
    ref_lse = x.max(-1) + t * np.log(e.sum(-1))
    np.testing.assert_allclose(lse, ref_lse, rtol=1e-12)


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
def test_float16_power_of_two_temperature_does_not_overflow(be: Backend) -> None:
    # 4e4 / 0.5 overflows float16: the exact-division path must not be taken there
    if be.base == "array_api_strict":
        pytest.skip("array-api-strict has no float16")
    x = be.asarray(np.array([[4e4, 3.99e4, 0.0]]), "float16")
    out = be.to_numpy(rx.softmax(x, temperature=0.5))
    np.testing.assert_array_equal(np.asarray(out, np.float32), [[1.0, 0.0, 0.0]])
    hard = be.to_numpy(
        rx.gumbel_softmax(
            x, temperature=0.5, hard=True, noise=be.asarray(np.full((1, 3), 0.5), "float16")
        )
    )
    np.testing.assert_array_equal(np.asarray(hard, np.float32), [[1.0, 0.0, 0.0]])


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")
@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")
def test_logsumexp_of_infinite_rows_at_exact_temperature(be: Backend) -> None:
    x = be.asarray(np.array([[-np.inf, -np.inf], [np.inf, 0.0], [0.0, 0.0]]))
    for t in (1.0, 0.5):
        out = be.to_numpy(rx.logsumexp(x, temperature=t))
        np.testing.assert_allclose(out, [-np.inf, np.inf, t * np.log(2.0)])


# -- torch's fused kernels against the core ---------------------------------------------------
def test_torch_one_hot_argmax_takes_the_first_maximum() -> None:
    torch = import_backend("torch")
    from relaxarray._relaxations import _one_hot_of_argmax
    from relaxarray.backends import get_adapter

    xp = rx.backends.namespace_by_name("torch")
    adapter = get_adapter(xp)
    x = torch.tensor([[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, 2.0, 2.0], [-1.0, -5.0, -1.0, -3.0]])
    for axis in (0, 1):
        fused = _one_hot_of_argmax(xp, x, axis, torch.float64, adapter)
        core = _one_hot_of_argmax(xp, x, axis, torch.float64)
        assert fused.dtype == torch.float64
        assert torch.equal(fused, core)


def test_torch_cached_index_vector_survives_inference_mode() -> None:
    torch = import_backend("torch")
    x = torch.randn(3, 7, dtype=torch.float64)
    with torch.inference_mode():
        first = rx.soft_argmax(x)  # may fill the cache inside inference mode
    xg = x.clone().requires_grad_(True)
    y = rx.soft_argmax(xg)
    y.sum().backward()  # an inference tensor saved for backward would raise here
    p = torch.softmax(x, -1)
    idx = torch.arange(7, dtype=x.dtype)
    torch.testing.assert_close(first, p @ idx)
    expected = p * (idx - (p @ idx)[:, None])
    torch.testing.assert_close(xg.grad, expected)


def test_torch_fused_huber_and_softplus_match_the_formulas() -> None:
    torch = import_backend("torch")
    x = torch.linspace(-50, 50, 101, dtype=torch.float64)
    y = torch.flip(x, (0,)) * 0.3
    d = x - y
    for delta in (1.0, 0.3):
        ref = torch.where(d.abs() < delta, 0.5 * d * d, delta * (d.abs() - 0.5 * delta))
        torch.testing.assert_close(rx.huber(x, y, delta=delta), ref)
    for beta in (1.0, 2.5):
        for dtype in (torch.float32, torch.float64):
            v = x.to(dtype)
            ref = (torch.logaddexp(torch.zeros_like(x), beta * x) / beta).to(dtype)
            torch.testing.assert_close(rx.softplus(v, beta=beta), ref)


def test_torch_drawn_noise_is_the_documented_draw() -> None:
    # the in-place hot path draws exactly what the general path draws: the same bits
    torch = import_backend("torch")
    logits = torch.randn(5, 4, dtype=torch.float64)
    torch.manual_seed(3)
    got = rx.gumbel_softmax(logits, temperature=0.5)
    torch.manual_seed(3)
    u = torch.rand((5, 4), dtype=torch.float64).clamp_min(torch.finfo(torch.float64).tiny)
    torch.testing.assert_close(
        got, rx.gumbel_softmax(logits, temperature=0.5, noise=u), rtol=0, atol=0
    )
    assert u.min() > 0  # the given noise was not overwritten by the in-place path
    u2 = u.clone()
    rx.gumbel_softmax(logits, temperature=0.5, noise=u)
    assert torch.equal(u, u2)


# -- no host round trip for accelerator arrays ---------------------------------------------
def _no_sync_class() -> Any:
    torch = import_backend("torch")

    class NoSync(torch.Tensor):
        """A tensor whose value may not be read on the host: ``bool()`` fails."""

        def __bool__(self) -> bool:
            raise AssertionError("a value was read on the host (a device sync)")

    return NoSync


def test_array_temperature_is_not_read_on_an_accelerator(monkeypatch: pytest.MonkeyPatch) -> None:
    torch = import_backend("torch")
    from relaxarray.backends._torch import TorchAdapter

    no_sync = _no_sync_class()
    # pretend the CPU is an accelerator: its tensors' values now cost a device sync
    monkeypatch.setattr(TorchAdapter, "HOST_DEVICE_TYPES", frozenset())
    x = torch.randn(4, 3, dtype=torch.float64)
    t = torch.full((4, 1), 0.5, dtype=torch.float64).as_subclass(no_sync)
    u = torch.rand(4, 3, dtype=torch.float64).clamp_min(1e-9).as_subclass(no_sync)
    ref = torch.softmax(x / 0.5, -1)
    torch.testing.assert_close(torch.Tensor(rx.softmax(x, temperature=t)), ref)
    rx.gumbel_softmax(x, temperature=t, noise=u)
    rx.relaxed_bernoulli(x, temperature=t, noise=u)
    rx.hard_concrete(x, temperature=t, noise=u)
    # the debug switch reads them (and so synchronises)
    previous = rx.backends.set_device_value_checks(True)
    try:
        with pytest.raises(AssertionError, match="device sync"):
            rx.softmax(x, temperature=t)
        with pytest.raises(ValueError, match="temperature"):
            rx.softmax(x, temperature=-torch.ones(4, 1, dtype=torch.float64))
    finally:
        rx.backends.set_device_value_checks(previous)
    # on the host (the real CPU) values are read by default
    monkeypatch.setattr(TorchAdapter, "HOST_DEVICE_TYPES", frozenset({"cpu"}))
    with pytest.raises(ValueError, match="temperature"):
        rx.softmax(x, temperature=-torch.ones(4, 1, dtype=torch.float64))
    with pytest.raises(TypeError, match="bool"):
        rx.backends.set_device_value_checks(1)  # type: ignore[arg-type]


def test_no_device_sync_on_cuda() -> None:
    torch = import_backend("torch")
    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA device")
    x = torch.randn(64, 10, device="cuda")
    t = torch.full((64, 1), 0.5, device="cuda")
    u = torch.rand(64, 10, device="cuda").clamp_min(1e-9)
    rx.softmax(x, temperature=t)  # warm-up: lazy initialisation may synchronise
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("error")
    try:
        rx.softmax(x, temperature=t)
        rx.soft_argmax(x, temperature=0.5)
        rx.gumbel_softmax(x, temperature=t, noise=u)
        rx.gumbel_softmax(x, temperature=0.5, hard=True)
        rx.relaxed_bernoulli(x, temperature=t, noise=u)
    finally:
        torch.cuda.set_sync_debug_mode("default")
