"""JAX adapter: ``lax.stop_gradient``, ``jax.custom_vjp``, PRNG keys."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

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


def register_pending(classes: list[tuple[type, Any, Any]]) -> None:
    """Register relaxarray's pytree classes with JAX (each once)."""
    tree_util = _jax().tree_util
    for cls, flatten, unflatten in classes:
        if cls not in _registered:
            tree_util.register_pytree_node(cls, flatten, unflatten)
            _registered.add(cls)


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
        return f  # type: ignore[no-any-return]

    def is_concrete(self, x: Array) -> bool:
        return not isinstance(x, _jax().core.Tracer)

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
        return _jax().jit(fn)  # type: ignore[no-any-return]

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

    def top_k_mask(self, x: Array, k: int, axis: int) -> Array | None:
        jax = _jax()
        jnp = jax.numpy
        x = jnp.moveaxis(jax.lax.stop_gradient(x), axis, -1)
        _, idx = jax.lax.top_k(x, k)
        mask = jnp.put_along_axis(jnp.zeros_like(x), idx, 1.0, axis=-1, inplace=False)
        return jnp.moveaxis(mask, -1, axis)
