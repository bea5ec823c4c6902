"""Estimator variance study on dask: N independent REINFORCE estimates, block by block.

The toy problem: ``b ~ Bernoulli(sigmoid(phi))``, ``f(b) = (b - t)^2``; the exact gradient
of ``E[f]`` is ``sigmoid(phi) sigmoid(-phi) (1 - 2t)``. Each of the N rows of the logits
gets its own estimate; dask computes them on a LocalCluster in blocks of ``--chunk`` rows
(the noise of a block is drawn in that block's task, from the portable stream), and the
mean and variance come back as two numbers. Memory per worker stays proportional to the
block, not to N.

Run:  python examples/scale_dask.py --n 1000000000    (a study of 1e9 estimates)
      python examples/scale_dask.py --n 100000000     (the figures in docs/guide/scaling.md)
      python examples/scale_dask.py --quick            (CI: N = 2e6)
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import time


def peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000_000, help="number of estimates")
    parser.add_argument("--chunk", type=int, default=2**21, help="rows per block")
    parser.add_argument("--phi", type=float, default=0.3)
    parser.add_argument("--t", type=float, default=0.45)
    parser.add_argument("--quick", action="store_true", help="N = 2e6 (CI)")
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    args = parser.parse_args()
    n = 2_000_000 if args.quick else args.n

    import dask
    import dask.array as da
    from distributed import Client, LocalCluster

    from relaxarray import estimators as est
    from relaxarray import random

    t = args.t
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            host="127.0.0.1",
            dashboard_address=None,
            processes=True,
            memory_limit="4GiB",
        ) as cluster,
        Client(cluster) as client,
    ):
        start = time.perf_counter()
        logits = da.full((n, 1), args.phi, chunks=(args.chunk, 1))
        res = est.reinforce_grad(lambda b: (b[..., 0] - t) ** 2, logits, rng=random.portable(2024))
        g = res.grad[:, 0]
        mean, var = dask.compute(g.mean(), g.var())
        wall = time.perf_counter() - start
        peaks = client.run(peak_rss_bytes)
    s = 1 / (1 + math.exp(-args.phi))
    exact = s * (1 - s) * (1 - 2 * t)
    se = math.sqrt(float(var) / n)
    out = {
        "n": n,
        "estimate": float(mean),
        "exact": exact,
        "std_error": se,
        "z": (float(mean) - exact) / se,
        "variance_per_sample": float(var),
        "wall_s": round(wall, 2),
        "worker_peak_bytes": max(peaks.values()),
    }
    if args.json:
        print(json.dumps(out))
    else:
        for k, v in out.items():
            print(f"{k:>20}: {v}")


if __name__ == "__main__":
    main()
