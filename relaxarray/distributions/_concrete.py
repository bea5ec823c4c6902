r"""Concrete (relaxed) distributions: binary, one-hot, and the log-space ExpConcrete.

Densities follow Maddison, Mnih & Teh 2017 ("The Concrete distribution"), computed in log
space so that they stay finite where a float32 relaxed sample underflows to exactly 0 or 1.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar, Never

from relaxarray._bernoulli import relaxed_bernoulli
from relaxarray._gumbel import _perturbed, gumbel_softmax
from relaxarray._lib._typing import Array, ArrayT
from relaxarray._relaxations import _logsumexp
from relaxarray._sampling import get_noise, softplus
from relaxarray.distributions import constraints
from relaxarray.distributions._discrete import _BinaryBase, _CategoricalBase, _signed_inf
from relaxarray.distributions._params import (
    check_temperature,
    keywords_only,
    logits_or_probs,
    resolve_validate,
)
from relaxarray.distributions.constraints import Constraint

__all__ = ["ExpRelaxedOneHotCategorical", "RelaxedBernoulli", "RelaxedOneHotCategorical"]


def _log_t(xp: Any, t: Any) -> Any:
    return math.log(t) if isinstance(t, (int, float)) else xp.log(t)


class RelaxedBernoulli(_BinaryBase[ArrayT]):
    r"""Binary Concrete distribution :math:`\mathrm{BinConcrete}(\ell, T)` on (0, 1).

    A sample is :math:`y = \sigma(x)`, :math:`x = (\ell + L) / T`, :math:`L` standard
    logistic, so :math:`x` is Logistic(:math:`\ell/T`, :math:`1/T`) and

    .. math:: \log f(y) = \log T - T x + \ell - 2\,\mathrm{softplus}(\ell - T x)
       + \mathrm{softplus}(x) + \mathrm{softplus}(-x), \qquad x = \operatorname{logit}(y),

    which equals Maddison et al.'s
    :math:`\frac{T \alpha y^{-T-1} (1-y)^{-T-1}}{(\alpha y^{-T} + (1-y)^{-T})^2}`,
    :math:`\alpha = e^\ell`. ``log_prob`` clips ``y`` to
    :math:`[\mathrm{tiny}, 1 - \epsilon/2]` (the extreme floats of the dtype) before the
    logit, so a sample that underflowed to exactly 0 or 1 gets the finite density of the
    nearest representable value. For exact log densities in the tails use
    :meth:`rsample_logit` and :meth:`log_prob_logit` (the pre-sigmoid variable ``x``).

    ``mean``, ``mode`` and ``entropy`` have no closed form and raise NotImplementedError.

    Examples
    --------
    >>> import numpy as np
    >>> from relaxarray.distributions import RelaxedBernoulli
    >>> d = RelaxedBernoulli(temperature=0.5, logits=np.array([0.0]))
    >>> np.round(d.log_prob(np.array([0.5])), 6)
    array([-0.693147])
    """

    has_rsample = True
    _fields: ClassVar[dict[str, int]] = {"_logits": 0, "_probs": 0, "temperature": 0}

    def __init__(
        self,
        *args: Never,
        temperature: Any = 1.0,
        logits: ArrayT | None = None,
        probs: ArrayT | None = None,
        validate_args: bool | None = None,
    ) -> None:
        keywords_only(type(self).__name__, args, "temperature=, logits= or probs=")
        self._validate_args = resolve_validate(validate_args)
        self._logits, self._probs = logits_or_probs(logits, probs, 0, self._validate_args)
        p = self._logits if self._logits is not None else self._probs
        self.temperature = check_temperature(temperature, p, 0)

    def rsample(self, sample_shape: int | tuple[int, ...] = (), *, rng: object = None) -> ArrayT:
        lg = self.xp.broadcast_to(self.logits, self.batch_shape)
        return relaxed_bernoulli(
            lg, temperature=self.temperature, sample_shape=sample_shape, rng=rng
        )

    def sample(self, sample_shape: int | tuple[int, ...] = (), *, rng: object = None) -> ArrayT:
        return self.adapter.stop_gradient(self.rsample(sample_shape, rng=rng))

    def rsample_logit(
        self, sample_shape: int | tuple[int, ...] = (), *, rng: object = None
    ) -> ArrayT:
        r"""Samples of the pre-sigmoid logistic variable :math:`x = (\ell + L)/T`."""
        xp, adapter = self.xp, self.adapter
        lg = xp.broadcast_to(self.logits, self.batch_shape)
        u = get_noise(
            xp,
            adapter,
            rng=rng,
            noise=None,
            sample_shape=sample_shape,
            batch_shape=self.batch_shape,
            like=lg,
        )
        return (lg + (xp.log(u) - xp.log1p(-u))) / self.temperature

    def _logistic_log_density(self, x: Array) -> tuple[Array, Array, Array]:
        """The Logistic(l/T, 1/T) log density of ``x`` for finite logits (infinite ones
        are replaced by 0 before the arithmetic: no ``inf - inf``), the mask of finite
        logits, and the logits."""
        xp, lg, t = self.xp, self.logits, self.temperature
        finite = xp.isfinite(lg)
        d = xp.where(finite, lg, 0.0) - t * x
        return _log_t(xp, t) + d - 2.0 * softplus(xp, d), finite, lg

    def log_prob_logit(self, x: Array) -> ArrayT:
        r"""Log density of :math:`x = \operatorname{logit}(y)`, Logistic(:math:`\ell/T, 1/T`).

        For :math:`\ell = \pm\infty` (probability 1 or 0) the law is a point mass at
        :math:`x = \pm\infty`: :math:`+\infty` there, :math:`-\infty` elsewhere."""
        xp = self.xp
        out, finite, lg = self._logistic_log_density(x)
        at_edge = xp.where(lg > 0, x == math.inf, x == -math.inf)
        return xp.where(finite, out, _signed_inf(xp, at_edge, out))

    @property
    def support(self) -> Constraint:
        return constraints.unit_interval

    def log_prob(self, value: Array) -> ArrayT:
        r"""Log density of ``value`` in [0, 1] (clipped into the open interval, see above).

        With :math:`p = 1` (:math:`\ell = +\infty`) the law is a point mass at 1: the
        density is :math:`+\infty` at 1 and :math:`-\infty` elsewhere (mirrored for
        :math:`p = 0`), the limit of the Concrete density; never NaN."""
        self._validate_sample(value)
        xp = self.xp
        fi = xp.finfo(value.dtype)
        y = xp.clip(value, float(fi.smallest_normal), 1.0 - float(fi.eps) / 2)
        x = xp.log(y) - xp.log1p(-y)
        out, finite, lg = self._logistic_log_density(x)
        out = out + softplus(xp, x) + softplus(xp, -x)
        at_edge = xp.where(lg > 0, value >= 1.0, value <= 0.0)
        return xp.where(finite, out, _signed_inf(xp, at_edge, out))

    def entropy(self) -> ArrayT:
        raise NotImplementedError("the binary Concrete distribution has no closed-form entropy")

    @property
    def mean(self) -> ArrayT:
        raise NotImplementedError("the binary Concrete distribution has no closed-form mean")

    @property
    def mode(self) -> ArrayT:
        raise NotImplementedError("the binary Concrete distribution has no closed-form mode")

    @property
    def variance(self) -> ArrayT:
        raise NotImplementedError("the binary Concrete distribution has no closed-form variance")


class ExpRelaxedOneHotCategorical(_CategoricalBase[ArrayT]):
    r"""ExpConcrete: the log of a Concrete sample, :math:`x = \log\mathrm{softmax}((\ell+g)/T)`.

    Maddison et al. 2017 (appendix): with :math:`\alpha = e^\ell`,

    .. math:: \log p(x) = \log((K-1)!) + (K-1)\log T + \sum_{k=1}^K (\ell_k - T x_k)
       - K \log\sum_{k=1}^K e^{\ell_k - T x_k}.

    This is a density with respect to :math:`e^{-x_K}\,dx_1\cdots dx_{K-1}` on
    :math:`\{x : \mathrm{logsumexp}(x) = 0\}` (equivalently :math:`\prod_k y_k^{-1}\,dy`
    on the simplex), the same base measure for every ExpConcrete, so log-ratios and KL
    estimates between them are exact; it equals the Concrete density of
    :math:`y = e^x` times :math:`\prod_k y_k`. Log-space samples are finite where
    :math:`e^x` underflows. Entropy, mean and mode have no closed form.
    """

    has_rsample = True
    _fields: ClassVar[dict[str, int]] = {"_logits": 1, "_probs": 1, "temperature": 0}

    def __init__(
        self,
        *args: Never,
        temperature: Any = 1.0,
        logits: ArrayT | None = None,
        probs: ArrayT | None = None,
        validate_args: bool | None = None,
    ) -> None:
        keywords_only(type(self).__name__, args, "temperature=, logits= or probs=")
        self._validate_args = resolve_validate(validate_args)
        self._logits, self._probs = logits_or_probs(logits, probs, 1, self._validate_args)
        p = self._logits if self._logits is not None else self._probs
        self.temperature = check_temperature(temperature, p, 1)

    @property
    def event_shape(self) -> tuple[int, ...]:
        return (self.num_categories,)

    def _t(self) -> Any:
        t = self.temperature
        return self.xp.expand_dims(t, axis=-1) if hasattr(t, "shape") else t

    def rsample(self, sample_shape: int | tuple[int, ...] = (), *, rng: object = None) -> ArrayT:
        xp, adapter, z, _ = _perturbed(self._full_logits(), None, -1, sample_shape, rng, None)
        z = z / self._t()
        return z - _logsumexp(xp, adapter, z, -1, True)

    def sample(self, sample_shape: int | tuple[int, ...] = (), *, rng: object = None) -> ArrayT:
        return self.adapter.stop_gradient(self.rsample(sample_shape, rng=rng))

    @property
    def support(self) -> Constraint:
        return constraints.real_vector

    def log_prob(self, value: Array) -> ArrayT:
        self._validate_sample(value)
        return self._log_prob_exp(value)

    def _log_prob_exp(self, value: Array) -> Array:
        xp, lg, t = self.xp, self.logits, self.temperature
        k = lg.shape[-1]
        score = lg - self._t() * value
        lse = _logsumexp(xp, self.adapter, score, -1, False)
        return math.lgamma(k) + (k - 1) * _log_t(xp, t) + xp.sum(score, axis=-1) - k * lse

    def entropy(self) -> ArrayT:
        raise NotImplementedError("the ExpConcrete distribution has no closed-form entropy")

    @property
    def mean(self) -> ArrayT:
        raise NotImplementedError("the ExpConcrete distribution has no closed-form mean")

    @property
    def mode(self) -> ArrayT:
        raise NotImplementedError("the ExpConcrete distribution has no closed-form mode")


class RelaxedOneHotCategorical(ExpRelaxedOneHotCategorical[ArrayT]):
    r"""Concrete / Gumbel-softmax distribution on the simplex (Maddison et al. 2017).

    A sample is :math:`y = \mathrm{softmax}((\ell + g)/T)` and

    .. math:: p(y) = (K-1)!\,T^{K-1} \prod_{k=1}^K
       \frac{\alpha_k y_k^{-T-1}}{\sum_i \alpha_i y_i^{-T}},

    a density with respect to Lebesgue measure on :math:`(y_1, \dots, y_{K-1})`.
    ``log_prob`` computes it as the ExpConcrete log density of :math:`\log y` minus
    :math:`\sum_k \log y_k`, with :math:`y` clipped below at the dtype's smallest normal
    number, so a float32 sample with entries that underflowed to exactly 0 keeps a finite
    log density. Use :class:`ExpRelaxedOneHotCategorical` to avoid the clipping.

    Examples
    --------
    >>> import numpy as np
    >>> from relaxarray.distributions import RelaxedOneHotCategorical
    >>> d = RelaxedOneHotCategorical(temperature=1.0, logits=np.zeros(2))
    >>> float(d.log_prob(np.array([0.5, 0.5])))
    0.0
    """

    def rsample(self, sample_shape: int | tuple[int, ...] = (), *, rng: object = None) -> ArrayT:
        return gumbel_softmax(
            self._full_logits(), temperature=self._t(), sample_shape=sample_shape, rng=rng
        )

    @property
    def support(self) -> Constraint:
        return constraints.simplex

    def log_prob(self, value: Array) -> ArrayT:
        self._validate_sample(value)
        xp = self.xp
        logy = xp.log(xp.clip(value, float(xp.finfo(value.dtype).smallest_normal), None))
        return ExpRelaxedOneHotCategorical._log_prob_exp(self, logy) - xp.sum(logy, axis=-1)
