"""Every public function of relaxarray gives the same numbers on every backend.

The inputs live in ``tests/api_cases.py``; a public function without an entry fails here.
"""

from __future__ import annotations

import functools

import pytest
from api_cases import CASES

import relaxarray
from relaxarray.testing import assert_consistent

PUBLIC_FUNCTIONS = sorted(
    name
    for name in relaxarray.__all__
    if callable(getattr(relaxarray, name)) and not isinstance(getattr(relaxarray, name), type)
)


def test_registry_has_no_stale_entries() -> None:
    stale = sorted(set(CASES) - set(PUBLIC_FUNCTIONS))
    assert not stale, f"tests/api_cases.py has entries for non-public names: {stale}"


@pytest.mark.parametrize("name", PUBLIC_FUNCTIONS)
def test_public_function_consistent_across_backends(name: str) -> None:
    if name not in CASES:
        pytest.fail(
            f"relaxarray.{name} is public but has no cross-backend case: add a line "
            f'`case("{name}", <numpy inputs>, <keyword options>)` to tests/api_cases.py'
        )
    c = CASES[name]
    fn = functools.partial(getattr(relaxarray, name), **c.kwargs)
    functools.update_wrapper(fn, getattr(relaxarray, name))
    assert_consistent(fn, *c.args, **c.opts)
