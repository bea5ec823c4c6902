r"""Score-function (REINFORCE) estimators with baselines (Williams 1992; Kool et al. 2019).

.. math::
    \nabla_\theta \mathbb{E}_{p_\theta}[f(b)]
    \approx \frac{1}{S}\sum_{s=1}^S \bigl(f(b_s) - c_s\bigr)\,\nabla_\theta \log p_\theta(b_s)

with a baseline :math:`c_s` that does not depend on :math:`b_s`: none, a constant, an
exponential moving average carried by the caller (:class:`EMABaseline`), or the
leave-one-out mean :math:`c_s = \frac{1}{S-1}\sum_{j \ne s} f(b_j)` (RLOO).
"""

from __future__ import annotations

from typing import Any

from relaxarray._lib._typing import Array, ArrayT, Namespace
from relaxarray._namespace import namespace_and_adapter, values_readable
from relaxarray.backends._base import Adapter
from relaxarray.estimators._common import (
    EMABaseline,
    EstimatorResult,
    Objective,
    Prepared,
    elementwise_log_prob,
    evaluate,
    expand_to,
    fill_doc,
    insert_category_axis,
    magic_box,
    prepare,
    sample,
    score,
    sum_to,
)

__all__ = ["reinforce", "reinforce_grad", "score_function"]

_BASELINE_DOC = """    baseline : None, float, array, EMABaseline or "rloo"
        ``None``: no baseline. A number or an array broadcastable to ``B``: a constant
        baseline (its gradient is stopped). An :class:`EMABaseline`: its ``value`` (update
        it afterwards with :func:`update_ema`). ``"rloo"``: the leave-one-out mean of the
        other samples' values (needs ``num_samples >= 2``)."""


def _check_baseline(baseline: Any, num_samples: int) -> None:
    if isinstance(baseline, str):
        if baseline != "rloo":
            raise ValueError(
                f"baseline must be None, a number, an array, an EMABaseline or "
                f"'rloo', got {baseline!r}"
            )
        if num_samples < 2:
            raise ValueError("baseline='rloo' needs num_samples >= 2")
    elif isinstance(baseline, bool):
        raise TypeError("baseline must not be a bool")


def _advantage(xp: Namespace, adapter: Adapter, values: Array, baseline: Any) -> Array:
    """``sg(f(b_s) - c_s)``, shape ``(n, *B)``."""
    v = adapter.stop_gradient(values)
    n = v.shape[0]
    if baseline is None:
        return v
    if isinstance(baseline, str):  # "rloo": f_s - mean_{j != s} f_j = n/(n-1) (f_s - mean f)
        return (v - xp.mean(v, axis=0, keepdims=True)) * (n / (n - 1))
    if isinstance(baseline, EMABaseline):
        baseline = baseline.value
    if isinstance(baseline, (int, float)):
        return v - baseline
    c = adapter.stop_gradient(baseline)
    if c.ndim > v.ndim - 1:
        raise ValueError(
            f"baseline of shape {tuple(c.shape)} does not broadcast to the objective's "
            f"shape B = {tuple(v.shape[1:])}"
        )
    return v - c


def _surrogate(xp: Namespace, adapter: Adapter, values: Array, logp: Array, baseline: Any) -> Array:
    logp = sum_to(xp, logp, values.ndim)
    adv = _advantage(xp, adapter, values, baseline)
    return xp.mean(values + adv * (magic_box(adapter, xp, logp) - 1), axis=0)


@fill_doc(BASELINE_DOC=_BASELINE_DOC)
def reinforce(
    f: Objective,
    logits: ArrayT,
    /,
    *,
    distribution: str = "bernoulli",
    num_samples: int = 1,
    baseline: Any = None,
    axis: int = -1,
    rng: object = None,
    noise: Array | None = None,
) -> ArrayT:
    r"""REINFORCE surrogate: value :math:`\frac1S\sum_s f(b_s)`, gradient the score-function
    estimator.

    .. math::
        \mathcal{L} = \frac{1}{S}\sum_s \Bigl[f(b_s) + \mathrm{sg}\bigl(f(b_s) - c_s\bigr)
        \bigl(\boxdot(\log p_\theta(b_s)) - 1\bigr)\Bigr],\qquad
        \boxdot(\ell) = e^{\ell - \mathrm{sg}(\ell)}

    The magic box :math:`\boxdot` (Foerster et al. 2018) is 1 in value and has gradient
    :math:`\nabla\ell`, so :math:`\nabla\mathcal{L} = \frac1S\sum_s [\nabla f(b_s) +
    (f(b_s) - c_s)\nabla \log p_\theta(b_s)]`: the score-function estimator (Williams 1992)
    for the logits, plus the pathwise gradient for ``f``'s own parameters.

    Parameters
    ----------
    f : callable
        The objective; see :mod:`relaxarray.estimators` for the shape convention
        (samples ``(S, *logits.shape)`` in, values ``(S, *B)`` out).
    logits : array
        Bernoulli logits, or categorical logits with the categories on ``axis``.
    distribution : {"bernoulli", "categorical"}
    num_samples : int
        Number of samples ``S`` (ignored when ``noise`` is given).
    @BASELINE_DOC@
    axis : int
        Category axis of categorical logits.
    rng, noise
        Where the uniform noise of shape ``(S, *logits.shape)`` comes from (give at most
        one). Bernoulli: :math:`b = \mathbb{1}[u < \sigma(\theta)]`; categorical: Gumbel-max
        of :math:`\theta - \log(-\log u)`.

    Returns
    -------
    array of shape ``B``

    Raises
    ------
    ValueError
        If ``f`` returns NaN or infinite values (checked when values are concrete, i.e.
        not under ``jax.jit``), or values of the wrong shape.

    Examples
    --------
    >>> import numpy as np
    >>> from relaxarray import estimators as est
    >>> f = lambda b: (b - 0.45) ** 2
    >>> v = est.reinforce(f, np.array([0.0]), num_samples=4, baseline="rloo", rng=0)
    >>> v.shape
    (1,)
    """
    _check_baseline(baseline, num_samples if noise is None else noise.shape[0])
    p = prepare(logits, distribution, num_samples, axis, rng, noise)
    b = sample(p, p.noise)
    values = evaluate(f, b, p)
    logp = elementwise_log_prob(p, b)
    return _surrogate(p.xp, p.adapter, values, logp, baseline)


def coefficient_times_score(p: Prepared, coef: Array, b: Array) -> Array:
    """``mean_s coef_s * score(b_s)`` with per-sample coefficients of shape ``(n, *B)``."""
    xp = p.xp
    nvar = p.logits.ndim + (0 if p.categorical else 1)  # ndim of (n, *batch)
    c = insert_category_axis(p, expand_to(xp, coef, nvar))
    return xp.mean(c * score(p, b), axis=0)


@fill_doc(BASELINE_DOC=_BASELINE_DOC)
def reinforce_grad(
    f: Objective,
    logits: ArrayT,
    /,
    *,
    distribution: str = "bernoulli",
    num_samples: int = 1,
    baseline: Any = None,
    axis: int = -1,
    rng: object = None,
    noise: Array | None = None,
) -> EstimatorResult[ArrayT]:
    r"""REINFORCE, explicit form: the gradient estimate with respect to the logits.

    .. math::
        \hat g = \frac{1}{S}\sum_s \bigl(f(b_s) - c_s\bigr)\, s_\theta(b_s),\qquad
        s_\theta(b) = b - \sigma(\theta) \;\text{(Bernoulli)},\quad
        \mathrm{onehot}(b) - \mathrm{softmax}(\theta) \;\text{(categorical)}

    Arguments as :func:`reinforce`; runs on every backend (``f`` needs no autodiff).
    With the same ``noise``, ``grad`` equals the gradient of :func:`reinforce`.

    Returns
    -------
    EstimatorResult
        ``value`` (shape ``B``): the mean of ``f`` over the samples; ``grad`` (shape
        ``logits.shape``): the estimate of the gradient of ``sum(E[f])``.

    Examples
    --------
    >>> import numpy as np
    >>> from relaxarray import estimators as est
    >>> f = lambda b: (b - 0.45) ** 2
    >>> r = est.reinforce_grad(f, np.array([1.0]), num_samples=100_000, rng=0)
    >>> bool(abs(r.grad[0] - 0.1966 * 0.1) < 0.01)   # sigma(1) sigma(-1) (1 - 2 t)
    True
    """
    _check_baseline(baseline, num_samples if noise is None else noise.shape[0])
    p = prepare(logits, distribution, num_samples, axis, rng, noise)
    b = sample(p, p.noise)
    values = evaluate(f, b, p)
    adv = _advantage(p.xp, p.adapter, values, baseline)
    return EstimatorResult(p.xp.mean(values, axis=0), coefficient_times_score(p, adv, b))


@fill_doc(BASELINE_DOC=_BASELINE_DOC)
def score_function(
    f: Objective,
    dist: Any,
    /,
    *,
    num_samples: int = 1,
    baseline: Any = None,
    rng: object = None,
) -> Array:
    r"""Score-function surrogate for any distribution object.

    ``dist`` needs ``sample(sample_shape, rng=...)`` and ``log_prob(value)`` (every
    relaxarray :class:`~relaxarray.distributions.Distribution` has them, and so can a
    user's own class). The samples ``x = dist.sample((S,), rng=rng)`` are cut from the
    graph; ``f(x)`` returns ``(S, *B)`` with ``B`` a prefix of ``dist.log_prob(x).shape[1:]``,
    over whose remaining axes the log-probability is summed. The result (shape ``B``) has
    the value :math:`\frac1S\sum_s f(x_s)` and the gradient
    :math:`\frac1S\sum_s[\nabla f(x_s) + (f(x_s) - c_s)\nabla\log p(x_s)]` with respect to
    the distribution's parameters (magic box, Foerster et al. 2018).

    Parameters
    ----------
    f : callable
    dist : distribution object
    num_samples : int
    @BASELINE_DOC@
    rng : optional
        Passed to ``dist.sample``.

    Examples
    --------
    >>> import numpy as np
    >>> from relaxarray import estimators as est
    >>> class Coin:   # any object with sample and log_prob
    ...     def __init__(self, p): self.p = p
    ...     def sample(self, shape, rng=None):
    ...         return (np.random.default_rng(rng).random(shape) < self.p).astype(float)
    ...     def log_prob(self, x): return x * np.log(self.p) + (1 - x) * np.log1p(-self.p)
    >>> float(est.score_function(lambda x: x, Coin(0.5), num_samples=3, rng=0))
    0.6666666666666666
    """
    if isinstance(num_samples, bool) or not isinstance(num_samples, int) or num_samples < 1:
        raise ValueError(f"num_samples must be a positive int, got {num_samples!r}")
    _check_baseline(baseline, num_samples)
    if not (callable(getattr(dist, "sample", None)) and callable(getattr(dist, "log_prob", None))):
        raise TypeError("dist must have sample(sample_shape, rng=...) and log_prob(value) methods")
    x = dist.sample((num_samples,), rng=rng)
    xp, adapter = namespace_and_adapter(x)
    x = adapter.stop_gradient(x)
    logp = dist.log_prob(x)
    values = f(x)
    if not hasattr(values, "shape"):
        raise TypeError(f"f must return an array, got {type(values).__name__}")
    vshape, lshape = tuple(values.shape), tuple(logp.shape)
    if len(vshape) == 0 or len(vshape) > len(lshape) or vshape != lshape[: len(vshape)]:
        raise ValueError(
            f"f must return values of shape (num_samples, *B) with B a prefix of the "
            f"log_prob batch shape {lshape[1:]}; got {vshape}"
        )
    if values_readable(adapter, values):
        v = adapter.stop_gradient(values)
        if not bool(xp.all(xp.isfinite(v))):
            raise ValueError(
                "f returned NaN or infinite values for some samples; the "
                "gradient estimate would be NaN"
            )
    return _surrogate(xp, adapter, values, logp, baseline)
