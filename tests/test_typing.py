"""Types survive: ``mypy --strict`` on a user's program sees the user's array types.

One mypy run (in a subprocess, its cache in a temporary folder) on a small program that
uses each family with torch tensors and NumPy arrays; the test reads mypy's
``reveal_type`` notes and its errors. relaxarray is analysed as an installed library
would be (``--follow-imports=silent``: its own code is checked by the project's ``mypy``).
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from relaxarray.testing import requires_backend

ROOT = Path(__file__).resolve().parent.parent

TENSOR = r"torch\.(_tensor\.)?Tensor"
NDARRAY = r"numpy\.ndarray\[.*numpy\.float64\]\]"

# (expression, regex of the revealed type); the program reveals them in this order
REVEALS: list[tuple[str, str]] = [
    # relaxations
    ("rx.softmax(t)", TENSOR),
    ("rx.softmax(a, temperature=0.5)", NDARRAY),
    ("rx.straight_through(rx.one_hot_argmax(t), rx.softmax(t))", TENSOR),
    ("rx.laplace_bridge_inverse(a)", rf"tuple\[{NDARRAY}, {NDARRAY}\]"),
    # samplers
    ("rx.gumbel_softmax(t, temperature=0.5, hard=True, rng=0)", TENSOR),
    ("rx.relaxed_bernoulli(a, temperature=0.5, sample_shape=3, rng=0)", NDARRAY),
    # gates
    ("rx.hard_concrete(t, rng=0)", TENSOR),
    ("rx.hard_concrete_l0(a)", NDARRAY),
    # estimators: surrogate form, explicit form, straight-through
    ("est.reinforce(f, t, num_samples=4, rng=0)", TENSOR),
    ("est.reinforce_grad(f_np, a, rng=0).grad", NDARRAY),
    (
        "est.disarm_grad(f_np, a, rng=0)",
        rf"tuple\[{NDARRAY}, {NDARRAY}, fallback=relaxarray"
        rf"\.estimators\._common\.EstimatorResult\[{NDARRAY}\]\]",
    ),
    ("est.st_gumbel_softmax(t, rng=0)", TENSOR),
    # distributions (through the lazy attribute rx.distributions, too)
    (
        "rx.distributions.Categorical(logits=t)",
        rf"relaxarray\.distributions\._discrete\.Categorical\[{TENSOR}\]",
    ),
    ("rx.distributions.Categorical(probs=t).sample(rng=0)", TENSOR),
    ("rx.distributions.Normal(a, 1.0).rsample(3, rng=0)", NDARRAY),
    ("rx.distributions.RelaxedOneHotCategorical(temperature=0.5, logits=t).rsample(rng=0)", TENSOR),
    ("rx.distributions.Bernoulli(logits=a).log_prob(a)", NDARRAY),
    (
        "rx.distributions.kl_divergence(rx.distributions.Bernoulli(logits=t), "
        "rx.distributions.Bernoulli(probs=t))",
        TENSOR,
    ),
]

# lines that must be type errors, with the error text mypy gives
ERRORS: list[tuple[str, str]] = [
    (
        "est.reinforce_grad(f_np, a, rng=0, nonsense_kw=1)",
        r'Unexpected keyword argument "nonsense_kw" for "reinforce_grad"',
    ),
    ("est.arm(f, t, temperature=0.5)", r'Unexpected keyword argument "temperature" for "arm"'),
    ("rx.softmax([1.0, 2.0])", r'Value of type variable "ArrayT" of "softmax" cannot be'),
    ("rx.distributions.Categorical(t)", r'Argument 1 to "Categorical" has incompatible type'),
]

HEADER = """\
    import numpy as np
    import numpy.typing as npt
    import torch

    import relaxarray as rx
    from relaxarray import estimators as est

    t = torch.zeros(3, dtype=torch.float64)
    a: npt.NDArray[np.float64] = np.zeros(3)


    def f(b: torch.Tensor) -> torch.Tensor:
        return (b - 0.45) ** 2


    def f_np(b: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return (b - 0.45) ** 2


    """


# relaxarray as an installed library (silent: its own code is checked by the project's
# mypy run); frameworks the program does not use are skipped (Any), which keeps this one
# cold mypy run to the stubs of numpy and torch
CONFIG = """\
[mypy]
strict = True
follow_imports = silent
show_error_codes = True
[mypy-jax.*,jaxlib.*,dask.*,pyro.*,numpyro.*,scipy.*,cupy.*,cupyx.*,array_api_strict.*,array_api_compat.*,matplotlib.*,tqdm.*]
follow_imports = skip
ignore_missing_imports = True
"""


def _program() -> str:
    body = [f"reveal_type({expr})" for expr, _ in REVEALS]
    body += [expr for expr, _ in ERRORS]
    return textwrap.dedent(HEADER) + "\n".join(body) + "\n"


@requires_backend("torch")
def test_mypy_strict_sees_the_callers_array_types(tmp_path: Path) -> None:
    if importlib.util.find_spec("mypy") is None:
        pytest.skip("mypy not installed (the dev extra)")
    prog = tmp_path / "user_program.py"
    prog.write_text(_program())
    config = tmp_path / "mypy.ini"
    config.write_text(CONFIG)
    env = dict(os.environ, MYPYPATH=str(ROOT))
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            str(config),
            "--no-error-summary",
            "--cache-dir",
            str(tmp_path / "mypy_cache"),
            str(prog),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
    )
    lines = proc.stdout.splitlines()
    assert proc.returncode == 1, proc.stdout + proc.stderr  # the ERRORS lines, nothing else
    n_header = len(textwrap.dedent(HEADER).splitlines())
    by_line: dict[int, list[tuple[str, str]]] = {}
    for line in lines:
        m = re.match(r".*user_program\.py:(\d+): (error|note): (.*)", line)
        assert m is not None, f"unexpected mypy output: {line}\n{proc.stdout}"
        by_line.setdefault(int(m.group(1)) - n_header, []).append((m.group(2), m.group(3)))
    for i, (expr, pattern) in enumerate(REVEALS, start=1):
        got = by_line.pop(i, [])  # exactly one note, no error
        assert len(got) == 1 and got[0][0] == "note", (expr, got)
        m = re.fullmatch(r'Revealed type is "(.*)"', got[0][1])
        assert m is not None and re.fullmatch(pattern, m.group(1)), (expr, got[0])
    for i, (expr, message) in enumerate(ERRORS, start=len(REVEALS) + 1):
        got = by_line.pop(i, [])
        assert any(kind == "error" and re.search(message, g) for kind, g in got), (expr, got)
    assert not by_line, by_line  # nothing anywhere else (the header type-checks)
