"""JAX on 8 simulated CPU devices (a subprocess: XLA_FLAGS must be set before jax starts).

What ``tests/_scale_jax_worker.py`` asserts, on an Auto mesh and on an Explicit mesh,
for every public sampler and every estimator under ``jax.jit``, with JAX keys and
portable keys, in one compiled program per mesh: the batch axis of every output and of
every gradient stays split 8 ways; the compiled HLO has no all-gather, all-to-all or
collective-permute and no buffer of the global batch size; samples equal the one-device
run bit for bit (estimator surrogates and gradients: to a few ulp). Eager calls on a
sharded input return sharded outputs equal to the one-device ones. Inside shard_map,
``fold_in(key, axis_index)`` gives 8 pairwise different blocks for JAX and portable keys
(a portable block equals the stream of ``fold_in(key, i)``), and the gradients stay
sharded.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from relaxarray.testing import requires_backend

pytestmark = [pytest.mark.scale, requires_backend("jax")]

ROOT = Path(__file__).resolve().parents[1]


def test_jax_sharded_meshes_and_shard_map() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "JAX_PLATFORMS": "cpu"}
    env.pop("JAX_ENABLE_X64", None)
    proc = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "_scale_jax_worker.py")],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    seconds = summary.pop("seconds")
    assert summary == {
        "calls": 29,
        "meshes": ["auto", "explicit"],
        "eager": 4,
        "shard_map": ["jax", "portable"],
    }, seconds
