"""The package layout follows the pipeline: imports only point to earlier stages, no circle.

docs/design.md lists the stages. Reads the installed package's sources; nothing is imported.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import wheelfit

ROOT = Path(wheelfit.__file__).parent
# The pipeline, upstream first: a stage may import only from stages before it.
STAGES = [
    "inputs",
    "targets",
    "index",
    "inspect",
    "sysdeps",
    "resolve",
    "costs",
    "report",
    "render",
    "ci",
]
SHARED = {"models", "errors", "units", "kb"}  # values and data every stage may use
ENTRY_POINTS = {"__init__", "__main__", "cli", "analyze", "pipeline"}
PRINTERS = {"cli", "ci"}  # the only rooms that write to the terminal
NETWORK_LIBRARIES = {"requests", "urllib3", "http", "socket", "urllib.request", "ssl"}
MAX_TOP_LEVEL = 8
MAX_LINES = 600


def _module_name(path: Path) -> str:
    parts = ["wheelfit", *path.relative_to(ROOT).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _sources() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(ROOT.rglob("*.py"))}


SOURCES = _sources()


def _imports(name: str, path: Path) -> tuple[set[str], set[str]]:
    """(wheelfit modules imported, other top-level modules imported) by one module."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    own: set[str] = set()
    other: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                (own if alias.name.startswith("wheelfit") else other).add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("wheelfit"):
                other.add(target)
                continue
            for alias in node.names:
                submodule = f"{target}.{alias.name}"
                own.add(submodule if submodule in SOURCES else target)
    return own, other


GRAPH = {name: _imports(name, path) for name, path in SOURCES.items()}


def _room(module: str) -> str:
    """The stage folder or top-level module a module belongs to."""
    parts = module.split(".")
    return "__init__" if len(parts) == 1 else parts[1]


def _allowed(source: str, target: str) -> bool:
    if source == target or target in SHARED:
        return True
    if source in SHARED:
        return False  # shared values depend on nothing of the pipeline
    if source in ENTRY_POINTS:
        orchestration = source in ("analyze", "pipeline")
        return target != "ci" and not (orchestration and target in {"cli", "render"})
    if target in ENTRY_POINTS:
        return source == "ci" and target == "cli"  # the Action runs the command
    return target in STAGES and STAGES.index(target) < STAGES.index(source)


def test_every_module_is_in_a_stage_or_a_shared_top_level_module() -> None:
    rooms = {_room(name) for name in SOURCES}
    assert rooms <= set(STAGES) | SHARED | ENTRY_POINTS, rooms - set(STAGES) - SHARED - ENTRY_POINTS
    top_level = [path for path in ROOT.glob("*.py")]
    assert len(top_level) <= MAX_TOP_LEVEL, sorted(p.name for p in top_level)


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_module_is_short(name: str) -> None:
    lines = SOURCES[name].read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"{name} has {lines} lines"


def test_imports_point_upstream_only() -> None:
    wrong = [
        f"{source} -> {target}"
        for source, (own, _) in GRAPH.items()
        for target in own
        if not _allowed(_room(source), _room(target))
    ]
    assert wrong == []


def test_no_import_circle() -> None:
    """Depth-first search over every import, module-level or inside a function."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        path.append(module)
        for target in sorted(GRAPH.get(module, (set(), set()))[0]):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        path.pop()
        state[module] = 2
        return None

    for module in sorted(GRAPH):
        if module not in state and (cycle := visit(module)):
            pytest.fail("import circle: " + " -> ".join(cycle))


def test_the_rules_catch_a_circle_and_a_wrong_direction() -> None:
    """The checks above would fail on the layout this test was written against."""
    assert not _allowed("models", "report")  # models -> report.recommend closed a circle
    assert not _allowed("inputs", "index")
    assert not _allowed("index", "resolve")
    assert not _allowed("render", "cli")
    assert _allowed("resolve", "inspect") and _allowed("ci", "cli")


def test_knowledge_base_and_index_keep_to_their_jobs() -> None:
    for name, (own, other) in GRAPH.items():
        room = _room(name)
        if room == "kb" or name == "wheelfit.sysdeps.knowledge":
            network = {
                m for m in other if m in NETWORK_LIBRARIES or m.split(".")[0] in NETWORK_LIBRARIES
            }
            assert not network, f"{name} imports {network}: the knowledge base does no network IO"
            assert not {t for t in own if _room(t) == "index"}, name
        if room == "index":
            assert not {t for t in own if _room(t) in {"resolve", "targets"}}, name


def _writes_to_terminal(tree: ast.AST) -> list[int]:
    lines = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in {"print", "input", "exit"}
        ):
            lines.append(node.lineno)
        if (
            isinstance(node, ast.Attribute)
            and node.attr in {"stdout", "stderr", "exit"}
            and isinstance(node.value, ast.Name)
            and node.value.id == "sys"
        ):
            lines.append(node.lineno)
    return lines


# A program of its own, run inside images without wheelfit (`wheelfit probe --script`): its
# main() writes the profile to stdout. wheelfit itself only imports and calls collect().
# run on their own: the probe inside an image, and the child process that fetches the pages
# (it answers its parent on a pipe)
STANDALONE_SCRIPTS = {"wheelfit.targets.probe_script", "wheelfit.index.pageprocess"}


def test_only_the_command_and_ci_print_or_exit() -> None:
    offenders = {
        name: lines
        for name, path in SOURCES.items()
        if _room(name) not in PRINTERS | {"__main__"}
        and name not in STANDALONE_SCRIPTS
        and (lines := _writes_to_terminal(ast.parse(path.read_text(encoding="utf-8"))))
    }
    assert offenders == {}
