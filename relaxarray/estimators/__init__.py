"""Gradient estimators for discrete random variables.

Score-function family (REINFORCE with baselines, RLOO, VIMCO, ARM, DisARM), the
straight-through family (ST, ST Gumbel-softmax, Gapped ST, Decoupled ST, ReinMax,
Gumbel-Rao), relaxation-based control variates (REBAR, RELAX) and perturbation methods
(perturbed optimizers, I-MLE).

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
from relaxarray.estimators._compare import Comparison, EstimatorStats, compare
from relaxarray.estimators._imle import imle, sum_of_gamma_noise
from relaxarray.estimators._perturbed import Perturbed, perturbed
from relaxarray.estimators._rebar import rebar, relax
from relaxarray.estimators._score import reinforce, reinforce_grad, score_function
from relaxarray.estimators._st import (
    decoupled_st,
    gapped_st,
    gumbel_rao,
    reinmax,
    st_bernoulli,
    st_categorical,
    st_gumbel_softmax,
)
from relaxarray.estimators._vimco import vimco, vimco_grad

__all__ = [
    "Comparison",
    "EMABaseline",
    "EstimatorStats",
    "EstimatorResult",
    "Perturbed",
    "arm",
    "arm_grad",
    "compare",
    "decoupled_st",
    "disarm",
    "disarm_grad",
    "ema_baseline",
    "gapped_st",
    "gumbel_rao",
    "imle",
    "perturbed",
    "rebar",
    "reinforce",
    "reinforce_grad",
    "reinmax",
    "relax",
    "score_function",
    "st_bernoulli",
    "st_categorical",
    "st_gumbel_softmax",
    "sum_of_gamma_noise",
    "update_ema",
    "vimco",
    "vimco_grad",
]
