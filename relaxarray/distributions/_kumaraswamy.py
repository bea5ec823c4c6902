r"""The Kumaraswamy distribution and the HardKuma gate (Bastings, Aziz & Titov 2019).

The Kumaraswamy distribution on :math:`(0, 1)` has a closed-form CDF and inverse CDF, so
it is reparameterisable with uniform noise. HardKuma stretches it to :math:`(l, r)`,
:math:`l < 0 < 1 < r`, and rectifies it to :math:`[0, 1]`, which puts point masses at 0
and 1 (like :class:`~relaxarray.distributions.HardConcrete`).
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

from relaxarray._gates import _check_stretch, _resolve_noise
from relaxarray._lib._typing import Array, ArrayT, Namespace
from relaxarray._namespace import (
    array_namespace,
    as_float_array,
    check_positive,
    device,
    namespace_and_adapter,
)
from relaxarray.distributions import constraints
from relaxarray.distributions._base import Distribution
from relaxarray.distributions._gates import RectifiedGate, _mixed
from relaxarray.distributions._params import resolve_validate
from relaxarray.distributions.constraints import Constraint

__all__ = ["HardKumaraswamy", "Kumaraswamy"]

_EULER = 0.5772156649015329


def _log1mexp(xp: Namespace, x: Array) -> Array:
    r""":math:`\log(1 - e^{x})` for :math:`x \le 0`, accurate on both sides of
    :math:`-\log 2` (Mächler 2012), with both branches guarded ("double where").
    ``x`` is capped at ``-tiny`` so that an underflowed 0 gives ``log(tiny)``, not
    ``-inf`` (finite values and gradients)."""
    x = xp.clip(x, max=-float(xp.finfo(x.dtype).smallest_normal))
    near = x > -math.log(2.0)
    x_near = xp.where(near, x, -1.0)
    x_far = xp.where(near, -1.0, x)
    return xp.where(near, xp.log(-xp.expm1(x_near)), xp.log1p(-xp.exp(x_far)))


def _param(x: Any, name: str) -> Array:
    xp = array_namespace(x)
    as_float_array(x, name, xp)
    return x


class Kumaraswamy(Distribution[ArrayT]):
    r"""Kumaraswamy distribution on :math:`(0, 1)` with shapes :math:`a, b > 0`.

    .. math::

        p(x) = a b\, x^{a - 1} (1 - x^a)^{b - 1},\qquad
        F(x) = 1 - (1 - x^a)^b,\qquad
        F^{-1}(u) = \left(1 - (1 - u)^{1/b}\right)^{1/a}.

    ``rsample`` is the inverse CDF of uniform noise, computed in log space:
    :math:`\log x = \tfrac1a \log\bigl(1 - e^{\log(1 - u)/b}\bigr)`. ``log_prob``
    validates that values lie in :math:`[0, 1]` (``validate_args=False``: :math:`-\infty`
    outside); a value of exactly 0 or 1 gets the density of the nearest interior float.

    Parameters
    ----------
    a, b : array
        Shape parameters, > 0, broadcasting together.
    validate_args : bool, optional
        Validate the values given to :meth:`log_prob` (skipped under ``jax.jit``);
        default :func:`~relaxarray.distributions.set_default_validate_args`.

    Examples
    --------
    >>> import numpy as np
    >>> from relaxarray.distributions import Kumaraswamy
    >>> d = Kumaraswamy(np.array(2.0), np.array(3.0))
    >>> round(float(d.cdf(np.array(0.5))), 6)  # 1 - (1 - 0.25)^3
    0.578125
    """

    has_rsample: ClassVar[bool] = True
    _fields: ClassVar[dict[str, int]] = {"a": 0, "b": 0}

    arg_constraints: ClassVar[dict[str, Constraint]] = {
        "a": constraints.positive,
        "b": constraints.positive,
    }

    def __init__(self, a: ArrayT, b: ArrayT, *, validate_args: bool | None = None) -> None:
        xp, adapter = namespace_and_adapter(a, b)
        self.a = _param(a, "a")
        self.b = _param(b, "b")
        try:
            xp.broadcast_shapes(tuple(a.shape), tuple(b.shape))
        except (ValueError, RuntimeError) as exc:
            raise ValueError(
                f"a {tuple(a.shape)} and b {tuple(b.shape)} do not broadcast together"
            ) from exc
        check_positive(self.a, "a", adapter)
        check_positive(self.b, "b", adapter)
        self._validate_args = resolve_validate(validate_args)

    @property
    def support(self) -> Constraint:
        return constraints.unit_interval

    def icdf(self, u: Array) -> ArrayT:
        """Inverse CDF (the reparameterised sampler), in log space."""
        xp = self.xp
        log_x = _log1mexp(xp, xp.log1p(-u) / self.b) / self.a
        return xp.exp(log_x)

    def cdf(self, x: Array) -> ArrayT:
        r""":math:`F(x) = 1 - (1 - x^a)^b` on :math:`[0, 1]`."""
        xp = self.xp
        xc = xp.clip(x, 0.0, 1.0)
        inside = (xc > 0.0) & (xc < 1.0)
        safe = xp.where(inside, xc, 0.5)  # double where: no log(0) in the unused branch
        # log(1 - x^a) = log1mexp(a log x): exact where x^a rounds to 1
        out = -xp.expm1(self.b * _log1mexp(xp, self.a * xp.log(safe)))
        return xp.where(inside, out, xp.astype(xc >= 1.0, out.dtype))

    def rsample(
        self,
        sample_shape: int | tuple[int, ...] = (),
        *,
        rng: object = None,
        noise: Array | None = None,
    ) -> ArrayT:
        """Reparameterised samples; ``noise`` (uniform in (0, 1)) may replace ``rng``."""
        xp, adapter = namespace_and_adapter(self.a, self.b, noise)
        shape = self._extended_shape(sample_shape)
        u = _resolve_noise(xp, adapter, rng, noise, shape, self.a, "uniform")
        return self.icdf(u)

    def log_prob(self, value: Array) -> ArrayT:
        r""":math:`\log a + \log b + (a - 1)\log x + (b - 1)\log(1 - x^a)`.

        A value of exactly 0 or 1 (a sample that rounded to the boundary, as for small
        ``a``, ``b``) is read as the nearest representable interior point, so it gets a
        finite log density; with ``validate_args=False`` values outside [0, 1] get
        :math:`-\infty`."""
        self._validate_sample(value)
        xp = self.xp
        inside = (value >= 0.0) & (value <= 1.0)
        fi = xp.finfo(value.dtype)
        clipped = xp.clip(value, float(fi.smallest_normal), 1.0 - float(fi.eps) / 2)
        safe = xp.where(inside, clipped, xp.asarray(0.5, dtype=value.dtype, device=device(value)))
        log_x = xp.log(safe)
        out = (
            xp.log(self.a)
            + xp.log(self.b)
            + (self.a - 1.0) * log_x
            + (self.b - 1.0) * _log1mexp(xp, self.a * log_x)
        )
        return xp.where(inside, out, -math.inf)

    @property
    def mean(self) -> ArrayT:
        r""":math:`b\,\Gamma(1 + 1/a)\Gamma(b) / \Gamma(1 + 1/a + b)`."""
        return self.moment(1)

    def moment(self, n: int) -> ArrayT:
        r"""Raw moment :math:`E[x^n] = b\,B(1 + n/a, b)`."""
        xp, lg = self.xp, self.adapter.lgamma
        c = 1.0 + n / self.a
        return self.b * xp.exp(lg(c) + lg(self.b) - lg(c + self.b))

    @property
    def variance(self) -> ArrayT:
        m1 = self.moment(1)
        return self.moment(2) - m1 * m1

    def entropy(self) -> ArrayT:
        r""":math:`(1 - 1/b) + (1 - 1/a) H_b - \log(ab)`, :math:`H_b = \psi(b + 1) + \gamma`."""
        xp = self.xp
        h_b = self.adapter.digamma(self.b + 1.0) + _EULER
        return (1.0 - 1.0 / self.b) + (1.0 - 1.0 / self.a) * h_b - xp.log(self.a * self.b)


class HardKumaraswamy(RectifiedGate[ArrayT]):
    r"""HardKuma gate (Bastings et al. 2019): a stretched and rectified Kumaraswamy.

    :math:`k \sim \mathrm{Kuma}(a, b)`, :math:`t = l + (r - l) k`,
    :math:`h = \min(1, \max(0, t))`. With :math:`F` the Kumaraswamy CDF,

    .. math::

        P(h = 0) = F\!\left(\frac{-l}{r - l}\right),\qquad
        P(h = 1) = 1 - F\!\left(\frac{1 - l}{r - l}\right),\qquad
        p(h) = \frac{1}{r - l}\, f_K\!\left(\frac{h - l}{r - l}\right),\ 0 < h < 1,

    and the expected :math:`L_0` penalty is :math:`P(h \ne 0) = 1 - P(h = 0)`.
    ``log_prob`` returns the log point mass for a value that is exactly 0 or 1 and the
    log continuous density inside :math:`(0, 1)` (as :class:`HardConcrete`).

    Parameters
    ----------
    a, b : array
        Kumaraswamy shapes, > 0.
    stretch : (float, float), optional
        :math:`(l, r)` with :math:`l < 0` and :math:`r > 1`; default ``(-0.1, 1.1)``.

    Examples
    --------
    >>> import numpy as np
    >>> from relaxarray.distributions import HardKumaraswamy
    >>> d = HardKumaraswamy(np.array(1.0), np.array(1.0))  # uniform k
    >>> round(float(d.prob_zero), 6), round(float(d.prob_one), 6)
    (0.083333, 0.083333)
    """

    has_rsample: ClassVar[bool] = True
    _fields: ClassVar[dict[str, int]] = {"a": 0, "b": 0}

    def __init__(self, a: ArrayT, b: ArrayT, stretch: tuple[float, float] = (-0.1, 1.1)) -> None:
        self.a = a
        self.b = b
        self.stretch = _check_stretch(stretch)
        self._kuma()  # validates a and b

    def _kuma(self) -> Kumaraswamy[ArrayT]:
        return Kumaraswamy(self.a, self.b, validate_args=False)

    def rsample(
        self,
        sample_shape: int | tuple[int, ...] = (),
        *,
        rng: object = None,
        noise: Array | None = None,
    ) -> ArrayT:
        """Reparameterised gates; ``noise`` (uniform in (0, 1)) may replace ``rng``."""
        lo, hi = self.stretch
        k = self._kuma().rsample(sample_shape, rng=rng, noise=noise)
        return self.xp.clip(lo + (hi - lo) * k, 0.0, 1.0)

    def _log_masses(self) -> tuple[Array, Array]:
        xp = self.xp
        lo, hi = self.stretch
        x0 = -lo / (hi - lo)
        x1 = (1.0 - lo) / (hi - lo)
        # log F(x0) = log(1 - (1 - x0^a)^b);  log(1 - F(x1)) = b log(1 - x1^a)
        log_p0 = _log1mexp(xp, self.b * _log1mexp(xp, self.a * math.log(x0)))
        log_p1 = self.b * _log1mexp(xp, self.a * math.log(x1))
        return log_p0, log_p1

    @property
    def expected_l0(self) -> ArrayT:
        r""":math:`P(h \neq 0) = (1 - x_0^a)^b`, :math:`x_0 = -l / (r - l)`."""
        xp = self.xp
        lo, hi = self.stretch
        return xp.exp(self.b * _log1mexp(xp, self.a * math.log(-lo / (hi - lo))))

    def log_prob(self, value: Array) -> ArrayT:
        """Log point mass at exactly 0 or 1, log continuous density inside (0, 1)."""
        xp = self.xp
        lo, hi = self.stretch
        inside = (value > 0.0) & (value < 1.0)
        safe = xp.where(inside, value, xp.asarray(0.5, dtype=value.dtype, device=device(value)))
        log_c = self._kuma().log_prob((safe - lo) / (hi - lo)) - math.log(hi - lo)
        log_p0, log_p1 = self._log_masses()
        return _mixed(xp, value, log_p0, log_p1, log_c)
