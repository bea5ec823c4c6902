"""JAX adapter: ``lax.stop_gradient``, ``jax.custom_vjp``, PRNG keys."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from relaxarray._lib import threefry
from relaxarray._lib.threefry import PortableKey
from relaxarray.backends._base import Adapter, Array, Bwd, Fwd
from relaxarray.backends._pytree import PYTREE_CLASSES

_NO_KEY = (
    "the jax backend needs an explicit PRNG key: pass rng=jax.random.key(0) (or an int "
    "seed, or a key from jax.random.split); relaxarray keeps no random state"
)


_MODULE: list[Any] = []


def _jax() -> Any:
    """The jax module, imported on first use (not at relaxarray's import)."""
    if not _MODULE:
        import jax

        _MODULE.append(jax)
    return _MODULE[0]


_registered: set[type] = set()


_AUTO = object()  # an Auto mesh under jit: the compiler propagates the layout


def _is_explicit(sharding: Any) -> bool:
    """Whether ``sharding``'s mesh has Explicit axes (sharding in types)."""
    explicit = _jax().sharding.AxisType.Explicit
    return explicit in tuple(getattr(sharding.mesh, "axis_types", ()))


def register_pending(classes: list[tuple[type, Any, Any]]) -> None:
    """Register relaxarray's pytree classes with JAX (each once)."""
    tree_util = _jax().tree_util
    for cls, flatten, unflatten in classes:
        if cls not in _registered:
            tree_util.register_pytree_node(cls, flatten, unflatten)
            _registered.add(cls)


def _flat_index(shape: tuple[int, ...], sharding: Any) -> Array:
    """:func:`threefry.flat_index` of ``shape`` built from iotas laid out by ``sharding``
    (each device holds only its block of the indices)."""
    jax = _jax()
    u32 = jax.numpy.uint32
    if math.prod(shape) > (1 << 32):
        raise ValueError(
            f"the portable stream's block form gives at most 2**32 values, asked for {shape}"
        )
    explicit = sharding is not None and _is_explicit(sharding)
    index: Any = None
    stride = 1
    for d in reversed(range(len(shape))):
        if sharding is None:
            r = jax.lax.broadcasted_iota(u32, shape, d)
        elif explicit:
            r = jax.lax.broadcasted_iota(u32, shape, d, out_sharding=sharding)
        else:
            r = jax.lax.with_sharding_constraint(jax.lax.broadcasted_iota(u32, shape, d), sharding)
        term = r if stride == 1 else r * u32(stride)
        index = term if index is None else index + term
        stride *= shape[d]
    return index


class JaxAdapter(Adapter):
    name = "jax"
    differentiable = True

    def __init__(self, xp: Any) -> None:
        super().__init__(xp)
        register_pending(PYTREE_CLASSES)

    def stop_gradient(self, x: Array) -> Array:
        return _jax().lax.stop_gradient(x)

    def custom_vjp(self, fwd: Fwd, bwd: Bwd) -> Callable[..., Array]:
        jax = _jax()

        @jax.custom_vjp  # type: ignore[untyped-decorator]
        def f(*xs: Array) -> Array:
            return fwd(*xs)[0]

        def _bwd(res: Any, g: Array) -> tuple[Array, ...]:
            return tuple(bwd(res, g))

        f.defvjp(fwd, _bwd)
        return f

    def is_concrete(self, x: Array) -> bool:
        return not isinstance(x, _jax().core.Tracer)

    def values_on_host(self, x: Array) -> bool:
        devices = getattr(x, "devices", None)
        if devices is None:  # a NumPy array or a Python number closed over
            return True
        return all(d.platform == "cpu" for d in devices())

    # -- random numbers -----------------------------------------------------------------
    def owns_rng(self, rng: object) -> bool:
        jax = _jax()
        if not isinstance(rng, jax.Array):
            return False
        if jax.dtypes.issubdtype(rng.dtype, jax.dtypes.prng_key):
            return True
        return bool(rng.dtype == jax.numpy.uint32 and rng.shape[-1:] == (2,))

    def _key(self, rng: object) -> Any:
        jax = _jax()
        if rng is None:
            raise TypeError(_NO_KEY)
        if isinstance(rng, int):
            return jax.random.key(rng)
        if self.owns_rng(rng):
            return rng
        raise TypeError(
            f"rng must be a jax PRNG key (typed or legacy uint32) or an int seed for the "
            f"jax backend, got {type(rng).__name__}"
        )

    # -- layout: noise drawn with the sharding of its parameters ---------------------------
    def device_of(self, x: Array) -> Any:
        jax = _jax()
        if isinstance(x, jax.core.Tracer):
            return None
        sharding = getattr(x, "sharding", None)
        if sharding is not None and len(sharding.device_set) > 1:
            return None  # new arrays are uncommitted and follow the sharded operands
        return super().device_of(x)

    def _noise_sharding(self, like: Array, shape: tuple[int, ...]) -> Any:
        """The NamedSharding for noise of ``shape`` drawn for ``like``, or None (no layout
        to follow: one device, or an Auto mesh under jit, where XLA propagates it)."""
        jax = _jax()
        named = jax.sharding.NamedSharding
        if isinstance(like, jax.core.Tracer):
            sharding = getattr(jax.typeof(like), "sharding", None)
            if not isinstance(sharding, named):
                return None
            if not _is_explicit(sharding):
                # Auto axes under jit: XLA propagates the layout; a mesh of several
                # devices asks for the elementwise (block) form of the portable stream
                return _AUTO if math.prod(sharding.mesh.shape.values()) > 1 else None
        else:
            sharding = getattr(like, "sharding", None)
            if not isinstance(sharding, named) or len(sharding.device_set) <= 1:
                return None
        mesh = sharding.mesh
        spec = tuple(sharding.spec) + (None,) * (like.ndim - len(tuple(sharding.spec)))
        lead = len(shape) - like.ndim
        out: list[Any] = [None] * lead
        for d, entry in enumerate(spec):
            size = shape[lead + d]
            if entry is None or like.shape[d] != size:
                out.append(None)
                continue
            names = entry if isinstance(entry, tuple) else (entry,)
            parts = 1
            for n in names:
                parts *= mesh.shape[n]
            out.append(entry if size % parts == 0 else None)
        if all(e is None for e in out):
            return None
        return named(mesh, jax.sharding.PartitionSpec(*out))

    def noise_like(
        self, kind: str, rng: object, shape: tuple[int, ...], like: Array, sample_ndim: int = 0
    ) -> Array:
        jax = _jax()
        sharding = self._noise_sharding(like, shape) if len(shape) >= like.ndim else None
        if sharding is _AUTO and isinstance(rng, PortableKey):
            draw_at = threefry.normal_at if kind == "normal" else threefry.uniform_at
            return draw_at(self.uint32_ops(None), rng, _flat_index(shape, None), like.dtype)
        if sharding is None or sharding is _AUTO:
            return super().noise_like(kind, rng, shape, like, sample_ndim)
        dtype = like.dtype
        explicit = _is_explicit(sharding)
        if isinstance(rng, PortableKey):
            draw_at = threefry.normal_at if kind == "normal" else threefry.uniform_at

            def draw(key: Any) -> Array:
                # the indices carry the layout, so each device runs the rounds on its block
                return draw_at(self.uint32_ops(None), key, _flat_index(shape, sharding), dtype)

        else:
            tiny = jax.numpy.finfo(dtype).smallest_normal
            out_sharding = sharding if explicit else None

            def draw(key: Any) -> Array:
                if kind == "normal":
                    z = jax.random.normal(key, shape, dtype=dtype, out_sharding=out_sharding)
                else:
                    z = jax.random.uniform(
                        key, shape, dtype=dtype, minval=tiny, maxval=1.0, out_sharding=out_sharding
                    )
                return z if explicit else self._constrain(z, sharding)

            rng = self._key(rng)
        if isinstance(like, jax.core.Tracer):
            return draw(rng)
        return jax.jit(draw, out_shardings=sharding)(rng)

    @staticmethod
    def _constrain(x: Array, sharding: Any) -> Array:
        jax = _jax()
        if _is_explicit(sharding):
            return jax.sharding.reshard(x, sharding)
        return jax.lax.with_sharding_constraint(x, sharding)

    def _portable(
        self, draw: Any, key: Any, shape: tuple[int, ...], dtype: Any, device: Any
    ) -> Array:
        return self._place(super()._portable(draw, key, shape, dtype, None), device)

    def _uniform(self, rng: object, shape: tuple[int, ...], dtype: Any, device: Any) -> Array:
        jax = _jax()
        tiny = jax.numpy.finfo(dtype).smallest_normal
        u = jax.random.uniform(self._key(rng), shape, dtype=dtype, minval=tiny, maxval=1.0)
        return self._place(u, device)

    def _normal(self, rng: object, shape: tuple[int, ...], dtype: Any, device: Any) -> Array:
        jax = _jax()
        return self._place(jax.random.normal(self._key(rng), shape, dtype=dtype), device)

    def _gamma(
        self, rng: object, concentration: Array, shape: tuple[int, ...], dtype: Any, device: Any
    ) -> Array:
        # jax.random.gamma has implicit reparameterisation gradients
        jax = _jax()
        c = jax.numpy.broadcast_to(jax.numpy.asarray(concentration, dtype=dtype), shape)
        g = jax.random.gamma(self._key(rng), c, shape, dtype=dtype)
        return self._place(jax.numpy.maximum(g, jax.numpy.finfo(dtype).smallest_normal), device)

    def _place(self, x: Array, device: Any) -> Array:
        if device is None or isinstance(x, _jax().core.Tracer):
            return x
        return _jax().device_put(x, device)

    def _split_native(self, rng: object, num: int) -> list[object]:
        keys = _jax().random.split(self._key(rng), num)
        return [keys[i] for i in range(num)]

    # -- conversion and differentiation ---------------------------------------------------
    def from_numpy(self, a: Any, device: Any) -> Array:
        jax = _jax()
        return jax.device_put(jax.numpy.asarray(a), device)

    def to_numpy(self, x: Array) -> Any:
        import numpy as np

        return np.array(x)

    def jit(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        return _jax().jit(fn)

    def value_and_grad(
        self, fn: Callable[..., Array], args: Sequence[Any], argnums: Sequence[int]
    ) -> tuple[Array, tuple[Array, ...]]:
        value, grads = _jax().value_and_grad(fn, argnums=tuple(argnums))(*args)
        return value, tuple(grads)

    # -- special functions -----------------------------------------------------------
    def lgamma(self, x: Array) -> Array:
        return _jax().scipy.special.gammaln(x)

    def digamma(self, x: Array) -> Array:
        return _jax().scipy.special.digamma(x)

    def erf(self, x: Array) -> Array:
        return _jax().scipy.special.erf(x)

    def erfc(self, x: Array) -> Array:
        return _jax().scipy.special.erfc(x)

    # -- fused kernels -------------------------------------------------------------------
    def softmax(self, x: Array, axis: int) -> Array | None:
        return _jax().nn.softmax(x, axis=axis)

    def log_softmax(self, x: Array, axis: int) -> Array | None:
        return _jax().nn.log_softmax(x, axis=axis)

    def logsumexp(self, x: Array, axis: int, keepdims: bool) -> Array | None:
        return _jax().scipy.special.logsumexp(x, axis=axis, keepdims=keepdims)

    def sigmoid(self, x: Array) -> Array | None:
        return _jax().nn.sigmoid(x)

    # top_k_mask: none. The core's stable argsort-of-argsort ranks are elementwise along
    # the batch axes, so a sharded batch stays sharded; lax.top_k followed by a scatter
    # all-gathers the keys to every device under SPMD partitioning.
