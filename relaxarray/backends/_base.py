"""The adapter contract: what a backend supplies beyond the Array API standard.

Everything the standard has is written as ``xp.*`` in relaxarray's core. An adapter
supplies only the few capabilities the standard lacks. Adding a backend means writing
one subclass of :class:`Adapter` and calling :func:`relaxarray.backends.register_adapter`.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from typing import Any

from relaxarray._lib import seeds, special, threefry
from relaxarray._lib._typing import Array, Bwd, Fwd, Namespace
from relaxarray._lib.threefry import PortableKey, Uint32Ops

__all__ = ["Adapter", "Array", "Bwd", "Fwd", "Namespace", "Uint32Ops"]


class Adapter:
    """Base class of the per-backend adapters.

    A subclass overrides what its framework does differently. The defaults describe a
    backend without automatic differentiation whose random numbers come from a
    ``numpy.random.Generator`` (this is the generic adapter, used for any conforming
    namespace such as array-api-strict).

    Attributes
    ----------
    name : str
        Short name of the backend (``"numpy"``, ``"torch"``, ...).
    xp : module
        The Array API namespace this adapter serves.
    differentiable : bool
        Whether the backend has automatic differentiation.
    """

    name: str = "generic"
    differentiable: bool = False

    def __init__(self, xp: Namespace) -> None:
        self.xp = xp

    # -- autodiff -----------------------------------------------------------------
    def stop_gradient(self, x: Array) -> Array:
        """Return ``x`` with its gradient cut (identity without autodiff)."""
        return x

    def custom_vjp(self, fwd: Fwd, bwd: Bwd) -> Callable[..., Array]:
        """Build a function with a custom backward pass (JAX's contract).

        ``fwd(*xs) -> (out, residuals)`` computes the value; ``bwd(residuals, g)``
        returns one cotangent per positional input. Without autodiff only ``fwd`` runs.
        """

        def f(*xs: Array) -> Array:
            return fwd(*xs)[0]

        return f

    def is_concrete(self, x: Array) -> bool:
        """Whether ``x`` holds values that may be read now (not a tracer, not meta)."""
        return True

    def values_on_host(self, x: Array) -> bool:
        """Whether reading a value of the concrete ``x`` (``bool`` of a reduction) needs
        no device-to-host round trip. Validation reads values only where this is true
        (or where device checks are switched on: ``set_device_value_checks``)."""
        return True

    # -- random numbers --------------------------------------------------------------
    def owns_rng(self, rng: object) -> bool:
        """Whether ``rng`` is this backend's native generator or key."""
        return _is_numpy_generator(rng)

    # Template methods: a portable key is handled here, once, for every backend; a subclass
    # supplies only the native draw (``_uniform``, ``_normal``, ``_gamma``, ``_split_native``)
    # and, where its framework needs it, where the portable words are computed
    # (``_portable``).
    def uniform(self, rng: object, shape: tuple[int, ...], dtype: Any, device: Any) -> Array:
        """Uniform noise in ``[tiny, 1)``: never exactly 0 or 1."""
        _refuse_bool(rng)
        if isinstance(rng, PortableKey):
            return self._portable(threefry.uniform, rng, shape, dtype, device)
        return self._uniform(rng, shape, dtype, device)

    def normal(self, rng: object, shape: tuple[int, ...], dtype: Any, device: Any) -> Array:
        """Standard normal noise."""
        _refuse_bool(rng)
        if isinstance(rng, PortableKey):
            return self._portable(threefry.normal, rng, shape, dtype, device)
        return self._normal(rng, shape, dtype, device)

    def gamma(
        self, rng: object, concentration: Array, shape: tuple[int, ...], dtype: Any, device: Any
    ) -> Array:
        r"""Standard gamma noise :math:`\mathrm{Gamma}(\alpha, 1)` of ``shape``, with
        ``concentration`` broadcast to ``shape``; values are floored at ``tiny`` (never 0).

        Backends with autodiff return samples differentiable in ``concentration``
        (implicit reparameterisation gradients). Gamma draws need rejection sampling, which
        the portable stream does not define: a portable key is turned into an int seed
        (:func:`relaxarray._lib.seeds.seed_of_key`), so its draws are reproducible on each
        backend but not bit-identical across backends.
        """
        _refuse_bool(rng)
        if isinstance(rng, PortableKey):
            rng = seeds.seed_of_key(rng)
        return self._gamma(rng, concentration, shape, dtype, device)

    def split(self, rng: object, num: int) -> list[object]:
        """Derive ``num`` independent streams from any ``rng`` this backend accepts.

        ``None``, int seeds and portable keys are split the same way on every backend
        (:func:`relaxarray._lib.seeds.split`); native generators by :meth:`_split_native`.
        """
        if isinstance(rng, PortableKey) and not rng.concrete:  # words traced (jit, shard_map)
            seeds.split(None, num)  # validates num
            return list(threefry.split_words(self.uint32_ops(None), rng, num))
        children = seeds.split(rng, num)
        return children if children is not None else self._split_native(rng, num)

    # -- base noise laid out like its parameters (the one layout capability) --------------
    def noise_like(
        self, kind: str, rng: object, shape: tuple[int, ...], like: Array, sample_ndim: int = 0
    ) -> Array:
        """Base noise of ``shape`` in ``like``'s dtype, laid out like ``like``.

        ``kind`` is ``"uniform"`` (values in ``[tiny, 1)``) or ``"normal"``. ``shape`` is
        ``sample_shape + batch_shape`` with ``len(sample_shape) == sample_ndim``; ``like``
        broadcasts to ``batch_shape`` (its axes align with the trailing axes of ``shape``).
        An engine that splits arrays across devices, ranks or chunks draws the noise split
        the same way: the axes of ``shape`` that match a split axis of ``like`` are split
        like it, the sample axes and broadcast axes are not. With a portable key every split
        gives the same values as the single-device draw (see
        :func:`relaxarray._lib.threefry.uniform_at`).

        The default places the noise on ``like``'s device (:meth:`device_of`).
        """
        if kind not in ("uniform", "normal"):
            raise ValueError(f"kind must be 'uniform' or 'normal', got {kind!r}")
        draw = self.normal if kind == "normal" else self.uniform
        return draw(rng, shape, like.dtype, self.device_of(like))

    def device_of(self, x: Array) -> Any:
        """The device new arrays for ``x`` are created on (``None``: the engine decides,
        e.g. for an array split across several devices)."""
        import array_api_compat

        return array_api_compat.device(x)

    def _portable(
        self,
        draw: Callable[[Uint32Ops, PortableKey, tuple[int, ...], Any], Array],
        key: PortableKey,
        shape: tuple[int, ...],
        dtype: Any,
        device: Any,
    ) -> Array:
        """Noise from the portable stream (``draw`` is :func:`threefry.uniform` or
        :func:`threefry.normal`), computed on ``device``."""
        return draw(self.uint32_ops(device), key, shape, dtype)

    # -- native draws: the generic adapter's come from a numpy.random.Generator ------------
    def _uniform(self, rng: object, shape: tuple[int, ...], dtype: Any, device: Any) -> Array:
        gen = self._numpy_generator(rng)
        import numpy as np

        np_dtype = np.float32 if dtype == self.xp.float32 else np.float64
        u = gen.random(shape, dtype=np_dtype)
        np.maximum(u, np.finfo(np_dtype).smallest_normal, out=u)
        return self.xp.asarray(u, dtype=dtype, device=device)

    def _normal(self, rng: object, shape: tuple[int, ...], dtype: Any, device: Any) -> Array:
        gen = self._numpy_generator(rng)
        import numpy as np

        np_dtype = np.float32 if dtype == self.xp.float32 else np.float64
        z = gen.standard_normal(shape, dtype=np_dtype)
        return self.xp.asarray(z, dtype=dtype, device=device)

    def _gamma(
        self, rng: object, concentration: Array, shape: tuple[int, ...], dtype: Any, device: Any
    ) -> Array:
        import numpy as np

        gen = self._numpy_generator(rng)
        c = concentration
        if hasattr(c, "to_device"):
            c = c.to_device(self.xp.__array_namespace_info__().default_device())
        c_np = np.from_dlpack(c) if hasattr(c, "__dlpack__") else np.asarray(c)
        np_dtype = np.float32 if dtype == self.xp.float32 else np.float64
        g = gen.standard_gamma(np.broadcast_to(c_np.astype(np.float64), shape)).astype(np_dtype)
        g = np.maximum(g, np.finfo(np_dtype).smallest_normal)
        return self.xp.asarray(g, dtype=dtype, device=device)

    def _split_native(self, rng: object, num: int) -> list[object]:
        return list(self._numpy_generator(rng).spawn(num))

    # -- the portable stream (Threefry-2x32-20 in Array API integer math) ------------------
    def uint32_ops(self, device: Any) -> Uint32Ops:
        """32-bit word arithmetic on ``device`` for :mod:`relaxarray._lib.threefry`."""
        return Uint32Ops(self.xp, device)

    def _numpy_generator(self, rng: object) -> Any:
        import numpy as np

        if rng is None:
            return np.random.default_rng()
        if isinstance(rng, int):
            return np.random.default_rng(rng)
        if _is_numpy_generator(rng):
            return rng
        raise TypeError(
            f"rng must be None, an int seed or a numpy.random.Generator for the "
            f"{self.name} backend, got {type(rng).__name__}"
        )

    # -- special functions -------------------------------------------------------------
    def lgamma(self, x: Array) -> Array:
        """Natural log of the absolute value of the gamma function."""
        return special.lgamma(x)

    def digamma(self, x: Array) -> Array:
        """Derivative of ``lgamma``."""
        return special.digamma(x)

    def erf(self, x: Array) -> Array:
        """The error function."""
        return special.erf(x)

    def erfc(self, x: Array) -> Array:
        """The complementary error function ``1 - erf(x)``, accurate for large ``x``."""
        return special.erfc(x)

    # -- optional fused kernels ---------------------------------------------------------
    # The core computes these with ``xp.*``. An adapter may return a faster native kernel
    # with the same semantics (the test suite compares the two on every backend); ``None``
    # means "use the core".
    def softmax(self, x: Array, axis: int) -> Array | None:
        return None

    def log_softmax(self, x: Array, axis: int) -> Array | None:
        return None

    def logsumexp(self, x: Array, axis: int, keepdims: bool) -> Array | None:
        return None

    def huber(self, x: Array, y: Array, delta: float) -> Array | None:
        """Elementwise Huber loss of same-shape, same-dtype ``x`` and ``y``."""
        return None

    def softplus(self, x: Array, beta: float) -> Array | None:
        """``log(1 + exp(beta x)) / beta`` to full precision in ``x``'s dtype."""
        return None

    # -- conversion and differentiation (used by relaxarray.testing) -------------------
    def from_numpy(self, a: Any, device: Any) -> Array:
        """A NumPy array as an array of this namespace on ``device`` (dtype kept)."""
        return self.xp.asarray(a, device=device)

    def to_numpy(self, x: Array) -> Any:
        """A host NumPy copy of ``x`` (detached from any autodiff graph)."""
        import numpy as np

        default = self.xp.__array_namespace_info__().default_device()
        if getattr(x, "device", default) != default:
            x = x.to_device(default)
        return np.from_dlpack(x)

    def jit(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """``fn`` compiled by the framework's tracing compiler where there is one."""
        raise NotImplementedError(f"the {self.name} backend has no jit")

    def value_and_grad(
        self, fn: Callable[..., Array], args: Sequence[Any], argnums: Sequence[int]
    ) -> tuple[Array, tuple[Array, ...]]:
        """Value of the scalar ``fn(*args)`` and its gradients w.r.t. ``args[i]``, i in argnums."""
        raise NotImplementedError(f"the {self.name} backend has no automatic differentiation")

    def sigmoid(self, x: Array) -> Array | None:
        """Fused logistic sigmoid with finite values and gradients, or ``None``."""
        return None

    def log_neg_log(self, u: Array, owned: bool) -> Array | None:
        """``log(-log(u))`` (minus the Gumbel noise of the uniform ``u``), or ``None``.
        ``owned=True`` says ``u`` is a fresh draw nobody else holds: it may be overwritten."""
        return None

    def one_hot_argmax(self, x: Array, axis: int, dtype: Any) -> Array | None:
        """One-hot (``dtype``) of the first maximum of ``x`` along ``axis`` (no gradient),
        or ``None``. The core's form keeps ``x``'s layout (sharding, chunks)."""
        return None

    def index_vector(self, like: Array, k: int) -> Array | None:
        """``arange(k)`` in ``like``'s dtype on its device, possibly cached across calls
        (a constant: never written to), or ``None`` for the core's fresh ``arange``."""
        return None

    def top_k_mask(self, x: Array, k: int, axis: int) -> Array | None:
        """Exact k-hot mask (``x``'s dtype) of the ``k`` largest entries along ``axis``
        (no gradient; exactly ``k`` ones even with ties), or ``None``."""
        return None

    def __repr__(self) -> str:
        return f"<relaxarray {self.name} adapter>"


def _refuse_bool(rng: object) -> None:
    """``True``/``False`` are ints to Python, never seeds to relaxarray."""
    if isinstance(rng, bool):
        raise TypeError("rng must be None, an int seed, a generator or a key, got bool")


def _is_numpy_generator(rng: object) -> bool:
    cls = type(rng)
    return cls.__module__.startswith("numpy.random") and cls.__name__ == "Generator"


def shape_tuple(shape: int | Sequence[int], name: str = "shape") -> tuple[int, ...]:
    """Normalise an int or a sequence of ints to a tuple of non-negative ints.

    Nothing is coerced: a string, a float, a bool or a negative size raises an error
    naming ``name``.
    """
    if _is_size(shape):
        return (_size(shape, name),)
    if isinstance(shape, (str, bytes)) or not isinstance(shape, Sequence):
        raise TypeError(f"{name} must be an int or a tuple of ints, got {type(shape).__name__}")
    return tuple(_size(s, name) for s in shape)


def _is_size(s: object) -> bool:
    """An int or an integer scalar (``operator.index``), never a bool."""
    if isinstance(s, bool) or not hasattr(type(s), "__index__"):
        return False
    return not (hasattr(s, "shape") and getattr(s, "shape", ()) != ())


def _size(s: object, name: str) -> int:
    if not _is_size(s):
        raise TypeError(f"{name} must hold ints, got {type(s).__name__} {s!r}")
    n = operator.index(s)  # type: ignore[arg-type]
    if n < 0:
        raise ValueError(f"{name} must hold non-negative sizes, got {n}")
    return n
