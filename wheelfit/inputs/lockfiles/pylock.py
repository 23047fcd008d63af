"""pylock.toml (PEP 751) -> pinned requirements.

PEP 751 puts a marker on each package, which may also ask about the selection
(``'dev' in dependency_groups``, ``'gpu' in extras``): those clauses are decided here from the
chosen extras and groups (``default-groups`` when none is chosen, as the PEP says), the rest of
the marker is evaluated per target like any other.
"""

from __future__ import annotations

import re
from typing import Any

from packaging.markers import InvalidMarker
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from ..markerexpr import Clause, normalized, specialize
from ..tomltext import entry_lines
from ._common import Locked, LockReader, as_list, sha256_hashes

SUPPORTED = Version("1.0")
_SELECTION_RE = re.compile(r"\b(extras|dependency_groups)\b")


def read_pylock(reader: LockReader, document: dict[str, Any]) -> None:
    if not _check_version(reader, document):
        return
    packages = document.get("packages", [])
    if not isinstance(packages, list) or not all(
        isinstance(p, dict) and isinstance(p.get("name"), str) for p in packages
    ):
        reader.error(None, "", "every [[packages]] entry must be a table with a name")
        return
    lines = entry_lines(reader.lines, "packages", [p["name"] for p in packages])
    extras, groups = _selection(reader, document)
    # PEP 751: an installer raises an error outside requires-python or all environments
    reader.scope(document, "requires-python", "environments")
    left_out = []
    for package, line in zip(packages, lines, strict=True):
        marker = _marker(reader, package.get("marker"), extras, groups, line)
        if marker is False:
            left_out.append(package["name"])
            continue
        _add(reader, package, line, marker if isinstance(marker, str) else None)
    reader.not_installed(left_out, "their markers need other extras or groups")


def _check_version(reader: LockReader, document: dict[str, Any]) -> bool:
    value = document.get("lock-version")
    line = reader.top_key_line("lock-version")
    try:
        version = Version(str(value))
    except ValueError:  # InvalidVersion, or a number too long for int()
        reader.error(line, "", f"no readable lock-version ({value!r}): not a PEP 751 lock file?")
        return False
    if version.major != SUPPORTED.major:
        reader.error(
            line,
            f'lock-version = "{value}"',
            f"unsupported pylock lock-version "
            f"{value}: wheelfit reads {SUPPORTED.major}.x (PEP 751)",
        )
        return False
    if version > SUPPORTED:
        # PEP 751: a newer minor version is readable, with a warning
        reader.warn(line, f"lock-version {value} is newer than {SUPPORTED}: read as {SUPPORTED}")
    return True


def _selection(
    reader: LockReader, document: dict[str, Any]
) -> tuple[set[NormalizedName], set[NormalizedName]]:
    """The extras and groups that markers are decided with; unknown names are errors."""
    known_extras = {canonicalize_name(str(e)) for e in as_list(document.get("extras"))}
    defaults = {canonicalize_name(str(g)) for g in as_list(document.get("default-groups"))}
    known_groups = {canonicalize_name(str(g)) for g in as_list(document.get("dependency-groups"))}
    selection = reader.selection
    reader.check_selection("extra", selection.extras, known_extras, None)
    reader.check_selection("dependency group", selection.groups, known_groups | defaults, None)
    groups = set(selection.groups) if selection.groups else defaults
    return selection.extras_from(known_extras), groups


def _marker(
    reader: LockReader,
    marker: object,
    extras: set[NormalizedName],
    groups: set[NormalizedName],
    line: int,
) -> str | bool | None:
    if marker is None:
        return None
    text = str(marker)
    try:
        text = normalized(text)
        if _SELECTION_RE.search(text):
            decided = specialize(text, lambda c: _decide(c, extras, groups))
            return None if decided is True else decided
    except (InvalidMarker, ValueError) as exc:
        reader.error(line, text, f"invalid marker: {exc}; the package is kept on every target")
        return None
    return text


def _decide(
    clause: Clause, extras: set[NormalizedName], groups: set[NormalizedName]
) -> bool | None:
    chosen = {"extras": extras, "dependency_groups": groups}.get(clause.variable)
    op = clause.op.split()[0]
    if chosen is None or op not in ("in", "not") or not clause.op.endswith("(reversed)"):
        return None
    inside = canonicalize_name(clause.value) in chosen
    return inside if op == "in" else not inside


def _add(reader: LockReader, package: dict[str, Any], line: int, marker: str | None) -> None:
    name = package["name"]
    version = str(package["version"]) if package.get("version") is not None else None
    vcs, directory, archive = (package.get(k) for k in ("vcs", "directory", "archive"))
    if isinstance(vcs, dict):
        where = vcs.get("url") or reader.local_path(str(vcs.get("path", "")))
        url = f"{vcs.get('type', 'git')}+{where}@{vcs.get('commit-id', '')}"
        reader.add(Locked(name, line, version, marker, url=_subdirectory(url, vcs)))
    elif isinstance(directory, dict):
        path = reader.local_path(str(directory.get("path", "")))
        reader.add(
            Locked(name, line, version, marker, url=path, editable=bool(directory.get("editable")))
        )
    elif isinstance(archive, dict):
        where = archive.get("url") or reader.local_path(str(archive.get("path", "")))
        hashes = sha256_hashes(_hash_values(archive))
        reader.add(Locked(name, line, version, marker, hashes, url=_subdirectory(where, archive)))
    else:
        if isinstance(package.get("index"), str):
            reader.add_index(package["index"], line)
        files = [package.get("sdist"), *as_list(package.get("wheels"))]
        hashes = sha256_hashes(h for f in files if isinstance(f, dict) for h in _hash_values(f))
        reader.add(Locked(name, line, version, marker, hashes))


def _hash_values(item: dict[str, Any]) -> list[str]:
    hashes = item.get("hashes")
    return [f"{k}:{v}" for k, v in hashes.items()] if isinstance(hashes, dict) else []


def _subdirectory(url: str, table: dict[str, Any]) -> str:
    sub = table.get("subdirectory")
    return f"{url}#subdirectory={sub}" if sub else url
