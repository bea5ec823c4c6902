"""Backend adapters: the only place in relaxarray that names array frameworks.

Frameworks are detected lazily from the namespace of the input arrays
(``array_api_compat``); importing relaxarray imports none of them.

Examples
--------
A third party adds a backend without editing relaxarray:

>>> from relaxarray.backends import Adapter, register_adapter
>>> class MyAdapter(Adapter):
...     name = "mine"
>>> register_adapter(lambda xp: getattr(xp, "__name__", "") == "my_array_lib", MyAdapter)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import array_api_compat as _compat

from relaxarray._lib.threefry import PortableKey
from relaxarray.backends._base import Adapter, Array, Namespace
from relaxarray.backends._pytree import PYTREE_CLASSES

__all__ = [
    "Adapter",
    "adapter_for_rng",
    "get_adapter",
    "register_adapter",
    "register_pytree_class",
    "set_device_value_checks",
]

Predicate = Callable[[Namespace], bool]
_registry: list[tuple[Predicate, type[Adapter]]] = []
_cache: dict[int, Adapter] = {}
#: per-array-type answers of the validation fast path (relaxarray._namespace.float_namespace):
#: ``(type(x), x.dtype) -> (xp, adapter, wide)``; cleared with the adapter cache
TYPE_CACHE: dict[tuple[type, Any], tuple[Namespace, Adapter, bool]] = {}


#: whether values of arrays on an accelerator are read for validation (a debug switch)
DEVICE_CHECKS = {"on": False}


def set_device_value_checks(enabled: bool) -> bool:
    """Switch the validation of values of accelerator arrays on or off; returns the
    previous setting.

    relaxarray checks the values of array arguments (an array ``temperature`` > 0,
    ``noise`` in its support, finite objective values of an estimator) only where reading
    them costs no device-to-host round trip: NumPy arrays, array-api-strict, torch tensors
    on the CPU, JAX arrays on the CPU. On CUDA tensors, CuPy arrays and JAX arrays on a GPU
    or TPU, reading ``bool(xp.all(...))`` would wait for the device on every call, so those
    checks are off by default (Python numbers, shapes, dtypes and argument kinds are
    always checked). ``set_device_value_checks(True)`` turns them on, for debugging; every
    call then synchronises with the device. Under ``jax.jit``, ``torch.compile`` and on
    torch's ``meta`` device values are never read (there are none to read).

    Examples
    --------
    >>> from relaxarray.backends import set_device_value_checks
    >>> previous = set_device_value_checks(True)
    >>> _ = set_device_value_checks(previous)
    """
    if not isinstance(enabled, bool):
        raise TypeError(f"enabled must be a bool, got {type(enabled).__name__}")
    previous = DEVICE_CHECKS["on"]
    DEVICE_CHECKS["on"] = enabled
    return previous


def register_adapter(predicate: Predicate, adapter_cls: type[Adapter]) -> None:
    """Register ``adapter_cls`` for every namespace ``xp`` with ``predicate(xp)`` true.

    Later registrations take precedence over earlier ones (and over the built-ins).

    Parameters
    ----------
    predicate : callable
        ``predicate(xp) -> bool``; must not import anything heavy.
    adapter_cls : type
        A subclass of :class:`Adapter`; instantiated as ``adapter_cls(xp)``.
    """
    if not (isinstance(adapter_cls, type) and issubclass(adapter_cls, Adapter)):
        raise TypeError(f"adapter_cls must be a subclass of Adapter, got {adapter_cls!r}")
    _registry.insert(0, (predicate, adapter_cls))
    _cache.clear()
    TYPE_CACHE.clear()


def _builtin() -> None:
    from relaxarray.backends._cupy import CupyAdapter
    from relaxarray.backends._dask import DaskAdapter
    from relaxarray.backends._jax import JaxAdapter
    from relaxarray.backends._numpy import NumpyAdapter
    from relaxarray.backends._torch import TorchAdapter

    _registry.extend(
        [
            (_compat.is_numpy_namespace, NumpyAdapter),
            (_compat.is_torch_namespace, TorchAdapter),
            (_compat.is_jax_namespace, JaxAdapter),
            (_compat.is_cupy_namespace, CupyAdapter),
            (_compat.is_dask_namespace, DaskAdapter),
        ]
    )


_builtin()


def get_adapter(xp: Namespace) -> Adapter:
    """Return the adapter for namespace ``xp`` (the generic one if none matches)."""
    key = id(xp)
    adapter = _cache.get(key)
    if adapter is None:
        cls: type[Adapter] = Adapter
        for predicate, candidate in _registry:
            if predicate(xp):
                cls = candidate
                break
        adapter = _cache[key] = cls(xp)
    return adapter


def adapter_for_rng(rng: object) -> Adapter | None:
    """Return the adapter whose native generator type ``rng`` is, if any."""
    import sys

    candidates: list[tuple[str, Callable[[], Namespace]]] = [
        ("numpy", lambda: _compat.array_namespace(_np_zero())),
        ("torch", lambda: _compat.array_namespace(sys.modules["torch"].zeros(0))),
        ("jax", lambda: sys.modules["jax"].numpy),
        ("cupy", lambda: sys.modules["cupy"]),
    ]
    for module, make_xp in candidates:
        if module not in sys.modules:  # a generator of a framework never imported
            continue
        adapter = get_adapter(make_xp())
        if adapter.owns_rng(rng):
            return adapter
    return None


def _np_zero() -> Array:
    import numpy as np

    return np.zeros(0)


def namespace_by_name(name: str, *, float64: bool = True) -> Namespace:
    """The Array API namespace of a backend by name (imports it now).

    ``name`` is one of ``numpy``, ``torch``, ``jax``, ``cupy``, ``array_api_strict``.
    With ``float64=True`` JAX is switched to 64-bit mode (``jax_enable_x64``).
    """
    import importlib

    if name == "numpy":
        return _compat.array_namespace(_np_zero())
    if name == "torch":
        return _compat.array_namespace(importlib.import_module("torch").zeros(0))
    if name == "jax":
        jax = importlib.import_module("jax")
        if float64:
            jax.config.update("jax_enable_x64", True)
        return jax.numpy
    if name in ("cupy", "array_api_strict"):
        return importlib.import_module(name)
    raise ValueError(
        f"unknown backend {name!r}; expected numpy, torch, jax, cupy or array_api_strict"
    )


def namespace_of_default() -> Any:
    """The namespace used when nothing else says which: NumPy's."""
    return _compat.array_namespace(_np_zero())


def register_pytree_class(
    cls: type, flatten: Callable[..., Any], unflatten: Callable[..., Any]
) -> None:
    """Make ``cls`` a JAX pytree (now if JAX is imported, else when it first is used).

    ``flatten(obj) -> (children, aux)``, ``unflatten(aux, children) -> obj``.
    """
    import sys

    PYTREE_CLASSES.append((cls, flatten, unflatten))
    if "jax" in sys.modules:
        from relaxarray.backends._jax import register_pending

        register_pending(PYTREE_CLASSES)


def _flatten_key(key: PortableKey) -> tuple[tuple[Any, Any], None]:
    # Python-int words become uint32 leaves (a jit argument of int32 would overflow)
    if key.concrete:
        import numpy as np

        return (np.uint32(key.k0), np.uint32(key.k1)), None
    return (key.k0, key.k1), None


def _unflatten_key(aux: None, children: Any) -> PortableKey:
    import numpy as np

    words = [int(c) if isinstance(c, np.integer) else c for c in children]
    return PortableKey(*words)


register_pytree_class(PortableKey, _flatten_key, _unflatten_key)
