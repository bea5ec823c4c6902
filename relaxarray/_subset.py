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
from relaxarray._lib._typing import Array, Namespace
from relaxarray._namespace import (
    as_float_array,
    check_axis,
    check_positive,
    device,
    namespace_and_adapter,
)
from relaxarray._relaxations import _softmax
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


def _relaxed_top_k(
    xp: Namespace, adapter: Adapter, keys: Array, k: int, temperature: Any, axis: int
) -> Array:
    r"""Xie & Ermon (2019): :math:`a = \sum_{j=1}^k p^{(j)}`,
    :math:`p^{(j)} = \operatorname{softmax}(\alpha^{(j)} / T)`,
    :math:`\alpha^{(j+1)} = \alpha^{(j)} + \log(1 - p^{(j)})`, in log space."""
    eps = float(xp.finfo(keys.dtype).eps)
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
            # the log-space mask log(1 - p), with 1 - p floored at eps: a chosen entry gets
            # a finite penalty >= log(eps) and a finite (zero) gradient through the floor
            alpha = alpha + xp.log(xp.clip(1.0 - p, min=eps))
        total = p if total is None else total + p
    assert total is not None
    return total


def gumbel_top_k(
    logits: Array,
    k: int,
    /,
    *,
    temperature: Any = 1.0,
    hard: bool = False,
    axis: int = -1,
    rng: object = None,
    noise: Array | None = None,
) -> Array:
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

      the masks accumulated in log space on the logits (:math:`1 - p` floored at machine
      epsilon, as in Xie & Ermon's code, so that values and gradients stay finite). Rows sum to
      :math:`k` and entries are :math:`\ge 0`; as :math:`T \to 0` it tends to the hard
      k-hot vector. Note that an entry of :math:`a` may exceed 1 slightly at moderate
      temperatures (e.g. :math:`p^{(1)} = (0.6, 0.3, 0.1)`, :math:`T = 1`, :math:`k = 2`
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
        The axis of the items.
    rng, noise : optional
        Exactly one: an rng for Gumbel noise of the broadcast shape of ``logits`` and
        ``temperature``, or standard Gumbel noise :math:`g` itself.

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
    ax = check_axis(axis, logits.ndim)
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
