"""REINFORCE (baselines none/constant/EMA/RLOO), VIMCO, ARM and DisARM: unbiasedness by
enumeration, on every backend (explicit form) and torch/jax (surrogate form).

Statistical tolerance: the logits are replicated R times along a batch axis, so one call
gives R independent estimates (each the mean over ``num_samples``); the mean of the R
estimates must be within 5 standard errors (computed from the R estimates) of the exact
gradient. Seeds are fixed.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from _estimator_cases import THETA_B, THETA_C, exact, exact_vimco, f_bern, f_cat

from relaxarray import estimators as est

R = 2000
S = 16

CASES = [
    ("reinforce", {}),
    ("reinforce", {"baseline": 0.5}),
    ("reinforce", {"baseline": "ema"}),
    ("reinforce", {"baseline": "rloo"}),
    ("vimco", {}),
    ("arm", {}),
    ("disarm", {}),
]
IDS = ["reinforce", "constant", "ema", "rloo", "vimco", "arm", "disarm"]


def _call(
    be: Any,
    name: str,
    kw: dict[str, Any],
    kind: str,
    form: str,
    seed: int = 0,
    num_samples: int = S,
    reps: int = R,
) -> tuple[np.ndarray, np.ndarray, float, np.ndarray]:
    theta = THETA_B if kind == "bernoulli" else THETA_C
    f = f_bern if kind == "bernoulli" else f_cat
    logits = be.asarray(np.broadcast_to(theta, (reps, theta.size)).copy())
    kw = dict(kw)
    if kw.get("baseline") == "ema":
        state = est.ema_baseline(be.asarray(np.full(reps, 1.0)), decay=0.9)
        kw["baseline"] = est.update_ema(state, be.asarray(np.full(reps, 3.0)))
    if name not in ("arm", "disarm"):
        kw["distribution"] = kind
    ns = 3 if name == "vimco" else num_samples
    rng = be.rng(seed)
    if form == "explicit":
        fn = getattr(est, name + "_grad")
        res = be.run(lambda lg: fn(f, lg, num_samples=ns, rng=rng, **kw), logits)
        value, grad = be.to_numpy(res.value), be.to_numpy(res.grad)
    else:
        fn = getattr(est, name)
        grad = be.to_numpy(be.grad(lambda lg: fn(f, lg, num_samples=ns, rng=rng, **kw), logits))
        value = be.to_numpy(be.run(lambda lg: fn(f, lg, num_samples=ns, rng=rng, **kw), logits))
    if name == "vimco":
        v_ex, g_ex = exact_vimco(kind, 3)
    else:
        v_ex, g_ex = exact(kind)
    return value, grad, v_ex, g_ex


def _check(value: np.ndarray, grad: np.ndarray, v_ex: float, g_ex: np.ndarray) -> None:
    n = grad.shape[0]
    se = grad.std(axis=0, ddof=1) / np.sqrt(n)
    err = np.abs(grad.mean(axis=0) - g_ex)
    assert np.all(err < 5 * se + 1e-12), (grad.mean(axis=0), g_ex, se)
    vse = value.std(ddof=1) / np.sqrt(n)
    assert abs(value.mean() - v_ex) < 5 * vse + 1e-12, (value.mean(), v_ex, vse)
    assert np.all(se > 0)  # the test has power: the estimates vary


@pytest.mark.parametrize("kind", ["bernoulli", "categorical"])
@pytest.mark.parametrize(("name", "kw"), CASES, ids=IDS)
def test_explicit_unbiased(be: Any, name: str, kw: dict[str, Any], kind: str) -> None:
    if name in ("arm", "disarm") and kind == "categorical":
        pytest.skip("ARM/DisARM are Bernoulli-only")
    _check(*_call(be, name, kw, kind, "explicit"))


@pytest.mark.parametrize("kind", ["bernoulli", "categorical"])
@pytest.mark.parametrize(("name", "kw"), CASES, ids=IDS)
def test_surrogate_unbiased(be: Any, name: str, kw: dict[str, Any], kind: str) -> None:
    if not be.differentiable:
        pytest.skip("surrogate form needs autodiff")
    if name in ("arm", "disarm") and kind == "categorical":
        pytest.skip("ARM/DisARM are Bernoulli-only")
    _check(*_call(be, name, kw, kind, "surrogate", seed=1))


def test_wrong_target_detected() -> None:
    """The statistical check has power: a biased estimate (scaled by 1.1) fails it."""
    from conftest import Backend

    be = Backend("numpy")
    value, grad, v_ex, g_ex = _call(be, "reinforce", {"baseline": "rloo"}, "bernoulli", "explicit")
    with pytest.raises(AssertionError):
        _check(value, grad * 1.1, v_ex, g_ex)


class _Bern:
    """A user-defined distribution: just sample(sample_shape, rng=) and log_prob."""

    def __init__(self, logits: Any) -> None:
        self.logits = logits

    def sample(self, sample_shape: tuple[int, ...], rng: Any = None) -> Any:
        from relaxarray import random
        from relaxarray.estimators._common import bernoulli_from_uniform

        u = random.uniform(rng, (*sample_shape, *self.logits.shape), like=self.logits)
        return bernoulli_from_uniform(u, self.logits)

    def log_prob(self, x: Any) -> Any:
        from relaxarray._namespace import array_namespace
        from relaxarray.estimators._common import log_sigmoid

        xp = array_namespace(x, self.logits)
        return x * log_sigmoid(xp, self.logits) + (1 - x) * log_sigmoid(xp, -self.logits)


@pytest.mark.parametrize("baseline", [None, "rloo"])
def test_score_function_custom_distribution(be: Any, baseline: Any) -> None:
    if not be.differentiable:
        pytest.skip("surrogate form needs autodiff")
    logits = be.asarray(np.broadcast_to(THETA_B, (R, 3)).copy())
    rng = be.rng(2)
    g = be.to_numpy(
        be.grad(
            lambda lg: est.score_function(
                f_bern, _Bern(lg), num_samples=S, baseline=baseline, rng=rng
            ),
            logits,
        )
    )
    v = be.to_numpy(
        be.run(
            lambda lg: est.score_function(
                f_bern, _Bern(lg), num_samples=S, baseline=baseline, rng=rng
            ),
            logits,
        )
    )
    _check(v, g, *exact("bernoulli"))
