"""Figures of the paper reproductions, drawn from the committed result files.

Reads ``benchmarks/reproduce/results/*.json`` (written by the scripts in
``benchmarks/reproduce/``) and writes ``<out>/reproduce_vae.png``,
``<out>/reproduce_reinmax.png`` and ``<out>/reproduce_toy.png`` with the scripts' own
plot functions. Run: ``python docs/plots/reproductions.py OUTDIR``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "reproduce" / "results"
sys.path.insert(0, str(ROOT / "benchmarks" / "reproduce"))

import binary_vae  # noqa: E402
import reinmax_poly  # noqa: E402
import toy_variance  # noqa: E402


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    vae = [json.loads(p.read_text()) for p in sorted(RESULTS.glob("binary_vae_full_*.json"))]
    vae = [r for r in vae if r["curve"]]
    if vae:
        binary_vae.plot(vae, out / "reproduce_vae.png")
    for name, mod, png in (
        ("reinmax_poly", reinmax_poly, "reproduce_reinmax.png"),
        ("toy_variance", toy_variance, "reproduce_toy.png"),
    ):
        for tag in ("full", "quick"):
            path = RESULTS / f"{name}_{tag}.json"
            if path.exists():
                mod.plot(json.loads(path.read_text())["results"], out / png)  # type: ignore[attr-defined]
                break


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/_generated"))
