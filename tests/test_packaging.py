"""Packaging and lint rules a contributor relies on: licence, metadata, banned imports."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import relaxarray

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_license_file_and_metadata_agree() -> None:
    project = PYPROJECT["project"]
    assert project["license"] == "MIT"
    assert project["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License") and "WITHOUT WARRANTY OF ANY KIND" in text
    # PEP 639: an SPDX expression and a licence classifier must not both be given
    assert not any(c.startswith("License ::") for c in project["classifiers"])
    assert "Typing :: Typed" in project["classifiers"]
    assert (ROOT / "relaxarray" / "py.typed").exists()


def test_one_version_source() -> None:
    assert PYPROJECT["project"]["dynamic"] == ["version"]
    assert "version" not in PYPROJECT["project"]
    attr = PYPROJECT["tool"]["setuptools"]["dynamic"]["version"]["attr"]
    module, _, name = attr.rpartition(".")
    assert module == "relaxarray" and getattr(relaxarray, name) == relaxarray.__version__


def test_python_versions_match_requires_python() -> None:
    project = PYPROJECT["project"]
    lowest = project["requires-python"].removeprefix(">=")
    versions = [
        c.rpartition(" :: ")[2]
        for c in project["classifiers"]
        if c.startswith("Programming Language :: Python :: 3.")
    ]
    assert versions and min(versions, key=lambda v: tuple(map(int, v.split(".")))) == lowest


def test_lint_tools_are_in_the_dev_extra() -> None:
    extras = PYPROJECT["project"]["optional-dependencies"]
    dev = " ".join(extras["dev"])
    assert "ruff" in dev and "mypy" in dev
    assert not any(r.startswith(("ruff", "mypy")) for r in extras["test"])
    ci = (ROOT / ".ci" / "run").read_text()
    assert 'pip install -q ".[test,dev]"' in ci and "ruff check" in ci and "mypy" in ci


def _ruff(path: str, code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "ruff",
            "check",
            "--no-cache",
            "--select",
            "TID251",
            "--output-format",
            "concise",
            "--stdin-filename",
            path,
            "-",
        ],
        input=code,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )


FRAMEWORK_IMPORTS = [
    "import torch\n",
    "import jax.numpy as jnp\n",
    "from cupyx.scipy import special\n",
    "import dask.array as da\n",
    "import pyro\n",
    "from numpyro import distributions\n",
    "def f():\n    import torch\n    return torch\n",  # function-level too
]


@pytest.mark.skipif(importlib.util.find_spec("ruff") is None, reason="ruff not installed")
@pytest.mark.parametrize("code", FRAMEWORK_IMPORTS)
def test_framework_imports_banned_outside_adapters(code: str) -> None:
    for path in (
        "relaxarray/_probe.py",
        "relaxarray/estimators/_probe.py",
        "relaxarray/testing/_probe.py",
    ):
        proc = _ruff(path, code)
        assert proc.returncode == 1 and "TID251" in proc.stdout, (path, proc.stdout)
    for path in (
        "relaxarray/backends/_probe.py",
        "relaxarray/interop/_probe.py",
        "tests/test_probe.py",
        "benchmarks/bench_probe.py",
        "examples/probe.py",
        "docs/conf_probe.py",
    ):
        proc = _ruff(path, code)
        assert proc.returncode == 0, (path, proc.stdout, proc.stderr)


@pytest.mark.skipif(importlib.util.find_spec("ruff") is None, reason="ruff not installed")
def test_allowed_imports_pass() -> None:
    proc = _ruff("relaxarray/_probe.py", "import numpy\nimport array_api_compat\n")
    assert proc.returncode == 0, proc.stdout
