"""The main job prints the lecture's tables, computed by the library, on each backend."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest


@pytest.mark.parametrize("backend", ["numpy", "array_api_strict", "torch", "jax"])
def test_demo_prints_the_lecture_tables(backend: str) -> None:
    if importlib.util.find_spec(backend) is None:
        pytest.skip(f"{backend} not installed")
    out = subprocess.run(
        [sys.executable, "-m", "relaxarray", "demo", "--backend", backend],
        check=True, capture_output=True, text=True,
    ).stdout
    assert f"on {backend}" in out
    assert "softmax(x / 1.0) = [ 0.044  0.797  0.013  0.146 ]" in out
    assert "softmax(x / 0.2) = [ 5.042e-07  9.998e-01  1.250e-09  2.034e-04 ]" in out
    cells = [(1.0, "1.2606", "3.571"), (0.8, "1.1894", "3.736"), (0.4, "1.0274", "3.974")]
    for t, idx, mx in cells:
        assert f"T = {t}:  soft arg max = {idx}   soft max = {mx}" in out
    assert "straight-through arg max = 1.0" in out
    assert "huber(d, 0) = [2.5, 0.125, 0.0, 0.125, 2.5]" in out


def test_demo_rejects_unknown_backend() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "relaxarray", "demo", "--backend", "tensorflow"],
        capture_output=True, text=True,
    )
    assert proc.returncode == 2 and "invalid choice" in proc.stderr
