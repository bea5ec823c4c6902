r"""Antithetic estimators for Bernoulli logits: ARM (Yin & Zhou 2019) and DisARM
(Dong, Mnih & Tucker 2020).

Both use one uniform :math:`u` per variable and the antithetic pair

.. math::
    b = \mathbb{1}[u < \sigma(\theta)], \qquad \tilde b = \mathbb{1}[1 - u < \sigma(\theta)],

each marginally :math:`\mathrm{Bernoulli}(\sigma(\theta))`; ``f`` is evaluated on both
(``2 * num_samples`` evaluations, in one call of ``f`` on a batch of ``2S`` samples:
the ``S`` samples ``b`` first, then the ``S`` samples :math:`\tilde b`).

.. math::
    \hat g_{\mathrm{ARM}} = \bigl(f(\tilde b) - f(b)\bigr)\,(u - \tfrac12), \qquad
    \hat g_{\mathrm{DisARM}} = \tfrac12\bigl(f(b) - f(\tilde b)\bigr)\,
        (-1)^{\tilde b}\,\mathbb{1}[b \ne \tilde b]\,\sigma(|\theta|).

DisARM is ARM with :math:`u` integrated out given :math:`(b, \tilde b)`, so its variance
is never larger. The value returned is :math:`\frac1S\sum_s \tfrac12(f(b_s) + f(\tilde b_s))`.
"""

from __future__ import annotations

from relaxarray._bernoulli import _bernoulli_threshold
from relaxarray._lib._typing import Array, ArrayT
from relaxarray.estimators._common import (
    EstimatorResult,
    Objective,
    Prepared,
    evaluate,
    expand_to,
    fill_doc,
    prepare,
    sigmoid,
    sum_to,
)

__all__ = ["arm", "arm_grad", "disarm", "disarm_grad"]


def _pairs(
    f: Objective, logits: Array, num_samples: int, rng: object, noise: Array | None
) -> tuple[Prepared, Array, Array, Array, Array]:
    p = prepare(logits, "bernoulli", num_samples, -1, rng, noise)
    xp = p.xp
    u = p.noise
    lg = p.adapter.stop_gradient(p.logits)
    b = xp.astype(_bernoulli_threshold(xp, u, lg), logits.dtype)
    bt = xp.astype(_bernoulli_threshold(xp, u, lg, antithetic=True), logits.dtype)
    values = evaluate(f, xp.concat([b, bt], axis=0), p)
    n = u.shape[0]
    return p, b, bt, values[:n, ...], values[n:, ...]


def _coefficients(p: Prepared, b: Array, bt: Array, fb: Array, fbt: Array, dis: bool) -> Array:
    """Per-sample gradient estimates, shape ``(S, *logits.shape)`` (no gradient)."""
    xp, sg = p.xp, p.adapter.stop_gradient
    d = expand_to(xp, sg(fb) - sg(fbt), b.ndim)
    if dis:
        theta = sg(p.logits)
        w = (1 - 2 * bt) * xp.abs(b - bt) * sigmoid(xp, xp.abs(theta))
        return 0.5 * d * w
    # ARM's coefficient does not involve the logits: a NaN logit must still give NaN
    theta = sg(p.logits)
    return xp.where(xp.isnan(theta), theta, -d * (p.noise - 0.5))


def _explicit(
    f: Objective, logits: Array, num_samples: int, rng: object, noise: Array | None, dis: bool
) -> EstimatorResult[Array]:
    p, b, bt, fb, fbt = _pairs(f, logits, num_samples, rng, noise)
    g = _coefficients(p, b, bt, fb, fbt, dis)
    return EstimatorResult(p.xp.mean(0.5 * (fb + fbt), axis=0), p.xp.mean(g, axis=0))


def _surrogate(
    f: Objective, logits: Array, num_samples: int, rng: object, noise: Array | None, dis: bool
) -> Array:
    p, b, bt, fb, fbt = _pairs(f, logits, num_samples, rng, noise)
    xp, sg = p.xp, p.adapter.stop_gradient
    g = _coefficients(p, b, bt, fb, fbt, dis)
    lin = sum_to(xp, g * (p.logits - sg(p.logits)), fb.ndim)
    return xp.mean(0.5 * (fb + fbt) + lin, axis=0)


_PARAMS = r"""
    Parameters
    ----------
    f : callable
        The objective (see :mod:`relaxarray.estimators`); called once on ``2S`` samples.
    logits : array
        Bernoulli logits (any shape).
    num_samples : int
        Number ``S`` of antithetic pairs (ignored when ``noise`` is given).
    rng, noise
        Where the uniform noise ``u`` of shape ``(S, *logits.shape)`` comes from (give at
        most one); the pair is :math:`b = \mathbb{1}[\log u < \log\sigma(\theta)]`,
        :math:`\tilde b = \mathbb{1}[\log(1 - u) < \log\sigma(\theta)]`.
"""


@fill_doc(PARAMS=_PARAMS)
def arm(
    f: Objective,
    logits: ArrayT,
    /,
    *,
    num_samples: int = 1,
    rng: object = None,
    noise: Array | None = None,
) -> ArrayT:
    r"""ARM surrogate (Yin & Zhou 2019): value the antithetic mean of ``f``, gradient
    :math:`\frac1S\sum_s (f(\tilde b_s) - f(b_s))(u_s - \frac12)` for the logits (plus the
    pathwise gradient of ``f``'s own parameters, averaged over both samples).

    @PARAMS@

    Examples
    --------
    >>> import numpy as np
    >>> from relaxarray import estimators as est
    >>> est.arm(lambda b: b.sum(axis=-1), np.zeros(3), num_samples=2, rng=0).shape
    ()
    """
    return _surrogate(f, logits, num_samples, rng, noise, dis=False)


@fill_doc(PARAMS=_PARAMS)
def arm_grad(
    f: Objective,
    logits: ArrayT,
    /,
    *,
    num_samples: int = 1,
    rng: object = None,
    noise: Array | None = None,
) -> EstimatorResult[ArrayT]:
    r"""ARM, explicit form (every backend); ``grad`` equals :func:`arm`'s gradient for
    the same noise.

    @PARAMS@

    Examples
    --------
    >>> import numpy as np
    >>> from relaxarray import estimators as est
    >>> r = est.arm_grad(lambda b: (b - 0.45) ** 2, np.zeros(1), num_samples=4, rng=0)
    >>> r.grad.shape
    (1,)
    """
    return _explicit(f, logits, num_samples, rng, noise, dis=False)


@fill_doc(PARAMS=_PARAMS)
def disarm(
    f: Objective,
    logits: ArrayT,
    /,
    *,
    num_samples: int = 1,
    rng: object = None,
    noise: Array | None = None,
) -> ArrayT:
    r"""DisARM surrogate (Dong et al. 2020): value the antithetic mean of ``f``, gradient
    :math:`\frac1S\sum_s \frac12(f(b_s) - f(\tilde b_s))(-1)^{\tilde b_s}
    \mathbb{1}[b_s \ne \tilde b_s]\sigma(|\theta|)` for the logits.

    @PARAMS@

    Examples
    --------
    >>> import numpy as np
    >>> from relaxarray import estimators as est
    >>> est.disarm(lambda b: b.sum(axis=-1), np.zeros(3), num_samples=2, rng=0).shape
    ()
    """
    return _surrogate(f, logits, num_samples, rng, noise, dis=True)


@fill_doc(PARAMS=_PARAMS)
def disarm_grad(
    f: Objective,
    logits: ArrayT,
    /,
    *,
    num_samples: int = 1,
    rng: object = None,
    noise: Array | None = None,
) -> EstimatorResult[ArrayT]:
    r"""DisARM, explicit form (every backend); ``grad`` equals :func:`disarm`'s gradient
    for the same noise.

    @PARAMS@

    Examples
    --------
    >>> import numpy as np
    >>> from relaxarray import estimators as est
    >>> r = est.disarm_grad(lambda b: (b - 0.45) ** 2, np.zeros(1), num_samples=3, rng=0)
    >>> round(float(r.grad[0]), 12)    # zero variance for one variable at logits 0
    0.025
    """
    return _explicit(f, logits, num_samples, rng, noise, dis=True)
