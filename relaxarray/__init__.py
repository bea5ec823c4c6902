"""relaxarray: differentiable relaxations, reparameterisations and gradient estimators
for discrete and stochastic variables, written once against the Python Array API
standard and run on NumPy, PyTorch, JAX, CuPy and any other conforming namespace.

Importing relaxarray imports no array framework: backends are detected from the arrays
you pass.
"""

from __future__ import annotations

from relaxarray import estimators, random
from relaxarray._bernoulli import relaxed_bernoulli, straight_through_bernoulli
from relaxarray._gumbel import gumbel_max, gumbel_softmax
from relaxarray._relax import (
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

__version__ = "0.1.0"

__all__ = [
    "estimators",
    "exponential_icdf",
    "gumbel_icdf",
    "gumbel_max",
    "gumbel_softmax",
    "huber",
    "inverse_cdf_sample",
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
    "stop_gradient",
    "straight_through",
    "straight_through_bernoulli",
]
