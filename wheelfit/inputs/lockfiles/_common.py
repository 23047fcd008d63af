"""What every lock reader shares: a locked package -> an InputRequirement, with its line.

A locked package becomes ``name==version`` (plus its marker and its sha256 hashes), or a direct
reference for VCS, URL and path sources, the way the requirements reader makes them. Hashes go
through the same checks as ``--hash`` in a requirements file: the resolver prefers the locked
files, and a target whose file is not among them is reported as pip's hash mismatch.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.markers import InvalidMarker, Marker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet

from ...errors import redact_url
from ...models import InputError
from ..parsed import InputRequirement, LockScope, ParsedInputs, Selection
from ..tomltext import Span, TomlLines

# The index most locks name; wheelfit already reads it (or the --index-url given instead).
_PYPI = {"https://pypi.org/simple", "https://pypi.org/simple/", "https://pypi.python.org/simple"}
_SHOWN = 8  # names listed in a "not installed" warning before "and N more"


@dataclass(frozen=True)
class Locked:
    """One package as a lock file pins it."""

    name: str
    line: int
    version: str | None = None
    marker: str | None = None
    hashes: tuple[str, ...] = ()  # "sha256:<hex>"
    url: str | None = None  # direct reference: URL, VCS URL or local path
    editable: bool = False


class LockReader:
    """The file being read, where its results go, and the helpers every format uses."""

    def __init__(self, path: Path, text: str, selection: Selection, result: ParsedInputs):
        self.path = path
        self.file = str(path)
        self.lines = TomlLines(text)
        self.selection = selection
        self.result = result
        self._indexes_seen: set[str] = set()

    def error(self, line: int | None, text: str, message: str) -> None:
        self.result.errors.append(InputError(self.file, line, text, message))

    def warn(self, line: int | None, message: str) -> None:
        where = f"{self.file}:{line}" if line else self.file
        self.result.warnings.append(f"{where}: {message}")

    def scope(self, document: dict[str, Any], python_key: str, markers_key: str) -> None:
        """Record the top-level Requires-Python and environment markers the lock is limited
        to, for each target to be checked against; unreadable values are located errors."""
        python = document.get(python_key)
        if python is not None:
            line = self.top_key_line(python_key)
            try:
                SpecifierSet(str(python))
            except InvalidSpecifier:
                self.error(
                    line, f"{python_key} = {python!r}", f"{python_key} is not a version specifier"
                )
            else:
                self.result.scopes.append(LockScope(self.file, line, python_key, str(python)))
        markers = as_list(document.get(markers_key))
        if markers:
            line = self.top_key_line(markers_key)
            for text in markers:
                try:
                    Marker(str(text))
                except InvalidMarker:
                    self.error(line, str(text), f"{markers_key}: not an environment marker")
                    return
            self.result.scopes.append(
                LockScope(self.file, line, markers_key, markers=tuple(map(str, markers)))
            )

    def top_key_line(self, key: str) -> int | None:
        """Line of a top-level key (one written before the first table)."""
        offset = self.lines.key(key, Span(0, self._first_header()))
        return self.lines.line(offset) if offset is not None else None

    def table_key_line(self, table: str, key: str) -> int | None:
        span = self.lines.table(table)
        offset = self.lines.key(key, span) if span else None
        return self.lines.line(offset) if offset is not None else None

    def add(self, locked: Locked) -> None:
        """The locked package as a requirement; a version or URL that cannot be used is an error."""
        if locked.url is not None:
            # packaging accepts "name @ URL" only for URLs; a local path stays in direct_url
            spelled = f"{locked.name} @ {locked.url}" if "://" in locked.url else locked.name
        elif locked.version:
            spelled = f"{locked.name}=={locked.version}"
        else:
            self.error(
                locked.line,
                locked.name,
                "this locked package has no version and no "
                "source to install it from; regenerate the lock file",
            )
            return
        if locked.marker:
            spelled += f" ; {locked.marker}"
        try:
            requirement = Requirement(spelled)
        except InvalidRequirement as exc:
            self.error(locked.line, spelled, f"cannot use this locked package: {exc}")
            return
        self.result.requirements.append(
            InputRequirement(
                file=self.file,
                line=locked.line,
                text=redact_url(spelled),
                requirement=requirement,
                hashes=locked.hashes,
                direct_url=redact_url(locked.url) if locked.url else None,
                editable=locked.editable,
            )
        )

    def add_index(self, url: str, line: int) -> None:
        """A package index the lock names: read as an extra index unless it is PyPI."""
        if url in _PYPI or url in self._indexes_seen:
            return
        self._indexes_seen.add(url)
        options = self.result.options
        if "://" not in url:
            self.warn(
                line,
                f"packages locked from the local folder {url} are looked up in the "
                "configured indexes instead (wheelfit reads indexes over HTTP only)",
            )
        elif url not in options.extra_index_urls and url != options.index_url:
            options.extra_index_urls.append(url)
            self.warn(
                line,
                f"packages are locked from {redact_url(url)}: read as an extra "
                "index (files from all indexes are merged, as pip does)",
            )

    def local_path(self, path: str) -> str:
        """A path written in the lock, which is relative to the lock file's folder."""
        return os.path.normpath(os.path.join(self.path.parent, path))

    def not_installed(self, names: Iterable[str], why: str) -> None:
        """Locked packages the chosen extras and groups leave out: one warning, not silence."""
        unique = sorted(set(names))
        if not unique:
            return
        shown = ", ".join(unique[:_SHOWN])
        more = f" and {len(unique) - _SHOWN} more" if len(unique) > _SHOWN else ""
        self.warn(None, f"{len(unique)} locked packages are not analysed ({why}): {shown}{more}")

    def check_selection(
        self, kind: str, asked: Iterable[str], known: Iterable[str], line: int | None
    ) -> None:
        have = sorted(set(known))
        for name in sorted(set(asked) - set(have)):
            self.error(
                line,
                "",
                f"no {kind} named '{name}' in this lock file (it has: {', '.join(have) or 'none'})",
            )

    def _first_header(self) -> int:
        headers = self.lines.headers()
        return headers[0] if headers else len(self.lines.text)


def package_tables(reader: LockReader, document: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The [[package]] tables, or None (with a located error) when one is not a named table."""
    packages = document.get("package", [])
    if not isinstance(packages, list) or not all(
        isinstance(p, dict) and isinstance(p.get("name"), str) for p in packages
    ):
        reader.error(None, "", "every [[package]] must be a table with a name; regenerate it")
        return None
    return packages


def as_list(value: object) -> list[Any]:
    """A value the format says is an array; anything else (a broken file) reads as empty."""
    return value if isinstance(value, list) else []


def as_dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def sha256_hashes(values: Iterable[object]) -> tuple[str, ...]:
    """The ``sha256:<hex>`` strings among ``values``: wheelfit compares sha256 only."""
    found = []
    for value in values:
        if isinstance(value, str) and value.lower().startswith("sha256:"):
            found.append("sha256:" + value.split(":", 1)[1].lower())
    return tuple(dict.fromkeys(found))
