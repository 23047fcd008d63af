"""The values that flow through wheelfit: targets, index files, and per-package results."""

from __future__ import annotations

import enum
import functools
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from itertools import accumulate
from pathlib import Path

import zstandard
from packaging.tags import Tag
from packaging.utils import NormalizedName
from packaging.version import Version

from .errors import redact_url

__version__ = "0.1.0"  # wheelfit's own; the build reads it from here (pyproject.toml)


class Status(str, enum.Enum):
    """How a package installs on a target. The values are the JSON and CLI spellings."""

    WHEEL = "wheel"
    SDIST_PURE = "sdist-pure"
    SDIST_NATIVE = "sdist-native"
    UNAVAILABLE = "unavailable"
    DIRECT = "direct"

    def __str__(self) -> str:
        return self.value


class Libc(str, enum.Enum):
    GLIBC = "glibc"
    MUSL = "musl"

    def __str__(self) -> str:
        return self.value


def short_target_id(target_id: str) -> str:
    """A target id as reports print it: the default architecture (amd64) left out."""
    return target_id.removesuffix("@amd64")


@dataclass(frozen=True)
class Target:
    """One base image (or raw platform) for one CPU and one Python version.

    Everything wheelfit needs to behave like pip *inside* that image: tags and markers are
    derived from these fields, never from the machine wheelfit runs on.
    """

    id: str
    image: str | None  # Docker tag, or None for a raw --platform target
    libc: Libc
    libc_version: tuple[int, int]
    arch: str  # Docker's name: amd64, arm64
    machine: str  # the kernel's name: x86_64, aarch64
    python_version: tuple[int, int]
    python_full_version: str
    free_threaded: bool = False
    has_compiler: bool = False
    distro: str | None = None  # e.g. "debian bookworm", "alpine 3.24"
    platforms: tuple[str, ...] = ()  # explicit platform tags (raw targets); else derived
    kind: str | None = None  # "python" (full), "slim", "alpine", "ubuntu", "distroless", "probe"
    release: str | None = None  # distribution release: "bookworm", "trixie", "alpine3.24", "noble"
    # Where the image's Python comes from: "official" (built into /usr/local with its headers),
    # "distribution" (apt's python3: headers in python3-dev), "probe" (as a profile says).
    python_source: str = "official"
    python_packages: tuple[str, ...] = ()  # what installs the Python (ubuntu: python3 python3-venv)
    pep668: bool = False  # pip refuses to install outside a venv (EXTERNALLY-MANAGED)
    pip: bool = True
    shell: bool = True
    final_stage_only: bool = False  # distroless: no shell, pip or package manager
    build_image: str | None = None  # where a final-stage-only image's packages are built
    package_manager: str | None = None  # "apt", "apk", "dnf", ... or None
    # packages installed in the image, when a profile lists them (else the shipped inventory)
    installed: tuple[str, ...] | None = None
    size_bytes: int | None = None  # the image's size, when a profile gives it

    @property
    def family(self) -> str | None:
        """The package-name family of the image: bookworm, trixie or alpine (None when raw)."""
        if self.release is None:
            return None
        return "alpine" if self.release.startswith("alpine") else self.release

    @property
    def short_id(self) -> str:
        return short_target_id(self.id)

    @property
    def python(self) -> str:
        suffix = "t" if self.free_threaded else ""
        return f"{self.python_version[0]}.{self.python_version[1]}{suffix}"

    @property
    def libc_version_str(self) -> str:
        return f"{self.libc_version[0]}.{self.libc_version[1]}"


@dataclass(frozen=True, slots=True)
class FileDetails:
    """What the index says of a file beyond what choosing among files needs."""

    filename: str
    url: str
    size: int | None = None
    sha256: str | None = None
    upload_time: str | None = None  # ISO 8601, as the index gives it
    # PEP 658/714: the index serves the core metadata at url + ".metadata"
    has_metadata_file: bool = False
    metadata_sha256: str | None = None
    yanked_reason: str | None = None


class PackedRows:
    """The files of a run of releases of a project page, compressed together.

    A large requirements file's project pages list 200,000+ files whose names, URLs and
    hashes would take ~100 MB as strings, while a run looks at a few versions of each
    project. One compression per run of releases of about 500 files (index/simple.py): the
    compressor's set-up cost per call dominated when each of 16,000 releases was compressed on
    its own. Each release is encoded on its own by the page parser, so that reading one
    release inflates the run but ``decode`` turns only that release's bytes back into rows.

    Zstandard at level 1, not zlib: on awx's 161 pages (49 MB of runs) it compresses in 0.08 s
    against zlib's 0.33 s at its fastest level, inflates in 0.02 s against 0.11 s, and to 12.0
    MB against 15.1 MB (docs/benchmarks.md). A cold run is CPU-bound on two cores: zlib's time
    was time the threads holding the GIL did not get.
    """

    __slots__ = ("_blob", "_decode", "_ends")

    def __init__(
        self, releases: list[bytes], decode: Callable[[memoryview], list[tuple[object, ...]]]
    ) -> None:
        self._ends = array("L", accumulate(map(len, releases)))
        data = b"".join(releases)
        # a compressor object, not zstandard.compress: that writes into a buffer of the worst
        # case's size and then shrinks it, which left a hole in malloc's heap per run (the
        # 161 awx pages held 65 MB, not 38)
        packer = zstandard.ZstdCompressor(level=1).compressobj(size=len(data))
        self._blob = packer.compress(data) + packer.flush()
        self._decode = decode

    @classmethod
    def compressed(
        cls,
        blob: bytes,
        ends: list[int],
        decode: Callable[[memoryview], list[tuple[object, ...]]],
    ) -> PackedRows:
        """A run packed elsewhere (``blob`` and ``ends`` of another PackedRows): the worker
        process packs the pages for the client (index/simple.pack_page)."""
        rows = cls.__new__(cls)
        rows._ends, rows._blob, rows._decode = array("L", ends), blob, decode
        return rows

    def parts(self) -> tuple[bytes, list[int]]:
        """What ``compressed`` takes back: the compressed run and where each release ends."""
        return self._blob, self._ends.tolist()

    def release(self, index: int, inflated: bytes | None = None) -> list[tuple[object, ...]]:
        """The rows of release ``index``; ``inflated``: the run's bytes, when at hand."""
        data = memoryview(self.inflate() if inflated is None else inflated)
        start = self._ends[index - 1] if index else 0
        return self._decode(data[start : self._ends[index]])

    def inflate(self) -> bytes:
        return _inflated(self)


# Reading one release inflates its whole run, and a resolution walking a project's versions
# newest first asks the same run again for each version: an offline run of awx on three
# images inflated 337 runs 1,562 times. The last few runs stay inflated (about 100 KB each).
INFLATED_RUNS_KEPT = 8


@functools.lru_cache(maxsize=INFLATED_RUNS_KEPT)
def _inflated(rows: PackedRows) -> bytes:
    return zstandard.decompress(rows._blob)


NO_TAGS: frozenset[Tag] = frozenset()


class DistFile:
    """One file of a project as the index lists it.

    The fields the finder compares for every file (version, tags, Requires-Python, yanked)
    are attributes; the rest (name, URL, hashes, size) are its FileDetails, which a file of
    an index page reads from its release's packed rows when first asked (ReleaseDetails).
    Two files are equal when all their fields are; the hash uses the light fields only, so
    hashing never unpacks details.
    """

    __slots__ = (
        "_details",
        "_index",
        "is_wheel",
        "project",
        "requires_python",
        "tags",
        "version",
        "yanked",
    )

    def __init__(
        self,
        project: NormalizedName,
        version: Version,
        is_wheel: bool,
        details: FileDetails | ReleaseDetails,
        *,
        index: int = 0,
        tags: frozenset[Tag] = NO_TAGS,
        requires_python: str | None = None,
        yanked: bool = False,
    ) -> None:
        self.project = project
        self.version = version
        self.is_wheel = is_wheel
        self.tags = tags  # empty for sdists
        self.requires_python = requires_python
        self.yanked = yanked
        self._details = details
        self._index = index  # the file's row in its ReleaseDetails

    @property
    def details(self) -> FileDetails:
        details = self._details
        return details if isinstance(details, FileDetails) else details.get(self._index)

    @property
    def filename(self) -> str:
        return self.details.filename

    @property
    def url(self) -> str:
        return self.details.url

    @property
    def size(self) -> int | None:
        return self.details.size

    @property
    def sha256(self) -> str | None:
        return self.details.sha256

    @property
    def upload_time(self) -> str | None:
        return self.details.upload_time

    @property
    def has_metadata_file(self) -> bool:
        return self.details.has_metadata_file

    @property
    def metadata_sha256(self) -> str | None:
        return self.details.metadata_sha256

    @property
    def yanked_reason(self) -> str | None:
        return self.details.yanked_reason

    def _light(self) -> tuple[object, ...]:
        return (
            self.project,
            self.version,
            self.is_wheel,
            self.tags,
            self.requires_python,
            self.yanked,
        )

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if not isinstance(other, DistFile):
            return NotImplemented
        return self._light() == other._light() and self.details == other.details

    def __hash__(self) -> int:
        return hash(self._light())

    def __repr__(self) -> str:
        return f"DistFile({self.filename!r})"


Row = tuple[object, ...]  # one file as a page parser keeps it (index/simple.py), last its position


class ReleaseDetails:
    """The FileDetails of one release's files, made from its packed rows when a file's
    details are first read: a run keeps the light fields of every file it looks at (the
    lenient pass looks at every version of a project) and the details of a few."""

    __slots__ = ("_index", "_make", "_run", "_unpacked")

    def __init__(self, run: PackedRows, index: int, make: Callable[[Row], FileDetails]) -> None:
        self._run, self._index, self._make = run, index, make
        self._unpacked: tuple[FileDetails, ...] | None = None

    def get(self, row: int) -> FileDetails:
        unpacked = self._unpacked
        if unpacked is None:  # two threads may both unpack: the results are equal
            rows = self._run.release(self._index)
            unpacked = self._unpacked = tuple(map(self._make, rows))
        return unpacked[row]


@dataclass(frozen=True)
class InputError:
    """A line (or file) of the user's input that could not be used, with where and why."""

    file: str
    line: int | None
    text: str
    message: str

    def __post_init__(self) -> None:
        # The user's own line goes into every output format: its credentials must not.
        for name in ("file", "text", "message"):
            object.__setattr__(self, name, redact_url(getattr(self, name)))

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}" + (f"\n    {self.text}" if self.text else "")


@dataclass
class PackageResult:
    """The outcome for one package on one target (a row cell of the report)."""

    name: NormalizedName
    version: str | None
    status: Status
    file: str | None = None
    tag: str | None = None
    reason: str = ""
    required_by: list[str] = field(default_factory=list)
    build_only: bool = False
    blocker: bool = False
    # why what is shown for it is partly assumed (a file that could not be read), or None
    incomplete: str | None = None
    languages: list[str] = field(default_factory=list)
    optional_extension: bool = False
    metadata_source: str | None = None
    older_wheel: str | None = None  # "1.2.3 (file.whl)" when an older allowed version has a wheel
    url: str | None = None  # for direct references, with credentials removed
    # the chosen file is yanked (PEP 592): the index's reason, "" when it gives none
    yanked: str | None = None
    notes: list[str] = field(default_factory=list)
    system: SystemNeeds | None = None  # what the image must install to build and to run it
    cost: PackageCost | None = None  # installed size and build time


@dataclass
class SystemNeeds:
    """System packages one package needs on one image, in that image's package names."""

    toolchains: list[str] = field(default_factory=list)  # c, c++, fortran, rust, go
    build_packages: list[str] = field(default_factory=list)  # to install, minus what is there
    runtime_packages: list[str] = field(default_factory=list)
    already_in_image: list[str] = field(default_factory=list)
    source: str = ""  # "knowledge base: ...", "inferred: ...", or "" when unknown
    confidence: str = "unknown"  # high (real build), medium (distro data), low (inferred)
    unknown: bool = False  # native code whose libraries nobody could tell
    rustup: bool = False  # the packaged Rust is too old: the build installs Rust with rustup
    notes: list[str] = field(default_factory=list)
    # the image's library is too old (or too new) for what the sdist's own files require
    version_problems: list[SystemVersionProblem] = field(default_factory=list)


@dataclass
class SystemVersionProblem:
    """An image's library version that the sdist refuses, with where the sdist says so."""

    package: str  # the image's package shipping the library (librdkafka-dev)
    library: str  # its pkg-config name (rdkafka)
    have: str  # the upstream version in the image's release
    need: str  # what the sdist accepts, ">=2.16.0"
    evidence: str  # path:line inside the sdist
    fix: str = ""  # what a person can do: an older release, another image, or build it

    def summary(self) -> str:
        """One line for the table, Markdown, --fail-on and the Dockerfile."""
        line = f"{self.package} {self.have} here, the sdist needs {self.need} ({self.evidence})"
        return f"{line}; fix: {self.fix}" if self.fix else line


@dataclass(frozen=True)
class Seconds:
    """A duration estimate: the likely value and a range around it, with where it came from."""

    low: float
    likely: float
    high: float
    source: str

    def scaled(self, factor: float) -> Seconds:
        return Seconds(self.low * factor, self.likely * factor, self.high * factor, self.source)

    def __add__(self, other: Seconds) -> Seconds:
        return Seconds(
            self.low + other.low, self.likely + other.likely, self.high + other.high, "sum"
        )


@dataclass
class PackageCost:
    installed_bytes: int | None  # None: nothing to measure it from
    installed_source: str
    build_seconds: Seconds | None = None  # None: installs from a wheel, nothing built


@dataclass
class ImageCost:
    base_bytes: int | None
    base_compressed_bytes: int | None
    python_packages_bytes: int
    runtime_system_bytes: int
    build_system_bytes: int  # compilers and -dev packages (what single-stage keeps in addition)
    image_bytes_multi_stage: int | None
    image_bytes_single_stage: int | None
    build_seconds_single_stage: Seconds
    build_seconds_multi_stage: Seconds
    system_install_seconds: Seconds
    sources_builds: int
    unsized: list[str] = field(default_factory=list)  # packages whose size is not known
    notes: list[str] = field(default_factory=list)


@dataclass
class TargetReport:
    target: Target
    packages: list[PackageResult]
    complete: bool = True
    problems: list[str] = field(default_factory=list)
    # top-level requirements whose markers exclude this target: shown, never dropped
    skipped: list[dict[str, str]] = field(default_factory=list)
    cost: ImageCost | None = None  # image size and build time, when costs were estimated
    fetch_errors: dict[str, str] = field(default_factory=dict)  # project -> why unreadable

    def totals(self) -> dict[str, int]:
        counts = {str(status): 0 for status in Status}
        for package in self.packages:
            counts[str(package.status)] += 1
        return counts


@dataclass(frozen=True)
class ImageChoice:
    """One image as the recommendation presents it: the build a person would write there."""

    target: str  # target id
    roles: tuple[str, ...]  # "recommended", "simplest" (nothing to add), "smallest"
    build: str  # "multi-stage" when something compiles with packages to add, else "single-stage"
    image_bytes: int | None  # final image of that build
    build_seconds: Seconds | None
    source_builds: int
    packages_to_add: list[str]  # build stage first, then runtime
    risks: list[str]  # what could make the build fail or differ (recommend.risks)
    summary: str  # one line with the figures


@dataclass(frozen=True)
class Recommendation:
    """Which target to choose (wheelfit.report.recommend ranks them)."""

    target: str  # the winning target's id
    ranking: list[str]  # every target id, best first
    reason: str
    # the recommended image first, then the simplest and the smallest when they differ
    choices: list[ImageChoice] = field(default_factory=list)
    close: list[str] = field(default_factory=list)  # ids within the margin of the winner


@dataclass
class Report:
    inputs: list[str]
    targets: list[TargetReport]
    input_errors: list[InputError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    options: dict[str, object] = field(default_factory=dict)
    # best target first, with the reason (report.recommend); None with one target or no costs
    recommendation: Recommendation | None = None
    # every requirements file the run read, given or included by -r/-c (not in the JSON:
    # a Dockerfile copies them all for pip)
    files_read: list[str] = field(default_factory=list)


@dataclass
class Settings:
    """Options that pip would take on its command line.

    As in pip, the requirements files' own options come after these: a file's --index-url
    replaces ``index_url`` and the extra indexes, its --only-binary/--no-binary apply after
    these. ``format_steps`` are ("only-binary" | "no-binary", value) pairs in the order given
    (pip applies them in order, and ``:all:`` clears earlier ones); ``only_binary`` and
    ``no_binary`` are applied before them, in that order.
    """

    index_url: str | None = None
    extra_index_urls: list[str] = field(default_factory=list)
    no_index: bool = False
    find_links: list[str] = field(default_factory=list)
    pre: bool = False
    prefer_binary: bool = False
    only_binary: list[str] = field(default_factory=list)
    no_binary: list[str] = field(default_factory=list)
    format_steps: list[tuple[str, str]] = field(default_factory=list)
    exclude_newer: datetime | None = None
    cache_dir: Path | None = None
    no_cache: bool = False
    offline: bool = False
    build_requirements: bool = True
    costs: bool = True  # sizes and build times (reads wheel directories: more requests)
    build_speed_factor: float = 1.0  # build times x this (1.0 = the reference machine)
    # what pyproject.toml and lock files include besides their main dependencies
    extras: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    all_extras: bool = False
