"""Pytest fixtures over the installed backends and devices, and the backend selection.

Use them in a ``conftest.py``::

    pytest_plugins = ["relaxarray.testing.pytest_plugin"]

or import the fixtures you want into a test module::

    from relaxarray.testing.pytest_plugin import array_target, rng, xp  # noqa: F401

Fixtures
--------
array_target
    A :class:`relaxarray.testing.Target` (parametrised over every installed backend,
    device and jit variant that ``RELAXARRAY_TEST_BACKENDS`` selects):
    ``array_target.asarray(np_array)``, ``array_target.to_numpy(x)``,
    ``array_target.xp``, ``array_target.device``.
xp
    ``array_target.xp``.
rng
    ``relaxarray.random.portable(0)``: the same noise on every backend.

Selection (when the plugin is registered with ``pytest_plugins``)
-----------------------------------------------------------------
- ``RELAXARRAY_TEST_BACKENDS=numpy,torch`` narrows every test: the fixtures above, and
  tests marked ``@requires_backend("jax")`` (or ``@pytest.mark.requires_backend``) are
  deselected when they need a backend left out. An unknown name is a usage error.
- ``RELAXARRAY_REQUIRE_BACKENDS=numpy,torch`` makes a missing backend an error (CI)
  instead of a skip.
"""

from __future__ import annotations

from typing import Any

import pytest

from relaxarray import random
from relaxarray.backends._catalog import KNOWN_BACKENDS, is_installed
from relaxarray.testing._consistency import targets
from relaxarray.testing._selection import (
    ENV_REQUIRE,
    ENV_SELECT,
    required_backends,
    selected_backends,
)

try:
    _TARGETS = targets()
except ValueError:  # a bad RELAXARRAY_TEST_BACKENDS: pytest_configure reports it
    _TARGETS = []


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``requires_backend`` mark; check the selection variables."""
    config.addinivalue_line(
        "markers",
        "requires_backend(*names): the test needs these backends; deselected when "
        f"{ENV_SELECT} leaves one out, skipped when one is not installed",
    )
    try:
        selected_backends()
        required = required_backends()
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None
    missing = [b for b in required if not is_installed(b)]
    if missing:
        raise pytest.UsageError(f"{ENV_REQUIRE}: required backends are not installed: {missing}")


def marked_backends(item: pytest.Item) -> set[str]:
    """The backends named by ``item``'s ``requires_backend`` marks."""
    names = {str(n) for mark in item.iter_markers("requires_backend") for n in mark.args}
    unknown = sorted(names - set(KNOWN_BACKENDS))
    if unknown:
        raise pytest.UsageError(
            f"{item.nodeid}: requires_backend names unknown backend(s) {unknown}; "
            f"known backends: {', '.join(KNOWN_BACKENDS)}"
        )
    return names


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect tests that need an unselected backend; skip those that need a missing one."""
    selected = set(selected_backends())
    keep: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        names = marked_backends(item)
        if names - selected:
            dropped.append(item)
            continue
        missing = sorted(n for n in names if not is_installed(n))
        if missing:
            item.add_marker(pytest.mark.skip(reason=f"not installed: {', '.join(missing)}"))
        keep.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


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
