"""The parts of the discrete VAE examples that do not depend on the framework.

Used by ``discrete_vae_torch.py`` and ``discrete_vae_jax.py``: the data (scikit-learn's
digits, binarised), the negative ELBO written once with relaxarray and ``xp.*`` (so both
scripts call the very same relaxarray functions), and the PNG figures.

Latents: 16 independent Bernoulli variables, prior Bernoulli(1/2). So the estimators that
apply are those for Bernoulli latents (see ``ESTIMATORS``); the categorical-only ones
(Gumbel-Rao, ReinMax, Gapped and Decoupled ST) are not offered.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from array_api_compat import array_namespace

import relaxarray as rx
from relaxarray import estimators as est

LATENTS = 16
PIXELS = 64
HIDDEN = 128
ESTIMATORS = ("reinforce", "rloo", "arm", "disarm", "st", "st-gs", "rebar")


def parse_args(description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--estimator",
        choices=ESTIMATORS,
        default="disarm",
        help="gradient estimator for the encoder (default: disarm)",
    )
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="vae_out", help="folder for the PNG figures")
    parser.add_argument("--quick", action="store_true", help="a few epochs, for CI")
    args = parser.parse_args()
    if args.quick:
        args.epochs = 15
    return args


def load_digits(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 8x8 digits (1797 images), binarised at > 7: (train, held-out)."""
    from sklearn.datasets import load_digits as _load

    x = (_load().data > 7).astype(np.float32)
    perm = np.random.default_rng(seed).permutation(len(x))
    x = x[perm]
    return x[:1500], x[1500:]


def negative_elbo(
    estimator: str,
    x: Any,
    enc_logits: Any,
    decode: Callable[[Any], Any],
    rng: object,
    *,
    num_samples: int = 2,
) -> Any:
    """Mean over the batch of a surrogate of the negative ELBO.

    Its value is a Monte Carlo estimate of ``E_q[-log p(x | z)] + KL(q(z | x) || p(z))``;
    its gradient (torch.autograd or jax.grad) is the chosen estimator for the encoder's
    logits and the pathwise gradient for the decoder. Every estimator gets
    ``num_samples`` evaluations of the decoder per example (REBAR: 3 per sample).
    """
    xp = array_namespace(enc_logits)

    def f(z: Any) -> Any:  # -log p(x | z), shape (S, B), on hard or relaxed z
        logits = decode(z)
        return xp.sum(rx.softplus(logits) - x * logits, axis=-1)

    def mean_f(z: Any) -> Any:
        return xp.mean(f(z), axis=0)

    s = num_samples
    if estimator == "reinforce":
        rec = est.reinforce(f, enc_logits, num_samples=s, rng=rng)
    elif estimator == "rloo":
        rec = est.reinforce(f, enc_logits, num_samples=s, baseline="rloo", rng=rng)
    elif estimator == "arm":
        rec = est.arm(f, enc_logits, num_samples=max(1, s // 2), rng=rng)
    elif estimator == "disarm":
        rec = est.disarm(f, enc_logits, num_samples=max(1, s // 2), rng=rng)
    elif estimator == "st":
        rec = mean_f(est.st_bernoulli(enc_logits, pseudo="sigmoid", sample_shape=s, rng=rng))
    elif estimator == "st-gs":
        rec = mean_f(
            rx.relaxed_bernoulli(enc_logits, temperature=0.5, hard=True, sample_shape=s, rng=rng)
        )
    elif estimator == "rebar":
        rec = est.rebar(f, enc_logits, eta=1.0, temperature=0.5, num_samples=1, rng=rng)
    else:
        raise ValueError(f"unknown estimator {estimator!r}; choose from {ESTIMATORS}")
    # KL(Bern(q) || Bern(1/2)) in log space: q log q + (1 - q) log(1 - q) + log 2
    log_q, log_1mq = -rx.softplus(-enc_logits), -rx.softplus(enc_logits)
    q = xp.exp(log_q)
    kl = xp.sum(q * log_q + (1 - q) * log_1mq + math.log(2.0), axis=-1)
    return xp.mean(rec + kl)


def save_figures(
    out: str, originals: np.ndarray, recon: np.ndarray, samples: np.ndarray, title: str
) -> list[Path]:
    """``reconstructions.png`` (held-out digits above their reconstructions) and
    ``samples.png`` (decoder means for latents drawn from the prior)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    n = originals.shape[0]
    fig, axes = plt.subplots(2, n, figsize=(n * 0.9, 2.2))
    for i in range(n):
        for row, img in ((0, originals[i]), (1, recon[i])):
            axes[row][i].imshow(img.reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
            axes[row][i].axis("off")
    fig.suptitle(f"{title}: held-out digits (top) and reconstructions (bottom)", fontsize=9)
    paths.append(folder / "reconstructions.png")
    fig.savefig(paths[-1], dpi=80)
    plt.close(fig)
    k = samples.shape[0]
    cols = 8
    fig, axes = plt.subplots(k // cols, cols, figsize=(cols * 0.9, k // cols * 0.9 + 0.4))
    for i in range(k):
        ax = axes[i // cols][i % cols]
        ax.imshow(samples[i].reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
        ax.axis("off")
    fig.suptitle(f"{title}: samples from the prior (decoder means)", fontsize=9)
    paths.append(folder / "samples.png")
    fig.savefig(paths[-1], dpi=80)
    plt.close(fig)
    return paths
