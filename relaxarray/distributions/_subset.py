r"""The Gumbel-top-k distribution over ordered subsets (Kool et al. 2019)."""

from __future__ import annotations

from typing import Any, ClassVar

from relaxarray._gates import _float_param
from relaxarray._lib._typing import Array, ArrayT
from relaxarray._namespace import as_float_array, check_positive, namespace_and_adapter
from relaxarray._subset import _check_k, _ordered_top_k, _plackett_luce_log_prob, gumbel_top_k
from relaxarray.distributions._base import Distribution
from relaxarray.random import draw_uniform

__all__ = ["GumbelTopK"]


class GumbelTopK(Distribution[ArrayT]):
    r"""Ordered samples of :math:`k` items without replacement (Gumbel-top-k).

    ``sample`` returns the indices :math:`(i_1, \dots, i_k)` of the :math:`k` largest
    perturbed logits :math:`\ell_i + g_i`, largest first (integer array of shape
    ``sample_shape + batch_shape + (k,)``); this ordered sample follows the Plackett-Luce
    distribution, and ``log_prob`` of such an ordered sample is

    .. math::

        \log p(i_1, \dots, i_k) = \sum_{j=1}^{k}\left(\ell_{i_j}
        - \log\!\sum_{m \notin \{i_1, \dots, i_{j-1}\}} e^{\ell_m}\right)

    (:math:`-\infty` for a repeated or out-of-range index). ``rsample`` returns the
    relaxed k-hot vector of :func:`relaxarray.gumbel_top_k` at ``temperature`` (shape
    ``sample_shape + batch_shape + (K,)``), differentiable in ``logits``; note that it is
    a relaxation of the unordered subset, not a sample of the indices.

    Parameters
    ----------
    logits : array
        Unnormalised log-probabilities of the :math:`K` items (last axis).
    k : int
        Subset size.
    temperature : float or array, optional
        Temperature of ``rsample``'s relaxation.

    Examples
    --------
    >>> import numpy as np
    >>> from relaxarray.distributions import GumbelTopK
    >>> d = GumbelTopK(np.log(np.array([0.5, 0.3, 0.2])), 2)
    >>> round(float(np.exp(d.log_prob(np.array([0, 1])))), 12)  # 0.5 * 0.3 / (1 - 0.5)
    0.3
    """

    has_rsample: ClassVar[bool] = True
    _fields: ClassVar[dict[str, int]] = {"logits": 1}

    def __init__(self, logits: ArrayT, k: int, temperature: Any = 1.0) -> None:
        xp, adapter = namespace_and_adapter(logits, temperature)
        self.logits = as_float_array(logits, "logits", xp)
        if logits.ndim == 0:
            raise ValueError("logits must have at least one dimension")
        self.k = _check_k(k, logits.shape[-1])
        self.temperature = _float_param(temperature, "temperature", xp, logits)
        check_positive(self.temperature, "temperature", adapter)

    def _gumbel(self, sample_shape: int | tuple[int, ...], rng: object) -> Array:
        u = draw_uniform(self.adapter, rng, self._extended_shape(sample_shape), self.logits)
        xp = self.xp
        return -xp.log(-xp.log(u))

    def sample(self, sample_shape: int | tuple[int, ...] = (), *, rng: object = None) -> ArrayT:
        """Ordered indices of shape ``sample_shape + batch_shape + (k,)`` (no gradient)."""
        xp = self.xp
        keys = self.adapter.stop_gradient(self.logits) + self._gumbel(sample_shape, rng)
        return _ordered_top_k(xp, keys, self.k)

    def rsample(self, sample_shape: int | tuple[int, ...] = (), *, rng: object = None) -> ArrayT:
        """Relaxed k-hot vectors of shape ``sample_shape + batch_shape + (K,)``."""
        g = self._gumbel(sample_shape, rng)
        return gumbel_top_k(self.logits, self.k, temperature=self.temperature, noise=g)

    def log_prob(self, value: Array) -> ArrayT:
        """Plackett-Luce log probability of ordered indices ``value`` (last axis of size k)."""
        if value.shape[-1] != self.k:
            raise ValueError(f"value must have k={self.k} indices on its last axis")
        return _plackett_luce_log_prob(self.xp, self.adapter, self.logits, value)
