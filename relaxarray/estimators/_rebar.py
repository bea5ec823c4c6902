r"""REBAR (Tucker et al. 2017) and RELAX (Grathwohl et al. 2018).

For :math:`b = H(z)` with a continuous relaxation :math:`z` (Bernoulli:
:math:`z = \theta + \log u - \log(1-u)`, :math:`b = \mathbb{1}[z > 0]`; categorical:
:math:`z = \theta + G`, :math:`b = \mathrm{onehot}(\arg\max z)`) and :math:`\tilde z
\sim p(z \mid b)`, RELAX with control variate :math:`c` is the unbiased estimator

.. math:: \hat g = \bigl[f(b) - c(\tilde z)\bigr]\nabla_\theta\log p_\theta(b)
   + \nabla_\theta c(z) - \nabla_\theta c(\tilde z),

where :math:`z` and :math:`\tilde z` are reparameterised (differentiable in
:math:`\theta`). REBAR is the special case :math:`c(z) = \eta\, f(\sigma_\lambda(z))`
with the tempered relaxation :math:`\sigma_\lambda(z) = \sigma(z/\lambda)` (Bernoulli) or
:math:`\operatorname{softmax}(z/\lambda)` (categorical).

Conditional re-sampling with :math:`v \sim U(0,1)` (Tucker et al., appendix):
Bernoulli :math:`\tilde z = \operatorname{softplus}(\operatorname{logit} v +
\operatorname{softplus}\theta)` if :math:`b = 1`, :math:`-\operatorname{softplus}(
\operatorname{logit} v + \operatorname{softplus}(-\theta))` if :math:`b = 0`;
categorical: the conditional Gumbel construction (see :func:`gumbel_rao`).

Adapting :math:`\eta`, :math:`\lambda` or the control variate's parameters
:math:`\phi`: since :math:`\mathbb{E}[\hat g]` does not depend on them,
:math:`\nabla_\phi \mathrm{Var}(\hat g) = \nabla_\phi \mathbb{E}[\hat g^2]`. Compute
:math:`\hat g` by differentiating the surrogate with ``create_graph=True``
(torch) or inside a function of :math:`\phi` (``jax.grad``), and descend
:math:`\sum \hat g^2`; the surrogate is built so that :math:`\hat g` stays a
differentiable function of :math:`\phi` (the score term's coefficient is stopped only
along :math:`\theta`). See ``docs/estimators-st.md`` for the recipe.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from relaxarray._lib._typing import Array, ArrayT, Namespace
from relaxarray._namespace import (
    as_float_array,
    check_category_axis,
    namespace_and_adapter,
)
from relaxarray._relaxations import _logsumexp, _softmax
from relaxarray._sampling import softplus
from relaxarray.estimators._st import _sigmoid
from relaxarray.estimators._st_common import (
    check_temperature,
    conditional_gumbel,
    count_shape,
    one_hot_of_argmax,
    uniform_noise,
)
from relaxarray.random import gumbel_from_uniform as gumbel
from relaxarray.random import logistic_from_uniform

__all__ = ["rebar", "relax"]

Objective = Callable[[Array], Array]


def _check_eta(eta: Any, xp: Namespace, adapter: Any) -> None:
    """``eta`` scales REBAR's control variate: any finite real (REBAR adapts it, its sign
    included); NaN, infinities and non-numbers are refused, naming ``eta``."""
    if isinstance(eta, bool) or not (isinstance(eta, (int, float)) or hasattr(eta, "dtype")):
        raise TypeError(f"eta must be a real number or array, got {type(eta).__name__}")
    if isinstance(eta, (int, float)):
        if not math.isfinite(eta):
            raise ValueError(f"eta must be finite, got {eta!r}")
        return
    as_float_array(eta, "eta", xp)
    if adapter.is_concrete(eta):
        good = xp.all(xp.isfinite(eta))
        if adapter.is_concrete(good) and not bool(good):
            raise ValueError("eta must be finite everywhere")


def _sum_to(xp: Namespace, x: Array, ndim: int) -> Array:
    return xp.sum(x, axis=tuple(range(ndim, x.ndim))) if x.ndim > ndim else x


class _Relaxed:
    """The relaxation ``z``, its hard sample ``b``, the conditional ``z~`` and log p(b)."""

    def __init__(
        self,
        logits: Array,
        distribution: str,
        axis: int,
        num_samples: int,
        rng: object,
        noise: Array | None,
    ) -> None:
        xp, adapter = namespace_and_adapter(logits)
        as_float_array(logits, "logits", xp)
        if distribution not in ("bernoulli", "categorical"):
            raise ValueError(
                f"distribution must be 'bernoulli' or 'categorical', got {distribution!r}"
            )
        shape = (2, *count_shape(num_samples), *logits.shape)
        if noise is not None:
            n = noise.shape[1] if noise.ndim >= 2 else 0
            shape = (2, n, *logits.shape)
        u2 = uniform_noise(xp, adapter, logits, shape, rng, noise)
        u, v = u2[0, ...], u2[1, ...]
        th = logits[None, ...]
        sg = adapter.stop_gradient
        self.xp, self.adapter = xp, adapter
        self.categorical = distribution == "categorical"
        if self.categorical:
            ax = check_category_axis(logits, axis, "logits") + 1
            self.axis = ax
            self.z = th + gumbel(xp, u)
            self.b = one_hot_of_argmax(xp, sg(self.z), ax)
            self.zt = conditional_gumbel(xp, adapter, th, self.b, -xp.log(v), ax)
            logp = th - _logsumexp(xp, adapter, th, ax, True)
            self.logp = xp.sum(self.b * logp, axis=ax)
        else:
            self.axis = -1
            self.z = th + logistic_from_uniform(xp, u)
            self.b = xp.astype(sg(self.z) > 0, logits.dtype)
            lv = logistic_from_uniform(xp, v)
            self.zt = xp.where(
                self.b > 0,
                softplus(xp, lv + softplus(xp, th)),
                -softplus(xp, lv + softplus(xp, -th)),
            )
            self.logp = -softplus(xp, xp.where(self.b > 0, -th, th))


_PARAMETER_GRADIENTS = ("plain", "control_variate")


def _check_parameter_gradient(parameter_gradient: str) -> bool:
    """True for ``"plain"`` (cut the control variate's path to other parameters)."""
    if parameter_gradient not in _PARAMETER_GRADIENTS:
        raise ValueError(
            f"parameter_gradient must be 'plain' or 'control_variate', got {parameter_gradient!r}"
        )
    return parameter_gradient == "plain"


def _relax_surrogate(
    r: _Relaxed, f: Objective, control: Callable[[Array], Array], plain: bool = True
) -> Array:
    r"""The one RELAX surrogate (REBAR calls it with :math:`c = \eta f(\sigma_\lambda)`).

    ``plain``: the pathwise term :math:`\Delta = c(z) - c(\tilde z)` carries gradient to
    ``logits`` only. Its gradient along every other parameter (``f``'s own, ``eta``,
    ``temperature``, ``control``'s) is cancelled by subtracting
    :math:`\Delta_0 - \mathrm{sg}(\Delta_0)`, :math:`\Delta_0 = c(\mathrm{sg}(z)) -
    c(\mathrm{sg}(\tilde z))`: the same values and the same parameter gradients, no
    ``logits`` gradient. So ``f``'s parameters get the plain pathwise :math:`\nabla f(b)`.
    """
    xp, adapter = r.xp, r.adapter
    sg = adapter.stop_gradient
    fb = f(r.b)
    if not hasattr(fb, "shape") or fb.ndim == 0 or fb.shape[0] != r.b.shape[0]:
        raise ValueError("f must return values of shape (num_samples, *B)")
    cz = control(r.z)
    czt = control(r.zt)
    czt_coef = control(sg(r.zt))  # theta-path cut; eta/phi path kept for the variance
    logp = _sum_to(xp, r.logp, fb.ndim)
    box = xp.exp(logp - sg(logp))
    cv = cz - czt
    out = fb + (fb - czt_coef) * (box - 1) + (cv - sg(cv))
    if plain:
        cv0 = control(sg(r.z)) - czt_coef
        out = out - (cv0 - sg(cv0))
    return xp.mean(out, axis=0)


def relax(
    f: Objective,
    logits: ArrayT,
    /,
    *,
    control: Callable[[Array], Array],
    distribution: str = "bernoulli",
    axis: int = -1,
    num_samples: int = 1,
    rng: object = None,
    noise: Array | None = None,
    parameter_gradient: str = "plain",
) -> ArrayT:
    r"""RELAX surrogate (Grathwohl et al. 2018) with the caller's control variate.

    Value :math:`\frac1S\sum_s f(b_s)`; gradient with respect to ``logits`` the RELAX
    estimator

    .. math:: \hat g = \frac1S\sum_s \bigl[f(b_s) - c(\tilde z_s)\bigr]
       \nabla\log p_\theta(b_s) + \nabla c(z_s) - \nabla c(\tilde z_s),

    computed as :math:`f(b) + (f(b) - c(\mathrm{sg}(\tilde z)))(\boxdot\log p(b) - 1)
    + \Delta - \mathrm{sg}(\Delta)`, :math:`\Delta = c(z) - c(\tilde z)`.

    Gradient with respect to ``f``'s own parameters (e.g. a VAE decoder): by default
    (``parameter_gradient="plain"``) the plain pathwise :math:`\frac1S\sum_s \nabla f(b_s)`
    at the sampled :math:`b_s`, as in the reference implementations; the path of
    :math:`\Delta` to any parameter other than ``logits`` is cancelled (see
    ``_relax_surrogate``), so the surrogate's gradient with respect to ``control``'s
    parameters is zero: adapt them by descending :math:`\sum\hat g^2` (see the module
    docstring), which this does not change. ``parameter_gradient="control_variate"``
    keeps the former behaviour, :math:`\nabla f(b) + \nabla c(z) - \nabla c(\tilde z)`
    along ``f``'s parameters (also unbiased, but noisier).

    Parameters
    ----------
    f : callable
        Objective on hard samples ``(S, *logits.shape)`` (0/1 or one-hot), returning
        ``(S, *B)``; ``B`` a prefix of the batch shape.
    logits : array
    control : callable
        :math:`c`, on relaxed ``z`` of shape ``(S, *logits.shape)`` (logit-space for
        Bernoulli, Gumbel-perturbed logits for categorical), returning ``(S, *B)``.
    distribution : {"bernoulli", "categorical"}
    axis : int
        Category axis (categorical).
    num_samples : int
    rng, noise
        ``noise``: uniform array of shape ``(2, S, *logits.shape)`` (``u`` for ``z``,
        ``v`` for :math:`\tilde z`).
    parameter_gradient : {"plain", "control_variate"}
        The gradient ``f``'s own parameters get (see above).

    Examples
    --------
    >>> import numpy as np
    >>> from relaxarray import estimators as est
    >>> f = lambda b: (b - 0.45) ** 2
    >>> c = lambda z: 0.2 * (1 / (1 + np.exp(-z)) - 0.45) ** 2
    >>> v = est.relax(f, np.array([0.0]), control=c, num_samples=3, rng=0)
    >>> v.shape
    (1,)
    """
    plain = _check_parameter_gradient(parameter_gradient)
    r = _Relaxed(logits, distribution, axis, num_samples, rng, noise)
    return _relax_surrogate(r, f, control, plain)


def rebar(
    f: Objective,
    logits: ArrayT,
    /,
    *,
    eta: Any = 1.0,
    temperature: Any = 0.5,
    distribution: str = "bernoulli",
    axis: int = -1,
    num_samples: int = 1,
    rng: object = None,
    noise: Array | None = None,
    parameter_gradient: str = "plain",
) -> ArrayT:
    r"""REBAR surrogate (Tucker et al. 2017): RELAX with
    :math:`c(z) = \eta\, f(\sigma_\lambda(z))`.

    :math:`\sigma_\lambda(z) = \sigma(z/\lambda)` for Bernoulli, :math:`\operatorname{
    softmax}(z/\lambda)` along ``axis`` for categorical; ``f`` must accept relaxed
    (continuous) inputs. ``eta`` and ``temperature`` may be arrays requiring gradients,
    to be adapted by descending the estimator's second moment (see
    ``docs/estimators-st.md``).

    ``f``'s own parameters (a decoder) get the plain pathwise gradient
    :math:`\frac1S\sum_s\nabla f(b_s)` at the sampled :math:`b_s`, as in Tucker et al.'s
    code; ``parameter_gradient="control_variate"`` gives them the former
    :math:`\nabla f(b) + \eta\nabla[f(\sigma_\lambda(z)) - f(\sigma_\lambda(\tilde z))]`
    (unbiased, noisier). Other parameters as in :func:`relax`.

    Examples
    --------
    >>> import numpy as np
    >>> from relaxarray import estimators as est
    >>> f = lambda b: (b - 0.45) ** 2
    >>> round(float(est.rebar(f, np.array([0.0]), noise=np.full((2, 1, 1), 0.75))[0]), 6)
    0.3025
    """
    xp, adapter = namespace_and_adapter(logits)
    check_temperature(temperature, adapter)
    _check_eta(eta, xp, adapter)
    plain = _check_parameter_gradient(parameter_gradient)
    categorical = distribution == "categorical"
    r = _Relaxed(logits, distribution, axis, num_samples, rng, noise)

    def control(z: Array) -> Array:
        if categorical:
            soft = _softmax(xp, adapter, z / temperature, r.axis)
        else:
            soft = _sigmoid(xp, z / temperature)
        return eta * f(soft)

    return _relax_surrogate(r, f, control, plain)
