r"""Gumbel-max and Gumbel-softmax (Concrete) samplers for categorical variables.

Base noise: uniform :math:`u \in (0, 1)` of the sample's full shape (the category axis
included); the Gumbel noise is :math:`g = -\log(-\log u)`. With ``noise=u`` the sample is
a pure function of ``(u, logits, temperature)``, identical on every backend.

References: Gumbel 1954; Maddison, Tarlow & Minka 2014 (Gumbel-max);
Jang, Gu & Poole 2017 and Maddison, Mnih & Teh 2017 (Gumbel-softmax / Concrete).
"""

from __future__ import annotations

from typing import Any

from relaxarray._lib._typing import Array, ArrayT, Namespace
from relaxarray._namespace import check_category_axis, check_positive, float_namespace
from relaxarray._relaxations import _exact_division, _one_hot_of_argmax, _softmax
from relaxarray._sampling import batch_of, get_noise
from relaxarray._straight_through import _straight_through
from relaxarray.backends._base import Adapter

__all__ = ["gumbel_max", "gumbel_softmax"]


def _scaled(z: Array, temperature: Any) -> Array:
    """``z / temperature``, skipping the division for the Python number 1."""
    if isinstance(temperature, (int, float)) and temperature == 1:
        return z
    return z / temperature


def _st_gumbel_softmax(
    xp: Namespace, adapter: Adapter, z: Array, temperature: Any, axis: int, exact: bool = False
) -> Array:
    r"""The straight-through Gumbel-softmax kernel (Jang et al. 2017), for perturbed
    logits :math:`z = \ell + g`: the value :math:`\mathrm{onehot}(\arg\max z)` (first
    maximum), exactly, with the gradient of :math:`\mathrm{softmax}(z / T)`.

    Every straight-through Gumbel-softmax entry point calls this: ``gumbel_softmax(hard=True)``,
    ``estimators.st_gumbel_softmax``, ``StraightThroughCategorical.rsample`` and the decoupled
    form (with :math:`z = \ell / T_f + g`, :math:`T = T_b`). ``z`` is shifted by its
    (stop-gradient) maximum before the division, so :math:`z / T` never overflows and XLA
    cannot re-associate the shift after a huge division (softmax is shift-invariant, so the
    value and gradient are unchanged). ``exact=True`` says the division by ``temperature``
    is exact (:func:`relaxarray._relaxations._exact_division`): the shift is then skipped,
    as the softmax kernel subtracts the maximum itself.
    """
    z0 = adapter.stop_gradient(z)
    if exact:
        soft = _softmax(xp, adapter, _scaled(z, temperature), axis)
    else:
        m = xp.max(z0, axis=axis, keepdims=True)
        m = xp.where(xp.isfinite(m), m, xp.zeros_like(m))
        soft = _softmax(xp, adapter, _scaled(z - m, temperature), axis)
    return _straight_through(adapter, _one_hot_of_argmax(xp, z0, axis, soft.dtype, adapter), soft)


def _perturbed(
    logits: Array, temperature: Any, axis: int, sample_shape: Any, rng: object, noise: Any
) -> tuple[Namespace, Adapter, Array, int]:
    """``(xp, adapter, logits + g, negative axis)``; temperature only validated here."""
    xp, adapter, z, axis, _ = _perturbed_exact(logits, temperature, axis, sample_shape, rng, noise)
    return xp, adapter, z, axis


def _perturbed_exact(
    logits: Array, temperature: Any, axis: int, sample_shape: Any, rng: object, noise: Any
) -> tuple[Namespace, Adapter, Array, int, bool]:
    """``(xp, adapter, logits + g, negative axis, exact)``; temperature only validated
    here; ``exact``: dividing by the temperature is exact (no shift needed first)."""
    xp, adapter, wide = float_namespace(logits, "logits", temperature)
    axis = check_category_axis(logits, axis, "logits") - logits.ndim
    batch = tuple(logits.shape)
    if temperature is not None and type(temperature) is not float:
        check_positive(temperature, "temperature", adapter)
        if hasattr(temperature, "shape"):
            batch = batch_of(xp, [("logits", batch), ("temperature", tuple(temperature.shape))])
    elif temperature is not None:
        check_positive(temperature, "temperature", adapter)
    u = get_noise(
        xp,
        adapter,
        rng=rng,
        noise=noise,
        sample_shape=sample_shape,
        batch_shape=batch,
        like=logits,
    )
    exact = temperature is not None and _exact_division(temperature, wide)
    lnl = adapter.log_neg_log(u, noise is None)  # drawn noise may be overwritten
    return xp, adapter, logits - (xp.log(-xp.log(u)) if lnl is None else lnl), axis, exact


def gumbel_max(
    logits: ArrayT,
    /,
    *,
    axis: int = -1,
    sample_shape: int | tuple[int, ...] = (),
    rng: object = None,
    noise: Array | None = None,
) -> ArrayT:
    r"""Exact categorical sample as a one-hot array (the Gumbel-max trick).

    .. math:: \mathrm{onehot}\bigl(\arg\max_k\,(\ell_k + g_k)\bigr), \qquad
       g_k = -\log(-\log u_k),\ u_k \sim \mathcal{U}(0, 1)

    is distributed as :math:`\mathrm{Cat}(\mathrm{softmax}(\ell))`. No gradient flows.

    Parameters
    ----------
    logits : array
        Unnormalised log-probabilities; ``axis`` is the category axis.
    axis : int
        The category axis of ``logits``.
    sample_shape : int or tuple of int
        Leading shape of independent samples (only with ``rng=``).
    rng : int, native generator or JAX key
        Draw uniform noise of shape ``sample_shape + logits.shape``.
    noise : array
        Uniform noise in (0, 1) of the sample's full shape (broadcasting with ``logits``
        to its own shape). Exactly one of ``rng`` and ``noise``.

    Returns
    -------
    array
        One-hot samples of shape ``sample_shape + logits.shape`` in ``logits``' dtype.

    Examples
    --------
    >>> import numpy as np
    >>> import relaxarray as rx
    >>> rx.gumbel_max(np.log(np.array([0.2, 0.3, 0.5])), noise=np.array([0.1, 0.9, 0.5]))
    array([0., 1., 0.])
    """
    xp, adapter, z, ax = _perturbed(logits, None, axis, sample_shape, rng, noise)
    return _one_hot_of_argmax(xp, z, ax, logits.dtype, adapter)


def gumbel_softmax(
    logits: ArrayT,
    /,
    *,
    temperature: Any = 1.0,
    hard: bool = False,
    axis: int = -1,
    sample_shape: int | tuple[int, ...] = (),
    rng: object = None,
    noise: Array | None = None,
) -> ArrayT:
    r"""Relaxed one-hot sample (Gumbel-softmax / Concrete), optionally straight-through.

    .. math:: y = \mathrm{softmax}\Bigl(\frac{\ell + g}{T}\Bigr), \qquad
       g_k = -\log(-\log u_k)

    With ``hard=True`` the value is the one-hot ``gumbel_max`` sample of the same noise,
    exactly, and the gradient is that of the soft ``y`` (straight-through Gumbel-softmax,
    Jang et al. 2017): :math:`\mathrm{sg}(h) + y - \mathrm{sg}(y)`.

    Parameters
    ----------
    logits : array
        Unnormalised log-probabilities.
    temperature : float or array
        :math:`T > 0`; an array must broadcast with ``logits`` (use size 1 on ``axis``).
    hard : bool
        Straight-through: one-hot value, soft gradient.
    axis, sample_shape, rng, noise
        As in :func:`gumbel_max` (``noise`` is uniform in (0, 1)).

    Examples
    --------
    >>> import numpy as np
    >>> import relaxarray as rx
    >>> u = np.array([0.1, 0.9, 0.5])
    >>> y = rx.gumbel_softmax(np.log(np.array([0.2, 0.3, 0.5])), temperature=0.5, noise=u)
    >>> round(float(y[1]), 4)
    0.9389
    >>> rx.gumbel_softmax(np.log(np.array([0.2, 0.3, 0.5])), hard=True, noise=u)
    array([0., 1., 0.])
    """
    xp, adapter, z, ax, exact = _perturbed_exact(
        logits, temperature, axis, sample_shape, rng, noise
    )
    if hard:
        return _st_gumbel_softmax(xp, adapter, z, temperature, ax, exact)
    return _softmax(xp, adapter, _scaled(z, temperature), ax)
