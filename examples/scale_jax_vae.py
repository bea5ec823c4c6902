"""Data-parallel training of the discrete VAE over 8 (simulated) JAX devices.

The model, the loss and the Adam step are those of ``discrete_vae_jax.py`` (the loss
calls relaxarray's estimators); only the data layout changes: each batch is split 8
ways along a ``"batch"`` mesh axis and the parameters are replicated. Nothing in the
model code mentions devices: relaxarray draws each device's noise for its own rows, so
XLA inserts only the all-reduce of the gradients (no all-gather of the batch).

On a CPU the 8 devices are simulated
(``XLA_FLAGS=--xla_force_host_platform_device_count=8``, set here before jax starts)::

    python examples/scale_jax_vae.py --estimator disarm
    python examples/scale_jax_vae.py --quick          # CI: 5 epochs

Prints the collectives of the compiled training step, the rows each device holds, the
largest gap between one step on 8 devices and the same step on one device, the
held-out negative ELBO per epoch, and the step time on 8 devices and on one.
"""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path

DEVICES = 8
os.environ["XLA_FLAGS"] = (
    os.environ.get("XLA_FLAGS", "") + f" --xla_force_host_platform_device_count={DEVICES}"
).strip()

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from jax.sharding import AxisType, NamedSharding  # noqa: E402
from jax.sharding import PartitionSpec as P  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _vae_common import LATENTS, load_digits, parse_args  # noqa: E402
from discrete_vae_jax import evaluate, init_params, step  # noqa: E402

COLLECTIVES = ("all-reduce", "all-gather", "all-to-all", "collective-permute")


def device_bytes(compiled) -> int:
    """Bytes one device needs for a compiled program (XLA's memory analysis)."""
    m = compiled.memory_analysis()
    return int(m.argument_size_in_bytes + m.output_size_in_bytes + m.temp_size_in_bytes)


def step_time(params, opt, x, key, estimator, lr, repeats=10):
    """Median seconds of one compiled training step."""
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        jax.block_until_ready(step(params, opt, x, key, estimator, lr))
        times.append(time.perf_counter() - t)
    return float(np.median(times))


def main() -> int:
    args = parse_args(__doc__.splitlines()[0])
    if args.quick:
        args.epochs = 5
    batch = args.batch_size - args.batch_size % DEVICES  # rows split evenly
    # an Auto mesh: XLA propagates the layout from the inputs through the unchanged model
    mesh = jax.make_mesh((DEVICES,), ("batch",), axis_types=(AxisType.Auto,))
    rows = NamedSharding(mesh, P("batch"))  # data: split along the batch
    replicated = NamedSharding(mesh, P())  # parameters and optimiser state: on every device
    train_np, test_np = load_digits(args.seed)
    n_test = len(test_np) - len(test_np) % DEVICES
    test = jax.device_put(test_np[:n_test], rows)
    key, init_key = jax.random.split(jax.random.key(args.seed))
    params = jax.device_put(init_params(init_key), replicated)
    zeros = jax.tree.map(jnp.zeros_like, params)
    opt = jax.device_put({"m": zeros, "v": zeros, "t": jnp.zeros(())}, replicated)
    print(
        f"discrete VAE (jax), {LATENTS} Bernoulli latents, estimator {args.estimator}, "
        f"data-parallel over {jax.device_count()} devices"
    )

    # what the compiled step does with the layout
    x0 = jax.device_put(train_np[:batch], rows)
    k0 = jax.random.key(99)
    compiled = step.lower(params, opt, x0, k0, args.estimator, args.lr).compile()
    hlo = compiled.as_text()
    found = {c: len(re.findall(c + r"(?:-start)?\(", hlo)) for c in COLLECTIVES}
    counts = ", ".join(f"{c} {n}" for c, n in found.items())
    print(f"collectives in the compiled step: {counts}")
    batch_dims = [
        int(d)
        for dims in re.findall(r"f32\[([0-9,]+)\]", hlo)
        for d in dims.split(",")
        if d and int(d) in (batch, batch // DEVICES)
    ]
    print(
        f"batch of {batch} rows: {batch // DEVICES} rows per device; largest batch "
        f"dimension of any per-device buffer in the step: {max(batch_dims, default=0)}"
    )
    # the same step on one device
    one = jax.devices()[0]
    compiled1 = step.lower(
        jax.device_put(params, one),
        jax.device_put(opt, one),
        jax.device_put(train_np[:batch], one),
        k0,
        args.estimator,
        args.lr,
    ).compile()
    print(
        f"per-device memory of the step (arguments + outputs + temporaries): "
        f"{DEVICES} devices {device_bytes(compiled) / 1024:.0f} KiB, "
        f"1 device {device_bytes(compiled1) / 1024:.0f} KiB"
    )
    p8, _ = step(params, opt, x0, k0, args.estimator, args.lr)
    p1, _ = step(
        jax.device_put(params, one),
        jax.device_put(opt, one),
        jax.device_put(train_np[:batch], one),
        k0,
        args.estimator,
        args.lr,
    )
    gap = max(
        float(jnp.max(jnp.abs(jnp.asarray(a) - jax.device_put(b, one))))
        for a, b in zip(jax.tree.leaves(p1), jax.tree.leaves(p8), strict=True)
    )
    print(f"one step, 8 devices vs 1 device: largest parameter difference {gap:.2e}")

    k_test = jax.random.key(2)

    def report(epoch: int) -> None:
        print(
            f"epoch {epoch}: held-out -ELBO {float(evaluate(params, test, k_test)):.3f}", flush=True
        )

    report(0)
    start = time.perf_counter()
    n = len(train_np)
    for epoch in range(1, args.epochs + 1):
        key, k_perm = jax.random.split(key)
        perm = np.asarray(jax.random.permutation(k_perm, n))
        for i in range(0, n - batch + 1, batch):
            key, k_step = jax.random.split(key)
            x = jax.device_put(train_np[perm[i : i + batch]], rows)
            params, opt = step(params, opt, x, k_step, args.estimator, args.lr)
        report(epoch)
    print(f"trained in {time.perf_counter() - start:.1f} s")
    t8 = step_time(params, opt, x0, k0, args.estimator, args.lr)
    t1 = step_time(
        jax.device_put(params, one),
        jax.device_put(opt, one),
        jax.device_put(train_np[:batch], one),
        k0,
        args.estimator,
        args.lr,
    )
    print(
        f"step time: {DEVICES} devices {t8 * 1e3:.2f} ms, 1 device {t1 * 1e3:.2f} ms "
        f"(simulated devices share this machine's cores)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
