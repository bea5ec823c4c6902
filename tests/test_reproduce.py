"""The paper reproductions of ``benchmarks/reproduce/`` in their quick modes.

- ReinMax's polynomial programming (Liu et al. 2023), p = 2, 3 seeds: ReinMax ends within
  0.003 of the optimum 0.45^2 and at least 0.02 below straight-through and ST
  Gumbel-softmax.
- The linear binary VAE on binarised MNIST (REBAR/RELAX/DisARM papers): the jax and torch
  losses and gradients agree for the same parameters and noise; 2000 training steps
  raise the training ELBO by more than 15 nats for every estimator; the encoder-gradient
  variances at initialisation are in the measured order (see the test's docstring).

The MNIST tests need ``../shared/data/binarized_mnist.npz`` beside the repository root
(or ``RELAXARRAY_REPRO_DATA``): the statically binarised MNIST of Larochelle & Murray
(2011); they skip without it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from relaxarray.testing import requires_backend

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks" / "reproduce"))

DATA = Path(
    os.environ.get("RELAXARRAY_REPRO_DATA", ROOT.parent / "shared" / "data" / "binarized_mnist.npz")
)


@pytest.fixture(scope="module")
def mnist() -> dict[str, np.ndarray]:
    if not DATA.exists():
        pytest.skip(
            f"binarised MNIST not found at {DATA} (the statically binarised MNIST "
            "of Larochelle & Murray 2011; set RELAXARRAY_REPRO_DATA to its .npz)"
        )
    import binary_vae

    return binary_vae.load_data(DATA)


@requires_backend("jax")
def test_reinmax_polynomial_programming_quick() -> None:
    import reinmax_poly

    final = {m: reinmax_poly.run(m, 2.0, seeds=3)["final_mean"] for m in reinmax_poly.METHODS}
    assert final["reinmax"] <= 0.45**2 + 0.003, final
    assert final["reinmax"] <= final["st"] - 0.02, final
    assert final["reinmax"] <= final["st_gs"] - 0.02, final


@requires_backend("jax", "torch")
def test_binary_vae_jax_and_torch_agree(mnist: dict[str, np.ndarray]) -> None:
    """Same parameters and uniform noise: the same loss and gradients on both backends.

    The prior logits start at exactly 0, where a log-sigmoid written with ``minimum`` and
    ``abs`` has a kink whose subgradient jax and torch pick differently (jax's prior
    gradient was twice the true one); the test caught it.
    """
    import binary_vae as bv

    train = mnist["train"]
    params, cv = bv.init_params(train, 0)
    cv["w2"] = (0.1 * np.random.default_rng(3).standard_normal(cv["w2"].shape)).astype(
        np.float32
    )  # a non-zero RELAX network
    x, mean_x = train[:16], train.mean(0).astype(np.float32)
    for name in bv.ESTIMATORS:
        noise = (
            np.random.default_rng(1).uniform(1e-6, 1, bv.noise_shape(name, 16)).astype(np.float32)
        )
        vj, gj = bv.loss_and_grads("jax", name, params, cv, x, mean_x, noise)
        vt, gt = bv.loss_and_grads("torch", name, params, cv, x, mean_x, noise)
        assert vj == pytest.approx(vt, rel=1e-5), name
        for k in gj:
            scale = np.abs(gj[k]).max()
            assert scale > 0, (name, k)
            np.testing.assert_allclose(gj[k], gt[k], atol=1e-4 * scale, err_msg=f"{name} {k}")


@requires_backend("jax")
@pytest.mark.parametrize("estimator", ["rloo", "arm", "disarm", "rebar", "relax"])
def test_binary_vae_quick_training_raises_elbo(
    mnist: dict[str, np.ndarray], estimator: str
) -> None:
    import binary_vae as bv

    res: dict[str, Any] = bv.train(
        estimator, mnist, 2000, eval_every=2000, eval_train=2000, eval_valid=500, log=lambda s: None
    )
    first, last = res["curve"][0], res["curve"][-1]
    assert last["step"] == 2000
    assert np.isfinite(last["train_elbo"])
    assert last["train_elbo"] - first["train_elbo"] > 15, res["curve"]


@requires_backend("jax")
def test_binary_vae_gradient_variance_order_at_init(mnist: dict[str, np.ndarray]) -> None:
    """Measured order: DisARM < RLOO (2 samples) < ARM (1 pair) << REINFORCE (2 samples).

    The issue expected ARM < RLOO; at this initialisation ARM's variance is about 18%
    above RLOO's (0.0131 vs 0.0111 a coordinate of dL/dWe, 2000 estimates; the spread
    over noise seeds is about 1%), so the test asserts the order measured. DisARM <= ARM
    (DisARM is ARM with the uniform integrated out) holds as expected.
    """
    import binary_vae as bv

    var = {
        e: bv.gradient_variance(e, mnist["train"], reps=2000)
        for e in ("reinforce", "rloo", "arm", "disarm")
    }
    assert var["disarm"] < var["rloo"] < var["arm"], var
    assert var["arm"] < var["reinforce"] / 100, var
