"""JAX on 8 simulated CPU devices (a subprocess: XLA_FLAGS must be set before jax starts).

What ``tests/_scale_jax_worker.py`` asserts, on an Auto mesh and on an Explicit mesh,
for samplers, gates and estimators under ``jax.jit``, with JAX keys and portable keys:
the batch axis of every output stays split 8 ways; the compiled HLO has no all-gather,
all-to-all or collective-permute and no buffer of the global batch size; the values
equal the one-device run bit for bit (estimator surrogates: to a few ulp). Eager calls on
a sharded input return sharded outputs equal to the one-device ones. Inside shard_map,
``fold_in(key, axis_index)`` gives 8 pairwise different blocks for JAX and portable keys,
and the gradient stays sharded.
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
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert summary == {"auto": 14, "eager": 4, "explicit": 7, "shard_map": 2}
