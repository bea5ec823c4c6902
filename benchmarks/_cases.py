"""The benchmark cases shared by the scripts: relaxarray against the native form.

Every builder returns ``{name: (ours, native)}`` of zero-argument callables that compute
the same values (the native form is the framework's own call, or the formula written
by hand with the framework's ops). ``fwd+bwd`` cases also run the backward pass of
``sum(y * w)``. The scripts time them with :func:`_timing.ratio_table`; the GPU driver
(``benchmarks/gpu/driver.py``) calls the same builders with ``device="cuda"``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import relaxarray as rx

Pairs = dict[str, tuple[Callable[[], Any], Callable[[], Any]]]

#: the shapes of the issue's targets: a small eager call, a large batch, a vocabulary
SHAPES = [(8, 10), (256, 128), (4096, 1024)]
VOCAB = (64, 50257)


def _with_backward(
    pairs: dict[str, tuple[Callable[[Any], Any], Callable[[Any], Any]]],
    x: Any,
    w: Any,
    *,
    backward: bool,
) -> Pairs:
    """Bind ``x`` (a leaf that requires grad for ``fwd+bwd``) to one-argument pairs."""
    out: Pairs = {}
    for name, (ours, native) in pairs.items():
        out[f"{name} fwd"] = ((lambda f=ours: f(x)), (lambda f=native: f(x)))
        if backward:
            xg = x.detach().clone().requires_grad_(True)

            def step(f: Callable[[Any], Any], xg: Any = xg) -> Any:
                y = f(xg)
                (y * w if y.shape == w.shape else y).sum().backward()
                xg.grad = None
                return y

            out[f"{name} fwd+bwd"] = ((lambda f=ours: step(f)), (lambda f=native: step(f)))
    return out


def torch_relaxations(
    shape: tuple[int, int], device: str = "cpu", dtype: str = "float32", backward: bool = True
) -> Pairs:
    """The deterministic relaxations, eager torch, against torch's calls."""
    import torch
    import torch.nn.functional as F

    dt = getattr(torch, dtype)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(shape, generator=g, dtype=dt).to(device)
    y = torch.randn(shape, generator=g, dtype=dt).to(device)
    w = torch.randn(shape, generator=g, dtype=dt).to(device)
    idx = torch.arange(shape[-1], dtype=dt, device=device)
    pairs = {
        "softmax T=0.5": (
            lambda v: rx.softmax(v, temperature=0.5),
            lambda v: torch.softmax(v / 0.5, -1),
        ),
        "softmax T=0.7": (
            lambda v: rx.softmax(v, temperature=0.7),
            lambda v: torch.softmax(v / 0.7, -1),
        ),
        "log_softmax T=0.5": (
            lambda v: rx.log_softmax(v, temperature=0.5),
            lambda v: torch.log_softmax(v / 0.5, -1),
        ),
        "logsumexp": (lambda v: rx.logsumexp(v), lambda v: torch.logsumexp(v, -1)),
        "soft_argmax T=0.5": (
            lambda v: rx.soft_argmax(v, temperature=0.5),
            lambda v: torch.softmax(v / 0.5, -1) @ idx,
        ),
        "huber": (lambda v: rx.huber(v, y), lambda v: F.huber_loss(v, y, reduction="none")),
        "softplus": (rx.softplus, F.softplus),
    }
    return _with_backward(pairs, x, w, backward=backward)


def torch_samplers(
    shape: tuple[int, int], device: str = "cpu", dtype: str = "float32", backward: bool = True
) -> Pairs:
    """Gumbel-softmax (soft and straight-through) with torch's global generator
    (``rng=None``), against ``torch.nn.functional.gumbel_softmax``."""
    import torch
    import torch.nn.functional as F

    dt = getattr(torch, dtype)
    g = torch.Generator().manual_seed(1)
    x = torch.randn(shape, generator=g, dtype=dt).to(device)
    w = torch.randn(shape, generator=g, dtype=dt).to(device)
    pairs = {
        "gumbel_softmax": (
            lambda v: rx.gumbel_softmax(v, temperature=0.5),
            lambda v: F.gumbel_softmax(v, tau=0.5),
        ),
        "gumbel_softmax hard": (
            lambda v: rx.gumbel_softmax(v, temperature=0.5, hard=True),
            lambda v: F.gumbel_softmax(v, tau=0.5, hard=True),
        ),
    }
    return _with_backward(pairs, x, w, backward=backward)


def torch_compiled(shape: tuple[int, int], device: str = "cpu", backward: bool = True) -> Pairs:
    """``torch.compile`` (inductor, fullgraph) of relaxarray against the compiled native
    formula, with the same given noise (so both compute the same values)."""
    import torch

    g = torch.Generator().manual_seed(2)
    x = torch.randn(shape, generator=g).to(device)
    w = torch.randn(shape, generator=g).to(device)
    u = torch.rand(shape, generator=g).clamp_min(1e-30).to(device)

    def st(v: Any) -> Any:
        y = torch.softmax((v - torch.log(-torch.log(u))) / 0.5, -1)
        h = torch.zeros_like(y).scatter(-1, y.argmax(-1, keepdim=True), 1.0)
        return h - y.detach() + y

    pairs: dict[str, tuple[Callable[[Any], Any], Callable[[Any], Any]]] = {
        "softmax T=0.7": (
            lambda v: rx.softmax(v, temperature=0.7),
            lambda v: torch.softmax(v / 0.7, -1),
        ),
        "gumbel_softmax (noise=)": (
            lambda v: rx.gumbel_softmax(v, temperature=0.5, noise=u),
            lambda v: torch.softmax((v - torch.log(-torch.log(u))) / 0.5, -1),
        ),
        "gumbel_softmax hard (noise=)": (
            lambda v: rx.gumbel_softmax(v, temperature=0.5, hard=True, noise=u),
            st,
        ),
    }
    compiled = {
        name: (torch.compile(a, fullgraph=True), torch.compile(b, fullgraph=True))
        for name, (a, b) in pairs.items()
    }
    return _with_backward(compiled, x, w, backward=backward)


def numpy_cases(shape: tuple[int, int]) -> Pairs:
    """NumPy: relaxarray against a hand-optimised in-place NumPy form."""
    import numpy as np

    rs = np.random.default_rng(0)
    x = rs.standard_normal(shape, dtype=np.float32)
    u = np.maximum(rs.random(shape, dtype=np.float32), np.finfo(np.float32).tiny)

    def softmax_np(v: Any, t: float) -> Any:
        z = v / t
        z -= z.max(axis=-1, keepdims=True)
        np.exp(z, out=z)
        z /= z.sum(axis=-1, keepdims=True)
        return z

    def gumbel_np(v: Any, t: float) -> Any:
        g = np.log(u)
        np.negative(g, out=g)
        np.log(g, out=g)
        np.subtract(v, g, out=g)  # v + gumbel noise
        g /= t
        g -= g.max(axis=-1, keepdims=True)
        np.exp(g, out=g)
        g /= g.sum(axis=-1, keepdims=True)
        return g

    from relaxarray import estimators as est

    def f(b: Any) -> Any:
        return (b - 0.45) ** 2

    u1 = u[None]

    def reinforce_np(v: Any) -> Any:
        # the explicit REINFORCE gradient, Bernoulli, one sample: f(b) (b - sigmoid(v))
        p = np.exp(-np.logaddexp(0.0, -v))
        b = (u1 < p).astype(v.dtype)
        g = f(b)
        b -= p
        g *= b
        return g.mean(axis=0)

    return {
        "softmax T=0.7": (lambda: rx.softmax(x, temperature=0.7), lambda: softmax_np(x, 0.7)),
        "gumbel_softmax (noise=)": (
            lambda: rx.gumbel_softmax(x, temperature=0.7, noise=u),
            lambda: gumbel_np(x, 0.7),
        ),
        "estimators.reinforce_grad (noise=)": (
            lambda: est.reinforce_grad(f, x, noise=u1).grad,
            lambda: reinforce_np(x),
        ),
    }


def jax_cases(shape: tuple[int, int]) -> tuple[Pairs, Callable[[Any], Any]]:
    """JAX under ``jax.jit``: relaxarray against hand-written jax, values and gradients."""
    import jax
    import jax.numpy as jnp

    k1, k2, k3 = jax.random.split(jax.random.key(0), 3)
    x = jax.random.normal(k1, shape, dtype=jnp.float32)
    w = jax.random.normal(k2, shape, dtype=jnp.float32)
    u = jax.random.uniform(k3, shape, dtype=jnp.float32, minval=1e-30)
    idx = jnp.arange(shape[-1], dtype=x.dtype)

    def st(v: Any) -> Any:
        y = jax.nn.softmax((v - jnp.log(-jnp.log(u))) / 0.5)
        h = jax.nn.one_hot(jnp.argmax(y, -1), shape[-1], dtype=y.dtype)
        return h - jax.lax.stop_gradient(y) + y

    pairs = {
        "softmax T=0.7": (
            lambda v: rx.softmax(v, temperature=0.7),
            lambda v: jax.nn.softmax(v / 0.7),
        ),
        "logsumexp": (rx.logsumexp, lambda v: jax.scipy.special.logsumexp(v, axis=-1)),
        "soft_argmax T=0.5": (
            lambda v: rx.soft_argmax(v, temperature=0.5),
            lambda v: jax.nn.softmax(v / 0.5) @ idx,
        ),
        "softplus": (rx.softplus, jax.nn.softplus),
        "gumbel_softmax (noise=)": (
            lambda v: rx.gumbel_softmax(v, temperature=0.5, noise=u),
            lambda v: jax.nn.softmax((v - jnp.log(-jnp.log(u))) / 0.5),
        ),
        "gumbel_softmax hard (noise=)": (
            lambda v: rx.gumbel_softmax(v, temperature=0.5, hard=True, noise=u),
            st,
        ),
    }
    out: Pairs = {}
    for name, (ours, native) in pairs.items():
        fo, fn = jax.jit(ours), jax.jit(native)
        out[f"{name} fwd"] = ((lambda f=fo: f(x)), (lambda f=fn: f(x)))

        def loss(f: Callable[[Any], Any]) -> Callable[[Any], Any]:
            return lambda v: jnp.sum(f(v) * w) if f(v).shape == w.shape else jnp.sum(f(v))

        go, gn = jax.jit(jax.grad(loss(ours))), jax.jit(jax.grad(loss(native)))
        out[f"{name} fwd+bwd"] = ((lambda f=go: f(x)), (lambda f=gn: f(x)))
    return out, lambda o: o.block_until_ready()


def cupy_cases(shape: tuple[int, int]) -> Pairs:
    """CuPy (GPU): relaxarray against the same formulas written with cupy."""
    import cupy as cp

    rs = cp.random.default_rng(0)
    x = rs.standard_normal(shape, dtype=cp.float32)
    u = cp.maximum(rs.random(shape, dtype=cp.float32), cp.finfo(cp.float32).tiny)

    def softmax_cp(v: Any, t: float) -> Any:
        z = v / t
        z = cp.exp(z - z.max(axis=-1, keepdims=True))
        return z / z.sum(axis=-1, keepdims=True)

    return {
        "softmax T=0.7": (lambda: rx.softmax(x, temperature=0.7), lambda: softmax_cp(x, 0.7)),
        "gumbel_softmax (noise=)": (
            lambda: rx.gumbel_softmax(x, temperature=0.7, noise=u),
            lambda: softmax_cp(x - cp.log(-cp.log(u)), 0.7),
        ),
        "gumbel_softmax (rng=None)": (
            lambda: rx.gumbel_softmax(x, temperature=0.7),
            lambda: softmax_cp(
                x - cp.log(-cp.log(cp.maximum(cp.random.random(shape, dtype=cp.float32), 1e-38))),
                0.7,
            ),
        ),
    }
