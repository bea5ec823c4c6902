"""relaxarray.testing: assert_consistent's checks and messages, and the pytest fixtures."""

from __future__ import annotations

import importlib.util
from typing import Any

import array_api_compat
import numpy as np
import pytest

from relaxarray import random, softmax
from relaxarray.testing import assert_consistent, installed_backends, targets
from relaxarray.testing.pytest_plugin import array_target, rng, xp  # noqa: F401

HAS_TORCH = importlib.util.find_spec("torch") is not None
X = np.array([[0.3, -1.2, 2.0], [1.0, 0.5, -0.5]])


def _is(x: Any, module: str) -> bool:
    return type(x).__module__.split(".")[0] == module


def test_installed_backends_lists_numpy_first() -> None:
    names = installed_backends()
    assert names[0] == "numpy"
    ids = [t.id for t in targets()]
    if "array_api_strict" in names:
        assert "array_api_strict-device1" in ids


def test_consistent_function_passes_with_rng_and_grad() -> None:
    def noisy_softmax(x: Any, *, rng: Any) -> Any:  # noqa: F811
        g = random.gumbel(rng, x.shape, like=x)
        return softmax(x + g, temperature=0.5)

    assert_consistent(noisy_softmax, X, rtol=1e-10, atol=1e-12)


def test_unknown_backend_named() -> None:
    with pytest.raises(ValueError, match="unknown backend 'tensorflow'"):
        assert_consistent(softmax, X, backends=["numpy", "tensorflow"])


@pytest.mark.skipif(not HAS_TORCH, reason="torch not installed")
def test_value_mismatch_table_names_backend_and_index() -> None:
    def f(x: Any) -> Any:
        ns = array_api_compat.array_namespace(x)
        if _is(x, "torch"):
            bump = ns.asarray(np.where(np.arange(6).reshape(2, 3) == 4, 1e-3, 0.0), device=x.device)
            return ns.exp(x) + bump
        return ns.exp(x)

    with pytest.raises(AssertionError) as info:
        assert_consistent(f, X, backends=["numpy", "torch"], grad=False)
    msg = str(info.value)
    assert "max abs diff" in msg and "first bad index" in msg
    torch_row = next(line for line in msg.splitlines() if line.startswith("| torch "))
    assert "FAIL" in torch_row and "(1, 1)" in torch_row and "0.001" in torch_row
    numpy_row = next(line for line in msg.splitlines() if line.startswith("| numpy "))
    assert "ok" in numpy_row


@pytest.mark.skipif(not HAS_TORCH, reason="torch not installed")
def test_nan_on_one_backend_only() -> None:
    def f(x: Any) -> Any:
        ns = array_api_compat.array_namespace(x)
        nan = ns.asarray(float("nan"), dtype=x.dtype)
        y = ns.where(x < 0, nan, ns.exp(x))  # NaN where x < 0 on every backend ...
        if _is(x, "torch"):  # ... and one more NaN on torch only
            y = ns.where(x == 2.0, nan, y)
        return y

    with pytest.raises(AssertionError) as info:
        assert_consistent(f, X, backends=["numpy", "torch"], grad=False)
    torch_row = next(line for line in str(info.value).splitlines() if line.startswith("| torch "))
    assert "NaN on torch only" in torch_row and "(0, 2)" in torch_row


@pytest.mark.skipif(not HAS_TORCH, reason="torch not installed")
def test_shape_differs_between_backends() -> None:
    def f(x: Any) -> Any:
        return x.T if _is(x, "torch") else x

    with pytest.raises(AssertionError, match=r"torch .*shape \(3, 2\) != reference \(2, 3\)"):
        assert_consistent(f, X, backends=["numpy", "torch"], grad=False)


@pytest.mark.skipif(not HAS_TORCH, reason="torch not installed")
def test_backend_exception_reported() -> None:
    def f(x: Any) -> Any:
        if _is(x, "torch"):
            raise RuntimeError("boom")
        return x

    with pytest.raises(AssertionError, match=r"torch .*raised RuntimeError: boom"):
        assert_consistent(f, X, backends=["numpy", "torch"])


@pytest.mark.skipif(
    not (HAS_TORCH and importlib.util.find_spec("jax")), reason="torch and jax needed"
)
def test_gradient_mismatch_detected() -> None:
    def f(x: Any) -> Any:
        ns = array_api_compat.array_namespace(x)
        if _is(x, "jax"):  # same value, different gradient
            import jax

            return ns.sin(x) + (x - jax.lax.stop_gradient(x)) * 0.5
        return ns.sin(x)

    with pytest.raises(AssertionError) as info:
        assert_consistent(f, X, backends=["numpy", "torch", "jax"])
    rows = [line for line in str(info.value).splitlines() if "grad[arg 0]" in line]
    assert any(r.startswith("| jax ") and "FAIL" in r and "(0, 0)" in r for r in rows)


def test_fixtures(array_target: Any, xp: Any, rng: random.PortableKey) -> None:  # noqa: F811
    x = array_target.asarray(X)
    u = random.uniform(rng, (2, 3), like=x)
    np.testing.assert_array_equal(array_target.to_numpy(u), random.uniform(rng, (2, 3), like=X))
    assert xp is array_target.xp
    np.testing.assert_allclose(array_target.to_numpy(softmax(x)), softmax(X), rtol=1e-12)
