r"""Shared machinery of the gradient estimators: the calling convention, sampling from
uniform noise, closed-form scores and the stop-gradient ("magic box") algebra.

The calling convention
----------------------
Every estimator estimates the gradient of :math:`\mathbb{E}_{b \sim p_\theta}[f(b)]` with
respect to the logits :math:`\theta` of independent Bernoulli variables or of categorical
variables.

``f`` is the caller's objective. It receives a batch of samples of shape
``(n, *logits.shape)``, where ``n`` is the number of samples the estimator evaluates at
once (``num_samples``, or ``2 * num_samples`` for the antithetic estimators ARM and
DisARM); for Bernoulli logits the samples are 0/1 in the logits' dtype, for categorical
logits they are one-hot along ``axis``. ``f`` returns values of shape ``(n, *B)`` where
``B`` is a prefix of the batch shape (Bernoulli: of ``logits.shape``; categorical: of
``logits.shape`` without the category axis). ``f(b)[s, i]`` may depend only on the
variables ``b[s, i, ...]``: the log-probability of a sample is summed over the dimensions
of the batch shape after ``B``. ``f`` must treat every sample on the leading axis
independently (no mixing across samples).

Two forms
---------
*Surrogate form* (``reinforce``, ``vimco``, ``arm``, ``disarm``, ``score_function``): an
array of shape ``B`` whose value is the Monte Carlo estimate of :math:`\mathbb{E}[f]` and
whose gradient under the framework's autodiff (``torch.autograd``, ``jax.grad``) with
respect to the logits (and, pathwise, to ``f``'s own parameters) is the estimator.

*Explicit form* (``*_grad``): an :class:`EstimatorResult` ``(value, grad)`` with the
estimate of :math:`\mathbb{E}[f]` (shape ``B``) and the gradient estimate of
``sum(E[f])`` with respect to the logits (shape ``logits.shape``), from closed-form scores;
it runs on every backend, NumPy included, and ``f`` needs no autodiff.

Both forms draw uniform noise of shape ``(num_samples, *logits.shape)`` from ``rng=`` or
take it as ``noise=``, and agree sample by sample given the same noise.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Generic, NamedTuple, ParamSpec, TypeVar

from relaxarray._bernoulli import _bernoulli_threshold
from relaxarray._lib._typing import Array, ArrayT, Namespace
from relaxarray._namespace import (
    as_float_array,
    check_axis,
    check_category_axis,
    namespace_and_adapter,
    values_readable,
)
from relaxarray._relaxations import _one_hot_of_argmax
from relaxarray._sampling import get_noise, log_sigmoid, sigmoid_precise
from relaxarray.backends._base import Adapter
from relaxarray.random import gumbel_from_uniform

__all__ = [
    "EMABaseline",
    "EstimatorResult",
    "bernoulli_from_uniform",
    "categorical_from_uniform",
    "ema_baseline",
    "update_ema",
]

Objective = Callable[[Array], Array]
DISTRIBUTIONS = ("bernoulli", "categorical")


class EstimatorResult(NamedTuple, Generic[ArrayT]):
    """What an explicit-form estimator returns.

    Attributes
    ----------
    value : array
        Monte Carlo estimate of :math:`\\mathbb{E}[f]` (the objective for VIMCO), shape ``B``.
    grad : array
        Gradient estimate with respect to the logits, shape ``logits.shape``.
    """

    value: ArrayT
    grad: ArrayT


for _field, _doc in {
    "value": "Monte Carlo estimate of E[f], shape ``B``.",
    "grad": "Gradient estimate with respect to the logits, shape ``logits.shape``.",
}.items():
    getattr(EstimatorResult, _field).__doc__ = _doc


class EMABaseline(NamedTuple):
    """State of an exponential-moving-average baseline, carried by the caller.

    Pass it as ``baseline=`` (its ``value`` is used as a constant baseline, so the
    estimator stays unbiased) and update it after each step with :func:`update_ema`.
    A NamedTuple, hence a JAX pytree: it passes through ``jax.jit`` and ``lax.scan``.

    Attributes
    ----------
    value : array
        The current baseline, broadcastable to the objective's shape ``B``.
    decay : float
        Weight of the old value in :func:`update_ema`, in ``[0, 1)``.
    """

    value: Array
    decay: Any = 0.9


EMABaseline.value.__doc__ = "The current baseline, broadcastable to the objective's shape ``B``."
EMABaseline.decay.__doc__ = "Weight of the old value in :func:`update_ema`, in ``[0, 1)``."


def ema_baseline(init: Array, /, *, decay: float = 0.9) -> EMABaseline:
    """A fresh :class:`EMABaseline` starting at ``init``.

    Examples
    --------
    >>> import numpy as np
    >>> from relaxarray import estimators as est
    >>> state = est.ema_baseline(np.zeros(()), decay=0.5)
    >>> float(est.update_ema(state, np.asarray(2.0)).value)
    1.0
    """
    if isinstance(decay, bool) or not isinstance(decay, (int, float)) or not 0 <= decay < 1:
        raise ValueError(f"decay must be a number in [0, 1), got {decay!r}")
    as_float_array(init, "init")
    return EMABaseline(init, decay)


def update_ema(state: EMABaseline, value: Array, /) -> EMABaseline:
    r"""New EMA state :math:`c \leftarrow \delta c + (1 - \delta)\,\mathrm{sg}(v)`.

    ``value`` is typically the estimate returned by the estimator (the mean of ``f`` over
    the samples); its gradient is stopped.
    """
    xp, adapter = namespace_and_adapter(value)
    as_float_array(value, "value", xp)
    v = adapter.stop_gradient(value)
    return EMABaseline(state.decay * state.value + (1 - state.decay) * v, state.decay)


P = ParamSpec("P")
R = TypeVar("R")


def fill_doc(**parts: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorator replacing ``@NAME@`` markers in a docstring by shared text.

    It returns the function itself, so type checkers keep its signature.
    """

    def deco(fn: Callable[P, R]) -> Callable[P, R]:
        fn.__doc__ = fill_markers(fn.__doc__ or "", **parts)
        return fn

    return deco


def fill_markers(doc: str, **parts: str) -> str:
    """``doc`` with each line ``@NAME@`` (its indentation included) replaced by ``parts[NAME]``."""
    for key, text in parts.items():
        block = text.strip("\n").replace("\\", "\\\\")  # a literal replacement
        doc = re.sub(rf"^[ \t]*@{key}@", block, doc, flags=re.M)
    return doc


# -- sampling from uniform noise -------------------------------------------------------------


def sigmoid(xp: Namespace, x: Array) -> Array:
    """The logistic function with full relative precision in both tails."""
    return sigmoid_precise(xp, x)


def bernoulli_from_uniform(u: ArrayT, logits: ArrayT, /) -> ArrayT:
    r"""Bernoulli sample :math:`b = \mathbb{1}[u < \sigma(\theta)]` from uniform noise.

    Computed by the library's one threshold kernel (exact in both tails). The result
    is 0/1 in the logits' dtype, of the broadcast shape of ``u`` and ``logits``.

    Examples
    --------
    >>> import numpy as np
    >>> from relaxarray.estimators._common import bernoulli_from_uniform
    >>> bernoulli_from_uniform(np.array([0.2, 0.9]), np.array([0.0, 0.0]))
    array([1., 0.])
    """
    xp = namespace_and_adapter(u, logits)[0]
    return xp.astype(_bernoulli_threshold(xp, u, logits), logits.dtype)


def categorical_from_uniform(u: ArrayT, logits: ArrayT, /, *, axis: int = -1) -> ArrayT:
    r"""One-hot categorical sample by the Gumbel-max trick from uniform noise.

    :math:`k = \arg\max_j\, \theta_j - \log(-\log u_j)`, returned one-hot along ``axis``
    in the logits' dtype (shape: the broadcast shape of ``u`` and ``logits``).

    Examples
    --------
    >>> import numpy as np
    >>> from relaxarray.estimators._common import categorical_from_uniform
    >>> categorical_from_uniform(np.array([0.5, 0.99, 0.5]), np.zeros(3))
    array([0., 1., 0.])
    """
    xp = namespace_and_adapter(u, logits)[0]
    z = logits + gumbel_from_uniform(xp, u)
    return _one_hot_of_argmax(xp, z, check_axis(axis, z.ndim), logits.dtype)


# -- argument handling ------------------------------------------------------------------------


class Prepared(NamedTuple):
    xp: Namespace
    adapter: Adapter
    logits: Array
    categorical: bool
    axis: int  # category axis of the *sample* array (shape (n, *logits.shape)); -1 if none
    noise: Array  # uniform, shape (num_samples, *logits.shape)


def prepare(
    logits: Array,
    distribution: str,
    num_samples: int,
    axis: int,
    rng: object,
    noise: Array | None,
    *,
    min_samples: int = 1,
) -> Prepared:
    """Validate the common arguments and draw (or check) the uniform noise."""
    xp, adapter = namespace_and_adapter(logits)
    as_float_array(logits, "logits", xp)
    if distribution not in DISTRIBUTIONS:
        raise ValueError(f"distribution must be 'bernoulli' or 'categorical', got {distribution!r}")
    categorical = distribution == "categorical"
    ax = -1
    if categorical:
        ax = check_category_axis(logits, axis, "logits") + 1
    if noise is None:
        if isinstance(num_samples, bool) or not isinstance(num_samples, int):
            raise TypeError(f"num_samples must be an int, got {type(num_samples).__name__}")
        if num_samples < min_samples:
            raise ValueError(f"num_samples must be >= {min_samples}, got {num_samples}")
    elif noise.ndim != logits.ndim + 1 or tuple(noise.shape[1:]) != tuple(logits.shape):
        raise ValueError(
            "noise must have shape (num_samples, *logits.shape) = "
            f"(n, {', '.join(map(str, logits.shape))}), got {tuple(noise.shape)}"
        )
    u = get_noise(
        xp,
        adapter,
        rng=rng,
        noise=noise,
        sample_shape=(num_samples,) if noise is None else (),
        batch_shape=tuple(logits.shape),
        like=logits,
    )
    if noise is not None:
        if noise.shape[0] < min_samples:
            raise ValueError(f"noise must hold at least {min_samples} samples on axis 0")
        u = adapter.stop_gradient(u)
    return Prepared(xp, adapter, logits, categorical, ax, u)


def sample(p: Prepared, u: Array) -> Array:
    """Samples of shape ``(n, *logits.shape)`` from noise ``u`` (no gradient)."""
    logits = p.adapter.stop_gradient(p.logits)
    if p.categorical:
        return categorical_from_uniform(u, logits, axis=p.axis)
    return bernoulli_from_uniform(u, logits)


def elementwise_log_prob(p: Prepared, b: Array) -> Array:
    """Log-probability of each variable: shape ``(n, *batch)`` (category axis summed)."""
    xp = p.xp
    if p.categorical:
        z = p.logits
        m = p.adapter.stop_gradient(xp.max(z, axis=p.axis - 1, keepdims=True))
        lse = xp.log(xp.sum(xp.exp(z - m), axis=p.axis - 1, keepdims=True)) + m
        return xp.sum(b * (z - lse), axis=p.axis)
    return b * log_sigmoid(xp, p.logits) + (1 - b) * log_sigmoid(xp, -p.logits)


def score(p: Prepared, b: Array) -> Array:
    """Closed-form score d log p(b) / d logits, shape ``(n, *logits.shape)``."""
    xp = p.xp
    if p.categorical:
        z = p.logits
        m = xp.max(z, axis=p.axis - 1, keepdims=True)
        e = xp.exp(z - m)
        return b - e / xp.sum(e, axis=p.axis - 1, keepdims=True)
    return b - sigmoid(xp, p.logits)


def evaluate(f: Objective, b: Array, p: Prepared, name: str = "f") -> Array:
    """Call ``f`` on samples and check the shape and NaN-freeness of its values."""
    values = f(b)
    if not hasattr(values, "shape"):
        raise TypeError(f"{name} must return an array, got {type(values).__name__}")
    batch = tuple(b.shape[1:])
    if p.categorical:
        batch = batch[: p.axis - 1] + batch[p.axis :]
    vshape = tuple(values.shape)
    if len(vshape) == 0 or vshape[0] != b.shape[0] or vshape[1:] != batch[: len(vshape) - 1]:
        raise ValueError(
            f"{name} must return values of shape (num_samples, *B) with B a prefix of the "
            f"batch shape {batch}; it got samples of shape {tuple(b.shape)} and returned "
            f"{vshape}"
        )
    if values_readable(p.adapter, values):
        v = p.adapter.stop_gradient(values)
        if not bool(p.xp.all(p.xp.isfinite(v))):
            bad = "NaN" if bool(p.xp.any(p.xp.isnan(v))) else "infinite"
            raise ValueError(
                f"{name} returned {bad} values for some samples; the gradient estimate "
                "would be NaN. Check the objective on the sampled values"
            )
    return values


def sum_to(xp: Namespace, x: Array, ndim: int) -> Array:
    """Sum ``x`` over its trailing axes so that it keeps its first ``ndim`` axes."""
    if x.ndim > ndim:
        return xp.sum(x, axis=tuple(range(ndim, x.ndim)))
    return x


def expand_to(xp: Namespace, x: Array, ndim: int) -> Array:
    """Append singleton axes to ``x`` up to ``ndim`` dimensions."""
    if x.ndim < ndim:
        return xp.reshape(x, tuple(x.shape) + (1,) * (ndim - x.ndim))
    return x


def insert_category_axis(p: Prepared, x: Array) -> Array:
    """For categorical logits, give per-variable coefficients a singleton category axis."""
    if p.categorical:
        return p.xp.expand_dims(x, axis=p.axis)
    return x


def magic_box(adapter: Adapter, xp: Namespace, logp: Array) -> Array:
    r"""DiCE's magic box :math:`\exp(\ell - \mathrm{sg}(\ell))`: value 1, gradient
    :math:`\nabla \ell` (Foerster et al. 2018)."""
    return xp.exp(logp - adapter.stop_gradient(logp))
