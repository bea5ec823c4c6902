"""Run ``examples/temperature_and_reparameterisation.py --quick`` for the docs.

Writes its figures into ``<out>/examples/`` and its printed tables into
``<out>/fragments/example_reparameterisation.md`` (included by ``docs/guide/examples.md``),
so the page shows what the script really prints.
Run: ``python docs/plots/example_reparameterisation.py OUTDIR``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main(out: Path) -> int:
    (out / "fragments").mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "examples" / "temperature_and_reparameterisation.py"),
            "--quick",
            "--plot",
            str(out / "examples"),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if result.returncode != 0:
        print(result.stderr, file=sys.stderr)
        return result.returncode
    text = "\n".join(line for line in result.stdout.splitlines() if not line.startswith("wrote "))
    text = text.replace("## 1. ", "### ").replace("## 2. ", "### ")
    (out / "fragments" / "example_reparameterisation.md").write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/_generated")))
