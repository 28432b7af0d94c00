"""The structure of server/, read from the source with `ast` (nothing is imported):

- no import cycle between its modules (every import counts, at module level or inside a
  function; only those under `if TYPE_CHECKING:` do not, since they never run);
- a module over MAX_LINES lines says why in its docstring, on a line starting "Size:";
- the domain (server/domain, server/planner) is plain Python: neither it nor anything it
  imports from server/ imports Flask or Socket.IO.

The checkers are tested on small made-up packages too, so each can be seen to fail.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO

MAX_LINES = 400
DOMAIN = ("server.domain", "server.planner")
WEB_FRAMEWORKS = ("flask", "flask_socketio", "socketio", "engineio", "werkzeug")


# ---- reading the import graph ----------------------------------------------------------------

def modules(root: Path, package: str) -> dict[str, Path]:
    """Dotted module name -> file, for every module of `package` under `root`."""
    found = {}
    for path in sorted((root / package.replace(".", "/")).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imported_names(tree: ast.AST, module: str, is_package: bool, *,
                   type_checking: bool = False) -> Iterator[str]:
    """Every dotted name an import statement anywhere in `tree` names: `import a.b` gives a.b,
    `from a import b` gives a and a.b (b may be a module or a name in a). Relative imports are
    resolved against `module`. Imports under `if TYPE_CHECKING:` only with `type_checking`."""
    package = module if is_package else module.rpartition(".")[0]

    def walk(node: ast.AST) -> Iterator[str]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child.test) and not type_checking:
                for other in child.orelse:
                    yield from visit(other)
            else:
                yield from visit(child)

    def visit(node: ast.AST) -> Iterator[str]:
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[:len(parts) - node.level + 1]
                base = ".".join([*parts, *([node.module] if node.module else [])])
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)
        yield from walk(node)

    yield from walk(tree)


def import_graph(root: Path, package: str, *, type_checking: bool = False
                 ) -> dict[str, set[str]]:
    """Module -> the modules of the same package it imports."""
    found = modules(root, package)
    graph = {}
    for name, path in found.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        names = imported_names(tree, name, path.name == "__init__.py",
                               type_checking=type_checking)
        graph[name] = {n for n in names if n in found and n != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle (a -> b -> … -> a) through each group of modules that import each other."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[set[str]] = []

    def connect(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(group)

    for node in sorted(graph):
        if node not in index:
            connect(node)
    found = []
    for group in groups:
        start = min(group)
        # Shortest way back to the start, inside the group: the cycle to print.
        paths = {start: [start]}
        frontier = [start]
        cycle = None
        while frontier and cycle is None:
            nxt_frontier = []
            for node in frontier:
                for nxt in sorted(graph[node] & group):
                    if nxt == start:
                        cycle = [*paths[node], start]
                        break
                    if nxt not in paths:
                        paths[nxt] = [*paths[node], nxt]
                        nxt_frontier.append(nxt)
                if cycle:
                    break
            frontier = nxt_frontier
        assert cycle is not None
        found.append(cycle)
    return found


def reaches_framework(root: Path, starts: tuple[str, ...]) -> dict[str, list[str]]:
    """Module of `starts` -> the import chain by which it reaches a web framework, if any."""
    found = modules(root, "server")
    chains = {}
    for name in found:
        if not name.startswith(starts):
            continue
        seen = {name: [name]}
        todo = [name]
        while todo and name not in chains:
            current = todo.pop(0)
            path = found[current]
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for imported in imported_names(tree, current, path.name == "__init__.py",
                                           type_checking=True):
                if imported.partition(".")[0] in WEB_FRAMEWORKS:
                    chains[name] = [*seen[current], imported]
                    break
                if imported in found and imported not in seen:
                    seen[imported] = [*seen[current], imported]
                    todo.append(imported)
    return chains


def oversized_without_reason(root: Path) -> list[str]:
    too_big = []
    for path in modules(root, "server").values():
        relative = path.relative_to(root).as_posix()
        text = path.read_text(encoding="utf-8")
        if len(text.splitlines()) <= MAX_LINES:
            continue
        doc = ast.get_docstring(ast.parse(text)) or ""
        if not any(line.startswith("Size:") for line in doc.splitlines()):
            too_big.append(f"{relative}: {len(text.splitlines())} lines")
    return too_big


# ---- the checks on server/ -------------------------------------------------------------------

def test_no_import_cycle_in_server() -> None:
    found = cycles(import_graph(REPO, "server"))
    assert found == [], "import cycles:\n" + "\n".join(" -> ".join(c) for c in found)


def test_a_large_module_says_why_it_is_large() -> None:
    found = oversized_without_reason(REPO)
    assert found == [], (f"over {MAX_LINES} lines with no 'Size:' line in the module docstring "
                         "(split the module, or say why it is one):\n" + "\n".join(found))


def test_the_domain_imports_neither_flask_nor_socketio() -> None:
    found = reaches_framework(REPO, DOMAIN)
    assert found == {}, "\n".join(" -> ".join(chain) for chain in found.values())


# ---- the checkers themselves -----------------------------------------------------------------

def _package(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_a_cycle_through_a_function_level_or_relative_import_is_found(tmp_path: Path) -> None:
    root = _package(tmp_path, {
        "server/__init__.py": "",
        "server/a.py": "from server import b\n",
        "server/b.py": "def f():\n    from .c import g\n",
        "server/c.py": "import server.a\n",
        "server/d.py": "from server import a\n",
    })
    assert cycles(import_graph(root, "server")) == [
        ["server.a", "server.b", "server.c", "server.a"]]


def test_an_import_under_type_checking_makes_no_cycle(tmp_path: Path) -> None:
    root = _package(tmp_path, {
        "server/__init__.py": "",
        "server/a.py": "from typing import TYPE_CHECKING\nfrom server import b\n"
                       "if TYPE_CHECKING:\n    from server import c\n",
        "server/b.py": "import typing\nif typing.TYPE_CHECKING:\n    from server import a\n"
                       "else:\n    from server import c\n",
        "server/c.py": "from server.a import thing\n",
    })
    assert cycles(import_graph(root, "server", type_checking=True)) != []
    # b's else branch runs: a -> b -> c -> a is a real cycle; a's TYPE_CHECKING one is not.
    assert cycles(import_graph(root, "server")) == [
        ["server.a", "server.b", "server.c", "server.a"]]
    (root / "server/c.py").write_text("", encoding="utf-8")
    assert cycles(import_graph(root, "server")) == []


def test_a_domain_module_reaching_flask_through_another_module_is_found(tmp_path: Path
                                                                         ) -> None:
    root = _package(tmp_path, {
        "server/__init__.py": "",
        "server/context.py": "from flask import current_app\n",
        "server/domain/__init__.py": "",
        "server/domain/ok.py": "import json\n",
        "server/domain/rules.py": "def f():\n    from server.context import current_app\n",
    })
    assert reaches_framework(root, DOMAIN) == {
        "server.domain.rules": ["server.domain.rules", "server.context", "flask"]}


@pytest.mark.parametrize(("docstring", "flagged"), [
    ("One thing.", True),
    ("One thing.\n\nSize: one table of rules, read top to bottom.", False),
])
def test_a_large_module_without_a_size_line_is_found(tmp_path: Path, docstring: str,
                                                     flagged: bool) -> None:
    body = f'"""{docstring}"""\n' + "x = 1\n" * MAX_LINES
    root = _package(tmp_path, {"server/__init__.py": "", "server/big.py": body,
                               "server/small.py": '"""Small."""\n'})
    assert oversized_without_reason(root) == (
        [f"server/big.py: {MAX_LINES + 1} lines"] if flagged else [])
