r"""The demo's estimator comparison on the lecture's toy problem.

.. math:: \frac{d}{d\phi}\,\mathbb{E}_{b \sim \mathrm{Bern}(\sigma(\phi))}\bigl[(b - t)^2\bigr]
   = \sigma(\phi)\,\sigma(-\phi)\,(1 - 2t), \qquad t = 0.45.

Every estimator is run many times on the same logit (one replica per entry of a logits
vector, so one call gives many independent estimates) and its mean, bias and variance
are compared with the exact gradient. Noise comes from relaxarray's portable random
stream (:func:`relaxarray.random.portable`), so every backend sees bit-identical noise
and the shared rows agree across NumPy, torch and JAX to rounding.

On NumPy (and any namespace without autodiff) the estimators with an *explicit* form
(closed-form scores: REINFORCE, RLOO, ARM, DisARM) run; with an autodiff backend every
estimator runs through its *surrogate* form, the straight-through family and REBAR
included. This module imports no framework: gradients come from the backend adapter's
``value_and_grad``.
"""

from __future__ import annotations

import importlib.util
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TextIO

import relaxarray as rx
from relaxarray import estimators as est
from relaxarray._lib._typing import Array, Namespace
from relaxarray.backends import get_adapter

TARGET = 0.45
PHIS = (-2.0, 1.0)
SAMPLES = 200_000
CHUNK = 20_000


def objective(b: Array) -> Array:
    """The toy objective :math:`f(b) = (b - t)^2` (also on relaxed ``b``)."""
    return (b - TARGET) ** 2


def exact_gradient(phi: float) -> float:
    """:math:`\\sigma(\\phi)\\sigma(-\\phi)(1 - 2t)`."""
    s = 1.0 / (1.0 + math.exp(-phi))
    return s * (1.0 - s) * (1.0 - 2.0 * TARGET)


Key = Any
# (xp, logits of shape (R,), key) -> per-replica gradient (explicit) or loss (surrogate)
Fn = Callable[[Namespace, Array, Key], Array]


@dataclass(frozen=True)
class Estimator:
    name: str
    evals: int  # evaluations of f per estimate
    unbiased: bool
    explicit: Fn | None
    surrogate: Fn


def _u(key: Key, shape: tuple[int, ...], like: Array) -> Array:
    return rx.random.uniform(key, shape, like=like)


def _two_class(xp: Namespace, th: Array) -> Array:
    """Bernoulli(sigmoid(phi)) as a categorical over {0, 1} with logits [0, phi]."""
    return xp.stack([xp.zeros_like(th), th], axis=-1)


def _mean_f(xp: Namespace, b: Array) -> Array:
    return xp.mean(objective(b), axis=0)


def _st_family() -> list[Estimator]:
    def st(pseudo: str) -> Fn:
        def fn(xp: Namespace, th: Array, key: Key) -> Array:
            u = _u(key, (2, *th.shape), th)
            b = est.st_bernoulli(th, pseudo=pseudo, num_samples=2, noise=u)
            return _mean_f(xp, b)
        return fn

    def relaxed(xp: Namespace, th: Array, key: Key) -> Array:
        shape = (2, *th.shape)
        b = rx.relaxed_bernoulli(xp.broadcast_to(th, shape), temperature=0.5, hard=True,
                                 noise=_u(key, shape, th))
        return _mean_f(xp, b)

    def gumbel_rao(xp: Namespace, th: Array, key: Key) -> Array:
        k1, k2 = rx.random.split(key, 2)
        shape = (2, *th.shape, 2)
        d = est.gumbel_rao(_two_class(xp, th), temperature=0.5, num_rao_samples=10,
                           num_samples=2, noise=(_u(k1, shape, th), _u(k2, (10, *shape), th)))
        return _mean_f(xp, d[..., 1])

    def reinmax(xp: Namespace, th: Array, key: Key) -> Array:
        shape = (2, *th.shape, 2)
        d = est.reinmax(_two_class(xp, th), temperature=1.0, num_samples=2,
                        noise=_u(key, shape, th))
        return _mean_f(xp, d[..., 1])

    def rebar(xp: Namespace, th: Array, key: Key) -> Array:
        return est.rebar(objective, th, eta=1.0, temperature=0.5, num_samples=1,
                         noise=_u(key, (2, 1, *th.shape), th))

    return [
        Estimator("straight-through (identity)", 2, False, None, st("identity")),
        Estimator("straight-through (sigmoid)", 2, False, None, st("sigmoid")),
        Estimator("ST Gumbel-softmax (relaxed Bernoulli, T=0.5)", 2, False, None, relaxed),
        Estimator("Gumbel-Rao (T=0.5, K=10)", 2, False, None, gumbel_rao),
        Estimator("ReinMax (T=1)", 2, False, None, reinmax),
        Estimator("REBAR (eta=1, T=0.5)", 3, True, None, rebar),
    ]


def estimators() -> list[Estimator]:
    """The compared estimators, each with 2 (REBAR: 3) evaluations of f per estimate."""

    def reinforce(baseline: str | None) -> tuple[Fn, Fn]:
        def explicit(xp: Namespace, th: Array, key: Key) -> Array:
            u = _u(key, (2, *th.shape), th)
            return est.reinforce_grad(objective, th, baseline=baseline, noise=u).grad

        def surrogate(xp: Namespace, th: Array, key: Key) -> Array:
            u = _u(key, (2, *th.shape), th)
            return est.reinforce(objective, th, baseline=baseline, noise=u)

        return explicit, surrogate

    def antithetic(grad_fn: Callable[..., Any], surr_fn: Callable[..., Array]) -> tuple[Fn, Fn]:
        def explicit(xp: Namespace, th: Array, key: Key) -> Array:
            return grad_fn(objective, th, noise=_u(key, (1, *th.shape), th)).grad

        def surrogate(xp: Namespace, th: Array, key: Key) -> Array:
            return surr_fn(objective, th, noise=_u(key, (1, *th.shape), th))

        return explicit, surrogate

    return [
        Estimator("REINFORCE", 2, True, *reinforce(None)),
        Estimator("RLOO", 2, True, *reinforce("rloo")),
        Estimator("ARM", 2, True, *antithetic(est.arm_grad, est.arm)),
        Estimator("DisARM", 2, True, *antithetic(est.disarm_grad, est.disarm)),
        *_st_family(),
    ]


@dataclass(frozen=True)
class Row:
    phi: float
    name: str
    form: str
    evals: int
    unbiased: bool
    n: int
    mean: float
    variance: float
    exact: float

    @property
    def bias(self) -> float:
        return self.mean - self.exact

    @property
    def stderr(self) -> float:
        return math.sqrt(self.variance / self.n)


class _TextBar:
    """A plain progress bar on stderr, for when tqdm is not installed."""

    def __init__(self, total: int, file: TextIO) -> None:
        self.total, self.done, self.file = total, 0, file

    def update(self, n: int = 1) -> None:
        self.done += n
        filled = int(30 * self.done / self.total)
        self.file.write(f"\r  [{'#' * filled}{'.' * (30 - filled)}] {self.done}/{self.total}")
        self.file.flush()

    def set_description(self, text: str) -> None:
        pass

    def close(self) -> None:
        self.file.write("\n")
        self.file.flush()


class _NoBar(_TextBar):
    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def _is_terminal(file: Any) -> bool:
    isatty = getattr(file, "isatty", None)
    try:
        return bool(isatty()) if callable(isatty) else False
    except (OSError, ValueError):  # a closed or detached stream
        return False


def progress_bar(total: int, enabled: bool = True, file: TextIO | None = None) -> Any:
    """tqdm on ``file`` (default stderr) if it is installed, else a plain text bar; no bar
    at all unless ``file`` is a terminal, so ``demo > out.txt 2>&1`` or a pipe gets no
    carriage-return updates."""
    file = sys.stderr if file is None else file
    if not enabled or not _is_terminal(file):
        return _NoBar(total, file)
    if importlib.util.find_spec("tqdm") is not None:
        tqdm = importlib.import_module("tqdm").tqdm
        return tqdm(total=total, file=file, unit="batch", leave=True)
    return _TextBar(total, file)


def compare(
    xp: Namespace,
    *,
    autodiff: bool,
    samples: int = SAMPLES,
    seed: int = 0,
    progress: bool = True,
) -> list[Row]:
    """Mean and variance of each estimator at each ``phi`` in :data:`PHIS`.

    ``autodiff=False``: the explicit forms of the estimators that have one.
    ``autodiff=True``: every estimator's surrogate form, differentiated by the backend.
    """
    adapter = get_adapter(xp)
    specs = [e for e in estimators() if autodiff or e.explicit is not None]
    chunk = min(CHUNK, samples)
    n_chunks = max(1, samples // chunk)
    base = rx.random.portable(seed)
    rows: list[Row] = []
    bar = progress_bar(len(PHIS) * len(specs) * n_chunks, enabled=progress)
    for i, phi in enumerate(PHIS):
        exact = exact_gradient(phi)
        th = xp.full((chunk,), phi, dtype=xp.float64)
        for spec in specs:
            bar.set_description(f"phi={phi:+} {spec.name[:24]}")
            s1 = s2 = 0.0
            for c in range(n_chunks):
                # the same noise for every estimator (common random numbers): the
                # differences between their variances are measured precisely
                key = rx.random.fold_in(base, 1000 * i + c)
                if autodiff:
                    fn = spec.surrogate

                    def loss(t: Array, fn: Fn = fn, key: Key = key) -> Array:
                        return xp.sum(fn(xp, t, key))

                    g = adapter.value_and_grad(loss, [th], [0])[1][0]
                else:
                    assert spec.explicit is not None
                    g = spec.explicit(xp, th, key)
                d = g - exact
                s1 += float(xp.sum(d))
                s2 += float(xp.sum(d * d))
                bar.update(1)
            n = chunk * n_chunks
            var = (s2 - s1 * s1 / n) / (n - 1)
            form = "surrogate" if autodiff else "explicit"
            rows.append(Row(phi, spec.name, form, spec.evals, spec.unbiased, n,
                            exact + s1 / n, var, exact))
    bar.close()
    return rows


def surrogate_only() -> list[str]:
    return [e.name for e in estimators() if e.explicit is None]


def print_table(rows: list[Row], out: TextIO) -> None:
    """The comparison as one markdown table per ``phi``."""
    print(f"\nEstimator comparison: f(b) = (b - {TARGET})^2, b ~ Bernoulli(sigmoid(phi))", file=out)
    print("exact gradient d/dphi E[f(b)] = sigmoid(phi) sigmoid(-phi) (1 - 2t)", file=out)
    n = rows[0].n if rows else 0
    print(f"{n} independent estimates per row; 'f evals' = evaluations of f per estimate; "
          "form: explicit (closed-form scores, no autodiff) or surrogate (autodiff)", file=out)
    for phi in PHIS:
        sub = [r for r in rows if r.phi == phi]
        if not sub:
            continue
        print(f"\nphi = {phi}: exact gradient = {sub[0].exact:.6f}\n", file=out)
        print("| estimator | form | f evals | mean | bias | bias / s.e. | variance | unbiased |",
              file=out)
        print("| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |", file=out)
        for r in sub:
            z = r.bias / r.stderr if r.stderr > 0 else 0.0
            print(f"| {r.name} | {r.form} | {r.evals} | {r.mean:.6f} | {r.bias:+.6f} | "
                  f"{z:+.1f} | {r.variance:.3e} | {'yes' if r.unbiased else 'no'} |", file=out)
