"""The code's layers run one way: no import cycles between the project's modules (imports
inside functions count too), the content model does not import the API, and the exporter
and the site builder never import Django."""

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("cms", "content_export", "site_builder")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, module: str) -> set[str]:
    """Every project module `path` imports, wherever the import statement is."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}
    return found


def import_graph() -> dict[str, set[str]]:
    files = [p for package in PACKAGES for p in (REPO / package).rglob("*.py")]
    modules = {_module_name(p): p for p in files if "migrations" not in p.parts}
    return {
        name: {target for target in _imports(path, name) if target in modules and target != name}
        for name, path in modules.items()
    }


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    visiting, done = [], set()

    def visit(name: str) -> list[str] | None:
        if name in visiting:
            return visiting[visiting.index(name) :] + [name]
        if name in done:
            return None
        visiting.append(name)
        for target in sorted(graph[name]):
            if found := visit(target):
                return found
        visiting.pop()
        done.add(name)
        return None

    return next((c for name in sorted(graph) if (c := visit(name))), None)


def test_the_project_has_no_import_cycles():
    graph = import_graph()
    assert len(graph) > 40  # the walk found the project
    assert _cycle(graph) is None, " → ".join(_cycle(graph))


def test_a_cycle_is_found_when_there_is_one():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_layers_point_one_way():
    graph = import_graph()
    for name, targets in graph.items():
        if name.startswith(("cms.solutions", "cms.home")):
            assert not [t for t in targets if t.startswith(("cms.api", "cms.publishing"))], name
    for package in ("content_export", "site_builder"):
        for path in (REPO / package).rglob("*.py"):
            imported = _imports(path, _module_name(path))
            assert not [m for m in imported if m.split(".")[0] in ("django", "wagtail", "cms")], (
                path
            )
