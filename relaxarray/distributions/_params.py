"""Constructor helpers shared by the distribution classes: logits/probs and temperature."""

from __future__ import annotations

from typing import Any

from relaxarray._lib._typing import Array
from relaxarray._namespace import as_float_array, check_positive, namespace_and_adapter
from relaxarray._sampling import batch_of

__all__ = ["check_temperature", "logits_or_probs"]


def logits_or_probs(logits: Any, probs: Any, event_ndim: int) -> tuple[Any, Any]:
    """Validate that exactly one of ``logits``/``probs`` is given; probs must lie in [0, 1].

    The given parameter is stored as is (so that a torch ``nn.Parameter`` or a JAX tracer
    stays the leaf gradients flow to); the other is computed on demand.
    """
    if (logits is None) == (probs is None):
        raise ValueError("pass exactly one of logits= or probs=" + (
            ", not both" if logits is not None else "; got neither"))
    name, value = ("logits", logits) if logits is not None else ("probs", probs)
    xp, adapter = namespace_and_adapter(value)
    as_float_array(value, name, xp)
    if value.ndim < event_ndim:
        raise ValueError(f"{name} must have at least {event_ndim} dimension(s)")
    if probs is not None and adapter.is_concrete(probs):
        ok = (probs >= 0) & (probs <= 1)
        if not bool(xp.all(ok)):
            raise ValueError("probs must lie in [0, 1] (and not be NaN)")
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
