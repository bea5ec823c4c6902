"""Constructor helpers shared by the distribution classes: logits/probs, temperature,
argument validation and its global default."""

from __future__ import annotations

from typing import Any

from relaxarray._lib._typing import Array
from relaxarray._namespace import (
    as_float_array,
    check_positive,
    namespace_and_adapter,
    values_readable,
)
from relaxarray._sampling import batch_of
from relaxarray.backends._base import Adapter

__all__ = [
    "check_temperature",
    "concrete_all",
    "default_validate_args",
    "keywords_only",
    "logits_or_probs",
    "resolve_validate",
    "set_default_validate_args",
]

_VALIDATE = {"default": True}


def set_default_validate_args(value: bool) -> None:
    """Turn argument and value validation on or off for distributions built afterwards
    without an explicit ``validate_args=`` (like torch's
    ``Distribution.set_default_validate_args``). It is on by default."""
    if not isinstance(value, bool):
        raise TypeError(
            f"set_default_validate_args: value must be a bool, got {type(value).__name__}"
        )
    _VALIDATE["default"] = value


def default_validate_args() -> bool:
    """The current default of ``validate_args``."""
    return _VALIDATE["default"]


def resolve_validate(validate_args: bool | None) -> bool:
    """``validate_args`` if given, else the global default."""
    if validate_args is None:
        return _VALIDATE["default"]
    if not isinstance(validate_args, bool):
        raise TypeError(f"validate_args must be a bool or None, got {type(validate_args).__name__}")
    return validate_args


def concrete_all(adapter: Adapter, cond: Array) -> bool | None:
    """``all(cond)`` as a Python bool, or None when it cannot be read now (a tracer under
    ``jax.jit``, ``torch.compile``, torch's ``meta`` device) or not without a
    device-to-host round trip (see ``set_device_value_checks``)."""
    if not values_readable(adapter, cond):
        return None
    good = adapter.xp.all(cond)
    if not adapter.is_concrete(good):  # a concrete array closed over inside a trace
        return None
    return bool(good)


def check_not_nan(value: Array, name: str, validate: bool) -> None:
    """With ``validate`` and concrete values, ``ValueError`` naming ``name`` if ``value``
    holds a NaN (as ``logits`` are checked): a NaN location made every sample NaN and then
    failed in ``log_prob`` with a message about the value, not the parameter."""
    if not validate:
        return
    xp, adapter = namespace_and_adapter(value)
    if concrete_all(adapter, ~xp.isnan(value)) is False:
        raise ValueError(f"{name} must not be NaN")


def keywords_only(cls_name: str, args: tuple[Any, ...], names: str) -> None:
    """Refuse positional parameters with a message that says why."""
    if args:
        raise TypeError(
            f"{cls_name} takes its parameters as keywords only ({names}); got "
            f"{len(args)} positional argument(s). torch.distributions reads a positional "
            "argument as probabilities (or temperature) where relaxarray once read logits, "
            f"so relaxarray refuses to guess: write e.g. {cls_name}(logits=...) or "
            f"{cls_name}(probs=...)"
        )


def logits_or_probs(
    logits: Any, probs: Any, event_ndim: int, validate: bool = True
) -> tuple[Any, Any]:
    """Validate that exactly one of ``logits``/``probs`` is given.

    Always checked (static): a floating dtype, at least ``event_ndim`` dimensions and, for
    categorical parameters, a non-empty category axis. With ``validate`` and concrete
    values: ``probs`` in [0, 1] (and summing to more than 0 over the categories),
    ``logits`` not NaN. The given parameter is stored as is (so that a torch
    ``nn.Parameter`` or a JAX tracer stays the leaf gradients flow to); the other is
    computed on demand.
    """
    if (logits is None) == (probs is None):
        raise ValueError(
            "pass exactly one of logits= or probs="
            + (", not both" if logits is not None else "; got neither")
        )
    name, value = ("logits", logits) if logits is not None else ("probs", probs)
    xp, adapter = namespace_and_adapter(value)
    as_float_array(value, name, xp)
    if value.ndim < event_ndim:
        raise ValueError(f"{name} must have at least {event_ndim} dimension(s)")
    if event_ndim == 1 and value.shape[-1] == 0:
        raise ValueError(
            f"{name} must have at least one category: its last axis is empty "
            f"(shape {tuple(value.shape)})"
        )
    if not validate:
        return logits, probs
    if probs is not None:
        if concrete_all(adapter, (probs >= 0) & (probs <= 1)) is False:
            raise ValueError("probs must lie in [0, 1] (and not be NaN)")
        if event_ndim == 1 and concrete_all(adapter, xp.sum(probs, axis=-1) > 0) is False:
            raise ValueError("probs must sum to more than 0 along the last (category) axis")
    elif concrete_all(adapter, ~xp.isnan(logits)) is False:
        raise ValueError("logits must not be NaN")
    return logits, probs


def check_temperature(temperature: Any, param: Array, event_ndim: int) -> Any:
    """Validate ``temperature > 0`` and that an array broadcasts to the batch shape."""
    xp, adapter = namespace_and_adapter(param, temperature)
    check_positive(temperature, "temperature", adapter)
    if hasattr(temperature, "shape"):
        batch = tuple(param.shape[: param.ndim - event_ndim])
        full = batch_of(xp, [("batch_shape", batch), ("temperature", tuple(temperature.shape))])
        if tuple(full) != batch:
            hint = (
                f"; a per-row temperature of parameters of shape {tuple(param.shape)} has "
                f"shape {batch} (not {tuple(temperature.shape)} as in torch, which would "
                f"make a batch of shape {tuple(full)})"
            )
            raise ValueError(
                f"temperature of shape {tuple(temperature.shape)} must broadcast to the batch "
                f"shape {batch} of the parameters{hint}"
            )
    return temperature
