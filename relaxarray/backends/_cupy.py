"""CuPy adapter: no autodiff, ``cupy.random.Generator`` noise, ``cupyx.scipy.special``."""

from __future__ import annotations

from typing import Any

from relaxarray.backends._base import Adapter, Array

_MODULE: list[Any] = []


def _cupy() -> Any:
    """The cupy module, imported on first use (not at relaxarray's import)."""
    if not _MODULE:
        import cupy

        _MODULE.append(cupy)
    return _MODULE[0]


class CupyAdapter(Adapter):
    name = "cupy"

    def values_on_host(self, x: Array) -> bool:
        return False  # every cupy array lives on a GPU: reading a value synchronises

    def owns_rng(self, rng: object) -> bool:
        cls = type(rng)
        return cls.__module__.startswith("cupy") and cls.__name__ == "Generator"

    def _generator(self, rng: object) -> Any:
        cp = _cupy()
        if rng is None:
            return cp.random.default_rng()
        if isinstance(rng, int):
            return cp.random.default_rng(rng)
        if self.owns_rng(rng):
            return rng
        raise TypeError(
            "rng must be None, an int seed or a cupy.random.Generator for the cupy "
            f"backend, got {type(rng).__name__}"
        )

    def _portable(
        self, draw: Any, key: Any, shape: tuple[int, ...], dtype: Any, device: Any
    ) -> Array:
        with _on(device):
            return super()._portable(draw, key, shape, dtype, None)

    def _uniform(self, rng: object, shape: tuple[int, ...], dtype: Any, device: Any) -> Array:
        cp = _cupy()
        with _on(device):
            u = self._generator(rng).random(shape, dtype=dtype)
            return cp.maximum(u, cp.finfo(dtype).smallest_normal)

    def _normal(self, rng: object, shape: tuple[int, ...], dtype: Any, device: Any) -> Array:
        with _on(device):
            return self._generator(rng).standard_normal(shape, dtype=dtype)

    def _split_native(self, rng: object, num: int) -> list[object]:
        cp = _cupy()
        seeds = self._generator(rng).integers(0, 2**62, size=num).get().tolist()
        return [cp.random.default_rng(int(s)) for s in seeds]

    def from_numpy(self, a: Any, device: Any) -> Array:
        with _on(device):
            return _cupy().asarray(a)

    def to_numpy(self, x: Array) -> Any:
        return x.get()

    def lgamma(self, x: Array) -> Array:
        import cupyx.scipy.special as sp

        return sp.gammaln(x)

    def digamma(self, x: Array) -> Array:
        import cupyx.scipy.special as sp

        return sp.digamma(x)

    def erf(self, x: Array) -> Array:
        import cupyx.scipy.special as sp

        return sp.erf(x)

    def erfc(self, x: Array) -> Array:
        import cupyx.scipy.special as sp

        return sp.erfc(x)


def _on(device: Any) -> Any:
    import contextlib

    if device is None:
        return contextlib.nullcontext()
    return device
