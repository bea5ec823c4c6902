r"""The straight-through family: samples whose value is a hard (one-hot or 0/1) sample and
whose gradient is a pseudo-gradient.

- :func:`st_bernoulli`, :func:`st_categorical`: Bengio et al. (2013); identity or tempered
  sigmoid/softmax pseudo-gradients.
- :func:`st_gumbel_softmax`: Jang et al. (2017), hard Gumbel-softmax.
- :func:`gapped_st`: Fan et al. (2022), GST with a deterministic gapped perturbation.
- :func:`gumbel_rao`: Paulus et al. (2021), Rao-Blackwellised ST Gumbel-softmax.
- :func:`reinmax`: Liu et al. (2023), second-order (Heun) straight-through.
- :func:`decoupled_st`: Shah et al. (2024), separate forward and backward temperatures.

Every function draws uniform noise of shape ``sample_shape + logits.shape`` (the
``sample_shape=`` argument, ``()`` by default) from ``rng``, or takes it as ``noise``;
categorical samples are Gumbel-max samples
:math:`D = \mathrm{onehot}(\arg\max(\theta - \log(-\log u)))`. All are biased.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

from relaxarray._bernoulli import _st_bernoulli
from relaxarray._decoupled import _check_decoupled, _decoupled_st
from relaxarray._gumbel import _st_gumbel_softmax
from relaxarray._lib._typing import Array, ArrayT, Namespace
from relaxarray._namespace import as_float_array, namespace_and_adapter
from relaxarray._relaxations import _softmax
from relaxarray._sampling import sigmoid_precise
from relaxarray._straight_through import straight_through
from relaxarray.backends._base import Adapter
from relaxarray.estimators._common import fill_markers
from relaxarray.estimators._st_common import (
    check_temperature,
    conditional_gumbel,
    normalize_axis,
    one_hot_of_argmax,
    uniform_noise,
)
from relaxarray.estimators._st_common import sample_shape as lead_shape
from relaxarray.random import gumbel_from_uniform as gumbel

__all__ = [
    "decoupled_st",
    "gapped_st",
    "gumbel_rao",
    "reinmax",
    "st_bernoulli",
    "st_categorical",
    "st_gumbel_softmax",
]

_NOISE_DOC = """    sample_shape : int or tuple of int
        Leading axes of the draws: samples of shape ``(*sample_shape, *logits.shape)``
        (``()``: one sample of ``logits.shape``), as in the samplers and distributions.
    num_samples : int or None
        Deprecated old name: ``num_samples=S`` is ``sample_shape=(S,)``; it warns.
    rng, noise
        Uniform ``[tiny, 1)`` noise of the sample's shape is drawn from ``rng`` or given as
        ``noise`` (at most one of them)."""


def _cat_setup(
    logits: Array, axis: int, lead: tuple[int, ...], rng: object, noise: Array | None
) -> tuple[Namespace, Adapter, Array, int, Array, Array]:
    """Return ``(xp, adapter, logits broadcast to the sample, axis, u, D)``."""
    xp, adapter = namespace_and_adapter(logits)
    as_float_array(logits, "logits", xp)
    ax = normalize_axis(logits, axis)
    shape = (*lead, *logits.shape)
    u = uniform_noise(xp, adapter, logits, shape, rng, noise)
    th = xp.broadcast_to(logits, shape) if lead else logits
    ax = ax + len(lead)
    d = one_hot_of_argmax(xp, adapter.stop_gradient(th) + gumbel(xp, u), ax)
    return xp, adapter, th, ax, u, d


_sigmoid = sigmoid_precise


def st_bernoulli(
    logits: ArrayT,
    /,
    *,
    pseudo: str = "sigmoid",
    temperature: Any = 1.0,
    sample_shape: int | tuple[int, ...] = (),
    num_samples: int | None = None,
    rng: object = None,
    noise: Array | None = None,
) -> ArrayT:
    r"""Straight-through Bernoulli sample (Bengio et al. 2013).

    Value :math:`b = \mathbb{1}[u < \sigma(\theta)]`; gradient that of
    :math:`\sigma(\theta / T)` (``pseudo="sigmoid"``) or of :math:`\theta` itself
    (``pseudo="identity"``: the threshold is treated as the identity).

    Parameters
    ----------
    logits : array
    pseudo : {"sigmoid", "identity"}
    temperature : float or array
        Temperature of the sigmoid pseudo-gradient.
    @NOISE@

    Examples
    --------
    >>> import numpy as np
    >>> from relaxarray import estimators as est
    >>> est.st_bernoulli(np.array([-50.0, 50.0]), rng=0)
    array([0., 1.])
    """
    xp, adapter = namespace_and_adapter(logits)
    as_float_array(logits, "logits", xp)
    if pseudo not in ("sigmoid", "identity"):
        raise ValueError(f"pseudo must be 'sigmoid' or 'identity', got {pseudo!r}")
    check_temperature(temperature, adapter)
    shape = (*lead_shape(sample_shape, num_samples, "st_bernoulli"), *logits.shape)
    u = uniform_noise(xp, adapter, logits, shape, rng, noise)
    th = xp.broadcast_to(logits, shape)
    soft = _sigmoid(xp, th / temperature) if pseudo == "sigmoid" else th
    return _st_bernoulli(xp, adapter, u, th, soft)


def st_categorical(
    logits: ArrayT,
    /,
    *,
    pseudo: str = "softmax",
    temperature: Any = 1.0,
    axis: int = -1,
    sample_shape: int | tuple[int, ...] = (),
    num_samples: int | None = None,
    rng: object = None,
    noise: Array | None = None,
) -> ArrayT:
    r"""Straight-through one-hot categorical sample (Bengio et al. 2013).

    Value :math:`D \sim \mathrm{Cat}(\operatorname{softmax}\theta)` (one-hot along
    ``axis``); gradient that of :math:`\operatorname{softmax}(\theta / T)`
    (``pseudo="softmax"``) or of :math:`\theta` (``pseudo="identity"``).

    Parameters
    ----------
    logits : array
    pseudo : {"softmax", "identity"}
    temperature : float or array
    axis : int
    @NOISE@

    Examples
    --------
    >>> import numpy as np
    >>> from relaxarray import estimators as est
    >>> est.st_categorical(np.array([0.0, 60.0, 0.0]), rng=0)
    array([0., 1., 0.])
    """
    if pseudo not in ("softmax", "identity"):
        raise ValueError(f"pseudo must be 'softmax' or 'identity', got {pseudo!r}")
    lead = lead_shape(sample_shape, num_samples, "st_categorical")
    xp, adapter, th, ax, _, d = _cat_setup(logits, axis, lead, rng, noise)
    check_temperature(temperature, adapter)
    soft = _softmax(xp, adapter, th / temperature, ax) if pseudo == "softmax" else th
    return straight_through(d, soft)


def st_gumbel_softmax(
    logits: ArrayT,
    /,
    *,
    temperature: Any = 1.0,
    axis: int = -1,
    sample_shape: int | tuple[int, ...] = (),
    num_samples: int | None = None,
    rng: object = None,
    noise: Array | None = None,
) -> ArrayT:
    r"""Straight-through Gumbel-softmax (Jang et al. 2017).

    With :math:`G = -\log(-\log u)`: value :math:`D = \mathrm{onehot}(\arg\max(\theta+G))`,
    gradient that of :math:`\operatorname{softmax}((\theta + G)/T)` (``G`` fixed).

    Parameters
    ----------
    logits : array
    temperature : float or array
    axis : int
    @NOISE@

    Examples
    --------
    >>> import numpy as np
    >>> from relaxarray import estimators as est
    >>> est.st_gumbel_softmax(np.array([0.0, 60.0, 0.0]), temperature=0.5, rng=0)
    array([0., 1., 0.])
    """
    lead = lead_shape(sample_shape, num_samples, "st_gumbel_softmax")
    xp, adapter, th, ax, u, _ = _cat_setup(logits, axis, lead, rng, noise)
    check_temperature(temperature, adapter)
    return _st_gumbel_softmax(xp, adapter, th + gumbel(xp, u), temperature, ax)


def decoupled_st(
    logits: ArrayT,
    /,
    *,
    forward_temperature: Any = 1.0,
    backward_temperature: Any = 1.0,
    axis: int = -1,
    sample_shape: int | tuple[int, ...] = (),
    num_samples: int | None = None,
    rng: object = None,
    noise: Array | None = None,
    temperature_forward: Any = None,
    temperature_backward: Any = None,
) -> ArrayT:
    r"""Decoupled straight-through Gumbel-softmax (Shah et al. 2024), with uniform noise.

    The same kernel as :func:`relaxarray.decoupled_st_gumbel_softmax`: with
    :math:`G = -\log(-\log u)` and :math:`y = \theta / T_f + G`, the value is
    :math:`\mathrm{onehot}(\arg\max y) \sim \mathrm{Cat}(\operatorname{softmax}(\theta/T_f))`
    and the gradient that of :math:`\operatorname{softmax}(y / T_b)`. :math:`T_f = 1`
    is the ST Gumbel-softmax at temperature :math:`T_b`.

    Parameters
    ----------
    logits : array
    forward_temperature, backward_temperature : float or array
        :math:`T_f > 0` and :math:`T_b > 0`.
    axis : int
    @NOISE@
    temperature_forward, temperature_backward
        Deprecated spellings of ``forward_temperature`` and ``backward_temperature``.

    Examples
    --------
    >>> import numpy as np
    >>> from relaxarray import estimators as est
    >>> est.decoupled_st(np.array([0.0, 60.0, 0.0]), forward_temperature=2.0, rng=0)
    array([0., 1., 0.])
    """
    for old, new in (
        ("temperature_forward", "forward_temperature"),
        ("temperature_backward", "backward_temperature"),
    ):
        value = temperature_forward if old == "temperature_forward" else temperature_backward
        if value is None:
            continue
        warnings.warn(
            f"decoupled_st: {old}= is deprecated, use {new}=", DeprecationWarning, stacklevel=2
        )
        if new == "forward_temperature":
            forward_temperature = value
        else:
            backward_temperature = value
    xp, adapter, tf, tb, ax, _ = _check_decoupled(
        logits, forward_temperature, backward_temperature, axis, noise
    )
    lead = lead_shape(sample_shape, num_samples, "decoupled_st")
    shape = (*lead, *logits.shape)
    for t in (tf, tb):
        if hasattr(t, "shape"):
            shape = tuple(xp.broadcast_shapes(shape, tuple(t.shape)))
    u = uniform_noise(xp, adapter, logits, shape, rng, noise)
    return _decoupled_st(xp, adapter, logits, gumbel(xp, u), tf, tb, ax)


def gapped_st(
    logits: ArrayT,
    /,
    *,
    temperature: Any = 1.0,
    gap: float | str = 1.0,
    axis: int = -1,
    sample_shape: int | tuple[int, ...] = (),
    num_samples: int | None = None,
    rng: object = None,
    noise: Array | None = None,
) -> ArrayT:
    r"""Gapped straight-through estimator, GST-1.0 and GST-p (Fan et al. 2022).

    Value: the sample :math:`D` (index :math:`d`). Gradient: that of
    :math:`\operatorname{softmax}((\theta + \mathrm{sg}(m))/T)` for a deterministic
    perturbation :math:`m` that makes :math:`d` the arg max with a gap :math:`\kappa`:
    :math:`m_d = \max_j\theta_j - \theta_d` lifts the sampled logit to the maximum, and
    every other logit is pushed down to at least :math:`\kappa` below it,
    :math:`m_i = -\max(0, \theta_i - \max_j \theta_j + \kappa)`, :math:`i \ne d`.

    ``gap=1.0`` is GST-1.0 (:math:`\kappa = 1`). ``gap="p"`` is GST-p, whose gap depends on
    the sampled category's probability :math:`\pi_d = \operatorname{softmax}(\theta)_d`:

    .. math:: \kappa(\pi_d) = \frac{-\log(1 - \pi_d)}{\pi_d} \in [1, \infty),

    large when the sample is confident (:math:`\pi_d\to1`) and 1 when it is unlikely.
    :math:`\pi_d` is capped at :math:`1 - \epsilon` (``finfo(dtype).eps``) so the gap stays
    finite. The perturbation follows the authors' reference implementation (``gst_mover``
    in github.com/chijames/GST).

    Parameters
    ----------
    logits : array
    temperature : float or array
    gap : float or "p"
        The gap :math:`\kappa \ge 0` between the sampled logit and the others, or ``"p"``
        for GST-p's probability-dependent gap.
    axis : int
    @NOISE@

    Examples
    --------
    >>> import numpy as np
    >>> from relaxarray import estimators as est
    >>> est.gapped_st(np.array([0.0, 60.0, 0.0]), rng=0)
    array([0., 1., 0.])
    >>> est.gapped_st(np.array([0.0, 60.0, 0.0]), gap="p", rng=0)
    array([0., 1., 0.])
    """
    gap_p = isinstance(gap, str) and gap == "p"
    if not gap_p and (isinstance(gap, bool) or not isinstance(gap, (int, float)) or not gap >= 0):
        raise ValueError(f"gap must be a non-negative number or 'p', got {gap!r}")
    lead = lead_shape(sample_shape, num_samples, "gapped_st")
    xp, adapter, th, ax, _, d = _cat_setup(logits, axis, lead, rng, noise)
    check_temperature(temperature, adapter)
    t0 = adapter.stop_gradient(th)
    top = xp.max(t0, axis=ax, keepdims=True)
    lift = d * (top - t0)
    kappa: Any = gap
    if gap_p:
        pi = xp.sum(d * _softmax(xp, adapter, t0, ax), axis=ax, keepdims=True)
        eps = xp.finfo(t0.dtype).eps
        pi = xp.clip(pi, 0.0, 1.0 - eps)
        small = pi < 1e-4
        safe = xp.where(small, xp.full_like(pi, 0.5), pi)  # double where: no 0/0
        kappa = xp.where(small, 1 + pi / 2, -xp.log1p(-safe) / safe)
    push = -(1 - d) * xp.maximum(t0 - top + kappa, xp.zeros_like(t0))
    return straight_through(d, _softmax(xp, adapter, (th + lift + push) / temperature, ax))


def reinmax(
    logits: ArrayT,
    /,
    *,
    temperature: float = 1.0,
    axis: int = -1,
    sample_shape: int | tuple[int, ...] = (),
    num_samples: int | None = None,
    rng: object = None,
    noise: Array | None = None,
) -> ArrayT:
    r"""ReinMax (Liu et al. 2023): a second-order accurate straight-through estimator.

    With :math:`\pi_0 = \operatorname{softmax}(\theta)`, a sample :math:`D\sim\pi_0` and
    :math:`\pi_1 = (\operatorname{softmax}(\theta/T) + D)/2`, the value is :math:`D` and,
    for an upstream gradient :math:`g`, the gradient is

    .. math:: \nabla_\theta = 2\,J(\pi_1)\,g - \tfrac12 J(\pi_0)\,g,\qquad
       J(p) = \operatorname{diag}(p) - p p^\top,

    obtained from :math:`\pi_1' = \operatorname{softmax}(\mathrm{sg}(\log\pi_1 - \theta)
    + \theta)`, computed as :math:`\mathrm{sg}(\pi_1) e^{\theta - \mathrm{sg}(\theta)}`
    normalised, so that zero entries of :math:`\pi_1` never meet a logarithm (value
    :math:`\pi_1`, Jacobian :math:`J(\pi_1)`) and the output
    :math:`D + (2\pi_1' - \pi_0/2) - \mathrm{sg}(2\pi_1' - \pi_0/2)`.

    Parameters
    ----------
    logits : array
    temperature : float
        :math:`T \ge 1` (the paper's requirement); smaller values raise ``ValueError``.
    axis : int
    @NOISE@

    Examples
    --------
    >>> import numpy as np
    >>> from relaxarray import estimators as est
    >>> est.reinmax(np.array([0.0, 60.0, 0.0]), temperature=1.5, rng=0)
    array([0., 1., 0.])
    """
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float)):
        raise TypeError(f"temperature must be a number >= 1, got {type(temperature).__name__}")
    if not (temperature >= 1 and math.isfinite(temperature)):
        raise ValueError(f"reinmax needs temperature >= 1 (Liu et al. 2023), got {temperature!r}")
    lead = lead_shape(sample_shape, num_samples, "reinmax")
    xp, adapter, th, ax, _, d = _cat_setup(logits, axis, lead, rng, noise)
    sg = adapter.stop_gradient
    pi0 = _softmax(xp, adapter, th, ax)
    pi1 = (_softmax(xp, adapter, th / temperature, ax) + d) / 2
    # softmax(sg(log pi1 - theta) + theta) without log(0): value pi1, Jacobian J(pi1)
    w = sg(pi1) * xp.exp(th - sg(th))
    pi1 = w / xp.sum(w, axis=ax, keepdims=True)
    pi2 = 2 * pi1 - pi0 / 2
    return sg(d) + (pi2 - sg(pi2))


def gumbel_rao(
    logits: ArrayT,
    /,
    *,
    temperature: Any = 1.0,
    num_rao_samples: int = 10,
    axis: int = -1,
    sample_shape: int | tuple[int, ...] = (),
    num_samples: int | None = None,
    rng: object = None,
    noise: tuple[Array, Array] | None = None,
) -> ArrayT:
    r"""Gumbel-Rao: Rao-Blackwellised straight-through Gumbel-softmax (Paulus et al. 2021).

    Value: :math:`D = \mathrm{onehot}(\arg\max(\theta + G))`. Gradient: that of

    .. math:: \frac1K\sum_{k=1}^K \operatorname{softmax}\bigl((\theta + \mathrm{sg}(G_k))/T\bigr),
       \qquad \theta + G_k \sim p(\theta + G \mid \arg\max(\theta+G) = D),

    a Monte Carlo estimate of :math:`\mathbb{E}[\nabla\operatorname{softmax}((\theta+G)/T)
    \mid D]`, which has the ST Gumbel-softmax's mean and lower variance. The conditional
    Gumbels use exponentials :math:`E`: :math:`z_D = \log\sum_j e^{\theta_j} - \log E_D`,
    :math:`z_i = -\log(E_i e^{-\theta_i} + E_D e^{-\log\sum_j e^{\theta_j}})`.

    Parameters
    ----------
    logits : array
    temperature : float or array
    num_rao_samples : int
        ``K``, the number of conditional Gumbel samples.
    axis : int
    sample_shape : int or tuple of int
        Leading axes of the draws, as in the samplers (``()``: one sample).
    num_samples : int or None
        Deprecated old name: ``num_samples=S`` is ``sample_shape=(S,)``; it warns.
    rng, noise
        ``noise`` is a pair ``(u, v)``: ``u`` uniform of the sample's shape (draws
        :math:`D`), ``v`` uniform of shape ``(K, *sample shape)`` (the exponentials
        :math:`E = -\log v`).

    Examples
    --------
    >>> import numpy as np
    >>> from relaxarray import estimators as est
    >>> est.gumbel_rao(np.array([0.0, 60.0, 0.0]), rng=0)
    array([0., 1., 0.])
    """
    if isinstance(num_rao_samples, bool) or not isinstance(num_rao_samples, int):
        raise TypeError("num_rao_samples must be an int")
    if num_rao_samples < 1:
        raise ValueError(f"num_rao_samples must be >= 1, got {num_rao_samples}")
    _, adapter0 = namespace_and_adapter(logits)
    if noise is None:
        r1, r2 = adapter0.split(rng, 2) if rng is not None else (None, None)
        u_noise, v_noise = None, None
    else:
        if rng is not None:
            raise ValueError("pass either rng or noise, not both")
        if not isinstance(noise, tuple) or len(noise) != 2:
            raise TypeError("noise must be a pair (u, v) of uniform arrays for gumbel_rao")
        r1 = r2 = None
        u_noise, v_noise = noise
    lead = lead_shape(sample_shape, num_samples, "gumbel_rao")
    xp, adapter, th, ax, _, d = _cat_setup(logits, axis, lead, r1, u_noise)
    check_temperature(temperature, adapter)
    shape = (num_rao_samples, *th.shape)
    v = uniform_noise(xp, adapter, logits, shape, r2, v_noise, "noise[1]")
    e = -xp.log(v)
    th0 = xp.expand_dims(adapter.stop_gradient(th), axis=0)
    z = conditional_gumbel(xp, adapter, th0, xp.expand_dims(d, axis=0), e, ax + 1)
    g = adapter.stop_gradient(z - th0)
    soft = xp.mean(_softmax(xp, adapter, (th + g) / temperature, ax + 1), axis=0)
    return straight_through(d, soft)


for _fn in (st_bernoulli, st_categorical, st_gumbel_softmax, decoupled_st, gapped_st, reinmax):
    _fn.__doc__ = fill_markers(_fn.__doc__ or "", NOISE=_NOISE_DOC)
