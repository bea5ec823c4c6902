r"""Gate distributions with point masses at 0 and 1: :class:`HardConcrete` and
:class:`GaussianGate`.

Their law is mixed: a point mass :math:`P(z = 0)`, a point mass :math:`P(z = 1)` and a
continuous density on :math:`(0, 1)`. ``log_prob`` returns the log point mass for a value
that is exactly 0 or exactly 1, and the log of the continuous density elsewhere (a density
with respect to Lebesgue measure plus two atoms); values outside :math:`[0, 1]` get
:math:`-\infty`.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

from relaxarray._gates import (
    _check_stretch,
    _float_param,
    _log_sigmoid,
    _resolve_noise,
    _sigmoid_precise,
    _std_normal_cdf,
    gaussian_gate,
    hard_concrete,
    hard_concrete_gate,
)
from relaxarray._lib._typing import Array, ArrayT, Namespace
from relaxarray._namespace import as_float_array, check_positive, device, namespace_and_adapter
from relaxarray.distributions import constraints
from relaxarray.distributions._base import Distribution
from relaxarray.distributions.constraints import Constraint

__all__ = ["GaussianGate", "HardConcrete"]


def _log_ndtr(xp: Namespace, adapter: Any, x: Array) -> Array:
    r""":math:`\log\Phi(x)`, finite far into the lower tail.

    :math:`\log(\tfrac12\operatorname{erfc}(-x/\sqrt2))` down to a dtype-dependent
    threshold (-20 in float64, -10 in float32, where :math:`\Phi` is still a normal
    float), below it the asymptotic series :math:`-\tfrac{x^2}2 - \log(-x) -
    \tfrac12\log 2\pi + \log(1 - x^{-2} + 3x^{-4} - 15x^{-6} + 105x^{-8})`; both
    branches see guarded inputs ("double where"), so gradients are finite everywhere."""
    bits = xp.finfo(x.dtype).bits
    thr = -20.0 if bits >= 64 else (-10.0 if bits >= 32 else -3.0)
    tail = x < thr
    xt = xp.where(tail, x, thr)
    xc = xp.where(tail, thr, x)
    central = xp.log(0.5 * adapter.erfc(-xc / math.sqrt(2.0)))
    r = 1.0 / (xt * xt)
    series = 1.0 - r * (1.0 - r * (3.0 - r * (15.0 - 105.0 * r)))
    asym = -0.5 * xt * xt - xp.log(-xt) - 0.5 * math.log(2.0 * math.pi) + xp.log(series)
    return xp.where(tail, asym, central)


def _mixed(xp: Namespace, value: Array, log_p0: Array, log_p1: Array, log_c: Array) -> Array:
    """Combine the two log point masses and the continuous log density."""
    neg_inf = xp.asarray(-math.inf, dtype=value.dtype, device=device(value))
    inside = (value > 0.0) & (value < 1.0)
    out = xp.where(inside, log_c, neg_inf)
    out = xp.where(value == 1.0, log_p1, out)
    return xp.where(value == 0.0, log_p0, out)


class RectifiedGate(Distribution[ArrayT]):
    """Base of the stretched-and-rectified gates: point masses at exactly 0 and 1.

    A subclass supplies ``_log_masses() -> (log P(gate = 0), log P(gate = 1))``.
    """

    def _log_masses(self) -> tuple[Array, Array]:
        raise NotImplementedError

    @property
    def support(self) -> Constraint:
        """[0, 1]; ``log_prob`` gives :math:`-\\infty` outside it rather than raising."""
        return constraints.unit_interval

    @property
    def prob_zero(self) -> ArrayT:
        """Probability that the gate is exactly 0."""
        return self.xp.exp(self._log_masses()[0])

    @property
    def prob_one(self) -> ArrayT:
        """Probability that the gate is exactly 1."""
        return self.xp.exp(self._log_masses()[1])


class HardConcrete(RectifiedGate[ArrayT]):
    r"""Hard concrete distribution (Louizos, Welling & Kingma 2018).

    :math:`z = \min(1, \max(0, s(\zeta - \gamma) + \gamma))` with
    :math:`s \sim \mathrm{BinConcrete}(\alpha, T)`. Its masses and density are

    .. math::

        P(z = 0) &= \sigma\!\left(T \log\tfrac{-\gamma}{\zeta} - \log\alpha\right),\qquad
        P(z = 1) = \sigma\!\left(\log\alpha - T \log\tfrac{1 - \gamma}{\zeta - 1}\right),\\
        p(z) &= \frac{T\,\sigma(y)\,\sigma(-y)}{s (1 - s)(\zeta - \gamma)},\quad
        s = \frac{z - \gamma}{\zeta - \gamma},\ y = T \operatorname{logit}(s) - \log\alpha,
        \quad 0 < z < 1,

    computed in log space. ``log_prob(0)`` and ``log_prob(1)`` are the log point masses
    :math:`\log P(z = 0)` and :math:`\log P(z = 1)`; any other value in :math:`(0, 1)`
    gets the log of the continuous density :math:`p(z)` (the density with respect to
    Lebesgue measure plus atoms at 0 and 1); values outside :math:`[0, 1]` get
    :math:`-\infty`. The point masses and the density together integrate to 1.

    Parameters
    ----------
    log_alpha : array
        Location :math:`\log\alpha`.
    temperature : float or array, optional
        :math:`T > 0`, default 2/3.
    stretch : (float, float), optional
        :math:`(\gamma, \zeta)`, :math:`\gamma < 0`, :math:`\zeta > 1`; default (-0.1, 1.1).

    Examples
    --------
    >>> import numpy as np
    >>> from relaxarray.distributions import HardConcrete
    >>> d = HardConcrete(np.array([0.0]))
    >>> np.round(np.exp(d.log_prob(np.array([0.0, 1.0]))), 4)
    array([0.1682, 0.1682])
    """

    has_rsample: ClassVar[bool] = True
    _fields: ClassVar[dict[str, int]] = {"log_alpha": 0, "temperature": 0}

    def __init__(
        self,
        log_alpha: ArrayT,
        temperature: Any = 2.0 / 3.0,
        stretch: tuple[float, float] = (-0.1, 1.1),
    ) -> None:
        xp, adapter = namespace_and_adapter(log_alpha, temperature)
        self.log_alpha = as_float_array(log_alpha, "log_alpha", xp)
        self.temperature = _float_param(temperature, "temperature", xp, log_alpha)
        check_positive(self.temperature, "temperature", adapter)
        self.stretch = _check_stretch(stretch)

    def rsample(
        self,
        sample_shape: int | tuple[int, ...] = (),
        *,
        rng: object = None,
        noise: Array | None = None,
    ) -> ArrayT:
        """Reparameterised gates of shape ``sample_shape + batch_shape``; ``noise``
        (uniform in (0, 1)) may replace ``rng``."""
        xp, adapter = namespace_and_adapter(self.log_alpha, noise)
        shape = self._extended_shape(sample_shape)
        u = _resolve_noise(xp, adapter, rng, noise, shape, self.log_alpha, "uniform")
        return hard_concrete(
            self.log_alpha, temperature=self.temperature, stretch=self.stretch, noise=u
        )

    def _log_masses(self) -> tuple[Array, Array]:
        xp = self.xp
        gamma, zeta = self.stretch
        t = self.temperature
        log_p0 = _log_sigmoid(xp, t * math.log(-gamma / zeta) - self.log_alpha)
        log_p1 = _log_sigmoid(xp, self.log_alpha - t * math.log((1.0 - gamma) / (zeta - 1.0)))
        return log_p0, log_p1

    @property
    def expected_l0(self) -> ArrayT:
        r""":math:`P(z \neq 0)`, the expected :math:`L_0` penalty (see :func:`hard_concrete_l0`)."""
        gamma, zeta = self.stretch
        return _sigmoid_precise(
            self.xp, self.log_alpha - self.temperature * math.log(-gamma / zeta)
        )

    @property
    def mode(self) -> ArrayT:
        """The deterministic test-time gate of :func:`hard_concrete_gate` (not the exact mode)."""
        return hard_concrete_gate(self.log_alpha, stretch=self.stretch)

    def log_prob(self, value: Array) -> ArrayT:
        """Log point mass at exactly 0 or 1, log continuous density inside (0, 1)."""
        xp = self.xp
        gamma, zeta = self.stretch
        t = self.temperature
        inside = (value > 0.0) & (value < 1.0)
        safe = xp.where(inside, value, xp.asarray(0.5, dtype=value.dtype, device=device(value)))
        s = (safe - gamma) / (zeta - gamma)
        log_s, log_1ms = xp.log(s), xp.log1p(-s)
        y = t * (log_s - log_1ms) - self.log_alpha
        log_t = math.log(t) if isinstance(t, float) else xp.log(t)
        log_c = (
            log_t
            + _log_sigmoid(xp, y)
            + _log_sigmoid(xp, -y)
            - log_s
            - log_1ms
            - math.log(zeta - gamma)
        )
        log_p0, log_p1 = self._log_masses()
        return _mixed(xp, value, log_p0, log_p1, log_c)


class GaussianGate(Distribution[ArrayT]):
    r"""Gaussian stochastic gate (Yamada et al. 2020): :math:`z = \min(1, \max(0, x))`,
    :math:`x \sim \mathcal N(\mu, \sigma^2)`.

    .. math::

        P(z = 0) = \Phi(-\mu/\sigma),\quad P(z = 1) = \Phi((\mu - 1)/\sigma),\quad
        p(z) = \frac{1}{\sigma}\varphi\!\left(\frac{z - \mu}{\sigma}\right),\ 0 < z < 1.

    ``log_prob`` returns the log point masses at exactly 0 and 1 and the log of the
    normal density inside :math:`(0, 1)`, as :class:`HardConcrete` does.

    Examples
    --------
    >>> import numpy as np
    >>> from relaxarray.distributions import GaussianGate
    >>> d = GaussianGate(np.array([0.5]), sigma=0.5)
    >>> np.round(d.expected_l0, 4)
    array([0.8413])
    """

    has_rsample: ClassVar[bool] = True
    _fields: ClassVar[dict[str, int]] = {"mu": 0, "sigma": 0}

    def __init__(self, mu: ArrayT, sigma: Any = 0.5) -> None:
        xp, adapter = namespace_and_adapter(mu, sigma)
        self.mu = as_float_array(mu, "mu", xp)
        self.sigma = _float_param(sigma, "sigma", xp, mu)
        check_positive(self.sigma, "sigma", adapter)

    def rsample(
        self,
        sample_shape: int | tuple[int, ...] = (),
        *,
        rng: object = None,
        noise: Array | None = None,
    ) -> ArrayT:
        """Reparameterised gates of shape ``sample_shape + batch_shape``; ``noise``
        (standard normal) may replace ``rng``."""
        xp, adapter = namespace_and_adapter(self.mu, noise)
        shape = self._extended_shape(sample_shape)
        eps = _resolve_noise(xp, adapter, rng, noise, shape, self.mu, "normal")
        return gaussian_gate(self.mu, sigma=self.sigma, noise=eps)

    @property
    def support(self) -> Constraint:
        """[0, 1]; ``log_prob`` gives :math:`-\\infty` outside it rather than raising."""
        return constraints.unit_interval

    @property
    def prob_zero(self) -> ArrayT:
        """:math:`P(z = 0) = \\Phi(-\\mu/\\sigma)`."""
        return _std_normal_cdf(self.xp, self.adapter, -self.mu / self.sigma)

    @property
    def prob_one(self) -> ArrayT:
        """:math:`P(z = 1) = \\Phi((\\mu - 1)/\\sigma)`."""
        return _std_normal_cdf(self.xp, self.adapter, (self.mu - 1.0) / self.sigma)

    @property
    def expected_l0(self) -> ArrayT:
        """:math:`P(z > 0) = \\Phi(\\mu/\\sigma)`."""
        return _std_normal_cdf(self.xp, self.adapter, self.mu / self.sigma)

    @property
    def mode(self) -> ArrayT:
        """The deterministic test-time gate :math:`\\min(1, \\max(0, \\mu))`."""
        return self.xp.clip(self.mu, 0.0, 1.0)

    def log_prob(self, value: Array) -> ArrayT:
        """Log point mass at exactly 0 or 1 (:math:`\\log\\Phi` computed in log space, so
        finite for a narrow ``sigma``), log normal density inside (0, 1)."""
        xp = self.xp
        sigma = self.sigma
        log_sigma = math.log(sigma) if isinstance(sigma, float) else xp.log(sigma)
        zeta = (value - self.mu) / sigma
        log_c = -0.5 * zeta * zeta - log_sigma - 0.5 * math.log(2.0 * math.pi)
        log_p0 = _log_ndtr(xp, self.adapter, -self.mu / sigma)
        log_p1 = _log_ndtr(xp, self.adapter, (self.mu - 1.0) / sigma)
        return _mixed(xp, value, log_p0, log_p1, log_c)
