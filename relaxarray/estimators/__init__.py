"""Gradient estimators for discrete random variables (straight-through family,
REBAR/RELAX, perturbed optimizers, I-MLE)."""

from __future__ import annotations

from relaxarray.estimators._imle import imle, sum_of_gamma_noise
from relaxarray.estimators._perturbed import Perturbed, perturbed

__all__ = [
    "Perturbed",
    "imle",
    "perturbed",
    "sum_of_gamma_noise",
]
