r"""Gumbel-top-k subsets (Kool, van Hoof & Welling 2019) and their continuous relaxation,
the relaxed k-hot vector of Xie & Ermon (2019).

The hard form is exact: the :math:`k` largest entries of :math:`\text{logits} + g`,
:math:`g \sim \mathrm{Gumbel}(0, 1)` i.i.d., are a sample of size :math:`k` without
replacement from :math:`\operatorname{softmax}(\text{logits})`, and their order is a
Plackett-Luce sample.
"""

from __future__ import annotations

import math
from typing import Any

from relaxarray._gates import _float_param, _resolve_noise
from relaxarray._lib._typing import Array, ArrayT, Namespace
from relaxarray._namespace import (
    as_float_array,
    check_axis,
    check_positive,
    device,
    namespace_and_adapter,
)
from relaxarray._relaxations import _one_hot_of_argmax, _softmax
from relaxarray._straight_through import straight_through
from relaxarray.backends._base import Adapter

__all__ = ["gumbel_top_k"]


def _check_k(k: Any, size: int) -> int:
    if isinstance(k, bool) or not isinstance(k, int):
        raise TypeError(f"k must be a Python int, got {type(k).__name__}")
    if not 1 <= k <= size:
        raise ValueError(f"k must satisfy 1 <= k <= {size} (the size of the axis), got {k}")
    return k


def _top_k_mask(xp: Namespace, adapter: Adapter, keys: Array, k: int, axis: int) -> Array:
    """Exact k-hot mask of the ``k`` largest ``keys`` along ``axis`` (ties by position)."""
    fast = adapter.top_k_mask(keys, k, axis)
    if fast is not None:
        return fast
    order = xp.argsort(keys, axis=axis, descending=True, stable=True)
    ranks = xp.argsort(order, axis=axis, stable=True)
    return xp.astype(ranks < k, keys.dtype)


def _log1m_softmax(xp: Namespace, adapter: Adapter, z: Array, axis: int) -> Array:
    r""":math:`\log(1 - \operatorname{softmax}(z)_i)` exactly, in log space:
    :math:`\log\sum_{j \ne i} e^{z_j} - \log\sum_j e^{z_j}`.

    For an entry below the maximum :math:`m`, :math:`\sum_{j \ne i} e^{z_j - m} \ge 1`
    (the maximum is in it), so subtracting :math:`e^{z_i - m}` from the sum loses nothing;
    for the (first) maximum the sum over the others is taken directly, shifted by the
    second largest entry. Finite values and gradients for any gap between the entries (no
    floor, no :math:`\log 0`)."""
    z0 = adapter.stop_gradient(z)
    m = xp.max(z0, axis=axis, keepdims=True)
    # the first maximum, built from z itself so that it keeps z's layout (no arange)
    is_top = _one_hot_of_argmax(xp, z0, axis, xp.bool)
    e = xp.exp(z - m)
    total = xp.sum(e, axis=axis, keepdims=True)
    log_total = xp.log(total) + m
    # double where: the maximum's entry (where total - e may be 0) never meets the log
    rest = xp.log(xp.where(is_top, xp.ones_like(e), total - e)) + m
    others = xp.where(is_top, xp.full_like(z, -math.inf), z)
    m2 = adapter.stop_gradient(xp.max(others, axis=axis, keepdims=True))
    m2 = xp.where(xp.isfinite(m2), m2, xp.zeros_like(m2))
    e2 = xp.where(is_top, xp.zeros_like(z), xp.exp(xp.where(is_top, m2, z) - m2))
    rest_top = xp.log(xp.sum(e2, axis=axis, keepdims=True)) + m2
    return xp.where(is_top, rest_top, rest) - log_total


def _relaxed_top_k(
    xp: Namespace, adapter: Adapter, keys: Array, k: int, temperature: Any, axis: int
) -> Array:
    r"""Xie & Ermon (2019): :math:`a = \sum_{j=1}^k p^{(j)}`,
    :math:`p^{(j)} = \operatorname{softmax}(\alpha^{(j)} / T)`,
    :math:`\alpha^{(j+1)} = \alpha^{(j)} + \log(1 - p^{(j)})`, in log space
    (:func:`_log1m_softmax`, exact: no floor at machine epsilon)."""
    alpha = keys
    total = None
    for j in range(k):
        z = (
            alpha
            if (isinstance(temperature, float) and temperature == 1.0)
            else alpha / temperature
        )
        p = _softmax(xp, adapter, z, axis)
        if j < k - 1:
            alpha = alpha + _log1m_softmax(xp, adapter, z, axis)
        total = p if total is None else total + p
    assert total is not None
    return total


def gumbel_top_k(
    logits: ArrayT,
    k: int,
    /,
    *,
    temperature: Any = 1.0,
    hard: bool = False,
    axis: int = -1,
    rng: object = None,
    noise: Array | None = None,
) -> ArrayT:
    r"""Gumbel-top-k subset sample (Kool et al. 2019) and its relaxation (Xie & Ermon 2019).

    With keys :math:`\kappa = \text{logits} + g`, :math:`g_i \sim \mathrm{Gumbel}(0, 1)`:

    - ``hard=True`` value: the k-hot indicator of the :math:`k` largest keys, an exact
      sample of :math:`k` items without replacement from
      :math:`\operatorname{softmax}(\text{logits})`;
      its gradient is that of the soft form (straight-through);
    - soft form (default): the relaxed k-hot vector

      .. math::

          a = \sum_{j=1}^{k} p^{(j)},\quad
          p^{(j)} = \operatorname{softmax}\!\left(\alpha^{(j)} / T\right),\quad
          \alpha^{(1)} = \kappa,\quad
          \alpha^{(j+1)} = \alpha^{(j)} + \log\left(1 - p^{(j)}\right),

      the masks accumulated in log space on the logits, with
      :math:`\log(1 - p^{(j)}_i) = \log\sum_{m \ne i} e^{z_m} - \log\sum_m e^{z_m}`
      computed exactly (Xie & Ermon's code floors :math:`1 - p` at machine epsilon, which
      caps the penalty of a chosen item at :math:`\log\epsilon` and breaks the limit below
      for large key gaps). Values and gradients are finite; rows sum to :math:`k` and
      entries are :math:`\ge 0`; as :math:`T \to 0` it tends to the hard k-hot vector,
      for any gap between the keys, in float32 and float64. Note that an entry of
      :math:`a` may exceed 1 slightly at moderate temperatures
      (e.g. :math:`p^{(1)} = (0.6, 0.3, 0.1)`, :math:`T = 1`, :math:`k = 2`
      gives :math:`a_1 \approx 1.04`): this is a property of the Xie & Ermon relaxation.

    Parameters
    ----------
    logits : array
        Unnormalised log-probabilities, at least one dimension.
    k : int
        Subset size, ``1 <= k <= logits.shape[axis]`` (a Python int; static under jit).
    temperature : float or array, optional
        :math:`T > 0` of the soft form (the hard value does not depend on it).
    hard : bool, optional
        Return the exact k-hot sample with the soft form's gradient.
    axis : int, optional
        The axis of the items (a negative axis counts from the end of the noise's shape,
        so noise with leading sample axes works).
    rng, noise : optional
        Exactly one: an rng for Gumbel noise of the broadcast shape of ``logits`` and
        ``temperature``, or standard Gumbel noise :math:`g` itself (it may have leading
        sample axes).

    Returns
    -------
    array
        Relaxed or exact k-hot vectors, in ``logits``' dtype and on its device.

    Examples
    --------
    >>> import numpy as np
    >>> import relaxarray as rx
    >>> logits = np.log(np.array([0.1, 0.2, 0.3, 0.4]))
    >>> g = np.array([0.5, -0.3, 0.1, 0.2])
    >>> rx.gumbel_top_k(logits, 2, hard=True, noise=g)
    array([0., 0., 1., 1.])
    >>> float(rx.gumbel_top_k(logits, 2, temperature=0.5, noise=g).sum())
    2.0
    """
    xp, adapter = namespace_and_adapter(logits, temperature, noise)
    as_float_array(logits, "logits", xp)
    if logits.ndim == 0:
        raise ValueError("logits must have at least one dimension")
    ax = check_axis(axis, logits.ndim) - logits.ndim  # negative: counts from the noise's end
    k = _check_k(k, logits.shape[ax])
    temperature = _float_param(temperature, "temperature", xp, logits)
    check_positive(temperature, "temperature", adapter)
    shape = tuple(logits.shape)
    if hasattr(temperature, "shape"):
        shape = tuple(xp.broadcast_shapes(shape, tuple(temperature.shape)))
    g = _resolve_noise(xp, adapter, rng, noise, shape, logits, "gumbel")
    keys = logits + g
    soft = _relaxed_top_k(xp, adapter, keys, k, temperature, ax)
    if not hard:
        return soft
    return straight_through(_top_k_mask(xp, adapter, adapter.stop_gradient(keys), k, ax), soft)


def _ordered_top_k(xp: Namespace, keys: Array, k: int) -> Array:
    """Indices of the ``k`` largest keys along the last axis, largest first."""
    order = xp.argsort(keys, axis=-1, descending=True, stable=True)
    return order[..., :k]


def _plackett_luce_log_prob(
    xp: Namespace, adapter: Adapter, logits: Array, indices: Array
) -> Array:
    r""":math:`\sum_j \ell_{i_j} - \log\sum_{m \notin \{i_1..i_{j-1}\}} e^{\ell_m}` (last axis)."""
    size = logits.shape[-1]
    k = indices.shape[-1]
    items = xp.arange(size, device=device(logits))
    neg_inf = xp.asarray(-math.inf, dtype=logits.dtype, device=device(logits))
    zero = xp.zeros((), dtype=logits.dtype, device=device(logits))
    shape = tuple(xp.broadcast_shapes(tuple(logits.shape), (*tuple(indices.shape[:-1]), size)))
    logits = xp.broadcast_to(logits, shape)
    removed = xp.zeros(shape, dtype=xp.bool, device=device(logits))
    total = xp.zeros(shape[:-1], dtype=logits.dtype, device=device(logits))
    invalid = xp.zeros(shape[:-1], dtype=xp.bool, device=device(logits))
    for j in range(k):
        pick = items == xp.astype(indices[..., j : j + 1], items.dtype)
        # an index out of range or repeated has probability zero
        invalid = invalid | ~xp.any(pick & ~removed, axis=-1)
        chosen = xp.sum(xp.where(pick, logits, zero), axis=-1)
        rest = xp.where(removed, neg_inf, logits)
        m = adapter.stop_gradient(xp.max(rest, axis=-1, keepdims=True))
        m = xp.where(xp.isfinite(m), m, zero)
        lse = xp.log(xp.sum(xp.exp(rest - m), axis=-1)) + m[..., 0]
        total = total + chosen - lse
        removed = removed | pick
    return xp.where(invalid, neg_inf, total)
