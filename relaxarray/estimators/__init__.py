"""Gradient estimators for discrete random variables (straight-through family,
REBAR/RELAX, perturbed optimizers, I-MLE)."""

from __future__ import annotations

from relaxarray.estimators._imle import imle, sum_of_gamma_noise
from relaxarray.estimators._perturbed import Perturbed, perturbed
from relaxarray.estimators._rebar import rebar, relax
from relaxarray.estimators._st import (
    decoupled_st,
    gapped_st,
    gumbel_rao,
    reinmax,
    st_bernoulli,
    st_categorical,
    st_gumbel_softmax,
)

__all__ = [
    "Perturbed",
    "decoupled_st",
    "gapped_st",
    "gumbel_rao",
    "reinmax",
    "st_bernoulli",
    "st_categorical",
    "st_gumbel_softmax",
    "imle",
    "perturbed",
    "rebar",
    "relax",
    "sum_of_gamma_noise",
]
