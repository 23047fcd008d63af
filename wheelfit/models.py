"""The values that flow through wheelfit: targets, index files, and per-package results."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from packaging.tags import Tag
from packaging.utils import NormalizedName
from packaging.version import Version

if TYPE_CHECKING:
    from .advice import Recommendation


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
    kind: str | None = None  # image kind: "python" (full), "slim" or "alpine"; None for raw
    release: str | None = None  # distribution release: "bookworm", "trixie", "alpine3.24"

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


@dataclass(frozen=True, slots=True)  # slots: a large file's pages hold 200,000+ of these
class DistFile:
    """One file of a project as the index lists it."""

    filename: str
    url: str
    project: NormalizedName
    version: Version
    is_wheel: bool
    tags: frozenset[Tag] = frozenset()  # empty for sdists
    requires_python: str | None = None
    yanked: bool = False
    yanked_reason: str | None = None
    size: int | None = None
    sha256: str | None = None
    upload_time: str | None = None  # ISO 8601, as the index gives it
    # PEP 658/714: the index serves the core metadata at url + ".metadata"
    has_metadata_file: bool = False
    metadata_sha256: str | None = None
    index_url: str = ""


@dataclass(frozen=True)
class ProjectPage:
    name: NormalizedName
    files: tuple[DistFile, ...]


@dataclass(frozen=True)
class InputError:
    """A line (or file) of the user's input that could not be used, with where and why."""

    file: str
    line: int | None
    text: str
    message: str

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
    languages: list[str] = field(default_factory=list)
    optional_extension: bool = False
    metadata_source: str | None = None
    older_wheel: str | None = None  # "1.2.3 (file.whl)" when an older allowed version has a wheel
    url: str | None = None  # for direct references, with credentials removed
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


@dataclass
class Report:
    inputs: list[str]
    targets: list[TargetReport]
    input_errors: list[InputError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    options: dict[str, object] = field(default_factory=dict)
    # best target first, with the reason (wheelfit.advice); None with one target or no costs
    recommendation: Recommendation | None = None
