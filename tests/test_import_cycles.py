"""No import circles in the product or the sandbox, not even behind ``if TYPE_CHECKING``.

The developer guide forbids them everywhere; an import made only for type checking is
still an edge here, as it is one for a reader. The graph is read with ``ast`` (nothing is
imported), so the test runs in a fraction of a second.
"""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("sandbox", "commands", "shell", "completers")


def _modules() -> dict[str, Path]:
    """Every module of the packages by dotted name (a package by its own name)."""
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


def _imported(node: ast.Import | ast.ImportFrom, package: str, modules: dict[str, Path]
              ) -> set[str]:
    """The modules one import statement reads: ``from a import b`` reads the module
    ``a.b`` when there is one, else ``a`` (where ``b`` is a name)."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names}
    base = node.module or ""
    if node.level:
        parts = package.split(".")[:len(package.split(".")) - node.level + 1]
        base = ".".join([*parts, *([node.module] if node.module else [])])
    return {f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
            for alias in node.names}


def import_graph() -> dict[str, set[str]]:
    """Module -> the modules of the same packages it imports, at any place in its file."""
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        edges = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import | ast.ImportFrom):
                edges.update(_imported(node, package, modules) & modules.keys())
        graph[name] = edges - {name}
    return graph


def test_the_import_graph_has_no_cycle() -> None:
    try:
        graphlib.TopologicalSorter(import_graph()).prepare()
    except graphlib.CycleError as exc:
        raise AssertionError(f"import cycle: {' -> '.join(exc.args[1])}") from None


def test_the_graph_sees_imports_made_only_for_type_checking() -> None:
    """The reason the test exists: these edges are invisible to the interpreter."""
    graph = import_graph()
    assert "sandbox.state" in graph["sandbox.meta"]  # under TYPE_CHECKING there
    assert "sandbox.graphql_types" in graph["sandbox.graphql_introspect"]
