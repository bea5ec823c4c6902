"""Run ``examples/feature_selection.py --quick`` (both gates) for the docs.

Writes ``<out>/examples/featsel_hard_concrete.png`` and ``featsel_gaussian.png``, and the
printed output into ``<out>/fragments/featsel_hard_concrete.md`` and
``featsel_gaussian.md`` (included by ``docs/guide/examples.md``).
Run: ``python docs/plots/example_featsel.py OUTDIR``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _fragment(text: str) -> str:
    """The printed report as a text block, followed by the lam table as markdown."""
    lines = [ln for ln in text.splitlines() if not ln.startswith(("wrote ", "ran in "))]
    report = [ln for ln in lines if not ln.startswith("|")]
    table = [ln for ln in lines if ln.startswith("|")]
    while report and not report[-1].strip():
        report.pop()
    return "```text\n" + "\n".join(report) + "\n```\n\n" + "\n".join(table) + "\n"


def main(out: Path) -> int:
    (out / "fragments").mkdir(parents=True, exist_ok=True)
    (out / "examples").mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, OMP_NUM_THREADS="1", MPLBACKEND="Agg")
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    for gate in ("hard-concrete", "gaussian"):
        name = "featsel_" + gate.replace("-", "_")
        result = subprocess.run(
            [
                sys.executable,
                str(ROOT / "examples" / "feature_selection.py"),
                "--quick",
                "--gate",
                gate,
                "--plot",
                str(out / "examples" / f"{name}.png"),
            ],
            capture_output=True,
            text=True,
            check=False,
            cwd=ROOT,
            env=env,
        )
        if result.returncode != 0:
            print(result.stderr, file=sys.stderr)
            return result.returncode
        (out / "fragments" / f"{name}.md").write_text(_fragment(result.stdout))
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/_generated")))
