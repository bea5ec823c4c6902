"""NumPy adapter: no autodiff, ``numpy.random.Generator`` noise, ``scipy.special``."""

from __future__ import annotations

from typing import Any

from relaxarray.backends._base import Adapter, Array


class NumpyAdapter(Adapter):
    name = "numpy"

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
