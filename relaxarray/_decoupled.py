r"""Decoupled straight-through Gumbel-softmax (Shah, Yan, Mozer & Liu 2024)."""

from __future__ import annotations

from typing import Any

from relaxarray._gates import _float_param, _resolve_noise
from relaxarray._gumbel import _st_gumbel_softmax
from relaxarray._lib._typing import Array, ArrayT, Namespace
from relaxarray._namespace import (
    as_float_array,
    check_category_axis,
    check_positive,
    namespace_and_adapter,
)
from relaxarray.backends._base import Adapter

__all__ = ["decoupled_st_gumbel_softmax"]


def _decoupled_st(
    xp: Namespace, adapter: Adapter, logits: Array, g: Array, tf: Any, tb: Any, axis: int
) -> Array:
    r"""The one Decoupled ST kernel: the straight-through Gumbel-softmax kernel applied to
    :math:`y = \ell / T_f + g` at temperature :math:`T_b` (``axis`` negative)."""
    y = logits if (isinstance(tf, float) and tf == 1.0) else logits / tf
    return _st_gumbel_softmax(xp, adapter, y + g, tb, axis)


def _check_decoupled(
    logits: Array, tf: Any, tb: Any, axis: int, noise: Any
) -> tuple[Namespace, Adapter, Any, Any, int, tuple[int, ...]]:
    """Validate; return ``(xp, adapter, T_f, T_b, negative axis, parameter batch shape)``."""
    xp, adapter = namespace_and_adapter(logits, tf, tb, noise)
    as_float_array(logits, "logits", xp)
    ax = check_category_axis(logits, axis, "logits") - logits.ndim
    tf = _float_param(tf, "forward_temperature", xp, logits)
    tb = _float_param(tb, "backward_temperature", xp, logits)
    check_positive(tf, "forward_temperature", adapter)
    check_positive(tb, "backward_temperature", adapter)
    shape = tuple(logits.shape)
    for t in (tf, tb):
        if hasattr(t, "shape"):
            shape = tuple(xp.broadcast_shapes(shape, tuple(t.shape)))
    return xp, adapter, tf, tb, ax, shape


def decoupled_st_gumbel_softmax(
    logits: ArrayT,
    /,
    *,
    forward_temperature: Any = 1.0,
    backward_temperature: Any = 1.0,
    axis: int = -1,
    rng: object = None,
    noise: Array | None = None,
) -> ArrayT:
    r"""Decoupled straight-through Gumbel-softmax: separate forward and backward temperatures.

    With :math:`y = \text{logits} / T_f + g`, :math:`g_i \sim \mathrm{Gumbel}(0, 1)`:

    .. math::

        \text{value} = \operatorname{one\_hot}(\arg\max_i y_i)
        \sim \mathrm{Categorical}\!\left(\operatorname{softmax}(\text{logits} / T_f)\right),
        \qquad
        \text{gradient} = \nabla \operatorname{softmax}(y / T_b).

    This is Decoupled ST of Shah et al. (2024, arXiv:2410.13331): the forward temperature
    :math:`T_f` sets the stochasticity of the forward sample (exploration: the sample is
    drawn from the tempered categorical :math:`\operatorname{softmax}(\text{logits}/T_f)`),
    the backward temperature :math:`T_b` the dispersion of the straight-through gradient
    across categories, through the surrogate :math:`\operatorname{softmax}(y / T_b)` of the
    same perturbed logits. :math:`T_f = T_b = T` is *not* the ST Gumbel-softmax at
    :math:`T` (that is :math:`T_f = 1`, :math:`T_b = T`); scaling :math:`\text{logits} + g`
    as a whole by :math:`1/T_f` would leave the arg max, hence the forward pass, unchanged,
    which is why :math:`T_f` scales the logits only. ``relaxarray.estimators.decoupled_st``
    is the same kernel with uniform noise and ``sample_shape``.

    For a downstream weight :math:`w` the gradient is, in closed form (the softmax Jacobian
    :math:`(\operatorname{diag}(s) - s s^\top)/T_b` times :math:`\partial y/\partial\ell
    = 1/T_f`), with :math:`s = \operatorname{softmax}(y / T_b)`:

    .. math::

        \frac{\partial}{\partial \ell_j} \sum_i w_i\, \text{value}_i
        = \frac{s_j \bigl(w_j - \sum_i w_i s_i\bigr)}{T_f\, T_b}.

    Which equation of the paper this is: the construction implements the paper's stated
    split (abstract of arXiv:2410.13331v2: :math:`\tau_f` for the forward pass's
    stochasticity, :math:`\tau_b` for the backward pass's dispersion across categories);
    it has not been checked against the equations of the paper's method section or the
    authors' code.

    :math:`y` is shifted by its (stop-gradient) maximum before the division by
    :math:`T_b`, so values and gradients stay finite for extreme logits and temperatures,
    also under ``jax.jit`` in float32.

    Parameters
    ----------
    logits : array
        Unnormalised log-probabilities, at least one dimension.
    forward_temperature, backward_temperature : float or array, optional
        :math:`T_f > 0` and :math:`T_b > 0` (default 1).
    axis : int, optional
        The axis of the categories (counted from the end of the noise's shape when
        negative, so noise with leading sample axes works).
    rng, noise : optional
        Exactly one: an rng for Gumbel noise of ``logits``' shape, or the standard Gumbel
        noise :math:`g` itself (it may have leading sample axes).

    Returns
    -------
    array
        One-hot samples of the broadcast shape of ``logits``, the temperatures and ``noise``.

    References
    ----------
    Shah, Yan, Mozer & Liu (2024), "Improving discrete optimisation via decoupled
    straight-through Gumbel-softmax", arXiv:2410.13331.

    Examples
    --------
    >>> import numpy as np
    >>> import relaxarray as rx
    >>> rx.decoupled_st_gumbel_softmax(
    ...     np.array([1.0, 2.0, 0.5]), forward_temperature=2.0, backward_temperature=0.5,
    ...     noise=np.array([0.9, 0.0, 0.1]))
    array([1., 0., 0.])
    """
    xp, adapter, tf, tb, ax, shape = _check_decoupled(
        logits, forward_temperature, backward_temperature, axis, noise
    )
    g = _resolve_noise(xp, adapter, rng, noise, shape, logits, "gumbel")
    return _decoupled_st(xp, adapter, logits, g, tf, tb, ax)
