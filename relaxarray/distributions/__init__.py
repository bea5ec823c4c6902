"""Distribution classes: ``sample``/``rsample`` with an explicit ``rng``, ``log_prob``,
``batch_shape``, ``event_shape``, ``expand``, ``support``, ``arg_constraints``, and, where
a closed form exists, ``entropy``, ``mean``, ``mode``, ``variance``, ``stddev``, ``cdf``,
``icdf``, ``enumerate_support`` and ``kl_divergence`` (the others raise
NotImplementedError: the relaxed classes have no closed-form entropy). Values and
probabilities are validated by default (:func:`set_default_validate_args`). JAX: every
distribution is a pytree."""

from __future__ import annotations

from relaxarray.distributions import constraints as constraints
from relaxarray.distributions._base import Distribution, kl_divergence, register_kl
from relaxarray.distributions._concrete import (
    ExpRelaxedOneHotCategorical,
    RelaxedBernoulli,
    RelaxedOneHotCategorical,
)
from relaxarray.distributions._correlated import CorrelatedGates
from relaxarray.distributions._discrete import (
    Bernoulli,
    Categorical,
    OneHotCategorical,
    StraightThroughBernoulli,
    StraightThroughCategorical,
)
from relaxarray.distributions._gates import GaussianGate, HardConcrete
from relaxarray.distributions._kumaraswamy import HardKumaraswamy, Kumaraswamy
from relaxarray.distributions._normal import Normal
from relaxarray.distributions._params import set_default_validate_args
from relaxarray.distributions._simplex import Dirichlet, InvertibleGaussian, LogisticNormal
from relaxarray.distributions._subset import GumbelTopK

__all__ = [
    "Bernoulli",
    "Categorical",
    "CorrelatedGates",
    "Dirichlet",
    "Distribution",
    "ExpRelaxedOneHotCategorical",
    "GaussianGate",
    "GumbelTopK",
    "HardConcrete",
    "HardKumaraswamy",
    "InvertibleGaussian",
    "Kumaraswamy",
    "LogisticNormal",
    "Normal",
    "OneHotCategorical",
    "RelaxedBernoulli",
    "RelaxedOneHotCategorical",
    "StraightThroughBernoulli",
    "StraightThroughCategorical",
    "kl_divergence",
    "register_kl",
    "set_default_validate_args",
]
