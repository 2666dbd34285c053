"""The package's shape: no import cycles, the pure modules free of Flask, no module over
600 lines, and the README's map of the package naming what is there.

The graph comes from `scripts/draw_modules.py` (which also draws it for the README): every
module under ``matchmaker/`` parsed with `ast`, relative imports resolved, imports inside
functions counted, ``from . import x`` read as importing the submodule ``x`` when it is one.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from collections import deque
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _load_drawing_script():
    spec = importlib.util.spec_from_file_location(
        "draw_modules", ROOT / "scripts" / "draw_modules.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while building
    spec.loader.exec_module(module)
    return module


draw_modules = _load_drawing_script()
GRAPH = draw_modules.module_graph(ROOT)


def strongly_connected(edges: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components with more than one module, each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return sorted(found)


def shortest_cycle(edges: dict[str, set[str]], component: list[str]) -> list[str]:
    """A shortest import chain from the component's first module back to itself."""
    start, members = component[0], set(component)
    came_from: dict[str, str | None] = {start: None}
    queue = deque([start])
    while queue:
        v = queue.popleft()
        for w in sorted(edges[v] & members):
            if w == start:
                path = [v]
                while (previous := came_from[path[-1]]) is not None:
                    path.append(previous)
                return [*reversed(path), start]
            if w not in came_from:
                came_from[w] = v
                queue.append(w)
    raise AssertionError(f"no cycle through {start}")


def describe(chain: list[str]) -> str:
    """``a -> b (a.py:12) -> a (b.py:3)``: each step with the line of its first import."""
    steps = [chain[0]]
    for a, b in zip(chain, chain[1:], strict=False):
        line = min(i.line for i in GRAPH.imports if i.source == a and i.target == b)
        steps.append(f"{b} ({GRAPH.modules[a].relative_to(ROOT)}:{line})")
    return " -> ".join(steps)


def checked_edges() -> dict[str, set[str]]:
    """The import graph without a package ``__init__``'s imports of its own submodules.

    A blueprint package creates ``bp`` and then imports its view modules, which import
    ``bp`` back; that loop is the intended shape, so those edges are left out.
    """
    edges = GRAPH.edges()
    for package in GRAPH.packages:
        edges[package] = {t for t in edges[package] if t.rpartition(".")[0] != package}
    return edges


def test_the_graph_sees_every_module_and_resolves_relative_imports():
    assert "matchmaker.matching.engine" in GRAPH.modules
    assert "matchmaker.organizer" in GRAPH.packages
    edges = GRAPH.edges()
    # `from . import kernels` inside the matching package is the submodule.
    assert "matchmaker.matching.kernels" in edges["matchmaker.matching.engine"]
    # View modules import `bp` back from their package.
    assert "matchmaker.organizer" in edges["matchmaker.organizer.events"]
    # create_app registers the blueprints from inside the factory.
    assert any(
        i.source == "matchmaker" and i.target == "matchmaker.organizer" and i.deferred
        for i in GRAPH.imports
    )


def write_package(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_imports_resolve_on_a_hand_made_package(tmp_path: Path):
    write_package(
        tmp_path,
        {
            "pkg/__init__.py": "from . import a\nimport flask\n",
            "pkg/a.py": "from .b import thing\ndef f():\n    from . import c\n",
            "pkg/b.py": "thing = 1\n",
            "pkg/c.py": "import pkg.b.thing\nfrom flask_login import current_user\n",
            "pkg/sub/__init__.py": "from .. import b, missing\nx = 1\n",
            "pkg/sub/d.py": "from ..sub import x\nfrom . import *\n",
        },
    )
    graph = draw_modules.module_graph(tmp_path, "pkg")
    assert set(graph.modules) == {"pkg", "pkg.a", "pkg.b", "pkg.c", "pkg.sub", "pkg.sub.d"}
    assert graph.packages == {"pkg", "pkg.sub"}
    found = {(i.source, i.target, i.deferred) for i in graph.imports}
    assert found == {
        ("pkg", "pkg.a", False),
        ("pkg.a", "pkg.b", False),
        ("pkg.a", "pkg.c", True),
        ("pkg.c", "pkg.b", False),
        ("pkg.sub", "pkg.b", False),
        ("pkg.sub", "pkg", False),  # `missing` is no module: the package itself
        ("pkg.sub.d", "pkg.sub", False),
    }
    assert {(i.source, i.target) for i in graph.external} == {
        ("pkg", "flask"),
        ("pkg.c", "flask_login"),
    }


@pytest.mark.parametrize(
    ("edges", "components", "cycle"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": set()}, [], None),
        ({"a": {"b"}, "b": {"a"}}, [["a", "b"]], ["a", "b", "a"]),
        (
            {"a": {"b", "d"}, "b": {"c"}, "c": {"a"}, "d": {"a"}},
            [["a", "b", "c", "d"]],
            ["a", "d", "a"],
        ),
        ({"a": {"b"}, "b": {"a"}, "c": {"d"}, "d": {"c"}}, [["a", "b"], ["c", "d"]], None),
    ],
)
def test_cycle_finder_on_small_graphs(edges, components, cycle):
    assert strongly_connected(edges) == components
    if cycle:
        assert shortest_cycle(edges, components[0]) == cycle


def test_no_import_cycles():
    edges = checked_edges()
    cycles = [describe(shortest_cycle(edges, c)) for c in strongly_connected(edges)]
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


@pytest.mark.parametrize("name", draw_modules.PURE)
def test_pure_modules_exist(name: str):
    assert name in GRAPH.modules, f"{name} is listed as pure but is not a module any more"


def test_pure_modules_import_no_flask_extensions_or_models():
    forbidden = []
    for imp in GRAPH.external + GRAPH.imports:
        if not draw_modules.is_pure(imp.source):
            continue
        top = imp.target.split(".")[0]
        if (
            top == "flask"
            or top.startswith("flask_")
            or imp.target == "matchmaker.extensions"
            or imp.target == "matchmaker.models"
            or imp.target.startswith("matchmaker.models.")
        ):
            forbidden.append(
                f"{GRAPH.modules[imp.source].relative_to(ROOT)}:{imp.line} {imp.target}"
            )
    assert not forbidden, "pure modules import the web layer:\n" + "\n".join(forbidden)


def test_pure_modules_import_only_pure_modules():
    """So that none of them pulls Flask in through a service module."""
    leaks = sorted(
        f"{i.source} -> {i.target} ({GRAPH.modules[i.source].relative_to(ROOT)}:{i.line})"
        for i in GRAPH.imports
        if draw_modules.is_pure(i.source) and not draw_modules.is_pure(i.target)
    )
    assert not leaks, "pure modules import other layers:\n" + "\n".join(leaks)


def test_mermaid_drawing_has_every_layer_and_no_migrations():
    text = draw_modules.mermaid(GRAPH)
    assert text.startswith("graph TD\n")
    for layer in draw_modules.LAYERS:
        assert f'["{layer}"]' in text
    assert "migrations" not in text
    assert "matchmaker_matching_engine --> matchmaker_matching_kernels" in text
    packages = draw_modules.mermaid(GRAPH, by_package=True)
    assert "matchmaker_matching_engine" not in packages
    assert 'matchmaker_matching["matching"]' in packages


# -- sizes and the README's map --------------------------------------------------------------

MODULE_LINES = 600
#: One algorithm each, whose parts share state and read best together.
LONG_MODULES = ("matchmaker/matching/kernels.py", "matchmaker/scheduling.py")


def test_no_module_is_longer_than_600_lines():
    too_long = []
    for path in GRAPH.modules.values():
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith("matchmaker/migrations/") or relative in LONG_MODULES:
            continue
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MODULE_LINES:
            too_long.append(f"{relative}: {lines} lines")
    assert not too_long, (
        f"modules over {MODULE_LINES} lines (split them into modules named for what they "
        "hold):\n" + "\n".join(sorted(too_long))
    )


def readme_tree_names(readme: str) -> set[str]:
    """The names at the top level of the ``matchmaker/`` tree in the README's "Where things
    are" section: the first column of each line indented by two spaces (``foo.py``,
    ``foo/``, or several separated by commas), not section labels (``-- services --``) or
    a description's second line."""
    section = readme.split("\n## Where things are\n", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"^```\n(matchmaker/\n.*?)^```", section, re.S | re.M)
    assert block, "the Where things are section has no ``` block starting with matchmaker/"
    names = set()
    for line in block.group(1).splitlines()[1:]:
        if not line.startswith("  ") or line.startswith(("   ", "  --")):
            continue
        first_column = re.split(r"\s{2,}", line.strip())[0]
        names.update(name.strip() for name in first_column.split(","))
    return names


def top_level_names(package: Path) -> set[str]:
    """The package's modules (``foo.py``) and subpackages (``foo/``, with an ``__init__``)."""
    modules = {path.name for path in package.glob("*.py")}
    return modules | {path.parent.name + "/" for path in package.glob("*/__init__.py")}


def test_readme_tree_parser_on_a_hand_made_section():
    readme = (
        "# x\n\n## Where things are\n\n```mermaid\ngraph TD\n```\n\n```\n"
        "matchmaker/\n"
        "  __init__.py          create_app\n"
        "  -- pure algorithms --\n"
        "  matching/            who can help whom: vectors, engine (Matcher),\n"
        "                       explain.py (reasons)\n"
        "  demo.py, cli.py      the demo event; flask commands\n"
        "  forms.py, templating.py, errors.py   form helpers (see auth/models.py)\n"
        "templates/             base.html\n"
        "```\n\n## Next\n\n```\nmatchmaker/\n  later.py   elsewhere\n```\n"
    )
    assert readme_tree_names(readme) == {
        "__init__.py",
        "matching/",
        "demo.py",
        "cli.py",
        "forms.py",
        "templating.py",
        "errors.py",
    }


def test_readme_tree_names_every_top_level_module_and_nothing_else():
    listed = readme_tree_names((ROOT / "README.md").read_text(encoding="utf-8"))
    present = top_level_names(ROOT / "matchmaker")
    missing, gone = sorted(present - listed), sorted(listed - present)
    assert not missing and not gone, (
        "README.md, Where things are: the matchmaker/ tree "
        + (f"leaves out {', '.join(missing)}" if missing else "")
        + ("; " if missing and gone else "")
        + (f"names {', '.join(gone)}, which matchmaker/ does not hold" if gone else "")
    )
