"""Gumbel-top-k (Kool et al. 2019), relaxed k-subsets (Xie & Ermon 2019), GumbelTopK."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import special

import relaxarray as rx
from relaxarray import random
from relaxarray.distributions import GumbelTopK


# -- NumPy float64 references -----------------------------------------------------------------
def ref_log1m_softmax(z):
    """log(1 - softmax(z)_i) = logsumexp_{j != i} z_j - logsumexp z (float64, direct)."""
    n = z.shape[-1]
    out = np.empty_like(z)
    for i in range(n):
        others = np.delete(z, i, axis=-1)
        out[..., i] = special.logsumexp(others, axis=-1) - special.logsumexp(z, axis=-1)
    return out


def ref_relaxed_top_k(keys, k, t):
    """Xie & Ermon's loop with the exact complement log(1 - p) (float64)."""
    alpha = keys.copy()
    total = np.zeros_like(keys)
    for _ in range(k):
        p = special.softmax(alpha / t, axis=-1)
        total += p
        alpha = alpha + ref_log1m_softmax(alpha / t)
    return total


def ref_top_k_mask(keys, k):
    out = np.zeros_like(keys)
    idx = np.argsort(-keys, axis=-1)[..., :k]
    np.put_along_axis(out, idx, 1.0, axis=-1)
    return out


def pl_prob(probs, seq):
    p, rest = 1.0, 1.0
    for i in seq:
        p *= probs[i] / rest
        rest -= probs[i]
    return p


def exact_inclusion(probs, k):
    """Inclusion probabilities of sampling k without replacement, by enumeration."""
    incl = np.zeros(len(probs))
    for seq in itertools.permutations(range(len(probs)), k):
        pr = pl_prob(probs, seq)
        for i in seq:
            incl[i] += pr
    return incl


LOGITS = np.array([[0.3, -1.2, 2.0, 0.0, 0.7], [1.0, 1.0, -0.5, 0.2, -2.0]])
G = np.array([[0.1, 1.5, -0.3, 0.8, 0.2], [-0.4, 0.9, 2.2, 0.0, 0.3]])


@pytest.mark.parametrize("k", [1, 2, 4])
@pytest.mark.parametrize("t", [0.3, 1.0, 2.5])
def test_soft_matches_reference(be, k, t):
    out = be.run(
        lambda x, g: rx.gumbel_top_k(x, k, temperature=t, noise=g),
        be.asarray(LOGITS),
        be.asarray(G),
    )
    np.testing.assert_allclose(be.to_numpy(out), ref_relaxed_top_k(LOGITS + G, k, t), rtol=1e-10)
    np.testing.assert_allclose(be.to_numpy(out).sum(-1), k, rtol=1e-12)
    assert np.all(be.to_numpy(out) >= 0)


@pytest.mark.parametrize("k", [1, 3, 5])
def test_hard_is_exact_top_k_with_soft_gradient(be, k):
    lg, g = be.asarray(LOGITS), be.asarray(G)
    out = be.run(lambda x, n: rx.gumbel_top_k(x, k, hard=True, temperature=0.5, noise=n), lg, g)
    np.testing.assert_array_equal(be.to_numpy(out), ref_top_k_mask(LOGITS + G, k))
    if be.differentiable:
        w = np.arange(5.0)  # a non-symmetric loss so the gradient is not trivially zero

        def loss(hard):
            def f(x):
                return rx.gumbel_top_k(x, k, hard=hard, temperature=0.5, noise=g) * be.asarray(w)

            return f

        np.testing.assert_allclose(
            be.to_numpy(be.grad(loss(True), lg)), be.to_numpy(be.grad(loss(False), lg)), rtol=1e-12
        )


def test_axis_argument(be):
    out = rx.gumbel_top_k(be.asarray(LOGITS.T), 2, temperature=0.7, axis=0, noise=be.asarray(G.T))
    np.testing.assert_allclose(
        be.to_numpy(out), ref_relaxed_top_k(LOGITS + G, 2, 0.7).T, rtol=1e-10
    )


@pytest.mark.parametrize(
    ("probs", "k"),
    [((0.1, 0.1, 0.8), 1), ((0.1, 0.2, 0.3, 0.4), 2), ((0.05, 0.15, 0.2, 0.25, 0.35), 3)],
)
def test_inclusion_frequencies_match_enumeration(be, probs, k):
    probs = np.asarray(probs)
    n = 30_000
    logits = be.asarray(np.broadcast_to(np.log(probs), (n, len(probs))).copy())
    z = be.to_numpy(rx.gumbel_top_k(logits, k, hard=True, rng=be.rng(7)))
    np.testing.assert_array_equal(z.sum(-1), k)
    want = exact_inclusion(probs, k)
    if k == 1:
        np.testing.assert_allclose(want, probs, rtol=1e-12)
    tol = 4 * np.sqrt(want * (1 - want) / n) + 1e-12
    np.testing.assert_array_less(np.abs(z.mean(0) - want), tol)


def test_plackett_luce_log_prob(be):
    probs = np.array([0.05, 0.15, 0.2, 0.25, 0.35])
    d = GumbelTopK(be.asarray(np.log(probs) + 3.0), 3)  # unnormalised logits
    seqs = np.array(list(itertools.permutations(range(5), 3)))
    lp = be.to_numpy(d.log_prob(be.asarray(seqs, dtype="int64")))
    want = np.log([pl_prob(probs, s) for s in seqs])
    np.testing.assert_allclose(lp, want, rtol=1e-12)
    np.testing.assert_allclose(np.exp(lp).sum(), 1.0, rtol=1e-12)
    bad = be.to_numpy(d.log_prob(be.asarray(np.array([[0, 0, 1], [1, 2, 7]]), dtype="int64")))
    assert np.all(bad == -np.inf)


def test_ordered_sample_frequencies(be):
    probs = np.array([0.2, 0.3, 0.5])
    d = GumbelTopK(be.asarray(np.log(probs)), 2)
    n = 30_000
    s = be.to_numpy(d.sample((n,), rng=be.rng(3)))
    assert s.shape == (n, 2)
    for seq in itertools.permutations(range(3), 2):
        freq = np.mean((s[:, 0] == seq[0]) & (s[:, 1] == seq[1]))
        p = pl_prob(probs, seq)
        assert abs(freq - p) < 4 * np.sqrt(p * (1 - p) / n)


def test_gradient_matches_fd(be):
    if not be.differentiable:
        pytest.skip("no autodiff")
    w = np.array([0.3, -1.0, 2.0, 0.5, 1.5])
    for k in (1, 2, 3):
        g = be.to_numpy(
            be.grad(
                lambda x, k=k: (
                    rx.gumbel_top_k(x, k, temperature=0.8, noise=be.asarray(G[0])) * be.asarray(w)
                ),
                be.asarray(LOGITS[0]),
            )
        )
        h = 1e-6
        fd = np.array(
            [
                (
                    (ref_relaxed_top_k(LOGITS[0] + G[0] + h * e, k, 0.8) * w).sum()
                    - (ref_relaxed_top_k(LOGITS[0] + G[0] - h * e, k, 0.8) * w).sum()
                )
                / (2 * h)
                for e in np.eye(5)
            ]
        )
        np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("t", [1e-3, 1e3])
def test_extremes_bounded_gradients_every_k(be, dtype, t):
    logits = be.asarray(
        np.array([[-50.0, 50.0, 0.0, 50.0, -50.0], [1e4, -1e4, 0.0, 3.0, 3.0]]), dtype
    )
    g = random.gumbel(be.rng(0), (2, 5), like=logits)
    w = be.asarray(np.array([1.0, -2.0, 0.5, 3.0, -1.0]), dtype)
    if be.jit:
        pytest.skip("covered by the eager jax variant (compiles 10 graphs)")
    for k in (1, 3, 5):
        for hard in (False, True):
            out = rx.gumbel_top_k(logits, k, temperature=t, hard=hard, noise=g)
            o = be.to_numpy(out)
            assert out.dtype == getattr(be.xp, dtype)
            assert np.all(np.isfinite(o))
            np.testing.assert_allclose(o.sum(-1), k, rtol=1e-4 if dtype == "float32" else 1e-10)
            if be.differentiable:
                grad = be.to_numpy(
                    be.grad(
                        lambda x, k=k, hard=hard: (
                            rx.gumbel_top_k(x, k, temperature=t, hard=hard, noise=g) * w
                        ),
                        logits,
                    )
                )
                assert grad.dtype == np.dtype(dtype)
                assert np.all(np.isfinite(grad))
                # |d a / d logits| <= k * max|w| * 2 / T bound of the softmax Jacobians
                assert np.all(np.abs(grad) <= 2 * k * 3.0 * (1 + 1 / t))


def test_low_temperature_soft_tends_to_hard(be):
    out = rx.gumbel_top_k(be.asarray(LOGITS), 3, temperature=1e-3, noise=be.asarray(G))
    np.testing.assert_allclose(be.to_numpy(out), ref_top_k_mask(LOGITS + G, 3), atol=1e-6)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(
    ("logits", "k", "t"),
    [
        ([20.0, 0.0, -1.0, -2.0], 2, 0.05),
        ([60.0, 0.0, -1.0, -2.0, 1.0], 3, 1e-3),
        ([1e4, 0.0, -1e4, 5.0], 2, 1e-2),
    ],
)
def test_low_temperature_tends_to_hard_for_any_gap(be, dtype, logits, k, t):
    """The exact log-space complement: no floor of 1 - p at eps capping the penalty of a
    chosen item (which gave [2, 0, 0, 0] for the first case)."""
    lg = np.array(logits)
    x, g = be.asarray(lg, dtype), be.asarray(np.zeros_like(lg), dtype)
    out = be.to_numpy(rx.gumbel_top_k(x, k, temperature=t, noise=g))
    assert out.dtype == np.dtype(dtype)
    np.testing.assert_allclose(out, ref_top_k_mask(lg, k), atol=1e-5)
    if be.differentiable:
        w = be.asarray(np.arange(lg.size) - 1.5, dtype)
        grad = be.to_numpy(be.grad(lambda v: rx.gumbel_top_k(v, k, temperature=t, noise=g) * w, x))
        assert np.all(np.isfinite(grad))


def test_log1m_softmax_matches_direct_reference(be):
    from relaxarray._subset import _log1m_softmax

    z = np.array([[3.0, -1.0, 0.5, 3.0], [40.0, 0.0, -2.0, 1.0], [1e-3, 0.0, -1e-3, 2e-3]])
    got = be.to_numpy(_log1m_softmax(be.xp, rx.backends.get_adapter(be.xp), be.asarray(z), -1))
    np.testing.assert_allclose(got, ref_log1m_softmax(z), rtol=1e-12)


def test_noise_with_leading_sample_axes(be):
    """A negative axis counts from the noise's end: L (3, 8) with G (2, 3, 8) is two samples."""
    rng = np.random.default_rng(4)
    lg, g = rng.normal(size=(3, 8)), rng.gumbel(size=(2, 3, 8))
    x, gg = be.asarray(lg), be.asarray(g)
    for hard in (False, True):
        out = be.to_numpy(rx.gumbel_top_k(x, 2, temperature=0.5, hard=hard, noise=gg))
        assert out.shape == (2, 3, 8)
        np.testing.assert_allclose(out.sum(-1), 2.0, rtol=1e-12)
        for i in range(2):
            one = rx.gumbel_top_k(x, 2, temperature=0.5, hard=hard, noise=be.asarray(g[i]))
            np.testing.assert_allclose(out[i], be.to_numpy(one), rtol=1e-12)
    a = be.to_numpy(GumbelTopK(x, 2, temperature=0.5).rsample((2,), rng=be.rng(0)))
    assert a.shape == (2, 3, 8)
    np.testing.assert_allclose(a.sum(-1), 2.0, rtol=1e-10)


def test_rsample_and_batch_independence(be):
    d = GumbelTopK(be.asarray(np.zeros((400, 6))), 2, temperature=0.5)
    a = be.to_numpy(d.rsample(rng=be.rng(1)))
    assert a.shape == (400, 6)
    np.testing.assert_allclose(a.sum(-1), 2.0, rtol=1e-10)
    assert len({tuple(r) for r in np.round(a, 8)}) == 400  # no noise shared across the batch


def test_validation(be):
    x = be.asarray(LOGITS)
    with pytest.raises(ValueError, match="k must"):
        rx.gumbel_top_k(x, 6, rng=0)
    with pytest.raises(TypeError, match="k must"):
        rx.gumbel_top_k(x, 2.0, rng=0)
    with pytest.raises(ValueError, match="temperature"):
        rx.gumbel_top_k(x, 2, temperature=-1.0, rng=0)


def test_entries_may_exceed_one_documented():
    """The Xie & Ermon relaxation is not clipped: the documented example gives 1.0444."""
    a = rx.gumbel_top_k(np.log(np.array([0.6, 0.3, 0.1])), 2, noise=np.zeros(3))
    np.testing.assert_allclose(a, [0.6 + 0.24 / 0.54, 0.3 + 0.21 / 0.54, 0.1 + 0.09 / 0.54])


@pytest.mark.parametrize("k", [1, 2, 4])
def test_hard_ties_give_exactly_k(be, k):
    """Equal keys (fused kernels and the argsort fallback alike) still give exactly k ones."""
    out = be.to_numpy(
        rx.gumbel_top_k(
            be.asarray(np.zeros((3, 5))), k, hard=True, noise=be.asarray(np.ones((3, 5)))
        )
    )
    np.testing.assert_array_equal(out.sum(-1), k)
    assert set(np.unique(out)) <= {0.0, 1.0}
