"""Example inputs for every public function of relaxarray (the cross-backend registry).

``tests/test_api_consistency.py`` runs :func:`relaxarray.testing.assert_consistent` on
each entry, on every installed backend and device, and FAILS for a public function
(a callable in ``relaxarray.__all__``) without an entry here.

Adding a public function = adding one line::

    case("gumbel_softmax", LOGITS, temperature=0.5)

Positional arguments are the NumPy inputs (converted per backend), keyword arguments
are passed unchanged; a function with an ``rng`` parameter gets a portable key
automatically, so samplers compare exactly too. Tolerances (``rtol=``, ``atol=``,
``grad_rtol=``, ``grad_atol=``) and ``grad=False`` go in ``opts={...}``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

_gen = np.random.default_rng(20240607)
#: a batch of logits, shape (3, 5), no ties
LOGITS = _gen.normal(size=(3, 5)) * 2.0
#: a second float array of the same shape (targets, soft surrogates, ...)
Y = _gen.normal(size=(3, 5))
#: a hard one-hot array matching LOGITS' shape
HARD = np.eye(5)[[1, 4, 0]]

DEFAULT_OPTS: dict[str, Any] = {"rtol": 1e-10, "atol": 1e-12}


@dataclass
class Case:
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    opts: dict[str, Any] = field(default_factory=dict)


CASES: dict[str, Case] = {}


def case(name: str, *args: Any, opts: dict[str, Any] | None = None, **kwargs: Any) -> None:
    """Register example inputs for ``relaxarray.<name>``."""
    if name in CASES:
        raise ValueError(f"duplicate case for {name!r}")
    CASES[name] = Case(args, kwargs, {**DEFAULT_OPTS, **(opts or {})})


# -- deterministic relaxations ----------------------------------------------------------
case("softplus", LOGITS, beta=1.5)
case("softmax", LOGITS, temperature=0.7)
case("log_softmax", LOGITS, temperature=0.7)
case("logsumexp", LOGITS, temperature=0.7)
case("soft_argmax", LOGITS, temperature=0.7)
case("soft_max", LOGITS, temperature=0.7)
case("one_hot_argmax", LOGITS)
case("huber", LOGITS, Y, delta=0.8)
case("smooth_l1", LOGITS, Y, beta=0.8)
# -- straight-through -----------------------------------------------------------------------
case("stop_gradient", LOGITS)
case("straight_through", HARD, Y)
case("st_argmax", LOGITS, temperature=0.7)
# -- samplers (rng= gets a portable key, so the samples agree exactly) ---------------------
U = _gen.uniform(0.05, 0.95, size=(3, 5))
case("gumbel_max", LOGITS)
case("gumbel_softmax", LOGITS, temperature=0.7)
case("relaxed_bernoulli", LOGITS, temperature=0.7, sample_shape=(2,))
case("straight_through_bernoulli", LOGITS, sample_shape=(2,))
case("normal_rsample", LOGITS, np.exp(Y), sample_shape=(2,))
case("normal_icdf", U, LOGITS, np.exp(Y))
case("logistic_icdf", U, LOGITS, np.exp(Y))
case("gumbel_icdf", U, LOGITS, np.exp(Y))
case("exponential_icdf", U, np.exp(Y))


def _icdf(u: Any, loc: Any, scale: Any) -> Any:
    import relaxarray as rx

    return rx.logistic_icdf(u, loc, scale)


case("inverse_cdf_sample", _icdf, LOGITS, np.exp(Y), sample_shape=(2,))
# -- gates, subsets and simplex relaxations ----------------------------------------------------
case("hard_concrete", LOGITS)
case("hard_concrete_l0", LOGITS, temperature=0.5)
case("hard_concrete_gate", LOGITS)
case("gaussian_gate", Y, sigma=0.5)
case("gaussian_gate_l0", Y, sigma=0.5)
case("stochastic_times_smooth", LOGITS)
case("gumbel_top_k", LOGITS, 2, temperature=0.7)
case("decoupled_st_gumbel_softmax", LOGITS, forward_temperature=0.5, backward_temperature=2.0)
case("laplace_bridge", Y, np.exp(LOGITS / 4))
case("laplace_bridge_inverse", np.exp(LOGITS / 2))
case("generalized_gumbel_softmax", LOGITS, np.arange(5.0), temperature=0.7)
case("truncated_poisson", Y[:, 0], size=6)
case("truncated_geometric", Y[:, 0], size=6)
case("truncated_binomial", Y[:, 0], total_count=4)
