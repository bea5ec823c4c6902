"""The cross-backend test matrix, built on :mod:`relaxarray.testing`.

The ``be`` fixture (a :class:`Backend`) is parametrised over the targets of
:func:`relaxarray.testing.targets`: every installed backend, device and jit variant.
``RELAXARRAY_TEST_BACKENDS`` (comma-separated names: numpy, array_api_strict, torch,
jax, cupy) narrows it and every test marked ``requires_backend``;
``RELAXARRAY_REQUIRE_BACKENDS`` makes a missing backend an error instead of a skip (CI).
Both are applied by the plugin ``relaxarray.testing.pytest_plugin``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

from relaxarray.backends._catalog import KNOWN_BACKENDS, Target, is_installed
from relaxarray.backends._catalog import targets as backend_targets
from relaxarray.testing import backend_enabled, selected_backends

pytest_plugins = ["relaxarray.testing.pytest_plugin"]

# subprocess workers of the scale-out tests import their framework at the top: not test
# modules (--doctest-modules would import them, whatever RELAXARRAY_TEST_BACKENDS says)
collect_ignore_glob = ["_scale_*_worker.py"]

BASES = KNOWN_BACKENDS


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
            cb
            for cb in gc.callbacks
            if not getattr(cb, "__module__", "").startswith(("jax", "jaxlib"))
        ]
    dynamo = sys.modules.get("torch._dynamo")
    if dynamo is not None:
        dynamo.reset()


def pytest_configure(config: pytest.Config) -> None:
    if backend_enabled("jax"):
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
    target: Target = field(init=False)

    def __post_init__(self) -> None:
        for t in backend_targets(self.base):
            if t.id == self.id:
                break
        else:
            raise ValueError(f"relaxarray.testing has no target {self.id!r}")
        self.target = t
        self.xp = t.xp
        self.device = t.device

    @classmethod
    def from_target(cls, t: Target) -> Backend:
        rest = t.id[len(t.backend) :].removesuffix("-jit" if t.jit else "").removeprefix("-")
        return cls(t.backend, device_name=rest or None, jit=t.jit)

    @property
    def id(self) -> str:
        return (
            self.base
            + (f"-{self.device_name}" if self.device_name else "")
            + ("-jit" if self.jit else "")
        )

    @property
    def differentiable(self) -> bool:
        return bool(self.target.adapter.differentiable)

    def dtype(self, name: str) -> Any:
        return getattr(self.xp, name)

    def asarray(self, a: Any, dtype: str | None = "float64") -> Any:
        a = np.asarray(a)
        if dtype is not None:
            a = a.astype(dtype)
        return self.target.asarray(a)

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
    params = []
    for base in selected_backends():
        if not is_installed(base):
            skip = pytest.mark.skip(reason=f"{base} not installed")
            params.append(pytest.param(None, id=base, marks=[skip]))
            continue
        for t in backend_targets(base):
            params.append(pytest.param(t, id=t.id))
    return params


@pytest.fixture(params=_params())
def be(request: pytest.FixtureRequest) -> Backend:
    return Backend.from_target(request.param)


@pytest.fixture
def xp(be: Backend) -> Any:
    return be.xp


def assert_close(
    actual: Any, desired: Any, be: Backend, *, rtol: float = 1e-7, atol: float = 0.0
) -> None:
    np.testing.assert_allclose(be.to_numpy(actual), np.asarray(desired), rtol=rtol, atol=atol)
