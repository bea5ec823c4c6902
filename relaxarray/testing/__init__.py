"""Cross-backend consistency checks for relaxarray and for your own Array API code.

- :func:`assert_consistent` runs a function on every installed backend and device with
  the same inputs and the same portable random stream, and compares values (and, on
  torch and jax, gradients) with the float64 NumPy result;
- :func:`installed_backends` and :func:`targets` list where it can run;
- :func:`selected_backends`, :func:`backend_enabled`, :func:`requires_backend` and
  :func:`import_backend` make a test suite honour ``RELAXARRAY_TEST_BACKENDS``;
- :mod:`relaxarray.testing.pytest_plugin` has pytest fixtures (``xp``,
  ``array_target``, ``rng``) and applies the selection.

This module names no framework: conversions and gradients go through the adapters in
:mod:`relaxarray.backends`.
"""

from __future__ import annotations

from relaxarray.backends._catalog import KNOWN_BACKENDS, Target, installed_backends
from relaxarray.testing._consistency import assert_consistent, targets
from relaxarray.testing._selection import (
    backend_enabled,
    import_backend,
    required_backends,
    requires_backend,
    selected_backends,
)

__all__ = [
    "KNOWN_BACKENDS",
    "Target",
    "assert_consistent",
    "backend_enabled",
    "import_backend",
    "installed_backends",
    "required_backends",
    "requires_backend",
    "selected_backends",
    "targets",
]
