"""``torch.compile(fullgraph=True)`` with the default backend, inductor, against eager.

Inductor compiles C++ on the CPU, so each compile takes seconds to minutes: the default
run has one small compile (and two dynamo traces with the cheap ``eager`` backend); the
portable-key graph and the sweep over every public sampler, gate and estimator are
marked ``slow``. Which ``rng`` forms compile, and why the others cannot, is in
``docs/guide/randomness.md``.
"""

from __future__ import annotations

import inspect
import os
import shutil
from typing import Any

import numpy as np
import pytest

import relaxarray as rx
from relaxarray import estimators as est
from relaxarray.testing import requires_backend

pytestmark = [
    requires_backend("torch"),
    pytest.mark.skipif(
        shutil.which("g++") is None and shutil.which("c++") is None,
        reason="inductor needs a C++ compiler on the CPU",
    ),
]

L = np.array([[0.3, -1.0, 2.0, 0.1]] * 8) + np.linspace(0, 1, 32).reshape(8, 4)


def _compiled(fn: Any) -> Any:
    import torch

    return torch.compile(fn, fullgraph=True)  # the default backend: inductor


def test_inductor_hard_gumbel_softmax_with_noise_matches_eager() -> None:
    import torch

    u = torch.tensor(np.random.default_rng(0).uniform(0.01, 0.99, L.shape))
    w = torch.tensor(np.random.default_rng(1).normal(size=L.shape))

    def f(x: Any) -> Any:
        return (rx.gumbel_softmax(x, temperature=0.7, hard=True, noise=u) * w).sum()

    x = torch.tensor(L, requires_grad=True)
    eager = f(x)
    (g_eager,) = torch.autograd.grad(eager, x)
    x2 = torch.tensor(L, requires_grad=True)
    out = _compiled(f)(x2)
    (g,) = torch.autograd.grad(out, x2)
    torch.testing.assert_close(out, eager)
    torch.testing.assert_close(g, g_eager)
    assert g.abs().sum() > 0  # the straight-through gradient flows


# Long inductor compiles (minutes each on 2 cores): opt-in, so CI stays well under its limit.
_LONG_COMPILE = pytest.mark.skipif(
    os.environ.get("RELAXARRAY_LONG_COMPILE") != "1",
    reason="long inductor compile: set RELAXARRAY_LONG_COMPILE=1 to run",
)


@_LONG_COMPILE  # the 20 Threefry rounds make a large graph: minutes on a loaded 2-core box
def test_inductor_portable_key_gives_the_eager_bits() -> None:
    import torch

    key = rx.random.portable(7)

    def f(x: Any) -> Any:
        return rx.relaxed_bernoulli(x, temperature=0.5, rng=key)

    x = torch.tensor(L)
    torch.testing.assert_close(_compiled(f)(x), f(x), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kind", ["int", "generator"])
def test_unsupported_rng_forms_fail_with_a_clear_message(kind: str) -> None:
    import torch

    rng: Any = 3 if kind == "int" else torch.Generator().manual_seed(3)

    def f(x: Any) -> Any:
        return rx.gumbel_softmax(x, temperature=0.5, rng=rng)

    x = torch.tensor(L)
    f(x)  # fine in eager
    with pytest.raises(Exception, match=r"cannot be used under torch\.compile"):
        torch.compile(f, fullgraph=True, backend="eager")(x)  # fails while tracing


@_LONG_COMPILE
def test_inductor_rng_none_is_torch_global_generator_with_fallback_random() -> None:
    import torch
    import torch._inductor.config as inductor_config

    def f(x: Any) -> Any:
        return rx.gumbel_softmax(x, temperature=0.5, hard=True)

    x = torch.tensor(L)
    torch.manual_seed(5)
    eager = f(x)
    with inductor_config.patch(fallback_random=True):  # eager's draws, not inductor's own
        g = _compiled(f)
        torch.manual_seed(5)
        torch.testing.assert_close(g(x), eager)


def _sampler_calls() -> list[tuple[str, Any, Any]]:
    """Every public sampler, gate and estimator with an ``rng``: (name, fn(x), x)."""
    import torch
    from api_cases import CASES

    out = []
    for name, case in CASES.items():
        fn = getattr(rx, name)
        if "rng" not in inspect.signature(fn).parameters:
            continue
        args = [torch.tensor(a) if isinstance(a, np.ndarray) else a for a in case.args]
        first = args[0]
        if not isinstance(first, torch.Tensor):  # a callable first (inverse_cdf_sample)
            first, args = args[1], args
            out.append(
                (name, lambda x, fn=fn, a=args, k=case.kwargs: fn(a[0], x, *a[2:], **k), first)
            )
            continue
        out.append((name, lambda x, fn=fn, a=args, k=case.kwargs: fn(x, *a[1:], **k), first))

    def objective(b: Any) -> Any:
        return (b * torch.arange(1.0, b.shape[-1] + 1, dtype=b.dtype)).sum(-1) ** 2

    lg = torch.tensor([[0.3, -1.0, 2.0]] * 2, dtype=torch.float64)
    for name in est.__all__:
        fn = getattr(est, name)
        if name == "compare" or not callable(fn) or "rng" not in inspect.signature(fn).parameters:
            continue  # compare: an offline diagnostic (loops over estimators), not a model op
        if next(iter(inspect.signature(fn).parameters)) == "f":
            out.append((f"estimators.{name}", lambda x, fn=fn: fn(objective, x), lg))
        else:
            out.append((f"estimators.{name}", lambda x, fn=fn: fn(x), lg))
    return out


@_LONG_COMPILE
def test_inductor_compiles_every_sampler_with_rng_none() -> None:
    """rng=None (torch's global generator) under inductor, fullgraph, for every public
    function with an ``rng``: the compiled call runs and gives finite values of the
    eager call's shape (inductor draws from its own stream: the values differ)."""
    import torch

    failures = []
    for name, call, x in _sampler_calls():
        try:
            want = call(x)
        except Exception:  # needs more than the default arguments: not this test's business
            continue
        try:
            got = _compiled(call)(x)
        except Exception as exc:  # collect them all, then fail once
            failures.append(f"{name}: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
            continue
        if got.shape != want.shape or not bool(torch.all(torch.isfinite(got))):
            failures.append(f"{name}: shape {tuple(got.shape)} or non-finite values")
    assert not failures, "\n".join(failures)
