"""A temperature array must broadcast TO the parameters' batch shape: a torch-style
per-row temperature of shape (n, 1) with logits (n, K) is refused (it would silently make
an n x n batch), a per-row temperature of shape (n,) works."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special

from relaxarray import distributions as D

LOGITS = np.array([[0.0, 1.0, -1.0], [2.0, 0.0, 0.5], [-0.5, 0.3, 0.0], [1.0, 1.0, 1.0]])


@pytest.mark.parametrize(
    "cls", [D.RelaxedOneHotCategorical, D.ExpRelaxedOneHotCategorical, D.StraightThroughCategorical]
)
def test_categorical_per_row_temperature(be, cls):
    n = LOGITS.shape[0]
    x = be.asarray(LOGITS)
    with pytest.raises(ValueError, match=r"batch shape \(4,\)"):
        cls(temperature=be.asarray(np.full((n, 1), 0.5)), logits=x)
    t = np.array([0.3, 0.5, 1.0, 2.0])
    d = cls(temperature=be.asarray(t), logits=x)
    assert d.batch_shape == (n,)
    y = be.to_numpy(d.rsample(rng=be.rng(0)))
    assert y.shape == (n, 3)
    if cls is D.RelaxedOneHotCategorical:
        # row i is softmax((l_i + g_i) / t_i) for the row's own temperature
        u = be.to_numpy(__import__("relaxarray").random.uniform(be.rng(0), (n, 3), like=x))
        ref = special.softmax((LOGITS - np.log(-np.log(u))) / t[:, None], axis=-1)
        np.testing.assert_allclose(y, ref, rtol=1e-10)


def test_relaxed_bernoulli_per_row_temperature(be):
    x = be.asarray(np.array([0.0, 1.0, -2.0]))
    with pytest.raises(ValueError, match=r"batch shape \(3,\)"):
        D.RelaxedBernoulli(temperature=be.asarray(np.full((3, 1), 0.5)), logits=x)
    d = D.RelaxedBernoulli(temperature=be.asarray(np.array([0.2, 0.5, 1.0])), logits=x)
    assert d.batch_shape == (3,)
    assert be.to_numpy(d.rsample(rng=be.rng(1))).shape == (3,)
