"""What input files become: located requirements, pip's index options, chosen extras/groups.

The readers (requirements files, pyproject.toml, lock files) all produce these values, so the
rest of wheelfit never needs to know which format a requirement came from.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from packaging.requirements import Requirement
from packaging.utils import NormalizedName, canonicalize_name

from ..models import InputError


@dataclass(frozen=True)
class InputRequirement:
    """One requirement line as the user wrote it."""

    file: str
    line: int
    text: str
    requirement: Requirement | None  # None for a direct reference without a name
    constraint: bool = False
    hashes: tuple[str, ...] = ()  # "sha256:..." as written
    direct_url: str | None = None  # URL, VCS URL or local path of a direct reference
    editable: bool = False

    @property
    def name(self) -> NormalizedName | None:
        return canonicalize_name(self.requirement.name) if self.requirement else None

    @property
    def origin(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass
class FormatControl:
    """pip's --only-binary / --no-binary sets, with pip's rules for :all: and :none:."""

    no_binary: set[str] = field(default_factory=set)
    only_binary: set[str] = field(default_factory=set)

    def add_only_binary(self, value: str) -> None:
        self._update(value, self.only_binary, self.no_binary)

    def add_no_binary(self, value: str) -> None:
        self._update(value, self.no_binary, self.only_binary)

    @staticmethod
    def _update(value: str, target: set[str], other: set[str]) -> None:
        names = value.split(",")
        while ":all:" in names:
            other.clear()
            target.clear()
            target.add(":all:")
            del names[: names.index(":all:") + 1]
            if ":none:" not in names:
                return
        for name in names:
            if name == ":none:":
                target.clear()
                continue
            canonical = canonicalize_name(name)
            other.discard(canonical)
            target.add(canonical)

    def allows_wheels(self, name: str) -> bool:
        return "binary" in self.allowed_formats(name)

    def allows_sdists(self, name: str) -> bool:
        return "source" in self.allowed_formats(name)

    def allowed_formats(self, name: str) -> set[str]:
        # Same precedence as pip: a named entry beats :all:, only-binary beats no-binary.
        result = {"binary", "source"}
        if name in self.only_binary:
            result.discard("source")
        elif name in self.no_binary:
            result.discard("binary")
        elif ":all:" in self.only_binary:
            result.discard("source")
        elif ":all:" in self.no_binary:
            result.discard("binary")
        return result

    def apply(self, kind: str, value: str) -> None:
        """One ``--only-binary``/``--no-binary`` value, in the order pip meets them."""
        if kind == "only-binary":
            self.add_only_binary(value)
        elif kind == "no-binary":
            self.add_no_binary(value)
        else:
            raise ValueError(f"not a format option: {kind}")

    def copy(self) -> FormatControl:
        return FormatControl(set(self.no_binary), set(self.only_binary))


@dataclass
class IndexOptions:
    """pip's index and format options, as pip holds them after reading everything.

    pip builds them from its command line first, then every requirements file changes them
    line by line in reading order (pip's req_file.handle_option_line): a file's --index-url
    replaces every index URL given so far, and its --only-binary/--no-binary apply after the
    command line's. The readers therefore start from the command line's values.
    """

    index_url: str | None = None
    extra_index_urls: list[str] = field(default_factory=list)
    no_index: bool = False
    find_links: list[str] = field(default_factory=list)
    pre: bool = False
    prefer_binary: bool = False
    require_hashes: bool = False
    format_control: FormatControl = field(default_factory=FormatControl)

    def replace_index(self, url: str) -> None:
        """A file's --index-url: pip keeps only this one, dropping earlier extra indexes."""
        if not self.no_index:
            self.index_url = url
            self.extra_index_urls.clear()

    def add_extra_indexes(self, urls: Iterable[str]) -> None:
        if not self.no_index:
            self.extra_index_urls.extend(u for u in urls if u not in self.extra_index_urls)

    def drop_indexes(self) -> None:
        """--no-index: only --find-links locations are read from here on."""
        self.no_index = True
        self.index_url = None
        self.extra_index_urls.clear()

    def copy(self) -> IndexOptions:
        return IndexOptions(
            self.index_url,
            list(self.extra_index_urls),
            self.no_index,
            list(self.find_links),
            self.pre,
            self.prefer_binary,
            self.require_hashes,
            self.format_control.copy(),
        )


@dataclass(frozen=True)
class LockScope:
    """Where a lock file says it can be installed: installers refuse it elsewhere."""

    file: str
    line: int | None
    what: str  # the key, as the file spells it: "environments", "supported-markers", ...
    requires_python: str | None = None
    markers: tuple[str, ...] = ()  # one of them must hold (none: any environment)


@dataclass
class ParsedInputs:
    requirements: list[InputRequirement] = field(default_factory=list)
    options: IndexOptions = field(default_factory=IndexOptions)
    errors: list[InputError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    scopes: list[LockScope] = field(default_factory=list)
    # every requirements file read, given or included by -r/-c, as its path was written
    # (joined to the including file's folder): a Dockerfile copies them all for pip
    files: list[str] = field(default_factory=list)

    @property
    def constraints(self) -> list[InputRequirement]:
        return [r for r in self.requirements if r.constraint]

    @property
    def installs(self) -> list[InputRequirement]:
        return [r for r in self.requirements if not r.constraint]


@dataclass(frozen=True)
class Selection:
    """Which extras and dependency groups of a project (or lock) to include.

    Requirements files have neither; the pyproject.toml and lock file readers honour both.
    """

    extras: frozenset[NormalizedName] = frozenset()
    groups: frozenset[NormalizedName] = frozenset()
    all_extras: bool = False

    @classmethod
    def from_names(
        cls, extras: Iterable[str], groups: Iterable[str], all_extras: bool
    ) -> Selection:
        # extra and group names compare normalized (PEP 685, PEP 735)
        return cls(
            frozenset(canonicalize_name(e) for e in extras),
            frozenset(canonicalize_name(g) for g in groups),
            all_extras,
        )

    @property
    def empty(self) -> bool:
        return not (self.extras or self.groups or self.all_extras)

    def extras_from(self, known: Iterable[str]) -> set[NormalizedName]:
        """The extras to include among ``known`` (all of them with all_extras)."""
        names = {canonicalize_name(k) for k in known}
        return names if self.all_extras else names & self.extras
