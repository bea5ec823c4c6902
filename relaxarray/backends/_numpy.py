"""NumPy adapter: no autodiff, ``numpy.random.Generator`` noise, ``scipy.special``."""

from __future__ import annotations

from typing import Any

from relaxarray._lib import threefry
from relaxarray.backends._base import Adapter, Array, Uint32Ops

#: elements per block of the fused Threefry kernel: 4 word buffers of 256 KiB stay in cache
_BLOCK = 1 << 16


class NumpyUint32Ops(Uint32Ops):
    """NumPy's ``uint32`` words, with the Threefry rounds fused: computed in place, one
    cache-sized block at a time (the same bits as the generic rounds)."""

    def rounds(self, x0: Array, x1: Array, ks: list[Any]) -> tuple[Array, Array]:
        import numpy as np

        if not all(isinstance(k, int) for k in ks) or not (
            isinstance(x0, np.ndarray)
            and isinstance(x1, np.ndarray)
            and x0.ndim == 1
            and x0.shape == x1.shape
            and x0.flags.writeable
            and x1.flags.writeable
        ):
            return super().rounds(x0, x1, ks)
        plan = [
            (
                np.uint32(r),
                np.uint32(32 - r),
                None if a is None or b is None else (np.uint32(a), np.uint32(b)),
            )
            for r, a, b in threefry.schedule(ks)
        ]
        tmp = np.empty(min(_BLOCK, x0.shape[0]), dtype=np.uint32)
        for start in range(0, x0.shape[0], _BLOCK):
            a, b = x0[start : start + _BLOCK], x1[start : start + _BLOCK]
            t = tmp[: a.shape[0]]
            for r, rr, inject in plan:
                np.add(a, b, out=a)
                np.left_shift(b, r, out=t)
                np.right_shift(b, rr, out=b)
                np.bitwise_or(b, t, out=b)
                np.bitwise_xor(b, a, out=b)
                if inject is not None:
                    np.add(a, inject[0], out=a)
                    np.add(b, inject[1], out=b)
        return x0, x1


class NumpyAdapter(Adapter):
    name = "numpy"

    def uint32_ops(self, device: Any) -> Uint32Ops:
        return NumpyUint32Ops(self.xp, device)

    def _uniform(self, rng: object, shape: tuple[int, ...], dtype: Any, device: Any) -> Array:
        import numpy as np

        gen = self._numpy_generator(rng)
        np_dtype = np.dtype(dtype)
        if np_dtype not in (np.float32, np.float64):
            # float32 draws rounded DOWN onto the coarser grid (rounding to nearest would
            # reach exactly 1.0, e.g. 267 times in 1e6 float16 draws)
            u32 = gen.random(shape, dtype=np.float32)
            u = u32.astype(np_dtype)
            u = np.where(u.astype(np.float32) > u32, np.nextafter(u, np_dtype.type(0)), u)
        else:
            u = gen.random(shape, dtype=np_dtype)
        return np.maximum(u, np.finfo(np_dtype).smallest_normal)

    def _normal(self, rng: object, shape: tuple[int, ...], dtype: Any, device: Any) -> Array:
        import numpy as np

        gen = self._numpy_generator(rng)
        np_dtype = np.dtype(dtype)
        if np_dtype not in (np.float32, np.float64):
            return gen.standard_normal(shape, dtype=np.float32).astype(np_dtype)
        return gen.standard_normal(shape, dtype=np_dtype)

    def softmax(self, x: Array, axis: int) -> Array | None:
        # the core's formula with one buffer: exp and the division in place
        import numpy as np

        m = np.max(x, axis=axis, keepdims=True)
        if not np.all(np.isfinite(m)):
            m = np.where(np.isfinite(m), m, 0)
        e = np.subtract(x, m)
        np.exp(e, out=e)
        e /= np.sum(e, axis=axis, keepdims=True)
        return e

    def from_numpy(self, a: Any, device: Any) -> Array:
        import numpy as np

        return np.array(a, copy=True)

    def to_numpy(self, x: Array) -> Any:
        import numpy as np

        return np.asarray(x)

    def _scipy(self) -> Any:
        try:
            import scipy.special
        except ImportError:  # pragma: no cover - exercised only without scipy
            return None
        return scipy.special

    def lgamma(self, x: Array) -> Array:
        sp = self._scipy()
        return super().lgamma(x) if sp is None else _like(sp.gammaln(x), x)

    def digamma(self, x: Array) -> Array:
        sp = self._scipy()
        return super().digamma(x) if sp is None else _like(sp.digamma(x), x)

    def erf(self, x: Array) -> Array:
        sp = self._scipy()
        return super().erf(x) if sp is None else _like(sp.erf(x), x)

    def erfc(self, x: Array) -> Array:
        sp = self._scipy()
        return super().erfc(x) if sp is None else _like(sp.erfc(x), x)


def _like(out: Array, x: Array) -> Array:
    """SciPy computes float16 in float32: give the result back in ``x``'s dtype."""
    dtype = getattr(x, "dtype", None)
    return out if dtype is None or out.dtype == dtype else out.astype(dtype)
