"""The API reference's attribute tables are filled: every public attribute of a public
class (what autosummary lists in a class page's "Attributes" table) has a description."""

from __future__ import annotations

import importlib
import inspect
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
# classes whose attributes are plain class-level values (documented in the class's own
# numpydoc "Attributes" section); owned by other modules, checked there
OWN = ("relaxarray.distributions", "relaxarray.estimators", "relaxarray.interop")


def _classes() -> list[tuple[str, type]]:
    sys.path.insert(0, str(DOCS))
    try:
        apigen = importlib.import_module("_apigen")
    finally:
        sys.path.remove(str(DOCS))
    out = []
    for module, names in apigen.api_sections().items():
        if module not in OWN:
            continue
        mod = importlib.import_module(module)
        out += [
            (f"{module}.{n}", getattr(mod, n)) for n in names if inspect.isclass(getattr(mod, n))
        ]
    return out


@pytest.mark.parametrize(("qualname", "cls"), _classes(), ids=lambda v: getattr(v, "__name__", v))
def test_every_listed_attribute_has_a_description(qualname: str, cls: type) -> None:
    missing = []
    for name, _ in inspect.getmembers(cls):
        if name.startswith("_"):
            continue
        raw = inspect.getattr_static(cls, name)
        if not isinstance(raw, property) and type(raw).__name__ != "_tuplegetter":
            continue  # methods get their own table; plain values: the class docstring
        doc = inspect.getdoc(getattr(cls, name)) or ""
        if not doc.strip() or doc.startswith("Alias for field number"):
            missing.append(name)
    assert not missing, f"{qualname}: attributes without a description: {missing}"
