"""Print matchmaker's module graph as a Mermaid ``graph TD``, grouped by layer.

    .venv/bin/python scripts/draw_modules.py              # one node per module
    .venv/bin/python scripts/draw_modules.py --packages   # one node per subpackage

Layers: pure algorithms (no Flask, tested without an app), services (the app factory,
database, mail, jobs, CLI and the use cases the views call) and blueprints (packages with a
module that creates a ``Blueprint``). An arrow is an import between matchmaker modules,
dotted when every such import sits inside a function. Alembic's migration scripts are left
out. ``tests/test_layers.py`` checks the same graph: no cycles, and the pure modules import
no Flask, extensions or models.
"""

from __future__ import annotations

import argparse
import ast
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "matchmaker"

#: The modules that must run without Flask; a name covers its submodules.
PURE = (
    "matchmaker.matching",
    "matchmaker.importing",
    "matchmaker.scheduling",
    "matchmaker.calendar",
    "matchmaker.vtimezone",
    "matchmaker.choices",
    "matchmaker.events",
    "matchmaker.adapters",
    "matchmaker.vcard",
    "matchmaker.charts",
)
LAYERS = ("pure algorithms", "services", "blueprints")
ROOT_LABEL = f"{PACKAGE} (create_app)"


@dataclass(frozen=True)
class Import:
    """One import statement's target, seen from the module that imports it."""

    source: str
    target: str
    line: int
    #: True when the import sits inside a function, so it runs when that function does.
    deferred: bool


@dataclass
class ModuleGraph:
    """Every module of the package (dotted name -> file) and the imports between them."""

    modules: dict[str, Path]
    packages: set[str]
    #: Imports of matchmaker modules, one per imported module and statement.
    imports: list[Import] = field(default_factory=list)
    #: Imports of anything else (``flask``, ``flask_login.utils``), by full dotted name.
    external: list[Import] = field(default_factory=list)
    #: Modules that call ``Blueprint(...)``.
    blueprint_modules: set[str] = field(default_factory=set)

    def edges(self) -> dict[str, set[str]]:
        """Module -> the matchmaker modules it imports (at any depth of its code)."""
        out: dict[str, set[str]] = {name: set() for name in self.modules}
        for imp in self.imports:
            if imp.target != imp.source:
                out[imp.source].add(imp.target)
        return out

    def layer(self, module: str) -> str:
        """Which of `LAYERS` a module belongs to."""
        if is_pure(module):
            return "pure algorithms"
        blueprint_packages = set()
        for name in self.blueprint_modules:
            parent = name.rpartition(".")[0]
            own = name in self.packages or parent == PACKAGE
            blueprint_packages.add(name if own else parent)
        if any(module == p or module.startswith(p + ".") for p in blueprint_packages):
            return "blueprints"
        return "services"


def is_pure(module: str) -> bool:
    return any(module == name or module.startswith(name + ".") for name in PURE)


def module_graph(root: Path = ROOT, package: str = PACKAGE) -> ModuleGraph:
    """Parse every module under ``root/package`` and resolve its imports."""
    modules: dict[str, Path] = {}
    packages: set[str] = set()
    for path in sorted((root / package).rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
            packages.add(".".join(parts))
        modules[".".join(parts)] = path
    graph = ModuleGraph(modules, packages)
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node, deferred in _walk(tree, deferred=False):
            if isinstance(node, ast.Call) and _called_name(node) == "Blueprint":
                graph.blueprint_modules.add(name)
            elif isinstance(node, ast.Import | ast.ImportFrom):
                for target in _targets(node, name, name in packages, modules):
                    internal = target == package or target.startswith(package + ".")
                    imp = Import(name, target, node.lineno, deferred)
                    (graph.imports if internal else graph.external).append(imp)
    return graph


def _walk(node: ast.AST, deferred: bool) -> Iterator[tuple[ast.AST, bool]]:
    for child in ast.iter_child_nodes(node):
        yield child, deferred
        inner = deferred or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
        yield from _walk(child, inner)


def _called_name(call: ast.Call) -> str | None:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _targets(
    node: ast.Import | ast.ImportFrom, module: str, is_package: bool, modules: dict[str, Path]
) -> list[str]:
    """The modules one import statement loads, by dotted name.

    ``from pkg import name`` counts as importing ``pkg.name`` when that is a module, and
    ``pkg`` otherwise; a dotted name that is not a module of ours resolves to its longest
    prefix that is (``import matchmaker.models.x`` where x is a class -> ``matchmaker.models``).
    """
    if isinstance(node, ast.Import):
        return [_known(alias.name, modules) for alias in node.names]
    base = node.module or ""
    if node.level:
        package = module if is_package else module.rpartition(".")[0]
        for _ in range(node.level - 1):
            package = package.rpartition(".")[0]
        base = f"{package}.{node.module}" if node.module else package
    targets = []
    for alias in node.names:
        sub = f"{base}.{alias.name}"
        targets.append(sub if sub in modules else _known(base, modules))
    return list(dict.fromkeys(targets))


def _known(name: str, modules: dict[str, Path]) -> str:
    """The longest prefix of ``name`` that is one of ``modules``; ``name`` if none is."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        prefix = ".".join(parts[:end])
        if prefix in modules:
            return prefix
    return name


def mermaid(graph: ModuleGraph, by_package: bool = False) -> str:
    """The graph as Mermaid text: a subgraph per layer, solid or dotted arrows."""
    shown = {name for name in graph.modules if not name.startswith(f"{PACKAGE}.migrations")}

    def node(module: str) -> str:
        if by_package:
            parts = module.split(".")
            if len(parts) > 2 and ".".join(parts[:2]) in graph.packages:
                return ".".join(parts[:2])
        return module

    arrows: dict[tuple[str, str], bool] = {}  # (from, to) -> every import deferred
    for imp in graph.imports:
        a, b = node(imp.source), node(imp.target)
        if a != b and imp.source in shown and imp.target in shown:
            arrows[(a, b)] = arrows.get((a, b), True) and imp.deferred
    nodes = sorted({node(m) for m in shown})
    lines = ["graph TD"]
    for index, layer in enumerate(LAYERS):
        lines.append(f'    subgraph layer{index}["{layer}"]')
        for name in nodes:
            if graph.layer(name) == layer:
                label = name.removeprefix(f"{PACKAGE}.") if name != PACKAGE else ROOT_LABEL
                lines.append(f'        {_node_id(name)}["{label}"]')
        lines.append("    end")
    for (a, b), deferred in sorted(arrows.items()):
        lines.append(f"    {_node_id(a)} {'-.->' if deferred else '-->'} {_node_id(b)}")
    return "\n".join(lines) + "\n"


def _node_id(module: str) -> str:
    return module.replace(".", "_")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--packages", action="store_true", help="one node per subpackage instead of per module"
    )
    args = parser.parse_args()
    print(mermaid(module_graph(), by_package=args.packages), end="")


if __name__ == "__main__":
    main()
