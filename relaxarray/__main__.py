"""Command line: ``python -m relaxarray demo`` (or the ``relaxarray`` console script)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from relaxarray import _demo
from relaxarray._demo_estimators import SAMPLES


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="relaxarray", description="relaxarray: differentiable relaxations on any array library"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser(
        "demo",
        help="print the lecture's tables and an estimator comparison computed by relaxarray",
    )
    demo.add_argument(
        "--backend",
        default="numpy",
        choices=["numpy", "torch", "jax", "array_api_strict"],
        help="array library to run on (default: numpy); torch and jax add the "
        "surrogate-only estimators (straight-through family, REBAR)",
    )
    demo.add_argument("--plot", metavar="FILE.png", default=None,
                      help="also write the figures to this PNG file (needs matplotlib)")
    demo.add_argument("--samples", type=int, default=SAMPLES,
                      help=f"estimates per estimator and logit (default: {SAMPLES})")
    demo.add_argument("--seed", type=int, default=0, help="seed of the portable noise stream")
    demo.add_argument("--no-compare", action="store_true",
                      help="print only the lecture's tables")
    demo.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    if args.command == "demo":
        if args.samples < 2:
            parser.error("--samples must be at least 2")
        try:
            return _demo.run(
                backend=args.backend, out=sys.stdout, compare=not args.no_compare,
                samples=args.samples, seed=args.seed, plot=args.plot,
                progress=not args.no_progress,
            )
        except RuntimeError as exc:  # e.g. --plot without matplotlib
            print(f"relaxarray demo: error: {exc}", file=sys.stderr)
            return 1
    return 2  # pragma: no cover - argparse rejects unknown commands


if __name__ == "__main__":
    raise SystemExit(main())
