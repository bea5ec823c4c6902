"""Private helpers of the straight-through, relaxation and perturbation estimators.

Noise handling (``rng`` or ``noise``), Gumbel-max sampling and the conditional Gumbel
construction :math:`z \\sim p(z \\mid \\arg\\max z = D)` shared by Gumbel-Rao and the
categorical REBAR/RELAX.
"""

from __future__ import annotations

import warnings
from typing import Any

from relaxarray._lib._typing import Array, Namespace
from relaxarray._namespace import check_category_axis, check_positive
from relaxarray._relaxations import _logsumexp, _one_hot_of_argmax
from relaxarray._sampling import get_noise
from relaxarray.backends._base import Adapter, shape_tuple


def sample_shape(shape: int | tuple[int, ...], num_samples: int | None, fn: str) -> tuple[int, ...]:
    """The leading sample axes of ``fn``'s draws from ``sample_shape=`` or, deprecated,
    ``num_samples=`` (an int ``S`` is ``sample_shape=(S,)``)."""
    if num_samples is None:
        return shape_tuple(shape, "sample_shape")
    warnings.warn(
        f"{fn}(num_samples=...) is deprecated and will be removed in the next release: "
        f"use sample_shape={num_samples!r}. relaxarray spells the shape of the draws a "
        "function returns sample_shape (as torch.distributions and NumPyro do) and "
        "keeps num_samples for the evaluations of f an estimator averages",
        DeprecationWarning,
        stacklevel=3,
    )
    if shape != ():
        raise TypeError(f"{fn}: pass sample_shape= only (num_samples= is its old name)")
    return count_shape(num_samples)


def count_shape(num_samples: int | None) -> tuple[int, ...]:
    """``(num_samples,)`` for an int count >= 1, ``()`` for None."""
    if num_samples is None:
        return ()
    if isinstance(num_samples, bool) or not isinstance(num_samples, int):
        raise TypeError(f"num_samples must be an int or None, got {type(num_samples).__name__}")
    if num_samples < 1:
        raise ValueError(f"num_samples must be >= 1, got {num_samples}")
    return (num_samples,)


def uniform_noise(
    xp: Namespace,
    adapter: Adapter,
    like: Array,
    shape: tuple[int, ...],
    rng: object,
    noise: Array | None,
    name: str = "noise",
) -> Array:
    """Uniform ``[tiny, 1)`` noise of ``shape`` from ``rng``, or the caller's ``noise``
    (exactly ``shape``; no gradient flows into it)."""
    u = get_noise(
        xp,
        adapter,
        rng=rng,
        noise=noise,
        sample_shape=(),
        batch_shape=shape,
        like=like,
        name=name,
    )
    if noise is not None and tuple(noise.shape) != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)}, got {tuple(noise.shape)}")
    return adapter.stop_gradient(u)


def check_temperature(temperature: Any, adapter: Adapter, name: str = "temperature") -> None:
    check_positive(temperature, name, adapter)


def one_hot_of_argmax(xp: Namespace, z: Array, axis: int) -> Array:
    """One-hot (first maximum) of ``z`` along ``axis``, in ``z``'s dtype."""
    return _one_hot_of_argmax(xp, z, axis, z.dtype)


def logaddexp(xp: Namespace, a: Array, b: Array) -> Array:
    m = xp.maximum(a, b)
    m = xp.where(xp.isfinite(m), m, xp.zeros_like(m))
    return m + xp.log(xp.exp(a - m) + xp.exp(b - m))


def conditional_gumbel(
    xp: Namespace, adapter: Adapter, logits: Array, d: Array, e: Array, axis: int
) -> Array:
    r"""Perturbed logits :math:`z = \theta + G` drawn from :math:`p(z \mid \arg\max z = D)`.

    With :math:`E_i \sim \mathrm{Exp}(1)` (``e``) and :math:`\log Z = \operatorname{lse}(\theta)`:
    :math:`z_D = \log Z - \log E_D` and, for :math:`i \ne D`,
    :math:`z_i = -\log(E_i e^{-\theta_i} + E_D / Z)` (the top Gumbel is
    Gumbel(:math:`\log Z`) and the others are Gumbels truncated below it). Differentiable in
    ``logits``. ``d`` is one-hot along ``axis``; ``e`` broadcasts against ``logits``.
    """
    log_e = xp.log(e)
    log_z = _logsumexp(xp, adapter, logits, axis, True)
    log_ed = xp.sum(d * log_e, axis=axis, keepdims=True)
    top = log_z - log_ed
    others = -logaddexp(xp, log_e - logits, log_ed - log_z)
    return xp.where(d > 0, top, others)


def normalize_axis(logits: Array, axis: int) -> int:
    return check_category_axis(logits, axis, "logits")
