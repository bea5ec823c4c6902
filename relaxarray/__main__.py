"""Command line: ``python -m relaxarray demo`` (or the ``relaxarray`` console script)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from relaxarray import _demo


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="relaxarray", description="relaxarray: differentiable relaxations on any array library"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="print the lecture's tables computed by relaxarray")
    demo.add_argument(
        "--backend",
        default="numpy",
        choices=["numpy", "torch", "jax", "array_api_strict"],
        help="array library to run on (default: numpy)",
    )
    args = parser.parse_args(argv)
    if args.command == "demo":
        return _demo.run(backend=args.backend, out=sys.stdout)
    return 2  # pragma: no cover - argparse rejects unknown commands


if __name__ == "__main__":
    raise SystemExit(main())
