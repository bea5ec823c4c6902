"""Cross-backend consistency checks for relaxarray and for your own Array API code.

- :func:`assert_consistent` runs a function on every installed backend and device with
  the same inputs and the same portable random stream, and compares values (and, on
  torch and jax, gradients) with the float64 NumPy result;
- :func:`installed_backends` and :func:`targets` list where it can run;
- :mod:`relaxarray.testing.pytest_plugin` has pytest fixtures (``xp``,
  ``array_target``, ``rng``).

This module names no framework: conversions and gradients go through the adapters in
:mod:`relaxarray.backends`.
"""

from __future__ import annotations

from relaxarray.backends._catalog import KNOWN_BACKENDS, Target, installed_backends
from relaxarray.testing._consistency import assert_consistent, targets

__all__ = ["KNOWN_BACKENDS", "Target", "assert_consistent", "installed_backends", "targets"]
