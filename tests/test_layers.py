"""The package's import graph has no cycle and respects the layers (function-level imports
included): ``_lib`` imports nothing above it, ``backends`` only ``_lib``."""

from __future__ import annotations

import importlib.util
import pathlib

_spec = importlib.util.spec_from_file_location(
    "import_graph", pathlib.Path(__file__).resolve().parent.parent / "tools" / "import_graph.py"
)
assert _spec is not None and _spec.loader is not None
import_graph = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(import_graph)


def test_graph_sees_function_level_imports(tmp_path: pathlib.Path) -> None:
    pkg = tmp_path / "relaxarray"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("def f():\n    from relaxarray import b\n")
    (pkg / "b.py").write_text("from relaxarray.a import f\n")
    (pkg / "sub" / "__init__.py").write_text("from relaxarray.sub import c\n")
    (pkg / "sub" / "c.py").write_text("import relaxarray.a\n")
    edges = import_graph.graph(pkg)
    assert edges["relaxarray.a"] == {"relaxarray.b"}
    assert edges["relaxarray.sub"] == {"relaxarray.sub.c"}
    assert import_graph.cycles(edges) == [["relaxarray.a", "relaxarray.b"]]


def test_no_import_cycles() -> None:
    assert import_graph.cycles(import_graph.graph()) == []


def test_layers_import_only_downwards() -> None:
    edges = import_graph.graph()
    assert any(m.startswith("relaxarray._lib.") for m in edges)
    assert import_graph.upward_imports(edges) == []
