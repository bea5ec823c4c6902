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
from relaxarray._namespace import as_float_array, check_positive, device, namespace_and_adapter
from relaxarray._relax import _softmax
from relaxarray.backends._base import Array
from relaxarray.distributions._base import Distribution, register_kl

__all__ = ["InvertibleGaussian", "LogisticNormal"]

_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


class LogisticNormal(Distribution):
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

    def __init__(self, loc: Array, scale: Array) -> None:
        xp, adapter = namespace_and_adapter(loc, scale)
        self.loc = as_float_array(loc, "loc", xp)
        self.scale = as_float_array(scale, "scale", xp)
        if loc.ndim == 0:
            raise ValueError("loc must have at least one dimension (K - 1 categories)")
        check_positive(self.scale, "scale", adapter)

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
    ) -> Array:
        """Samples on the simplex (last axis K); ``noise`` (standard normal, last axis
        K - 1) may replace ``rng``."""
        xp, adapter = namespace_and_adapter(self.loc, self.scale, noise)
        shape = self._extended_shape(sample_shape)
        eps = _resolve_noise(xp, adapter, rng, noise, shape, self.loc, "normal")
        w = self._w_loc() + self._w_scale() * eps
        zero = xp.zeros((*w.shape[:-1], 1), dtype=w.dtype, device=device(w))
        return _softmax(xp, adapter, xp.concat([w, zero], axis=-1), w.ndim - 1)

    def log_prob(self, value: Array) -> Array:
        r"""Change-of-variables log density of a point ``value`` of the open simplex."""
        xp = self.xp
        log_x = xp.log(value)
        w = log_x[..., :-1] - log_x[..., -1:]
        m, s = self._w_loc(), self._w_scale()
        zs = (w - m) / s
        log_n = xp.sum(-0.5 * zs * zs - xp.log(s) - _HALF_LOG_2PI, axis=-1)
        return log_n - xp.sum(log_x, axis=-1)


class InvertibleGaussian(LogisticNormal):
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
        self, loc: Array, scale: Array, temperature: Any = 1.0, delta: float = 1.0
    ) -> None:
        super().__init__(loc, scale)
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
def _kl_logistic_normal(p: LogisticNormal, q: LogisticNormal) -> Array:
    xp = p.xp
    mp, sp, mq, sq = p._w_loc(), p._w_scale(), q._w_loc(), q._w_scale()
    r = sp / sq
    d = (mp - mq) / sq
    return xp.sum(0.5 * (r * r + d * d - 1.0) - xp.log(r), axis=-1)
