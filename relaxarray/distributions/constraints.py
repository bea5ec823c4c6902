"""Constraints: the support of a distribution and the domain of its parameters.

A constraint is a small object with ``check(value)``, written with the value's own array
namespace, that returns a boolean array of shape ``value.shape[:value.ndim - event_dim]``
(``True`` where the value satisfies it), and a readable ``repr``. Distributions expose
them as ``support`` and ``arg_constraints`` (as ``torch.distributions`` does) and use
``support`` to validate the values given to ``log_prob``.

Examples
--------
>>> import numpy as np
>>> from relaxarray.distributions import constraints
>>> constraints.unit_interval
Interval(lower_bound=0.0, upper_bound=1.0)
>>> constraints.unit_interval.check(np.array([0.0, 0.5, 1.5]))
array([ True,  True, False])
>>> constraints.integer_interval(0, 2).check(np.array([0.0, 2.0, 1.5, 3.0]))
array([ True,  True, False, False])
"""

from __future__ import annotations

import math
from typing import Any

from relaxarray._lib._typing import Array
from relaxarray._namespace import array_namespace

__all__ = [
    "Constraint",
    "boolean",
    "integer_interval",
    "interval",
    "one_hot",
    "positive",
    "real",
    "real_vector",
    "simplex",
    "unit_interval",
]


class Constraint:
    """Base class: ``check(value)`` -> boolean array over the non-event axes."""

    event_dim: int = 0
    description: str = "any value"

    def check(self, value: Array) -> Array:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def _is_int(xp: Any, value: Array) -> bool:
    return not xp.isdtype(value.dtype, ("real floating", "complex floating"))


class _Real(Constraint):
    description = "a real number (not NaN)"

    def check(self, value: Array) -> Array:
        xp = array_namespace(value)
        return value == value if _is_int(xp, value) else ~xp.isnan(value)

    def __repr__(self) -> str:
        return "Real()"


class _RealVector(_Real):
    event_dim = 1
    description = "a vector of real numbers (no NaN) on the last axis"

    def check(self, value: Array) -> Array:
        return array_namespace(value).all(super().check(value), axis=-1)

    def __repr__(self) -> str:
        return "RealVector()"


class _Interval(Constraint):
    def __init__(
        self, lower: float, upper: float, *, open_lower: bool = False, open_upper: bool = False
    ) -> None:
        self.lower, self.upper = float(lower), float(upper)
        self.open_lower, self.open_upper = open_lower, open_upper
        lb = "(" if open_lower else "["
        ub = ")" if open_upper else "]"
        self.description = f"a number in {lb}{self.lower:g}, {self.upper:g}{ub}"

    def check(self, value: Array) -> Array:
        lo = value > self.lower if self.open_lower else value >= self.lower
        hi = value < self.upper if self.open_upper else value <= self.upper
        return lo & hi

    def __repr__(self) -> str:
        name = "Interval"
        if self.open_lower and self.upper == math.inf:
            return f"GreaterThan(lower_bound={self.lower})"
        if self.open_lower or self.open_upper:
            name = "OpenInterval" if (self.open_lower and self.open_upper) else "HalfOpenInterval"
        return f"{name}(lower_bound={self.lower}, upper_bound={self.upper})"


class _IntegerInterval(Constraint):
    def __init__(self, lower: int, upper: int) -> None:
        self.lower, self.upper = int(lower), int(upper)
        self.description = f"an integer in [{self.lower}, {self.upper}]"

    def check(self, value: Array) -> Array:
        xp = array_namespace(value)
        ok = (value >= self.lower) & (value <= self.upper)
        return ok if _is_int(xp, value) else ok & (xp.floor(value) == value)

    def __repr__(self) -> str:
        return f"IntegerInterval(lower_bound={self.lower}, upper_bound={self.upper})"


class _Boolean(_IntegerInterval):
    def __init__(self) -> None:
        super().__init__(0, 1)
        self.description = "0 or 1"

    def __repr__(self) -> str:
        return "Boolean()"


class _OneHot(Constraint):
    event_dim = 1
    description = "a one-hot vector on the last axis (entries 0 or 1, exactly one 1)"

    def check(self, value: Array) -> Array:
        xp = array_namespace(value)
        binary = xp.all((value == 0) | (value == 1), axis=-1)
        return binary & (xp.sum(value, axis=-1) == 1)


class _Simplex(Constraint):
    event_dim = 1
    description = "a point of the probability simplex on the last axis (entries >= 0, sum 1)"

    def check(self, value: Array) -> Array:
        xp = array_namespace(value)
        tol = math.sqrt(float(xp.finfo(value.dtype).eps)) if not _is_int(xp, value) else 0.0
        nonneg = xp.all(value >= 0, axis=-1)
        return nonneg & (xp.abs(xp.sum(value, axis=-1) - 1) <= max(tol, 1e-6))


real = _Real()
real_vector = _RealVector()
positive = _Interval(0.0, math.inf, open_lower=True)
positive.description = "a positive number"
unit_interval = _Interval(0.0, 1.0)
boolean = _Boolean()
one_hot = _OneHot()
simplex = _Simplex()


def interval(lower: float, upper: float) -> Constraint:
    """The closed interval ``[lower, upper]``."""
    return _Interval(lower, upper)


def integer_interval(lower: int, upper: int) -> Constraint:
    """Integers ``lower, ..., upper`` (integer dtype, or floats with no fractional part)."""
    return _IntegerInterval(lower, upper)
