r"""Implicit maximum-likelihood estimation (Niepert, Minervini and Franceschi 2021).

I-MLE differentiates through a black-box MAP solver :math:`y^*(\theta)` by
perturb-and-MAP: the forward pass returns hard solutions :math:`y_s = y^*(\theta +
\epsilon_s)`; the backward pass, given the upstream gradient :math:`g_s`, builds the
target :math:`\theta'_s = \theta - \lambda g_s`, re-runs the solver with the *same* noise
and returns

.. math:: \nabla_\theta \approx \frac{1}{\lambda}\sum_s \bigl(y^*(\theta + \epsilon_s)
   - y^*(\theta'_s + \epsilon_s)\bigr).

Noise: Gumbel, or Sum-of-Gamma for k-subset problems,
:math:`\epsilon = \frac{1}{k}\bigl(\sum_{i=1}^{m}\Gamma(\tfrac1k, \text{rate } \tfrac ik)
- \log m\bigr)`, whose sum over ``k`` independent copies is Gumbel as :math:`m\to\infty`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from relaxarray._lib._typing import Array, Namespace
from relaxarray._namespace import (
    as_float_array,
    check_noise,
    check_positive,
    namespace_and_adapter,
)
from relaxarray._relaxations import one_hot_argmax
from relaxarray.backends._base import Adapter
from relaxarray.random import draw_normal, draw_uniform
from relaxarray.random import gumbel_from_uniform as gumbel

__all__ = ["imle", "sum_of_gamma_noise"]

_NOISES = ("gumbel", "sum_of_gamma", "none")
_MT_ROUNDS = 12


def _gamma_unit(
    xp: Namespace, adapter: Adapter, rng: object, shape: tuple[int, ...], a: float, like: Array
) -> Array:
    """Gamma(a, 1) noise for a > 0, pure ``xp`` (Marsaglia-Tsang with a fixed number of
    proposal rounds; ``a < 1`` via the boost :math:`\\Gamma(a) = \\Gamma(a+1) U^{1/a}`)."""
    boost = a < 1
    d = (a + 1 if boost else a) - 1.0 / 3.0
    c = 1.0 / (9.0 * d) ** 0.5
    rngs = adapter.split(rng, 3) if rng is not None else [None, None, None]
    x = draw_normal(adapter, rngs[0], (_MT_ROUNDS, *shape), like)
    u = draw_uniform(adapter, rngs[1], (_MT_ROUNDS, *shape), like)
    v = 1 + c * x
    ok = v > 0
    v3 = xp.where(ok, v, xp.ones_like(v)) ** 3
    accept = ok & (xp.log(u) < 0.5 * x * x + d - d * v3 + d * xp.log(v3))
    cand = d * v3
    out = xp.full_like(cand[0, ...], d)
    for r in range(_MT_ROUNDS - 1, -1, -1):  # first accepted round wins
        out = xp.where(accept[r, ...], cand[r, ...], out)
    if boost:
        ub = draw_uniform(adapter, rngs[2], shape, like)
        out = out * xp.exp(xp.log(ub) / a)
    return out


def sum_of_gamma_noise(
    rng: object, shape: tuple[int, ...], /, *, k: int, like: Array, num_terms: int = 10
) -> Array:
    r"""Sum-of-Gamma noise :math:`\frac1k(\sum_{i=1}^{m}\Gamma(1/k, \mathrm{rate}\ i/k) -
    \log m)` of ``shape`` in ``like``'s dtype and device (``m = num_terms``).

    Mean :math:`(H_m - \log m)/k`, variance :math:`\sum_{i\le m} i^{-2} / k`.

    Examples
    --------
    >>> import numpy as np
    >>> from relaxarray.estimators import sum_of_gamma_noise
    >>> e = sum_of_gamma_noise(0, (20000,), k=3, like=np.zeros(1))
    >>> bool(abs(e.mean() - 0.2088) < 0.02)
    True
    """
    xp, adapter = namespace_and_adapter(like)
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a positive int, got {k!r}")
    if isinstance(num_terms, bool) or not isinstance(num_terms, int) or num_terms < 1:
        raise ValueError(f"num_terms must be a positive int, got {num_terms!r}")
    import math

    rngs = adapter.split(rng, num_terms) if rng is not None else [None] * num_terms
    total = _gamma_unit(xp, adapter, rngs[0], shape, 1.0 / k, like) * k
    for i in range(2, num_terms + 1):
        total = total + _gamma_unit(xp, adapter, rngs[i - 1], shape, 1.0 / k, like) * (k / i)
    return (total - math.log(num_terms)) / k


def _argmax_solver(x: Array) -> Array:
    return one_hot_argmax(x, axis=-1)


def imle(
    solver: Callable[[Array], Array] | None = None,
    /,
    *,
    num_samples: int = 1,
    lam: float = 10.0,
    noise: str = "gumbel",
    temperature: float = 1.0,
    k: int | None = None,
    num_terms: int = 10,
    rng: object = None,
) -> Callable[..., Array]:
    r"""Wrap a MAP solver so that its backward pass is the I-MLE estimator.

    Returns ``fn(theta, /, *, rng=None, noise=None)`` giving the hard solutions
    :math:`y^*(\theta + \epsilon_s)`, shape ``(num_samples, *theta.shape)``. Its custom
    VJP (``adapter.custom_vjp``; forward only on NumPy) is

    .. math:: \bar\theta = \frac{1}{\lambda}\sum_s \bigl(y^*(\theta + \epsilon_s)
       - y^*(\theta - \lambda g_s + \epsilon_s)\bigr)

    for the upstream gradient :math:`g_s` of sample ``s``: the solver is re-run on the
    perturbed target :math:`\theta - \lambda g` with the same noise.

    Parameters
    ----------
    solver : callable, optional
        Maps ``(S, *theta.shape)`` to solutions of the same shape (batched over leading
        axes). Default: one-hot arg max over the last axis.
    num_samples : int
        Number of perturbations ``S``.
    lam : float
        Target step :math:`\lambda > 0` (Niepert et al. use 10-100).
    noise : {"gumbel", "sum_of_gamma", "none"}
        Perturbation :math:`\epsilon`, scaled by ``temperature``. ``"sum_of_gamma"`` needs
        ``k`` (the subset size) and uses ``num_terms`` Gamma terms.
    rng
        Default ``rng``; ``fn`` may override it, or take the perturbation itself as
        ``noise=`` (shape ``(S, *theta.shape)``, used as is).

    Examples
    --------
    >>> import numpy as np
    >>> from relaxarray import estimators as est
    >>> fn = est.imle(num_samples=2, rng=0)
    >>> fn(np.array([0.0, 5.0, 0.0])).sum(axis=-1)
    array([1., 1.])
    """
    if noise not in _NOISES:
        raise ValueError(f"noise must be one of {_NOISES}, got {noise!r}")
    if noise == "sum_of_gamma" and k is None:
        raise ValueError("noise='sum_of_gamma' needs k, the subset size")
    if isinstance(num_samples, bool) or not isinstance(num_samples, int) or num_samples < 1:
        raise ValueError(f"num_samples must be a positive int, got {num_samples!r}")
    for name, val in (("lam", lam), ("temperature", temperature)):
        if isinstance(val, bool) or not isinstance(val, (int, float)):
            raise TypeError(f"{name} must be a positive number, got {type(val).__name__}")
        check_positive(val, name)
    solve = _argmax_solver if solver is None else solver
    default_rng = rng

    def fn(theta: Array, /, *, rng: object = None, noise: Any = None) -> Array:
        xp, adapter = namespace_and_adapter(theta)
        as_float_array(theta, "theta", xp)
        shape = (num_samples, *theta.shape)
        if k is not None and theta.ndim and k > theta.shape[-1]:
            raise ValueError(f"k={k} exceeds the {theta.shape[-1]} entries on theta's last axis")
        if noise is not None:
            as_float_array(noise, "noise", xp)
            check_noise(noise, "finite", adapter)
            if noise.ndim != theta.ndim + 1 or tuple(noise.shape[1:]) != tuple(theta.shape):
                raise ValueError(
                    f"noise must have shape (S, *theta.shape), got {tuple(noise.shape)}"
                )
            eps = adapter.stop_gradient(noise)
        else:
            r = default_rng if rng is None else rng
            if kind == "gumbel":
                u = draw_uniform(adapter, r, shape, theta)
                eps = temperature * gumbel(xp, u)
            elif kind == "sum_of_gamma":
                assert k is not None
                eps = temperature * sum_of_gamma_noise(
                    r, shape, k=k, like=theta, num_terms=num_terms
                )
            else:
                eps = xp.broadcast_to(xp.zeros_like(theta), shape)

        def fwd(th: Array, e: Array) -> tuple[Array, Any]:
            th0 = adapter.stop_gradient(th)
            ys = solve(th0[None, ...] + e)
            return ys, (th0, e, ys)

        def bwd(res: Any, g: Array) -> tuple[Array, ...]:
            th0, e, ys = res
            y_target = solve(th0[None, ...] - lam * g + e)
            return xp.sum(ys - y_target, axis=0) / lam, xp.zeros_like(e)

        return adapter.custom_vjp(fwd, bwd)(theta, eps)

    kind = noise
    return fn
