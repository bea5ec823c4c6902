"""Distribution classes: ``sample``/``rsample`` with an explicit ``rng``, ``log_prob``,
``entropy``, ``mean``, ``mode``, ``batch_shape``, ``event_shape``, ``expand``, and
``kl_divergence`` for pairs with closed forms. JAX: every distribution is a pytree."""

from __future__ import annotations

from relaxarray.distributions._base import Distribution, kl_divergence, register_kl
from relaxarray.distributions._concrete import (
    ExpRelaxedOneHotCategorical,
    RelaxedBernoulli,
    RelaxedOneHotCategorical,
)
from relaxarray.distributions._discrete import (
    Bernoulli,
    Categorical,
    OneHotCategorical,
    StraightThroughBernoulli,
    StraightThroughCategorical,
)
from relaxarray.distributions._normal import Normal

__all__ = [
    "Bernoulli",
    "Categorical",
    "Distribution",
    "ExpRelaxedOneHotCategorical",
    "Normal",
    "OneHotCategorical",
    "RelaxedBernoulli",
    "RelaxedOneHotCategorical",
    "StraightThroughBernoulli",
    "StraightThroughCategorical",
    "kl_divergence",
    "register_kl",
]
