"""Per-device memory, collectives and wall time of relaxarray samplers on 8 simulated
JAX devices against one device (the figures of docs/guide/scaling.md).

For each call, the program is compiled for a (B, K) input on one device and on an
Auto mesh splitting B 8 ways; printed: XLA's per-device memory (arguments + outputs +
temporaries), the collectives in the compiled HLO, and the median of interleaved timed
runs. The 8 devices are simulated on this machine's cores, so the wall-time ratio says
what the partitioning costs, not what 8 real devices would gain::

    python benchmarks/bench_scale_jax.py            # B = 8192, K = 64
"""

from __future__ import annotations

import argparse
import os
import re
import time

os.environ["XLA_FLAGS"] = (
    os.environ.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=8"
).strip()

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import AxisType, NamedSharding
from jax.sharding import PartitionSpec as P

import relaxarray as rx
from relaxarray import estimators as est
from relaxarray import random

COLLECTIVES = ("all-reduce", "all-gather", "all-to-all", "collective-permute")


def calls():
    return {
        "gumbel_softmax(hard, sample_shape=4)": lambda x, r: rx.gumbel_softmax(
            x, hard=True, sample_shape=4, rng=r
        ),
        "gumbel_top_k(k=4, hard)": lambda x, r: rx.gumbel_top_k(x, 4, hard=True, rng=r),
        "reinforce(categorical, 4 samples)": lambda x, r: est.reinforce(
            lambda h: jnp.sum(h * h, axis=-1),
            x,
            distribution="categorical",
            num_samples=4,
            rng=r,
        ),
    }


def device_bytes(compiled) -> int:
    m = compiled.memory_analysis()
    return int(m.argument_size_in_bytes + m.output_size_in_bytes + m.temp_size_in_bytes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=8192)
    parser.add_argument("--k", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    x_host = np.random.default_rng(0).normal(size=(args.batch, args.k)).astype(np.float32)
    mesh = jax.make_mesh((8,), ("batch",), axis_types=(AxisType.Auto,))
    layouts = {
        "1 device": jnp.asarray(x_host),
        "8 devices": jax.device_put(x_host, NamedSharding(mesh, P("batch"))),
    }
    keys = {"jax key": jax.random.key(0), "portable key": random.portable(0)}
    print(f"B = {args.batch}, K = {args.k}, float32; median of {args.repeats} interleaved runs")
    print(
        "| call | key | per-device memory, 1 device -> 8 devices | collectives (8) | wall, 8 / 1 |"
    )
    print("| --- | --- | --- | --- | --- |")
    for name, fn in calls().items():
        for kind, key in keys.items():
            compiled = {t: jax.jit(fn).lower(x, key).compile() for t, x in layouts.items()}
            hlo = compiled["8 devices"].as_text()
            found = [c for c in COLLECTIVES if re.search(c + r"(?:-start)?\(", hlo)]
            times: dict[str, list[float]] = {t: [] for t in layouts}
            for _ in range(args.repeats):
                for t, x in layouts.items():
                    start = time.perf_counter()
                    jax.block_until_ready(compiled[t](x, key))
                    times[t].append(time.perf_counter() - start)
            med = {t: float(np.median(v)) for t, v in times.items()}
            mem = {t: device_bytes(c) / 2**20 for t, c in compiled.items()}
            print(
                f"| `{name}` | {kind} | {mem['1 device']:.1f} MiB -> "
                f"{mem['8 devices']:.1f} MiB | {', '.join(found) or 'none'} | "
                f"{med['8 devices'] * 1e3:.1f} / {med['1 device'] * 1e3:.1f} ms |"
            )


if __name__ == "__main__":
    main()
