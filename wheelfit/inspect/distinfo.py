"""What one file tells us without building it: its dependencies and, for an sdist, its build.

Sources of dependencies, strongest first:
* a wheel: its METADATA (PEP 658 file or range requests: see index.client);
* an sdist: PKG-INFO when PEP 643 makes Requires-Dist static; else pyproject's [project]
  table when dependencies are not dynamic; else the METADATA of a wheel of the same version
  for another platform (assumed to match); else setup.cfg's install_requires (assumed);
  else unknown, said so.
"""

from __future__ import annotations

import ast
import configparser
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TypeGuard

from packaging.requirements import InvalidRequirement, Requirement

from ..errors import ArchiveError, IndexFetchError
from ..index.client import IndexClient, file_identity
from ..index.page import ProjectPage
from ..models import DistFile
from .metadata import CoreMetadata, parse_metadata
from .pysource import parse_python
from .sdist import SdistInfo, inspect_sdist


@dataclass
class DistInfo:
    dist: DistFile
    requires: list[Requirement] = field(default_factory=list)
    source: str | None = None  # where the dependencies came from; None = unknown
    assumed: bool = False
    sdist: SdistInfo | None = None
    error: str | None = None
    requires_python: str | None = None  # from the metadata read, when one was


def describe(client: IndexClient, page: ProjectPage, dist: DistFile) -> DistInfo:
    """Shared across targets: one description per file URL."""
    return start_describing(client, page, dist).result()


def start_describing(client: IndexClient, page: ProjectPage, dist: DistFile) -> Future[DistInfo]:
    """The file's description, made in the background on the client's task pool."""
    return client.submit("distinfo", dist.url, lambda: _describe(client, page, dist))


def _describe(client: IndexClient, page: ProjectPage, dist: DistFile) -> DistInfo:
    """One file's description; whatever goes wrong reading it degrades its row only."""
    try:
        return _describe_file(client, page, dist)
    except IndexFetchError as exc:
        return DistInfo(dist, error=f"cannot read {dist.filename}: {exc}")
    except (RecursionError, MemoryError) as exc:
        # a hostile file (a setup.py of one deep expression): never taken for resolvelib's
        # RecursionError, which means something else (resolve/resolver.py)
        return DistInfo(dist, error=f"cannot read {dist.filename}: {type(exc).__name__}")
    except Exception as exc:  # a bug here must not take the other packages down with it
        return DistInfo(
            dist,
            error=f"cannot read {dist.filename} (unexpected {type(exc).__name__}: "
            f"{str(exc)[:200]}; please report it as a bug)",
        )


def _describe_file(client: IndexClient, page: ProjectPage, dist: DistFile) -> DistInfo:
    info = DistInfo(dist)
    if dist.is_wheel:
        try:
            metadata = parse_metadata(client.get_wheel_metadata(dist))
        except IndexFetchError as exc:
            info.error = f"cannot read {dist.filename}'s metadata: {exc}"
            return info
        if metadata.problem:
            info.error = f"{dist.filename}: {metadata.problem}"
        info.requires = list(metadata.requires_dist)
        info.requires_python = metadata.requires_python
        info.source = "METADATA (PEP 658)" if dist.has_metadata_file else "METADATA"
        return info
    try:
        info.sdist = load_sdist(client, dist)
    except (IndexFetchError, ArchiveError) as exc:
        info.error = f"cannot inspect {dist.filename}: {exc}"
    _sdist_dependencies(client, page, info)
    return info


def load_sdist(client: IndexClient, dist: DistFile) -> SdistInfo:
    identity = file_identity(dist)
    kind = f"sdist-v{SdistInfo.FORMAT}"
    cached = _cached_sdist(client, kind, identity)
    if cached is not None:
        return cached
    # read by the worker process when one runs (worker.py), beside this one's GIL
    answer = client.archive_job("sdist", dist, {"blob": kind, "identity": identity})
    if "error" in answer:
        raise IndexFetchError(answer["error"])
    if "archive_error" in answer:
        raise ArchiveError(answer["archive_error"])
    if answer.get("stored") and (cached := _cached_sdist(client, kind, identity)) is not None:
        return cached
    with client.download(dist) as archive:
        info = inspect_sdist(dist.filename, archive)
    data = info.to_blob()
    client.writer.submit(lambda: client.cache.store_blob(kind, identity, data))
    return info


def _cached_sdist(client: IndexClient, kind: str, identity: str) -> SdistInfo | None:
    cached = client.cache.load_blob(kind, identity)
    if cached is not None:
        try:
            return SdistInfo.from_blob(cached)
        except (ValueError, TypeError):
            pass  # an entry from another version of wheelfit: inspect again
    return None


def _sdist_dependencies(client: IndexClient, page: ProjectPage, info: DistInfo) -> None:
    sdist = info.sdist
    if sdist is not None:
        pkg_info = sdist.texts.get("PKG-INFO")
        if pkg_info:
            metadata = parse_metadata(pkg_info.encode())
            info.requires_python = metadata.requires_python
            if metadata.dependencies_are_static:
                info.requires, info.source = list(metadata.requires_dist), "PKG-INFO (static)"
                return
        from_pyproject = _pyproject_dependencies(sdist)
        if from_pyproject is not None:
            info.requires, info.source = from_pyproject, "pyproject.toml [project]"
            return
    sibling = _sibling_wheel(page, info.dist)
    if sibling is not None:
        try:
            borrowed: CoreMetadata = parse_metadata(client.get_wheel_metadata(sibling))
        except IndexFetchError:
            pass
        else:
            info.requires = list(borrowed.requires_dist)
            info.source, info.assumed = f"{sibling.filename} (assumed the same)", True
            return
    if sdist is not None:
        from_cfg = _setup_cfg_dependencies(sdist)
        if from_cfg is not None:
            info.requires, info.source, info.assumed = from_cfg, "setup.cfg (assumed)", True
            return
        from_setup_py = setup_py_dependencies(sdist.texts.get("setup.py", ""))
        if from_setup_py is not None:
            info.requires, info.source = from_setup_py, "setup.py literals (read, not run; assumed)"
            info.assumed = True


def _sibling_wheel(page: ProjectPage, dist: DistFile) -> DistFile | None:
    wheels = [f for f in page.files_of(dist.version) if f.is_wheel and not f.yanked]

    def closeness(wheel: DistFile) -> tuple[bool, bool, int]:
        # a pure wheel's metadata is the most general; else the newest CPython on Linux
        pure = any(t.platform == "any" for t in wheel.tags)
        linux = any("linux" in t.platform for t in wheel.tags)
        newest = max(
            (
                int(t.interpreter[3:])
                for t in wheel.tags
                if t.interpreter.startswith("cp3") and t.interpreter[3:].isdigit()
            ),
            default=0,
        )
        return (pure, linux, newest)

    return max(wheels, key=closeness) if wheels else None


def _with_extra(requirement: str, extra: str) -> str:
    """Add ``extra == "name"`` to a requirement's marker, as METADATA writes it."""
    req, _, condition = requirement.partition(";")
    marker = f'extra == "{extra}"'
    if condition.strip():
        marker = f"({condition.strip()}) and {marker}"
    return f"{req} ; {marker}"


def _parse_lines(lines: list[str]) -> list[Requirement] | None:
    result = []
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            result.append(Requirement(line))
        except InvalidRequirement:
            return None  # one line we cannot read makes the whole list untrustworthy
    return result


def _pyproject_dependencies(sdist: SdistInfo) -> list[Requirement] | None:
    project = sdist.pyproject.get("project")
    if not isinstance(project, dict):
        return None
    dynamic = project.get("dynamic", [])
    if not isinstance(dynamic, list) or "dependencies" in dynamic:
        return None  # a dynamic that is no list is invalid: nothing there can be trusted
    deps = project.get("dependencies", [])
    extras = project.get("optional-dependencies", {})
    if not isinstance(deps, list) or not isinstance(extras, dict):
        return None
    lines = [str(d) for d in deps]
    for extra, items in extras.items():
        for item in items if isinstance(items, list) else []:
            lines.append(_with_extra(str(item), str(extra)))
    return _parse_lines(lines)


def setup_py_dependencies(text: str) -> list[Requirement] | None:
    """install_requires/extras_require of a setup() call, when written as literals.

    The file is parsed, never run: a list of string constants, or a name assigned such a
    list at module level, is read; anything computed makes the answer unknown.
    """
    tree = parse_python(text)
    if tree is None:
        return None  # deep expressions exhaust the parser: unknown, like anything computed
    assigned = {
        target.id: node.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }

    def literal(node: ast.expr | None) -> object:
        if isinstance(node, ast.Name) and node.id in assigned:
            node = assigned[node.id]
        try:
            return ast.literal_eval(node) if node is not None else None
        except (ValueError, TypeError, SyntaxError, RecursionError):
            return None

    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.Call)
            and getattr(node.func, "id", getattr(node.func, "attr", None)) == "setup"
        ):
            continue
        keywords = {k.arg: k.value for k in node.keywords if k.arg}
        spread = any(k.arg is None for k in node.keywords)  # setup(**kwargs): unknowable
        if "install_requires" not in keywords and "extras_require" not in keywords:
            return None if spread else []
        requires = literal(keywords.get("install_requires"))
        extras = literal(keywords.get("extras_require"))
        if "install_requires" in keywords and not _string_list(requires):
            return None
        lines = list(requires) if _string_list(requires) else []
        if isinstance(extras, dict):
            for extra, items in extras.items():
                if not _string_list(items) or ":" in str(extra):
                    return None  # ":marker" keys are setuptools' conditional syntax
                lines += [_with_extra(item, str(extra)) for item in items]
        elif "extras_require" in keywords:
            return None
        return _parse_lines(lines)
    return None


def _string_list(value: object) -> TypeGuard[list[str] | tuple[str, ...]]:
    return isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value)


def _setup_cfg_dependencies(sdist: SdistInfo) -> list[Requirement] | None:
    text = sdist.texts.get("setup.cfg")
    if not text:
        return None
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error:
        return None
    if not parser.has_option("options", "install_requires"):
        return None
    value = parser.get("options", "install_requires")
    if value.strip().startswith(("file:", "attr:")):
        return None
    return _parse_lines(value.splitlines())
