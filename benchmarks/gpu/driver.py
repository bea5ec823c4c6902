"""The benchmark half of the prepared GPU run (``benchmarks/gpu/run.sh``): one JSON file.

It records the environment, the test-matrix results (from pytest's JUnit XML), and
relaxarray against the native calls on every accelerator present: torch eager and
``torch.compile`` (inductor) on CUDA, JAX under ``jax.jit`` on its GPU, CuPy. Shapes
(8, 10), (4096, 1024) and (64, 50257). A section whose device is missing is recorded as
``{"skipped": reason}``, so the same command runs (and writes its file) on a machine
without a GPU.

    python benchmarks/gpu/driver.py --out results.json [--junit junit.xml]
        [--quick] [--cpu-smoke] [--budget 240]

``--quick`` uses few repeats; ``--cpu-smoke`` also times the torch and numpy cases on the
CPU at (8, 10) (it proves the timing code runs where there is no GPU). Times are wall
clock with a device synchronisation after every timed loop; ratio = median over
interleaved (ABBA) rounds of relaxarray / native.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import traceback
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))  # benchmarks/
sys.path.append(os.path.dirname(os.path.dirname(HERE)))  # the repository root

import _cases  # noqa: E402
from _timing import ratio_table  # noqa: E402

SHAPES = [(8, 10), (4096, 1024), (64, 50257)]
#: the ids the test matrix gives its accelerator variants (longest first)
ACCELERATOR_IDS = ("jax-gpu-jit", "jax-gpu", "torch-cuda", "cupy")


def environment() -> dict[str, Any]:
    env: dict[str, Any] = {"python": sys.version.split()[0], "platform": platform.platform()}
    try:
        import torch

        env["torch"] = torch.__version__
        env["torch_cuda"] = torch.cuda.is_available()
        if torch.cuda.is_available():
            env["cuda_device"] = torch.cuda.get_device_name(0)
            env["torch_cuda_version"] = torch.version.cuda
    except Exception as exc:
        env["torch"] = f"unavailable: {exc}"
    try:
        import jax

        env["jax"] = jax.__version__
        env["jax_devices"] = [str(d) for d in jax.devices()]
    except Exception as exc:
        env["jax"] = f"unavailable: {exc}"
    try:
        import cupy

        env["cupy"] = cupy.__version__
        env["cupy_devices"] = int(cupy.cuda.runtime.getDeviceCount())
    except Exception as exc:
        env["cupy"] = f"unavailable: {type(exc).__name__}"
    return env


def junit_summary(path: str | None) -> dict[str, Any]:
    """Totals and the failures (name and the start of the message) of a JUnit XML file."""
    if not path or not os.path.exists(path):
        return {"skipped": f"no JUnit file at {path!r}"}
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    totals = {
        k: sum(int(s.get(k, 0)) for s in suites) for k in ("tests", "failures", "errors", "skipped")
    }
    failures = []
    accel: dict[str, dict[str, int]] = {}
    for case in root.iter("testcase"):
        name = f"{case.get('classname')}::{case.get('name')}"
        params = name.rsplit("[", 1)[-1].rstrip("]") if "[" in name else ""
        outcome = "passed"
        for tag in ("failure", "error", "skipped"):
            el = case.find(tag)
            if el is not None:
                outcome = tag
                if tag != "skipped":
                    failures.append(
                        {"test": name, "kind": tag, "message": (el.get("message") or "")[:400]}
                    )
        for variant in ACCELERATOR_IDS:  # the accelerator variants of the fixture
            if params == variant or params.startswith(f"{variant}-") or f"-{variant}" in params:
                counts = accel.setdefault(variant, {})
                counts[outcome] = counts.get(outcome, 0) + 1
                break
    return dict(totals, failed_tests=failures[:200], accelerator_variants=accel)


class Budget:
    """Skips sections once ``seconds`` have passed since the start."""

    def __init__(self, seconds: float) -> None:
        self.t0, self.seconds = time.perf_counter(), seconds

    def left(self) -> float:
        return self.seconds - (time.perf_counter() - self.t0)


def section(name: str, budget: Budget, fn: Callable[[], Any]) -> Any:
    if budget.left() <= 0:
        return {"skipped": "time budget spent"}
    t0 = time.perf_counter()
    try:
        out = fn()
    except Exception as exc:  # record and carry on: one file either way
        return {
            "error": f"{type(exc).__name__}: {exc}",
            "traceback": traceback.format_exc()[-2000:],
        }
    print(f"[driver] {name}: {time.perf_counter() - t0:.1f} s", flush=True)
    return out


def torch_cuda(repeats: int, shapes: list[tuple[int, int]], compiled: bool) -> Any:
    import torch

    if not torch.cuda.is_available():
        return {"skipped": "no CUDA device"}
    sync = lambda out: torch.cuda.synchronize()  # noqa: E731
    rows = []
    for shape in shapes:
        label = f"{shape[0]}x{shape[1]}"
        if compiled:
            rows += ratio_table(
                _cases.torch_compiled(shape, "cuda"),
                label,
                repeats=repeats,
                sync=sync,
                clock=time.perf_counter,
            )
        else:
            for make in (_cases.torch_relaxations, _cases.torch_samplers):
                rows += ratio_table(
                    make(shape, "cuda"), label, repeats=repeats, sync=sync, clock=time.perf_counter
                )
    return rows


def jax_gpu(repeats: int, shapes: list[tuple[int, int]]) -> Any:
    import jax

    if jax.devices()[0].platform != "gpu":
        return {"skipped": f"JAX's default device is {jax.devices()[0].platform}"}
    rows = []
    for shape in shapes:
        cases, sync = _cases.jax_cases(shape)
        rows += ratio_table(
            cases, f"{shape[0]}x{shape[1]}", repeats=repeats, sync=sync, clock=time.perf_counter
        )
    return rows


def cupy_gpu(repeats: int, shapes: list[tuple[int, int]]) -> Any:
    try:
        import cupy

        if cupy.cuda.runtime.getDeviceCount() == 0:
            return {"skipped": "no CUDA device for cupy"}
    except Exception as exc:
        return {"skipped": f"cupy unusable: {type(exc).__name__}"}
    sync = lambda out: cupy.cuda.Device().synchronize()  # noqa: E731
    rows = []
    for shape in shapes:
        rows += ratio_table(
            _cases.cupy_cases(shape),
            f"{shape[0]}x{shape[1]}",
            repeats=repeats,
            sync=sync,
            clock=time.perf_counter,
        )
    return rows


def cpu_smoke(repeats: int) -> Any:
    import torch

    torch.set_num_threads(1)
    rows = ratio_table(_cases.torch_samplers((8, 10)), "8x10", repeats=repeats, min_time=0.002)
    rows += ratio_table(_cases.numpy_cases((8, 10)), "8x10", repeats=repeats, min_time=0.002)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", required=True)
    ap.add_argument("--junit", default=None)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--cpu-smoke", action="store_true")
    ap.add_argument("--budget", type=float, default=240.0, help="seconds for the benchmarks")
    args = ap.parse_args()
    os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
    repeats = 3 if args.quick else 11
    budget = Budget(args.budget)
    t0 = time.perf_counter()
    result: dict[str, Any] = {"environment": environment(), "tests": junit_summary(args.junit)}
    bench: dict[str, Any] = {}
    bench["torch-cuda eager"] = section(
        "torch-cuda eager", budget, lambda: torch_cuda(repeats, SHAPES, compiled=False)
    )
    bench["jax-gpu jit"] = section("jax-gpu jit", budget, lambda: jax_gpu(repeats, SHAPES))
    bench["cupy"] = section("cupy", budget, lambda: cupy_gpu(repeats, SHAPES))
    bench["torch-cuda compile (inductor)"] = section(
        "torch-cuda compile", budget, lambda: torch_cuda(repeats, [(4096, 1024)], compiled=True)
    )
    if args.cpu_smoke:
        bench["cpu smoke"] = section("cpu smoke", budget, lambda: cpu_smoke(repeats))
    result["benchmarks"] = bench
    result["elapsed_s"] = round(time.perf_counter() - t0, 1)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as fh:
        json.dump(result, fh, indent=1, default=str)
    print(f"[driver] wrote {args.out} in {result['elapsed_s']} s", flush=True)


if __name__ == "__main__":
    main()
