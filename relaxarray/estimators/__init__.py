"""Gradient estimators for discrete random variables (straight-through family,
REBAR/RELAX, perturbed optimizers, I-MLE)."""

from __future__ import annotations

from relaxarray.estimators._perturbed import Perturbed, perturbed

__all__ = [
    "Perturbed",
    "perturbed",
]
