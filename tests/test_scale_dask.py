"""dask (``array_api_compat.dask.array``): lazy graphs, block-wise noise, NumPy's values.

- every public function of the cross-backend registry (``tests/api_cases.py``) builds its
  graph on chunked inputs with zero computes (a dask callback counts them) and, computed,
  equals the NumPy result bit for bit (samplers get the same portable key);
- the portable stream gives the same bits for every chunking; int seeds give
  independent blocks;
- explicit estimator forms run lazily; a Monte Carlo study on a LocalCluster
  (2 workers on 127.0.0.1, subprocess) agrees with the exact gradient (|z| < 4).
"""

from __future__ import annotations

import importlib.util
import inspect
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytestmark = [
    pytest.mark.scale,
    pytest.mark.skipif(importlib.util.find_spec("dask") is None, reason="dask not installed"),
]

ROOT = Path(__file__).resolve().parents[1]


class _Computes:
    """Context manager counting dask computes (graph executions)."""

    def __enter__(self) -> _Computes:
        from dask.callbacks import Callback

        outer = self
        self.n = 0

        class _CB(Callback):  # type: ignore[misc]
            def _start(self, dsk: Any) -> None:
                outer.n += 1

        self._cb = _CB()
        self._cb.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._cb.__exit__(*exc)


def _to_dask(a: Any) -> Any:
    import dask.array as da

    if isinstance(a, np.ndarray) and a.ndim >= 1:
        return da.from_array(a, chunks=(2, *a.shape[1:]))  # split the batch axis
    return a


def _leaves(x: Any) -> list[Any]:
    if isinstance(x, (tuple, list)):
        return [leaf for item in x for leaf in _leaves(item)]
    return [x]


def _cases() -> list[str]:
    sys.path.insert(0, str(ROOT / "tests"))
    import api_cases

    return sorted(api_cases.CASES)


@pytest.mark.parametrize("name", _cases())
def test_public_function_lazy_and_equal_to_numpy(name: str) -> None:
    import api_cases

    import relaxarray as rx
    from relaxarray import random

    case = api_cases.CASES[name]
    fn = getattr(rx, name)
    kwargs = dict(case.kwargs)
    if "rng" in inspect.signature(fn).parameters:
        kwargs["rng"] = random.portable(11)
    ref = fn(*case.args, **kwargs)
    with _Computes() as counter:
        lazy = fn(*[_to_dask(a) for a in case.args], **kwargs)
    assert counter.n == 0, f"{name} computed {counter.n} graph(s) while building"
    for got, want in zip(_leaves(lazy), _leaves(ref), strict=True):
        got = np.asarray(got.compute() if hasattr(got, "compute") else got)
        np.testing.assert_array_equal(got, np.asarray(want), err_msg=name)


def test_portable_noise_is_chunking_invariant_and_blockwise() -> None:
    import dask.array as da

    from relaxarray import random

    key = random.portable(5)
    ref = random.uniform(key, (7, 9, 4), dtype=np.float32)
    refn = random.normal(key, (7, 9, 4), dtype=np.float64)
    for chunks in [(7, 9, 4), (1, 9, 4), (3, 2, 4), (2, 9, 1)]:
        like32 = da.zeros((7, 9, 4), chunks=chunks, dtype=np.float32)
        like64 = da.zeros((7, 9, 4), chunks=chunks, dtype=np.float64)
        u = random.uniform(key, (7, 9, 4), like=like32)
        z = random.normal(key, (7, 9, 4), like=like64)
        assert u.chunks == like32.chunks  # one block of noise per chunk of the parameters
        np.testing.assert_array_equal(u.compute(), ref)
        np.testing.assert_array_equal(z.compute(), refn)


def test_int_seed_blocks_independent_and_reproducible() -> None:
    import dask.array as da

    from relaxarray import random

    like = da.zeros((40_000,), chunks=10_000)
    u = random.uniform(3, (40_000,), like=like).compute()
    np.testing.assert_array_equal(u, random.uniform(3, (40_000,), like=like).compute())
    blocks = u.reshape(4, 10_000)
    corr = np.corrcoef(blocks)
    assert np.all(np.abs(corr[np.triu_indices(4, 1)]) < 0.04)  # 4 sigma at n = 1e4
    assert abs(u.mean() - 0.5) < 4 * np.sqrt(1 / 12 / u.size)


def test_explicit_estimator_lazy_and_exact_in_expectation() -> None:
    import dask.array as da

    from relaxarray import estimators as est
    from relaxarray import random

    t, phi, n = 0.45, np.array([0.3]), 200_000
    with _Computes() as counter:
        res = est.reinforce_grad(
            lambda b: (b - t) ** 2,
            da.from_array(phi),
            num_samples=n,
            rng=random.portable(1),
        )
    assert counter.n == 0
    s = 1 / (1 + np.exp(-phi[0]))
    exact = s * (1 - s) * (1 - 2 * t)
    grad = float(res.grad.compute()[0])
    ref = est.reinforce_grad(lambda b: (b - t) ** 2, phi, num_samples=n, rng=random.portable(1))
    assert grad == float(ref.grad[0])
    assert abs(grad - exact) < 4 * 0.5 / np.sqrt(n)  # |f| <= 1, |score| <= 1


def test_local_cluster_monte_carlo() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "scale_dask.py"), "--quick", "--json"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert abs(out["z"]) < 4, out
    assert out["worker_peak_bytes"] < 2 * 2**30, out
