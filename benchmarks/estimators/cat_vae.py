"""A small categorical VAE on scikit-learn's digits (8x8, binarised at > 7), trained for a
fixed budget with each estimator on torch and on jax (the same relaxarray calls on both).

Model: L = 8 latent variables with C = 4 categories, uniform prior; linear encoder
(logits = x We + be, reshaped (L, C)) and linear decoder (pixel logits = flat(y) Wd + bd).
ELBO = E_q[log p(x | y)] - KL(q(y | x) || p(y)); the KL term is analytic (exact gradient),
the reconstruction term's gradient comes from the estimator:

- score-function estimators (REINFORCE, RLOO) and REBAR get f(y) = log p(x | y) and return
  a surrogate (decoder gradient pathwise through f);
- straight-through estimators return a hard one-hot y with a pseudo-gradient, and the loss
  is -log p(x | y).

Training: 1437 / 360 train / held-out split (fixed permutation, seed 0), batch 100, Adam
(lr 3e-3, numpy, identical on both backends), float64. Reported: held-out negative ELBO
(100 samples from q per example, common random numbers across estimators), and the
variance of the encoder-weight gradient at the common initial parameters (mean over the
coordinates of We of the variance over repeated estimates on one fixed batch of 100).

    python benchmarks/estimators/cat_vae.py [--quick] [--estimators "ST-GS,ReinMax"]
        [--backends torch,jax] [--steps N]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from common import adam_train, numpy_grads_from_jax, table

import relaxarray as ra
from relaxarray import estimators as est

L, C = 8, 4
TEMP = 1.0

# name -> (kind, function, keyword arguments); kind "sur": surrogate of E[f], "st": sample
ESTIMATORS: dict[str, tuple[str, Callable[..., Any], dict[str, Any]]] = {
    "REINFORCE (S=2)": ("sur", est.reinforce, {"num_samples": 2}),
    "RLOO (S=2)": ("sur", est.reinforce, {"num_samples": 2, "baseline": "rloo"}),
    "REBAR (eta=1 T=0.5)": ("sur", est.rebar, {"eta": 1.0, "temperature": 0.5}),
    "ST": ("st", est.st_categorical, {"temperature": TEMP}),
    "ST-GS": ("st", est.st_gumbel_softmax, {"temperature": TEMP}),
    "Gumbel-Rao (K=10)": ("st", est.gumbel_rao, {"temperature": TEMP, "num_rao_samples": 10}),
    "ReinMax (T=1)": ("st", est.reinmax, {"temperature": 1.0}),
    "GST-1.0": ("st", est.gapped_st, {"temperature": TEMP}),
    "GST-p": ("st", est.gapped_st, {"temperature": TEMP, "gap": "p"}),
    "DST (Tf=1 Tb=2)": (
        "st",
        est.decoupled_st,
        {"forward_temperature": 1.0, "backward_temperature": 2.0},
    ),
}


def load() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    x = (load_digits().data > 7).astype(np.float64)
    perm = np.random.default_rng(0).permutation(x.shape[0])
    return x[perm[:1437]], x[perm[1437:]]


def init_params(d: int, seed: int = 0) -> dict[str, np.ndarray]:
    r = np.random.default_rng(seed)
    return {
        "We": 0.1 * r.standard_normal((d, L * C)),
        "be": np.zeros(L * C),
        "Wd": 0.1 * r.standard_normal((L * C, d)),
        "bd": np.zeros(d),
    }


def log_px(xp: Any, p: dict[str, Any], x: Any, y: Any) -> Any:
    """log p(x | y) for y of shape (..., batch, L, C): shape (..., batch)."""
    flat = xp.reshape(y, (*y.shape[:-2], L * C))
    lx = flat @ p["Wd"] + p["bd"]
    return xp.sum(x * lx - ra.softplus(lx), axis=-1)


def kl_uniform(xp: Any, logits: Any) -> Any:
    """KL(Cat(softmax logits) || uniform), summed over the L variables: shape (batch,)."""
    lq = ra.log_softmax(logits, axis=-1)
    return xp.sum(xp.exp(lq) * lq, axis=(-2, -1)) + L * float(np.log(C))


def neg_elbo_loss(xp: Any, p: dict[str, Any], x: Any, name: str, rng: Any) -> Any:
    kind, fn, kw = ESTIMATORS[name]
    logits = xp.reshape(x @ p["We"] + p["be"], (x.shape[0], L, C))
    if kind == "sur":
        rec = fn(lambda y: log_px(xp, p, x, y), logits, distribution="categorical", rng=rng, **kw)
    else:
        rec = log_px(xp, p, x, fn(logits, rng=rng, **kw))
    return xp.mean(kl_uniform(xp, logits) - rec)


def make_torch(name: str) -> Callable[[dict[str, np.ndarray], np.ndarray], dict[str, Any]]:
    import torch

    gen = torch.Generator().manual_seed(0)

    def grads(p: dict[str, np.ndarray], x: np.ndarray) -> dict[str, np.ndarray]:
        tp = {k: torch.tensor(v, requires_grad=True) for k, v in p.items()}
        loss = neg_elbo_loss(torch, tp, torch.as_tensor(x), name, gen)
        g = torch.autograd.grad(loss, list(tp.values()))
        return {k: v.numpy() for k, v in zip(tp, g, strict=True)}

    return grads


def make_jax(name: str) -> Callable[[dict[str, np.ndarray], np.ndarray], dict[str, Any]]:
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    g = jax.jit(jax.grad(lambda jp, x, key: neg_elbo_loss(jnp, jp, x, name, key)))
    return numpy_grads_from_jax(g)


def heldout_neg_elbo(p: dict[str, np.ndarray], x: np.ndarray, samples: int = 100) -> float:
    logits = (x @ p["We"] + p["be"]).reshape(x.shape[0], L, C)
    lq = logits - logits.max(-1, keepdims=True)
    lq = lq - np.log(np.exp(lq).sum(-1, keepdims=True))
    g = -np.log(-np.log(np.random.default_rng(123).random((samples, *logits.shape))))
    y = np.eye(C)[np.argmax(lq + g, axis=-1)]
    rec = log_px(np, p, x, y).mean(0)
    kl = (np.exp(lq) * lq).sum((-2, -1)) + L * np.log(C)
    return float(np.mean(kl - rec))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="60 steps, 10 variance repeats")
    ap.add_argument("--steps", type=int, default=None)
    ap.add_argument(
        "--estimators",
        default=",".join(ESTIMATORS),
        help="comma-separated names from: " + ", ".join(ESTIMATORS),
    )
    ap.add_argument("--backends", default="torch,jax")
    args = ap.parse_args()
    names = [n.strip() for n in args.estimators.split(",") if n.strip()]
    for n in names:
        if n not in ESTIMATORS:
            raise SystemExit(f"unknown estimator {n!r}; choose from {list(ESTIMATORS)}")
    train_x, test_x = load()
    steps = args.steps if args.steps is not None else (60 if args.quick else 800)
    reps = 10 if args.quick else 50
    batch = 100
    init = init_params(train_x.shape[1])
    print(
        f"digits binarised: {train_x.shape[0]} train / {test_x.shape[0]} held-out, "
        f"{L} x {C}-category latents, batch {batch}, {steps} Adam steps (lr 3e-3), "
        f"Var[grad We] from {reps} estimates at the initial parameters\n"
    )
    print(f"held-out -ELBO at init: {heldout_neg_elbo(init, test_x):.3f}\n")
    rows = []
    for backend in [b.strip() for b in args.backends.split(",")]:
        for name in names:
            grads = make_torch(name) if backend == "torch" else make_jax(name)
            xb = train_x[:batch]
            ge = np.stack([grads(init, xb)["We"] for _ in range(reps)])
            var = float(ge.var(axis=0, ddof=1).mean())
            p, ms = adam_train(grads, init, train_x, steps, batch, f"{backend} {name}")
            rows.append(
                [backend, name, heldout_neg_elbo(p, test_x), heldout_neg_elbo(p, train_x), var, ms]
            )
    print(
        table(
            [
                "backend",
                "estimator",
                "held-out -ELBO",
                "train -ELBO",
                "Var[grad We] at init",
                "ms / step",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    main()
