"""Densities, KLs and entropies agree with torch.distributions (a peer implementation).

torch.distributions is an independent implementation of the same formulas; agreement to
float64 rounding on random parameters and on samples of torch's own samplers checks
relaxarray's densities (computed here from torch tensors, through relaxarray's torch
adapter) against it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from relaxarray.testing import import_backend

torch = import_backend("torch")
td = torch.distributions

from relaxarray import distributions as D  # noqa: E402


def _params() -> dict[str, Any]:
    g = torch.Generator().manual_seed(0)
    f64 = {"dtype": torch.float64, "generator": g}
    return {
        "lg": torch.randn(5, 4, **f64) * 2,
        "lb": torch.randn(6, **f64) * 2,
        "conc": torch.rand(3, 4, **f64) + 0.3,
        "a": torch.rand(5, **f64) + 0.4,
        "b": torch.rand(5, **f64) + 0.4,
        "loc": torch.randn(4, **f64),
        "scale": torch.rand(4, **f64) + 0.2,
    }


P = _params()
T = torch.tensor(0.7, dtype=torch.float64)

LOG_PROB_CASES: dict[str, tuple[Callable[[], Any], Callable[[], Any]]] = {
    "RelaxedOneHotCategorical": (
        lambda: D.RelaxedOneHotCategorical(logits=P["lg"], temperature=0.7),
        lambda: td.RelaxedOneHotCategorical(T, logits=P["lg"]),
    ),
    "RelaxedBernoulli": (
        lambda: D.RelaxedBernoulli(logits=P["lb"], temperature=0.7),
        lambda: td.RelaxedBernoulli(T, logits=P["lb"]),
    ),
    "Bernoulli": (lambda: D.Bernoulli(logits=P["lb"]), lambda: td.Bernoulli(logits=P["lb"])),
    "Categorical": (lambda: D.Categorical(logits=P["lg"]), lambda: td.Categorical(logits=P["lg"])),
    "OneHotCategorical": (
        lambda: D.OneHotCategorical(logits=P["lg"]),
        lambda: td.OneHotCategorical(logits=P["lg"]),
    ),
    "Normal": (lambda: D.Normal(P["loc"], P["scale"]), lambda: td.Normal(P["loc"], P["scale"])),
    "Dirichlet": (lambda: D.Dirichlet(P["conc"]), lambda: td.Dirichlet(P["conc"])),
    "Kumaraswamy": (lambda: D.Kumaraswamy(P["a"], P["b"]), lambda: td.Kumaraswamy(P["a"], P["b"])),
}


@pytest.mark.parametrize("name", sorted(LOG_PROB_CASES))
def test_log_prob_matches_torch_distributions(name: str) -> None:
    ours, ref = LOG_PROB_CASES[name][0](), LOG_PROB_CASES[name][1]()
    torch.manual_seed(1)
    value = ref.sample((7,))
    torch.testing.assert_close(ours.log_prob(value), ref.log_prob(value), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", ["Bernoulli", "Categorical", "Normal", "Dirichlet"])
def test_entropy_matches_torch_distributions(name: str) -> None:
    ours, ref = LOG_PROB_CASES[name][0](), LOG_PROB_CASES[name][1]()
    torch.testing.assert_close(ours.entropy(), ref.entropy(), rtol=1e-12, atol=1e-12)


def test_kl_matches_torch_distributions() -> None:
    lg, lb = P["lg"], P["lb"]
    pairs = [
        (
            D.Bernoulli(logits=lb),
            D.Bernoulli(logits=lb.flip(0)),
            td.Bernoulli(logits=lb),
            td.Bernoulli(logits=lb.flip(0)),
        ),
        (
            D.Categorical(logits=lg),
            D.Categorical(logits=lg.flip(1)),
            td.Categorical(logits=lg),
            td.Categorical(logits=lg.flip(1)),
        ),
        (
            D.Normal(P["loc"], P["scale"]),
            D.Normal(P["loc"].flip(0), P["scale"].flip(0)),
            td.Normal(P["loc"], P["scale"]),
            td.Normal(P["loc"].flip(0), P["scale"].flip(0)),
        ),
        (
            D.Dirichlet(P["conc"]),
            D.Dirichlet(P["conc"].flip(1)),
            td.Dirichlet(P["conc"]),
            td.Dirichlet(P["conc"].flip(1)),
        ),
    ]
    for p, q, tp, tq in pairs:
        torch.testing.assert_close(
            D.kl_divergence(p, q), td.kl_divergence(tp, tq), rtol=1e-12, atol=1e-12
        )
