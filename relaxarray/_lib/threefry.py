r"""Threefry-2x32-20, a counter-based random stream written in Array API integer math.

Threefry (Salmon, Moraes, Dror & Shaw, "Parallel random numbers: as easy as 1, 2, 3",
SC 2011) maps a 64-bit key ``(k0, k1)`` and a 64-bit counter ``(c0, c1)`` to 64
pseudo-random bits with 20 rounds of add / rotate / xor on 32-bit words. Because the
output is a pure function of ``(key, counter)``, the same key gives the same bits on
every backend; this module is that function, written once over a small set of 32-bit
word operations (:class:`Uint32Ops`) that each adapter supplies
(native ``uint32`` on NumPy, JAX, CuPy and array-api-strict; on torch, which lacks most
``uint32`` operations, the bit patterns in ``int32`` lanes, whose addition wraps alike).

The stream
----------
For a request of ``n`` values the counters are ``(i, 0)`` for ``i = 0, 1, ...``; block
``i`` yields the two words ``x0, x1`` and the words are read in the order
``x0(0), x1(0), x0(1), x1(1), ...`` (so a longer request starts with the shorter one).

Bits to floats (identical on every backend, exact in the target dtype):

- a dtype with ``p`` significand bits (``p = 24`` for float32, 11 for float16, 8 for
  bfloat16) uses one word per value: ``m = w >> (32 - p)``, ``u = m * 2**-p``;
- float64 (``p = 53``) uses the two words of one block per value:
  ``u = (x0 >> 6) * 2**-26 + (x1 >> 5) * 2**-53``.

``u`` lies on the grid ``{0, 2**-p, ..., 1 - 2**-p}``; the uniform noise is
``max(u, tiny)`` with ``tiny = finfo(dtype).smallest_normal``, so it lies in
``[tiny, 1)`` as every relaxarray uniform does. Normal noise uses the Box-Muller
transform on pairs of raw grid values ``(u1, u2)`` (values ``2j`` and ``2j + 1``):
``r = sqrt(-2 log(1 - u1))``, ``z_{2j} = r cos(2 pi u2)``, ``z_{2j+1} = r sin(2 pi u2)``
(``1 - u1`` lies in ``(0, 1]``, so the log is finite; the transforms round differently
on different backends, by an ulp or so).

Layout invariance: the value at global (C-order) element index ``i`` of a draw of shape
``shape`` depends only on the key, ``i`` and the dtype. :func:`uniform_at` and
:func:`normal_at` compute the values at any array of indices (:func:`flat_index` builds
the indices of one block of the global array), so a device, a rank or a chunk computes
its own block only, and every split of the batch gives the same bits as the whole draw
(memory proportional to the block). The block functions support draws of up to ``2**32``
elements.

Deriving streams: ``split(key, n)`` gives the keys ``threefry(key, (i, 1))``,
``fold_in(key, d)`` the key ``threefry(key, (d, 2))``; the data stream uses counters
``(i, 0)``, so derived keys never reuse a counter of their parent's data stream.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from relaxarray._lib._typing import Array, Namespace

__all__ = [
    "PortableKey",
    "Uint32Ops",
    "flat_index",
    "fold_in",
    "fold_in_words",
    "normal_at",
    "portable",
    "split",
    "split_words",
    "threefry2x32",
    "uniform_at",
]

MASK32 = 0xFFFFFFFF
_PARITY = 0x1BD11BDA
_ROTATIONS = (13, 15, 26, 6, 17, 29, 16, 24)
_TAG_DATA, _TAG_SPLIT, _TAG_FOLD = 0, 1, 2
_MAX_BLOCKS = 1 << 32


class Uint32Ops:
    """32-bit word arithmetic for the portable Threefry stream (native ``uint32``).

    Words are arrays of ``xp.uint32`` on ``device``; additions wrap modulo ``2**32``.
    An adapter whose framework lacks ``uint32`` arithmetic returns a subclass with
    another representation (torch: the bit patterns in ``int32`` lanes). Scalars passed
    to :meth:`add` and :meth:`words` are Python ints in ``[0, 2**32)``.
    """

    def __init__(self, xp: Namespace, device: Any) -> None:
        self.xp = xp
        self.device = device
        self.dtype = xp.uint32

    def _scalar(self, value: int) -> Array:
        return self.xp.asarray(value, dtype=self.dtype, device=self.device)

    def iota(self, n: int) -> Array:
        """Words ``0, 1, ..., n - 1``."""
        return self.xp.arange(n, dtype=self.dtype, device=self.device)

    def words(self, value: Any, like: Array) -> Array:
        """``value`` (a Python int or a word array) broadcast to ``like``'s shape."""
        if isinstance(value, int):
            return self.xp.full(like.shape, value, dtype=self.dtype, device=self.device)
        return self.xp.broadcast_to(value, like.shape)

    def add(self, a: Array, b: Array | int) -> Array:
        """``(a + b) mod 2**32``."""
        return a + (self._scalar(b) if isinstance(b, int) else b)

    def xor(self, a: Array, b: Array) -> Array:
        return a ^ b

    def rotl(self, x: Array, r: int) -> Array:
        """Rotate left by ``0 < r < 32`` bits."""
        return (x << r) | (x >> (32 - r))

    def shr(self, x: Array, r: int) -> Array:
        """Logical shift right by ``r`` bits."""
        return x >> r

    def mul(self, a: Array, b: int) -> Array:
        """``(a * b) mod 2**32`` for a Python int ``b``."""
        return a * self._scalar(b)

    def is_odd(self, x: Array) -> Array:
        """Boolean array: the lowest bit of each word."""
        return (x & self._scalar(1)) != self._scalar(0)

    def as_words(self, x: Array) -> Array:
        """A non-negative integer array (values below ``2**32``) as words."""
        return self.xp.astype(x, self.dtype)

    def to_float(self, x: Array, dtype: Any) -> Array:
        """Words (all below ``2**p`` of ``dtype``) as exact floats."""
        return self.xp.astype(x, dtype)

    def rounds(self, x0: Array, x1: Array, ks: list[Any]) -> tuple[Array, Array]:
        """The 20 Threefry rounds (:func:`rounds`); ``x0`` and ``x1`` are fresh arrays
        that an override may overwrite (a fused kernel: same bits, fewer buffers)."""
        return rounds(self, x0, x1, ks)


@dataclass(frozen=True)
class PortableKey:
    """Key of the portable Threefry-2x32-20 stream: two 32-bit words.

    Create one with :func:`relaxarray.random.portable`; pass it as ``rng=`` to any
    sampler. It is immutable and hashable: the same key always gives the same noise
    (derive new keys with :func:`relaxarray.random.split` or
    :func:`relaxarray.random.fold_in`).

    The words are Python ints, or 0-d word arrays (a key folded in with a traced integer,
    e.g. ``jax.lax.axis_index`` inside ``shard_map``). Under ``jax.jit`` the key is a
    pytree whose two leaves are its words (as ``uint32``), so a new key does not retrace.
    """

    k0: Any
    k1: Any

    def __post_init__(self) -> None:
        for name in ("k0", "k1"):
            value = getattr(self, name)
            if isinstance(value, bool) or (isinstance(value, int) and not 0 <= value <= MASK32):
                raise ValueError(f"PortableKey.{name} must be an int in [0, 2**32), got {value!r}")
            if isinstance(value, float):
                raise ValueError(f"PortableKey.{name} must be an int in [0, 2**32), got {value!r}")

    @property
    def concrete(self) -> bool:
        """Whether both words are Python ints."""
        return isinstance(self.k0, int) and isinstance(self.k1, int)

    def __repr__(self) -> str:
        if self.concrete:
            return f"PortableKey(0x{self.k0:08x}, 0x{self.k1:08x})"
        return f"PortableKey({self.k0!r}, {self.k1!r})"


def portable(seed: int) -> PortableKey:
    """A portable random key from an integer seed (64-bit, two's complement).

    The key words are the high and low 32 bits of ``seed mod 2**64``, as in
    ``jax.random.PRNGKey(seed)`` for the threefry implementation.

    Examples
    --------
    >>> import numpy as np
    >>> from relaxarray import random
    >>> key = random.portable(0)
    >>> u = random.uniform(key, 3, like=np.zeros(1))
    >>> bool(np.all(u == random.uniform(key, 3, like=np.zeros(1))))
    True
    """
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    seed &= (1 << 64) - 1
    return PortableKey(seed >> 32, seed & MASK32)


def threefry2x32(ops: Uint32Ops, k0: Any, k1: Any, c0: Array, c1: Array) -> tuple[Array, Array]:
    """Threefry-2x32 with 20 rounds on arrays of 32-bit words.

    ``k0``, ``k1`` are Python ints or word arrays; ``c0``, ``c1`` word arrays of one
    shape (words as ``ops`` represents them). Returns the two output words.
    """
    if isinstance(k0, int) and isinstance(k1, int):
        ks: list[Any] = [k0, k1, _PARITY ^ k0 ^ k1]
    else:
        k0, k1 = ops.words(k0, c0), ops.words(k1, c0)
        ks = [k0, k1, ops.xor(ops.xor(k0, k1), ops.words(_PARITY, c0))]
    return ops.rounds(ops.add(c0, ks[0]), ops.add(c1, ks[1]), ks)


def rounds(ops: Uint32Ops, x0: Array, x1: Array, ks: list[Any]) -> tuple[Array, Array]:
    """The 20 rounds of Threefry-2x32 with key injections, on the words ``x0``, ``x1``
    (counters plus key) and the key schedule ``ks`` (Python ints or word arrays).

    This is the definition; :meth:`Uint32Ops.rounds` may compute the same bits faster
    (in place, block by block)."""
    for i in range(20):
        x0 = ops.add(x0, x1)
        x1 = ops.xor(ops.rotl(x1, _ROTATIONS[i % 8]), x0)
        if i % 4 == 3:
            s = i // 4 + 1
            x0 = ops.add(x0, ks[s % 3])
            inject = ks[(s + 1) % 3]
            if isinstance(inject, int):
                x1 = ops.add(x1, (inject + s) & MASK32)
            else:
                x1 = ops.add(ops.add(x1, inject), s)
    return x0, x1


def schedule(ks: list[int]) -> list[tuple[int, int | None, int | None]]:
    """The rounds as data, for fused kernels: per round ``(rotation, add0, add1)``,
    ``add0``/``add1`` the key words injected into ``x0``/``x1`` after it (or ``None``),
    for a key schedule of Python ints."""
    out: list[tuple[int, int | None, int | None]] = []
    for i in range(20):
        if i % 4 == 3:
            s = i // 4 + 1
            out.append((_ROTATIONS[i % 8], ks[s % 3], (ks[(s + 1) % 3] + s) & MASK32))
        else:
            out.append((_ROTATIONS[i % 8], None, None))
    return out


def threefry2x32_int(k0: int, k1: int, c0: int, c1: int) -> tuple[int, int]:
    """Pure-Python Threefry-2x32-20 of one block (the reference implementation)."""
    ks = [k0, k1, _PARITY ^ k0 ^ k1]
    x0, x1 = (c0 + k0) & MASK32, (c1 + k1) & MASK32
    for i in range(20):
        r = _ROTATIONS[i % 8]
        x0 = (x0 + x1) & MASK32
        x1 = (((x1 << r) | (x1 >> (32 - r))) & MASK32) ^ x0
        if i % 4 == 3:
            s = i // 4 + 1
            x0 = (x0 + ks[s % 3]) & MASK32
            x1 = (x1 + ks[(s + 1) % 3] + s) & MASK32
    return x0, x1


def _int_words(key: PortableKey, what: str) -> tuple[int, int]:
    if key.concrete:
        return key.k0, key.k1
    try:
        return int(key.k0), int(key.k1)
    except Exception as exc:
        raise TypeError(
            f"{what} needs a key with concrete words; this key's words are traced arrays "
            "(derive per-device keys with fold_in, which accepts traced integers)"
        ) from exc


def split(key: PortableKey, num: int) -> list[PortableKey]:
    """``num`` child keys: child ``i`` is ``threefry(key, (i, 1))``."""
    k0, k1 = _int_words(key, "split")
    return [PortableKey(*threefry2x32_int(k0, k1, i, _TAG_SPLIT)) for i in range(num)]


def fold_in(key: PortableKey, data: int) -> PortableKey:
    """The key ``threefry(key, (data mod 2**32, 2))``: a stream per integer ``data``."""
    if isinstance(data, bool) or not isinstance(data, int):
        raise TypeError(f"data must be an int, got {type(data).__name__}")
    k0, k1 = _int_words(key, "fold_in with an int")
    return PortableKey(*threefry2x32_int(k0, k1, data & MASK32, _TAG_FOLD))


def split_words(ops: Uint32Ops, key: PortableKey, num: int) -> list[PortableKey]:
    """:func:`split` of a key whose words are (possibly traced) arrays of ``ops``."""
    c0 = ops.iota(num)
    x0, x1 = threefry2x32(ops, key.k0, key.k1, c0, ops.words(_TAG_SPLIT, c0))
    return [PortableKey(x0[i], x1[i]) for i in range(num)]


def fold_in_words(ops: Uint32Ops, key: PortableKey, data: Array) -> PortableKey:
    """:func:`fold_in` with ``data`` a 0-d integer array (possibly traced).

    The result's words are 0-d word arrays of ``ops``; for the same value of ``data``
    they equal the words of ``fold_in(key, int(data))``.
    """
    c0 = ops.as_words(data)
    x0, x1 = threefry2x32(ops, key.k0, key.k1, c0, ops.words(_TAG_FOLD, c0))
    return PortableKey(x0, x1)


def _blocks(ops: Uint32Ops, key: PortableKey, nblocks: int) -> tuple[Array, Array]:
    if nblocks > _MAX_BLOCKS:
        raise ValueError(f"the portable stream gives at most 2**32 blocks, asked for {nblocks}")
    c0 = ops.iota(nblocks)
    return threefry2x32(ops, key.k0, key.k1, c0, ops.words(_TAG_DATA, c0))


def random_words(ops: Uint32Ops, key: PortableKey, n: int) -> Array:
    """The first ``n`` 32-bit words of ``key``'s data stream (in ``ops``' representation)."""
    xp = ops.xp
    x0, x1 = _blocks(ops, key, (n + 1) // 2)
    return xp.reshape(xp.stack([x0, x1], axis=-1), (-1,))[:n]


def significand_bits(xp: Any, dtype: Any) -> int:
    """Number of significand bits ``p`` of a floating dtype (53 for float64)."""
    return 1 + round(-math.log2(float(xp.finfo(dtype).eps)))


def raw_unit(ops: Uint32Ops, key: PortableKey, n: int, dtype: Any) -> Array:
    """``n`` values on the grid ``{0, 2**-p, ..., 1 - 2**-p}`` of ``dtype`` (flat)."""
    xp = ops.xp
    p = significand_bits(xp, dtype)
    if p > 32:
        if p != 53:
            raise TypeError(f"the portable stream supports float64 and narrower, got {dtype}")
        x0, x1 = _blocks(ops, key, n)
        hi = ops.to_float(ops.shr(x0, 6), dtype)
        lo = ops.to_float(ops.shr(x1, 5), dtype)
        return hi * (2.0**-26) + lo * (2.0**-53)
    w = random_words(ops, key, n)
    return ops.to_float(ops.shr(w, 32 - p), dtype) * (2.0**-p)


def uniform(ops: Uint32Ops, key: PortableKey, shape: tuple[int, ...], dtype: Any) -> Array:
    """Uniform ``[tiny, 1)`` noise of ``shape`` from the portable stream."""
    xp = ops.xp
    n = math.prod(shape)
    u = raw_unit(ops, key, n, dtype)
    u = xp.clip(u, min=float(xp.finfo(dtype).smallest_normal))
    return xp.reshape(u, shape)


def normal(ops: Uint32Ops, key: PortableKey, shape: tuple[int, ...], dtype: Any) -> Array:
    """Standard normal noise of ``shape`` from the portable stream (Box-Muller)."""
    xp = ops.xp
    n = math.prod(shape)
    pairs = (n + 1) // 2
    u = xp.reshape(raw_unit(ops, key, 2 * pairs, dtype), (pairs, 2))
    r = xp.sqrt(-2.0 * xp.log(1.0 - u[:, 0]))
    theta = (2.0 * math.pi) * u[:, 1]
    z = xp.stack([r * xp.cos(theta), r * xp.sin(theta)], axis=-1)
    return xp.reshape(xp.reshape(z, (-1,))[:n], shape)


# -- the layout-invariant form: values at given global element indices -------------------
def flat_index(
    ops: Uint32Ops,
    shape: tuple[int, ...],
    start: tuple[int, ...] | None = None,
    block: tuple[int, ...] | None = None,
) -> Array:
    """Global C-order element indices (words) of the block of ``shape`` at ``start``.

    ``block`` is the block's shape (default: the whole array). The result has shape
    ``block``; entry ``j`` is ``sum_d (start[d] + j[d]) * stride[d]``.
    """
    xp = ops.xp
    start = tuple(0 for _ in shape) if start is None else tuple(start)
    block = tuple(shape) if block is None else tuple(block)
    if math.prod(shape) > _MAX_BLOCKS:
        raise ValueError(
            f"the portable stream's block form gives at most 2**32 values, asked for shape {shape}"
        )
    nd = len(shape)
    idx: Array | None = None
    stride = 1
    for d in reversed(range(nd)):
        r = ops.iota(block[d])
        if start[d]:
            r = ops.add(r, start[d])
        if stride != 1:
            r = ops.mul(r, stride)
        r = xp.reshape(r, tuple(block[d] if e == d else 1 for e in range(nd)))
        idx = r if idx is None else ops.add(idx, r)
        stride *= shape[d]
    if idx is None:  # a 0-d draw
        return xp.reshape(ops.iota(1), ())
    return xp.broadcast_to(idx, block)


def _unit_of_words(ops: Uint32Ops, w: Array, dtype: Any) -> Array:
    p = significand_bits(ops.xp, dtype)
    return ops.to_float(ops.shr(w, 32 - p), dtype) * (2.0**-p)


def _unit_of_block(ops: Uint32Ops, x0: Array, x1: Array, dtype: Any) -> Array:
    hi = ops.to_float(ops.shr(x0, 6), dtype)
    lo = ops.to_float(ops.shr(x1, 5), dtype)
    return hi * (2.0**-26) + lo * (2.0**-53)


def _data_block(ops: Uint32Ops, key: PortableKey, c0: Array) -> tuple[Array, Array]:
    return threefry2x32(ops, key.k0, key.k1, c0, ops.words(_TAG_DATA, c0))


def _wide(ops: Uint32Ops, dtype: Any) -> bool:
    p = significand_bits(ops.xp, dtype)
    if p > 32 and p != 53:
        raise TypeError(f"the portable stream supports float64 and narrower, got {dtype}")
    return p > 32


def raw_unit_at(ops: Uint32Ops, key: PortableKey, index: Array, dtype: Any) -> Array:
    """Raw grid values (as :func:`raw_unit`) at the global element indices ``index``."""
    xp = ops.xp
    if _wide(ops, dtype):
        return _unit_of_block(ops, *_data_block(ops, key, index), dtype)
    x0, x1 = _data_block(ops, key, ops.shr(index, 1))
    return _unit_of_words(ops, xp.where(ops.is_odd(index), x1, x0), dtype)


def uniform_at(ops: Uint32Ops, key: PortableKey, index: Array, dtype: Any) -> Array:
    """Uniform ``[tiny, 1)`` values at the global element indices ``index``.

    ``uniform_at(ops, key, flat_index(ops, shape), dtype)`` equals
    ``uniform(ops, key, shape, dtype)`` bit for bit.
    """
    xp = ops.xp
    u = raw_unit_at(ops, key, index, dtype)
    return xp.clip(u, min=float(xp.finfo(dtype).smallest_normal))


def normal_at(ops: Uint32Ops, key: PortableKey, index: Array, dtype: Any) -> Array:
    """Standard normal values at the global element indices ``index`` (as :func:`normal`)."""
    xp = ops.xp
    pair = ops.shr(index, 1)
    if _wide(ops, dtype):
        first = ops.add(pair, pair)
        u1 = _unit_of_block(ops, *_data_block(ops, key, first), dtype)
        u2 = _unit_of_block(ops, *_data_block(ops, key, ops.add(first, 1)), dtype)
    else:
        x0, x1 = _data_block(ops, key, pair)
        u1, u2 = _unit_of_words(ops, x0, dtype), _unit_of_words(ops, x1, dtype)
    r = xp.sqrt(-2.0 * xp.log(1.0 - u1))
    theta = (2.0 * math.pi) * u2
    return xp.where(ops.is_odd(index), r * xp.sin(theta), r * xp.cos(theta))
