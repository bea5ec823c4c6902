r"""Relaxed (binary Concrete) and straight-through samplers for Bernoulli variables.

Base noise: uniform :math:`u \in (0, 1)` of the sample's full shape.

- :func:`relaxed_bernoulli`: :math:`y = \sigma\bigl((\ell + \log u - \log(1-u)) / T\bigr)`,
  the binary Concrete of Maddison et al. 2017 (Jang et al. 2017); ``hard=True`` returns
  :math:`\mathbb{1}[\ell + \log u - \log(1 - u) > 0]` with the gradient of ``y``.
- :func:`straight_through_bernoulli`: :math:`b = \mathbb{1}[u < \sigma(\ell)]` with the
  identity pseudo-gradient of Bengio et al. 2013 as in the tutorial's "Bernoulli-STE".
"""

from __future__ import annotations

from typing import Any

from relaxarray._lib._typing import Array, ArrayT, Namespace
from relaxarray._namespace import as_float_array, check_positive, namespace_and_adapter
from relaxarray._sampling import batch_of, get_noise, sigmoid
from relaxarray._straight_through import straight_through
from relaxarray.backends._base import Adapter

__all__ = ["relaxed_bernoulli", "straight_through_bernoulli"]


def _bernoulli_threshold(
    xp: Namespace, u: Array, logits: Array, *, antithetic: bool = False
) -> Array:
    r"""The one Bernoulli threshold: the boolean :math:`u < \sigma(\ell)` (``antithetic``:
    :math:`1 - u < \sigma(\ell)`), for uniform ``u`` and logits ``ell`` (no gradient).

    Computed against :math:`s = \sigma(-|\ell|) = e^{-|\ell|} / (1 + e^{-|\ell|})
    \in (0, 1/2]`, which has full relative precision for every :math:`\ell`:
    for :math:`\ell < 0`, :math:`u < s`; for :math:`\ell \ge 0`,
    :math:`u < 1/2` or :math:`1 - u > s` (:math:`1 - u` is exact for :math:`u \ge 1/2`).
    The only rounding left is that of :math:`s` (a few ulps), so the event matches the
    exact real comparison except for :math:`u` within a few ulps of :math:`\sigma(\ell)`.
    ``u < sigmoid(l)`` instead loses the upper tail (``sigmoid`` rounds to 1 for
    :math:`\ell \gtrsim 17` in float32, so :math:`u = 1 - 2^{-24}` gives 1 where the exact
    event is 0), and the log-space forms ``log(u) < log_sigmoid(l)`` or
    ``logit(u) < l`` lose the lower tail (an absolute error of an ulp of :math:`|\log u|`
    covers many float32 values of :math:`u`). Measured on float32 draws placed within
    6 ulps of :math:`\sigma(\ell)`, :math:`\ell \in [-85, 85]`, against a float64
    reference: this form has no error beyond 3 ulps, the log and logit forms err up to
    6 ulps and beyond, ``u < exp(log_sigmoid(l))`` too. ``antithetic`` uses
    :math:`1 - u < \sigma(\ell) \iff \lnot(u \le \sigma(-\ell))` with the same ``s``.
    """
    lg = -logits if antithetic else logits
    e = xp.exp(-xp.abs(lg))
    s = e / (1.0 + e)
    if antithetic:
        below = xp.where(lg < 0, u <= s, (u < 0.5) | ((1.0 - u) >= s))
        return ~below
    return xp.where(lg < 0, u < s, (u < 0.5) | ((1.0 - u) > s))


def _st_bernoulli(xp: Namespace, adapter: Adapter, u: Array, logits: Array, soft: Array) -> Array:
    r"""The one straight-through Bernoulli kernel: the value
    :math:`b = \mathbb{1}[u < \sigma(\ell)]` (:func:`_bernoulli_threshold`), exactly,
    with the gradient of the caller's surrogate ``soft`` (:math:`\sigma(\ell)`,
    :math:`\sigma(\ell / T)`, :math:`\ell` or :math:`p`). Behind
    :func:`straight_through_bernoulli`, ``estimators.st_bernoulli`` and
    ``distributions.StraightThroughBernoulli``."""
    b = _bernoulli_threshold(xp, u, adapter.stop_gradient(logits))
    return straight_through(xp.astype(b, soft.dtype), soft)


def relaxed_bernoulli(
    logits: ArrayT,
    /,
    *,
    temperature: Any = 1.0,
    hard: bool = False,
    sample_shape: int | tuple[int, ...] = (),
    rng: object = None,
    noise: Array | None = None,
) -> ArrayT:
    r"""Binary Concrete (relaxed Bernoulli) sample, optionally straight-through.

    .. math:: y = \sigma\Bigl(\frac{\ell + L}{T}\Bigr), \qquad
       L = \log u - \log(1 - u) \sim \mathrm{Logistic}(0, 1)

    As :math:`T \to 0`, :math:`y \to \mathbb{1}[\ell + L > 0] \sim \mathrm{Bern}(\sigma(\ell))`.
    With ``hard=True`` the value is exactly that indicator and the gradient is the soft
    ``y``'s.

    Parameters
    ----------
    logits : array
        :math:`\ell = \log p - \log(1 - p)`.
    temperature : float or array
        :math:`T > 0`; an array must broadcast with ``logits``.
    hard : bool
        Straight-through: value in {0, 1}, gradient of the relaxed sample.
    sample_shape : int or tuple of int
        Leading shape of independent samples (only with ``rng=``).
    rng : int, native generator or JAX key
        Draw uniform noise of shape ``sample_shape + batch_shape``.
    noise : array
        Uniform noise in (0, 1) of the sample's full shape. Exactly one of ``rng``/``noise``.

    References
    ----------
    Maddison, Mnih & Teh 2017, "The Concrete distribution", section 3.3 (binary case).

    Examples
    --------
    >>> import numpy as np
    >>> import relaxarray as rx
    >>> u = np.array([0.3, 0.8])
    >>> np.round(rx.relaxed_bernoulli(np.array([0.0, -1.0]), temperature=0.5, noise=u), 4)
    array([0.1552, 0.6841])
    >>> rx.relaxed_bernoulli(np.array([0.0, -1.0]), hard=True, noise=u)
    array([0., 1.])
    """
    xp, adapter = namespace_and_adapter(logits, temperature)
    as_float_array(logits, "logits", xp)
    check_positive(temperature, "temperature", adapter)
    batch = tuple(logits.shape)
    if hasattr(temperature, "shape"):
        batch = batch_of(xp, [("logits", batch), ("temperature", tuple(temperature.shape))])
    u = get_noise(
        xp,
        adapter,
        rng=rng,
        noise=noise,
        sample_shape=sample_shape,
        batch_shape=batch,
        like=logits,
    )
    z = logits + (xp.log(u) - xp.log1p(-u))
    scaled = z if (isinstance(temperature, (int, float)) and temperature == 1) else z / temperature
    soft = sigmoid(xp, adapter, scaled)
    if not hard:
        return soft
    sg = adapter.stop_gradient
    return xp.astype(z > 0, soft.dtype) + (soft - sg(soft))


def straight_through_bernoulli(
    logits: ArrayT,
    /,
    *,
    sample_shape: int | tuple[int, ...] = (),
    rng: object = None,
    noise: Array | None = None,
) -> ArrayT:
    r"""Bernoulli sample with the straight-through (identity) pseudo-gradient.

    .. math:: b = \mathbb{1}[u < p], \quad p = \sigma(\ell), \qquad
       \frac{\partial b}{\partial p} \overset{\text{def}}{=} 1

    The value is an exact :math:`\mathrm{Bern}(\sigma(\ell))` sample (the comparison is
    made without rounding :math:`\sigma(\ell)` to 1 in the upper tail) (the inverse-CDF
    reparameterisation :math:`t(u, p) = \mathbb{1}_{(0, p)}(u)` of the tutorial). Its
    Jacobian is 0 almost everywhere, so the tutorial's "Bernoulli-STE" replaces
    :math:`\partial t / \partial p` by the identity; the chain rule then continues through
    :math:`p = \sigma(\ell)`. So the returned array has the value ``b`` and the gradient of
    ``sigmoid(logits)``: :math:`\partial b / \partial \ell = \sigma(\ell)(1 - \sigma(\ell))`.
    This is the surrogate of Bengio et al. 2013 applied to the probability (not to the
    logit, whose identity surrogate would give gradient 1); it is biased.

    Parameters
    ----------
    logits : array
        :math:`\ell = \log p - \log(1 - p)`.
    sample_shape, rng, noise
        As in :func:`relaxed_bernoulli` (``noise`` is uniform in (0, 1)).

    Examples
    --------
    >>> import numpy as np
    >>> import relaxarray as rx
    >>> rx.straight_through_bernoulli(np.array([0.0, 2.0]), noise=np.array([0.6, 0.6]))
    array([0., 1.])
    """
    xp, adapter = namespace_and_adapter(logits)
    as_float_array(logits, "logits", xp)
    u = get_noise(
        xp,
        adapter,
        rng=rng,
        noise=noise,
        sample_shape=sample_shape,
        batch_shape=tuple(logits.shape),
        like=logits,
    )
    return _st_bernoulli(xp, adapter, u, logits, sigmoid(xp, adapter, logits))
