"""A VAE with 16 Bernoulli latents on scikit-learn's digits, in JAX (plain pytrees).

Parameters are a dict of arrays, gradients come from ``jax.grad`` and the optimiser is a
few lines of Adam; the loss is built by ``examples/_vae_common.py``, shared word for word
with the PyTorch version (``discrete_vae_torch.py``), so both call the very same
relaxarray estimators::

    python examples/discrete_vae_jax.py --estimator disarm --out vae_jax
    python examples/discrete_vae_jax.py --quick --estimator rebar   # a few seconds

Prints the negative ELBO (nats per image, train and held-out) after every epoch and
saves ``reconstructions.png`` and ``samples.png`` in ``--out``.
"""

from __future__ import annotations

import sys
import time
from functools import partial
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _vae_common import (
    HIDDEN,
    LATENTS,
    PIXELS,
    load_digits,
    negative_elbo,
    parse_args,
    save_figures,
)

Params = dict[str, Any]


def init_params(key: jax.Array) -> Params:
    """PyTorch's default Linear initialisation, U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
    shapes = {
        "enc1": (PIXELS, HIDDEN),
        "enc2": (HIDDEN, LATENTS),
        "dec1": (LATENTS, HIDDEN),
        "dec2": (HIDDEN, PIXELS),
    }
    params: Params = {}
    for k, (name, (n_in, n_out)) in zip(jax.random.split(key, 4), shapes.items(), strict=True):
        kw, kb = jax.random.split(k)
        bound = 1 / np.sqrt(n_in)
        params[name] = {
            "w": jax.random.uniform(kw, (n_in, n_out), minval=-bound, maxval=bound),
            "b": jax.random.uniform(kb, (n_out,), minval=-bound, maxval=bound),
        }
    return params


def mlp(p1: Params, p2: Params, x: jax.Array) -> jax.Array:
    return jnp.tanh(x @ p1["w"] + p1["b"]) @ p2["w"] + p2["b"]


def encode(params: Params, x: jax.Array) -> jax.Array:
    return mlp(params["enc1"], params["enc2"], x)


def decode(params: Params, z: jax.Array) -> jax.Array:
    return mlp(params["dec1"], params["dec2"], z)


def loss(
    params: Params, x: jax.Array, key: jax.Array, estimator: str, num_samples: int = 2
) -> jax.Array:
    return negative_elbo(
        estimator, x, encode(params, x), partial(decode, params), key, num_samples=num_samples
    )


@partial(jax.jit, static_argnames="estimator")
def step(
    params: Params, opt: Params, x: jax.Array, key: jax.Array, estimator: str, lr: float
) -> tuple[Params, Params]:
    """One Adam step (Kingma & Ba 2015) on the surrogate's gradient."""
    grads = jax.grad(loss)(params, x, key, estimator)
    t = opt["t"] + 1
    m = jax.tree.map(lambda m, g: 0.9 * m + 0.1 * g, opt["m"], grads)
    v = jax.tree.map(lambda v, g: 0.999 * v + 0.001 * g * g, opt["v"], grads)
    params = jax.tree.map(
        lambda p, m, v: p - lr * (m / (1 - 0.9**t)) / (jnp.sqrt(v / (1 - 0.999**t)) + 1e-8),
        params,
        m,
        v,
    )
    return params, {"m": m, "v": v, "t": t}


@jax.jit
def evaluate(params: Params, x: jax.Array, key: jax.Array) -> jax.Array:
    """Negative ELBO with 16 samples per image (value only)."""
    return loss(jax.lax.stop_gradient(params), x, key, "reinforce", num_samples=16)


def main() -> int:
    args = parse_args(__doc__.splitlines()[0])
    train_np, test_np = load_digits(args.seed)
    train, test = jnp.asarray(train_np), jnp.asarray(test_np)
    key, init_key = jax.random.split(jax.random.key(args.seed))
    params = init_params(init_key)
    zeros = jax.tree.map(jnp.zeros_like, params)
    opt = {"m": zeros, "v": zeros, "t": jnp.zeros(())}
    k_train, k_test = jax.random.key(1), jax.random.key(2)

    def report(epoch: int) -> None:
        print(
            f"epoch {epoch}: train -ELBO {float(evaluate(params, train, k_train)):.3f}  "
            f"held-out -ELBO {float(evaluate(params, test, k_test)):.3f}",
            flush=True,
        )

    print(f"discrete VAE (jax), {LATENTS} Bernoulli latents, estimator {args.estimator}")
    report(0)
    start = time.perf_counter()
    n = len(train_np)
    for epoch in range(1, args.epochs + 1):
        key, k_perm = jax.random.split(key)
        perm = np.asarray(jax.random.permutation(k_perm, n))
        for i in range(0, n - args.batch_size + 1, args.batch_size):
            key, k_step = jax.random.split(key)
            params, opt = step(
                params, opt, train[perm[i : i + args.batch_size]], k_step, args.estimator, args.lr
            )
        report(epoch)
    print(f"trained in {time.perf_counter() - start:.1f} s")
    k1, k2 = jax.random.split(key)
    originals = test[:12]
    z = jax.random.bernoulli(k1, jax.nn.sigmoid(encode(params, originals))).astype(jnp.float32)
    recon = jax.nn.sigmoid(decode(params, z))
    prior = jax.random.bernoulli(k2, 0.5, (32, LATENTS)).astype(jnp.float32)
    samples = jax.nn.sigmoid(decode(params, prior))
    for path in save_figures(
        args.out,
        np.asarray(originals),
        np.asarray(recon),
        np.asarray(samples),
        f"jax, {args.estimator}",
    ):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
