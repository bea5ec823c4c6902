r"""Compare gradient estimators on the user's own objective.

:func:`compare` runs each estimator ``num_estimates`` times (vectorised: one call on
``num_estimates`` replicas of the logits) and reports, per estimator, the mean gradient
estimate, its standard error, the variance of one estimate, and the cost (evaluations of
``f`` and wall time per estimate). When the support is small enough to enumerate
(Bernoulli logits with at most 16 variables, categorical with at most :math:`2^{16}`
joint states) it also computes the exact gradient

.. math:: \nabla_\theta \mathbb{E}_{b\sim p_\theta}[f(b)] = \sum_b p_\theta(b)\, f(b)\,
   \nabla_\theta \log p_\theta(b)

and each estimator's bias. On a backend without autodiff (NumPy, array-api-strict) the
estimators run in their explicit ``*_grad`` forms; estimators that only have a surrogate
form are then skipped (listed in :attr:`Comparison.skipped`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from relaxarray._bernoulli import relaxed_bernoulli
from relaxarray._lib._typing import Array, Namespace
from relaxarray._namespace import (
    as_float_array,
    check_axis,
    check_category_axis,
    device,
    namespace_and_adapter,
)
from relaxarray._sampling import log_sigmoid, sigmoid_precise
from relaxarray.estimators._arm import arm, arm_grad, disarm, disarm_grad
from relaxarray.estimators._rebar import rebar
from relaxarray.estimators._score import reinforce, reinforce_grad
from relaxarray.estimators._st import (
    gumbel_rao,
    reinmax,
    st_bernoulli,
    st_categorical,
    st_gumbel_softmax,
)

__all__ = ["Comparison", "EstimatorStats", "compare"]

MAX_STATES = 1 << 16
# name -> (explicit form or None, surrogate form); each takes (f, logits, kw) with kw
# holding distribution/axis/rng/num_samples and the estimator's own options, and the
# explicit form returns the gradient
Spec = tuple[Callable[..., Array] | None, Callable[..., Array]]


def _mean_f(f: Callable[[Array], Array], b: Array) -> Array:
    return namespace_and_adapter(b)[0].mean(f(b), axis=0)


def _st_surrogate(f: Callable[[Array], Array], logits: Array, **kw: Any) -> Array:
    n = kw.pop("num_samples")
    if kw.pop("distribution") == "categorical":
        return _mean_f(f, st_categorical(logits, sample_shape=n, **kw))
    kw.pop("axis")
    return _mean_f(f, st_bernoulli(logits, sample_shape=n, **kw))


def _st_gumbel_softmax(f: Callable[[Array], Array], logits: Array, **kw: Any) -> Array:
    n = kw.pop("num_samples")
    if kw.pop("distribution") == "categorical":
        return _mean_f(f, st_gumbel_softmax(logits, sample_shape=n, **kw))
    kw.pop("axis")
    return _mean_f(f, relaxed_bernoulli(logits, hard=True, sample_shape=n, **kw))


def _two_class(fn: Callable[..., Array]) -> Callable[..., Array]:
    """A categorical straight-through estimator, also on Bernoulli logits: Bernoulli(
    sigmoid(t)) is the categorical over {0, 1} with logits [0, t]; f sees category 1."""

    def g(f: Callable[[Array], Array], logits: Array, **kw: Any) -> Array:
        n = kw.pop("num_samples")
        if kw.pop("distribution") == "categorical":
            return _mean_f(f, fn(logits, sample_shape=n, **kw))
        kw.pop("axis")
        xp = namespace_and_adapter(logits)[0]
        z = xp.stack([xp.zeros_like(logits), logits], axis=-1)
        return _mean_f(f, fn(z, sample_shape=n, **kw)[..., 1])

    return g


def _rebar(f: Callable[[Array], Array], logits: Array, **kw: Any) -> Array:
    # three evaluations of f per sample (the discrete and the two relaxed samples)
    return rebar(f, logits, **{**kw, "num_samples": max(1, kw["num_samples"] // 3)})


def _bern_only(fn: Callable[..., Any]) -> Callable[..., Any]:
    def g(f: Callable[[Array], Array], logits: Array, **kw: Any) -> Any:
        if kw.pop("distribution") != "bernoulli":
            raise ValueError("ARM and DisARM are defined for Bernoulli logits only")
        kw.pop("axis")
        # antithetic: num_samples pairs, 2 * num_samples evaluations of f
        return fn(f, logits, num_samples=max(1, kw.pop("num_samples") // 2), **kw)

    return g


ESTIMATORS: dict[str, Spec] = {
    "reinforce": (
        lambda f, t, **kw: reinforce_grad(f, t, **kw).grad,
        lambda f, t, **kw: reinforce(f, t, **kw),
    ),
    "rloo": (
        lambda f, t, **kw: reinforce_grad(f, t, baseline="rloo", **kw).grad,
        lambda f, t, **kw: reinforce(f, t, baseline="rloo", **kw),
    ),
    "arm": (lambda f, t, **kw: _bern_only(arm_grad)(f, t, **kw).grad, _bern_only(arm)),
    "disarm": (lambda f, t, **kw: _bern_only(disarm_grad)(f, t, **kw).grad, _bern_only(disarm)),
    "straight_through": (None, _st_surrogate),
    "st_gumbel_softmax": (None, _st_gumbel_softmax),
    "gumbel_rao": (None, _two_class(gumbel_rao)),
    "reinmax": (None, _two_class(reinmax)),
    "rebar": (None, _rebar),
}
UNBIASED = frozenset({"reinforce", "rloo", "arm", "disarm", "rebar"})


@dataclass(frozen=True)
class EstimatorStats:
    """One estimator's row of a :class:`Comparison` (gradients flattened, C order).

    Attributes
    ----------
    name : str
        The estimator's name.
    form : str
        ``"explicit"`` (closed-form scores) or ``"surrogate"`` (the backend's autodiff).
    mean : tuple of float
        Mean of the ``num_estimates`` gradient estimates.
    stderr : tuple of float
        Standard error of ``mean``: ``sqrt(variance / num_estimates)``.
    variance : tuple of float
        Variance of one gradient estimate.
    f_evals : int
        Evaluations of ``f`` (samples passed to it) per estimate.
    seconds : float
        Wall time per estimate (vectorised over the replicas).
    bias : tuple of float or None
        ``mean - exact gradient`` when the exact gradient is known.
    """

    name: str
    form: str
    mean: tuple[float, ...]
    stderr: tuple[float, ...]
    variance: tuple[float, ...]
    f_evals: int
    seconds: float
    bias: tuple[float, ...] | None

    @property
    def max_z(self) -> float | None:
        """Largest ``|bias| / stderr`` over the coordinates (``None`` without exact)."""
        if self.bias is None:
            return None
        return max(
            abs(b) / s if s > 0 else (math.inf if b != 0 else 0.0)
            for b, s in zip(self.bias, self.stderr, strict=True)
        )


@dataclass(frozen=True)
class Comparison:
    """What :func:`compare` returns; ``str()`` gives a readable table.

    Attributes
    ----------
    num_estimates : int
        Independent estimates per estimator.
    exact_value : float or None
        :math:`\\sum \\mathbb{E}[f]` by enumeration, or ``None`` if the support is too large.
    exact_grad : tuple of float or None
        Its gradient with respect to the logits (flattened), or ``None``.
    rows : tuple of EstimatorStats
        One row per estimator that ran.
    skipped : tuple of str
        Estimators skipped because the backend has no autodiff.
    """

    num_estimates: int
    exact_value: float | None
    exact_grad: tuple[float, ...] | None
    rows: tuple[EstimatorStats, ...]
    skipped: tuple[str, ...] = field(default=())

    def __getitem__(self, name: str) -> EstimatorStats:
        for r in self.rows:
            if r.name == name:
                return r
        raise KeyError(name)

    def __str__(self) -> str:
        lines = [f"{self.num_estimates} estimates per estimator"]
        if self.exact_grad is not None:
            g = ", ".join(f"{v:.6g}" for v in self.exact_grad[:6])
            more = ", ..." if len(self.exact_grad) > 6 else ""
            lines.append(f"exact gradient (enumeration): [{g}{more}]")
        lines.append(
            "| estimator | form | f evals | ms / estimate | mean variance | max |bias|/s.e. |"
        )
        lines.append("| --- | --- | ---: | ---: | ---: | ---: |")
        for r in self.rows:
            z = "n/a" if r.max_z is None else f"{r.max_z:.1f}"
            var = sum(r.variance) / len(r.variance)
            lines.append(
                f"| {r.name} | {r.form} | {r.f_evals} | {1e3 * r.seconds:.4f} | {var:.4e} | {z} |"
            )
        if self.skipped:
            lines.append(f"skipped (need autodiff): {', '.join(self.skipped)}")
        return "\n".join(lines)


def _flat(xp: Namespace, x: Array) -> tuple[float, ...]:
    v = xp.reshape(x, (-1,))
    return tuple(float(v[i]) for i in range(v.shape[0]))


def exact_gradient(
    f: Callable[[Array], Array],
    logits: Array,
    /,
    *,
    distribution: str = "bernoulli",
    axis: int = -1,
) -> tuple[Array, Array] | None:
    """``(sum E[f], its gradient)`` by enumerating the support, or ``None`` if too large."""
    xp, _ = namespace_and_adapter(logits)
    dev = device(logits)
    shape = tuple(logits.shape)
    if distribution == "bernoulli":
        d = math.prod(shape)
        if 2**d > MAX_STATES:
            return None
        idx = xp.reshape(xp.arange(2**d, dtype=xp.int64, device=dev), (-1, 1))
        pow2 = xp.asarray([2**i for i in range(d)], dtype=xp.int64, device=dev)
        b = xp.reshape(xp.astype((idx // pow2) % 2, logits.dtype), (2**d, *shape))
        logp = b * log_sigmoid(xp, logits) + (1 - b) * log_sigmoid(xp, -logits)
        score = b - sigmoid_precise(xp, logits)
    else:
        ax = check_axis(axis, logits.ndim)
        z = xp.moveaxis(logits, ax, -1)
        k, m = z.shape[-1], math.prod(z.shape[:-1])
        if k**m > MAX_STATES:
            return None
        idx = xp.reshape(xp.arange(k**m, dtype=xp.int64, device=dev), (-1, 1))
        powk = xp.asarray([k**i for i in range(m)], dtype=xp.int64, device=dev)
        digits = xp.reshape((idx // powk) % k, (k**m, *z.shape[:-1], 1))
        onehot = xp.astype(digits == xp.arange(k, dtype=xp.int64, device=dev), logits.dtype)
        lse = xp.max(z, axis=-1, keepdims=True)
        logq = z - (lse + xp.log(xp.sum(xp.exp(z - lse), axis=-1, keepdims=True)))
        logp = xp.moveaxis(onehot * logq, -1, ax + 1)
        b = xp.moveaxis(onehot, -1, ax + 1)
        score = b - xp.exp(xp.moveaxis(logq, -1, ax))
    p = xp.exp(xp.sum(xp.reshape(logp, (logp.shape[0], -1)), axis=1))
    v = f(b)
    v = xp.sum(xp.reshape(v, (v.shape[0], -1)), axis=1)
    w = xp.reshape(p * v, (-1,) + (1,) * len(shape))
    return xp.sum(p * v), xp.sum(w * score, axis=0)


def _spec(entry: str | tuple[str, Mapping[str, Any]]) -> tuple[str, str, dict[str, Any]]:
    """``(row label, estimator name, options)`` of an entry of ``estimators``."""
    if isinstance(entry, str):
        return entry, entry, {}
    name, options = entry
    reserved = {"distribution", "axis", "rng", "num_samples", "noise"} & set(options)
    if reserved:
        raise ValueError(f"options of {name!r} may not set {sorted(reserved)}: compare sets them")
    text = ", ".join(f"{k}={v!r}" for k, v in options.items())
    return f"{name}({text})", name, dict(options)


def compare(
    f: Callable[[Array], Array],
    logits: Array,
    /,
    *,
    estimators: Sequence[str | tuple[str, Mapping[str, Any]]] = (
        "reinforce",
        "rloo",
        "arm",
        "disarm",
        "straight_through",
    ),
    num_estimates: int = 1000,
    num_samples: int = 2,
    distribution: str = "bernoulli",
    axis: int = -1,
    rng: object = None,
) -> Comparison:
    r"""Bias, variance and cost of gradient estimators on the objective ``f``.

    Each estimator estimates :math:`\nabla_\theta \sum \mathbb{E}_{b\sim p_\theta}[f(b)]`
    ``num_estimates`` times, each estimate from ``num_samples`` evaluations of ``f``
    (the calling convention of :mod:`relaxarray.estimators`: ``f`` maps samples of
    shape ``(n, *logits.shape)`` to values of shape ``(n, *B)``). The replicas are
    stacked on one extra axis and folded into ``f``'s sample axis, so one call gives all
    estimates. The same ``rng`` is used for every estimator: with an int seed or a
    portable key they see common random numbers, so their differences are measured
    precisely. The exact gradient (by enumeration, for up to 16 Bernoulli variables or
    :math:`2^{16}` categorical states) gives each estimator's bias.

    Parameters
    ----------
    f : callable
        The objective.
    logits : array
        Logits of the Bernoulli variables or of the categorical variables (``axis``).
    estimators : sequence of str or (str, dict)
        Among ``"reinforce"``, ``"rloo"``, ``"arm"``, ``"disarm"`` (Bernoulli only), which
        have explicit forms, and ``"straight_through"``, ``"st_gumbel_softmax"``,
        ``"gumbel_rao"``, ``"reinmax"`` (biased) and ``"rebar"`` (unbiased), which need
        autodiff. A pair ``(name, options)`` passes keyword options to the estimator
        (e.g. ``("straight_through", {"pseudo": "identity"})`` or
        ``("gumbel_rao", {"temperature": 0.5, "num_rao_samples": 10})``); its row is named
        ``name(key=value, ...)``. The categorical straight-through estimators run on
        Bernoulli logits ``t`` as two-class categoricals with logits ``[0, t]``.
    num_estimates : int
        Independent gradient estimates per estimator (at least 2).
    num_samples : int
        Evaluations of ``f`` per estimate (ARM and DisARM: ``num_samples // 2``
        antithetic pairs; REBAR: ``num_samples // 3`` samples, f at three points each,
        at least one); :attr:`EstimatorStats.f_evals` reports the count.
    distribution : {"bernoulli", "categorical"}
    axis : int
        Category axis for categorical logits.
    rng : int, generator, key or None
        Noise for every estimator (``None``: the framework's global generator).

    Returns
    -------
    Comparison
        Per estimator: mean, standard error, variance, f evaluations and time per
        estimate, and the bias when the exact gradient is known.

    Examples
    --------
    >>> import numpy as np
    >>> from relaxarray import estimators as est
    >>> res = est.compare(lambda b: (b - 0.45) ** 2, np.array([1.0]), rng=0,
    ...                   estimators=["reinforce", "disarm"], num_estimates=20000)
    >>> round(res.exact_grad[0], 4)
    0.0197
    >>> res["disarm"].max_z < 4
    True
    """
    xp, adapter = namespace_and_adapter(logits)
    as_float_array(logits, "logits", xp)
    if not adapter.is_concrete(logits):
        raise ValueError(
            "compare reports numbers: logits must hold values (not a traced array or an "
            "array on torch's meta device)"
        )
    if isinstance(num_estimates, bool) or not isinstance(num_estimates, int) or num_estimates < 2:
        raise ValueError(f"num_estimates must be an int >= 2, got {num_estimates!r}")
    if isinstance(num_samples, bool) or not isinstance(num_samples, int) or num_samples < 2:
        raise ValueError(f"num_samples must be an int >= 2, got {num_samples!r}")
    specs = [_spec(e) for e in estimators]
    unknown = [name for _, name, _ in specs if name not in ESTIMATORS]
    if unknown:
        raise ValueError(f"unknown estimators {unknown}; choose from {sorted(ESTIMATORS)}")
    if distribution not in ("bernoulli", "categorical"):
        raise ValueError(f"distribution must be 'bernoulli' or 'categorical', got {distribution!r}")
    categorical = distribution == "categorical"
    ax = check_category_axis(logits, axis, "logits") - logits.ndim if categorical else -1
    if bool(xp.any(xp.isnan(logits))):
        raise ValueError("logits must not be NaN")
    shape = tuple(logits.shape)
    R = num_estimates
    th = xp.broadcast_to(xp.reshape(logits, (1, *shape)), (R, *shape))
    th = xp.asarray(th, copy=True)
    counter = [0]

    def f_rep(b: Array) -> Array:  # samples (n, R, *shape) -> values (n, R, *B)
        n = b.shape[0]
        counter[0] += n
        v = f(xp.reshape(b, (n * R, *shape)))
        return xp.reshape(v, (n, R, *v.shape[1:]))

    exact = exact_gradient(f, logits, distribution=distribution, axis=ax)
    rows, skipped = [], []
    for label, name, options in specs:
        explicit, surrogate = ESTIMATORS[name]
        kw: dict[str, Any] = {
            "distribution": distribution,
            "axis": ax,
            "rng": rng,
            "num_samples": num_samples,
            **options,
        }
        counter[0] = 0
        start = time.perf_counter()
        if adapter.differentiable:

            def loss(
                t: Array, s: Callable[..., Array] = surrogate, kw: dict[str, Any] = kw
            ) -> Array:
                return xp.sum(s(f_rep, t, **kw))

            g = adapter.value_and_grad(loss, [th], [0])[1][0]
            form = "surrogate"
        elif explicit is not None:
            g = explicit(f_rep, th, **kw)
            form = "explicit"
        else:
            skipped.append(label)
            continue
        g = adapter.stop_gradient(g)
        m = xp.mean(g, axis=0)
        var = xp.sum((g - m) ** 2, axis=0) / (R - 1)
        seconds = (time.perf_counter() - start) / R
        bias = None if exact is None else _flat(xp, m - exact[1])
        rows.append(
            EstimatorStats(
                label,
                form,
                _flat(xp, m),
                _flat(xp, xp.sqrt(var / R)),
                _flat(xp, var),
                counter[0],
                seconds,
                bias,
            )
        )
    return Comparison(
        R,
        None if exact is None else float(exact[0]),
        None if exact is None else _flat(xp, exact[1]),
        tuple(rows),
        tuple(skipped),
    )
