"""Gradient estimators for discrete random variables.

See :mod:`relaxarray.estimators._common` for the calling convention shared by every
estimator (the objective ``f``, the surrogate and explicit forms, ``rng``/``noise``).
"""

from __future__ import annotations

from relaxarray.estimators._common import (
    EMABaseline,
    EstimatorResult,
    ema_baseline,
    update_ema,
)
from relaxarray.estimators._score import reinforce, reinforce_grad, score_function

__all__ = [
    "EMABaseline",
    "EstimatorResult",
    "ema_baseline",
    "reinforce",
    "reinforce_grad",
    "score_function",
    "update_ema",
]
