"""Extreme inputs against the peers: NaN counts of torch's relaxed samplers and relaxarray's.

At temperature 0.05-0.1 with K = 50 categories, for logits of scale 1, 50 and 1e4 in
float32 (and float64), this counts the non-finite entries of

- samples: ``torch.nn.functional.gumbel_softmax``, ``RelaxedOneHotCategorical.rsample``,
  ``RelaxedBernoulli.rsample`` and relaxarray's ``gumbel_softmax``, ``relaxed_bernoulli``
  and distribution classes;
- ``log_prob`` of those samples (torch's relaxed densities are evaluated on the sample
  itself, which underflows to exactly 0 or 1 at low temperature);
- gradients of ``sum(sample * w)`` with respect to the logits (a fixed random ``w``).

Run: ``python benchmarks/peers_extreme.py [--rows 2000] [--markdown]``. Nothing is timed;
the counts are deterministic for the fixed seeds.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

import relaxarray as rx

K = 50
TEMPERATURES = (0.1, 0.05)
SCALES = (1.0, 50.0, 1e4)


def _logits(rows: int, scale: float, dtype: torch.dtype, seed: int) -> torch.Tensor:
    g = np.random.default_rng(seed)
    a = g.uniform(-1.0, 1.0, size=(rows, K)) * scale
    a[:, 0] = scale  # the extremes themselves
    a[:, -1] = -scale
    return torch.as_tensor(a, dtype=dtype)


def _nonfinite(x: torch.Tensor | None) -> int | None:
    if x is None:
        return None
    return int((~torch.isfinite(x)).sum())


def _run(
    sample: Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor | None]], logits: torch.Tensor
) -> tuple[int, int | None, int]:
    """(non-finite samples, non-finite log_prob, non-finite gradient entries)."""
    x = logits.detach().clone().requires_grad_(True)
    y, lp = sample(x)
    w = torch.as_tensor(np.random.default_rng(7).normal(size=y.shape[-1:]), dtype=y.dtype)
    (g,) = torch.autograd.grad((y * w).sum(), x, allow_unused=True)
    g = torch.zeros_like(x) if g is None else g
    return (
        _nonfinite(y.detach()) or 0,
        _nonfinite(None if lp is None else lp.detach()),
        _nonfinite(g) or 0,
    )


def methods(t: float) -> dict[str, Callable[[torch.Tensor], tuple[Any, Any]]]:
    td = torch.distributions
    gen = torch.Generator().manual_seed(0)

    def torch_gs(x: torch.Tensor) -> tuple[Any, Any]:
        torch.manual_seed(0)
        return torch.nn.functional.gumbel_softmax(x, tau=t), None

    def torch_rohc(x: torch.Tensor) -> tuple[Any, Any]:
        torch.manual_seed(0)
        # validate_args=False: with validation on, log_prob raises on some of torch's own
        # samples (they miss the simplex tolerance); we count the values instead
        d = td.RelaxedOneHotCategorical(
            torch.tensor(t, dtype=x.dtype), logits=x, validate_args=False
        )
        y = d.rsample()
        return y, d.log_prob(y.detach())

    def torch_rb(x: torch.Tensor) -> tuple[Any, Any]:
        torch.manual_seed(0)
        d = td.RelaxedBernoulli(torch.tensor(t, dtype=x.dtype), logits=x, validate_args=False)
        y = d.rsample()
        return y, d.log_prob(y.detach())

    def rx_gs(x: torch.Tensor) -> tuple[Any, Any]:
        return rx.gumbel_softmax(x, temperature=t, rng=gen.manual_seed(0)), None

    def rx_rohc(x: torch.Tensor) -> tuple[Any, Any]:
        d = rx.distributions.RelaxedOneHotCategorical(temperature=t, logits=x)
        y = d.rsample(rng=gen.manual_seed(0))
        return y, d.log_prob(y.detach())

    def rx_rb(x: torch.Tensor) -> tuple[Any, Any]:
        d = rx.distributions.RelaxedBernoulli(temperature=t, logits=x)
        y = d.rsample(rng=gen.manual_seed(0))
        return y, d.log_prob(y.detach())

    return {
        "torch F.gumbel_softmax": torch_gs,
        "torch RelaxedOneHotCategorical": torch_rohc,
        "torch RelaxedBernoulli": torch_rb,
        "rx.gumbel_softmax": rx_gs,
        "rx RelaxedOneHotCategorical": rx_rohc,
        "rx RelaxedBernoulli": rx_rb,
    }


def table(rows: int, dtypes: tuple[torch.dtype, ...]) -> list[dict[str, Any]]:
    out = []
    for dtype in dtypes:
        for scale in SCALES:
            logits = _logits(rows, scale, dtype, seed=int(scale) % 1000)
            for t in TEMPERATURES:
                for name, fn in methods(t).items():
                    try:
                        ns, nl, ng = _run(fn, logits)
                        err = ""
                    except Exception as exc:
                        ns, nl, ng, err = -1, None, -1, f"{type(exc).__name__}: {exc}"[:60]
                    out.append(
                        {
                            "method": name,
                            "dtype": str(dtype).replace("torch.", ""),
                            "scale": scale,
                            "T": t,
                            "samples": ns,
                            "log_prob": nl,
                            "grad": ng,
                            "error": err,
                        }
                    )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=2000, help="batch rows of K=50 logits")
    ap.add_argument("--markdown", action="store_true", help="print a Markdown table")
    ap.add_argument("--float64", action="store_true", help="also run float64")
    args = ap.parse_args()
    dtypes = (torch.float32, torch.float64) if args.float64 else (torch.float32,)
    res = table(args.rows, dtypes)
    n = args.rows * K
    print(
        f"non-finite entries out of {n} per cell (rows={args.rows}, K={K}); "
        "log_prob out of rows (or rows*K for RelaxedBernoulli)"
    )
    head = "| method | dtype | logit scale | T | samples | log_prob | grad |"
    print(head if args.markdown else head.replace("|", " "))
    if args.markdown:
        print("| --- | --- | --- | --- | --- | --- | --- |")
    for r in res:
        lp = "-" if r["log_prob"] is None else r["log_prob"]
        cells = [
            r["method"],
            r["dtype"],
            f"{r['scale']:g}",
            f"{r['T']:g}",
            str(r["samples"]),
            str(lp),
            str(r["grad"]),
        ]
        if r["error"]:
            cells[-1] += f" ({r['error']})"
        print("| " + " | ".join(cells) + " |" if args.markdown else "  ".join(cells))


if __name__ == "__main__":
    main()
