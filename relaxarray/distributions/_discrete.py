r"""Bernoulli and categorical distributions, and their straight-through variants.

Parameters are ``logits`` or ``probs`` (exactly one). The given one is stored as a pytree
leaf and the other derived on demand, so gradients flow to whichever you passed.
Samplers use uniform base noise, as :func:`relaxarray.gumbel_max` and
:func:`relaxarray.straight_through_bernoulli` do.
"""

from __future__ import annotations

from typing import Any, ClassVar

from relaxarray._bernoulli import _bernoulli_threshold, _st_bernoulli
from relaxarray._gumbel import _perturbed, gumbel_softmax
from relaxarray._lib._typing import Array
from relaxarray._namespace import device
from relaxarray._relaxations import _logsumexp, _one_hot_of_argmax
from relaxarray._sampling import get_noise, log_sigmoid, sigmoid
from relaxarray.distributions._base import Distribution, register_kl
from relaxarray.distributions._params import check_temperature, logits_or_probs

__all__ = [
    "Bernoulli",
    "Categorical",
    "OneHotCategorical",
    "StraightThroughBernoulli",
    "StraightThroughCategorical",
]


def _xlogy_where(xp: Any, p: Array, logq: Array) -> Array:
    """``p * logq`` with ``0 * log 0 = 0`` (no NaN from the unused branch)."""
    return xp.where(p > 0, p * xp.where(p > 0, logq, 0.0), 0.0)


class _BinaryBase(Distribution):
    """Shared ``logits``/``probs`` handling of the binary distributions."""

    _fields: ClassVar[dict[str, int]] = {"_logits": 0, "_probs": 0}

    def __init__(self, logits: Array | None = None, probs: Array | None = None) -> None:
        self._logits, self._probs = logits_or_probs(logits, probs, 0)

    @property
    def logits(self) -> Array:
        r"""Log-odds :math:`\log p - \log(1 - p)` of the event 1."""
        if self._logits is not None:
            return self._logits
        xp, p = self.xp, self._probs
        return xp.log(p) - xp.log1p(-p)

    @property
    def probs(self) -> Array:
        r"""Probability :math:`p = \sigma(\text{logits})` of the event 1."""
        if self._probs is not None:
            return self._probs
        return sigmoid(self.xp, self.adapter, self._logits)


class Bernoulli(_BinaryBase):
    r"""Bernoulli distribution :math:`\mathrm{Bern}(p)`, :math:`p = \sigma(\ell)`.

    Parameters
    ----------
    logits : array, optional
        :math:`\ell = \log p - \log(1 - p)`.
    probs : array, optional
        :math:`p \in [0, 1]` (checked when concrete). Exactly one of the two.

    Examples
    --------
    >>> import numpy as np
    >>> from relaxarray.distributions import Bernoulli
    >>> d = Bernoulli(probs=np.array([0.2, 0.9]))
    >>> np.round(d.log_prob(np.array([1.0, 1.0])), 4)
    array([-1.6094, -0.1054])
    """

    def _noise(self, sample_shape: Any, rng: object) -> tuple[Array, Array]:
        """``(u, logits)``: uniform noise and logits broadcast to the batch shape."""
        xp, adapter = self.xp, self.adapter
        lg = xp.broadcast_to(self.logits, self.batch_shape)
        u = get_noise(xp, adapter, rng=rng, noise=None, sample_shape=sample_shape,
                      batch_shape=self.batch_shape, like=lg)
        return u, lg

    def sample(self, sample_shape: int | tuple[int, ...] = (), *, rng: object = None) -> Array:
        """Exact samples in {0, 1}: :math:`\\mathbb{1}[u < p]` (no gradient), by the
        library's one threshold kernel (as :func:`relaxarray.straight_through_bernoulli`)."""
        xp = self.xp
        u, lg = self._noise(sample_shape, rng)
        return xp.astype(_bernoulli_threshold(xp, u, self.adapter.stop_gradient(lg)), lg.dtype)

    def log_prob(self, value: Array) -> Array:
        """Log mass of ``value`` in {0, 1}: :math:`\\log\\sigma(\\pm\\ell)`."""
        xp, lg = self.xp, self.logits
        return xp.where(value > 0.5, log_sigmoid(xp, lg), log_sigmoid(xp, -lg))

    def entropy(self) -> Array:
        xp, lg = self.xp, self.logits
        p = sigmoid(xp, self.adapter, lg)
        return -(_xlogy_where(xp, p, log_sigmoid(xp, lg))
                 + _xlogy_where(xp, 1.0 - p, log_sigmoid(xp, -lg)))

    @property
    def mean(self) -> Array:
        return self.xp.broadcast_to(self.probs, self.batch_shape)

    @property
    def mode(self) -> Array:
        """1 where :math:`p > 1/2`, else 0."""
        lg = self.logits
        return self.xp.astype(lg > 0, lg.dtype)

    @property
    def variance(self) -> Array:
        p = self.mean
        return p * (1.0 - p)


class StraightThroughBernoulli(Bernoulli):
    r"""Bernoulli whose ``rsample`` is the straight-through estimator ("Bernoulli-STE").

    ``rsample`` returns exact Bernoulli values :math:`b = \mathbb{1}[u < p]` with the
    identity pseudo-gradient :math:`\partial b / \partial p := 1` (so the gradient of
    :math:`p`; with ``logits`` that is :math:`\sigma'(\ell)`). The gradient is biased.
    ``log_prob`` is the Bernoulli log mass of the hard value (the samples are exactly
    Bernoulli); entropy, mean, mode and KL are the Bernoulli ones.
    """

    has_rsample = True

    def rsample(self, sample_shape: int | tuple[int, ...] = (), *, rng: object = None) -> Array:
        u, lg = self._noise(sample_shape, rng)
        p = self.xp.broadcast_to(self.probs, self.batch_shape)
        return _st_bernoulli(self.xp, self.adapter, u, lg, p)


class _CategoricalBase(Distribution):
    """Shared ``logits``/``probs`` handling of the categorical distributions."""

    _fields: ClassVar[dict[str, int]] = {"_logits": 1, "_probs": 1}

    def __init__(self, logits: Array | None = None, probs: Array | None = None) -> None:
        self._logits, self._probs = logits_or_probs(logits, probs, 1)

    @property
    def num_categories(self) -> int:
        """Number of categories :math:`K` (the last axis of the parameters)."""
        p = self._logits if self._logits is not None else self._probs
        return int(p.shape[-1])

    @property
    def logits(self) -> Array:
        """Normalised log-probabilities."""
        xp = self.xp
        if self._logits is not None:
            lg = self._logits
            return lg - _logsumexp(xp, self.adapter, lg, -1, True)
        p = self._probs
        return xp.log(p) - xp.log(xp.sum(p, axis=-1, keepdims=True))

    @property
    def probs(self) -> Array:
        """Category probabilities, summing to 1 on the last axis."""
        if self._probs is not None:
            p = self._probs
            return p / self.xp.sum(p, axis=-1, keepdims=True)
        return self.xp.exp(self.logits)

    @property
    def event_shape(self) -> tuple[int, ...]:
        return (self.num_categories,)

    def _full_logits(self) -> Array:
        lg = self.logits
        return self.xp.broadcast_to(lg, (*self.batch_shape, lg.shape[-1]))


class Categorical(_CategoricalBase):
    r"""Categorical distribution over indices :math:`\{0, \dots, K-1\}` on the last axis.

    ``logits`` may be unnormalised; the ``logits`` property returns the normalised
    log-probabilities. ``sample`` returns integer indices (Gumbel-max with uniform noise).

    Examples
    --------
    >>> import numpy as np
    >>> from relaxarray.distributions import Categorical
    >>> d = Categorical(probs=np.array([0.1, 0.1, 0.8]))
    >>> np.round(d.log_prob(np.array([2, 0])), 4)
    array([-0.2231, -2.3026])
    """

    @property
    def event_shape(self) -> tuple[int, ...]:
        return ()

    def sample(self, sample_shape: int | tuple[int, ...] = (), *, rng: object = None) -> Array:
        xp, _, z, _ = _perturbed(self._full_logits(), None, -1, sample_shape, rng, None)
        return xp.argmax(self.adapter.stop_gradient(z), axis=-1)

    def log_prob(self, value: Array) -> Array:
        """Log mass of integer ``value`` (shape ``sample_shape + batch_shape``)."""
        xp, lg = self.xp, self.logits
        k = lg.shape[-1]
        hit = xp.expand_dims(value, axis=-1) == xp.arange(k, device=device(lg))
        return xp.sum(xp.where(hit, lg, 0.0), axis=-1)

    def entropy(self) -> Array:
        xp, lg = self.xp, self.logits
        return -xp.sum(_xlogy_where(xp, xp.exp(lg), lg), axis=-1)

    @property
    def mode(self) -> Array:
        return self.xp.argmax(self._full_logits(), axis=-1)

    @property
    def mean(self) -> Array:
        raise NotImplementedError(
            "the mean of a category index is not meaningful; use OneHotCategorical.mean"
        )


class OneHotCategorical(Categorical):
    r"""Categorical distribution over one-hot vectors (event shape ``(K,)``).

    Examples
    --------
    >>> import numpy as np
    >>> from relaxarray.distributions import OneHotCategorical
    >>> d = OneHotCategorical(probs=np.array([0.1, 0.1, 0.8]))
    >>> np.round(d.log_prob(np.array([0.0, 0.0, 1.0])), 4)
    np.float64(-0.2231)
    """

    @property
    def event_shape(self) -> tuple[int, ...]:
        return (self.num_categories,)

    def sample(self, sample_shape: int | tuple[int, ...] = (), *, rng: object = None) -> Array:
        xp, adapter, z, _ = _perturbed(self._full_logits(), None, -1, sample_shape, rng, None)
        return _one_hot_of_argmax(xp, adapter.stop_gradient(z), -1, z.dtype)

    def log_prob(self, value: Array) -> Array:
        """Log mass of one-hot ``value``: :math:`\\sum_k v_k \\log p_k`."""
        xp, lg = self.xp, self.logits
        return xp.sum(xp.where(value > 0, lg, 0.0), axis=-1)

    @property
    def mean(self) -> Array:
        p = self.probs
        return self.xp.broadcast_to(p, (*self.batch_shape, p.shape[-1]))

    @property
    def mode(self) -> Array:
        lg = self._full_logits()
        return _one_hot_of_argmax(self.xp, lg, -1, lg.dtype)

    @property
    def variance(self) -> Array:
        p = self.mean
        return p * (1.0 - p)


class StraightThroughCategorical(OneHotCategorical):
    r"""One-hot categorical whose ``rsample`` is straight-through Gumbel-softmax.

    ``rsample`` returns exact one-hot samples (Gumbel-max) with the gradient of the
    Gumbel-softmax sample at ``temperature`` (Jang et al. 2017). ``log_prob``, entropy,
    mean, mode and KL are those of the one-hot categorical the values follow.

    Parameters
    ----------
    temperature : float or array
        :math:`T > 0` of the soft surrogate; an array broadcasts to the batch shape.
    logits, probs : array
        Exactly one of them.
    """

    has_rsample = True
    _fields: ClassVar[dict[str, int]] = {"_logits": 1, "_probs": 1, "temperature": 0}

    def __init__(
        self, temperature: Any = 1.0, logits: Array | None = None, probs: Array | None = None
    ) -> None:
        super().__init__(logits=logits, probs=probs)
        p = self._logits if self._logits is not None else self._probs
        self.temperature = check_temperature(temperature, p, 1)

    def rsample(self, sample_shape: int | tuple[int, ...] = (), *, rng: object = None) -> Array:
        t = self.temperature
        if hasattr(t, "shape"):
            t = self.xp.expand_dims(t, axis=-1)
        return gumbel_softmax(self._full_logits(), temperature=t, hard=True,
                              sample_shape=sample_shape, rng=rng)


@register_kl(Bernoulli, Bernoulli)
def _kl_bernoulli(p: Bernoulli, q: Bernoulli) -> Array:
    xp, lp, lq = p.xp, p.logits, q.logits
    pp = sigmoid(xp, p.adapter, lp)
    return (_xlogy_where(xp, pp, log_sigmoid(xp, lp) - log_sigmoid(xp, lq))
            + _xlogy_where(xp, 1.0 - pp, log_sigmoid(xp, -lp) - log_sigmoid(xp, -lq)))


@register_kl(Categorical, Categorical)
def _kl_categorical(p: Categorical, q: Categorical) -> Array:
    xp, lp, lq = p.xp, p.logits, q.logits
    return xp.sum(_xlogy_where(xp, xp.exp(lp), lp - lq), axis=-1)
