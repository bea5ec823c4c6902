"""Which backends a test run uses: ``RELAXARRAY_TEST_BACKENDS`` and friends.

- ``RELAXARRAY_TEST_BACKENDS`` (comma-separated names from ``KNOWN_BACKENDS``) narrows
  every test: unset or empty means every backend;
- ``RELAXARRAY_REQUIRE_BACKENDS`` names backends whose absence is an error, not a skip.

Nothing here imports pytest at module level: :func:`requires_backend` and
:func:`import_backend` import it when called.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType
from typing import Any

from relaxarray.backends._catalog import KNOWN_BACKENDS, is_installed

__all__ = [
    "ENV_REQUIRE",
    "ENV_SELECT",
    "backend_enabled",
    "import_backend",
    "required_backends",
    "requires_backend",
    "selected_backends",
]

ENV_SELECT = "RELAXARRAY_TEST_BACKENDS"
ENV_REQUIRE = "RELAXARRAY_REQUIRE_BACKENDS"


def _check_names(names: tuple[str, ...], what: str) -> None:
    unknown = [n for n in names if n not in KNOWN_BACKENDS]
    if unknown:
        raise ValueError(
            f"{what} names unknown backend(s) {', '.join(map(repr, unknown))}; "
            f"known backends: {', '.join(KNOWN_BACKENDS)}"
        )


def _from_env(var: str) -> tuple[str, ...]:
    raw = os.environ.get(var, "")
    # "array-api-strict" is accepted for "array_api_strict"
    names = tuple(dict.fromkeys(n.strip().replace("-", "_") for n in raw.split(",")))
    names = tuple(n for n in names if n)
    _check_names(names, var)
    return names


def selected_backends() -> tuple[str, ...]:
    """The backends a test run may use, in ``KNOWN_BACKENDS`` order.

    Read from ``RELAXARRAY_TEST_BACKENDS`` (comma-separated, e.g. ``"numpy,torch"``);
    unset or empty selects every known backend. A selected backend that is not installed
    is skipped by the tests, not an error (see :func:`required_backends`).

    Raises
    ------
    ValueError
        If the variable names an unknown backend (a typo would otherwise skip everything).

    Examples
    --------
    With ``RELAXARRAY_TEST_BACKENDS="torch, numpy"`` it returns ``("numpy", "torch")``.

    >>> from relaxarray.testing import KNOWN_BACKENDS, selected_backends
    >>> set(selected_backends()) <= set(KNOWN_BACKENDS)
    True
    """
    names = _from_env(ENV_SELECT)
    return tuple(b for b in KNOWN_BACKENDS if b in names) if names else KNOWN_BACKENDS


def required_backends() -> tuple[str, ...]:
    """The backends named in ``RELAXARRAY_REQUIRE_BACKENDS``: missing ones are an error."""
    return _from_env(ENV_REQUIRE)


def backend_enabled(name: str) -> bool:
    """Whether backend ``name`` is selected (``RELAXARRAY_TEST_BACKENDS``) and installed."""
    _check_names((name,), "backend_enabled")
    return name in selected_backends() and is_installed(name)


def _split(names: tuple[Any, ...], what: str) -> tuple[str, ...]:
    if not names or not all(isinstance(n, str) for n in names):
        raise TypeError(f"{what} takes one or more backend names (str)")
    _check_names(names, what)
    return names


def requires_backend(*names: str) -> Any:
    """A pytest mark: the test needs every backend in ``names``.

    With the plugin :mod:`relaxarray.testing.pytest_plugin` active, a marked test is
    deselected when ``RELAXARRAY_TEST_BACKENDS`` leaves one of ``names`` out, and skipped
    when one is selected but not installed. Use it on every test that imports a
    framework itself instead of taking the parametrised ``xp``/``array_target``
    fixture. Spelled ``@pytest.mark.requires_backend("torch")`` it does the same.

    Examples
    --------
    >>> from relaxarray.testing import requires_backend
    >>> @requires_backend("torch", "jax")
    ... def test_torch_and_jax_agree(): ...
    """
    import pytest

    return pytest.mark.requires_backend(*_split(names, "requires_backend"))


def import_backend(name: str) -> ModuleType:
    """Import ``name`` (e.g. ``"torch"``, ``"jax.numpy"``) or skip the test.

    Like :func:`pytest.importorskip`, but it also skips when the backend (the first
    dotted part of ``name``) is left out by ``RELAXARRAY_TEST_BACKENDS``; at module
    level it skips the whole module.
    """
    import pytest

    if not isinstance(name, str):
        raise TypeError("import_backend takes a module name (str)")
    (base,) = _split((name.partition(".")[0],), "import_backend")
    if base not in selected_backends():
        pytest.skip(f"{base} is not selected by {ENV_SELECT}", allow_module_level=True)
    if not is_installed(base):
        pytest.skip(f"{base} is not installed", allow_module_level=True)
    return importlib.import_module(name)
