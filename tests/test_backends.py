"""The adapter contract, run against every adapter; random numbers; special functions."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import numpy as np
import pytest
from conftest import Backend, assert_close

import relaxarray as rx
from relaxarray import random
from relaxarray.backends import Adapter, get_adapter, register_adapter
from relaxarray.testing import backend_enabled, import_backend, requires_backend


def test_import_loads_no_framework() -> None:
    code = (
        "import sys, relaxarray, relaxarray.random, relaxarray.backends, relaxarray.distributions\n"
        "bad = [m for m in ('numpy', 'scipy', 'torch', 'jax', 'cupy', 'array_api_strict')"
        " if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_get_adapter_picks_the_right_one(be: Backend) -> None:
    adapter = get_adapter(be.xp)
    expected = {"array_api_strict": "generic"}.get(be.base, be.base)
    assert adapter.name == expected
    assert adapter.differentiable == be.differentiable


@requires_backend("array_api_strict")
def test_register_adapter_takes_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    import array_api_strict

    from relaxarray import backends

    monkeypatch.setattr(backends, "_registry", list(backends._registry))
    monkeypatch.setattr(backends, "_cache", {})
    monkeypatch.setattr(backends, "TYPE_CACHE", {})

    class Doubling(Adapter):
        name = "doubling"

        def stop_gradient(self, x: Any) -> Any:
            return x * 2

    register_adapter(lambda xp: xp is array_api_strict, Doubling)
    out = rx.stop_gradient(array_api_strict.asarray([1.0, 2.0]))
    np.testing.assert_array_equal(np.asarray(out._array), [2.0, 4.0])
    with pytest.raises(TypeError, match="subclass of Adapter"):
        register_adapter(lambda xp: True, object)  # type: ignore[arg-type]


# -- random numbers -------------------------------------------------------------------------


def _rng_kinds(be: Backend) -> list[Any]:
    kinds: list[Any] = [7, be.rng(7)]
    if be.base == "jax":
        import jax

        kinds.append(jax.random.PRNGKey(7))  # legacy uint32 key
    return kinds


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_base_noise_moments_and_range(be: Backend, dtype: str) -> None:
    like = be.asarray(np.zeros(1), dtype=dtype)
    n = 200_000
    for rng in _rng_kinds(be):
        u = be.to_numpy(random.uniform(rng, (n,), like=like))
        assert u.dtype == np.dtype(dtype)
        assert u.min() > 0.0 and u.max() < 1.0
        # mean 1/2 (sd 0.29 / sqrt(n) = 6.5e-4), variance 1/12
        assert abs(u.mean() - 0.5) < 5 * 0.2887 / np.sqrt(n)
        assert abs(u.var() - 1 / 12) < 5 * np.sqrt(1 / 180) / np.sqrt(n)
        z = be.to_numpy(random.normal(rng, (n,), like=like))
        assert abs(z.mean()) < 5 / np.sqrt(n) and abs(z.var() - 1) < 5 * np.sqrt(2 / n)
        g = be.to_numpy(random.gumbel(rng, (n,), like=like))
        assert abs(g.mean() - np.euler_gamma) < 5 * 1.2825 / np.sqrt(n)
        assert abs(g.var() - np.pi**2 / 6) < 0.05
        lo = be.to_numpy(random.logistic(rng, (n,), like=like))
        assert abs(lo.mean()) < 5 * 1.8138 / np.sqrt(n) and abs(lo.var() - np.pi**2 / 3) < 0.1
        e = be.to_numpy(random.exponential(rng, (n,), like=like))
        assert e.min() > 0 and abs(e.mean() - 1) < 5 / np.sqrt(n)
        assert np.all(np.isfinite(g)) and np.all(np.isfinite(lo)) and np.all(np.isfinite(e))


def test_noise_dtype_and_device(be: Backend) -> None:
    import array_api_compat

    for dtype in ("float32", "float64"):
        like = be.asarray(np.zeros(2), dtype=dtype)
        for fn in (
            random.uniform,
            random.normal,
            random.gumbel,
            random.logistic,
            random.exponential,
        ):
            out = fn(0, (3, 2), like=like)
            assert out.dtype == like.dtype and tuple(out.shape) == (3, 2)
            assert array_api_compat.device(out) == array_api_compat.device(like)


def test_same_seed_same_noise_different_seed_different(be: Backend) -> None:
    like = be.asarray(np.zeros(1))
    a = be.to_numpy(random.uniform(3, 100, like=like))
    b = be.to_numpy(random.uniform(3, 100, like=like))
    c = be.to_numpy(random.uniform(4, 100, like=like))
    np.testing.assert_array_equal(a, b)
    assert not np.any(a == c)


def test_split_gives_independent_streams(be: Backend) -> None:
    like = be.asarray(np.zeros(1))
    for rng in _rng_kinds(be):
        children = random.split(rng, 4)
        draws = [be.to_numpy(random.uniform(c, 1000, like=like)) for c in children]
        for i in range(4):
            for j in range(i + 1, 4):
                assert abs(np.corrcoef(draws[i], draws[j])[0, 1]) < 0.15
                assert not np.any(draws[i] == draws[j])
    assert random.split(5, 3) == random.split(5, 3)
    assert len(set(random.split(5, 1000))) == 1000


def test_rng_of_the_wrong_kind(be: Backend) -> None:
    like = be.asarray(np.zeros(1))
    with pytest.raises(TypeError, match="rng"):
        random.uniform("seed", 3, like=like)
    if be.base in ("numpy", "array_api_strict"):
        if not backend_enabled("torch"):
            return
        import torch

        with pytest.raises(TypeError, match="rng"):
            random.uniform(torch.Generator(), 3, like=like)
    else:
        with pytest.raises(TypeError, match="rng"):
            random.uniform(np.random.default_rng(0), 3, like=like)


@requires_backend("jax")
def test_jax_without_key_says_how() -> None:
    jnp = pytest.importorskip("jax.numpy")
    with pytest.raises(TypeError, match=r"jax\.random\.key"):
        random.uniform(None, 3, like=jnp.zeros(1))


@requires_backend("torch")
def test_torch_generator_on_another_device() -> None:
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA device to have two device types")
    with pytest.raises(ValueError, match="device"):
        random.uniform(torch.Generator(device="cpu"), 3, like=torch.zeros(1, device="cuda"))


@requires_backend("torch")
def test_torch_meta_device_propagates() -> None:
    torch = pytest.importorskip("torch")
    x = torch.zeros((5, 4), device="meta", dtype=torch.float64)
    outs = [
        random.uniform(0, (2, 3), like=x),
        random.normal(None, 3, like=x),
        rx.softmax(x, temperature=torch.ones(5, 1, device="meta", dtype=torch.float64)),
        rx.logsumexp(x),
        rx.soft_argmax(x),
        rx.st_argmax(x, one_hot=True),
        rx.huber(x, x),
    ]
    for out in outs:
        assert out.device.type == "meta" and out.dtype == torch.float64


def test_random_without_like() -> None:
    u = random.uniform(0, (2, 2))
    assert isinstance(u, np.ndarray) and u.dtype == np.float64
    torch = import_backend("torch")
    t = random.normal(torch.Generator().manual_seed(0), 3)
    assert isinstance(t, torch.Tensor) and t.dtype == torch.get_default_dtype()


# -- autodiff --------------------------------------------------------------------------------


def test_custom_vjp_contract(be: Backend) -> None:
    adapter = get_adapter(be.xp)

    def fwd(a: Any, b: Any) -> tuple[Any, Any]:
        return a * b, (a, b)

    def bwd(res: Any, g: Any) -> tuple[Any, Any]:
        a, b = res
        return 10.0 * g * b, -g * a  # deliberately not the true derivative of a*b w.r.t. b

    f = adapter.custom_vjp(fwd, bwd)
    a = be.asarray([1.0, 2.0])
    b = be.asarray([3.0, 5.0])
    assert_close(be.run(f, a, b), [3.0, 10.0], be)
    if be.differentiable:
        assert_close(be.grad(lambda v: f(v, b), a), [30.0, 50.0], be)
        assert_close(be.grad(lambda v: f(a, v), b), [-1.0, -2.0], be)


def test_stop_gradient_is_identity_with_zero_gradient(be: Backend) -> None:
    x = be.asarray([1.5, -2.0])
    assert_close(rx.stop_gradient(x), [1.5, -2.0], be)
    if be.differentiable:
        assert_close(be.grad(rx.stop_gradient, x), [0.0, 0.0], be)


# -- special functions -----------------------------------------------------------------------

SPECIAL_X = {
    "lgamma": np.array([1e-8, 0.1, 0.5, 1.0, 1.5, 2.0, 3.7, 10.0, 171.5, 1e5, -0.5, -2.5]),
    "digamma": np.array([1e-6, 0.1, 0.5, 1.0, 1.5, 2.0, 3.7, 10.0, 1e5, -0.5, -2.5]),
    "erf": np.array([-30.0, -5.0, -2.5, -1.0, -1e-9, 0.0, 0.3, 1.0, 2.4, 2.6, 4.0, 30.0]),
    "erfc": np.array([-4.0, -1.0, 0.0, 0.3, 1.0, 2.4, 2.6, 4.0, 10.0, 26.0]),
}


@pytest.mark.parametrize("name", sorted(SPECIAL_X))
def test_special_functions(be: Backend, name: str) -> None:
    import scipy.special as sp

    ref = {"lgamma": sp.gammaln, "digamma": sp.digamma, "erf": sp.erf, "erfc": sp.erfc}[name]
    x = SPECIAL_X[name]
    got = getattr(get_adapter(be.xp), name)(be.asarray(x))
    assert_close(got, ref(x), be, rtol=2e-12, atol=1e-14)


@requires_backend("array_api_strict")
@pytest.mark.parametrize("name", sorted(SPECIAL_X))
def test_pure_array_api_special_functions(name: str) -> None:
    import array_api_strict as xs
    import scipy.special as sp

    from relaxarray._lib import special as _special

    ref = {"lgamma": sp.gammaln, "digamma": sp.digamma, "erf": sp.erf, "erfc": sp.erfc}[name]
    x = np.concatenate([SPECIAL_X[name], np.linspace(-3.3, 6.1, 401) + 1e-3])
    got = np.asarray(getattr(_special, name)(xs.asarray(x))._array)
    np.testing.assert_allclose(got, ref(x), rtol=2e-12, atol=1e-15)


def test_adapter_split_accepts_every_rng_kind(be: Backend) -> None:
    """Library code may split any rng the user passed: int seeds, None, portable keys."""
    adapter = get_adapter(be.xp)
    like = be.asarray(np.zeros(1))
    for rng in (*_rng_kinds(be), random.portable(3)):
        children = adapter.split(rng, 3)
        draws = [be.to_numpy(random.uniform(c, 50, like=like)) for c in children]
        assert not np.any(draws[0] == draws[1]) and not np.any(draws[1] == draws[2])
    assert adapter.split(None, 2) == [None, None]
    assert adapter.split(11, 2) == random.split(11, 2)
