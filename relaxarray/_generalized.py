r"""Generalized Gumbel-softmax (Joo, Kim, Shin & Moon 2020): a relaxation of any discrete
distribution over a finite (or truncated) set of values."""

from __future__ import annotations

import math
from typing import Any

from relaxarray._gates import _float_param, _resolve_noise
from relaxarray._lib._typing import Array, ArrayT, Namespace
from relaxarray._namespace import (
    as_float_array,
    check_category_axis,
    check_positive,
    device,
    namespace_and_adapter,
)
from relaxarray._relaxations import _logsumexp, _softmax, one_hot_argmax
from relaxarray._straight_through import straight_through
from relaxarray.backends._base import Adapter

__all__ = [
    "generalized_gumbel_softmax",
    "truncated_binomial",
    "truncated_geometric",
    "truncated_poisson",
]


def generalized_gumbel_softmax(
    log_probs: ArrayT,
    values: ArrayT,
    /,
    *,
    temperature: Any = 1.0,
    hard: bool = False,
    axis: int = -1,
    rng: object = None,
    noise: Array | None = None,
) -> ArrayT:
    r"""Relaxed sample of a discrete variable taking ``values`` with ``log_probs``.

    .. math::

        w = \operatorname{softmax}\!\left(\frac{\log p + g}{T}\right),\qquad
        \tilde x = \sum_n w_n v_n

    (Joo et al. 2020). With ``hard=True`` the value is :math:`v_{\arg\max(\log p + g)}`,
    an exact sample, with the gradient of :math:`\tilde x` (straight-through).

    Parameters
    ----------
    log_probs : array
        (Unnormalised) log-probabilities of the support points along ``axis``; use
        :func:`truncated_poisson`, :func:`truncated_binomial`, :func:`truncated_geometric`
        or a table of your own.
    values : array
        The support values :math:`v_n`, broadcasting against ``log_probs``.
    temperature : float or array, optional
        :math:`T > 0`.
    hard : bool, optional
        Straight-through exact sample.
    axis : int, optional
        The support axis (reduced away in the result; a negative axis counts from the end
        of the noise's shape, so noise with leading sample axes works).
    rng, noise : optional
        Exactly one: an rng for Gumbel noise of ``log_probs``' shape, or the Gumbel noise
        (it may have leading sample axes).

    Examples
    --------
    >>> import numpy as np
    >>> import relaxarray as rx
    >>> lp = np.log(np.array([0.2, 0.5, 0.3]))
    >>> float(rx.generalized_gumbel_softmax(lp, np.array([0.0, 1.0, 5.0]), hard=True,
    ...       noise=np.array([0.0, 0.0, 2.0])))
    5.0
    """
    xp, adapter = namespace_and_adapter(log_probs, values, temperature, noise)
    as_float_array(log_probs, "log_probs", xp)
    as_float_array(values, "values", xp)
    ax = check_category_axis(log_probs, axis, "log_probs") - log_probs.ndim  # from the end
    temperature = _float_param(temperature, "temperature", xp, log_probs)
    check_positive(temperature, "temperature", adapter)
    g = _resolve_noise(xp, adapter, rng, noise, tuple(log_probs.shape), log_probs, "gumbel")
    keys = log_probs + g
    w = _softmax(xp, adapter, keys / temperature, ax)
    if hard:
        w = straight_through(one_hot_argmax(adapter.stop_gradient(keys), axis=ax), w)
    return xp.sum(w * values, axis=ax)


def _table(
    xp: Namespace, adapter: Adapter, log_pmf: Array, n: Array, log_const: Any = 0.0
) -> tuple[Array, Array, Array]:
    r"""Renormalise ``log_pmf + log_const`` over the kept support; report the dropped mass
    ``1 - sum(kept)`` (absolute accuracy about machine epsilon).

    ``log_const`` is constant over the support (Poisson's :math:`-\lambda`): it cancels in
    the renormalised table and only enters the kept mass, so a huge constant cannot swallow
    the terms that vary with :math:`n`."""
    lse = _logsumexp(xp, adapter, log_pmf, log_pmf.ndim - 1, True)
    kept = lse[..., 0] + log_const
    return log_pmf - lse, n, xp.clip(-xp.expm1(kept), min=0.0)


def _support(x: Array, size: int, xp: Namespace) -> Array:
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValueError(f"size must be a positive int, got {size!r}")
    return xp.arange(size, dtype=x.dtype, device=device(x))


def truncated_poisson(log_rate: ArrayT, /, *, size: int) -> tuple[ArrayT, ArrayT, ArrayT]:
    r"""Poisson(:math:`\lambda = e^{\text{log\_rate}}`) on :math:`\{0, \dots, \text{size}-1\}`.

    Returns ``(log_probs, values, truncation_mass)``: the log pmf renormalised over the
    kept support (new last axis), the values :math:`0..\text{size}-1`, and the dropped
    mass :math:`P(X \ge \text{size})`, computed as one minus the kept mass (accurate to
    about machine epsilon in absolute terms).

    Examples
    --------
    >>> import numpy as np
    >>> import relaxarray as rx
    >>> lp, v, dropped = rx.truncated_poisson(np.log(np.array([2.0])), size=12)
    >>> bool(dropped[0] < 1e-5), v[:3]
    (True, array([0., 1., 2.]))
    """
    xp, adapter = namespace_and_adapter(log_rate)
    as_float_array(log_rate, "log_rate", xp)
    n = _support(log_rate, size, xp)
    lr = xp.expand_dims(log_rate, axis=-1)
    # exp(log_rate) must not overflow (a warning; and inf makes the gradient 0 * inf = NaN):
    # clipped a little below log(max), a rate so large leaves no kept mass either way
    big = math.log(float(xp.finfo(log_rate.dtype).max)) - 0.05
    rate = xp.exp(xp.clip(log_rate, max=big))
    return _table(xp, adapter, n * lr - adapter.lgamma(n + 1.0), n, -rate)


def truncated_geometric(logits: ArrayT, /, *, size: int) -> tuple[ArrayT, ArrayT, ArrayT]:
    r"""Geometric (failures before the first success, success probability
    :math:`\sigma(\text{logits})`) on :math:`\{0, \dots, \text{size}-1\}`;
    returns ``(log_probs, values, truncation_mass)`` as :func:`truncated_poisson`."""
    xp, adapter = namespace_and_adapter(logits)
    as_float_array(logits, "logits", xp)
    n = _support(logits, size, xp)
    lg = xp.expand_dims(logits, axis=-1)
    zero = xp.zeros_like(lg)
    log_p, log_q = -xp.logaddexp(zero, -lg), -xp.logaddexp(zero, lg)
    log_probs, values, _ = _table(xp, adapter, n * log_q + log_p, n)
    return log_probs, values, xp.exp(size * log_q[..., 0])  # exact tail (1 - p)^size


def truncated_binomial(logits: ArrayT, /, *, total_count: int) -> tuple[ArrayT, ArrayT, ArrayT]:
    r"""Binomial(``total_count``, :math:`\sigma(\text{logits})`) on its full support
    :math:`\{0, \dots, N\}` (no truncation; the reported mass is 0 up to rounding)."""
    xp, adapter = namespace_and_adapter(logits)
    as_float_array(logits, "logits", xp)
    n = _support(logits, total_count + 1, xp)
    lg = xp.expand_dims(logits, axis=-1)
    zero = xp.zeros_like(lg)
    log_p, log_q = -xp.logaddexp(zero, -lg), -xp.logaddexp(zero, lg)
    big_n = float(total_count)
    log_c = (
        adapter.lgamma(n * 0.0 + big_n + 1.0)
        - adapter.lgamma(n + 1.0)
        - adapter.lgamma(big_n - n + 1.0)
    )
    return _table(xp, adapter, log_c + n * log_p + (big_n - n) * log_q, n)
