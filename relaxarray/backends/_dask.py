# mypy: disable-error-code="no-untyped-call"
"""Dask adapter (``array_api_compat.dask.array``): lazy graphs, noise drawn block by block.

Nothing is computed while a graph is built: :meth:`DaskAdapter.is_concrete` is ``False``,
so value checks that would need a number are skipped (as under ``jax.jit``), and base
noise is a graph of one task per block. With a portable key block ``b`` computes the
values at its own global element indices (:func:`relaxarray._lib.threefry.uniform_at`),
so any chunking gives the same bits as NumPy; with an int seed (or a NumPy generator,
which gives one seed) each block seeds its own ``numpy.random.Generator`` from the seed
and the block's position. Memory per task is proportional to the block.
"""

from __future__ import annotations

import itertools
from typing import Any

from relaxarray._lib import seeds, threefry
from relaxarray._lib.threefry import PortableKey, Uint32Ops
from relaxarray.backends._base import Adapter, Array

#: target size of one noise block where the parameters do not fix the chunks
BLOCK_BYTES = 32 * 2**20


def _broadcast_shapes(*shapes: tuple[int, ...]) -> tuple[int, ...]:
    """The standard's ``broadcast_shapes`` (NumPy's rules; dask's namespace lacks it)."""
    import numpy as np

    return tuple(int(n) for n in np.broadcast_shapes(*shapes))


def _numpy_ops() -> Uint32Ops:
    import array_api_compat.numpy as npx

    return Uint32Ops(npx, None)


def _block_generator(seed: int, start: int) -> Any:
    """The generator of the block whose first element has global flat index ``start``
    (a SeedSequence of the seed and the position: independent streams per block)."""
    import numpy as np

    return np.random.default_rng((seed & ((1 << 64) - 1), start))


def _draw_block(
    kind: str,
    rng: Any,
    shape: tuple[int, ...],
    dtype: Any,
    start: tuple[int, ...],
    block: tuple[int, ...],
) -> Any:
    """One block of noise (a NumPy array): runs in a dask task."""
    import numpy as np

    np_dtype = np.dtype(dtype)
    if isinstance(rng, PortableKey):
        ops = _numpy_ops()
        index = threefry.flat_index(ops, shape, start, block)
        draw_at = threefry.normal_at if kind == "normal" else threefry.uniform_at
        return np.asarray(draw_at(ops, rng, index, np_dtype))
    flat = sum(s * st for s, st in zip(start, _strides(shape), strict=True))
    gen = _block_generator(int(rng), flat)
    if kind == "normal":
        return gen.standard_normal(block, dtype=np_dtype)
    u = gen.random(block, dtype=np_dtype)
    return np.maximum(u, np.finfo(np_dtype).smallest_normal)


def _strides(shape: tuple[int, ...]) -> tuple[int, ...]:
    out, s = [], 1
    for n in reversed(shape):
        out.append(s)
        s *= n
    return tuple(reversed(out))


class DaskAdapter(Adapter):
    name = "dask"

    def __init__(self, xp: Any) -> None:
        super().__init__(xp)
        # array_api_compat's dask namespace lacks broadcast_shapes (the core uses it)
        if not hasattr(xp, "broadcast_shapes"):
            xp.broadcast_shapes = _broadcast_shapes

    def is_concrete(self, x: Array) -> bool:
        return False  # reading a value would compute the graph

    def device_of(self, x: Array) -> Any:
        return None

    # -- random numbers: one task per block --------------------------------------------
    def _seed(self, rng: object) -> Any:
        """A portable key (concrete words) or an int seed that every block derives from."""
        import numpy as np

        if isinstance(rng, PortableKey):
            return rng if rng.concrete else PortableKey(int(rng.k0), int(rng.k1))
        if rng is None:
            return int(np.random.default_rng().integers(2**63))
        if isinstance(rng, int) and not isinstance(rng, bool):
            return rng
        gen = self._numpy_generator(rng)  # raises a TypeError naming the kinds accepted
        return int(gen.integers(2**63))

    def blockwise_noise(
        self, kind: str, rng: object, shape: tuple[int, ...], dtype: Any, chunks: Any = "auto"
    ) -> Array:
        """Noise of ``shape`` as a dask array with ``chunks``: one task per block."""
        import dask.array as da
        import numpy as np
        from dask.base import tokenize
        from dask.highlevelgraph import HighLevelGraph

        np_dtype = np.dtype(dtype)
        source = self._seed(rng)
        chunks = da.core.normalize_chunks(chunks, shape, dtype=np_dtype, limit=BLOCK_BYTES)
        words = (source.k0, source.k1) if isinstance(source, PortableKey) else source
        name = "relaxarray-" + kind + "-" + tokenize(kind, words, shape, str(np_dtype), chunks)
        starts = [tuple(itertools.accumulate((0, *c[:-1]))) for c in chunks]
        dsk: dict[Any, Any] = {}
        for idx in itertools.product(*(range(len(c)) for c in chunks)):
            start = tuple(starts[d][i] for d, i in enumerate(idx))
            block = tuple(chunks[d][i] for d, i in enumerate(idx))
            dsk[(name, *idx)] = (_draw_block, kind, source, shape, np_dtype, start, block)
        graph = HighLevelGraph.from_collections(name, dsk, dependencies=())
        meta = np.empty((0,) * len(shape), dtype=np_dtype)
        return da.Array(graph, name, chunks, meta=meta)

    def noise_like(
        self, kind: str, rng: object, shape: tuple[int, ...], like: Array, sample_ndim: int = 0
    ) -> Array:
        if kind not in ("uniform", "normal"):
            raise ValueError(f"kind must be 'uniform' or 'normal', got {kind!r}")
        lead = len(shape) - like.ndim
        chunks: list[Any] = []
        for d, size in enumerate(shape):
            e = d - lead
            if e >= 0 and like.shape[e] == size:
                chunks.append(like.chunks[e])  # one block of noise per chunk of the parameters
            else:
                chunks.append("auto")
        return self.blockwise_noise(kind, rng, shape, like.dtype, tuple(chunks))

    def _uniform(self, rng: object, shape: tuple[int, ...], dtype: Any, device: Any) -> Array:
        return self.blockwise_noise("uniform", rng, shape, dtype)

    def _normal(self, rng: object, shape: tuple[int, ...], dtype: Any, device: Any) -> Array:
        return self.blockwise_noise("normal", rng, shape, dtype)

    def _portable(
        self, draw: Any, key: Any, shape: tuple[int, ...], dtype: Any, device: Any
    ) -> Array:
        kind = "normal" if draw is threefry.normal else "uniform"
        return self.blockwise_noise(kind, key, shape, dtype)

    def _gamma(
        self, rng: object, concentration: Array, shape: tuple[int, ...], dtype: Any, device: Any
    ) -> Array:
        import dask.array as da
        import numpy as np

        seed = self._seed(rng)
        if isinstance(seed, PortableKey):
            seed = seeds.seed_of_key(seed)
        np_dtype = np.dtype(dtype)
        c = da.broadcast_to(da.asarray(concentration), shape)

        def block(c_block: Any, block_info: Any = None) -> Any:
            loc = block_info[0]["array-location"]
            flat = sum(a * st for (a, _), st in zip(loc, _strides(shape), strict=True))
            gen = _block_generator(int(seed), flat)
            g = gen.standard_gamma(c_block.astype(np.float64)).astype(np_dtype)
            return np.maximum(g, np.finfo(np_dtype).smallest_normal)

        return da.map_blocks(block, c, dtype=np_dtype, meta=np.empty((0,) * len(shape), np_dtype))

    def _split_native(self, rng: object, num: int) -> list[object]:
        return list(self._numpy_generator(rng).spawn(num))

    # -- conversion ----------------------------------------------------------------------
    def from_numpy(self, a: Any, device: Any) -> Array:
        import dask.array as da

        return da.from_array(a.copy(), chunks="auto")

    def to_numpy(self, x: Array) -> Any:
        import numpy as np

        return np.asarray(x.compute() if hasattr(x, "compute") else x)

    # -- special functions: scipy.special block by block (NumPy's values, lazily) ---------
    def _special(self, name: str, x: Array) -> Array:
        import dask.array as da
        import scipy.special

        return da.map_blocks(getattr(scipy.special, name), x, dtype=x.dtype)

    def lgamma(self, x: Array) -> Array:
        return self._special("gammaln", x)

    def digamma(self, x: Array) -> Array:
        return self._special("digamma", x)

    def erf(self, x: Array) -> Array:
        return self._special("erf", x)

    def erfc(self, x: Array) -> Array:
        return self._special("erfc", x)
