"""Run each example script with ``--quick`` in a subprocess and check what it prints.

The checks are ones a wrong implementation would break: the lecture's soft arg max value
in the annealing table, the annealed softmax reaching the one-hot arg max, and the
estimated gradients agreeing with the closed form within a stated statistical tolerance.
"""

from __future__ import annotations

import itertools
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from relaxarray.testing import requires_backend

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def run_example(name: str, *args: str) -> str:
    env = dict(os.environ, MPLBACKEND="Agg", OMP_NUM_THREADS="1")
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / name), "--quick", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_every_example_has_a_test() -> None:
    tested = {
        "temperature_and_reparameterisation.py",
        "discrete_vae_torch.py",
        "discrete_vae_jax.py",
        "feature_selection.py",
        "scale_jax_vae.py",
        "scale_torch_ddp.py",
        "scale_dask.py",
    }  # scale_dask: tests/test_scale_dask.py (LocalCluster)
    scripts = {p.name for p in EXAMPLES.glob("*.py") if not p.name.startswith("_")}
    assert scripts <= tested | _tested_elsewhere(), (
        f"examples without a test here: {sorted(scripts - tested - _tested_elsewhere())}"
    )


def _tested_elsewhere() -> set[str]:
    """Examples whose test lives in another tests/test_examples_*.py file."""
    names: set[str] = set()
    for test_file in Path(__file__).parent.glob("test_examples_*.py"):
        names |= set(re.findall(r"[\w]+\.py", test_file.read_text()))
    return names


@pytest.fixture(scope="module")
def temperature_output(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    plots = tmp_path_factory.mktemp("plots")
    return run_example("temperature_and_reparameterisation.py", "--plot", str(plots)), plots


def _table(text: str, columns: int) -> list[list[str]]:
    rows = []
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) == columns and not cells[0].startswith("---"):
            rows.append(cells)
    return rows[1:] if rows else rows  # drop the header


def test_annealing_table(temperature_output: tuple[str, Path]) -> None:
    out, _ = temperature_output
    part1 = out.split("## 2.")[0]
    rows = _table(part1, 5)
    temps = [float(r[0]) for r in rows]
    assert temps == sorted(temps, reverse=True), "the schedule must decrease"
    by_t = {float(r[0]): r for r in rows}
    # The lecture: softmax(x / 1.0) = [0.044, 0.797, 0.013, 0.146], soft arg max 1.2606.
    assert by_t[1.0][4] == "1.2606"
    probs = [float(v) for v in by_t[1.0][1].strip("[]").split(",")]
    assert [round(p, 3) for p in probs] == [0.044, 0.797, 0.013, 0.146]
    # Annealed to the coldest temperature: one-hot at the arg max, entropy ~ 0.
    coldest = rows[-1]
    assert float(coldest[2]) > 0.999999
    assert float(coldest[3]) < 1e-6
    assert abs(float(coldest[4]) - 1.0) < 1e-4
    entropies = [float(r[3]) for r in rows]
    assert entropies == sorted(entropies, reverse=True), "entropy must fall as T falls"


def test_gradient_estimates(temperature_output: tuple[str, Path]) -> None:
    out, _ = temperature_output
    part2 = out.split("## 2.")[1]
    m = re.search(r"(\d+) repeats of (\d+) samples", part2)
    assert m is not None
    repeats = int(m.group(1))
    # The closed form, independently of the script: E[2 + sin y] = 2 + sin(mu) e^{-s^2/2}.
    mu, sigma = 1.0, 0.8
    exact = {
        "mu": math.cos(mu) * math.exp(-(sigma**2) / 2),
        "sigma": -sigma * math.sin(mu) * math.exp(-(sigma**2) / 2),
    }
    rows = _table(part2, 5)
    assert len(rows) == 8
    stds: dict[tuple[str, str], float] = {}
    for name, param, mean, std, printed_exact in rows:
        assert float(printed_exact) == pytest.approx(exact[param], abs=1e-6)
        # Every estimator here is unbiased (the pathwise one up to O(h^2) ~ 1e-5): the
        # mean of `repeats` estimates lies within 4 standard errors of the exact value.
        tolerance = 4 * float(std) / math.sqrt(repeats) + 1e-4
        assert abs(float(mean) - exact[param]) < tolerance, (name, param, mean)
        stds[(name, param)] = float(std)
    pathwise = {p: s for (n, p), s in stds.items() if "common random numbers" in n}
    independent = {p: s for (n, p), s in stds.items() if "independent" in n}
    score = {p: s for (n, p), s in stds.items() if n == "score function (REINFORCE)"}
    baseline = {p: s for (n, p), s in stds.items() if "baseline" in n}
    for p in ("mu", "sigma"):
        # The point of the script, as inequalities with a wide margin.
        assert pathwise[p] < score[p] / 2
        assert pathwise[p] < independent[p] / 10
        assert baseline[p] < score[p]


def test_plots_written(temperature_output: tuple[str, Path]) -> None:
    _, plots = temperature_output
    for name in ("annealing.png", "reparameterisation.png"):
        data = (plots / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000


# -- the discrete VAE examples (torch and jax) ------------------------------------------------


def _marginal_baseline() -> float:
    """Held-out negative log-likelihood of independent per-pixel Bernoullis fitted to the
    training set: what a VAE reaches when its decoder ignores the latents (the decoder's
    pathwise gradient alone gets there). Beating it needs a working encoder gradient."""
    import numpy as np
    from sklearn.datasets import load_digits

    x = (load_digits().data > 7).astype(np.float64)
    x = x[np.random.default_rng(0).permutation(len(x))]
    train, test = x[:1500], x[1500:]
    p = train.mean(axis=0).clip(1e-3, 1 - 1e-3)
    return float(-(test * np.log(p) + (1 - test) * np.log(1 - p)).sum(axis=1).mean())


VAE_CASES = [
    ("discrete_vae_torch.py", "torch", "disarm"),
    ("discrete_vae_torch.py", "torch", "st-gs"),
    ("discrete_vae_jax.py", "jax", "rloo"),
]


@pytest.mark.parametrize(
    ("script", "framework", "estimator"),
    [pytest.param(*case, marks=requires_backend(case[1])) for case in VAE_CASES],
)
def test_discrete_vae(script: str, framework: str, estimator: str, tmp_path: Path) -> None:
    pytest.importorskip(framework)
    pytest.importorskip("sklearn")
    pytest.importorskip("matplotlib")
    out = run_example(script, "--estimator", estimator, "--out", str(tmp_path))
    held_out = {
        int(m.group(1)): float(m.group(2))
        for m in re.finditer(r"epoch (\d+): .*held-out -ELBO (\S+)", out)
    }
    assert len(held_out) == 16, out  # epoch 0 (initialisation) and the 15 quick epochs
    # At initialisation every pixel is a coin flip: about 64 log 2 = 44.4 nats.
    assert 40 < held_out[0] < 50
    final = held_out[15]
    assert final < held_out[0] - 15, out
    # Below the independent-pixels baseline (25.2 nats) by 1.5 nats: the latents carry
    # information, which needs a correct gradient for the encoder.
    assert final < _marginal_baseline() - 1.5, (final, _marginal_baseline())
    for name in ("reconstructions.png", "samples.png"):
        data = (tmp_path / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5_000


# -- feature selection with L0 gates (torch) --------------------------------------------------


@requires_backend("torch")
@pytest.mark.parametrize("gate", ["hard-concrete", "gaussian"])
def test_feature_selection(gate: str, tmp_path: Path) -> None:
    pytest.importorskip("torch")
    pytest.importorskip("sklearn")
    pytest.importorskip("matplotlib")
    plot = tmp_path / "gates.png"
    out = run_example("feature_selection.py", "--gate", gate, "--plot", str(plot))
    m = re.search(r"noise features closed: (\d+) of (\d+)", out)
    assert m is not None, out
    closed, n_noise = int(m.group(1)), int(m.group(2))
    assert n_noise == 30 and closed >= 27, out  # at least 90% of the noise gates closed
    m = re.search(r"lam = \S+: (\d+) of 60 features selected", out)
    assert m is not None, out
    # A real selection: a few features survive, not none and not most of them.
    assert 2 <= int(m.group(1)) <= 20, out
    survivors = re.findall(r"^  (.+?)\s+(\d\.\d{3})$", out, flags=re.MULTILINE)
    assert len(survivors) == int(m.group(1))
    assert all(not name.startswith("noise") for name, _ in survivors[:3]), out

    def acc(label: str) -> float:
        found = re.search(label + r".*?: +(\d\.\d+)", out)
        assert found is not None, (label, out)
        return float(found.group(1))

    all_features = acc("all 60 features")
    # The gated model with its test-time gates, and a refit on the selected features,
    # within 3 points (5 of the 169 test examples) of logistic regression on all 60
    # columns; a model whose gates close useful features falls far below (~0.63, the
    # majority class, when all close).
    assert acc("gated model") >= all_features - 0.03, out
    assert acc("refit on the selected") >= all_features - 0.03, out
    assert all_features > 0.9
    rows = _table(out, 5)
    lams = [float(r[0]) for r in rows]
    kept = [int(r[1]) for r in rows]
    assert lams == sorted(lams) and len(lams) == 3, out
    # A larger L0 weight keeps fewer features.
    assert all(a >= b for a, b in itertools.pairwise(kept)), out
    assert kept[-1] < kept[0], out
    data = plot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000


# -- scale-out examples (8 simulated JAX devices, 2 gloo ranks) ---------------------------


def _held_out(out: str) -> dict[int, float]:
    return {
        int(m.group(1)): float(m.group(2))
        for m in re.finditer(r"epoch (\d+): .*held-out -ELBO (\S+)", out)
    }


@pytest.mark.scale
@requires_backend("jax")
def test_scale_jax_vae() -> None:
    pytest.importorskip("jax")
    pytest.importorskip("sklearn")
    out = run_example("scale_jax_vae.py", "--estimator", "disarm")
    # the data-parallel step: only the gradient all-reduce, nothing gathers the batch
    m = re.search(
        r"all-reduce (\d+), all-gather (\d+), all-to-all (\d+), "
        r"collective-permute (\d+)",
        out,
    )
    assert m is not None, out
    assert int(m.group(1)) >= 1 and m.groups()[1:] == ("0", "0", "0"), out
    assert (
        "12 rows per device; largest batch dimension of any per-device buffer in the "
        "step: 12" in out
    ), out
    # one step on 8 devices is the one-device step up to float reassociation in the
    # all-reduce (a sign flip in Adam's first step would move a parameter by 2 lr = 6e-3)
    gap = float(re.search(r"largest parameter difference (\S+)", out).group(1))  # type: ignore[union-attr]
    assert gap < 1e-4, out
    held_out = _held_out(out)
    assert sorted(held_out) == list(range(6)), out
    assert 40 < held_out[0] < 50 and held_out[5] < held_out[0] - 15, out


@pytest.mark.scale
@requires_backend("torch")
def test_scale_torch_ddp() -> None:
    torch = pytest.importorskip("torch")
    pytest.importorskip("sklearn")
    if not torch.distributed.is_available():
        pytest.skip("no torch.distributed")
    out = run_example("scale_torch_ddp.py", "--estimator", "disarm")
    assert "largest difference 0.00e+00" in out, out  # DDP = mean of the local gradients
    assert "ranks drew different noise: True" in out, out
    assert "parameters identical on all ranks after training: True" in out, out
    held_out = _held_out(out)
    assert sorted(held_out) == list(range(6)), out
    assert 40 < held_out[0] < 50 and held_out[5] < held_out[0] - 15, out
