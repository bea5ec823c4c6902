r"""The demo's estimator comparison on the lecture's toy problem.

.. math:: \frac{d}{d\phi}\,\mathbb{E}_{b \sim \mathrm{Bern}(\sigma(\phi))}\bigl[(b - t)^2\bigr]
   = \sigma(\phi)\,\sigma(-\phi)\,(1 - 2t), \qquad t = 0.45.

A thin caller of :func:`relaxarray.estimators.compare`: every estimator is run many times
on the same logit (compare stacks the replicas, so one vectorised call gives all the
independent estimates) and its mean, bias and variance are compared with the exact
gradient. Noise comes from relaxarray's portable random
stream (:func:`relaxarray.random.portable`), so every backend sees bit-identical noise
and the shared rows agree across NumPy, torch and JAX to rounding.

On NumPy (and any namespace without autodiff) the estimators with an *explicit* form
(closed-form scores: REINFORCE, RLOO, ARM, DisARM) run; with an autodiff backend every
estimator runs through its *surrogate* form, the straight-through family and REBAR
included. This module imports no framework.
"""

from __future__ import annotations

import importlib.util
import math
import sys
from dataclasses import dataclass
from typing import Any, TextIO

import relaxarray as rx
from relaxarray import estimators as est
from relaxarray._lib._typing import Array, Namespace
from relaxarray.estimators import _compare as est_compare

TARGET = 0.45
PHIS = (-2.0, 1.0)
SAMPLES = 200_000


def objective(b: Array) -> Array:
    """The toy objective :math:`f(b) = (b - t)^2` (also on relaxed ``b``)."""
    return (b - TARGET) ** 2


def exact_gradient(phi: float) -> float:
    """:math:`\\sigma(\\phi)\\sigma(-\\phi)(1 - 2t)`."""
    s = 1.0 / (1.0 + math.exp(-phi))
    return s * (1.0 - s) * (1.0 - 2.0 * TARGET)


# (row label, entry of estimators.compare's ``estimators``, unbiased); every estimate uses
# 2 evaluations of f (ARM, DisARM: one antithetic pair; REBAR: one sample, 3 evaluations)
ESTIMATORS: list[tuple[str, Any, bool]] = [
    ("REINFORCE", "reinforce", True),
    ("RLOO", "rloo", True),
    ("ARM", "arm", True),
    ("DisARM", "disarm", True),
    ("straight-through (identity)", ("straight_through", {"pseudo": "identity"}), False),
    ("straight-through (sigmoid)", ("straight_through", {"pseudo": "sigmoid"}), False),
    (
        "ST Gumbel-softmax (relaxed Bernoulli, T=0.5)",
        ("st_gumbel_softmax", {"temperature": 0.5}),
        False,
    ),
    (
        "Gumbel-Rao (T=0.5, K=10)",
        ("gumbel_rao", {"temperature": 0.5, "num_rao_samples": 10}),
        False,
    ),
    ("ReinMax (T=1)", ("reinmax", {"temperature": 1.0}), False),
    ("REBAR (eta=1, T=0.5)", ("rebar", {"eta": 1.0, "temperature": 0.5}), True),
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
    """Mean and variance of each estimator at each ``phi`` in :data:`PHIS`, from
    :func:`relaxarray.estimators.compare` (``samples`` estimates in one vectorised call
    per estimator).

    ``autodiff=False``: the explicit forms of the estimators that have one.
    ``autodiff=True``: every estimator's surrogate form, differentiated by the backend.
    """
    specs = [e for e in ESTIMATORS if autodiff or e[0] not in surrogate_only()]
    base = rx.random.portable(seed)
    rows: list[Row] = []
    bar = progress_bar(len(PHIS) * len(specs), enabled=progress)
    for i, phi in enumerate(PHIS):
        logits = xp.asarray([phi], dtype=xp.float64)
        # the same key for every estimator (common random numbers): the differences
        # between their variances are measured precisely
        key = rx.random.fold_in(base, i)
        for label, entry, unbiased in specs:
            bar.set_description(f"phi={phi:+} {label[:24]}")
            res = est.compare(
                objective, logits, estimators=[entry], num_estimates=samples, num_samples=2, rng=key
            )
            r = res.rows[0]
            assert res.exact_grad is not None
            rows.append(
                Row(
                    phi,
                    label,
                    r.form,
                    r.f_evals,
                    unbiased,
                    res.num_estimates,
                    r.mean[0],
                    r.variance[0],
                    res.exact_grad[0],
                )
            )
            bar.update(1)
    bar.close()
    return rows


def surrogate_only() -> list[str]:
    """The compared estimators that have no explicit form (they need autodiff)."""
    return [
        label
        for label, entry, _ in ESTIMATORS
        if est_compare.ESTIMATORS[entry if isinstance(entry, str) else entry[0]][0] is None
    ]


def print_table(rows: list[Row], out: TextIO) -> None:
    """The comparison as one markdown table per ``phi``."""
    print(f"\nEstimator comparison: f(b) = (b - {TARGET})^2, b ~ Bernoulli(sigmoid(phi))", file=out)
    print("exact gradient d/dphi E[f(b)] = sigmoid(phi) sigmoid(-phi) (1 - 2t)", file=out)
    n = rows[0].n if rows else 0
    print(
        f"{n} independent estimates per row; 'f evals' = evaluations of f per estimate; "
        "form: explicit (closed-form scores, no autodiff) or surrogate (autodiff)",
        file=out,
    )
    for phi in PHIS:
        sub = [r for r in rows if r.phi == phi]
        if not sub:
            continue
        print(f"\nphi = {phi}: exact gradient = {sub[0].exact:.6f}\n", file=out)
        print(
            "| estimator | form | f evals | mean | bias | bias / s.e. | variance | unbiased |",
            file=out,
        )
        print("| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |", file=out)
        for r in sub:
            z = r.bias / r.stderr if r.stderr > 0 else 0.0
            print(
                f"| {r.name} | {r.form} | {r.evals} | {r.mean:.6f} | {r.bias:+.6f} | "
                f"{z:+.1f} | {r.variance:.3e} | {'yes' if r.unbiased else 'no'} |",
                file=out,
            )
