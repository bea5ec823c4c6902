"""One spelling for sample counts: ``sample_shape`` for the shape of the draws a function
returns (samplers, distributions and the straight-through estimators, as in
torch.distributions and NumPyro), ``num_samples`` for the evaluations of ``f`` that an
estimator averages. The straight-through estimators' old ``num_samples=`` still works for
one release, with a DeprecationWarning that names ``sample_shape``."""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import pytest

import relaxarray as rx
from relaxarray import estimators as est

LOGITS = np.array([[0.3, -1.2, 2.0], [1.0, 0.0, -0.5]])
ST = [
    "st_bernoulli",
    "st_categorical",
    "st_gumbel_softmax",
    "gapped_st",
    "reinmax",
    "decoupled_st",
    "gumbel_rao",
]


def _call(name: str, **kw: object) -> np.ndarray:
    return np.asarray(getattr(est, name)(LOGITS, rng=0, **kw))


@pytest.mark.parametrize("name", ST)
def test_sample_shape_is_the_new_spelling_and_num_samples_warns(name: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the new spelling warns about nothing
        new = _call(name, sample_shape=(4,))
        assert new.shape == (4, *LOGITS.shape)
        assert _call(name, sample_shape=4).tolist() == new.tolist()  # an int is (S,)
        assert _call(name).shape == LOGITS.shape  # the default: one draw
        assert _call(name, sample_shape=(2, 3)).shape == (2, 3, *LOGITS.shape)
    with pytest.warns(DeprecationWarning, match=rf"{name}\(num_samples=\.\.\.\).*sample_shape=4"):
        old = _call(name, num_samples=4)
    np.testing.assert_array_equal(old, new)  # same noise, same draws
    with pytest.warns(DeprecationWarning), pytest.raises(TypeError, match="sample_shape= only"):
        _call(name, num_samples=4, sample_shape=(4,))


def test_the_warning_points_at_the_callers_line() -> None:
    with pytest.warns(DeprecationWarning) as record:
        est.st_gumbel_softmax(LOGITS, num_samples=2, rng=0)
    assert record[0].filename == __file__


def test_the_spellings_follow_the_rule() -> None:
    # every public function that returns draws takes sample_shape; every estimator that
    # averages evaluations of f takes num_samples; no third spelling anywhere
    draws = [
        "gumbel_softmax",
        "gumbel_max",
        "relaxed_bernoulli",
        "straight_through_bernoulli",
        "normal_rsample",
        "inverse_cdf_sample",
    ]
    for name in draws:
        assert "sample_shape" in inspect.signature(getattr(rx, name)).parameters, name
    for name in ST:
        params = inspect.signature(getattr(est, name)).parameters
        assert params["sample_shape"].default == (), name
        assert params["num_samples"].default is None, name  # the deprecated alias
    averaging = [
        "reinforce",
        "reinforce_grad",
        "arm",
        "arm_grad",
        "disarm",
        "disarm_grad",
        "vimco",
        "vimco_grad",
        "rebar",
        "relax",
        "score_function",
        "compare",
        "perturbed",
        "imle",
    ]
    for name in averaging:
        params = inspect.signature(getattr(est, name)).parameters
        assert "num_samples" in params and "sample_shape" not in params, name
    for mod in (rx, est):
        for name in mod.__all__:
            fn = getattr(mod, name)
            if callable(fn) and not inspect.isclass(fn):
                params = set(inspect.signature(fn).parameters)
                assert not params & {"n_samples", "nsamples", "num_draws"}, name
    # gumbel_rao's num_rao_samples is a different quantity (K, the conditional Gumbel
    # draws averaged in the backward pass of each draw), not a count of draws or of f
    assert inspect.signature(est.gumbel_rao).parameters["num_rao_samples"].default == 10
