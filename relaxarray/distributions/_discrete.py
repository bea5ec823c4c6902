r"""Bernoulli and categorical distributions, and their straight-through variants.

Parameters are ``logits`` or ``probs`` (exactly one). The given one is stored as a pytree
leaf and the other derived on demand, so gradients flow to whichever you passed.
Samplers use uniform base noise, as :func:`relaxarray.gumbel_max` and
:func:`relaxarray.straight_through_bernoulli` do.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar, Never

from relaxarray._bernoulli import _bernoulli_threshold, _st_bernoulli
from relaxarray._gumbel import _perturbed, gumbel_softmax
from relaxarray._lib._typing import Array, ArrayT
from relaxarray._namespace import device
from relaxarray._relaxations import _logsumexp, _one_hot_of_argmax, _softmax
from relaxarray._sampling import get_noise, log_sigmoid, sigmoid
from relaxarray.distributions import constraints
from relaxarray.distributions._base import Distribution, register_kl
from relaxarray.distributions._params import (
    check_temperature,
    keywords_only,
    logits_or_probs,
    resolve_validate,
)
from relaxarray.distributions.constraints import Constraint

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


def _inf(xp: Any, like: Array) -> Array:
    """``+inf`` as a 0-d array of ``like``'s dtype, on its device."""
    return xp.asarray(math.inf, dtype=like.dtype, device=device(like))


def _signed_inf(xp: Any, positive: Array, like: Array) -> Array:
    """``+inf`` where ``positive``, else ``-inf``, in ``like``'s dtype and device."""
    inf = _inf(xp, like)
    return xp.where(positive, inf, -inf)


def _guarded_log(xp: Any, p: Array, keep: Array) -> Array:
    """``log p`` where ``keep``, else 0; ``log`` never sees a masked-out value ("double
    where"), so masked-out zeros give no NaN gradient."""
    return xp.where(keep, xp.log(xp.where(keep, p, 1.0)), 0.0)


def _guarded_log1m(xp: Any, p: Array, keep: Array) -> Array:
    """``log(1 - p)`` where ``keep``, else 0 (double where)."""
    return xp.where(keep, xp.log1p(-xp.where(keep, p, 0.0)), 0.0)


def _log_softmax(xp: Any, adapter: Any, lg: Array) -> Array:
    """Normalised log-probabilities, shifted by the maximum first so that large equal
    logits stay exact in low precision (``1e4 - logsumexp`` is 0 or -8 in float16)."""
    fast = adapter.log_softmax(lg, -1)
    if fast is not None:
        return fast
    m = xp.max(lg, axis=-1, keepdims=True)
    z = lg - adapter.stop_gradient(xp.where(xp.isfinite(m), m, 0.0))
    return z - _logsumexp(xp, adapter, z, -1, True)


class _BinaryBase(Distribution[ArrayT]):
    """Shared ``logits``/``probs`` handling of the binary distributions.

    With ``probs`` the math stays in probability space, so that probabilities of exactly
    0 or 1 give exact values (and finite gradients) instead of infinite logits.
    """

    _fields: ClassVar[dict[str, int]] = {"_logits": 0, "_probs": 0}
    arg_constraints: ClassVar[dict[str, Constraint]] = {
        "logits": constraints.real,
        "probs": constraints.unit_interval,
    }

    def __init__(
        self,
        *args: Never,
        logits: ArrayT | None = None,
        probs: ArrayT | None = None,
        validate_args: bool | None = None,
    ) -> None:
        keywords_only(type(self).__name__, args, "logits= or probs=")
        self._validate_args = resolve_validate(validate_args)
        self._logits, self._probs = logits_or_probs(logits, probs, 0, self._validate_args)

    @property
    def logits(self) -> ArrayT:
        """:math:`\\log p - \\log(1 - p)`; :math:`\\pm\\infty` for probabilities 1 and 0."""
        if self._logits is not None:
            return self._logits
        xp, p = self.xp, self._probs
        mid = (p > 0) & (p < 1)
        inner = _guarded_log(xp, p, mid) - _guarded_log1m(xp, p, mid)
        return xp.where(mid, inner, _signed_inf(xp, p > 0, inner))

    @property
    def probs(self) -> ArrayT:
        r"""Probability :math:`p = \sigma(\text{logits})` of the event 1."""
        if self._probs is not None:
            return self._probs
        return sigmoid(self.xp, self.adapter, self._logits)

    def _log_masses(self, keep1: Array, keep0: Array) -> tuple[Array, Array]:
        """``(log P(1), log P(0))``, each evaluated only where ``keep1``/``keep0`` (0
        elsewhere, so that differences of masked entries are 0, not ``inf - inf``)."""
        xp = self.xp
        if self._probs is None:
            lg = self._logits
            return log_sigmoid(xp, lg), log_sigmoid(xp, -lg)
        p = self._probs
        k1, k0 = keep1 & (p > 0), keep0 & (p < 1)
        zero, neg_inf = xp.zeros_like(p), -_inf(xp, p)
        return (
            xp.where(k1, _guarded_log(xp, p, k1), xp.where(keep1, neg_inf, zero)),
            xp.where(k0, _guarded_log1m(xp, p, k0), xp.where(keep0, neg_inf, zero)),
        )


class Bernoulli(_BinaryBase[ArrayT]):
    r"""Bernoulli distribution :math:`\mathrm{Bern}(p)`, :math:`p = \sigma(\ell)`.

    Parameters
    ----------
    logits : array, optional
        :math:`\ell = \log p - \log(1 - p)`.
    probs : array, optional
        :math:`p \in [0, 1]`. Exactly one of the two, as a keyword (a positional argument
        raises TypeError: ``torch.distributions.Bernoulli(p)`` reads probabilities).
    validate_args : bool, optional
        Check ``probs`` (in [0, 1]) and the values given to :meth:`log_prob` (in
        {0, 1}); default :func:`set_default_validate_args` (on). The checks need
        concrete values and are skipped under ``jax.jit`` / ``torch.compile``.

    Notes
    -----
    Given ``probs``, ``log_prob``, ``entropy`` and the KL divergence are computed in
    probability space, so :math:`p \in \{0, 1\}` gives exact values and the analytic
    gradients (e.g. :math:`\partial_p \log P(0) = -1/(1 - p)` at :math:`p = 0`).

    Examples
    --------
    >>> import numpy as np
    >>> from relaxarray.distributions import Bernoulli
    >>> d = Bernoulli(probs=np.array([0.2, 0.9]))
    >>> np.round(d.log_prob(np.array([1.0, 1.0])), 4)
    array([-1.6094, -0.1054])
    >>> d.enumerate_support()
    array([[0., 0.],
           [1., 1.]])
    """

    @property
    def support(self) -> Constraint:
        return constraints.boolean

    def _noise(self, sample_shape: Any, rng: object) -> tuple[Array, Array]:
        """``(u, logits)``: uniform noise and logits broadcast to the batch shape."""
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
        return u, lg

    def sample(self, sample_shape: int | tuple[int, ...] = (), *, rng: object = None) -> ArrayT:
        """Exact samples in {0, 1}: :math:`\\mathbb{1}[u < p]` (no gradient), by the
        library's one threshold kernel (as :func:`relaxarray.straight_through_bernoulli`)."""
        xp = self.xp
        u, lg = self._noise(sample_shape, rng)
        return xp.astype(_bernoulli_threshold(xp, u, self.adapter.stop_gradient(lg)), lg.dtype)

    def log_prob(self, value: Array) -> ArrayT:
        """Log mass of ``value`` in {0, 1} (with validation off, ``value > 1/2`` counts
        as 1): :math:`\\log p` or :math:`\\log(1 - p)`."""
        self._validate_sample(value)
        xp = self.xp
        one = value > 0.5
        log1, log0 = self._log_masses(one, ~one)
        return xp.where(one, log1, log0)

    def entropy(self) -> ArrayT:
        xp = self.xp
        p = self.probs
        log1, log0 = self._log_masses(p > 0, p < 1)
        return -(_xlogy_where(xp, p, log1) + _xlogy_where(xp, 1.0 - p, log0))

    def enumerate_support(self, expand: bool = True) -> ArrayT:
        """``[0, 1]`` along a new leading axis, broadcast to the batch shape if ``expand``."""
        xp, p = self.xp, self.probs
        values = xp.reshape(
            xp.asarray([0.0, 1.0], dtype=p.dtype, device=device(p)),
            (2,) + (1,) * len(self.batch_shape),
        )
        return xp.broadcast_to(values, (2, *self.batch_shape)) if expand else values

    @property
    def mean(self) -> ArrayT:
        return self.xp.broadcast_to(self.probs, self.batch_shape)

    @property
    def mode(self) -> ArrayT:
        """1 where :math:`p > 1/2`, else 0."""
        p = self.mean
        return self.xp.astype(p > 0.5, p.dtype)

    @property
    def variance(self) -> ArrayT:
        p = self.mean
        return p * (1.0 - p)


class StraightThroughBernoulli(Bernoulli[ArrayT]):
    r"""Bernoulli whose ``rsample`` is the straight-through estimator ("Bernoulli-STE").

    ``rsample`` returns exact Bernoulli values :math:`b = \mathbb{1}[u < p]` with the
    identity pseudo-gradient :math:`\partial b / \partial p := 1` (so the gradient of
    :math:`p`; with ``logits`` that is :math:`\sigma'(\ell)`). The gradient is biased.
    ``log_prob`` is the Bernoulli log mass of the hard value (the samples are exactly
    Bernoulli); entropy, mean, mode and KL are the Bernoulli ones.
    """

    has_rsample = True

    def rsample(self, sample_shape: int | tuple[int, ...] = (), *, rng: object = None) -> ArrayT:
        u, lg = self._noise(sample_shape, rng)
        p = self.xp.broadcast_to(self.probs, self.batch_shape)
        return _st_bernoulli(self.xp, self.adapter, u, lg, p)


class _CategoricalBase(Distribution[ArrayT]):
    """Shared ``logits``/``probs`` handling of the categorical distributions.

    With ``probs`` the log-probabilities are taken of the probabilities themselves, so a
    probability of exactly 0 gives a log-probability of exactly :math:`-\\infty` and no
    NaN gradient where it is not selected.
    """

    _fields: ClassVar[dict[str, int]] = {"_logits": 1, "_probs": 1}
    arg_constraints: ClassVar[dict[str, Constraint]] = {
        "logits": constraints.real_vector,
        "probs": constraints.simplex,
    }

    def __init__(
        self,
        *args: Never,
        logits: ArrayT | None = None,
        probs: ArrayT | None = None,
        validate_args: bool | None = None,
    ) -> None:
        keywords_only(type(self).__name__, args, "logits= or probs=")
        self._validate_args = resolve_validate(validate_args)
        self._logits, self._probs = logits_or_probs(logits, probs, 1, self._validate_args)

    @property
    def num_categories(self) -> int:
        """Number of categories :math:`K` (the last axis of the parameters)."""
        p = self._logits if self._logits is not None else self._probs
        return int(p.shape[-1])

    def _log_probs(self, keep: Array | None = None) -> Array:
        """Normalised log-probabilities, evaluated only where ``keep`` (probs case; 0
        elsewhere, :math:`-\\infty` for a kept probability of 0)."""
        xp = self.xp
        if self._probs is None:
            return _log_softmax(xp, self.adapter, self._logits)
        p = self._probs
        if keep is None:
            keep = xp.ones(p.shape, dtype=xp.bool, device=device(p))
        pos = keep & (p > 0)
        masked = xp.where(keep, -_inf(xp, p), xp.zeros_like(p))
        log_p = xp.where(pos, _guarded_log(xp, p, pos), masked)
        return log_p - xp.log(xp.sum(p, axis=-1, keepdims=True))

    @property
    def logits(self) -> ArrayT:
        """Normalised log-probabilities (:math:`-\\infty` for a probability of 0)."""
        return self._log_probs()

    @property
    def probs(self) -> ArrayT:
        """Category probabilities, summing to 1 on the last axis."""
        if self._probs is not None:
            p = self._probs
            return p / self.xp.sum(p, axis=-1, keepdims=True)
        return _softmax(self.xp, self.adapter, self._logits, -1)

    @property
    def event_shape(self) -> tuple[int, ...]:
        return (self.num_categories,)

    def _full_logits(self) -> Array:
        lg = self.logits
        return self.xp.broadcast_to(lg, (*self.batch_shape, lg.shape[-1]))

    def _log_prob_of(self, hit: Array) -> Array:
        """Log mass of the category marked by the boolean one-hot ``hit`` (last axis)."""
        xp = self.xp
        if self._probs is None:
            return xp.sum(xp.where(hit, self._log_probs(), 0.0), axis=-1)
        p = self._probs
        p_hit = xp.sum(xp.where(hit, p, 0.0), axis=-1)
        return xp.log(p_hit) - xp.log(xp.sum(p, axis=-1))

    def _entropy(self) -> Array:
        xp, p = self.xp, self.probs
        return -xp.sum(_xlogy_where(xp, p, self._log_probs(p > 0)), axis=-1)

    def _enumerate_indices(self, expand: bool) -> Array:
        xp = self.xp
        ref = self._logits if self._logits is not None else self._probs
        k = self.num_categories
        values = xp.reshape(xp.arange(k, device=device(ref)), (k,) + (1,) * len(self.batch_shape))
        return xp.broadcast_to(values, (k, *self.batch_shape)) if expand else values


class Categorical(_CategoricalBase[ArrayT]):
    r"""Categorical distribution over indices :math:`\{0, \dots, K-1\}` on the last axis.

    ``logits`` may be unnormalised; the ``logits`` property returns the normalised
    log-probabilities. ``sample`` returns integer indices (Gumbel-max with uniform noise).

    Parameters
    ----------
    logits : array, optional
        Unnormalised log-probabilities, last axis :math:`K \ge 1`.
    probs : array, optional
        Probabilities in [0, 1] (normalised over the last axis; they must sum to more
        than 0). Exactly one of the two, as a keyword: a positional argument raises
        TypeError (``torch.distributions.Categorical(p)`` reads probabilities).
    validate_args : bool, optional
        Check ``probs`` and the values given to :meth:`log_prob` (integers in
        :math:`[0, K-1]`); default :func:`set_default_validate_args` (on). Skipped
        under ``jax.jit`` / ``torch.compile`` (the checks need concrete values).

    Examples
    --------
    >>> import numpy as np
    >>> from relaxarray.distributions import Categorical
    >>> d = Categorical(probs=np.array([0.1, 0.1, 0.8]))
    >>> np.round(d.log_prob(np.array([2, 0])), 4)
    array([-0.2231, -2.3026])
    >>> d.enumerate_support()
    array([0, 1, 2])
    """

    @property
    def event_shape(self) -> tuple[int, ...]:
        return ()

    @property
    def support(self) -> Constraint:
        return constraints.integer_interval(0, self.num_categories - 1)

    def sample(self, sample_shape: int | tuple[int, ...] = (), *, rng: object = None) -> ArrayT:
        xp, _, z, _ = _perturbed(self._full_logits(), None, -1, sample_shape, rng, None)
        return xp.argmax(self.adapter.stop_gradient(z), axis=-1)

    def log_prob(self, value: Array) -> ArrayT:
        """Log mass of integer ``value`` (shape ``sample_shape + batch_shape``)."""
        self._validate_sample(value)
        xp = self.xp
        k = self.num_categories
        ref = self._logits if self._logits is not None else self._probs
        hit = xp.expand_dims(value, axis=-1) == xp.arange(k, device=device(ref))
        return self._log_prob_of(hit)

    def entropy(self) -> ArrayT:
        return self._entropy()

    def enumerate_support(self, expand: bool = True) -> ArrayT:
        """The indices ``0, ..., K-1`` along a new leading axis (broadcast to the batch
        shape if ``expand``)."""
        return self._enumerate_indices(expand)

    @property
    def mode(self) -> ArrayT:
        return self.xp.argmax(self._full_logits(), axis=-1)

    @property
    def mean(self) -> ArrayT:
        raise NotImplementedError(
            "the mean of a category index is not meaningful; use OneHotCategorical.mean"
        )


class OneHotCategorical(Categorical[ArrayT]):
    r"""Categorical distribution over one-hot vectors (event shape ``(K,)``).

    Parameters are those of :class:`Categorical` (keywords only); ``log_prob`` validates
    that its values are one-hot vectors.

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

    @property
    def support(self) -> Constraint:
        return constraints.one_hot

    def sample(self, sample_shape: int | tuple[int, ...] = (), *, rng: object = None) -> ArrayT:
        xp, adapter, z, _ = _perturbed(self._full_logits(), None, -1, sample_shape, rng, None)
        return _one_hot_of_argmax(xp, adapter.stop_gradient(z), -1, z.dtype)

    def log_prob(self, value: Array) -> ArrayT:
        """Log mass of one-hot ``value``: :math:`\\sum_k v_k \\log p_k`."""
        self._validate_sample(value)
        return self._log_prob_of(value > 0)

    def enumerate_support(self, expand: bool = True) -> ArrayT:
        """The :math:`K` one-hot vectors along a new leading axis, shape
        ``(K,) + batch_shape + (K,)`` if ``expand``, else ``(K,) + (1,) * len(batch) + (K,)``."""
        xp = self.xp
        ref = self._logits if self._logits is not None else self._probs
        idx = self._enumerate_indices(expand)
        k = self.num_categories
        eye = xp.arange(k, device=device(ref))
        return xp.astype(xp.expand_dims(idx, axis=-1) == eye, ref.dtype)

    @property
    def mean(self) -> ArrayT:
        p = self.probs
        return self.xp.broadcast_to(p, (*self.batch_shape, p.shape[-1]))

    @property
    def mode(self) -> ArrayT:
        lg = self._full_logits()
        return _one_hot_of_argmax(self.xp, lg, -1, lg.dtype)

    @property
    def variance(self) -> ArrayT:
        p = self.mean
        return p * (1.0 - p)


class StraightThroughCategorical(OneHotCategorical[ArrayT]):
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
        self,
        *args: Never,
        temperature: Any = 1.0,
        logits: ArrayT | None = None,
        probs: ArrayT | None = None,
        validate_args: bool | None = None,
    ) -> None:
        keywords_only(type(self).__name__, args, "temperature=, logits= or probs=")
        super().__init__(logits=logits, probs=probs, validate_args=validate_args)
        p = self._logits if self._logits is not None else self._probs
        self.temperature = check_temperature(temperature, p, 1)

    def rsample(self, sample_shape: int | tuple[int, ...] = (), *, rng: object = None) -> ArrayT:
        t = self.temperature
        if hasattr(t, "shape"):
            t = self.xp.expand_dims(t, axis=-1)
        return gumbel_softmax(
            self._full_logits(), temperature=t, hard=True, sample_shape=sample_shape, rng=rng
        )


@register_kl(Bernoulli, Bernoulli)
def _kl_bernoulli(p: Bernoulli[Array], q: Bernoulli[Array]) -> Array:
    xp, pp = p.xp, p.probs
    w1, w0 = pp > 0, pp < 1
    lp1, lp0 = p._log_masses(w1, w0)
    lq1, lq0 = q._log_masses(w1, w0)
    return _xlogy_where(xp, pp, xp.where(w1, lp1 - lq1, 0.0)) + _xlogy_where(
        xp, 1.0 - pp, xp.where(w0, lp0 - lq0, 0.0)
    )


@register_kl(Categorical, Categorical)
def _kl_categorical(p: Categorical[Array], q: Categorical[Array]) -> Array:
    xp, pp = p.xp, p.probs
    w = pp > 0
    diff = xp.where(w, p._log_probs(w) - q._log_probs(w), 0.0)
    return xp.sum(_xlogy_where(xp, pp, diff), axis=-1)
