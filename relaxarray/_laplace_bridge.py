r"""The Laplace bridge between Gaussians and Dirichlets (Hobbhahn, Kristiadi & Hennig 2022).

A Gaussian :math:`\mathcal N(\mu, \operatorname{diag}(v))` over logits maps to the Dirichlet
whose Laplace approximation in the softmax basis it is, and back. ``variance`` is always a
variance (the diagonal of :math:`\Sigma`), never a standard deviation.
"""

from __future__ import annotations

from relaxarray._lib._typing import ArrayT
from relaxarray._namespace import (
    as_float_array,
    check_category_axis,
    check_positive,
    namespace_and_adapter,
)
from relaxarray._relaxations import _logsumexp
from relaxarray._sampling import batch_of

__all__ = ["laplace_bridge", "laplace_bridge_inverse"]


def laplace_bridge(mean: ArrayT, variance: ArrayT, /, *, axis: int = -1) -> ArrayT:
    r"""Dirichlet concentrations from a Gaussian over logits (the Laplace bridge).

    .. math::

        \alpha_k = \frac{1}{v_k}\left(1 - \frac{2}{K}
        + \frac{e^{\mu_k}}{K^2}\sum_{l=1}^{K} e^{-\mu_l}\right)

    (Hobbhahn et al. 2022, eq. 6; Hennig et al. 2012), with the sum computed as
    :math:`\exp(\mu_k + \operatorname{logsumexp}(-\mu))`. The result is invariant to a
    shift of all :math:`\mu_k` by one constant. :math:`\alpha` grows like
    :math:`e^{\max\mu - \min\mu}`, so it overflows (to ``inf``) when that spread exceeds
    about 88 in float32 or 709 in float64.

    Parameters
    ----------
    mean : array
        :math:`\mu`, the Gaussian's mean over :math:`K` logits along ``axis``.
    variance : array
        :math:`v = \operatorname{diag}\Sigma`, the marginal **variances** (> 0), same shape.
    axis : int, optional
        The axis of the :math:`K` categories.

    Returns
    -------
    array
        Concentrations :math:`\alpha > 0`.

    Examples
    --------
    >>> import numpy as np
    >>> import relaxarray as rx
    >>> rx.laplace_bridge(np.zeros(3), np.full(3, 0.5))
    array([1.33333333, 1.33333333, 1.33333333])
    """
    as_float_array(mean, "mean")
    as_float_array(variance, "variance")
    xp, adapter = namespace_and_adapter(mean, variance)
    ax = check_category_axis(mean, axis, "mean")
    batch_of(xp, [("mean", tuple(mean.shape)), ("variance", tuple(variance.shape))])
    check_positive(variance, "variance", adapter)
    k = mean.shape[ax]
    lse = _logsumexp(xp, adapter, -mean, ax, True)
    return (1.0 - 2.0 / k + xp.exp(mean + lse) / (k * k)) / variance


def laplace_bridge_inverse(alpha: ArrayT, /, *, axis: int = -1) -> tuple[ArrayT, ArrayT]:
    r"""The Gaussian over logits (mean, **variance**) of a Dirichlet (inverse Laplace bridge).

    .. math::

        \mu_k = \log\alpha_k - \frac1K\sum_{l}\log\alpha_l,\qquad
        v_k = \frac{1}{\alpha_k}\left(1 - \frac2K\right) + \frac{1}{K^2}\sum_l\frac{1}{\alpha_l}

    (Hobbhahn et al. 2022, eq. 5). ``laplace_bridge(*laplace_bridge_inverse(alpha))``
    returns ``alpha`` exactly (up to rounding).

    Examples
    --------
    >>> import numpy as np
    >>> import relaxarray as rx
    >>> m, v = rx.laplace_bridge_inverse(np.array([2.0, 2.0]))
    >>> m, v
    (array([0., 0.]), array([0.25, 0.25]))
    """
    as_float_array(alpha, "alpha")
    xp, adapter = namespace_and_adapter(alpha)
    ax = check_category_axis(alpha, axis, "alpha")
    check_positive(alpha, "alpha", adapter)
    k = alpha.shape[ax]
    log_a = xp.log(alpha)
    mean = log_a - xp.mean(log_a, axis=ax, keepdims=True)
    inv = 1.0 / alpha
    variance = inv * (1.0 - 2.0 / k) + xp.sum(inv, axis=ax, keepdims=True) / (k * k)
    return mean, variance
