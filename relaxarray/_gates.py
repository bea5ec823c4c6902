r"""Stochastic gates: hard concrete (Louizos et al. 2018), Gaussian stochastic gates
(Yamada et al. 2020) and stochastic times smooth (Bengio et al. 2013).

Every sampler takes ``rng=`` (draw the base noise) or ``noise=`` (use this noise), exactly
one of them; the sample is a pure ``xp.*`` function of the noise and the parameters, so
the same noise gives the same gate on every backend.
"""

from __future__ import annotations

import math
from typing import Any

from relaxarray._bernoulli import _bernoulli_threshold
from relaxarray._lib._typing import Array, ArrayT, Namespace
from relaxarray._namespace import as_float_array, check_positive, namespace_and_adapter
from relaxarray._sampling import get_noise, log_sigmoid, sigmoid, sigmoid_precise
from relaxarray.backends._base import Adapter

__all__ = [
    "gaussian_gate",
    "gaussian_gate_l0",
    "hard_concrete",
    "hard_concrete_gate",
    "hard_concrete_l0",
    "stochastic_times_smooth",
]


# -- private helpers shared by the gate and subset modules ------------------------------------
_sigmoid = sigmoid
_log_sigmoid = log_sigmoid
_sigmoid_precise = sigmoid_precise


def _std_normal_cdf(xp: Namespace, adapter: Adapter, x: Array) -> Array:
    r""":math:`\Phi(x) = \tfrac12 \operatorname{erfc}(-x / \sqrt 2)`, accurate in the lower tail."""
    return 0.5 * adapter.erfc(-x / math.sqrt(2.0))


def _resolve_noise(
    xp: Namespace,
    adapter: Adapter,
    rng: object,
    noise: Array | None,
    shape: tuple[int, ...],
    like: Array,
    kind: str,
) -> Array:
    """Base noise of ``shape`` (``uniform``, ``normal`` or ``gumbel``): see :func:`get_noise`."""
    return get_noise(
        xp,
        adapter,
        rng=rng,
        noise=noise,
        sample_shape=(),
        batch_shape=shape,
        like=like,
        kind=kind,
    )


def _check_stretch(stretch: Any) -> tuple[float, float]:
    try:
        gamma, zeta = (float(v) for v in stretch)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"stretch must be a pair of numbers (gamma, zeta), got {stretch!r}"
        ) from exc
    if not (math.isfinite(gamma) and math.isfinite(zeta) and gamma < 0.0 and zeta > 1.0):
        raise ValueError(f"stretch=(gamma, zeta) needs gamma < 0 and zeta > 1, got {stretch!r}")
    return gamma, zeta


def _shape_of(xp: Namespace, *values: Any) -> tuple[int, ...]:
    shapes = [tuple(v.shape) for v in values if hasattr(v, "shape")]
    return tuple(xp.broadcast_shapes(*shapes)) if shapes else ()


def _float_param(x: Any, name: str, xp: Namespace, like: Array) -> Any:
    """A Python number stays a number; an array must be real floating point."""
    if isinstance(x, bool):
        raise TypeError(f"{name} must be a number or an array, got bool")
    if isinstance(x, (int, float)):
        return float(x)
    return as_float_array(x, name, xp)


# -- hard concrete --------------------------------------------------------------------------------
def hard_concrete(
    log_alpha: ArrayT,
    /,
    *,
    temperature: Any = 2.0 / 3.0,
    stretch: tuple[float, float] = (-0.1, 1.1),
    rng: object = None,
    noise: Array | None = None,
) -> ArrayT:
    r"""Hard concrete gate (Louizos, Welling & Kingma 2018), a relaxed Bernoulli with
    exact zeros and ones.

    .. math::

        s = \sigma\!\left(\frac{\log u - \log(1 - u) + \log\alpha}{T}\right),\quad
        \bar s = s\,(\zeta - \gamma) + \gamma,\quad
        z = \min(1, \max(0, \bar s)),\qquad u \sim \mathcal U(0, 1).

    The stretch :math:`(\gamma, \zeta)` with :math:`\gamma < 0 < 1 < \zeta` puts point
    masses on :math:`z = 0` and :math:`z = 1` (see :func:`hard_concrete_l0` and
    :class:`relaxarray.distributions.HardConcrete`). Gradients flow to ``log_alpha`` (and
    to ``temperature`` if it is an array) wherever :math:`0 < \bar s < 1`.

    Parameters
    ----------
    log_alpha : array
        Location :math:`\log\alpha`, real floating point.
    temperature : float or array, optional
        :math:`T > 0` (the paper's :math:`\beta`, default 2/3).
    stretch : (float, float), optional
        :math:`(\gamma, \zeta)`, default ``(-0.1, 1.1)``.
    rng : int, native generator or key, optional
        Draw uniform noise of the broadcast shape of ``log_alpha`` and ``temperature``.
    noise : array, optional
        Uniform noise :math:`u \in (0, 1)` to use instead; the result has the broadcast
        shape of ``noise`` and the parameters.

    Returns
    -------
    array
        Gates in :math:`[0, 1]`, in the dtype and on the device of ``log_alpha``.

    Examples
    --------
    >>> import numpy as np
    >>> import relaxarray as rx
    >>> rx.hard_concrete(np.array([-50.0, 0.0, 50.0]), noise=np.array([0.5, 0.5, 0.5]))
    array([0. , 0.5, 1. ])
    """
    xp, adapter = namespace_and_adapter(log_alpha, temperature, noise)
    as_float_array(log_alpha, "log_alpha", xp)
    temperature = _float_param(temperature, "temperature", xp, log_alpha)
    check_positive(temperature, "temperature", adapter)
    gamma, zeta = _check_stretch(stretch)
    shape = _shape_of(xp, log_alpha, temperature)
    u = _resolve_noise(xp, adapter, rng, noise, shape, log_alpha, "uniform")
    logistic = xp.log(u) - xp.log1p(-u)
    s = _sigmoid(xp, adapter, (logistic + log_alpha) / temperature)
    return xp.clip(s * (zeta - gamma) + gamma, 0.0, 1.0)


def hard_concrete_l0(
    log_alpha: ArrayT,
    /,
    *,
    temperature: Any = 2.0 / 3.0,
    stretch: tuple[float, float] = (-0.1, 1.1),
) -> ArrayT:
    r"""Expected :math:`L_0` norm of a hard concrete gate: :math:`P(z \neq 0)`.

    .. math:: P(z \neq 0) = \sigma\!\left(\log\alpha - T \log\frac{-\gamma}{\zeta}\right)

    (Louizos et al. 2018, eq. 12), differentiable in ``log_alpha`` and ``temperature``.
    The complementary masses are :math:`P(z = 0) = 1 - P(z \ne 0)` and
    :math:`P(z = 1) = \sigma(\log\alpha - T\log\frac{1 - \gamma}{\zeta - 1})`.

    Examples
    --------
    >>> import numpy as np
    >>> import relaxarray as rx
    >>> np.round(rx.hard_concrete_l0(np.array([-5.0, 0.0, 5.0])), 4)
    array([0.0323, 0.8318, 0.9986])
    """
    xp, adapter = namespace_and_adapter(log_alpha, temperature)
    as_float_array(log_alpha, "log_alpha", xp)
    temperature = _float_param(temperature, "temperature", xp, log_alpha)
    check_positive(temperature, "temperature", adapter)
    gamma, zeta = _check_stretch(stretch)
    return _sigmoid_precise(xp, log_alpha - temperature * math.log(-gamma / zeta))


def hard_concrete_gate(
    log_alpha: ArrayT, /, *, stretch: tuple[float, float] = (-0.1, 1.1)
) -> ArrayT:
    r"""Deterministic test-time hard concrete gate (Louizos et al. 2018, eq. 13).

    .. math::

        \hat z = \min\left(1, \max\left(0,
        \sigma(\log\alpha)(\zeta - \gamma) + \gamma\right)\right)

    Examples
    --------
    >>> import numpy as np
    >>> import relaxarray as rx
    >>> rx.hard_concrete_gate(np.array([-3.0, 0.0, 3.0]))
    array([0. , 0.5, 1. ])
    """
    xp, adapter = namespace_and_adapter(log_alpha)
    as_float_array(log_alpha, "log_alpha", xp)
    gamma, zeta = _check_stretch(stretch)
    return xp.clip(_sigmoid(xp, adapter, log_alpha) * (zeta - gamma) + gamma, 0.0, 1.0)


# -- Gaussian stochastic gates ---------------------------------------------------------------
def gaussian_gate(
    mu: ArrayT,
    /,
    *,
    sigma: Any = 0.5,
    rng: object = None,
    noise: Array | None = None,
) -> ArrayT:
    r"""Gaussian stochastic gate (Yamada, Lindenbaum, Negahban & Kluger 2020).

    .. math:: z = \min(1, \max(0, \mu + \sigma\varepsilon)),\qquad \varepsilon \sim \mathcal N(0, 1)

    Gradients flow to ``mu`` and, if it is an array, to ``sigma`` wherever
    :math:`0 < \mu + \sigma\varepsilon < 1`. The expected number of open gates is
    :func:`gaussian_gate_l0`.

    Parameters
    ----------
    mu : array
        Gate means, real floating point.
    sigma : float or array, optional
        Noise scale, > 0 (default 0.5, the paper's value).
    rng, noise : optional
        Exactly one: an rng for standard normal noise of the broadcast shape of ``mu`` and
        ``sigma``, or standard normal noise :math:`\varepsilon` itself.

    Examples
    --------
    >>> import numpy as np
    >>> import relaxarray as rx
    >>> rx.gaussian_gate(np.array([0.5, 0.5, 0.5]), noise=np.array([-2.0, 0.0, 2.0]))
    array([0. , 0.5, 1. ])
    """
    xp, adapter = namespace_and_adapter(mu, sigma, noise)
    as_float_array(mu, "mu", xp)
    sigma = _float_param(sigma, "sigma", xp, mu)
    check_positive(sigma, "sigma", adapter)
    eps = _resolve_noise(xp, adapter, rng, noise, _shape_of(xp, mu, sigma), mu, "normal")
    return xp.clip(mu + sigma * eps, 0.0, 1.0)


def gaussian_gate_l0(mu: ArrayT, /, *, sigma: Any = 0.5) -> ArrayT:
    r"""Expected :math:`L_0` norm of a Gaussian stochastic gate.

    .. math::

        P(z > 0) = \Phi(\mu / \sigma)
        = \tfrac12\operatorname{erfc}\!\left(-\frac{\mu}{\sigma\sqrt 2}\right)

    (Yamada et al. 2020, eq. 6), differentiable in ``mu`` and in an array ``sigma``.

    Examples
    --------
    >>> import numpy as np
    >>> import relaxarray as rx
    >>> np.round(rx.gaussian_gate_l0(np.array([-0.5, 0.0, 0.5])), 4)
    array([0.1587, 0.5   , 0.8413])
    """
    xp, adapter = namespace_and_adapter(mu, sigma)
    as_float_array(mu, "mu", xp)
    sigma = _float_param(sigma, "sigma", xp, mu)
    check_positive(sigma, "sigma", adapter)
    return _std_normal_cdf(xp, adapter, mu / sigma)


# -- stochastic times smooth --------------------------------------------------------------------
def stochastic_times_smooth(
    a: ArrayT, /, *, rng: object = None, noise: Array | None = None
) -> ArrayT:
    r"""Stochastic times smooth unit (Bengio, Léonard & Courville 2013, section 4).

    .. math::

        h = b\,\sigma(a),\qquad b = \mathbb 1[u < \sigma(a)] \sim \mathrm{Bernoulli}(\sigma(a))

    The binary factor :math:`b` is treated as a constant, so the gradient flows through
    the smooth factor only: :math:`\partial h / \partial a = b\,\sigma(a)(1 - \sigma(a))`.

    Parameters
    ----------
    a : array
        Pre-activations (logits of the Bernoulli), real floating point.
    rng, noise : optional
        Exactly one: an rng for uniform noise of ``a``'s shape, or the uniform noise
        :math:`u \in (0, 1)` itself.

    Examples
    --------
    >>> import numpy as np
    >>> import relaxarray as rx
    >>> rx.stochastic_times_smooth(np.array([0.0, 0.0]), noise=np.array([0.25, 0.75]))
    array([0.5, 0. ])
    """
    xp, adapter = namespace_and_adapter(a, noise)
    as_float_array(a, "a", xp)
    u = _resolve_noise(xp, adapter, rng, noise, tuple(a.shape), a, "uniform")
    p = _sigmoid_precise(xp, a)
    # b = 1[u < sigmoid(a)] by the library's one threshold kernel
    b = xp.astype(_bernoulli_threshold(xp, u, adapter.stop_gradient(a)), p.dtype)
    return adapter.stop_gradient(b) * p
