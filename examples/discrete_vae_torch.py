"""A VAE with 16 Bernoulli latents on scikit-learn's digits, in PyTorch (an nn.Module).

The encoder's gradient comes from the relaxarray estimator picked by ``--estimator``;
the loss is built by ``examples/_vae_common.py``, shared word for word with the JAX
version (``discrete_vae_jax.py``)::

    python examples/discrete_vae_torch.py --estimator disarm --out vae_torch
    python examples/discrete_vae_torch.py --quick --estimator st-gs   # a few seconds

Prints the negative ELBO (nats per image, train and held-out) after every epoch and
saves ``reconstructions.png`` and ``samples.png`` in ``--out``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

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


class DiscreteVAE(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Linear(PIXELS, HIDDEN), nn.Tanh(), nn.Linear(HIDDEN, LATENTS)
        )
        self.decoder = nn.Sequential(
            nn.Linear(LATENTS, HIDDEN), nn.Tanh(), nn.Linear(HIDDEN, PIXELS)
        )

    def forward(
        self, x: torch.Tensor, estimator: str, rng: torch.Generator, num_samples: int = 2
    ) -> torch.Tensor:
        """The negative ELBO surrogate (mean over the batch)."""
        return negative_elbo(
            estimator, x, self.encoder(x), self.decoder, rng, num_samples=num_samples
        )


def evaluate(model: DiscreteVAE, x: torch.Tensor, seed: int) -> float:
    """Negative ELBO with 16 samples per image and fixed noise (value only)."""
    with torch.no_grad():
        rng = torch.Generator().manual_seed(seed)
        return float(model(x, "reinforce", rng, num_samples=16))


def main() -> int:
    args = parse_args(__doc__.splitlines()[0])
    torch.manual_seed(args.seed)
    train_np, test_np = load_digits(args.seed)
    train = torch.as_tensor(train_np, dtype=torch.float32)
    test = torch.as_tensor(test_np, dtype=torch.float32)
    model = DiscreteVAE()
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    rng = torch.Generator().manual_seed(args.seed)
    print(f"discrete VAE (torch), {LATENTS} Bernoulli latents, estimator {args.estimator}")
    print(
        f"epoch 0: train -ELBO {evaluate(model, train, 1):.3f}  "
        f"held-out -ELBO {evaluate(model, test, 2):.3f}"
    )
    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        perm = torch.randperm(len(train), generator=rng)
        for i in range(0, len(train), args.batch_size):
            loss = model(train[perm[i : i + args.batch_size]], args.estimator, rng)
            opt.zero_grad()
            loss.backward()
            opt.step()
        print(
            f"epoch {epoch}: train -ELBO {evaluate(model, train, 1):.3f}  "
            f"held-out -ELBO {evaluate(model, test, 2):.3f}",
            flush=True,
        )
    print(f"trained in {time.perf_counter() - start:.1f} s")
    with torch.no_grad():
        originals = test[:12]
        z = torch.rand(12, LATENTS, generator=rng) < torch.sigmoid(model.encoder(originals))
        recon = torch.sigmoid(model.decoder(z.float()))
        prior = (torch.rand(32, LATENTS, generator=rng) < 0.5).float()
        samples = torch.sigmoid(model.decoder(prior))
    for path in save_figures(
        args.out, originals.numpy(), recon.numpy(), samples.numpy(), f"torch, {args.estimator}"
    ):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    np.set_printoptions(precision=3)
    raise SystemExit(main())
