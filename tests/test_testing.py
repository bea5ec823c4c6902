"""relaxarray.testing: assert_consistent's checks and messages, and the pytest fixtures."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import array_api_compat
import numpy as np
import pytest

from relaxarray import random, softmax
from relaxarray.testing import (
    KNOWN_BACKENDS,
    assert_consistent,
    backend_enabled,
    installed_backends,
    requires_backend,
    selected_backends,
    targets,
)
from relaxarray.testing.pytest_plugin import array_target, rng, xp  # noqa: F401

X = np.array([[0.3, -1.2, 2.0], [1.0, 0.5, -0.5]])


def _is(x: Any, module: str) -> bool:
    return type(x).__module__.split(".")[0] == module


def test_installed_backends_lists_numpy_first() -> None:
    names = installed_backends()
    assert names[0] == "numpy"
    ids = [t.id for t in targets()]  # the selected backends (RELAXARRAY_TEST_BACKENDS)
    if backend_enabled("array_api_strict"):
        assert "array_api_strict-device1" in ids


def test_consistent_function_passes_with_rng_and_grad() -> None:
    def noisy_softmax(x: Any, *, rng: Any) -> Any:  # noqa: F811
        g = random.gumbel(rng, x.shape, like=x)
        return softmax(x + g, temperature=0.5)

    assert_consistent(noisy_softmax, X, rtol=1e-10, atol=1e-12)


def test_unknown_backend_named() -> None:
    with pytest.raises(ValueError, match="unknown backend 'tensorflow'"):
        assert_consistent(softmax, X, backends=["numpy", "tensorflow"])


@requires_backend("torch")
def test_value_mismatch_table_names_backend_and_index() -> None:
    def f(x: Any) -> Any:
        ns = array_api_compat.array_namespace(x)
        if _is(x, "torch"):
            bump = ns.asarray(np.where(np.arange(6).reshape(2, 3) == 4, 1e-3, 0.0), device=x.device)
            return ns.exp(x) + bump
        return ns.exp(x)

    with pytest.raises(AssertionError) as info:
        assert_consistent(f, X, backends=["numpy", "torch"], grad=False)
    msg = str(info.value)
    assert "max abs diff" in msg and "first bad index" in msg
    torch_row = next(line for line in msg.splitlines() if line.startswith("| torch "))
    assert "FAIL" in torch_row and "(1, 1)" in torch_row and "0.001" in torch_row
    numpy_row = next(line for line in msg.splitlines() if line.startswith("| numpy "))
    assert "ok" in numpy_row


@requires_backend("torch")
def test_nan_on_one_backend_only() -> None:
    def f(x: Any) -> Any:
        ns = array_api_compat.array_namespace(x)
        nan = ns.asarray(float("nan"), dtype=x.dtype)
        y = ns.where(x < 0, nan, ns.exp(x))  # NaN where x < 0 on every backend ...
        if _is(x, "torch"):  # ... and one more NaN on torch only
            y = ns.where(x == 2.0, nan, y)
        return y

    with pytest.raises(AssertionError) as info:
        assert_consistent(f, X, backends=["numpy", "torch"], grad=False)
    torch_row = next(line for line in str(info.value).splitlines() if line.startswith("| torch "))
    assert "NaN on torch only" in torch_row and "(0, 2)" in torch_row


@requires_backend("torch")
def test_shape_differs_between_backends() -> None:
    def f(x: Any) -> Any:
        return x.T if _is(x, "torch") else x

    with pytest.raises(AssertionError, match=r"torch .*shape \(3, 2\) != reference \(2, 3\)"):
        assert_consistent(f, X, backends=["numpy", "torch"], grad=False)


@requires_backend("torch")
def test_backend_exception_reported() -> None:
    def f(x: Any) -> Any:
        if _is(x, "torch"):
            raise RuntimeError("boom")
        return x

    with pytest.raises(AssertionError, match=r"torch .*raised RuntimeError: boom"):
        assert_consistent(f, X, backends=["numpy", "torch"])


@requires_backend("torch", "jax")
def test_gradient_mismatch_detected() -> None:
    def f(x: Any) -> Any:
        ns = array_api_compat.array_namespace(x)
        if _is(x, "jax"):  # same value, different gradient
            import jax

            return ns.sin(x) + (x - jax.lax.stop_gradient(x)) * 0.5
        return ns.sin(x)

    with pytest.raises(AssertionError) as info:
        assert_consistent(f, X, backends=["numpy", "torch", "jax"])
    rows = [line for line in str(info.value).splitlines() if "grad[arg 0]" in line]
    assert any(r.startswith("| jax ") and "FAIL" in r and "(0, 0)" in r for r in rows)


def _rows(info: pytest.ExceptionInfo[AssertionError], target: str) -> list[str]:
    return [line for line in str(info.value).splitlines() if line.startswith(f"| {target} ")]


def test_wrong_dtype_fails_even_when_values_agree() -> None:
    def f(x: Any) -> Any:  # float32 out for float64 in: the values agree to 1e-7
        ns = array_api_compat.array_namespace(x)
        return ns.astype(ns.exp(x), ns.float32)

    with pytest.raises(AssertionError) as info:
        assert_consistent(f, X, backends=["numpy"], grad=False)
    (row,) = [r for r in _rows(info, "numpy") if "dtype" in r]
    assert "FAIL" in row and "float32 != expected float64" in row
    # the values themselves are within rtol=1e-7: only the dtype row fails
    assert [r for r in _rows(info, "numpy") if "FAIL" in r] == [row]


def test_integer_and_bool_outputs_keep_the_reference_dtype() -> None:
    def f(x: Any) -> Any:
        ns = array_api_compat.array_namespace(x)
        return ns.argmax(x, axis=-1), x > 0.0, ns.exp(x)

    assert_consistent(f, X, backends=[b for b in selected_backends() if backend_enabled(b)])


@requires_backend("array_api_strict")
def test_other_library_array_is_a_namespace_row_not_a_crash() -> None:
    def f(x: Any) -> Any:
        if isinstance(x, np.ndarray):
            return np.exp(x).astype(np.float32)  # wrong dtype on numpy ...
        return np.exp(X)  # ... and a NumPy array on array-api-strict

    with pytest.raises(AssertionError) as info:
        assert_consistent(f, X, backends=["numpy", "array_api_strict"], grad=False)
    (np_row,) = [r for r in _rows(info, "numpy") if "FAIL" in r]
    assert "value dtype" in np_row
    for target in ("array_api_strict", "array_api_strict-device1"):
        (row,) = _rows(info, target)  # one row: the values are not read back
        assert "value namespace" in row and "FAIL" in row
        assert "numpy array, input is array_api_strict" in row


@requires_backend("torch")
def test_numpy_array_from_torch_is_reported() -> None:
    def f(x: Any) -> Any:
        return x if isinstance(x, np.ndarray) else np.asarray(X)

    with pytest.raises(AssertionError) as info:
        assert_consistent(f, X, backends=["numpy", "torch"], grad=False)
    (row,) = _rows(info, "torch")
    assert "value namespace" in row and "FAIL" in row


@requires_backend("array_api_strict")
def test_output_on_another_device_fails() -> None:
    import array_api_strict as xs

    def f(x: Any) -> Any:
        ns = array_api_compat.array_namespace(x)
        y = ns.exp(x)
        return y.to_device(xs.Device("CPU_DEVICE")) if ns is xs else y

    with pytest.raises(AssertionError) as info:
        assert_consistent(f, X, backends=["numpy", "array_api_strict"], grad=False)
    assert all("FAIL" not in r for r in _rows(info, "array_api_strict"))
    rows = [r for r in _rows(info, "array_api_strict-device1") if "FAIL" in r]
    assert len(rows) == 1 and "value device" in rows[0] and "input on" in rows[0]


def test_shape_row_for_every_output() -> None:
    def f(x: Any) -> Any:
        ns = array_api_compat.array_namespace(x)
        return ns.exp(x), ns.sum(x, axis=0)

    def g(x: Any) -> Any:  # second output loses an axis only off NumPy
        ns = array_api_compat.array_namespace(x)
        return ns.exp(x), (ns.sum(x, axis=0) if isinstance(x, np.ndarray) else ns.sum(x))

    backends = [b for b in selected_backends() if backend_enabled(b)]
    assert_consistent(f, X, backends=backends)
    if backends == ["numpy"]:
        return
    with pytest.raises(AssertionError, match=r"value\[1\] shape .* shape \(\) != reference \(3,\)"):
        assert_consistent(g, X, backends=backends, grad=False)


def test_fixtures(array_target: Any, xp: Any, rng: random.PortableKey) -> None:  # noqa: F811
    x = array_target.asarray(X)
    u = random.uniform(rng, (2, 3), like=x)
    np.testing.assert_array_equal(array_target.to_numpy(u), random.uniform(rng, (2, 3), like=X))
    assert xp is array_target.xp
    np.testing.assert_allclose(array_target.to_numpy(softmax(x)), softmax(X), rtol=1e-12)


# -- RELAXARRAY_TEST_BACKENDS narrows every test ----------------------------------------------

ROOT = Path(__file__).resolve().parent.parent
FRAMEWORKS = ("torch", "jax", "cupy", "array_api_strict")

# A pytest plugin for the subprocess below. It records every import of a framework during
# collection, and every collected test that is bound to a backend (through the `be`,
# `xp` or `array_target` fixture, or a requires_backend mark) or that probes a framework
# in its body (`import torch`, `importorskip("jax")`, `find_spec("torch")`) without
# routing it through requires_backend / import_backend / backend_enabled / `be.base`.
GUARD = """
import ast, inspect, json, os, sys, textwrap

FRAMEWORKS = FRAMEWORKS_HERE
SEEN = []


class Recorder:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in FRAMEWORKS and name not in SEEN:
            SEEN.append(name)
        return None


sys.meta_path.insert(0, Recorder())


def probes(fn):
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError):
        return set(), False
    found, routed = set(), False
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name.partition(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module.partition(".")[0])
        elif isinstance(node, ast.Attribute) and node.attr == "base":
            routed |= getattr(node.value, "id", "") == "be"  # `if be.base == "torch":`
        elif isinstance(node, ast.Call):
            f = node.func
            name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
            if name in ("import_backend", "backend_enabled"):
                routed = True
            elif name in ("importorskip", "find_spec", "import_module") and node.args:
                a = node.args[0]
                if isinstance(a, ast.Constant) and isinstance(a.value, str):
                    found.add(a.value.partition(".")[0])
    return found & set(FRAMEWORKS), routed


def pytest_collection_finish(session):
    bad = []
    for item in session.items:
        marked = {n for m in item.iter_markers("requires_backend") for n in m.args}
        params = getattr(getattr(item, "callspec", None), "params", {})
        bound = {
            getattr(params[k], "backend", None) for k in ("be", "array_target") if k in params
        }
        bound.discard(None)
        found, routed = probes(getattr(item, "function", None))
        unrouted = found - marked if not routed else set()
        if (marked | bound) & set(FRAMEWORKS) or unrouted:
            bad.append([item.nodeid, sorted(marked), sorted(bound), sorted(unrouted)])
    with open(os.environ["GUARD_OUT"], "w") as fh:
        json.dump({"n": len(session.items), "bad": bad, "imported": SEEN}, fh)
""".replace("FRAMEWORKS_HERE", repr(FRAMEWORKS))


def _pytest(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("RELAXARRAY_")}
    full.update(env)
    full["PYTHONPATH"] = os.pathsep.join([str(tmp_path), str(ROOT)])
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=ROOT,
        env=full,
        capture_output=True,
        text=True,
    )


def test_numpy_selection_collects_no_other_backend(tmp_path: Path) -> None:
    """With RELAXARRAY_TEST_BACKENDS=numpy, no collected test needs another backend."""
    (tmp_path / "h11t_guard.py").write_text(GUARD)
    out = tmp_path / "guard.json"
    proc = _pytest(
        ["--collect-only", "-q", "-p", "h11t_guard", "tests"],
        tmp_path,
        RELAXARRAY_TEST_BACKENDS="numpy",
        GUARD_OUT=str(out),
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    report = json.loads(out.read_text())
    assert report["n"] > 100  # the suite was collected
    assert report["bad"] == [], "tests that ignore RELAXARRAY_TEST_BACKENDS:\n" + "\n".join(
        map(str, report["bad"])
    )
    assert report["imported"] == [], f"collection imported {report['imported']}"


MARKED = """
import pytest
from relaxarray.testing import import_backend, requires_backend

@requires_backend("torch")
def test_needs_torch():
    pass

@pytest.mark.requires_backend("numpy")
def test_needs_numpy():
    pass

def test_imports_jax():
    import_backend("jax.numpy")

def test_fixture(array_target):
    pass
"""


def test_plugin_deselects_marked_and_skips_imports(tmp_path: Path) -> None:
    (tmp_path / "test_marked.py").write_text(MARKED)
    args = ["-p", "relaxarray.testing.pytest_plugin", "-rs", "-v", str(tmp_path)]
    proc = _pytest(args, tmp_path, RELAXARRAY_TEST_BACKENDS="numpy")
    out = proc.stdout
    assert proc.returncode == 0, out + proc.stderr
    assert "test_needs_numpy PASSED" in out and "test_fixture[numpy] PASSED" in out
    assert "test_needs_torch" not in out.split("short test summary")[0]
    assert "1 deselected" in out
    assert "jax is not selected by RELAXARRAY_TEST_BACKENDS" in out
    assert "array_api_strict" not in out and "torch]" not in out


def test_plugin_rejects_unknown_backend_names(tmp_path: Path) -> None:
    (tmp_path / "test_marked.py").write_text(MARKED)
    args = ["-p", "relaxarray.testing.pytest_plugin", "--collect-only", str(tmp_path)]
    proc = _pytest(args, tmp_path, RELAXARRAY_TEST_BACKENDS="numpy,pytorch")
    assert proc.returncode == 4  # pytest's usage error
    assert "RELAXARRAY_TEST_BACKENDS names unknown backend(s) 'pytorch'" in proc.stderr
    proc = _pytest(args, tmp_path, RELAXARRAY_REQUIRE_BACKENDS="numpy,cupy")
    if not backend_enabled("cupy"):
        assert proc.returncode == 4 and "required backends are not installed" in proc.stderr


def test_selection_helpers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RELAXARRAY_TEST_BACKENDS", " jax, numpy,array-api-strict ")
    assert selected_backends() == ("numpy", "array_api_strict", "jax")
    assert [t.backend for t in targets()] == [
        b for b in ("numpy", "array_api_strict", "jax") if backend_enabled(b) for _ in targets([b])
    ]
    assert not backend_enabled("torch")
    monkeypatch.setenv("RELAXARRAY_TEST_BACKENDS", "")
    assert selected_backends() == KNOWN_BACKENDS
    with pytest.raises(TypeError, match="requires_backend"):
        requires_backend()
    with pytest.raises(ValueError, match="unknown backend"):
        requires_backend("tensorflow")
