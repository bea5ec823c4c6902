"""Run the demo's estimator comparison and ``examples/discrete_vae_torch.py --quick`` for the docs.

Writes ``<out>/examples/demo.png``, ``<out>/examples/vae_reconstructions.png`` and
``vae_samples.png``, and the printed tables into ``<out>/fragments/demo.md`` and
``<out>/fragments/example_vae.md`` (included by ``docs/guide/examples.md``).
Run: ``python docs/plots/example_vae.py OUTDIR``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(args: list[str]) -> str:
    env = dict(os.environ, OMP_NUM_THREADS="1", MPLBACKEND="Agg")
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    result = subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, check=False, cwd=ROOT, env=env
    )
    if result.returncode != 0:
        print(result.stderr, file=sys.stderr)
        raise SystemExit(result.returncode)
    return result.stdout


def main(out: Path) -> int:
    (out / "fragments").mkdir(parents=True, exist_ok=True)
    (out / "examples").mkdir(parents=True, exist_ok=True)
    text = _run(
        ["-m", "relaxarray", "demo", "--no-progress", "--plot", str(out / "examples" / "demo.png")]
    )
    part = text.split("Estimator comparison:")[1]
    lines = [ln for ln in part.splitlines()[1:] if not ln.startswith("wrote ")]
    (out / "fragments" / "demo.md").write_text("\n".join(lines) + "\n")
    with tempfile.TemporaryDirectory() as tmp:
        text = _run(
            [
                str(ROOT / "examples" / "discrete_vae_torch.py"),
                "--quick",
                "--estimator",
                "disarm",
                "--out",
                tmp,
            ]
        )
        for name in ("reconstructions.png", "samples.png"):
            shutil.copy(Path(tmp) / name, out / "examples" / f"vae_{name}")
    kept = [ln for ln in text.splitlines() if ln.startswith(("discrete", "epoch"))]
    (out / "fragments" / "example_vae.md").write_text("```text\n" + "\n".join(kept) + "\n```\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/_generated")))
