r"""Perturbed optimizers (Berthet et al. 2020, "Learning with differentiable perturbed
optimizers").

For a solver :math:`y^*(\theta) = \arg\max_{y \in C} \langle y, \theta\rangle` and noise
:math:`Z` with density :math:`\mu(z) \propto e^{-\nu(z)}`:

.. math::
    F_\varepsilon(\theta) = \mathbb{E}[\max_{y\in C}\langle y, \theta + \varepsilon Z\rangle],
    \qquad y_\varepsilon(\theta) = \mathbb{E}[y^*(\theta + \varepsilon Z)]
    = \nabla F_\varepsilon(\theta),

    J_\theta\, y_\varepsilon(\theta) = \frac{1}{\varepsilon}\,
    \mathbb{E}\bigl[y^*(\theta + \varepsilon Z)\, \nabla\nu(Z)^\top\bigr]

with :math:`\nabla\nu(z) = z` for standard normal noise and :math:`\nabla\nu(z) = 1 - e^{-z}`
for standard Gumbel noise. Since :math:`\mathbb{E}[\nabla\nu(Z)] = 0`, subtracting the
unperturbed solution :math:`y^*(\theta)` (the baseline) keeps the Jacobian estimator
unbiased and lowers its variance. The Fenchel-Young loss
:math:`L_\varepsilon(\theta; y) = F_\varepsilon(\theta) - \langle\theta, y\rangle
+ \Omega(y)` has gradient :math:`y_\varepsilon(\theta) - y`.
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
from relaxarray.estimators._st_common import uniform_noise
from relaxarray.random import gumbel_from_uniform as gumbel

__all__ = ["Perturbed", "perturbed"]

_NOISES = ("normal", "gumbel")


def _argmax_solver(x: Array) -> Array:
    return one_hot_argmax(x, axis=-1)


def _sample_mean(xp: Namespace, x: Array) -> Array:
    """Mean over the sample axis 0 by pairwise summation, in ``x``'s dtype.

    A plain float32 sum over many samples of nearly equal values (the perturbed max at
    small ``sigma``) drifts by ``n * eps``; pairing halves keeps the error at
    ``log2(n) * eps`` with ``log2(n)`` elementwise additions. The axis is zero-padded to
    a power of two once (exact; at most twice the memory of ``x``) and halved by
    ``sum(reshape(x, (2, h, ...)), axis=0)``: the transpose of that is a broadcast.
    Halving by slices ``x[:h] + x[h:]`` instead makes XLA's CPU compiler (jax 0.10)
    fuse the transposed pads wrongly and drop half of the gradient under ``jax.jit``
    for some sizes (5000 and 8192 among them).
    """
    n = x.shape[0]
    p = 1 << (n - 1).bit_length()
    if p > n:
        x = xp.concat([x, xp.zeros_like(x[: p - n, ...])], axis=0)
    while x.shape[0] > 1:
        h = x.shape[0] // 2
        x = xp.sum(xp.reshape(x, (2, h, *x.shape[1:])), axis=0)
    return x[0, ...] / n


class Perturbed:
    """A solver smoothed by random perturbations; see :func:`perturbed`."""

    def __init__(
        self,
        solver: Callable[[Array], Array],
        num_samples: int,
        sigma: float,
        noise: str,
        baseline: bool,
        rng: object,
    ) -> None:
        self.solver = solver
        self.num_samples = num_samples
        self.sigma = sigma
        self.noise = noise
        self.baseline = baseline
        self.rng = rng

    def _noise(self, theta: Array, rng: object, noise: Array | None) -> Array:
        xp, adapter = namespace_and_adapter(theta)
        as_float_array(theta, "theta", xp)
        if theta.ndim == 0:
            raise ValueError("theta must have at least one dimension (the solver's last axis)")
        if noise is not None:
            as_float_array(noise, "noise", xp)
            if noise.ndim != theta.ndim + 1 or tuple(noise.shape[1:]) != tuple(theta.shape):
                raise ValueError(
                    f"noise must have shape (num_samples, *theta.shape), got {tuple(noise.shape)}"
                )
            if noise.shape[0] == 0:
                raise ValueError("noise must hold at least one sample, got an empty sample axis")
            check_noise(noise, "normal" if self.noise == "normal" else "gumbel", adapter)
            z = adapter.stop_gradient(noise)
            return xp.astype(z, theta.dtype) if z.dtype != theta.dtype else z
        r = self.rng if rng is None else rng
        shape = (self.num_samples, *theta.shape)
        if self.noise == "normal":
            from relaxarray.random import draw_normal

            return draw_normal(adapter, r, shape, theta)
        return gumbel(xp, uniform_noise(xp, adapter, theta, shape, r, None))

    def _dnu(self, z: Array) -> Array:
        xp = namespace_and_adapter(z)[0]
        return z if self.noise == "normal" else 1 - xp.exp(-z)

    def __call__(self, theta: Array, /, *, rng: object = None, noise: Array | None = None) -> Array:
        r"""Monte Carlo :math:`y_\varepsilon(\theta)`, differentiable (custom VJP).

        ``noise``: standard noise :math:`Z` of shape ``(num_samples, *theta.shape)`` (then
        ``rng`` is ignored); otherwise drawn from ``rng`` or the ``rng`` given to
        :func:`perturbed`.
        """
        xp, adapter = namespace_and_adapter(theta)
        z = self._noise(theta, rng, noise)
        sigma, solver, baseline = self.sigma, self.solver, self.baseline
        dnu = self._dnu(z)

        def fwd(th: Array, zz: Array, dn: Array) -> tuple[Array, Any]:
            th0 = adapter.stop_gradient(th)
            ys = solver(th0[None, ...] + sigma * zz)
            out = _sample_mean(xp, ys)
            centred = ys - solver(th0[None, ...]) if baseline else ys
            return out, (centred, dn)

        def bwd(res: Any, g: Array) -> tuple[Array, ...]:
            centred, dn = res
            w = xp.sum(centred * g, axis=-1, keepdims=True)
            grad = _sample_mean(xp, w * dn) / sigma
            return grad, xp.zeros_like(dn), xp.zeros_like(dn)

        return adapter.custom_vjp(fwd, bwd)(theta, z, dnu)

    def max(self, theta: Array, /, *, rng: object = None, noise: Array | None = None) -> Array:
        r"""Monte Carlo perturbed max :math:`F_\varepsilon(\theta)` (shape ``theta.shape[:-1]``).

        Its gradient is the Monte Carlo :math:`y_\varepsilon(\theta)` with the same noise:
        the value is :math:`\frac1S\sum_s\langle \mathrm{sg}(y_s), \theta+\varepsilon Z_s\rangle`.
        """
        xp, adapter = namespace_and_adapter(theta)
        z = self._noise(theta, rng, noise)
        x = theta[None, ...] + self.sigma * z
        ys = adapter.stop_gradient(self.solver(adapter.stop_gradient(x)))
        return _sample_mean(xp, xp.sum(ys * x, axis=-1))

    def fenchel_young_loss(
        self, theta: Array, y: Array, /, *, rng: object = None, noise: Array | None = None
    ) -> Array:
        r"""Perturbed Fenchel-Young loss :math:`F_\varepsilon(\theta) - \langle\theta, y\rangle`
        (up to the constant :math:`\Omega(y)`), shape ``theta.shape[:-1]``.

        Its gradient with respect to ``theta`` is :math:`y_\varepsilon(\theta) - y`, with
        :math:`y_\varepsilon` the Monte Carlo mean of the same perturbed solutions.
        """
        xp, adapter = namespace_and_adapter(theta, y)
        return self.max(theta, rng=rng, noise=noise) - xp.sum(
            theta * adapter.stop_gradient(y), axis=-1
        )


def perturbed(
    solver: Callable[[Array], Array] | None = None,
    /,
    *,
    num_samples: int = 1000,
    sigma: float = 1.0,
    noise: str = "normal",
    baseline: bool = True,
    rng: object = None,
) -> Perturbed:
    r"""Wrap an arg-max-like solver into the perturbed optimizer of Berthet et al. (2020).

    The result ``p`` is callable: ``p(theta)`` is the Monte Carlo estimate of
    :math:`y_\varepsilon(\theta) = \mathbb{E}[y^*(\theta + \sigma Z)]` whose backward pass
    (``adapter.custom_vjp``) is the Monte Carlo Jacobian estimator

    .. math::
        \partial_\theta y_\varepsilon^\top g \approx \frac{1}{\sigma S}\sum_{s=1}^S
        \langle y^*(\theta + \sigma Z_s) - b, g\rangle\, \nabla\nu(Z_s),

    :math:`\nabla\nu(z) = z` (normal) or :math:`1 - e^{-z}` (Gumbel), with the baseline
    :math:`b = y^*(\theta)` (``baseline=True``) or :math:`b = 0`. ``p.max(theta)`` is the
    perturbed max :math:`F_\varepsilon` and ``p.fenchel_young_loss(theta, y)`` the
    Fenchel-Young loss whose gradient is :math:`y_\varepsilon(\theta) - y`.

    Parameters
    ----------
    solver : callable, optional
        Maps an array of shape ``(S, *theta.shape)`` to solutions of the same shape; it acts
        on the last axis (the other axes are batch axes) and is never differentiated.
        Default: the one-hot arg max over the last axis (then, with Gumbel noise and
        :math:`\sigma = 1`, :math:`y_\varepsilon = \operatorname{softmax}(\theta)`).
    num_samples : int
        Number of perturbations ``S``.
    sigma : float
        Noise scale :math:`\sigma > 0`.
    noise : {"normal", "gumbel"}
        The distribution of :math:`Z`.
    baseline : bool
        Subtract :math:`y^*(\theta)` in the Jacobian estimator (one more solver call).
    rng
        Default ``rng`` for the noise; each call may override it with ``rng=`` or pass the
        standard noise itself as ``noise=`` (shape ``(S, *theta.shape)``). A fixed seed or
        JAX key gives common random numbers across calls.

    Examples
    --------
    >>> import numpy as np
    >>> from relaxarray import estimators as est
    >>> p = est.perturbed(num_samples=20000, sigma=1.0, noise="gumbel", rng=0)
    >>> y = p(np.array([0.0, 1.0, 2.0]))
    >>> np.round(y, 1)
    array([0.1, 0.2, 0.7])
    """
    if noise not in _NOISES:
        raise ValueError(f"noise must be 'normal' or 'gumbel', got {noise!r}")
    if isinstance(num_samples, bool) or not isinstance(num_samples, int) or num_samples < 1:
        raise ValueError(f"num_samples must be a positive int, got {num_samples!r}")
    if isinstance(sigma, bool) or not isinstance(sigma, (int, float)):
        raise TypeError(f"sigma must be a positive number, got {type(sigma).__name__}")
    check_positive(sigma, "sigma")
    return Perturbed(
        _argmax_solver if solver is None else solver,
        num_samples,
        float(sigma),
        noise,
        bool(baseline),
        rng,
    )
