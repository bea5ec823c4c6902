"""The lecture's tables (seed "Differentiate Almost Everywhere") computed by relaxarray.

Writes ``<out>/fragments/lecture_tables.md`` (included by ``docs/relaxations.md``) and
exits non-zero when a value disagrees with the lecture's printed value by more than
0.7 units in its last printed place (the lecture rounds twice in a few cells), so a wrong
relaxation breaks the documentation build.

Run: ``python docs/plots/lecture_tables.py OUTDIR``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

import relaxarray as rx

X = [1.1, 4.0, -0.1, 2.3]
# The lecture's printed values: (values, number of decimals or "e" for 4 significant digits).
SOFTMAX = {
    1.0: [0.044, 0.797, 0.013, 0.146],
    0.8: [0.023, 0.868, 0.005, 0.104],
    0.6: [0.008, 0.937, 0.001, 0.055],
    0.4: [6.997e-04, 9.852e-01, 3.484e-05, 1.405e-02],
    0.2: [5.042e-07, 9.998e-01, 1.250e-09, 2.034e-04],
}
SOFT_ARGMAX = {1.0: 1.2606, 0.8: 1.1894, 0.6: 1.1037, 0.4: 1.0274, 0.2: 1.0004}
SOFT_MAX = {1.0: 3.571, 0.8: 3.736, 0.6: 3.881, 0.4: 3.974, 0.2: 3.999}


def _unit(printed: float, scientific: bool, decimals: int) -> float:
    """One unit in the last printed place."""
    if scientific:
        return 10.0 ** (np.floor(np.log10(abs(printed))) - 3)
    return 10.0**-decimals


def _fmt(v: float, scientific: bool, decimals: int) -> str:
    return f"{v:.3e}" if scientific else f"{v:.{decimals}f}"


def main(out: Path) -> int:
    x = np.asarray(X, dtype=np.float64)
    errors: list[str] = []
    lines = ["| $T$ | relaxarray `softmax(x, temperature=T)` | lecture |", "| --- | --- | --- |"]
    for t, printed in SOFTMAX.items():
        got = rx.softmax(x, temperature=t)
        scientific = t < 0.5
        for g, p in zip(got, printed, strict=True):
            if abs(g - p) > 0.7 * _unit(p, scientific, 3):
                errors.append(f"softmax T={t}: {g} vs printed {p}")
        cells = ", ".join(_fmt(float(v), scientific, 3) for v in got)
        lecture = ", ".join(_fmt(v, scientific, 3) for v in printed)
        lines.append(f"| {t} | [{cells}] | [{lecture}] |")
    lines += [
        "",
        "| $T$ | `soft_argmax` | lecture | `soft_max` | lecture |",
        "| --- | --- | --- | --- | --- |",
    ]
    for t in SOFT_ARGMAX:
        idx = float(rx.soft_argmax(x, temperature=t))
        mx = float(rx.soft_max(x, temperature=t))
        if abs(idx - SOFT_ARGMAX[t]) > 0.7e-4:
            errors.append(f"soft_argmax T={t}: {idx} vs printed {SOFT_ARGMAX[t]}")
        if abs(mx - SOFT_MAX[t]) > 0.7e-3:
            errors.append(f"soft_max T={t}: {mx} vs printed {SOFT_MAX[t]}")
        lines.append(f"| {t} | {idx:.4f} | {SOFT_ARGMAX[t]:.4f} | {mx:.3f} | {SOFT_MAX[t]:.3f} |")
    frag = out / "fragments"
    frag.mkdir(parents=True, exist_ok=True)
    (frag / "lecture_tables.md").write_text("\n".join(lines) + "\n")
    for e in errors:
        print("MISMATCH", e, file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/_generated")))
