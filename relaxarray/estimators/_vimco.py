r"""VIMCO: variational inference for Monte Carlo objectives (Mnih & Rezende 2016).

``f`` returns log-weights :math:`w_s = \log p(x, h_s) - \log q(h_s)` (shape
``(S, *B)``) and the objective is the multi-sample bound

.. math::
    \hat{\mathcal L} = \log \frac1S \sum_{s=1}^S e^{w_s}.

The score term of each sample gets the leave-one-out learning signal
:math:`\hat{\mathcal L} - \hat{\mathcal L}_{-s}`, where :math:`\hat{\mathcal L}_{-s}`
replaces :math:`w_s` by the mean of the other log-weights:

.. math::
    \nabla \mathbb{E}[\hat{\mathcal L}] \approx \sum_s \bigl(\hat{\mathcal L}
    - \hat{\mathcal L}_{-s}\bigr)\nabla \log q(h_s) + \sum_s \tilde w_s \nabla w_s,
    \qquad \tilde w_s = \frac{e^{w_s}}{\sum_j e^{w_j}}.
"""

from __future__ import annotations

import math

from relaxarray._lib._typing import Array, ArrayT
from relaxarray._relaxations import _logsumexp
from relaxarray.estimators._common import (
    EstimatorResult,
    Objective,
    Prepared,
    elementwise_log_prob,
    evaluate,
    fill_doc,
    magic_box,
    prepare,
    sample,
    sum_to,
)
from relaxarray.estimators._score import coefficient_times_score

__all__ = ["vimco", "vimco_grad"]


def _signals(p: Prepared, w: Array) -> tuple[Array, Array]:
    """``(L, sg(L - L_{-s}))`` for log-weights ``w`` of shape ``(S, *B)``."""
    xp, adapter = p.xp, p.adapter
    n = w.shape[0]
    log_n = math.log(n)
    big = _logsumexp(xp, adapter, w, 0, False) - log_n
    ws = adapter.stop_gradient(w)
    loo_mean = (xp.sum(ws, axis=0, keepdims=True) - ws) / (n - 1)  # (S, *B)
    # matrix m[s, j] = w_j (j != s), loo_mean_s (j == s): shape (S, S, *B)
    eye = xp.eye(n, dtype=ws.dtype, device=_dev(ws))
    eye = xp.reshape(eye, (n, n) + (1,) * (ws.ndim - 1))
    m = xp.where(eye > 0, xp.expand_dims(loo_mean, axis=1), xp.expand_dims(ws, axis=0))
    loo = _logsumexp(xp, adapter, m, 1, False) - log_n
    return big, adapter.stop_gradient(big) - loo


def _dev(x: Array) -> object:
    from relaxarray._namespace import device

    return device(x)


_PARAMS = r"""
    Parameters
    ----------
    f : callable
        Returns log-weights of shape ``(S, *B)`` for samples ``(S, *logits.shape)`` (see
        :mod:`relaxarray.estimators`); must be finite.
    logits : array
    distribution : {"bernoulli", "categorical"}
    num_samples : int
        ``S >= 2`` (ignored when ``noise`` is given).
    axis : int
        Category axis of categorical logits.
    rng, noise
        Uniform noise of shape ``(S, *logits.shape)``, as :func:`reinforce`.
"""


@fill_doc(PARAMS=_PARAMS)
def vimco(
    f: Objective,
    logits: ArrayT,
    /,
    *,
    distribution: str = "bernoulli",
    num_samples: int = 2,
    axis: int = -1,
    rng: object = None,
    noise: Array | None = None,
) -> ArrayT:
    r"""VIMCO surrogate: value :math:`\hat{\mathcal L} = \log\frac1S\sum_s e^{w_s}`,
    gradient the VIMCO estimator of :math:`\nabla\mathbb E[\hat{\mathcal L}]`, including
    the pathwise term :math:`\sum_s \tilde w_s \nabla w_s` for ``f``'s own parameters.

    .. math::
        \mathcal S = \hat{\mathcal L} + \sum_s \mathrm{sg}(\hat{\mathcal L} -
        \hat{\mathcal L}_{-s})\,\bigl(\boxdot(\log q(h_s)) - 1\bigr)

    @PARAMS@

    Examples
    --------
    >>> import numpy as np
    >>> from relaxarray import estimators as est
    >>> float(est.vimco(lambda b: 0 * b[:, 0], np.zeros(2), num_samples=4, rng=0))
    0.0
    """
    p = prepare(logits, distribution, num_samples, axis, rng, noise, min_samples=2)
    b = sample(p, p.noise)
    w = evaluate(f, b, p)
    big, signal = _signals(p, w)
    logp = sum_to(p.xp, elementwise_log_prob(p, b), w.ndim)
    return big + p.xp.sum(signal * (magic_box(p.adapter, p.xp, logp) - 1), axis=0)


@fill_doc(PARAMS=_PARAMS)
def vimco_grad(
    f: Objective,
    logits: ArrayT,
    /,
    *,
    distribution: str = "bernoulli",
    num_samples: int = 2,
    axis: int = -1,
    rng: object = None,
    noise: Array | None = None,
) -> EstimatorResult[ArrayT]:
    r"""VIMCO, explicit form: ``value`` :math:`\hat{\mathcal L}` and ``grad``
    :math:`\sum_s(\hat{\mathcal L} - \hat{\mathcal L}_{-s})\, s_\theta(h_s)` with the
    closed-form score.

    Only the score term: if the log-weights depend on the logits directly (e.g. through
    :math:`-\log q(h)`), add :math:`\sum_s \tilde w_s \nabla_\theta w_s` yourself (for
    :math:`w = \log p - \log q` that term is :math:`-\sum_s \tilde w_s s_\theta(h_s)`).

    @PARAMS@

    Examples
    --------
    >>> import numpy as np
    >>> from relaxarray import estimators as est
    >>> r = est.vimco_grad(lambda b: b.sum(axis=-1), np.zeros(2), num_samples=3, rng=0)
    >>> r.grad.shape
    (2,)
    """
    p = prepare(logits, distribution, num_samples, axis, rng, noise, min_samples=2)
    b = sample(p, p.noise)
    w = evaluate(f, b, p)
    big, signal = _signals(p, w)
    n = w.shape[0]
    return EstimatorResult(big, n * coefficient_times_score(p, signal, b))
