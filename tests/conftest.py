"""The cross-backend test matrix.

The ``be`` fixture (a :class:`Backend`) is parametrised over every installed backend and
a few device/compilation variants. ``RELAXARRAY_TEST_BACKENDS`` (comma-separated base
names: numpy, array_api_strict, torch, jax, cupy) narrows the set;
``RELAXARRAY_REQUIRE_BACKENDS`` makes a missing backend an error instead of a skip (CI).
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

BASES = ("numpy", "array_api_strict", "torch", "jax", "cupy")
VARIANTS = [
    ("numpy", {}),
    ("array_api_strict", {}),
    ("array_api_strict", {"device": "device1"}),
    ("torch", {}),
    ("jax", {}),
    ("jax", {"jit": True}),
    ("cupy", {}),
]


def _installed(base: str) -> bool:
    if base == "cupy":
        if importlib.util.find_spec("cupy") is None:
            return False
        try:
            import cupy

            return bool(cupy.cuda.runtime.getDeviceCount() > 0)
        except Exception:
            return False
    return importlib.util.find_spec(base) is not None


def _selected() -> set[str]:
    env = os.environ.get("RELAXARRAY_TEST_BACKENDS", "")
    return {b.strip() for b in env.split(",") if b.strip()} or set(BASES)


def pytest_sessionstart(session: pytest.Session) -> None:
    required = {b.strip() for b in os.environ.get("RELAXARRAY_REQUIRE_BACKENDS", "").split(",")}
    missing = sorted(b for b in required if b and not _installed(b))
    if missing:
        raise pytest.UsageError(f"required backends are not installed: {missing}")


def pytest_unconfigure(config: pytest.Config) -> None:
    """End the run cleanly: drop the frameworks' caches and jax's gc hook.

    jax appends a callback to ``gc.callbacks`` that frees XLA buffers; at the end of a run
    (an xdist worker told to stop, interpreter shutdown) a collection can fire it while the
    interpreter is interrupted, which printed a KeyboardInterrupt traceback after the
    summary. Nothing runs after this hook, so the callback is no longer needed.
    """
    import gc
    import sys

    jax = sys.modules.get("jax")
    if jax is not None:
        jax.clear_caches()
        gc.callbacks[:] = [
            cb for cb in gc.callbacks
            if not getattr(cb, "__module__", "").startswith(("jax", "jaxlib"))
        ]
    dynamo = sys.modules.get("torch._dynamo")
    if dynamo is not None:
        dynamo.reset()


def pytest_configure(config: pytest.Config) -> None:
    if _installed("jax"):
        import jax

        jax.config.update("jax_enable_x64", True)


@dataclass
class Backend:
    """One backend variant: how to make arrays, read them back, differentiate."""

    base: str
    device_name: str | None = None
    jit: bool = False
    xp: Any = field(init=False)
    device: Any = field(init=False)

    def __post_init__(self) -> None:
        import array_api_compat

        if self.base == "numpy":
            self.xp = array_api_compat.array_namespace(np.zeros(0))
            self.device = "cpu"
        elif self.base == "array_api_strict":
            import array_api_strict as s

            self.xp = s
            self.device = s.Device(self.device_name) if self.device_name else s.Device("CPU_DEVICE")
        elif self.base == "torch":
            import torch

            self.xp = array_api_compat.array_namespace(torch.zeros(0))
            self.device = torch.device(self.device_name or "cpu")
        elif self.base == "jax":
            import jax

            self.xp = jax.numpy
            self.device = jax.devices()[0]
        elif self.base == "cupy":
            import cupy

            self.xp = cupy
            self.device = cupy.cuda.Device(0)

    @property
    def id(self) -> str:
        return self.base + (f"-{self.device_name}" if self.device_name else "") + (
            "-jit" if self.jit else ""
        )

    @property
    def differentiable(self) -> bool:
        return self.base in ("torch", "jax")

    def dtype(self, name: str) -> Any:
        return getattr(self.xp, name)

    def asarray(self, a: Any, dtype: str | None = "float64") -> Any:
        a = np.asarray(a)
        if dtype is not None:
            a = a.astype(dtype)
        if self.base == "numpy":
            return a
        if self.base == "array_api_strict":
            return self.xp.asarray(a, device=self.device)
        if self.base == "torch":
            import torch

            return torch.as_tensor(a, device=self.device)
        if self.base == "jax":
            import jax

            return jax.device_put(self.xp.asarray(a), self.device)
        return self.xp.asarray(a)

    def to_numpy(self, x: Any) -> np.ndarray:
        if self.base == "torch":
            import torch

            x = x.detach().cpu()
            return (x.float() if x.dtype == torch.bfloat16 else x).numpy()
        if self.base == "array_api_strict":
            import array_api_strict as s

            return np.asarray(s.asarray(x, device=s.Device("CPU_DEVICE"), copy=True)._array)
        if self.base == "cupy":
            return x.get()
        return np.asarray(x)

    def run(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Call ``fn(*args, **kwargs)``; under ``jax.jit`` for the jit variant."""
        if self.jit:
            import functools

            import jax

            return jax.jit(functools.partial(fn, **kwargs))(*args)
        return fn(*args, **kwargs)

    def grad(self, fn: Callable[..., Any], x: Any, argnum: int = 0) -> Any:
        """Gradient of the scalar ``sum(fn(x))`` with respect to the array ``x``."""
        if self.base == "torch":
            import torch

            x = x.detach().clone().requires_grad_(True)
            out = fn(x)
            if not out.requires_grad:
                return torch.zeros_like(x)
            (g,) = torch.autograd.grad(out.sum(), x, allow_unused=True)
            return torch.zeros_like(x) if g is None else g
        if self.base == "jax":
            import jax

            g = jax.grad(lambda v: fn(v).sum())
            return (jax.jit(g) if self.jit else g)(x)
        pytest.skip(f"{self.base} has no autodiff")

    def rng(self, seed: int = 0) -> Any:
        """A native generator or key for this backend."""
        if self.base == "torch":
            import torch

            return torch.Generator(device=self.device).manual_seed(seed)
        if self.base == "jax":
            import jax

            return jax.random.key(seed)
        if self.base == "cupy":
            import cupy

            return cupy.random.default_rng(seed)
        return np.random.default_rng(seed)


def _params() -> list[Any]:
    selected = _selected()
    params = []
    for base, opts in VARIANTS:
        if base not in selected:
            continue
        be_id = base + (f"-{opts['device']}" if "device" in opts else "") + (
            "-jit" if opts.get("jit") else ""
        )
        marks = [] if _installed(base) else [pytest.mark.skip(reason=f"{base} not installed")]
        params.append(pytest.param((base, opts), id=be_id, marks=marks))
    return params


@pytest.fixture(params=_params())
def be(request: pytest.FixtureRequest) -> Backend:
    base, opts = request.param
    return Backend(base, device_name=opts.get("device"), jit=bool(opts.get("jit")))


@pytest.fixture
def xp(be: Backend) -> Any:
    return be.xp


def assert_close(
    actual: Any, desired: Any, be: Backend, *, rtol: float = 1e-7, atol: float = 0.0
) -> None:
    np.testing.assert_allclose(be.to_numpy(actual), np.asarray(desired), rtol=rtol, atol=atol)
