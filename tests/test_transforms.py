"""The deterministic relaxations under jax.jit / vmap / grad and torch.compile."""

from __future__ import annotations

import numpy as np
import pytest

import relaxarray as rx
from relaxarray.testing import requires_backend

X = np.array([[1.1, 4.0, -0.1, 2.3], [0.0, -1.0, 2.0, 0.5]])


def _all(v):  # type: ignore[no-untyped-def]
    return (
        rx.softmax(v, temperature=0.5).sum()
        + rx.log_softmax(v).sum()
        + rx.logsumexp(v, temperature=2.0).sum()
        + rx.soft_argmax(v, temperature=0.7).sum()
        + rx.soft_max(v).sum()
        + rx.softplus(v, beta=2.0).sum()
        + rx.huber(v, 0.5 * v).sum()
        + rx.smooth_l1(v, 0.5 * v, beta=0.5).sum()
        + rx.st_argmax(v, temperature=0.5).sum()
        + (rx.st_argmax(v, one_hot=True) * v).sum()
    )


@requires_backend("jax")
def test_jax_jit_vmap_grad() -> None:
    jax = pytest.importorskip("jax")
    x = jax.numpy.asarray(X)
    eager_val, eager_grad = _all(x), jax.grad(_all)(x)
    np.testing.assert_allclose(jax.jit(_all)(x), eager_val, rtol=1e-12)
    np.testing.assert_allclose(jax.jit(jax.grad(_all))(x), eager_grad, rtol=1e-12)
    per_row = jax.vmap(lambda r: _all(r[None, :]))(x)
    np.testing.assert_allclose(per_row.sum(), eager_val, rtol=1e-12)
    # temperature as a traced array inside jit
    f = jax.jit(lambda v, t: rx.softmax(v, temperature=t))
    np.testing.assert_allclose(f(x, 0.5), rx.softmax(x, temperature=0.5), rtol=1e-12)


@requires_backend("torch")
def test_torch_compile_fullgraph() -> None:
    torch = pytest.importorskip("torch")
    x = torch.tensor(X, requires_grad=True)
    eager = _all(x)
    (eager_grad,) = torch.autograd.grad(eager, x)
    compiled = torch.compile(_all, fullgraph=True, backend="aot_eager")
    x2 = x.detach().clone().requires_grad_(True)
    out = compiled(x2)
    (grad,) = torch.autograd.grad(out, x2)
    torch.testing.assert_close(out, eager)
    torch.testing.assert_close(grad, eager_grad)
