"""Command line: ``python -m relaxarray demo`` (or the ``relaxarray`` console script)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from relaxarray import __version__, _demo
from relaxarray._demo_estimators import SAMPLES

#: Exit status after the reader of stdout went away (``... | head``): 128 + SIGPIPE,
#: what a shell reports for a command killed by a closed pipe.
EXIT_BROKEN_PIPE = 141


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="relaxarray", description="relaxarray: differentiable relaxations on any array library"
    )
    parser.add_argument("--version", action="version", version=f"relaxarray {__version__}")
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
    demo.add_argument(
        "--plot",
        metavar="FILE.png",
        default=None,
        help="also write the figures to this PNG file (needs matplotlib)",
    )
    demo.add_argument(
        "--samples",
        type=int,
        default=SAMPLES,
        help=f"estimates per estimator and logit (default: {SAMPLES})",
    )
    demo.add_argument("--seed", type=int, default=0, help="seed of the portable noise stream")
    demo.add_argument("--no-compare", action="store_true", help="print only the lecture's tables")
    demo.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


def _single_threaded_pools() -> None:
    """One intra-op thread for the frameworks' pools, unless the user chose a number.

    The demo runs thousands of small array operations (vectors of 20000 numbers); a
    multi-threaded pool only adds synchronisation to each, and on a machine whose cores
    are busy it slows the torch run by an order of magnitude (measured: 125 s -> 30 s on
    two loaded cores). Set before the backend is imported, so it reaches its pool.
    """
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "demo":
        if args.samples < 2:
            parser.error("--samples must be at least 2")
        _single_threaded_pools()
        try:
            return _demo.run(
                backend=args.backend,
                out=sys.stdout,
                compare=not args.no_compare,
                samples=args.samples,
                seed=args.seed,
                plot=args.plot,
                progress=not args.no_progress,
            )
        except BrokenPipeError:
            # The reader closed the pipe (``relaxarray demo | head -1``): stop quietly.
            # stdout is pointed at devnull so that the interpreter's final flush of the
            # buffered rest does not raise a second time on the way out.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            return EXIT_BROKEN_PIPE
        except RuntimeError as exc:  # e.g. --plot without matplotlib
            print(f"relaxarray demo: error: {exc}", file=sys.stderr)
            return 1
    return 2  # pragma: no cover - argparse rejects unknown commands


if __name__ == "__main__":
    raise SystemExit(main())
