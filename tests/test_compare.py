"""estimators.compare: exact gradient by enumeration, bias of unbiased vs biased estimators."""

from __future__ import annotations

import numpy as np
import pytest
from _estimator_cases import THETA_B, THETA_C, exact, f_bern, f_cat

from relaxarray import estimators as est
from relaxarray.estimators._compare import exact_gradient
from relaxarray.testing import import_backend


def _fd(f, theta: np.ndarray, kind: str, h: float = 1e-6) -> np.ndarray:  # type: ignore[no-untyped-def]
    g = np.zeros_like(theta)
    for i in range(theta.size):
        e = np.zeros_like(theta)
        e.flat[i] = h
        up = float(exact_gradient(f, theta + e, distribution=kind)[0])
        dn = float(exact_gradient(f, theta - e, distribution=kind)[0])
        g.flat[i] = (up - dn) / (2 * h)
    return g


@pytest.mark.parametrize(
    ("kind", "f", "theta"), [("bernoulli", f_bern, THETA_B), ("categorical", f_cat, THETA_C)]
)
def test_exact_gradient_is_finite_differences_of_exact_expectation(kind, f, theta) -> None:  # type: ignore[no-untyped-def]
    value, grad = exact_gradient(f, theta, distribution=kind)
    ref_value, ref_grad = exact(kind)  # an independent enumeration (tests/_estimator_cases)
    assert float(value) == pytest.approx(ref_value, rel=1e-12)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-10)
    np.testing.assert_allclose(grad, _fd(f, theta, kind), rtol=1e-6, atol=1e-8)


def test_sixteen_bits_enumerated_and_seventeen_not() -> None:
    w = np.linspace(-1, 1, 16)

    def f(b):  # type: ignore[no-untyped-def]
        return (b @ w) ** 2

    theta = np.linspace(-2, 2, 16)
    value, grad = exact_gradient(f, theta)
    # closed form: E[(w.b)^2] = (w.p)^2 + sum w^2 p (1 - p)
    p = 1 / (1 + np.exp(-theta))
    assert float(value) == pytest.approx((w @ p) ** 2 + (w**2 * p * (1 - p)).sum(), rel=1e-10)
    dp = p * (1 - p)
    np.testing.assert_allclose(grad, (2 * (w @ p) * w + w**2 * (1 - 2 * p)) * dp, rtol=1e-9)
    assert exact_gradient(lambda b: b[:, 0], np.zeros(17)) is None


def test_unbiased_within_4_se_and_st_biased(be) -> None:  # type: ignore[no-untyped-def]
    theta = be.asarray(THETA_B)
    res = est.compare(f_bern, theta, rng=0, num_estimates=4000, num_samples=2)
    _, ref = exact("bernoulli")
    np.testing.assert_allclose(res.exact_grad, ref, rtol=1e-10)
    for name in ("reinforce", "rloo", "arm", "disarm"):
        row = res[name]
        assert row.f_evals == 2 and row.max_z is not None
        assert row.max_z < 4, (name, row.bias, row.stderr)
        assert all(v > 0 for v in row.variance)
    if "straight_through" in res.skipped:  # no autodiff: explicit forms only
        assert {r.form for r in res.rows} == {"explicit"}
    else:
        st = res["straight_through"]
        assert st.form == "surrogate" and st.max_z is not None and st.max_z > 10
    assert "| disarm |" in str(res)


def test_categorical_and_errors() -> None:
    res = est.compare(
        f_cat,
        THETA_C,
        distribution="categorical",
        rng=1,
        num_estimates=4000,
        estimators=["reinforce", "rloo"],
    )
    for row in res.rows:
        assert row.max_z is not None and row.max_z < 4
    with pytest.raises(ValueError, match="Bernoulli logits only"):
        est.compare(f_cat, THETA_C, distribution="categorical", rng=1, estimators=["arm"])
    with pytest.raises(ValueError, match="unknown estimators"):
        est.compare(f_bern, THETA_B, estimators=["nope"])
    with pytest.raises(ValueError, match="num_estimates"):
        est.compare(f_bern, THETA_B, num_estimates=1)


ST_ENTRIES = [
    ("straight_through", {"pseudo": "identity"}),
    ("gumbel_rao", {"temperature": 0.5, "num_rao_samples": 4}),
    "reinmax",
    ("st_gumbel_softmax", {"temperature": 0.5}),
    ("rebar", {"eta": 1.0, "temperature": 0.5}),
]
ST_LABELS = [
    "straight_through(pseudo='identity')",
    "gumbel_rao(temperature=0.5, num_rao_samples=4)",
    "reinmax",
    "st_gumbel_softmax(temperature=0.5)",
    "rebar(eta=1.0, temperature=0.5)",
]


def test_straight_through_family_and_rebar_with_options(be) -> None:  # type: ignore[no-untyped-def]
    # the demo's estimators: options pass through, rows are named after them; REBAR is
    # unbiased, and so, on this f, is ReinMax (measured: |bias|/s.e. 0.5 at 4000
    # estimates); straight-through, ST Gumbel-softmax and Gumbel-Rao are far from it
    theta = be.asarray(THETA_B)
    res = est.compare(
        f_bern, theta, estimators=ST_ENTRIES, rng=0, num_estimates=4000, num_samples=3
    )
    if res.skipped:  # no autodiff: all five are surrogate-only
        assert list(res.skipped) == ST_LABELS and res.rows == ()
        return
    assert [r.name for r in res.rows] == ST_LABELS
    rebar = res[ST_LABELS[4]]
    assert rebar.f_evals == 5 and rebar.max_z is not None and rebar.max_z < 4
    for label in ST_LABELS[:4]:
        row = res[label]
        assert row.form == "surrogate" and row.f_evals == 3
        assert row.max_z is not None
        if label == "reinmax":
            assert row.max_z < 4, (row.bias, row.stderr)
        else:
            assert row.max_z > 8, (label, row.bias, row.stderr)


def test_straight_through_categorical_and_option_errors() -> None:
    torch = import_backend("torch")
    theta = torch.asarray(THETA_C)
    res = est.compare(
        f_cat,
        theta,
        distribution="categorical",
        rng=0,
        num_estimates=4000,
        estimators=["reinmax", ("rebar", {"temperature": 0.5})],
    )
    assert res["rebar(temperature=0.5)"].max_z is not None
    assert res["rebar(temperature=0.5)"].max_z < 4
    with pytest.raises(ValueError, match="may not set"):
        est.compare(f_bern, THETA_B, estimators=[("reinforce", {"num_samples": 3})])
