"""Pytest fixtures over the installed backends and devices.

Use them in a ``conftest.py``::

    pytest_plugins = ["relaxarray.testing.pytest_plugin"]

or import the ones you want into a test module::

    from relaxarray.testing.pytest_plugin import array_target, rng, xp  # noqa: F401

Fixtures
--------
array_target
    A :class:`relaxarray.testing.Target` (parametrised over every installed backend,
    device and jit variant): ``array_target.asarray(np_array)``,
    ``array_target.to_numpy(x)``, ``array_target.xp``, ``array_target.device``.
xp
    ``array_target.xp``.
rng
    ``relaxarray.random.portable(0)``: the same noise on every backend.
"""

from __future__ import annotations

from typing import Any

import pytest

from relaxarray import random
from relaxarray.testing._consistency import targets

_TARGETS = targets()


@pytest.fixture(params=_TARGETS, ids=[t.id for t in _TARGETS])
def array_target(request: pytest.FixtureRequest) -> Any:
    """One installed backend/device (see the module docstring)."""
    return request.param


@pytest.fixture
def xp(array_target: Any) -> Any:
    """The Array API namespace of ``array_target``."""
    return array_target.xp


@pytest.fixture
def rng() -> random.PortableKey:
    """A portable random key, identical on every backend."""
    return random.portable(0)
