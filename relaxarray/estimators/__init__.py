"""Gradient estimators for discrete random variables.

See :mod:`relaxarray.estimators._common` for the calling convention shared by every
estimator (the objective ``f``, the surrogate and explicit forms, ``rng``/``noise``).
"""

from __future__ import annotations

from relaxarray.estimators._arm import arm, arm_grad, disarm, disarm_grad
from relaxarray.estimators._common import (
    EMABaseline,
    EstimatorResult,
    ema_baseline,
    update_ema,
)
from relaxarray.estimators._score import reinforce, reinforce_grad, score_function
from relaxarray.estimators._vimco import vimco, vimco_grad

__all__ = [
    "EMABaseline",
    "EstimatorResult",
    "arm",
    "arm_grad",
    "disarm",
    "disarm_grad",
    "ema_baseline",
    "reinforce",
    "reinforce_grad",
    "score_function",
    "update_ema",
    "vimco",
    "vimco_grad",
]
