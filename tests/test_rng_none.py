"""``rng=None`` (the default) everywhere: the framework's global generator where it has one.

torch: every sampler, estimator and distribution draws from torch's default generator, so
``torch.manual_seed`` makes a run reproducible, and it traces under
``torch.compile(fullgraph=True)``. NumPy (and namespaces without a generator of their own):
fresh OS entropy, ``numpy.random.default_rng()``. JAX has no global generator: a clear
``TypeError`` asking for a key.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from _estimator_cases import THETA_B, f_bern
from api_cases import CASES

import relaxarray as rx
from relaxarray import distributions as D
from relaxarray import estimators as est
from relaxarray.testing import requires_backend

# every public function with an rng= parameter, with the registry's example inputs
SAMPLERS = sorted(
    name for name in CASES if "rng" in inspect.signature(getattr(rx, name)).parameters
)
ESTIMATORS = [
    "reinforce",
    "reinforce_grad",
    "arm",
    "arm_grad",
    "disarm",
    "disarm_grad",
    "vimco",
    "vimco_grad",
    "rebar",
]
ST = ["st_gumbel_softmax", "gapped_st", "decoupled_st", "reinmax", "gumbel_rao", "st_categorical"]


def _distributions(xp: Any, dtype: Any) -> list[tuple[str, Any, Callable[..., Any]]]:
    lg = xp.asarray([0.3, -1.2, 2.0], dtype=dtype)
    pos = xp.asarray([0.5, 1.5, 2.0], dtype=dtype)
    ds: list[Any] = [
        D.Bernoulli(logits=lg),
        D.Categorical(logits=lg),
        D.OneHotCategorical(logits=lg),
        D.RelaxedBernoulli(temperature=0.5, logits=lg),
        D.RelaxedOneHotCategorical(temperature=0.5, logits=lg),
        D.ExpRelaxedOneHotCategorical(temperature=0.5, logits=lg),
        D.StraightThroughBernoulli(logits=lg),
        D.StraightThroughCategorical(logits=lg),
        D.HardConcrete(lg),
        D.GaussianGate(lg),
        D.Kumaraswamy(pos, pos),
        D.HardKumaraswamy(pos, pos),
        D.Normal(lg, 1.0),
        D.LogisticNormal(lg, pos),
        D.Dirichlet(pos),
        D.GumbelTopK(lg, 2),
    ]
    out = []
    for d in ds:
        # 16 samples: two runs of independent noise cannot coincide by chance
        out.append((type(d).__name__, d, lambda d=d: d.sample((16,))))
        if d.has_rsample:
            out.append((type(d).__name__ + ".rsample", d, lambda d=d: d.rsample((16,))))
    return out


def _to_np(x: Any) -> np.ndarray:
    if isinstance(x, tuple):
        return np.concatenate([_to_np(v).ravel() for v in x])
    if hasattr(x, "grad") and hasattr(x, "value"):  # EstimatorResult
        return _to_np((x.value, x.grad))
    if hasattr(x, "detach"):
        x = x.detach()
    return np.asarray(x, dtype=np.float64)


def _sampler_calls(xp: Any, conv: Callable[[Any], Any]) -> list[tuple[str, Callable[[], Any]]]:
    calls: list[tuple[str, Callable[[], Any]]] = []
    for name in SAMPLERS:
        c = CASES[name]
        args = [conv(a) if isinstance(a, np.ndarray) else a for a in c.args]
        calls.append((name, lambda n=name, a=args, k=c.kwargs: getattr(rx, n)(*a, **k)))
    th = conv(THETA_B)
    tc = conv(np.random.default_rng(0).normal(size=(20, 3)))  # 3**20 outcomes: no ties
    for name in ESTIMATORS:
        kw: dict[str, Any] = {"num_samples": 3}
        calls.append((name, lambda n=name, kw=kw: getattr(est, n)(f_bern, th, **kw)))
    return calls + [(name, lambda n=name: getattr(est, n)(tc)) for name in ST]


def _rerun(fn: Callable[[], Any], seed_global: Callable[[int], None]) -> tuple[Any, Any]:
    seed_global(123)
    a = _to_np(fn())
    seed_global(123)
    return a, _to_np(fn())


def _moves_on(fn: Callable[[], Any], first: Any) -> bool:
    # a discrete sample can repeat by chance: one of three further draws must differ
    return any(not np.array_equal(first, _to_np(fn())) for _ in range(3))


@requires_backend("torch")
def test_torch_every_sampler_estimator_and_distribution_uses_the_global_generator() -> None:
    torch = pytest.importorskip("torch")

    def conv(a: np.ndarray) -> Any:
        return torch.asarray(a, dtype=torch.float64)

    calls = _sampler_calls(torch, conv)
    calls += [(n, f) for n, _, f in _distributions(torch, torch.float64)]
    assert len(calls) > 40
    for name, fn in calls:
        a, b = _rerun(fn, torch.manual_seed)
        # reproducible under torch.manual_seed ...
        np.testing.assert_array_equal(a, b, err_msg=name)
        assert np.all(np.isfinite(a)), name
        # ... and drawing from it: without reseeding, the next calls give other noise
        assert _moves_on(fn, b), name


@requires_backend("torch")
def test_torch_rng_none_is_torch_default_generator() -> None:
    torch = pytest.importorskip("torch")
    like = torch.zeros((), dtype=torch.float64)
    torch.manual_seed(5)
    u = rx.random.uniform(None, (1000,), like=like)
    torch.manual_seed(5)
    np.testing.assert_array_equal(u.numpy(), torch.rand(1000, dtype=torch.float64).numpy())


@requires_backend("torch")
def test_torch_compile_fullgraph_with_rng_none() -> None:
    torch = pytest.importorskip("torch")

    def f(logits: Any) -> Any:
        y = rx.gumbel_softmax(logits, temperature=0.5, hard=True)
        return (y * torch.arange(3.0, dtype=logits.dtype)).sum()

    x = torch.tensor([[0.2, 1.0, -0.5]] * 64, dtype=torch.float64, requires_grad=True)
    torch.manual_seed(11)
    eager = f(x)
    (g_eager,) = torch.autograd.grad(eager, x)
    compiled = torch.compile(f, fullgraph=True, backend="aot_eager")
    torch.manual_seed(11)
    out = compiled(x)
    (g,) = torch.autograd.grad(out, x)
    # the compiled graph draws from the same global generator: the same sample and gradient
    torch.testing.assert_close(out, eager)
    torch.testing.assert_close(g, g_eager)


def test_numpy_rng_none_is_fresh_os_entropy() -> None:
    conv = np.asarray
    for name, fn in _sampler_calls(np, conv) + [
        (n, f) for n, _, f in _distributions(np, np.float64)
    ]:
        a = _to_np(fn())
        assert np.all(np.isfinite(a)), name
        # no hidden seed: further calls give independent noise
        assert _moves_on(fn, a), name


@requires_backend("jax")
def test_jax_rng_none_asks_for_a_key() -> None:
    jnp = pytest.importorskip("jax.numpy")
    lg = jnp.asarray([0.3, -1.2, 2.0])
    for fn in (
        lambda: rx.gumbel_softmax(lg),
        lambda: est.reinforce(f_bern, lg),
        lambda: D.Bernoulli(logits=lg).sample(),
    ):
        with pytest.raises(TypeError, match=r"explicit PRNG key: pass rng=jax.random.key"):
            fn()
