"""A project's files as the index pages list them: made into DistFiles a version at a time.

In: the rows a page parser (simple.py) packed per release. Out: ProjectPage, which every later
stage asks for files by version (files_of) or, where it needs them all, for every file.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable

from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName
from packaging.version import Version

from ..models import DistFile, FileDetails, PackedRows, ReleaseDetails, Row


class PackedReleases:
    """One index page's files, kept as packed rows grouped by version, made into DistFiles
    one version at a time, the first time that version is asked for.

    A pinned requirement asks for one version of a project whose page lists hundreds; making
    a DistFile (tags, Requires-Python, details) for every file of every page was a fifth of a
    cold run. ``versions`` are the versions the file names claim: a version's files may still
    all be refused when they are made (a tag that does not parse), so it is a superset.
    """

    __slots__ = ("_all", "_at", "_made", "_make", "_make_details")

    def __init__(
        self,
        at: dict[Version, tuple[PackedRows, int]],
        make: Callable[[Row, ReleaseDetails, int], DistFile | None],
        make_details: Callable[[Row], FileDetails],
    ) -> None:
        self._at = at  # version -> its run of releases and its place in the run
        self._make = make  # a row -> its file (light fields), or None when pip would skip it
        self._make_details = make_details
        # version -> its files; targets ask from several threads: two may make the same
        # version, and setdefault keeps the first one for both
        self._made: dict[Version, tuple[DistFile, ...]] = {}
        self._all: tuple[DistFile, ...] | None = None

    @property
    def versions(self) -> Collection[Version]:
        return self._at.keys()

    def files_of(self, version: Version) -> tuple[DistFile, ...]:
        made = self._made.get(version)
        if made is not None:
            return made
        at = self._at.get(version)
        return self._made.setdefault(version, self._release(*at) if at else ())

    def all_files(self) -> tuple[DistFile, ...]:
        """Every file, in the page's order (a row's last field is its place on the page)."""
        if self._all is None:
            made: list[tuple[int, DistFile]] = []
            inflated: dict[PackedRows, bytes] = {}  # each run once, not once per release
            for version, (run, index) in self._at.items():
                if run not in inflated:
                    inflated[run] = run.inflate()
                rows = run.release(index, inflated[run])
                if version not in self._made:
                    self._made.setdefault(version, self._release(run, index, rows))
                # a made file's _index is its row in the release: rows without a file skipped
                files = {dist._index: dist for dist in self._made[version]}
                made += ((row[-1], files[i]) for i, row in enumerate(rows) if i in files)  # type: ignore[misc]
            self._all = tuple(dist for _, dist in sorted(made, key=lambda pair: pair[0]))
        return self._all

    def _release(
        self, run: PackedRows, index: int, rows: list[Row] | None = None
    ) -> tuple[DistFile, ...]:
        details = ReleaseDetails(run, index, self._make_details)
        made = (
            self._make(row, details, at_row)
            for at_row, row in enumerate(run.release(index) if rows is None else rows)
        )
        return tuple(dist for dist in made if dist is not None)


class ProjectPage:
    """A project's files across its index pages (pip merges them) and --find-links.

    A page parsed from an index keeps its files packed until a version is asked for
    (PackedReleases); other files (--find-links, filtered by upload time) are made at once.
    ``files`` makes every file of every version: the resolver asks ``files_of`` instead.
    """

    __slots__ = ("_parts", "_published", "_versions", "name")

    def __init__(
        self,
        name: NormalizedName,
        files: Iterable[DistFile] = (),
        *,
        releases: Iterable[PackedReleases] = (),
    ) -> None:
        self.name = name
        self._versions: frozenset[Version] | None = None
        self._published: frozenset[Version] | None = None
        self._parts: tuple[PackedReleases | tuple[DistFile, ...], ...] = tuple(releases)
        files = tuple(files)
        if files:
            self._parts += (files,)

    @classmethod
    def joined(cls, name: NormalizedName, pages: Iterable[ProjectPage]) -> ProjectPage:
        """The pages' files one after the other, as pip lists the files of several indexes."""
        page = cls(name)
        page._parts = tuple(part for p in pages for part in p._parts)
        return page

    @property
    def files(self) -> tuple[DistFile, ...]:
        if len(self._parts) == 1:  # the usual page: one index (its files kept, not copied)
            part = self._parts[0]
            return part if isinstance(part, tuple) else part.all_files()
        return tuple(
            dist
            for part in self._parts
            for dist in (part if isinstance(part, tuple) else part.all_files())
        )

    def versions(self) -> frozenset[Version]:
        """Every version some file name claims (files_of may still find none for one)."""
        if self._versions is None:  # a page is complete when made: no lock needed
            found: set[Version] = set()
            for part in self._parts:
                found.update(
                    part.versions if isinstance(part, PackedReleases) else [f.version for f in part]
                )
            self._versions = frozenset(found)
        return self._versions

    def versions_admitted(self, specifier: SpecifierSet) -> list[Version]:
        """The versions ``specifier`` may admit, pre-releases included: which pre-releases
        count depends on the files that fit an image, which the finder decides among these,
        so making only their files changes no answer (tests/test_lazy_releases.py)."""
        return list(specifier.filter(self.versions(), prereleases=True))

    def published_versions(self) -> frozenset[Version]:
        """The versions with a file not yanked (made from every file)."""
        if self._published is None:
            self._published = frozenset(f.version for f in self.files if not f.yanked)
        return self._published

    def files_of(self, version: Version) -> tuple[DistFile, ...]:
        """The files of one version, in page order."""
        if len(self._parts) == 1 and isinstance(self._parts[0], PackedReleases):
            return self._parts[0].files_of(version)  # the usual page: one index
        return tuple(
            dist
            for part in self._parts
            for dist in (
                part.files_of(version)
                if isinstance(part, PackedReleases)
                else [f for f in part if f.version == version]
            )
        )

    def file_named(self, filename: str, version: Version) -> DistFile | None:
        """The file called ``filename`` of ``version`` (only that release's files are made)."""
        return next((f for f in self.files_of(version) if f.filename == filename), None)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ProjectPage):
            return NotImplemented
        return self.name == other.name and self.files == other.files

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"ProjectPage({self.name!r}, {len(self.files)} files)"
