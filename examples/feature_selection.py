"""Feature selection with L0 gates on scikit-learn's breast cancer data, in PyTorch.

Every input feature of a logistic regression is multiplied by a stochastic gate in
[0, 1] with exact zeros: a hard concrete gate (Louizos, Welling & Kingma 2018,
``relaxarray.hard_concrete``) or a Gaussian stochastic gate (Yamada, Lindenbaum,
Negahban & Kluger 2020, ``relaxarray.gaussian_gate``). The loss is the cross-entropy
plus ``lam`` times the expected number of open gates (``hard_concrete_l0`` /
``gaussian_gate_l0``), which is differentiable in the gate parameters::

    python examples/feature_selection.py --gate hard-concrete --plot gates.png
    python examples/feature_selection.py --quick --gate gaussian   # a few seconds

To make the result checkable, ``--noise-features`` columns of pure Gaussian noise (fixed
seed) are appended to the 30 real features: the gates should close them and keep a few
informative real ones. Prints the surviving features (by name), the held-out accuracy
with all features and with the selected ones, and the number of selected features for
a range of L0 weights ``lam``. At test time the gates are deterministic
(``hard_concrete_gate``; ``clip(mu, 0, 1)`` for the Gaussian gates); a feature is
selected when its test-time gate is not exactly 0.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

import relaxarray as rx

GATES = ("hard-concrete", "gaussian")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gate", choices=GATES, default="hard-concrete")
    parser.add_argument(
        "--lam", type=float, default=0.01, help="L0 weight of the reported model (default 0.01)"
    )
    parser.add_argument(
        "--sweep",
        type=float,
        nargs="*",
        default=[0.001, 0.003, 0.01, 0.03, 0.1],
        help="L0 weights for the 'selected features vs lam' table",
    )
    parser.add_argument("--noise-features", type=int, default=30)
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--plot", default=None, help="save a bar chart of the gates (PNG)")
    parser.add_argument("--quick", action="store_true", help="fewer steps, for CI")
    args = parser.parse_args()
    if args.quick:
        args.steps = 600
        args.sweep = [0.002, 0.01, 0.1]
    return args


def load_data(
    noise_features: int, seed: int
) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Breast cancer (569 x 30) plus noise columns, standardised on the training split."""
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer()
    rng = np.random.default_rng(seed)
    noise = rng.standard_normal((len(data.target), noise_features))
    x = np.concatenate([data.data, noise], axis=1)
    names = [str(n) for n in data.feature_names]
    names += [f"noise {i:02d}" for i in range(noise_features)]
    perm = rng.permutation(len(x))
    n_train = 400
    train, test = perm[:n_train], perm[n_train:]
    mean, std = x[train].mean(axis=0), x[train].std(axis=0)
    x = (x - mean) / std
    y = data.target.astype(np.float64)
    return names, x[train], y[train], x[test], y[test]


class GatedLogistic(nn.Module):
    """Logistic regression whose inputs pass through one L0 gate per feature."""

    def __init__(self, features: int, gate: str | None) -> None:
        super().__init__()
        self.gate = gate
        self.linear = nn.Linear(features, 1, dtype=torch.float64)
        if gate == "hard-concrete":
            # log alpha = 0: P(gate open) = 0.83 at the start (Louizos et al. start near 0).
            self.gate_param = nn.Parameter(torch.zeros(features, dtype=torch.float64))
        elif gate == "gaussian":
            # mu = 0.5, the initial value of Yamada et al.
            self.gate_param = nn.Parameter(torch.full((features,), 0.5, dtype=torch.float64))

    def gates(self, x: torch.Tensor, rng: torch.Generator | None) -> torch.Tensor:
        """One stochastic gate per example and feature (training), or the test-time gates."""
        if self.gate is None:
            return torch.ones(x.shape[-1], dtype=x.dtype)
        shape = tuple(x.shape)
        param = self.gate_param.expand(shape)
        if self.gate == "hard-concrete":
            if rng is None:
                return rx.hard_concrete_gate(self.gate_param)
            return rx.hard_concrete(param, rng=rng)
        if rng is None:
            return torch.clamp(self.gate_param, 0.0, 1.0)
        return rx.gaussian_gate(param, rng=rng)

    def expected_l0(self) -> torch.Tensor:
        """Expected number of open gates, differentiable in the gate parameters."""
        if self.gate == "hard-concrete":
            return rx.hard_concrete_l0(self.gate_param).sum()
        if self.gate == "gaussian":
            return rx.gaussian_gate_l0(self.gate_param).sum()
        return torch.zeros((), dtype=torch.float64)

    def forward(self, x: torch.Tensor, rng: torch.Generator | None = None) -> torch.Tensor:
        return self.linear(x * self.gates(x, rng)).squeeze(-1)


def train(
    x: torch.Tensor,
    y: torch.Tensor,
    gate: str | None,
    lam: float,
    steps: int,
    seed: int,
    mask: np.ndarray | None = None,
) -> GatedLogistic:
    """Full-batch Adam on cross-entropy + lam * E[L0] (+ a small L2 on the weights)."""
    torch.manual_seed(seed)
    if mask is not None:
        x = x[:, torch.as_tensor(mask)]
    model = GatedLogistic(x.shape[1], gate)
    rng = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    for _ in range(steps):
        logits = model(x, rng if gate is not None else None)
        loss = nn.functional.binary_cross_entropy_with_logits(logits, y)
        loss = loss + lam * model.expected_l0() + 1e-3 * model.linear.weight.square().sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model


def accuracy(
    model: GatedLogistic, x: torch.Tensor, y: torch.Tensor, mask: np.ndarray | None = None
) -> float:
    if mask is not None:
        x = x[:, torch.as_tensor(mask)]
    with torch.no_grad():
        return float(((model(x) > 0).double() == y).double().mean())


def test_gates(model: GatedLogistic) -> np.ndarray:
    with torch.no_grad():
        return model.gates(
            torch.zeros(1, model.linear.in_features, dtype=torch.float64), None
        ).numpy()


def open_probability(model: GatedLogistic) -> np.ndarray:
    """P(gate != 0) of the training-time gates, per feature."""
    with torch.no_grad():
        if model.gate == "hard-concrete":
            return rx.hard_concrete_l0(model.gate_param).numpy()
        return rx.gaussian_gate_l0(model.gate_param).numpy()


def save_plot(
    path: str,
    names: list[str],
    gates: np.ndarray,
    p_open: np.ndarray,
    n_real: int,
    gate: str,
    lam: float,
    sweep: list[tuple[float, int, int]],
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(13, 4.2), gridspec_kw={"width_ratios": [4, 1]})
    colors = ["tab:blue"] * n_real + ["tab:gray"] * (len(names) - n_real)
    ax.bar(np.arange(len(names)), gates, color=colors, label="test-time gate")
    ax.plot(np.arange(len(names)), p_open, "k.", label="P(gate $\\neq$ 0) in training")
    ax.axvline(n_real - 0.5, color="k", lw=0.5)
    ax.legend(loc="upper right", fontsize=8)
    ax.set_xticks(np.arange(len(names)))
    ax.set_xticklabels(names, rotation=90, fontsize=6)
    ax.set_ylim(0, 1.15)
    ax.set_ylabel("gate")
    ax.set_title(f"{gate} gates, lam = {lam:g}: real features (blue), noise (gray)")
    lams = [s[0] for s in sweep]
    ax2.plot(lams, [s[1] for s in sweep], "o-", label="selected")
    ax2.plot(lams, [s[2] for s in sweep], "s--", color="tab:gray", label="noise kept")
    ax2.set_xscale("log")
    ax2.set_xlabel("L0 weight lam")
    ax2.set_ylabel("features")
    ax2.legend()
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> int:
    args = parse_args()
    torch.set_num_threads(1)
    names, xtr_np, ytr_np, xte_np, yte_np = load_data(args.noise_features, args.seed)
    xtr, ytr = torch.as_tensor(xtr_np), torch.as_tensor(ytr_np)
    xte, yte = torch.as_tensor(xte_np), torch.as_tensor(yte_np)
    n_real = len(names) - args.noise_features
    print(
        f"feature selection with {args.gate} gates: breast cancer, {n_real} real + "
        f"{args.noise_features} noise features, {len(xtr)} train / {len(xte)} test, "
        f"{args.steps} steps"
    )
    start = time.perf_counter()

    full = train(xtr, ytr, None, 0.0, args.steps, args.seed)
    acc_all = accuracy(full, xte, yte)

    model = train(xtr, ytr, args.gate, args.lam, args.steps, args.seed)
    gates = test_gates(model)
    selected = gates > 0
    acc_gated = accuracy(model, xte, yte)
    refit = train(xtr, ytr, None, 0.0, args.steps, args.seed, mask=selected)
    acc_refit = accuracy(refit, xte, yte, mask=selected)
    noise_closed = int((~selected[n_real:]).sum())

    print(f"\nlam = {args.lam:g}: {int(selected.sum())} of {len(names)} features selected")
    print("selected features (test-time gate):")
    for i in np.argsort(-gates):
        if selected[i]:
            print(f"  {names[i]:<24} {gates[i]:.3f}")
    print(f"noise features closed: {noise_closed} of {args.noise_features}")
    print(f"test accuracy, all {len(names)} features (no gates): {acc_all:.4f}")
    print(f"test accuracy, gated model (test-time gates):    {acc_gated:.4f}")
    print(f"test accuracy, refit on the selected features:   {acc_refit:.4f}")

    print("\n| lam | selected | real kept | noise kept | test accuracy |")
    print("|---|---|---|---|---|")
    sweep = []
    for lam in args.sweep:
        m = model if lam == args.lam else train(xtr, ytr, args.gate, lam, args.steps, args.seed)
        kept = test_gates(m) > 0
        noise_kept = int(kept[n_real:].sum())
        print(
            f"| {lam:g} | {int(kept.sum())} | {int(kept[:n_real].sum())} | "
            f"{noise_kept} | {accuracy(m, xte, yte):.4f} |"
        )
        sweep.append((lam, int(kept.sum()), noise_kept))
    print(f"\nran in {time.perf_counter() - start:.1f} s")

    if args.plot:
        save_plot(
            args.plot, names, gates, open_probability(model), n_real, args.gate, args.lam, sweep
        )
        print(f"wrote {args.plot}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
