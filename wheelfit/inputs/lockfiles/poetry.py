"""poetry.lock -> pinned requirements for the main group and the chosen extras and groups.

Unlike uv.lock, poetry.lock does not record the project's own dependencies, so its packages
cannot be reached from the project. What each package says is used instead:
- lock-version 2.1 (Poetry 2) writes ``groups`` and ``markers`` per package: both are honoured;
- older files write no markers (a Windows-only package is then kept on every target, said in
  a warning), and only ``category = "main" | "dev"`` (1.x) or nothing (2.0) for groups;
- ``optional = true`` packages come with the extras of the top-level ``[extras]`` table that
  name them, plus their optional dependencies.
"""

from __future__ import annotations

import re
from typing import Any

from packaging.markers import InvalidMarker
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from ..markerexpr import Clause, join_or, normalized, specialize
from ..tomltext import entry_lines
from ._common import Locked, LockReader, as_dict, as_list, package_tables, sha256_hashes

SUPPORTED = (1, 2)  # lock-version majors
NEWEST_KNOWN = Version("2.1")
_MAIN = NormalizedName("main")
_NAME_RE = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def read_poetry_lock(reader: LockReader, document: dict[str, Any]) -> None:
    if not _check_version(reader, document):
        return
    packages = package_tables(reader, document)
    if packages is None:
        return
    lines = entry_lines(reader.lines, "package", [p["name"] for p in packages])
    extras_line = reader.table_key_line("metadata", "lock-version")
    chosen_extras = _chosen_extras(reader, document, extras_line)
    optional_ok = _optional_closure(packages, document, chosen_extras)
    groups = _known_groups(packages)
    if groups is None:
        if reader.selection.groups:
            reader.warn(
                extras_line,
                "this poetry.lock records no groups (lock-version 2.0): "
                "every non-optional package is analysed",
            )
    else:
        reader.check_selection("dependency group", reader.selection.groups, groups, extras_line)
    if not _has_markers(document):
        reader.warn(
            extras_line,
            "this poetry.lock records no markers (before lock-version "
            "2.1): platform-specific packages are analysed on every target; regenerate "
            "it with Poetry 2 to have them honoured",
        )
    hashes_1x = as_dict(as_dict(document.get("metadata")).get("files"))
    left_out = []
    for package, line in zip(packages, lines, strict=True):
        name = canonicalize_name(package["name"])
        included_groups = _included_groups(package, reader.selection.groups)
        if (package.get("optional") and name not in optional_ok) or not included_groups:
            left_out.append(package["name"])
            continue
        marker = _marker(reader, package, included_groups, chosen_extras, line)
        if marker is False:
            left_out.append(package["name"])
            continue
        files = as_list(package.get("files")) or as_list(hashes_1x.get(package["name"]))
        hashes = sha256_hashes(f.get("hash") for f in files if isinstance(f, dict))
        _add(
            reader,
            package,
            Locked(
                package["name"],
                line,
                _text(package.get("version")),
                marker if isinstance(marker, str) else None,
                hashes,
            ),
        )
    reader.not_installed(left_out, "only other extras or groups need them")


def _check_version(reader: LockReader, document: dict[str, Any]) -> bool:
    metadata = document.get("metadata")
    value = metadata.get("lock-version") if isinstance(metadata, dict) else None
    line = reader.table_key_line("metadata", "lock-version")
    try:
        version = Version(str(value))
    except ValueError:  # InvalidVersion, or a number too long for int()
        reader.error(
            line,
            "",
            f"no readable [metadata] lock-version ({value!r}); "
            "regenerate the file with `poetry lock`",
        )
        return False
    if version.major not in SUPPORTED:
        reader.error(
            line,
            f'lock-version = "{value}"',
            f"unsupported poetry.lock version {value}: wheelfit reads 1.x and 2.x",
        )
        return False
    if version > NEWEST_KNOWN:
        reader.warn(
            line,
            f"poetry.lock version {value} is newer than wheelfit knows "
            f"({NEWEST_KNOWN}): read as {NEWEST_KNOWN}",
        )
    return True


def _chosen_extras(
    reader: LockReader, document: dict[str, Any], line: int | None
) -> set[NormalizedName]:
    table = document.get("extras", {})
    known = [str(k) for k in table] if isinstance(table, dict) else []
    reader.check_selection("extra", reader.selection.extras, map(canonicalize_name, known), line)
    return reader.selection.extras_from(known)


def _optional_closure(
    packages: list[dict[str, Any]], document: dict[str, Any], chosen: set[NormalizedName]
) -> set[NormalizedName]:
    """Names of the optional packages the chosen extras install, with their dependencies."""
    table = document.get("extras", {})
    todo = []
    for extra, names in table.items() if isinstance(table, dict) else []:
        if canonicalize_name(extra) in chosen and isinstance(names, list):
            todo += [canonicalize_name(m[1]) for n in names if (m := _NAME_RE.match(str(n)))]
    needs: dict[NormalizedName, set[NormalizedName]] = {}
    for package in packages:
        deps = package.get("dependencies", {})
        names = {canonicalize_name(str(d)) for d in deps} if isinstance(deps, dict) else set()
        needs.setdefault(canonicalize_name(package["name"]), set()).update(names)
    closure: set[NormalizedName] = set()
    while todo:
        name = todo.pop()
        if name not in closure:
            closure.add(name)
            todo += needs.get(name, set())
    return closure


def _known_groups(packages: list[dict[str, Any]]) -> set[NormalizedName] | None:
    found: set[NormalizedName] = set()
    for package in packages:
        groups = package.get("groups")
        if isinstance(groups, list):
            found |= {canonicalize_name(str(g)) for g in groups}
        elif isinstance(package.get("category"), str):
            found.add(canonicalize_name(package["category"]))
    return found | {_MAIN} if found else None


def _included_groups(package: dict[str, Any], chosen: frozenset[NormalizedName]) -> list[str]:
    """The package's groups that are installed: main, and the chosen ones."""
    groups = package.get("groups")
    if not isinstance(groups, list):
        category = package.get("category")
        groups = [category] if isinstance(category, str) else [_MAIN]  # 2.0: no groups
    wanted = chosen | {_MAIN}
    return [str(g) for g in groups if canonicalize_name(str(g)) in wanted]


def _has_markers(document: dict[str, Any]) -> bool:
    metadata = document.get("metadata", {})
    try:
        return Version(str(metadata.get("lock-version"))) >= Version("2.1")
    except ValueError:  # InvalidVersion, or a number too long for int()
        return False


def _marker(
    reader: LockReader,
    package: dict[str, Any],
    groups: list[str],
    extras: set[NormalizedName],
    line: int,
) -> str | bool | None:
    """The package's marker for the included groups (2.1 may give one per group)."""
    markers = package.get("markers")
    if markers is None:
        return None
    if isinstance(markers, dict):
        text = join_or(str(markers[g]) if g in markers else None for g in groups)
    else:
        text = str(markers)
    if text is None:
        return None
    try:
        text = normalized(text)
        decided = specialize(text, lambda c: _decide_extra(c, extras)) if "extra" in text else text
    except (InvalidMarker, ValueError) as exc:
        reader.error(line, text, f"invalid marker in the lock: {exc}; kept on every target")
        return None
    return None if decided is True else decided


def _decide_extra(clause: Clause, extras: set[NormalizedName]) -> bool | None:
    if clause.variable != "extra" or clause.op.split()[0] not in ("==", "!="):
        return None
    chosen = canonicalize_name(clause.value) in extras
    return chosen if clause.op.startswith("==") else not chosen


def _add(reader: LockReader, package: dict[str, Any], locked: Locked) -> None:
    source = package.get("source")
    if not isinstance(source, dict):
        reader.add(locked)
        return
    kind, url = str(source.get("type", "")), str(source.get("url", ""))
    if kind == "legacy":
        reader.add_index(url, locked.line)
        reader.add(locked)
    elif kind == "git":
        revision = source.get("resolved_reference") or source.get("reference")
        direct = f"git+{url}" + (f"@{revision}" if revision else "")
        if source.get("subdirectory"):
            direct += f"#subdirectory={source['subdirectory']}"
        reader.add(_direct(locked, direct))
    elif kind == "url" or (kind == "file" and "://" in url):
        reader.add(_direct(locked, url))
    elif kind in ("file", "directory"):
        editable = bool(package.get("develop"))
        reader.add(_direct(locked, reader.local_path(url), editable=editable))
    else:
        reader.error(
            locked.line,
            package["name"],
            f"unknown source type {kind!r}: this package is not analysed",
        )


def _direct(locked: Locked, url: str, editable: bool = False) -> Locked:
    return Locked(
        locked.name, locked.line, locked.version, locked.marker, locked.hashes, url, editable
    )


def _text(value: object) -> str | None:
    return str(value) if value is not None else None
