"""pyproject.toml -> the project's requirements, each with the line it is written on.

Read: ``[project] dependencies``, the chosen ``[project.optional-dependencies]`` and PEP 735
``[dependency-groups]`` (with ``{include-group = ...}``). The project itself is what would be
built, so it is not a requirement; ``myproj[extra]`` written inside its own tables stands for
those extras and is expanded, with its marker carried over.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.markers import Marker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import NormalizedName, canonicalize_name

from ..errors import redact_url
from ..models import InputError
from .markerexpr import join_and
from .parsed import InputRequirement, ParsedInputs, Selection
from .tomltext import Span, TomlLines, load_toml

# Dependencies kept by tools in their own tables: wheelfit does not read them, and says so.
_TOOL_TABLES = {
    ("tool", "poetry", "dependencies"): "Poetry's [tool.poetry.dependencies]",
    ("tool", "poetry", "group"): "Poetry's [tool.poetry.group.*] dependencies",
    ("tool", "uv", "dev-dependencies"): "uv's [tool.uv] dev-dependencies",
    ("tool", "pdm", "dev-dependencies"): "PDM's [tool.pdm.dev-dependencies]",
}


def is_pyproject(path: Path) -> bool:
    return path.name == "pyproject.toml"


def read_pyproject(path: Path, selection: Selection, result: ParsedInputs) -> None:
    loaded = load_toml(path, result)
    if loaded is not None:
        text, document = loaded
        _Reader(str(path), TomlLines(text), document, selection, result).read()


@dataclass(frozen=True)
class _Entry:
    """One string of a dependency array, parsed, or an include-group table."""

    line: int
    text: str
    requirement: Requirement | None = None
    include: str | None = None


class _Reader:
    def __init__(
        self,
        file: str,
        lines: TomlLines,
        document: dict[str, Any],
        selection: Selection,
        result: ParsedInputs,
    ) -> None:
        self.file = file
        self.lines = lines
        self.document = document
        self.selection = selection
        self.result = result
        project = document.get("project")
        self.project: dict[str, Any] = project if isinstance(project, dict) else {}
        self.project_span = lines.table("project") or lines.whole()
        name = self.project.get("name")
        self.self_name = canonicalize_name(name) if isinstance(name, str) else None
        self.optional: dict[NormalizedName, list[_Entry]] = {}
        self.groups: dict[NormalizedName, list[_Entry]] = {}
        dynamic = self.project.get("dynamic", [])
        self.dynamic = [str(d) for d in dynamic] if isinstance(dynamic, list) else []
        self.seen: set[tuple[int, str]] = set()

    def error(self, line: int | None, text: str, message: str) -> None:
        self.result.errors.append(InputError(self.file, line, text, message))

    def read(self) -> None:
        self._warn_tool_tables()
        if "project" not in self.document and not self.selection.groups:
            self.error(
                None,
                "",
                "no [project] table: wheelfit reads [project] dependencies (PEP 621); give "
                "a requirements or lock file for projects that declare them elsewhere",
            )
            return
        self.optional = self._optional_dependencies()
        self.groups = self._dependency_groups()
        self._check_selection()
        if "project" in self.document:
            self._emit(self._base_dependencies(), None, set())
        for extra in sorted(self.selection.extras_from(self.optional)):
            self._emit(self.optional[extra], None, {extra})
        for group in sorted(self.selection.groups & set(self.groups)):
            self._emit(self._group_entries(group, []), None, set())

    # -- the three tables -------------------------------------------------------------------

    def _base_dependencies(self) -> list[_Entry]:
        if "dependencies" in self.dynamic:
            line = self._key_line("dynamic", self.project_span)
            self.error(
                line,
                self._line_text(line),
                "the dependencies are dynamic (the build backend computes them): wheelfit "
                "cannot read them statically; list them in [project] dependencies, or give a "
                "requirements or lock file",
            )
            return []
        if "dependencies" not in self.project:
            self.result.warnings.append(
                f"{self.file}: [project] declares no dependencies (only extras and groups "
                "given with --extra/--group are read)"
            )
            return []
        return self._array(self.project["dependencies"], "dependencies", self.project_span)

    def _optional_dependencies(self) -> dict[NormalizedName, list[_Entry]]:
        table = self.project.get("optional-dependencies", {})
        if not isinstance(table, dict):
            self.error(
                self._key_line("optional-dependencies", self.project_span),
                "",
                "[project] optional-dependencies must be a table of arrays",
            )
            return {}
        span = self.lines.table("project.optional-dependencies") or self.project_span
        return {canonicalize_name(k): self._array(v, k, span) for k, v in table.items()}

    def _dependency_groups(self) -> dict[NormalizedName, list[_Entry]]:
        table = self.document.get("dependency-groups", {})
        span = self.lines.table("dependency-groups") or self.lines.whole()
        if not isinstance(table, dict):
            self.error(self.lines.line(span.start), "", "[dependency-groups] must be a table")
            return {}
        groups: dict[NormalizedName, list[_Entry]] = {}
        for key, value in table.items():
            name = canonicalize_name(key)
            if name in groups:
                line = self._key_line(key, span)
                self.error(
                    line,
                    key,
                    f"dependency group '{key}' is defined twice (names "
                    "compare normalized, PEP 735); merge them",
                )
                continue
            groups[name] = self._array(value, key, span, groups_allowed=True)
        return groups

    def _check_selection(self) -> None:
        if "optional-dependencies" in self.dynamic and (
            self.selection.extras or self.selection.all_extras
        ):
            line = self._key_line("dynamic", self.project_span)
            self.error(
                line,
                self._line_text(line),
                "the optional dependencies are dynamic (the build backend computes them): "
                "wheelfit cannot read the extras statically",
            )
        else:
            span = self.lines.table("project.optional-dependencies")
            line = (
                self.lines.line(span.start)
                if span
                else self._key_line("optional-dependencies", self.project_span)
            )
            self._unknown("extra", self.selection.extras, self.optional, line)
        groups = self.lines.table("dependency-groups")
        groups_line = self.lines.line(groups.start) if groups else None
        self._unknown("dependency group", self.selection.groups, self.groups, groups_line)

    def _unknown(
        self,
        kind: str,
        asked: frozenset[NormalizedName],
        known: dict[NormalizedName, Any],
        line: int | None,
    ) -> None:
        have = ", ".join(sorted(known)) or "none"
        for name in sorted(asked - set(known)):
            self.error(line, "", f"no {kind} named '{name}' in this file (it has: {have})")

    # -- entries ------------------------------------------------------------------------------

    def _array(
        self, value: object, key: str, span: Span, *, groups_allowed: bool = False
    ) -> list[_Entry]:
        """The entries of one dependency array, with their lines; bad ones become errors."""
        key_offset = self.lines.key(key, span)
        start = key_offset if key_offset is not None else span.start
        key_line = self.lines.line(start)
        if not isinstance(value, list):
            self.error(key_line, key, f"'{key}' must be an array of requirement strings")
            return []
        entries, cursor = [], start
        for item in value:
            if isinstance(item, dict) and groups_allowed and set(item) == {"include-group"}:
                found = self.lines.string(str(item["include-group"]), cursor, span.end)
                line = self.lines.line(found) if found is not None else key_line
                cursor = found + 1 if found is not None else cursor
                entries.append(
                    _Entry(
                        line,
                        f"{{include-group = {item['include-group']!r}}}",
                        include=str(item["include-group"]),
                    )
                )
                continue
            if not isinstance(item, str):
                what = "a requirement string" + (
                    " or an include-group table" if groups_allowed else ""
                )
                self.error(key_line, key, f"'{key}' holds {item!r}, which is not {what}")
                continue
            found = self.lines.string(item, cursor, span.end)
            line = self.lines.line(found) if found is not None else key_line
            cursor = found + 1 if found is not None else cursor
            try:
                entries.append(_Entry(line, item, Requirement(item)))
            except InvalidRequirement as exc:
                self.error(line, item, f"invalid requirement: {exc}")
        return entries

    def _group_entries(self, group: NormalizedName, stack: list[NormalizedName]) -> list[_Entry]:
        """A group's requirements with its includes expanded (PEP 735); cycles are errors."""
        entries = []
        for entry in self.groups.get(group, []):
            if entry.include is None:
                entries.append(entry)
                continue
            target = canonicalize_name(entry.include)
            if target in [*stack, group]:
                cycle = " -> ".join([*stack, group, target])
                self.error(
                    entry.line,
                    entry.text,
                    f"dependency group cycle: {cycle}; remove one of the include-group entries",
                )
            elif target not in self.groups:
                self.error(
                    entry.line,
                    entry.text,
                    f"includes dependency group '{entry.include}', which does not exist",
                )
            else:
                entries += self._group_entries(target, [*stack, group])
        return entries

    def _emit(self, entries: list[_Entry], marker: str | None, extras_done: set[str]) -> None:
        for entry in entries:
            requirement = entry.requirement
            if requirement is None:
                continue
            combined = join_and([marker, str(requirement.marker) if requirement.marker else None])
            if self.self_name and canonicalize_name(requirement.name) == self.self_name:
                self._expand_self(entry, requirement, combined, extras_done)
                continue
            if combined != (str(requirement.marker) if requirement.marker else None):
                requirement = Requirement(str(requirement))
                requirement.marker = Marker(combined) if combined else None
            key = (entry.line, str(requirement))
            if key in self.seen:
                continue  # the same line reached twice (a group included by two others)
            self.seen.add(key)
            self.result.requirements.append(
                InputRequirement(
                    file=self.file,
                    line=entry.line,
                    text=redact_url(entry.text),
                    requirement=requirement,
                    direct_url=redact_url(requirement.url) if requirement.url else None,
                )
            )

    def _expand_self(
        self, entry: _Entry, requirement: Requirement, marker: str | None, extras_done: set[str]
    ) -> None:
        """``myproj[a,b]`` inside the project's own tables: the project's extras a and b."""
        if not requirement.extras:
            self.result.warnings.append(
                f"{self.file}:{entry.line}: '{entry.text}' names the project itself, which "
                "wheelfit does not analyse (it is what gets built); its dependencies are read "
                "from [project]"
            )
            return
        for extra in sorted(canonicalize_name(e) for e in requirement.extras):
            if extra not in self.optional:
                self.error(entry.line, entry.text, f"the project has no extra '{extra}'")
            elif extra not in extras_done:  # extras may refer to each other in a loop
                self._emit(self.optional[extra], marker, extras_done | {extra})

    # -- helpers ------------------------------------------------------------------------------

    def _key_line(self, key: str, span: Span) -> int:
        offset = self.lines.key(key, span)
        return self.lines.line(offset if offset is not None else span.start)

    def _line_text(self, line: int) -> str:
        lines = self.lines.text.splitlines()
        return lines[line - 1].strip() if 0 < line <= len(lines) else ""

    def _warn_tool_tables(self) -> None:
        for path, what in _TOOL_TABLES.items():
            if _lookup(self.document, path) is not None:
                self.result.warnings.append(
                    f"{self.file}: {what} are not read: declare them in [project] or "
                    "[dependency-groups], or give the lock file"
                )


def _lookup(document: dict[str, Any], path: tuple[str, ...]) -> object:
    node: object = document
    for key in path:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node
