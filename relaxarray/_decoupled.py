r"""Decoupled straight-through Gumbel-softmax (Shah, Yan, Mozer & Liu 2024)."""

from __future__ import annotations

from typing import Any

from relaxarray._gates import _float_param, _resolve_noise
from relaxarray._lib._typing import Array
from relaxarray._namespace import as_float_array, check_axis, check_positive, namespace_and_adapter
from relaxarray._relaxations import _softmax, one_hot_argmax
from relaxarray._straight_through import straight_through

__all__ = ["decoupled_st_gumbel_softmax"]


def decoupled_st_gumbel_softmax(
    logits: Array,
    /,
    *,
    forward_temperature: Any,
    backward_temperature: Any,
    axis: int = -1,
    rng: object = None,
    noise: Array | None = None,
) -> Array:
    r"""Straight-through Gumbel-softmax with separate forward and backward temperatures.

    With :math:`y = \text{logits} / T_f + g`, :math:`g_i \sim \mathrm{Gumbel}(0, 1)`:

    .. math::

        \text{value} = \operatorname{one\_hot}(\arg\max_i y_i)
        \sim \mathrm{Categorical}\!\left(\operatorname{softmax}(\text{logits} / T_f)\right),
        \qquad
        \text{gradient} = \nabla \operatorname{softmax}(y / T_b).

    The forward temperature :math:`T_f` sets the stochasticity of the forward sample
    (exploration), the backward temperature :math:`T_b` the dispersion of the gradient
    across categories, as in Shah et al. (2024, "Decoupled ST"). With :math:`T_f = 1` this
    is the usual straight-through Gumbel-softmax at temperature :math:`T_b`. (Scaling
    :math:`\text{logits} + g` by :math:`1/T_f` would leave the arg max unchanged; here
    :math:`T_f` scales the logits only, so that it changes the forward distribution.)

    Under ``jax.jit`` in float32, an effective scale
    :math:`|\text{logits}| / (T_f T_b) \gtrsim 10^{9}` can give NaN gradients (XLA
    recomputes the softmax's shift inside its fusion and ``exp`` overflows); eager JAX,
    torch and float64 are finite there.

    Parameters
    ----------
    logits : array
        Unnormalised log-probabilities, at least one dimension.
    forward_temperature, backward_temperature : float or array
        :math:`T_f > 0` and :math:`T_b > 0`.
    axis : int, optional
        The axis of the categories.
    rng, noise : optional
        Exactly one: an rng for Gumbel noise of ``logits``' shape, or the standard Gumbel
        noise :math:`g` itself.

    Examples
    --------
    >>> import numpy as np
    >>> import relaxarray as rx
    >>> rx.decoupled_st_gumbel_softmax(
    ...     np.array([1.0, 2.0, 0.5]), forward_temperature=2.0, backward_temperature=0.5,
    ...     noise=np.array([0.9, 0.0, 0.1]))
    array([1., 0., 0.])
    """
    tf, tb = forward_temperature, backward_temperature
    xp, adapter = namespace_and_adapter(logits, tf, tb, noise)
    as_float_array(logits, "logits", xp)
    if logits.ndim == 0:
        raise ValueError("logits must have at least one dimension")
    ax = check_axis(axis, logits.ndim)
    tf = _float_param(tf, "forward_temperature", xp, logits)
    tb = _float_param(tb, "backward_temperature", xp, logits)
    check_positive(tf, "forward_temperature", adapter)
    check_positive(tb, "backward_temperature", adapter)
    shape = tuple(logits.shape)
    for t in (tf, tb):
        if hasattr(t, "shape"):
            shape = tuple(xp.broadcast_shapes(shape, tuple(t.shape)))
    g = _resolve_noise(xp, adapter, rng, noise, shape, logits, "gumbel")
    y = logits / tf + g
    soft = _softmax(xp, adapter, y / tb, ax)
    return straight_through(one_hot_argmax(adapter.stop_gradient(y), axis=ax), soft)
