"""Base class of relaxarray's distributions: backend-agnostic, explicit ``rng``, pytrees.

A subclass declares its array parameters in ``_fields`` (name -> number of event
dimensions of that parameter). From that the base class derives ``batch_shape``,
``expand``, copying, and JAX pytree flattening (parameters are leaves, everything else is
static), so that distributions pass through ``jax.jit``, ``jax.vmap`` and ``jax.grad``.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from typing import Any, ClassVar, Generic, Self

from relaxarray._lib._typing import Array, ArrayT, Namespace
from relaxarray._namespace import namespace_and_adapter
from relaxarray.backends import register_pytree_class
from relaxarray.backends._base import Adapter, shape_tuple
from relaxarray.distributions._params import (
    concrete_all,
    default_validate_args,
    set_default_validate_args,
)
from relaxarray.distributions.constraints import Constraint

__all__ = ["Distribution", "kl_divergence", "register_kl"]


class Distribution(Generic[ArrayT]):
    """Base class: ``sample``/``rsample``/``log_prob``/``entropy``/``mean``/``mode``.

    Attributes
    ----------
    has_rsample : bool
        Whether :meth:`rsample` gives reparameterised (differentiable) samples.
    """

    has_rsample: ClassVar[bool] = False
    _fields: ClassVar[dict[str, int]] = {}
    _event_ndims: ClassVar[int] = 0

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        register_pytree_class(cls, Distribution._flatten, Distribution._unflatten)
        for name in ("sample", "rsample"):
            if name in cls.__dict__:
                setattr(cls, name, _accept_key_first(cls.__dict__[name]))

    # -- parameters and shapes --------------------------------------------------------------
    def _arrays(self) -> list[Array]:
        return [getattr(self, n) for n in self._fields if hasattr(getattr(self, n), "shape")]

    @property
    def xp(self) -> Namespace:
        """The array namespace of the parameters."""
        return namespace_and_adapter(*self._arrays())[0]

    @property
    def adapter(self) -> Adapter:
        """The backend adapter of the parameters (noise, stop-gradient, special functions)."""
        return namespace_and_adapter(*self._arrays())[1]

    @property
    def batch_shape(self) -> tuple[int, ...]:
        """Shape of the independent, non-identical batch of distributions."""
        shapes = []
        for name, event_nd in self._fields.items():
            value = getattr(self, name)
            if hasattr(value, "shape"):
                shape = tuple(value.shape)
                shapes.append(shape[: len(shape) - event_nd])
        return tuple(self.xp.broadcast_shapes(*shapes)) if shapes else ()

    @property
    def event_shape(self) -> tuple[int, ...]:
        """Shape of one sample (``()`` for scalar variables, ``(K,)`` on the simplex)."""
        for name, event_nd in self._fields.items():
            value = getattr(self, name)
            if event_nd and hasattr(value, "shape"):
                return tuple(value.shape[len(value.shape) - event_nd :])
        return ()

    def _extended_shape(self, sample_shape: int | tuple[int, ...]) -> tuple[int, ...]:
        return shape_tuple(sample_shape) + self.batch_shape + self.event_shape

    def expand(self, batch_shape: tuple[int, ...]) -> Self:
        """A copy with parameters broadcast to ``batch_shape`` (same subclass and options)."""
        batch_shape = shape_tuple(batch_shape)
        xp = self.xp
        new = copy.copy(self)
        for name, event_nd in self._fields.items():
            value = getattr(self, name)
            if hasattr(value, "shape"):
                event = tuple(value.shape[len(value.shape) - event_nd :])
                try:
                    setattr(new, name, xp.broadcast_to(value, batch_shape + event))
                except (ValueError, RuntimeError) as exc:
                    raise ValueError(
                        f"cannot expand {type(self).__name__} with batch shape "
                        f"{self.batch_shape} to {batch_shape}"
                    ) from exc
        return new

    # -- bridges ---------------------------------------------------------------------------------
    def to_torch(self) -> Any:
        """This distribution as a ``torch.distributions.Distribution`` (Pyro's
        ``TorchDistribution`` when Pyro is installed): see :func:`relaxarray.interop.to_torch`."""
        from relaxarray.interop import _torch

        return _torch.wrap(self, kl_divergence)

    def to_numpyro(self) -> Any:
        """This distribution as a ``numpyro.distributions.Distribution``: see
        :func:`relaxarray.interop.to_numpyro`."""
        from relaxarray.interop import _numpyro

        return _numpyro.wrap(self)

    # -- the API -------------------------------------------------------------------------------
    def sample(self, sample_shape: int | tuple[int, ...] = (), *, rng: object = None) -> ArrayT:
        """Draw samples of shape ``sample_shape + batch_shape + event_shape`` (no gradient)."""
        if self.has_rsample:
            return self.adapter.stop_gradient(self.rsample(sample_shape, rng=rng))
        raise NotImplementedError(f"{type(self).__name__} does not implement sample")

    def rsample(self, sample_shape: int | tuple[int, ...] = (), *, rng: object = None) -> ArrayT:
        """Reparameterised samples: gradients flow to the parameters."""
        raise NotImplementedError(
            f"{type(self).__name__} has no reparameterised sampler (has_rsample is False); "
            "use sample() with a score-function estimator from relaxarray.estimators"
        )

    def log_prob(self, value: Array) -> ArrayT:
        """Log density (or log mass) of ``value``, of shape ``sample + batch``."""
        raise NotImplementedError(f"{type(self).__name__} does not implement log_prob")

    def entropy(self) -> ArrayT:
        """Entropy, of shape ``batch_shape``."""
        raise NotImplementedError(f"{type(self).__name__} has no closed-form entropy")

    @property
    def mean(self) -> ArrayT:
        """The mean, of shape ``batch_shape + event_shape``."""
        raise NotImplementedError(f"{type(self).__name__} has no closed-form mean")

    @property
    def mode(self) -> ArrayT:
        """The most probable value, of shape ``batch_shape + event_shape``."""
        raise NotImplementedError(f"{type(self).__name__} has no closed-form mode")

    @property
    def variance(self) -> ArrayT:
        """The variance, of shape ``batch_shape + event_shape``."""
        raise NotImplementedError(f"{type(self).__name__} has no closed-form variance")

    # -- support, validation and closed forms ----------------------------------------------
    arg_constraints: ClassVar[dict[str, Constraint]] = {}

    @property
    def support(self) -> Constraint | None:
        """The :mod:`~relaxarray.distributions.constraints` object of the values."""
        return None

    @property
    def validate_args(self) -> bool:
        """Whether values (and probabilities) are validated; see
        :func:`set_default_validate_args`."""
        return bool(self.__dict__.get("_validate_args", default_validate_args()))

    @staticmethod
    def set_default_validate_args(value: bool) -> None:
        """Global default of ``validate_args`` for distributions built afterwards."""
        set_default_validate_args(value)

    def _validate_sample(self, value: Array) -> None:
        """Raise ValueError if a concrete ``value`` lies outside :attr:`support`.

        Skipped when ``validate_args`` is False and where values cannot be read (under
        ``jax.jit``, ``torch.compile``, torch's ``meta`` device)."""
        support = self.support
        if not self.validate_args or support is None:
            return
        if not hasattr(value, "shape"):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise TypeError(f"value must be an array, got {type(value).__name__}")
            value = self.xp.asarray(value)  # a Python number, as NumPyro's guides pass
        adapter = namespace_and_adapter(value)[1]
        if concrete_all(adapter, support.check(value)) is False:
            raise ValueError(
                f"{type(self).__name__}.log_prob: value is outside the support: expected "
                f"{support.description} ({support!r}); pass validate_args=False to the "
                "constructor to evaluate the formula anyway"
            )

    @property
    def has_enumerate_support(self) -> bool:
        """Whether :meth:`enumerate_support` lists a finite support (as torch's attribute)."""
        return type(self).enumerate_support is not Distribution.enumerate_support

    def enumerate_support(self, expand: bool = True) -> ArrayT:
        """All values of a discrete support along a new leading axis."""
        raise NotImplementedError(f"{type(self).__name__} has no finite support to enumerate")

    def cdf(self, value: Array) -> ArrayT:
        """Cumulative distribution function."""
        raise NotImplementedError(f"{type(self).__name__} has no closed-form cdf")

    def icdf(self, value: Array) -> ArrayT:
        """Inverse cumulative distribution function."""
        raise NotImplementedError(f"{type(self).__name__} has no closed-form icdf")

    @property
    def stddev(self) -> ArrayT:
        """Standard deviation, the square root of :attr:`variance`."""
        return self.xp.sqrt(self.variance)

    def __repr__(self) -> str:
        name = type(self).__name__
        return f"{name}(batch_shape={self.batch_shape}, event_shape={self.event_shape})"

    # -- pytree ----------------------------------------------------------------------------------
    def _flatten(self) -> tuple[list[Any], tuple[Any, ...]]:
        names = [n for n in self._fields if hasattr(getattr(self, n), "shape")]
        children = [getattr(self, n) for n in names]
        static = tuple(sorted((k, v) for k, v in self.__dict__.items() if k not in names))
        return children, (type(self), tuple(names), static)

    @staticmethod
    def _unflatten(aux: tuple[Any, ...], children: list[Any]) -> Distribution[Any]:
        cls, names, static = aux
        obj = object.__new__(cls)
        obj.__dict__.update(dict(static))
        obj.__dict__.update(dict(zip(names, children, strict=True)))
        return obj


def _is_shape(x: object) -> bool:
    if isinstance(x, bool):
        return False
    if isinstance(x, int):
        return True
    return isinstance(x, (tuple, list)) and all(
        isinstance(v, int) and not isinstance(v, bool) for v in x
    )


def _accept_key_first(method: Callable[..., Array]) -> Callable[..., Array]:
    """Let ``sample``/``rsample`` take the key the way JAX libraries pass it.

    ``d.sample(key, (3,))`` (NumPyro's order: the key first), ``d.sample(seed=key,
    sample_shape=(3,))`` (distrax) and ``d.sample(key=key)`` all mean
    ``d.sample((3,), rng=key)``. A first positional argument that is not a shape (an int
    or a tuple of ints) is the key.
    """

    @functools.wraps(method)
    def wrapper(self: Distribution[Any], *args: Any, **kwargs: Any) -> Array:
        given = [k for k in ("rng", "seed", "key") if kwargs.get(k) is not None]
        if args and not _is_shape(args[0]):
            given.append("a positional key")
            kwargs["rng"], args = args[0], args[1:]
        if len(given) > 1:
            raise TypeError(
                f"{type(self).__name__}.{method.__name__}: pass the random key once "
                f"(as rng=, seed= or key=), got {' and '.join(given)}"
            )
        for alias in ("seed", "key"):
            if alias in kwargs:
                value = kwargs.pop(alias)
                if value is not None:
                    kwargs["rng"] = value
        return method(self, *args, **kwargs)

    return wrapper


for _name in ("sample", "rsample"):
    setattr(Distribution, _name, _accept_key_first(getattr(Distribution, _name)))

_KL: dict[tuple[type, type], Callable[[Any, Any], Array]] = {}


def register_kl(
    type_p: type[Distribution[Any]], type_q: type[Distribution[Any]]
) -> Callable[[Callable[[Any, Any], Array]], Callable[[Any, Any], Array]]:
    """Decorator registering a closed-form ``KL(p || q)`` for a pair of types."""

    def decorator(fn: Callable[[Any, Any], Array]) -> Callable[[Any, Any], Array]:
        _KL[(type_p, type_q)] = fn
        return fn

    return decorator


def kl_divergence(p: Distribution[ArrayT], q: Distribution[ArrayT]) -> ArrayT:
    """Closed-form :math:`\\mathrm{KL}(p \\,\\|\\, q)`, of shape ``batch_shape``.

    Raises
    ------
    NotImplementedError
        If no closed form is registered for the pair (most specific types first).
    """
    for tp in type(p).__mro__:
        for tq in type(q).__mro__:
            fn = _KL.get((tp, tq))
            if fn is not None:
                return fn(p, q)
    raise NotImplementedError(
        f"no closed-form KL divergence is registered for {type(p).__name__} || "
        f"{type(q).__name__}; estimate it by Monte Carlo with log_prob"
    )
