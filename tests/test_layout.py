"""The house's walls: imports go ui -> qa -> index, never back, and inside qa from the service
down to its rooms; no module imports, directly or through others, a module that imports it.
Read from the source (every import, those inside functions and `TYPE_CHECKING` blocks too)."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.support import ROOT

PACKAGES = ("index", "qa", "ui")
# Lower layers never import higher ones (the longest matching prefix decides a module's layer).
LAYERS = {
    "index": 0,
    "qa.models": 1, "qa.answering": 1,  # the answer core and its public types
    "qa.config": 2,  # validated settings (reads the answer core's default weights)
    "qa.llm": 3,  # generated answers: chat models, prompts, the grounding check
    "qa": 4,  # the service: Assistant, its library, the LangChain surface, web sources, the refresh, watching
    "qa.evaluation": 5,  # runs the service on public data
    "ui": 6,  # the faces: server, chat, widget, API, MCP, command line
}


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


def imports(path: Path, known: dict[str, Path]) -> set[str]:
    """The project modules `path` imports (a `from package import submodule` counts as the submodule)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name in known}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                target = f"{node.module}.{alias.name}"
                found.add(target if target in known else node.module)
    return {name for name in found if name in known}


def layer(module: str) -> int:
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        if ".".join(parts[:end]) in LAYERS:
            return LAYERS[".".join(parts[:end])]
    raise AssertionError(f"{module} is in no layer: add its package to LAYERS and to the README's Layout")


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports(path, known) - {name} for name, path in known.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in edges.get(node, ()):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_imports_never_point_back_up() -> None:
    back = [f"{a} -> {b}" for a, targets in graph().items() for b in sorted(targets)
            if layer(b) > layer(a) and not b.startswith(a + ".")]
    assert back == [], "imports against the layers (ui -> qa -> index; in qa: service -> llm -> config -> " \
                       f"answering): {back}"


def test_no_import_cycles() -> None:
    assert cycles(graph()) == []


def test_the_checks_can_fail() -> None:
    """The rule and the cycle finder catch what they are for."""
    assert layer("qa.answering.judge") < layer("qa.api") < layer("ui.app")
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    edges = graph()
    assert "index.storage.store" in edges["qa.api"]  # the graph does see real imports
