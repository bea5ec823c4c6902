"""relaxarray: differentiable relaxations, reparameterisations and gradient estimators
for discrete and stochastic variables, written once against the Python Array API
standard and run on NumPy, PyTorch, JAX, CuPy and any other conforming namespace.

Importing relaxarray imports no array framework: backends are detected from the arrays
you pass.
"""

from __future__ import annotations

from relaxarray import estimators, random
from relaxarray._bernoulli import relaxed_bernoulli, straight_through_bernoulli
from relaxarray._decoupled import decoupled_st_gumbel_softmax
from relaxarray._gates import (
    gaussian_gate,
    gaussian_gate_l0,
    hard_concrete,
    hard_concrete_gate,
    hard_concrete_l0,
    stochastic_times_smooth,
)
from relaxarray._generalized import (
    generalized_gumbel_softmax,
    truncated_binomial,
    truncated_geometric,
    truncated_poisson,
)
from relaxarray._gumbel import gumbel_max, gumbel_softmax
from relaxarray._laplace_bridge import laplace_bridge, laplace_bridge_inverse
from relaxarray._relaxations import (
    huber,
    log_softmax,
    logsumexp,
    one_hot_argmax,
    smooth_l1,
    soft_argmax,
    soft_max,
    softmax,
    softplus,
)
from relaxarray._reparam import (
    exponential_icdf,
    gumbel_icdf,
    inverse_cdf_sample,
    logistic_icdf,
    normal_icdf,
    normal_rsample,
)
from relaxarray._straight_through import st_argmax, stop_gradient, straight_through
from relaxarray._subset import gumbel_top_k

__version__ = "0.1.0"

__all__ = [
    "decoupled_st_gumbel_softmax",
    "estimators",
    "exponential_icdf",
    "gaussian_gate",
    "gaussian_gate_l0",
    "generalized_gumbel_softmax",
    "gumbel_icdf",
    "gumbel_max",
    "gumbel_softmax",
    "gumbel_top_k",
    "hard_concrete",
    "hard_concrete_gate",
    "hard_concrete_l0",
    "huber",
    "inverse_cdf_sample",
    "laplace_bridge",
    "laplace_bridge_inverse",
    "log_softmax",
    "logistic_icdf",
    "logsumexp",
    "normal_icdf",
    "normal_rsample",
    "one_hot_argmax",
    "random",
    "relaxed_bernoulli",
    "smooth_l1",
    "soft_argmax",
    "soft_max",
    "softmax",
    "softplus",
    "st_argmax",
    "stochastic_times_smooth",
    "stop_gradient",
    "straight_through",
    "straight_through_bernoulli",
    "truncated_binomial",
    "truncated_geometric",
    "truncated_poisson",
]

# Subpackages that are not imported eagerly are reachable as attributes, imported on first
# use (as scipy does): ``rx.distributions.Normal`` works after ``import relaxarray as rx``.
_LAZY_SUBPACKAGES = frozenset({"backends", "distributions", "interop", "testing"})


def __getattr__(name: str) -> object:
    if name in _LAZY_SUBPACKAGES:
        import importlib

        module = importlib.import_module(f"relaxarray.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'relaxarray' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | _LAZY_SUBPACKAGES)
