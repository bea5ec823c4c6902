"""relaxarray constraints as the same constraints of torch.distributions or NumPyro.

Both libraries' constraint modules spell the shared constraints alike (``real``,
``boolean``, ``integer_interval``, ``simplex``, ...), so one translation serves both.
"""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any


def native_constraint(c: Any, C: ModuleType, event_dim: int) -> Any:
    """The relaxarray constraint ``c`` as an object of the constraint module ``C``.

    Read by the constraint's class (this layer does not import the distributions, which
    import it). A distribution whose support relaxarray does not state (``None``) maps to
    ``C.real`` (or ``C.real_vector`` for a vector event), what a score-function site needs.
    """
    kind = type(c).__name__
    if c is None:
        return C.real_vector if event_dim else C.real
    if kind in ("_Real", "_RealVector", "_Boolean", "_Simplex"):
        return getattr(C, kind[1:].replace("Vector", "_vector").lower())
    if kind == "_IntegerInterval":
        return C.integer_interval(c.lower, c.upper)
    if kind == "_OneHot":  # NumPyro has no one-hot constraint: its closure, the simplex
        return getattr(C, "one_hot", C.simplex)
    if kind == "_Interval":
        return _interval(c, C)
    raise TypeError(f"no torch/NumPyro counterpart for the constraint {c!r}")


def _interval(c: Any, C: ModuleType) -> Any:
    lo, hi = c.lower, c.upper
    if hi == math.inf:
        if lo == 0.0 and c.open_lower:
            return C.positive
        return C.greater_than(lo) if c.open_lower else C.greater_than_eq(lo)
    if not (c.open_lower or c.open_upper):
        return C.unit_interval if (lo, hi) == (0.0, 1.0) else C.interval(lo, hi)
    if c.open_upper and not c.open_lower and hasattr(C, "half_open_interval"):
        return C.half_open_interval(lo, hi)
    if c.open_lower and c.open_upper and hasattr(C, "open_interval"):
        return C.open_interval(lo, hi)
    return C.interval(lo, hi)  # the closure: what the other library can state
