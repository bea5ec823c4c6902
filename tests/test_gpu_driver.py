"""The prepared GPU run's driver (``benchmarks/gpu/driver.py``) in its CPU mode: it must
skip the accelerator sections with a reason and still write its one results file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from relaxarray.testing import requires_backend

ROOT = Path(__file__).resolve().parents[1]
DRIVER = ROOT / "benchmarks" / "gpu" / "driver.py"

JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" tests="4" failures="1" errors="0" skipped="1">
<testcase classname="tests.test_a" name="test_x[torch-cuda]">
  <failure message="assert 1 == 2">trace</failure></testcase>
<testcase classname="tests.test_a" name="test_x[torch]"/>
<testcase classname="tests.test_a" name="test_y[jax-gpu-jit-0.5]"/>
<testcase classname="tests.test_a" name="test_z[cupy]"><skipped message="no"/></testcase>
</testsuite></testsuites>
"""


@requires_backend("torch")
def test_driver_cpu_mode_writes_its_file(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    junit = tmp_path / "junit.xml"
    junit.write_text(JUNIT)
    out = tmp_path / "res" / "gpu_results.json"
    env = dict(os.environ, PYTHONPATH=str(ROOT), CUDA_VISIBLE_DEVICES="")
    subprocess.run(
        [
            sys.executable,
            str(DRIVER),
            "--out",
            str(out),
            "--junit",
            str(junit),
            "--quick",
            "--budget",
            "120",
        ],
        check=True,
        cwd=ROOT,
        env=env,
        timeout=600,
    )
    res = json.loads(out.read_text())
    assert res["environment"]["torch_cuda"] is False
    bench = res["benchmarks"]
    assert set(bench) == {
        "torch-cuda eager",
        "jax-gpu jit",
        "cupy",
        "torch-cuda compile (inductor)",
    }
    for name, value in bench.items():
        assert isinstance(value, dict) and "skipped" in value, (name, value)
    tests = res["tests"]
    assert (tests["tests"], tests["failures"], tests["skipped"]) == (4, 1, 1)
    assert tests["failed_tests"] == [
        {"test": "tests.test_a::test_x[torch-cuda]", "kind": "failure", "message": "assert 1 == 2"}
    ]
    assert tests["accelerator_variants"] == {
        "torch-cuda": {"failure": 1},
        "jax-gpu-jit": {"passed": 1},
        "cupy": {"skipped": 1},
    }
