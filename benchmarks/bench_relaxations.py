"""relaxarray's deterministic relaxations against the native framework calls.

Run: ``python benchmarks/bench_relaxations.py [--quick] [--backend torch|jax|numpy|all]
[--shapes 8x10,256x128] [--repeats 21] [--json out.json]``.

torch: eager (one thread), forward and forward+backward, against ``torch.softmax``,
``torch.logsumexp``, ``torch.nn.functional`` and the hand-written formulas.
jax: both under ``jax.jit``, values and gradients, against ``jax.nn`` /
``jax.scipy.special``. numpy: against hand-optimised in-place NumPy.
Median of interleaved (ABBA) repeats; ratio = median over rounds of relaxarray / native
(lower is better; 1.00x is parity).
"""

from __future__ import annotations

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
sys.path.append(os.path.join(os.path.dirname(__file__), ".."))

from _cases import SHAPES, jax_cases, numpy_cases, torch_relaxations
from _timing import print_rows, ratio_table


def parse_shapes(text: str | None, default: list[tuple[int, int]]) -> list[tuple[int, int]]:
    if not text:
        return default
    return [tuple(int(v) for v in s.split("x")) for s in text.split(",")]  # type: ignore[misc]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", choices=["torch", "jax", "numpy", "all"], default="all")
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--shapes", default=None, help="e.g. 8x10,256x128")
    parser.add_argument("--json", default=None, help="also write the rows to this file")
    args = parser.parse_args()
    repeats = args.repeats or (5 if args.quick else 21)
    backends = ["torch", "jax", "numpy"] if args.backend == "all" else [args.backend]
    rows = []
    for backend in backends:
        part = []
        shapes = parse_shapes(args.shapes, SHAPES if backend != "numpy" else [(4096, 1024)])
        for shape in shapes:
            label = f"{shape[0]}x{shape[1]}"
            if backend == "torch":
                import torch

                torch.set_num_threads(1)
                part += ratio_table(torch_relaxations(shape), label, repeats=repeats)
            elif backend == "jax":
                cases, sync = jax_cases(shape)
                part += ratio_table(cases, label, repeats=repeats, sync=sync)
            else:
                part += ratio_table(numpy_cases(shape), label, repeats=repeats)
        mode = {"torch": "eager, 1 thread", "jax": "jax.jit", "numpy": "in-place NumPy"}[backend]
        print_rows(part, f"{backend} ({mode}, float32, median of {repeats} interleaved repeats)")
        rows += [dict(r, backend=backend) for r in part]
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=1)


if __name__ == "__main__":
    main()
