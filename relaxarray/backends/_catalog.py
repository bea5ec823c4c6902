"""The known backends and their devices, for :mod:`relaxarray.testing`.

This module names frameworks (it lives in ``relaxarray/backends/`` for that reason) and
imports one only when asked for its targets.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from typing import Any

from relaxarray.backends import get_adapter
from relaxarray.backends._base import Adapter

__all__ = ["KNOWN_BACKENDS", "Target", "installed_backends", "is_installed", "targets"]

KNOWN_BACKENDS = ("numpy", "array_api_strict", "torch", "jax", "cupy")


@dataclass(frozen=True)
class Target:
    """One place to run a function: a backend, one of its devices, optionally jitted.

    Attributes
    ----------
    id : str
        Readable name: ``"torch"``, ``"array_api_strict-device1"``, ``"jax-jit"``, ...
    backend : str
        The backend's name (one of ``KNOWN_BACKENDS``).
    xp : module
        Its Array API namespace.
    device : object
        The device arrays are placed on.
    adapter : Adapter
        relaxarray's adapter for ``xp``.
    jit : bool
        Whether functions run under the framework's ``jit``.
    """

    id: str
    backend: str
    xp: Any
    device: Any
    adapter: Adapter
    jit: bool = False

    def asarray(self, a: Any) -> Any:
        """A NumPy array as an array of this target (dtype kept, on ``device``)."""
        return self.adapter.from_numpy(a, self.device)

    def to_numpy(self, x: Any) -> Any:
        """A host NumPy copy of an array of this target."""
        return self.adapter.to_numpy(x)


def is_installed(name: str) -> bool:
    """Whether backend ``name`` can run here (CuPy also needs a GPU)."""
    if name not in KNOWN_BACKENDS:
        raise ValueError(f"unknown backend {name!r}; known backends: {', '.join(KNOWN_BACKENDS)}")
    if importlib.util.find_spec(name) is None:
        return False
    if name == "cupy":
        try:
            import cupy

            return bool(cupy.cuda.runtime.getDeviceCount() > 0)
        except Exception:
            return False
    return True


def installed_backends() -> list[str]:
    """Names of the backends that can run here, in ``KNOWN_BACKENDS`` order."""
    return [name for name in KNOWN_BACKENDS if is_installed(name)]


def targets(name: str) -> list[Target]:
    """Every device (and jit variant) of the installed backend ``name``."""
    import array_api_compat

    if name == "numpy":
        import numpy as np

        xp = array_api_compat.array_namespace(np.zeros(0))
        return [Target("numpy", name, xp, "cpu", get_adapter(xp))]
    if name == "array_api_strict":
        import array_api_strict as s

        adapter = get_adapter(s)
        return [
            Target(name, name, s, s.Device("CPU_DEVICE"), adapter),
            Target(f"{name}-device1", name, s, s.Device("device1"), adapter),
        ]
    if name == "torch":
        import torch

        xp = array_api_compat.array_namespace(torch.zeros(0))
        adapter = get_adapter(xp)
        out = [Target("torch", name, xp, torch.device("cpu"), adapter)]
        if torch.cuda.is_available():
            out.append(Target("torch-cuda", name, xp, torch.device("cuda"), adapter))
        return out
    if name == "jax":
        import jax

        adapter = get_adapter(jax.numpy)
        dev = jax.devices()[0]  # JAX's default device: a GPU where one is present
        tag = "jax" if dev.platform == "cpu" else f"jax-{dev.platform}"  # jax-gpu
        return [
            Target(tag, name, jax.numpy, dev, adapter),
            Target(f"{tag}-jit", name, jax.numpy, dev, adapter, jit=True),
        ]
    if name == "cupy":
        import cupy

        return [Target("cupy", name, cupy, cupy.cuda.Device(0), get_adapter(cupy))]
    raise ValueError(f"unknown backend {name!r}; known backends: {', '.join(KNOWN_BACKENDS)}")
