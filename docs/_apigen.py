"""Generate the API reference from ``__all__``: no page lists public names by hand.

The public surface is ``relaxarray.__all__`` plus the ``__all__`` of every public
subpackage or submodule of relaxarray (found with :mod:`pkgutil`, so a subpackage merged
later -- ``relaxarray.estimators``, ``relaxarray.testing`` -- appears with no edit here).
``write_api_pages(outdir)`` writes one reStructuredText page per module with an
``autosummary`` table; ``docs/api/index.md`` includes them with a glob toctree.
``tests/test_docs.py`` uses the same functions to check that every public name has a
docstring and appears on a generated page.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import shutil
from pathlib import Path
from types import ModuleType

ROOT = "relaxarray"


def public_modules() -> list[ModuleType]:
    """``relaxarray`` and its public submodules that declare ``__all__``, in order."""
    root = importlib.import_module(ROOT)
    modules = [root]
    for info in sorted(pkgutil.iter_modules(root.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{ROOT}.{info.name}")
        if hasattr(module, "__all__"):
            modules.append(module)
    return modules


def public_names(module: ModuleType) -> list[str]:
    """The documented names of ``module``: its ``__all__`` minus re-exported submodules
    (those get their own page)."""
    names = []
    for name in module.__all__:
        obj = getattr(module, name)
        if inspect.ismodule(obj) and obj.__name__.startswith(ROOT + "."):
            continue
        names.append(name)
    return sorted(names, key=str.lower)


def api_sections() -> dict[str, list[str]]:
    """Module name -> public names documented on its page."""
    return {m.__name__: public_names(m) for m in public_modules()}


def _title(module: ModuleType) -> str:
    doc = inspect.getdoc(module) or ""
    first = doc.strip().split("\n\n")[0].replace("\n", " ")
    return first


def render(module: ModuleType) -> str:
    """The reStructuredText page of one module."""
    name = module.__name__
    lines = [f"``{name}``", "=" * (len(name) + 4), ""]
    lines += [f".. automodule:: {name}", "   :no-members:", ""]
    names = public_names(module)
    if names:
        lines += [
            f".. currentmodule:: {name}",
            "",
            ".. autosummary::",
            "   :toctree: generated",
            "   :nosignatures:",
            "",
        ]
        lines += [f"   {n}" for n in names]
        lines.append("")
    return "\n".join(lines)


def write_api_pages(outdir: Path) -> list[Path]:
    """Write ``<outdir>/<module>.rst`` for every public module; return the paths.

    Pages of modules that no longer exist are removed, so the glob toctree stays exact,
    and so are autosummary's per-name stubs (``generated/``): autosummary writes them again
    for the names public now.
    """
    shutil.rmtree(outdir / "generated", ignore_errors=True)
    outdir.mkdir(parents=True, exist_ok=True)
    written = []
    for module in public_modules():
        path = outdir / f"{module.__name__}.rst"
        text = render(module)
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
        written.append(path)
    for stale in outdir.glob("*.rst"):
        if stale not in written:
            stale.unlink()
    return written
