r"""Correlated gates: a relaxed multivariate Bernoulli through a Gaussian copula
(Lee, Imrie & van der Schaar 2022, "Self-Supervision Enhanced Feature Selection with
Correlated Gates")."""

from __future__ import annotations

import math
from typing import Any, ClassVar

from relaxarray._gates import _float_param, _resolve_noise, _sigmoid
from relaxarray._lib._typing import Array, ArrayT
from relaxarray._namespace import (
    as_float_array,
    check_positive,
    namespace_and_adapter,
    values_readable,
)
from relaxarray.distributions._base import Distribution

__all__ = ["CorrelatedGates"]


class CorrelatedGates(Distribution[ArrayT]):
    r"""Relaxed correlated Bernoulli gates through a Gaussian copula.

    With :math:`R = L L^\top` a correlation matrix (unit diagonal) and
    :math:`\varepsilon \sim \mathcal N(0, I_K)`:

    .. math::

        v = L\varepsilon \sim \mathcal N(0, R),\quad u_k = \Phi(v_k),\quad
        m_k = \mathbb 1[u_k > 1 - \pi_k],\quad
        \tilde m_k = \sigma\!\left(\frac{\ell_k + \log u_k - \log(1 - u_k)}{T}\right),

    with :math:`\ell = \operatorname{logit}\pi` the ``logits``. Each :math:`u_k` is uniform,
    so every marginal :math:`m_k` is exactly :math:`\mathrm{Bernoulli}(\pi_k)` and every
    :math:`\tilde m_k` a binary concrete variable, while the gates are dependent through
    :math:`R`. (:math:`m` is the :math:`T \to 0` limit of :math:`\tilde m`; Lee et al.
    write the hard gate as :math:`\mathbb 1[u_k \le \pi_k]`, which has the same law since
    :math:`1 - u` has the same copula.) :math:`\log u - \log(1-u)` is computed as
    :math:`\log\Phi(v) - \log\Phi(-v)` with ``erfc``.

    ``rsample`` gives the relaxed gates :math:`\tilde m` (differentiable in ``logits`` and
    an array ``temperature``; no gradient flows to ``correlation``, whose Cholesky factor
    is treated as a constant); ``hard_sample`` the binary gates :math:`m`.

    Parameters
    ----------
    logits : array
        :math:`\ell`, last axis :math:`K`.
    correlation : array
        :math:`R`, shape ``(..., K, K)``, symmetric positive definite with unit diagonal.
    temperature : float or array, optional
        :math:`T > 0` of the relaxation.

    Examples
    --------
    >>> import numpy as np
    >>> from relaxarray.distributions import CorrelatedGates
    >>> d = CorrelatedGates(np.zeros(2), np.array([[1.0, 0.9], [0.9, 1.0]]))
    >>> d.hard_sample(noise=np.array([0.3, 0.1]))  # v = (0.3, 0.31...): u > 1/2 for both
    array([1., 1.])
    """

    has_rsample: ClassVar[bool] = True
    _fields: ClassVar[dict[str, int]] = {"logits": 1, "correlation": 2}

    def __init__(self, logits: ArrayT, correlation: ArrayT, temperature: Any = 0.5) -> None:
        xp, adapter = namespace_and_adapter(logits, correlation, temperature)
        self.logits = as_float_array(logits, "logits", xp)
        self.correlation = as_float_array(correlation, "correlation", xp)
        k = logits.shape[-1] if logits.ndim else 0
        if logits.ndim == 0 or correlation.ndim < 2 or correlation.shape[-2:] != (k, k):
            raise ValueError(
                f"correlation must have shape (..., K, K) with K = logits.shape[-1] = {k}, "
                f"got {tuple(correlation.shape)}"
            )
        if values_readable(adapter, correlation):
            diag = xp.linalg.diagonal(correlation)
            if not bool(xp.all(xp.abs(diag - 1.0) < 1e-6)):
                raise ValueError("correlation must have a unit diagonal")
        self.temperature = _float_param(temperature, "temperature", xp, logits)
        check_positive(self.temperature, "temperature", adapter)

    def _logistic(
        self, sample_shape: int | tuple[int, ...], rng: object, noise: Array | None
    ) -> Array:
        xp, adapter = namespace_and_adapter(self.logits, self.correlation, noise)
        shape = self._extended_shape(sample_shape)
        eps = _resolve_noise(xp, adapter, rng, noise, shape, self.logits, "normal")
        # float16/bfloat16: no linear algebra in half precision; the copula is computed
        # in float32 and the logistic noise cast back
        dtype = self.logits.dtype
        work = xp.float32 if xp.finfo(dtype).bits < 32 else dtype
        corr = xp.astype(adapter.stop_gradient(self.correlation), work)
        chol = xp.linalg.cholesky(corr)
        v = xp.sum(chol * xp.astype(eps, work)[..., None, :], axis=-1)
        c = 1.0 / math.sqrt(2.0)
        # log Phi(v) - log Phi(-v), Phi(x) = erfc(-x / sqrt 2) / 2
        out = xp.log(adapter.erfc(-v * c)) - xp.log(adapter.erfc(v * c))
        return xp.astype(out, dtype)

    def rsample(
        self,
        sample_shape: int | tuple[int, ...] = (),
        *,
        rng: object = None,
        noise: Array | None = None,
    ) -> ArrayT:
        """Relaxed gates in (0, 1), shape ``sample_shape + batch_shape + (K,)``; ``noise``
        (independent standard normal) may replace ``rng``."""
        xp, adapter = namespace_and_adapter(self.logits, noise)
        t = self.temperature
        if not isinstance(t, float):
            t = xp.expand_dims(t, axis=-1)
        return _sigmoid(xp, adapter, (self.logits + self._logistic(sample_shape, rng, noise)) / t)

    def hard_sample(
        self,
        sample_shape: int | tuple[int, ...] = (),
        *,
        rng: object = None,
        noise: Array | None = None,
    ) -> ArrayT:
        """Binary gates :math:`m` (0.0/1.0 in ``logits``' dtype), no gradient."""
        xp, adapter = namespace_and_adapter(self.logits, noise)
        s = adapter.stop_gradient(self.logits) + self._logistic(sample_shape, rng, noise)
        return xp.astype(s > 0.0, self.logits.dtype)

    @property
    def mean(self) -> ArrayT:
        r"""Marginal probabilities :math:`\pi = \sigma(\ell)` of the hard gates."""
        return _sigmoid(self.xp, self.adapter, self.logits)
