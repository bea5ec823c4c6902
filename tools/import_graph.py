"""The import graph of the relaxarray package, every import included (function-level too).

Run ``python tools/import_graph.py`` from the repository root: it prints the modules, the
number of edges, every import cycle (strongly connected component) and every import that
breaks the layering (``_lib`` imports only ``_lib``; ``backends`` only ``_lib`` and itself).
``tests/test_layers.py`` asserts both lists are empty.
"""

from __future__ import annotations

import ast
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent / "relaxarray"


def modules(root: pathlib.Path = ROOT) -> dict[str, pathlib.Path]:
    """Dotted module name -> file, for every ``.py`` file of the package."""
    out = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def graph(root: pathlib.Path = ROOT) -> dict[str, set[str]]:
    """Module -> the package modules it imports (anywhere in its source)."""
    mods = modules(root)
    edges: dict[str, set[str]] = {m: set() for m in mods}
    for name, path in mods.items():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    sub = f"{node.module}.{alias.name}"
                    targets.append(sub if sub in mods else node.module)
            for target in targets:
                if target in mods and target != name:
                    edges[name].add(target)
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10_000)
    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


LAYERS = {  # a module under the key may import only modules under these prefixes
    "relaxarray._lib": ("relaxarray._lib",),
    "relaxarray.backends": ("relaxarray._lib", "relaxarray.backends"),
}


def upward_imports(edges: dict[str, set[str]]) -> list[tuple[str, str]]:
    """Imports that leave a module's layer (see ``LAYERS``)."""
    bad = []
    for src, targets in sorted(edges.items()):
        for layer, allowed in LAYERS.items():
            if src == layer or src.startswith(layer + "."):
                for dst in sorted(targets):
                    if not any(dst == a or dst.startswith(a + ".") for a in allowed):
                        bad.append((src, dst))
    return bad


def main() -> None:
    edges = graph()
    print(f"{len(edges)} modules, {sum(map(len, edges.values()))} import edges")
    found = cycles(edges)
    print(f"{len(found)} import cycles")
    for comp in found:
        print(f"  cycle of {len(comp)}: {', '.join(comp)}")
    bad = upward_imports(edges)
    print(f"{len(bad)} imports that break the layering")
    for src, dst in bad:
        print(f"  {src} -> {dst}")


if __name__ == "__main__":
    main()
