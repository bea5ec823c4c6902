"""Sphinx configuration for relaxarray's documentation.

Build (warnings are errors)::

    cd docs && python -m sphinx -W --keep-going -b html . _build/html

At the start of every build this file

1. runs each ``docs/plots/*.py`` script, which writes its figures and tables into
   ``docs/_generated/`` (git-ignored): every plot on the site is made here, from the
   library, during the build;
2. writes the API reference pages from ``__all__`` (``docs/_apigen.py``) into
   ``docs/_generated/api/``, so a public name or subpackage added later appears with no
   edit to any page.

Family pages (``docs/<family>.md``) are listed in order in ``index.md``; a new page left
out of it fails the build ("document isn't included in any toctree" under ``-W``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
GENERATED = HERE / "_generated"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from _apigen import write_api_pages  # noqa: E402

import relaxarray  # noqa: E402

project = "relaxarray"
author = "relaxarray contributors"
copyright = "relaxarray contributors"
release = relaxarray.__version__
version = release

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    # MathJax 3 bundled into _static/mathjax (no CDN): formulas render offline, from a
    # file:// copy of the site or a machine without network.
    "sphinx-mathjax-offline",
    "numpydoc",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "_generated/fragments", "plots", "Thumbs.db", ".DS_Store"]

myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3

autosummary_generate = True
autosummary_imported_members = True
autodoc_default_options = {"members": True, "inherited-members": False}
autodoc_typehints = "none"  # the numpydoc Parameters sections say it better
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

html_theme = "furo"
html_title = f"relaxarray {release}"
pygments_style = "sphinx"


def _run_plot_scripts() -> None:
    """Run every ``docs/plots/*.py`` with the output folder as its argument."""
    (GENERATED / "fragments").mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONPATH=str(ROOT))
    for script in sorted((HERE / "plots").glob("*.py")):
        if script.name.startswith("_"):
            continue
        result = subprocess.run(
            [sys.executable, str(script), str(GENERATED)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"docs/plots/{script.name} failed:\n{result.stdout}\n{result.stderr}"
            )


_run_plot_scripts()
write_api_pages(GENERATED / "api")
