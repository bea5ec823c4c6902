"""Random numbers without hidden state: base noise drawn from an explicit ``rng``.

``rng`` may be

- ``None``: NumPy and CuPy draw fresh OS entropy and torch uses its default generator
  (the framework's own state); JAX raises ``TypeError``, since JAX needs a key;
- an ``int`` seed, accepted by every backend;
- a native generator: ``numpy.random.Generator``, ``torch.Generator`` (on the arrays'
  device), a JAX key (typed or legacy ``uint32``), ``cupy.random.Generator``;
- a :class:`PortableKey` from :func:`portable`: a counter-based Threefry-2x32-20 stream
  computed with Array API integer math in the target namespace, which gives
  bit-identical uniform bits on every backend and device (see :mod:`relaxarray._lib.threefry`
  for the exact definition of the stream and of the bits-to-float conversion).

relaxarray keeps no random state of its own: the same seed or key gives the same noise,
and :func:`split` derives independent streams from one ``rng`` for every kind of rng.

Base noise follows the conventions of the whole library: uniform noise lies in
``[tiny, 1)`` with ``tiny = finfo(dtype).smallest_normal``, so ``log(u)`` is always finite.
"""

from __future__ import annotations

from typing import Any

from relaxarray._lib import seeds
from relaxarray._lib._typing import Array, Namespace
from relaxarray._lib.threefry import PortableKey, fold_in_words, portable
from relaxarray._lib.threefry import fold_in as _fold_in
from relaxarray._namespace import array_namespace
from relaxarray._namespace import device as _device
from relaxarray.backends import adapter_for_rng, get_adapter, namespace_of_default
from relaxarray.backends._base import Adapter, shape_tuple

__all__ = [
    "PortableKey",
    "exponential",
    "fold_in",
    "gumbel",
    "logistic",
    "normal",
    "portable",
    "split",
    "uniform",
]


def _resolve(
    rng: object, like: Array | None, dtype: Any, device: Any, xp: Namespace | None
) -> tuple[Adapter, Any, Any]:
    if like is not None:
        xp = array_namespace(like)
        if dtype is None and xp.isdtype(like.dtype, "real floating"):
            dtype = like.dtype
        if device is None:
            device = _device(like)
    if xp is None:
        owner = adapter_for_rng(rng)
        xp = owner.xp if owner is not None else namespace_of_default()
    adapter = get_adapter(xp)
    if dtype is None:
        dtype = xp.__array_namespace_info__().default_dtypes(device=device)["real floating"]
    if not xp.isdtype(dtype, "real floating"):
        raise TypeError(f"dtype must be a real floating dtype, got {dtype}")
    return adapter, dtype, device


def _draw(
    kind: str,
    rng: object,
    shape: int | tuple[int, ...],
    like: Array | None,
    dtype: Any,
    device: Any,
    xp: Namespace | None,
) -> Array:
    """Noise of ``kind``; laid out like ``like`` when only ``like`` says where it goes."""
    shape = shape_tuple(shape)
    adapter, rdtype, rdevice = _resolve(rng, like, dtype, device, xp)
    if like is not None and device is None and rdtype == like.dtype:
        return adapter.noise_like(kind, rng, shape, like, max(len(shape) - like.ndim, 0))
    draw = adapter.normal if kind == "normal" else adapter.uniform
    return draw(rng, shape, rdtype, rdevice)


def draw_uniform(adapter: Adapter, rng: object, shape: tuple[int, ...], like: Array) -> Array:
    """Uniform ``[tiny, 1)`` noise of ``shape`` in ``like``'s dtype, laid out like ``like``
    (the leading axes of ``shape`` beyond ``like.ndim`` are sample axes)."""
    return adapter.noise_like("uniform", rng, shape, like, max(len(shape) - like.ndim, 0))


def draw_normal(adapter: Adapter, rng: object, shape: tuple[int, ...], like: Array) -> Array:
    """Standard normal noise of ``shape`` in ``like``'s dtype, laid out like ``like``."""
    return adapter.noise_like("normal", rng, shape, like, max(len(shape) - like.ndim, 0))


def uniform(
    rng: object,
    shape: int | tuple[int, ...],
    *,
    like: Array | None = None,
    dtype: Any = None,
    device: Any = None,
    xp: Namespace | None = None,
) -> Array:
    r"""Uniform noise in :math:`[\mathrm{tiny}, 1)`, never exactly 0 or 1.

    Parameters
    ----------
    rng : None, int or native generator/key
        Where the noise comes from (see the module docstring).
    shape : int or tuple of int
        Shape of the result.
    like : array, optional
        Take the namespace, dtype and device from this array.
    dtype, device : optional
        Override ``like``'s dtype and device, or give them without ``like``.
    xp : namespace, optional
        The namespace to draw in when there is no ``like``. Defaults to the rng's own
        framework, and to NumPy for an int seed or ``None``.

    Examples
    --------
    >>> import numpy as np
    >>> from relaxarray import random
    >>> u = random.uniform(0, (2, 3), like=np.zeros(1, dtype=np.float32))
    >>> u.dtype, bool(((u > 0) & (u < 1)).all())
    (dtype('float32'), True)
    """
    return _draw("uniform", rng, shape, like, dtype, device, xp)


def normal(
    rng: object,
    shape: int | tuple[int, ...],
    *,
    like: Array | None = None,
    dtype: Any = None,
    device: Any = None,
    xp: Namespace | None = None,
) -> Array:
    """Standard normal noise :math:`\\mathcal{N}(0, 1)`; arguments as :func:`uniform`."""
    return _draw("normal", rng, shape, like, dtype, device, xp)


def gumbel(
    rng: object,
    shape: int | tuple[int, ...],
    *,
    like: Array | None = None,
    dtype: Any = None,
    device: Any = None,
    xp: Namespace | None = None,
) -> Array:
    r"""Standard Gumbel noise :math:`g = -\log(-\log u)`; arguments as :func:`uniform`.

    Its mean is the Euler-Mascheroni constant and its variance :math:`\pi^2 / 6`.
    """
    adapter = _resolve(rng, like, dtype, device, xp)[0]
    u = _draw("uniform", rng, shape, like, dtype, device, xp)
    return gumbel_from_uniform(adapter.xp, u)


def logistic(
    rng: object,
    shape: int | tuple[int, ...],
    *,
    like: Array | None = None,
    dtype: Any = None,
    device: Any = None,
    xp: Namespace | None = None,
) -> Array:
    r"""Standard logistic noise :math:`\log u - \log(1 - u)`; arguments as :func:`uniform`.

    Its mean is 0 and its variance :math:`\pi^2 / 3`.
    """
    adapter = _resolve(rng, like, dtype, device, xp)[0]
    u = _draw("uniform", rng, shape, like, dtype, device, xp)
    return logistic_from_uniform(adapter.xp, u)


def exponential(
    rng: object,
    shape: int | tuple[int, ...],
    *,
    like: Array | None = None,
    dtype: Any = None,
    device: Any = None,
    xp: Namespace | None = None,
) -> Array:
    r"""Standard exponential noise :math:`-\log u`, always > 0; arguments as :func:`uniform`."""
    adapter = _resolve(rng, like, dtype, device, xp)[0]
    u = _draw("uniform", rng, shape, like, dtype, device, xp)
    return -adapter.xp.log(u)


def gumbel_from_uniform(xp: Namespace, u: Array) -> Array:
    """Transform uniform ``[tiny, 1)`` noise into Gumbel(0, 1) noise."""
    return -xp.log(-xp.log(u))


def logistic_from_uniform(xp: Namespace, u: Array) -> Array:
    """Transform uniform ``[tiny, 1)`` noise into Logistic(0, 1) noise."""
    return xp.log(u) - xp.log1p(-u)


def split(rng: object, num: int = 2) -> list[object]:
    """Derive ``num`` independent streams from one ``rng``.

    An int seed gives ``num`` int seeds (SplitMix64 of the seed and the index, so the
    children are usable on every backend); a native generator or key gives native
    children (``Generator.spawn``, seeded ``torch.Generator`` children,
    ``jax.random.split``); a :class:`PortableKey` gives ``num`` portable keys (child
    ``i`` is Threefry of the key at counter ``(i, 1)``, identical on every backend).
    ``None`` gives ``num`` times ``None``.

    Examples
    --------
    >>> from relaxarray import random
    >>> a, b = random.split(0)
    >>> a != b
    True
    """
    if isinstance(rng, PortableKey) and not rng.concrete:  # words are (traced) arrays
        return get_adapter(array_namespace(rng.k0)).split(rng, num)
    children = seeds.split(rng, num)
    if children is not None:
        return children
    owner = adapter_for_rng(rng)
    if owner is None:
        raise TypeError(
            "rng must be None, an int seed, numpy.random.Generator, torch.Generator, a "
            f"jax PRNG key, cupy.random.Generator or a portable key, got {type(rng).__name__}"
        )
    return owner.split(rng, num)


def fold_in(key: PortableKey, data: Any) -> PortableKey:
    """A new portable key for the integer ``data``: Threefry of ``key`` at ``(data, 2)``.

    Use it to give each step, worker or layer its own stream without a split tree.
    ``data`` is a Python int or a 0-d integer array, possibly traced: inside
    ``jax.shard_map``, ``fold_in(key, jax.lax.axis_index("batch"))`` gives every device
    its own stream. An array ``data`` gives a key whose words are 0-d arrays of its
    namespace, equal to the words of ``fold_in(key, int(data))``.

    Examples
    --------
    >>> from relaxarray import random
    >>> key = random.portable(0)
    >>> random.fold_in(key, 1) == random.fold_in(key, 1), random.fold_in(key, 1) == key
    (True, False)
    """
    if not isinstance(key, PortableKey):
        raise TypeError(f"key must be a PortableKey, got {type(key).__name__}")
    if isinstance(data, bool):
        raise TypeError("data must be an int or an integer array, got bool")
    if isinstance(data, int):
        return _fold_in(key, data)
    if not hasattr(data, "dtype") or getattr(data, "ndim", None) != 0:
        raise TypeError(f"data must be an int or a 0-d integer array, got {type(data).__name__}")
    xp = array_namespace(data)
    if not xp.isdtype(data.dtype, "integral"):
        raise TypeError(f"data must be an int or an integer array, got dtype {data.dtype}")
    adapter = get_adapter(xp)
    return fold_in_words(adapter.uint32_ops(adapter.device_of(data)), key, data)
