"""Splitting of the rng kinds that mean the same on every backend: ``None``, int seeds and
portable keys. Native generators and keys are split by their adapter."""

from __future__ import annotations

from relaxarray._lib import threefry

__all__ = ["seed_of_key", "split"]

_MASK64 = (1 << 64) - 1


def split(rng: object, num: int) -> list[object] | None:
    """``num`` independent children of ``rng``, or ``None`` if ``rng`` is a native generator.

    ``None`` gives ``num`` times ``None``; an int seed gives ``num`` int seeds (SplitMix64 of
    the seed and the index, usable on every backend); a portable key gives ``num`` portable
    keys (:func:`relaxarray._lib.threefry.split`).
    """
    if isinstance(num, bool) or not isinstance(num, int) or num < 1:
        raise ValueError(f"num must be a positive int, got {num!r}")
    if rng is None:
        return [None] * num
    if isinstance(rng, bool):
        raise TypeError("rng must not be a bool")
    if isinstance(rng, threefry.PortableKey):
        return list(threefry.split(rng, num))
    if isinstance(rng, int):
        return [_splitmix64((rng & _MASK64) ^ _splitmix64(i + 1)) >> 1 for i in range(num)]
    return None


def seed_of_key(key: threefry.PortableKey) -> int:
    """A 63-bit int seed derived from a portable key (for draws the portable stream lacks)."""
    return _splitmix64((key.k0 << 32) | key.k1) >> 1


def _splitmix64(x: int) -> int:
    x = (x + 0x9E3779B97F4A7C15) & _MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK64
    return x ^ (x >> 31)
