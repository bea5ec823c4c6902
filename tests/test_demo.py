"""The main job prints the lecture's tables, computed by the library, on each backend."""

from __future__ import annotations

import importlib.util
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from relaxarray.testing import requires_backend

ROOT = Path(__file__).resolve().parent.parent
# One thread per framework: the test machine's cores are shared, and torch's thread pool
# slows down by an order of magnitude when oversubscribed.
ENV = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")


@pytest.mark.parametrize(
    "backend",
    [
        pytest.param(b, marks=requires_backend(b))
        for b in ("numpy", "array_api_strict", "torch", "jax")
    ],
)
def test_demo_prints_the_lecture_tables(backend: str) -> None:
    if importlib.util.find_spec(backend) is None:
        pytest.skip(f"{backend} not installed")
    out = subprocess.run(
        [sys.executable, "-m", "relaxarray", "demo", "--backend", backend, "--no-compare"],
        check=True,
        capture_output=True,
        text=True,
        env=ENV,
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
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2 and "invalid choice" in proc.stderr


@pytest.mark.parametrize("argv", [["-m", "relaxarray", "--version"]])
def test_version_flag(argv: list[str]) -> None:
    import relaxarray

    proc = subprocess.run(
        [sys.executable, *argv], capture_output=True, text=True, env=ENV, cwd=ROOT
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"relaxarray {relaxarray.__version__}"


def test_console_script_entry_point_prints_the_version(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # ``relaxarray --version`` is pyproject's [project.scripts] entry, relaxarray.__main__:main
    import tomllib

    import relaxarray
    from relaxarray.__main__ import main

    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts == {"relaxarray": "relaxarray.__main__:main"}
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"relaxarray {relaxarray.__version__}"


def test_closed_pipe_ends_quietly() -> None:
    # ``python -m relaxarray demo | head -1``: the reader leaves after one line; the demo
    # stops at its next flush, with no BrokenPipeError traceback and the shell's status.
    proc = subprocess.Popen(
        [sys.executable, "-m", "relaxarray", "demo", "--no-progress"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=ENV,
        cwd=ROOT,
    )
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read().decode()
    proc.wait()
    assert first.decode().startswith("relaxarray ")
    assert "Traceback" not in err and "BrokenPipe" not in err, err
    assert proc.returncode == 141


# -- the estimator comparison -----------------------------------------------------------------

T = 0.45
C = 1 - 2 * T  # f(1) - f(0): f(b) = (b - t)^2 is linear in b on {0, 1}


def _sig(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def exact_gradient(phi: float) -> float:
    return _sig(phi) * _sig(-phi) * C


def closed_form_variance(name: str, phi: float) -> float:
    """Variance of one estimate (2 evaluations of f), derived by hand for f(b) = a + C b."""
    s = _sig(phi)
    g = exact_gradient(phi)
    m = min(s, 1 - s)
    if name == "REINFORCE":  # mean of 2 single-sample estimates f(b)(b - s)
        second = s * (1 - s) * ((1 - T) ** 4 * (1 - s) + T**4 * s)
        return (second - g * g) / 2
    if name == "RLOO":  # (C/2) 1[b1 != b2]
        p = 2 * s * (1 - s)
        return C * C / 4 * p * (1 - p)
    if name == "ARM":  # C (1/2 - u) on a set of measure m at each end, 0 between
        return 2 * C * C * (0.5**3 - (0.5 - m) ** 3) / 3 - g * g
    if name == "DisARM":  # (C/2) sigmoid(|phi|) 1[b != b~], P(b != b~) = 2m
        q = 2 * m
        return C * C / 4 * _sig(abs(phi)) ** 2 * q * (1 - q)
    raise KeyError(name)


def parse_rows(out: str) -> dict[tuple[float, str], dict[str, float | str]]:
    rows: dict[tuple[float, str], dict[str, float | str]] = {}
    phi = None
    for line in out.splitlines():
        m = re.match(r"phi = (\S+): exact gradient = (\S+)", line)
        if m:
            phi = float(m.group(1))
            assert float(m.group(2)) == pytest.approx(exact_gradient(phi), abs=1e-6)
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if phi is None or len(cells) != 8 or cells[0] in ("estimator", "---"):
            continue
        rows[(phi, cells[0])] = {
            "form": cells[1],
            "evals": float(cells[2]),
            "mean": float(cells[3]),
            "bias": float(cells[4]),
            "z": float(cells[5]),
            "variance": float(cells[6]),
        }
    return rows


def run_demo(backend: str, *args: str) -> tuple[str, str]:
    if importlib.util.find_spec(backend) is None:
        pytest.skip(f"{backend} not installed")
    proc = subprocess.run(
        [sys.executable, "-m", "relaxarray", "demo", "--backend", backend, *args],
        check=True,
        capture_output=True,
        text=True,
        env=ENV,
    )
    return proc.stdout, proc.stderr


@pytest.fixture(scope="module")
def numpy_demo() -> tuple[str, str]:
    return run_demo("numpy")


@pytest.fixture(scope="module")
def torch_demo() -> tuple[str, str]:
    return run_demo("torch", "--no-progress")


SCORE = ("REINFORCE", "RLOO", "ARM", "DisARM")


def check_score_family(out: str, form: str) -> None:
    m = re.search(r"(\d+) independent estimates per row", out)
    assert m is not None
    n = int(m.group(1))
    rows = parse_rows(out)
    for phi in (-2.0, 1.0):
        exact = exact_gradient(phi)
        var = {}
        for name in SCORE:
            row = rows[(phi, name)]
            assert row["form"] == form
            v = closed_form_variance(name, phi)
            # Unbiased: the mean of n estimates lies within 4 standard errors of the
            # exact gradient (computed here from the closed-form variance).
            assert abs(float(row["mean"]) - exact) < 4 * math.sqrt(v / n) + 1e-6, (phi, name)
            # The printed variance matches the hand-derived one within 3 % (its sampling
            # error at n = 200000 is below 0.5 % for these distributions).
            assert float(row["variance"]) == pytest.approx(v, rel=0.03), (phi, name)
            var[name] = float(row["variance"])
        # The comparison's point (same noise for every estimator, so the differences are
        # measured precisely): DisARM <= ARM <= RLOO << REINFORCE.
        assert var["DisARM"] <= var["ARM"] <= var["RLOO"] < var["REINFORCE"] / 5


def test_numpy_comparison_uses_explicit_forms(numpy_demo: tuple[str, str]) -> None:
    out, err = numpy_demo
    check_score_family(out, "explicit")
    assert "straight-through (identity) |" not in out  # surrogate-only: not on NumPy
    assert "need automatic differentiation" in out
    # stderr is a pipe here, not a terminal: no progress bar, no carriage returns
    assert "\r" not in err and "\r" not in out and "80/80" not in err


class _Terminal:
    """A text stream that says it is a terminal."""

    def __init__(self) -> None:
        import io

        self.buf = io.StringIO()

    def isatty(self) -> bool:
        return True

    def write(self, s: str) -> int:
        return self.buf.write(s)

    def flush(self) -> None:
        pass


def test_progress_bar_only_on_a_terminal() -> None:
    import io

    from relaxarray._demo_estimators import progress_bar

    tty, pipe = _Terminal(), io.StringIO()
    for stream in (tty, pipe):
        bar = progress_bar(5, file=stream)
        for _ in range(5):
            bar.update(1)
        bar.close()
    assert "5/5" in tty.buf.getvalue()
    assert pipe.getvalue() == ""


def test_demo_redirected_to_a_file_has_no_progress_updates(tmp_path: Path) -> None:
    """``python -m relaxarray demo > file 2>&1``: the file holds the tables only."""
    path = tmp_path / "demo.txt"
    with path.open("w") as f:
        subprocess.run(
            [sys.executable, "-m", "relaxarray", "demo", "--backend", "numpy", "--samples", "2000"],
            check=True,
            stdout=f,
            stderr=subprocess.STDOUT,
            env=ENV,
            cwd=ROOT,
        )
    text = path.read_text()
    assert "independent estimates per row" in text
    assert "\r" not in text


@requires_backend("torch")
def test_torch_comparison_uses_surrogates(
    numpy_demo: tuple[str, str], torch_demo: tuple[str, str]
) -> None:
    out = torch_demo[0]
    check_score_family(out, "surrogate")
    rows, ref = parse_rows(out), parse_rows(numpy_demo[0])
    n = 200_000
    for phi in (-2.0, 1.0):
        s, exact = _sig(phi), exact_gradient(phi)
        # Same portable noise on every backend: the surrogate (autodiff) rows reproduce
        # NumPy's explicit rows to the printed precision.
        for name in SCORE:
            assert rows[(phi, name)]["mean"] == pytest.approx(ref[(phi, name)]["mean"], abs=2e-6)
            assert rows[(phi, name)]["variance"] == pytest.approx(
                ref[(phi, name)]["variance"], rel=1e-3
            )

        def mean(name: str, phi: float = phi) -> float:
            return float(rows[(phi, name)]["mean"])

        def se(name: str, phi: float = phi) -> float:
            return math.sqrt(float(rows[(phi, name)]["variance"]) / n)

        # Straight-through: E[f'(b)] = 2 (s - t) for the identity pseudo-gradient, times
        # sigmoid'(phi) for the sigmoid one; both far from the exact gradient.
        assert mean("straight-through (identity)") == pytest.approx(
            2 * (s - T), abs=5 * se("straight-through (identity)")
        )
        assert mean("straight-through (sigmoid)") == pytest.approx(
            2 * (s - T) * s * (1 - s), abs=5 * se("straight-through (sigmoid)")
        )
        # Gumbel-Rao is ST Gumbel-softmax Rao-Blackwellised: the same mean, less variance.
        gs, gr = "ST Gumbel-softmax (relaxed Bernoulli, T=0.5)", "Gumbel-Rao (T=0.5, K=10)"
        assert abs(mean(gs) - mean(gr)) < 5 * math.hypot(se(gs), se(gr))
        assert float(rows[(phi, gr)]["variance"]) < 0.7 * float(rows[(phi, gs)]["variance"])
        assert abs(mean(gs) - exact) > 20 * se(gs)  # biased
        # REBAR is unbiased; ReinMax is exact for a quadratic f (Liu et al. 2023).
        for name in ("REBAR (eta=1, T=0.5)", "ReinMax (T=1)"):
            assert abs(mean(name) - exact) < 4 * se(name), (phi, name)


@requires_backend("jax")
def test_jax_matches_numpy_on_a_small_budget() -> None:
    out = run_demo("jax", "--samples", "20000", "--no-progress")[0]
    ref = run_demo("numpy", "--samples", "20000", "--no-progress")[0]
    rows, ref_rows = parse_rows(out), parse_rows(ref)
    assert len(rows) == 20 and len(ref_rows) == 8
    for key, row in ref_rows.items():
        assert rows[key]["mean"] == pytest.approx(row["mean"], abs=2e-6)
        assert rows[key]["variance"] == pytest.approx(row["variance"], rel=1e-3)


def test_plot_is_written(tmp_path: Path) -> None:
    if importlib.util.find_spec("matplotlib") is None:
        pytest.skip("matplotlib not installed")
    png = tmp_path / "demo.png"
    out = run_demo("numpy", "--samples", "2000", "--no-progress", "--plot", str(png))[0]
    data = png.read_bytes()
    assert f"wrote {png}" in out and data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000


def test_plot_without_matplotlib_is_a_clear_error(tmp_path: Path) -> None:
    # matplotlib hidden from find_spec: the error comes before any work is done
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, importlib.util as u; f = u.find_spec; "
            "u.find_spec = lambda n, *a: None if n == 'matplotlib' else f(n, *a); "
            "from relaxarray.__main__ import main; "
            "sys.exit(main(['demo', '--plot', 'x.png', '--no-progress']))",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )
    assert proc.returncode == 1
    assert "--plot needs matplotlib" in proc.stderr and proc.stdout == ""
