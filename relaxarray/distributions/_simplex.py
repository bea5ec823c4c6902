r"""Distributions on the probability simplex built from Gaussians: the logistic-normal
and the invertible Gaussian reparameterisation (Potapczynski, Loaiza-Ganem & Cunningham
2020).

Both are a Gaussian :math:`w \in \mathbb R^{K-1}` pushed through the invertible map
:math:`x = \operatorname{softmax}([w, 0])` onto the open simplex in :math:`\mathbb R^K`, so
their densities follow from the change of variables

.. math::

    \log p(x) = \log \mathcal N\!\left(w;\, m, \operatorname{diag}(s^2)\right)
    - \sum_{k=1}^{K} \log x_k,\qquad w_k = \log x_k - \log x_K,

and the KL divergence between two of them is the KL divergence between their Gaussians.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

from relaxarray._gates import _float_param, _resolve_noise
from relaxarray._lib._typing import Array, ArrayT
from relaxarray._namespace import as_float_array, check_positive, device, namespace_and_adapter
from relaxarray._relaxations import _softmax
from relaxarray.distributions import constraints
from relaxarray.distributions._base import Distribution, register_kl
from relaxarray.distributions._params import check_not_nan, resolve_validate
from relaxarray.distributions.constraints import Constraint

__all__ = ["Dirichlet", "InvertibleGaussian", "LogisticNormal"]

_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


class LogisticNormal(Distribution[ArrayT]):
    r"""Logistic-normal distribution on the simplex: :math:`x = \operatorname{softmax}([w, 0])`,
    :math:`w \sim \mathcal N(\text{loc}, \operatorname{diag}(\text{scale}^2))`.

    ``loc`` and ``scale`` (a standard deviation, not a variance) have :math:`K - 1` entries
    on their last axis; samples have :math:`K`.

    Examples
    --------
    >>> import numpy as np
    >>> from relaxarray.distributions import LogisticNormal
    >>> d = LogisticNormal(np.array([0.0]), np.array([1.0]))
    >>> round(float(np.exp(d.log_prob(np.array([0.5, 0.5])))), 6)  # N(0; 0, 1) / 0.25
    1.595769
    """

    has_rsample: ClassVar[bool] = True
    _fields: ClassVar[dict[str, int]] = {"loc": 1, "scale": 1}

    def __init__(self, loc: ArrayT, scale: ArrayT, *, validate_args: bool | None = None) -> None:
        self._validate_args = resolve_validate(validate_args)
        xp, adapter = namespace_and_adapter(loc, scale)
        self.loc = as_float_array(loc, "loc", xp)
        self.scale = as_float_array(scale, "scale", xp)
        if loc.ndim == 0:
            raise ValueError("loc must have at least one dimension (K - 1 categories)")
        check_not_nan(self.loc, "loc", self._validate_args)
        check_positive(self.scale, "scale", adapter)
        try:
            xp.broadcast_shapes(tuple(loc.shape), tuple(scale.shape))
        except (ValueError, RuntimeError) as exc:
            raise ValueError(
                f"loc {tuple(loc.shape)} and scale {tuple(scale.shape)} do not broadcast"
            ) from exc

    # the Gaussian in w-coordinates; InvertibleGaussian overrides these two
    def _w_loc(self) -> Array:
        return self.loc

    def _w_scale(self) -> Array:
        return self.scale

    @property
    def event_shape(self) -> tuple[int, ...]:
        return (int(self.loc.shape[-1]) + 1,)

    def _extended_shape(self, sample_shape: int | tuple[int, ...]) -> tuple[int, ...]:
        base = super()._extended_shape(sample_shape)
        return (*base[:-1], base[-1] - 1)  # the Gaussian's shape (K - 1 on the last axis)

    def rsample(
        self,
        sample_shape: int | tuple[int, ...] = (),
        *,
        rng: object = None,
        noise: Array | None = None,
    ) -> ArrayT:
        """Samples on the simplex (last axis K); ``noise`` (standard normal, last axis
        K - 1) may replace ``rng``."""
        xp, adapter = namespace_and_adapter(self.loc, self.scale, noise)
        shape = self._extended_shape(sample_shape)
        eps = _resolve_noise(xp, adapter, rng, noise, shape, self.loc, "normal")
        w = self._w_loc() + self._w_scale() * eps
        zero = xp.zeros((*w.shape[:-1], 1), dtype=w.dtype, device=device(w))
        return _softmax(xp, adapter, xp.concat([w, zero], axis=-1), w.ndim - 1)

    @property
    def support(self) -> Constraint:
        return constraints.simplex

    def log_prob(self, value: Array) -> ArrayT:
        r"""Change-of-variables log density of a point ``value`` of the simplex; entries
        that are exactly 0 are clipped to the dtype's smallest normal number first."""
        self._validate_sample(value)
        xp = self.xp
        # entries that underflowed to exactly 0 (a sample far from the centre) are read as
        # the smallest normal number: finite log density, as RelaxedOneHotCategorical
        log_x = xp.log(xp.clip(value, float(xp.finfo(value.dtype).smallest_normal), None))
        w = log_x[..., :-1] - log_x[..., -1:]
        m, s = self._w_loc(), self._w_scale()
        zs = (w - m) / s
        log_n = xp.sum(-0.5 * zs * zs - xp.log(s) - _HALF_LOG_2PI, axis=-1)
        return log_n - xp.sum(log_x, axis=-1)


class InvertibleGaussian(LogisticNormal[ArrayT]):
    r"""Invertible Gaussian reparameterisation (Potapczynski et al. 2020).

    :math:`z \sim \mathcal N(\text{loc}, \operatorname{diag}(\text{scale}^2))` in
    :math:`\mathbb R^{K-1}`, :math:`y = z / T`, and the invertible softmax++ map

    .. math::

        x_k = \frac{e^{y_k}}{\sum_{j=1}^{K-1} e^{y_j} + \delta}\ (k < K),\qquad
        x_K = \frac{\delta}{\sum_{j=1}^{K-1} e^{y_j} + \delta}.

    Since :math:`\log(x_k / x_K) = y_k - \log\delta`, :math:`x` is logistic-normal with
    location :math:`\text{loc}/T - \log\delta` and scale :math:`\text{scale}/T`; its
    density is the change of variables of that invertible map, and the KL divergence
    between two invertible Gaussians (any temperatures and deltas) is the KL divergence of
    those Gaussians. As :math:`T \to 0` samples approach the vertices.

    Parameters
    ----------
    loc, scale : array
        Mean and standard deviation of :math:`z`, last axis :math:`K - 1`.
    temperature : float or array, optional
        :math:`T > 0`.
    delta : float, optional
        :math:`\delta > 0` (default 1, which makes :math:`x = \operatorname{softmax}([y, 0])`).

    Examples
    --------
    >>> import numpy as np
    >>> from relaxarray.distributions import InvertibleGaussian
    >>> d = InvertibleGaussian(np.array([0.0, 0.0]), np.array([1.0, 1.0]), temperature=0.5)
    >>> d.rsample(noise=np.array([0.0, 0.0])).round(4)
    array([0.3333, 0.3333, 0.3333])
    """

    _fields: ClassVar[dict[str, int]] = {"loc": 1, "scale": 1, "temperature": 0}

    def __init__(
        self,
        loc: ArrayT,
        scale: ArrayT,
        temperature: Any = 1.0,
        delta: float = 1.0,
        *,
        validate_args: bool | None = None,
    ) -> None:
        super().__init__(loc, scale, validate_args=validate_args)
        xp, adapter = namespace_and_adapter(loc, scale, temperature)
        self.temperature = _float_param(temperature, "temperature", xp, loc)
        check_positive(self.temperature, "temperature", adapter)
        check_positive(delta, "delta")
        self.delta = float(delta)

    def _temp(self) -> Any:
        t = self.temperature
        return t if isinstance(t, float) else self.xp.expand_dims(t, axis=-1)

    def _w_loc(self) -> Array:
        return self.loc / self._temp() - math.log(self.delta)

    def _w_scale(self) -> Array:
        return self.scale / self._temp()


@register_kl(LogisticNormal, LogisticNormal)
def _kl_logistic_normal(p: LogisticNormal[Array], q: LogisticNormal[Array]) -> Array:
    xp = p.xp
    mp, sp, mq, sq = p._w_loc(), p._w_scale(), q._w_loc(), q._w_scale()
    r = sp / sq
    d = (mp - mq) / sq
    return xp.sum(0.5 * (r * r + d * d - 1.0) - xp.log(r), axis=-1)


class Dirichlet(Distribution[ArrayT]):
    r"""Dirichlet distribution with concentrations :math:`\alpha > 0` (last axis :math:`K`).

    .. math::

        \log p(x) = \log\Gamma(\alpha_0) - \sum_k \log\Gamma(\alpha_k)
        + \sum_k (\alpha_k - 1)\log x_k,\qquad \alpha_0 = \sum_k \alpha_k.

    ``rsample`` normalises independent :math:`\mathrm{Gamma}(\alpha_k, 1)` draws from the
    adapter's ``gamma`` noise. On torch (``torch._standard_gamma``) and JAX
    (``jax.random.gamma``) the draws carry implicit reparameterisation gradients, so
    ``rsample`` is differentiable in ``concentration``; NumPy and other namespaces draw
    without gradients. Gamma draws are floored at ``tiny``, so samples stay finite for
    very small concentrations (where they then sit at a vertex). ``noise=`` takes the
    gamma draws themselves.

    Examples
    --------
    >>> import numpy as np
    >>> from relaxarray.distributions import Dirichlet
    >>> d = Dirichlet(np.array([1.0, 2.0, 3.0]))
    >>> d.mean
    array([0.16666667, 0.33333333, 0.5       ])
    >>> d.rsample(noise=np.array([1.0, 1.0, 2.0]))
    array([0.25, 0.25, 0.5 ])
    """

    has_rsample: ClassVar[bool] = True
    _fields: ClassVar[dict[str, int]] = {"concentration": 1}

    def __init__(self, concentration: ArrayT, *, validate_args: bool | None = None) -> None:
        self._validate_args = resolve_validate(validate_args)
        xp, adapter = namespace_and_adapter(concentration)
        self.concentration = as_float_array(concentration, "concentration", xp)
        if concentration.ndim == 0:
            raise ValueError("concentration must have at least one dimension (K categories)")
        check_positive(self.concentration, "concentration", adapter)

    def rsample(
        self,
        sample_shape: int | tuple[int, ...] = (),
        *,
        rng: object = None,
        noise: Array | None = None,
    ) -> ArrayT:
        """Samples on the simplex; ``noise`` (Gamma(alpha, 1) draws) may replace ``rng``."""
        xp, adapter = namespace_and_adapter(self.concentration, noise)
        if noise is not None and rng is not None:
            raise ValueError("pass exactly one of rng= or noise=, not both")
        a = self.concentration
        # float16/bfloat16: draw and normalise in float32 (gamma draws of a small
        # concentration underflow to 0 in half precision, and 0 / 0 is NaN)
        work = xp.float32 if xp.finfo(a.dtype).bits < 32 else a.dtype
        if noise is None:
            shape = self._extended_shape(sample_shape)
            noise = adapter.gamma(rng, xp.astype(a, work), shape, work, device(a))
        else:
            noise = xp.astype(noise, work)
        noise = xp.clip(noise, float(xp.finfo(work).smallest_normal), None)
        x = xp.astype(noise / xp.sum(noise, axis=-1, keepdims=True), a.dtype)
        # an entry that underflows in the output dtype (float16: below 6e-5) would sit on
        # the boundary, where log_prob is +inf for concentration < 1: floor it at tiny
        return xp.clip(x, float(xp.finfo(a.dtype).smallest_normal), None)

    @property
    def support(self) -> Constraint:
        return constraints.simplex

    def log_prob(self, value: Array) -> ArrayT:
        r"""Log density; :math:`(\alpha_k - 1)\log x_k` is 0 where :math:`\alpha_k = 1`
        and :math:`x_k = 0` (no ``0 * log 0`` NaN), as in ``scipy.stats.dirichlet``."""
        self._validate_sample(value)
        xp, lg = self.xp, self.adapter.lgamma
        a = self.concentration
        norm = lg(xp.sum(a, axis=-1)) - xp.sum(lg(a), axis=-1)
        zero_term = (a == 1.0) & (value == 0.0)
        log_x = xp.log(xp.where(zero_term, 1.0, value))  # double where
        return norm + xp.sum(xp.where(zero_term, 0.0, (a - 1.0) * log_x), axis=-1)

    @property
    def mean(self) -> ArrayT:
        a = self.concentration
        return a / self.xp.sum(a, axis=-1, keepdims=True)

    @property
    def variance(self) -> ArrayT:
        a = self.concentration
        a0 = self.xp.sum(a, axis=-1, keepdims=True)
        return a * (a0 - a) / (a0 * a0 * (a0 + 1.0))

    def entropy(self) -> ArrayT:
        xp, lg, dg = self.xp, self.adapter.lgamma, self.adapter.digamma
        a = self.concentration
        k = a.shape[-1]
        a0 = xp.sum(a, axis=-1)
        log_b = xp.sum(lg(a), axis=-1) - lg(a0)
        return log_b + (a0 - k) * dg(a0) - xp.sum((a - 1.0) * dg(a), axis=-1)


@register_kl(Dirichlet, Dirichlet)
def _kl_dirichlet(p: Dirichlet[Array], q: Dirichlet[Array]) -> Array:
    xp, lg, dg = p.xp, p.adapter.lgamma, p.adapter.digamma
    a, b = p.concentration, q.concentration
    a0 = xp.sum(a, axis=-1)
    return (
        lg(a0)
        - xp.sum(lg(a), axis=-1)
        - lg(xp.sum(b, axis=-1))
        + xp.sum(lg(b), axis=-1)
        + xp.sum((a - b) * (dg(a) - dg(a0[..., None])), axis=-1)
    )
