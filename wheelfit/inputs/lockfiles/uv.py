"""uv.lock -> pinned requirements for the project's dependencies and its chosen extras and groups.

uv.lock lists every package that any platform, extra or group could need, and keeps the
conditions on the dependency *edges*, not on the packages. So the packages are reached from the
project through the edges, collecting the markers along each path: a package's marker is "any
path to it" (an or of ands), evaluated per target later like any other marker. A Windows-only
dependency thus stays off Linux targets, and what only an unchosen extra or group needs is left
out (and listed in one warning).
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

from packaging.markers import InvalidMarker
from packaging.utils import NormalizedName, canonicalize_name

from ..markerexpr import Clause, join_and, join_or, normalized, specialize
from ..tomltext import entry_lines
from ._common import Locked, LockReader, as_dict, as_list, package_tables, sha256_hashes

SUPPORTED_VERSION = 1
_PROJECT_SOURCES = ("editable", "virtual")
# past this many alternative paths a package's marker is dropped: it is then kept everywhere
_MAX_TERMS = 32
# uv spells conflicting extras and groups as extra == 'extra-<len>-<package>-<name>'
_CONFLICT_RE = re.compile(r"^(extra|group)-(\d+)-(.+)$")

Terms = frozenset[frozenset[str]]  # an or of ands of marker texts; {frozenset()} is "always"
_ALWAYS: Terms = frozenset({frozenset()})
Node = tuple[int, NormalizedName | None]  # a package, or one of its extras


@dataclass(frozen=True)
class _Edge:
    target: int
    extras: tuple[NormalizedName, ...]
    atom: str | None  # the edge's marker; None when unconditional


def read_uv_lock(reader: LockReader, document: dict[str, Any]) -> None:
    version = document.get("version")
    if version != SUPPORTED_VERSION:
        line = reader.top_key_line("version")
        if version is None:
            reader.error(None, "", "no top-level `version`: this does not look like a uv.lock")
        else:
            reader.error(
                line,
                f"version = {version!r}",
                f"unsupported uv.lock version {version!r}: wheelfit reads version "
                f"{SUPPORTED_VERSION}; regenerate the file with a current `uv lock`",
            )
        return
    packages = package_tables(reader, document)
    if packages is None:
        return
    _UvLock(reader, document, packages).read()


class _UvLock:
    def __init__(
        self, reader: LockReader, document: dict[str, Any], packages: list[dict[str, Any]]
    ) -> None:
        self.reader = reader
        self.document = document
        self.packages = packages
        self.lines = entry_lines(reader.lines, "package", [p["name"] for p in packages])
        self.by_name: dict[NormalizedName, list[int]] = {}
        for index, package in enumerate(packages):
            self.by_name.setdefault(canonicalize_name(package["name"]), []).append(index)
        self.manifest = as_dict(document.get("manifest"))
        self.roots = self._roots()
        self.root_names = {canonicalize_name(packages[i]["name"]) for i in self.roots}
        self.extras: set[NormalizedName] = set()
        self.groups: set[NormalizedName] = set()
        self._edges: dict[Node, list[_Edge]] = {}
        self.too_complex: set[int] = set()

    def read(self) -> None:
        # uv refuses to install a lock for a Python or platform outside these
        self.reader.scope(self.document, "requires-python", "supported-markers")
        starts = self._starts()
        if not starts:
            self.reader.error(
                None, "", "no project and no requirements found in this uv.lock; nothing to analyse"
            )
            return
        reach = self._reach(starts)
        left_out = []
        for index, package in enumerate(self.packages):
            if self._source_kind(package) in _PROJECT_SOURCES:
                if index in self.roots or (index, None) in reach:
                    self._warn_project(index)
                else:
                    left_out.append(package["name"])
            elif (index, None) in reach:
                self._add(index, reach[(index, None)])
            else:
                left_out.append(package["name"])
        for index in sorted(self.too_complex):
            self.reader.warn(
                self.lines[index],
                f"{self.packages[index]['name']} is reached "
                "through too many conditional paths: it is kept on every target",
            )
        self.reader.not_installed(
            left_out, "only other extras, groups or workspace members need them"
        )

    # -- where the walk starts ----------------------------------------------------------------

    def _roots(self) -> list[int]:
        """The workspace's root project, else every workspace member."""
        projects = [
            i for i, p in enumerate(self.packages) if self._source_kind(p) in _PROJECT_SOURCES
        ]
        at_root = [i for i in projects if list(self.packages[i]["source"].values()) == ["."]]
        return at_root or projects

    def _starts(self) -> list[tuple[Node, Terms] | _Edge]:
        selection = self.reader.selection
        optional = {
            i: self._table(self.packages[i].get("optional-dependencies")) for i in self.roots
        }
        dev = {i: self._table(self.packages[i].get("dev-dependencies")) for i in self.roots}
        manifest_groups = self._table(self.manifest.get("dependency-groups"))
        self.extras = {e for table in optional.values() for e in table}
        self.groups = {g for table in dev.values() for g in table} | set(manifest_groups)
        line = self.lines[self.roots[0]] if self.roots else None
        self.reader.check_selection("extra", selection.extras, self.extras, line)
        self.reader.check_selection("dependency group", selection.groups, self.groups, line)
        chosen_extras = selection.extras_from(self.extras)
        starts: list[tuple[Node, Terms] | _Edge] = []
        for root in self.roots:
            starts.append(((root, None), _ALWAYS))
            starts += [((root, e), _ALWAYS) for e in sorted(chosen_extras & set(optional[root]))]
            for group in sorted(selection.groups & set(dev[root])):
                starts += self._parse_edges(root, dev[root][group])
        # a project-less workspace or a script keeps its requirements in [manifest]
        starts += self._parse_edges(None, self.manifest.get("requirements", []))
        for group in sorted(selection.groups & set(manifest_groups)):
            starts += self._parse_edges(None, manifest_groups[group])
        return starts

    # -- the walk -----------------------------------------------------------------------------

    def _reach(self, starts: list[tuple[Node, Terms] | _Edge]) -> dict[Node, Terms]:
        reach: dict[Node, Terms] = {}
        queue: deque[Node] = deque()

        def offer(node: Node, terms: Terms) -> None:
            old = reach.get(node, frozenset())
            merged = _absorb(old | terms)
            if len(merged) > _MAX_TERMS:
                merged = _ALWAYS
                self.too_complex.add(node[0])
            if merged != old:
                reach[node] = merged
                queue.append(node)

        def follow(edge: _Edge, terms: Terms) -> None:
            step = terms if edge.atom is None else frozenset(t | {edge.atom} for t in terms)
            for extra in (None, *edge.extras):
                offer((edge.target, extra), step)

        for start in starts:
            if isinstance(start, _Edge):
                follow(start, _ALWAYS)
            else:
                offer(*start)
        while queue:
            node = queue.popleft()
            for edge in self._edges_from(node):
                follow(edge, reach[node])
        return reach

    def _edges_from(self, node: Node) -> list[_Edge]:
        if node not in self._edges:
            index, extra = node
            package = self.packages[index]
            if extra is None:
                raw = package.get("dependencies", [])
            else:
                raw = self._table(package.get("optional-dependencies")).get(extra, [])
            self._edges[node] = self._parse_edges(index, raw)
        return self._edges[node]

    def _parse_edges(self, owner: int | None, raw: object) -> list[_Edge]:
        line = self.lines[owner] if owner is not None else None
        if not isinstance(raw, list):
            self.reader.error(line, "", "a dependency list is not an array; regenerate the lock")
            return []
        edges = []
        for dependency in raw:
            if not isinstance(dependency, dict) or not isinstance(dependency.get("name"), str):
                self.reader.error(line, repr(dependency), "a dependency without a name")
                continue
            atom = self._atom(dependency.get("marker"), line)
            if atom is False:
                continue
            extras = tuple(canonicalize_name(str(e)) for e in as_list(dependency.get("extra")))
            targets = self._targets(dependency)
            if not targets:
                self.reader.warn(
                    line, f"depends on {dependency['name']}, which the lock does not list"
                )
            edges += [_Edge(t, extras, atom if isinstance(atom, str) else None) for t in targets]
        return edges

    def _targets(self, dependency: dict[str, Any]) -> list[int]:
        """The locked package(s) an edge points at: by name, then version and source."""
        found = self.by_name.get(canonicalize_name(dependency["name"]), [])
        for key in ("version", "source"):
            if len(found) > 1 and key in dependency:
                found = [i for i in found if self.packages[i].get(key) == dependency[key]] or found
        return found

    def _atom(self, marker: object, line: int | None) -> str | bool | None:
        """The edge's marker, normalized, with uv's conflict clauses decided; False: never."""
        if marker is None:
            return None
        try:
            text = normalized(str(marker))
            decided = specialize(text, self._decide) if "extra" in text else text
        except (InvalidMarker, ValueError) as exc:
            self.reader.error(
                line,
                str(marker),
                f"invalid marker in the lock: {exc}; the dependency is kept on every target",
            )
            return None
        if decided is True:
            return None
        return decided

    def _decide(self, clause: Clause) -> bool | None:
        match = _CONFLICT_RE.match(clause.value)
        if clause.variable != "extra" or clause.op.split()[0] not in ("==", "!=") or not match:
            return None
        kind, size, rest = match[1], int(match[2]), match[3]
        package, name = canonicalize_name(rest[:size]), canonicalize_name(rest[size + 1 :])
        if package not in self.root_names:
            return None
        selection = self.reader.selection
        chosen = (
            name in selection.extras_from(self.extras)
            if kind == "extra"
            else name in selection.groups
        )
        return chosen if clause.op.startswith("==") else not chosen

    # -- results ------------------------------------------------------------------------------

    def _add(self, index: int, terms: Terms) -> None:
        package = self.packages[index]
        name, line = package["name"], self.lines[index]
        marker = _to_marker(terms)
        forks = package.get("resolution-markers")
        several = len(self.by_name[canonicalize_name(name)]) > 1
        if marker is None and several and isinstance(forks, list) and forks:
            # several versions of one package reached without condition (uv writes the forks
            # on the edges, so this is a fallback): each belongs to its forks of the resolution
            marker = self._forks(forks, line)
        version = package.get("version")
        version = str(version) if version is not None else None
        source = package.get("source", {})
        kind = self._source_kind(package)
        value = str(source.get(kind, "")) if isinstance(source, dict) else ""
        hashes = sha256_hashes(_file_hashes(package))
        if kind == "registry":
            self.reader.add_index(value, line)
            self.reader.add(Locked(name, line, version, marker, hashes))
        elif kind == "git":
            self.reader.add(Locked(name, line, version, marker, url=_git_url(value)))
        elif kind == "url":
            self.reader.add(Locked(name, line, version, marker, hashes, url=value))
        elif kind in ("path", "directory"):
            self.reader.add(Locked(name, line, version, marker, url=self.reader.local_path(value)))
        else:
            self.reader.error(
                line, name, f"unknown source {source!r}: this package is not analysed"
            )

    def _forks(self, forks: list[object], line: int) -> str | None:
        try:
            return join_or(normalized(str(f)) for f in forks)
        except InvalidMarker as exc:
            self.reader.error(line, str(forks), f"invalid resolution-markers: {exc}")
            return None

    def _warn_project(self, index: int) -> None:
        package = self.packages[index]
        kind = self._source_kind(package)
        where = package["source"][kind]
        self.reader.warn(
            self.lines[index],
            f"{package['name']} is a project of this workspace ({kind} = {where!r}): it is "
            "built, not analysed; its locked dependencies are",
        )

    @staticmethod
    def _source_kind(package: dict[str, Any]) -> str | None:
        source = package.get("source")
        return next(iter(source), None) if isinstance(source, dict) else None

    @staticmethod
    def _table(value: object) -> dict[NormalizedName, Any]:
        return (
            {canonicalize_name(k): v for k, v in value.items()} if isinstance(value, dict) else {}
        )


def _absorb(terms: Terms) -> Terms:
    """Drop alternatives implied by shorter ones: (a) or (a and b) is (a)."""
    kept: list[frozenset[str]] = []
    for term in sorted(terms, key=len):
        if not any(k <= term for k in kept):
            kept.append(term)
    return frozenset(kept)


def _to_marker(terms: Terms) -> str | None:
    if frozenset() in terms:
        return None
    return join_or(join_and(sorted(t)) for t in sorted(terms, key=sorted))


def _file_hashes(package: dict[str, Any]) -> list[object]:
    files = [package.get("sdist"), *as_list(package.get("wheels"))]
    return [f.get("hash") for f in files if isinstance(f, dict)]


def _git_url(source: str) -> str:
    """uv's ``https://host/repo?rev=v1#<commit>`` -> pip's ``git+https://host/repo@<commit>``."""
    parts = urlsplit(source.removeprefix("git+"))
    query = parse_qs(parts.query)
    revision = parts.fragment or next(
        (query[k][0] for k in ("rev", "tag", "branch") if k in query), None
    )
    url = "git+" + urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    if revision:
        url += f"@{revision}"
    if "subdirectory" in query:
        url += f"#subdirectory={query['subdirectory'][0]}"
    return url
