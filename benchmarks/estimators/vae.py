"""A small Bernoulli VAE on scikit-learn's digits (8x8, binarised at > 7), trained with
each estimator on numpy (explicit forms, hand-written backprop), torch and jax
(surrogate forms + autodiff).

Model: K binary latents with a Bernoulli(1/2) prior; linear encoder (logits = x We + be)
and decoder (logits = b Wd + bd). ELBO per example f(b) = log p(x|b) + log p(b) - log q(b|x).
The encoder gradient comes from the estimator applied to f with log q's own parameter
dependence dropped (its expectation is zero); the decoder gradient is pathwise.
Adam (numpy, lr 3e-3) on all backends.

Reported: variance of the encoder-weight gradient at the fixed initial parameters (mean
over coordinates, from repeated estimates), ELBO on the whole dataset after training,
and median milliseconds per training step.

    python benchmarks/estimators/vae.py [--quick]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from common import adam_train, numpy_grads_from_jax, table

from relaxarray import estimators as est

K = 16
ESTIMATORS: dict[str, tuple[str, dict[str, Any]]] = {
    "REINFORCE (S=2)": ("reinforce", {"num_samples": 2}),
    "RLOO (S=2)": ("reinforce", {"num_samples": 2, "baseline": "rloo"}),
    "ARM (1 pair)": ("arm", {}),
    "DisARM (1 pair)": ("disarm", {}),
}


def load() -> np.ndarray:
    from sklearn.datasets import load_digits

    return (load_digits().data > 7).astype(np.float64)


def init_params(d: int, seed: int = 0) -> dict[str, np.ndarray]:
    r = np.random.default_rng(seed)
    return {
        "We": 0.1 * r.standard_normal((d, K)),
        "be": np.zeros(K),
        "Wd": 0.1 * r.standard_normal((K, d)),
        "bd": np.zeros(d),
    }


def _lsig(xp: Any, z: Any) -> Any:
    return xp.minimum(z, 0 * z) - xp.log1p(xp.exp(-xp.abs(z)))


def elbo_terms(xp: Any, p: dict[str, Any], x: Any, b: Any, enc: Any) -> Any:
    """f(b) of shape (S, batch) for samples b of shape (S, batch, K)."""
    lx = b @ p["Wd"] + p["bd"]
    logpx = xp.sum(x * _lsig(xp, lx) + (1 - x) * _lsig(xp, -lx), axis=-1)
    logq = xp.sum(b * _lsig(xp, enc) + (1 - b) * _lsig(xp, -enc), axis=-1)
    return logpx - K * np.log(2.0) - logq


# -- numpy: explicit forms and hand-written backprop -------------------------------------------
def numpy_grads(
    p: dict[str, np.ndarray], x: np.ndarray, stem: str, kw: dict[str, Any], rng: Any
) -> dict[str, np.ndarray]:
    enc = x @ p["We"] + p["be"]
    seen: list[np.ndarray] = []

    def f(b: np.ndarray) -> np.ndarray:
        seen.append(b)
        return elbo_terms(np, p, x, b, enc)

    res = getattr(est, stem + "_grad")(f, enc, rng=rng, **kw)
    n = x.shape[0]
    g_enc = -res.grad / n  # minimise -mean ELBO
    b = seen[0]
    lx = b @ p["Wd"] + p["bd"]
    d_lx = -(x - 1 / (1 + np.exp(-lx))) / (n * b.shape[0])  # (S, n, d)
    return {
        "We": x.T @ g_enc,
        "be": g_enc.sum(0),
        "Wd": np.einsum("snk,snd->kd", b, d_lx),
        "bd": d_lx.sum((0, 1)),
    }


def make_torch(stem: str, kw: dict[str, Any]) -> Any:
    import torch

    gen = torch.Generator().manual_seed(0)
    sur = getattr(est, stem)

    def grads(p: dict[str, np.ndarray], x: np.ndarray) -> dict[str, np.ndarray]:
        tp = {k: torch.tensor(v, requires_grad=True) for k, v in p.items()}
        tx = torch.as_tensor(x)
        enc = tx @ tp["We"] + tp["be"]
        loss = -sur(lambda b: elbo_terms(torch, tp, tx, b, enc.detach()), enc, rng=gen, **kw).mean()
        g = torch.autograd.grad(loss, list(tp.values()))
        return {k: v.numpy() for k, v in zip(tp, g, strict=True)}

    return grads


def make_jax(stem: str, kw: dict[str, Any]) -> Any:
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    sur = getattr(est, stem)

    def loss(jp: dict[str, Any], x: Any, key: Any) -> Any:
        enc = x @ jp["We"] + jp["be"]
        f = lambda b: elbo_terms(jnp, jp, x, b, jax.lax.stop_gradient(enc))  # noqa: E731
        return -sur(f, enc, rng=key, **kw).mean()

    g = jax.jit(jax.grad(loss))
    return numpy_grads_from_jax(g)


def elbo(p: dict[str, np.ndarray], x: np.ndarray, samples: int = 20) -> float:
    enc = x @ p["We"] + p["be"]
    u = np.random.default_rng(123).random((samples, *enc.shape))
    b = (np.log(u) < _lsig(np, enc)).astype(np.float64)
    return float(elbo_terms(np, p, x, b, enc).mean())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    data = load()
    steps = 100 if args.quick else 1500
    reps = 30 if args.quick else 300
    batch = 100
    rows = []
    init = init_params(data.shape[1])
    print(
        f"digits: {data.shape[0]} x {data.shape[1]} binarised; K={K}; batch {batch}; "
        f"{steps} Adam steps; variance from {reps} estimates at the initial parameters\n"
    )
    for backend in ("numpy", "torch", "jax"):
        for name, (stem, kw) in ESTIMATORS.items():
            if backend == "numpy":
                rng = np.random.default_rng(0)
                grads = lambda p, x, stem=stem, kw=kw, rng=rng: numpy_grads(  # noqa: E731
                    p, x, stem, kw, rng
                )
            elif backend == "torch":
                grads = make_torch(stem, kw)
            else:
                grads = make_jax(stem, kw)
            xb = data[:batch]
            ge = np.stack([grads(init, xb)["We"] for _ in range(reps)])
            var = float(ge.var(axis=0).mean())
            p, ms = adam_train(grads, init, data, steps, batch, f"{backend} {name}")
            rows.append([backend, name, var, elbo(init, data), elbo(p, data), ms])
    print(
        table(
            [
                "backend",
                "estimator",
                "Var[grad We] at init",
                "ELBO init",
                "ELBO after training",
                "ms / step",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    main()
