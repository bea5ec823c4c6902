"""torch.distributed on 2 gloo ranks (127.0.0.1), in a subprocess (tests/_scale_torch_worker.py).

DTensor (Shard(0) on a CPU mesh): every sampler and the categorical estimators, with a
portable key, an int seed and a torch.Generator, return a DTensor with the input's
placements (shifted past the sample axes); with a portable key ``full_tensor()`` equals
the single-process sample bit for bit; with an int seed the two ranks' blocks differ;
gradients are DTensors. DDP: the DDP gradient equals the mean of the per-rank local
gradients exactly; ranks draw different noise; a rerun is bitwise identical.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from relaxarray.testing import import_backend

torch = import_backend("torch")  # skips the module unless torch is selected and installed
pytestmark = [
    pytest.mark.scale,
    pytest.mark.skipif(not torch.distributed.is_available(), reason="no torch.distributed"),
]

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_dtensor_and_ddp_two_gloo_ranks() -> None:
    if not import_backend("torch").distributed.is_available():
        pytest.skip("no torch.distributed")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "_scale_torch_worker.py"), str(_free_port())],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert summary == {"dtensor": 24, "ddp": 1}
