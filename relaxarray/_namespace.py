"""Namespace, device and dtype helpers, and argument validation shared by every module."""

from __future__ import annotations

import math
from typing import Any

import array_api_compat as _compat

from relaxarray import backends as _backends
from relaxarray._lib._typing import Array, Namespace
from relaxarray.backends import get_adapter
from relaxarray.backends._base import Adapter

__all__ = [
    "array_namespace",
    "as_float_array",
    "check_axis",
    "check_category_axis",
    "check_noise",
    "check_positive",
    "device",
    "float_namespace",
    "namespace_and_adapter",
    "values_readable",
]


_PY_SCALARS = (int, float, bool, complex)
#: Python objects that are never arrays: skipped by the namespace detection so that the
#: validator of the argument (``check_positive``, ``as_float_array``) names it
_NOT_ARRAYS = (str, bytes, list, tuple, dict, set)
_BY_TYPE: dict[type, Namespace] = {}


def array_namespace(*arrays: object) -> Namespace:
    """Return the Array API namespace shared by ``arrays`` (Python scalars are ignored).

    Raises
    ------
    TypeError
        If the arrays come from two libraries, or none of the inputs is an array.
    """
    arrs = [
        a
        for a in arrays
        if a is not None and type(a) not in _PY_SCALARS and not isinstance(a, _NOT_ARRAYS)
    ]
    if not arrs:
        others = sorted({type(a).__name__ for a in arrays if isinstance(a, _NOT_ARRAYS)})
        if others:
            raise TypeError(
                f"expected an array, got a Python {others[0]}: convert it with "
                "xp.asarray(...) first (arrays are never built from Python containers)"
            )
        raise TypeError("expected at least one array argument, got only Python scalars")
    first = type(arrs[0])
    cached = _BY_TYPE.get(first)
    if cached is not None and all(type(a) is first for a in arrs):
        return cached  # the namespace depends only on the array type: skip the detection
    try:
        xp = _compat.array_namespace(*arrs)
        if all(type(a) is first for a in arrs):
            _BY_TYPE[first] = xp
        return xp
    except TypeError as exc:
        kinds = sorted({f"{type(a).__module__}.{type(a).__name__}" for a in arrs})
        if len(kinds) == 1:
            raise TypeError(f"expected an Array API array, got {kinds[0]}") from exc
        raise TypeError(
            f"arrays from different libraries cannot be mixed: {', '.join(kinds)}; "
            "convert them to one library first"
        ) from exc


def namespace_and_adapter(*arrays: object) -> tuple[Namespace, Adapter]:
    """Return ``(xp, adapter)`` for ``arrays``."""
    xp = array_namespace(*arrays)
    return xp, get_adapter(xp)


def float_namespace(x: Any, name: str, other: object = None) -> tuple[Namespace, Adapter, bool]:
    """``as_float_array(x, name)`` and ``namespace_and_adapter(x, other)`` in one call.

    Returns ``(xp, adapter, wide)``, ``wide`` telling whether ``x``'s dtype has at least
    float32's range (``finfo.max > 1e38``: float32, float64, bfloat16; not float16). The
    answer depends only on ``type(x)`` and ``x.dtype``, so it is computed once per pair
    and cached: the per-call cost of the hot path is one dict lookup. ``other`` (a
    temperature, a second operand) skips the cache unless it is ``None`` or a Python
    number; an array ``other`` goes through :func:`namespace_and_adapter`, which refuses
    arrays of two libraries. Every error of the slow path is kept.
    """
    try:
        hit = _backends.TYPE_CACHE.get((type(x), x.dtype))
    except (AttributeError, TypeError):  # no dtype (a list, a number) or an unhashable one
        hit = None
    if hit is not None and (other is None or type(other) in _PY_SCALARS):
        return hit
    as_float_array(x, name)
    xp, adapter = namespace_and_adapter(x, other)  # refuses arrays of two libraries
    wide = float(xp.finfo(x.dtype).max) > 1e38
    try:
        _backends.TYPE_CACHE[(type(x), x.dtype)] = (xp, adapter, wide)
    except TypeError:  # an unhashable dtype: no caching
        pass
    return xp, adapter, wide


def device(x: Array) -> Any:
    """The device to create arrays for ``x`` on: the device ``x`` lives on, or ``None``
    where ``x`` is split across several devices (the engine then places new arrays).
    The adapter decides (:meth:`relaxarray.backends.Adapter.device_of`)."""
    return get_adapter(array_namespace(x)).device_of(x)


def as_float_array(x: Any, name: str, xp: Namespace | None = None) -> Array:
    """Check that ``x`` is a real floating-point array; Python numbers are refused."""
    if not (hasattr(x, "dtype") and hasattr(x, "shape")):
        raise TypeError(f"{name} must be a real floating-point array, got {type(x).__name__}")
    if xp is None:
        xp = array_namespace(x)
    if not xp.isdtype(x.dtype, "real floating"):
        kind = getattr(x, "dtype", type(x).__name__)
        raise TypeError(f"{name} must be a real floating-point array, got {kind}")
    return x


def check_axis(axis: int, ndim: int, name: str = "axis") -> int:
    """Normalise ``axis`` to a non-negative int, with a clear error when out of range."""
    if not isinstance(axis, int) or isinstance(axis, bool):
        raise TypeError(f"{name} must be an int, got {type(axis).__name__}")
    if not -ndim <= axis < ndim:
        raise ValueError(f"{name}={axis} is out of range for an array with {ndim} dimensions")
    return axis % ndim


def check_category_axis(x: Array, axis: int, name: str) -> int:
    """Normalise the category ``axis`` of ``x``; ``ValueError`` naming ``name`` when ``x`` has
    no dimension or no category (an empty category axis has no maximum, no softmax)."""
    if x.ndim == 0:
        raise ValueError(f"{name} must have at least one dimension (the categories)")
    ax = check_axis(axis, x.ndim)
    if x.shape[ax] == 0:
        raise ValueError(
            f"{name} must have at least one category along axis {ax}, got shape {tuple(x.shape)}"
        )
    return ax


def values_readable(adapter: Adapter, x: Array) -> bool:
    """Whether validation may read the values of ``x`` now: they are concrete (not traced,
    not ``meta``) and reading them needs no device-to-host round trip
    (:meth:`relaxarray.backends.Adapter.values_on_host`), or device checks are switched on
    (:func:`relaxarray.backends.set_device_value_checks`)."""
    if not adapter.is_concrete(x):
        return False
    return _backends.DEVICE_CHECKS["on"] or adapter.values_on_host(x)


def check_positive(
    value: Any, name: str, adapter: Adapter | None = None, *, allow_zero: bool = False
) -> None:
    """Raise ``ValueError`` naming ``name`` unless ``value`` is finite and > 0.

    Python numbers are always checked. Arrays are checked when their values can be read
    without leaving the compiled graph (not under ``jax.jit``, ``torch.compile`` or on
    torch's ``meta`` device) and without a device-to-host round trip (host arrays; on an
    accelerator only with
    :func:`relaxarray.backends.set_device_value_checks`); elsewhere the caller is
    responsible for valid values.
    """
    if type(value) is float and 0.0 < value < math.inf:  # the common case, first
        return
    bound = "non-negative" if allow_zero else "positive"
    if isinstance(value, bool) or not (isinstance(value, (int, float)) or hasattr(value, "dtype")):
        raise TypeError(f"{name} must be a number or an array, got {type(value).__name__}")
    if isinstance(value, (int, float)):
        ok = math.isfinite(value) and (value >= 0 if allow_zero else value > 0)
        if not ok:
            raise ValueError(f"{name} must be finite and {bound}, got {value!r}")
        return
    if adapter is None or not values_readable(adapter, value):
        return
    xp = adapter.xp
    good = xp.all(xp.isfinite(value) & ((value >= 0) if allow_zero else (value > 0)))
    if not adapter.is_concrete(good):
        # a concrete array closed over inside a trace (jax.jit) gives a traced result
        return
    if not bool(good):
        raise ValueError(f"{name} must be finite and {bound} everywhere")


#: the support of each kind of base noise a caller may pass as ``noise=``
NOISE_SUPPORT = {
    "uniform": "uniform noise in the open interval (0, 1)",
    "normal": "standard normal noise (finite reals)",
    "gumbel": "standard Gumbel noise (finite reals)",
    "finite": "finite real noise",
}


def check_noise(noise: Array, kind: str, adapter: Adapter, name: str = "noise") -> None:
    """Raise ``ValueError`` naming ``name`` unless ``noise`` lies in the support of ``kind``.

    ``kind`` is ``"uniform"`` (every value in the open interval (0, 1): ``log u`` and
    ``log(1 - u)`` finite), ``"normal"``, ``"gumbel"`` or ``"finite"`` (every value
    finite). The one check of caller-given base noise for every sampler and estimator.
    It reads values only where they are concrete (not under ``jax.jit``,
    ``torch.compile`` or on torch's ``meta`` device) and on the host (see
    :func:`relaxarray.backends.set_device_value_checks`): elsewhere the caller is
    responsible for valid noise.
    """
    if kind not in NOISE_SUPPORT:
        raise ValueError(f"unknown noise kind {kind!r}")
    if not values_readable(adapter, noise):
        return
    xp = adapter.xp
    if kind == "uniform":
        good = xp.all((noise > 0) & (noise < 1))
    else:
        good = xp.all(xp.isfinite(noise))
    if not adapter.is_concrete(good):
        return
    if not bool(good):
        raise ValueError(f"{name} must be {NOISE_SUPPORT[kind]}; got values outside it")
