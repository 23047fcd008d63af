"""Is the image's library new enough (or not too new) for the sdist? Read statically.

What the sdist needs comes from its own files, each with the file and line that say it:
- C preprocessor guards ending in `#error` on a library's version macros (inspect/guards.py);
- pkg-config minimums in setup.py/setup.cfg (`--atleast-version`), meson.build
  (`dependency('x', version: '>=1.2')`) and CMakeLists.txt (`pkg_check_modules(X x>=1.2)`,
  `find_package(X 1.2 REQUIRED)`);
- minimum-version constants in setup.py (`PROJ_MIN_VERSION = (9, 4, 0)`).
What the image has comes from data/sysdeps/versions.tsv.gz (scripts/build_library_versions.py):
the upstream version of the package that ships the library's pkg-config file.
"""

from __future__ import annotations

import functools
import gzip
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import InvalidSdistFilename, parse_sdist_filename
from packaging.version import InvalidVersion, Version

from .. import kb
from ..models import SystemVersionProblem
from .cexpr import CExpressionError, evaluate_tokens, tokenize
from .infer import pkgconfig_package, to_alpine

if TYPE_CHECKING:  # read by annotations only: the archive reader is not loaded for them
    from ..inspect.sdist import SdistInfo

Encode = Callable[[int, int, int], int]


@dataclass(frozen=True)
class Library:
    """A library's version macros, as its headers define them from (major, minor, patch)."""

    pkgconfig: str
    header: str  # included by sources that use the system copy
    macros: dict[str, Encode]
    functions: dict[str, Encode] = field(default_factory=dict)  # FOO_MAKE_VERSION(a, b, c)
    # FOO_AT_LEAST(a, b, c) is FOO_VERSION_NUMBER >= encode(a, b, c): (the number's macro, encode)
    tests: dict[str, tuple[str, Encode]] = field(default_factory=dict)


def _split(prefix: str, names: tuple[str, str, str]) -> dict[str, Encode]:
    major, minor, patch = names
    return {
        f"{prefix}{major}": lambda a, b, c: a,
        f"{prefix}{minor}": lambda a, b, c: b,
        f"{prefix}{patch}": lambda a, b, c: c,
    }


def _decimal(scale: tuple[int, int, int]) -> Encode:
    return lambda a, b, c: a * scale[0] + b * scale[1] + c * scale[2]


def _shifted(shifts: tuple[int, int, int], low: int = 0) -> Encode:
    return lambda a, b, c: (a << shifts[0]) | (b << shifts[1]) | (c << shifts[2]) | low


_MMP = ("MAJOR", "MINOR", "PATCH")
# From each library's version header (rdkafka.h, git2/version.h, proj.h, gdal_version.h,
# heif_version.h, ldap_features.h, curlver.h, xmlversion.h, sqlite3.h, zmq.h, cairo-version.h,
# geos_c.h, H5public.h, archive.h, lz4.h, zstd.h, libvirt-common.h).
LIBRARIES: dict[str, Library] = {
    "librdkafka": Library(
        "rdkafka",
        "librdkafka/rdkafka.h",
        {"RD_KAFKA_VERSION": _shifted((24, 16, 8), 0xFF)},  # 0xMMmmrrxx, xx=0xff: a release
    ),
    "libgit2": Library(
        "libgit2",
        "git2.h",
        {
            **_split("LIBGIT2_VER_", ("MAJOR", "MINOR", "REVISION")),
            "LIBGIT2_VERSION_NUMBER": _decimal((1000000, 10000, 100)),
        },
        {},
        {"LIBGIT2_VERSION_CHECK": ("LIBGIT2_VERSION_NUMBER", _decimal((1000000, 10000, 100)))},
    ),
    "PROJ": Library(
        "proj",
        "proj.h",
        {**_split("PROJ_VERSION_", _MMP), "PROJ_VERSION_NUMBER": _decimal((10000, 100, 1))},
        {"PROJ_COMPUTE_VERSION": _decimal((10000, 100, 1))},
        {"PROJ_AT_LEAST_VERSION": ("PROJ_VERSION_NUMBER", _decimal((10000, 100, 1)))},
    ),
    "GDAL": Library(
        "gdal",
        "gdal.h",
        {
            **_split("GDAL_VERSION_", ("MAJOR", "MINOR", "REV")),
            "GDAL_VERSION_NUM": _decimal((1000000, 10000, 100)),
        },
        {"GDAL_COMPUTE_VERSION": _decimal((1000000, 10000, 100))},
    ),
    "libheif": Library(
        "libheif",
        "libheif/heif.h",
        {"LIBHEIF_NUMERIC_VERSION": _shifted((24, 16, 8))},
        {"LIBHEIF_MAKE_VERSION": _shifted((24, 16, 8))},
        {"LIBHEIF_HAVE_VERSION": ("LIBHEIF_NUMERIC_VERSION", _shifted((24, 16, 8)))},
    ),
    "OpenLDAP": Library(
        "ldap",
        "ldap.h",
        {**_split("LDAP_VENDOR_VERSION_", _MMP), "LDAP_VENDOR_VERSION": _decimal((10000, 100, 1))},
    ),
    "libcurl": Library(
        "libcurl",
        "curl/curl.h",
        {**_split("LIBCURL_VERSION_", _MMP), "LIBCURL_VERSION_NUM": _shifted((16, 8, 0))},
        {},
        {"CURL_AT_LEAST_VERSION": ("LIBCURL_VERSION_NUM", _shifted((16, 8, 0)))},
    ),
    "libxml2": Library(
        "libxml-2.0", "libxml/xmlversion.h", {"LIBXML_VERSION": _decimal((10000, 100, 1))}
    ),
    "SQLite": Library(
        "sqlite3", "sqlite3.h", {"SQLITE_VERSION_NUMBER": _decimal((1000000, 1000, 1))}
    ),
    "libzmq": Library(
        "libzmq",
        "zmq.h",
        {**_split("ZMQ_VERSION_", _MMP), "ZMQ_VERSION": _decimal((10000, 100, 1))},
        {"ZMQ_MAKE_VERSION": _decimal((10000, 100, 1))},
    ),
    "cairo": Library(
        "cairo",
        "cairo.h",
        {
            **_split("CAIRO_VERSION_", ("MAJOR", "MINOR", "MICRO")),
            "CAIRO_VERSION": _decimal((10000, 100, 1)),
        },
        {"CAIRO_VERSION_ENCODE": _decimal((10000, 100, 1))},
    ),
    "GEOS": Library("geos", "geos_c.h", _split("GEOS_VERSION_", _MMP)),
    "HDF5": Library(
        "hdf5",
        "hdf5.h",
        _split("H5_VERS_", ("MAJOR", "MINOR", "RELEASE")),
    ),
    "libarchive": Library(
        "libarchive", "archive.h", {"ARCHIVE_VERSION_NUMBER": _decimal((1000000, 1000, 1))}
    ),
    "LZ4": Library(
        "liblz4",
        "lz4.h",
        {
            **_split("LZ4_VERSION_", ("MAJOR", "MINOR", "RELEASE")),
            "LZ4_VERSION_NUMBER": _decimal((10000, 100, 1)),
        },
    ),
    "zstd": Library(
        "libzstd",
        "zstd.h",
        {
            **_split("ZSTD_VERSION_", ("MAJOR", "MINOR", "RELEASE")),
            "ZSTD_VERSION_NUMBER": _decimal((10000, 100, 1)),
        },
    ),
    # PG_VERSION_NUM is major*10000 + minor from PostgreSQL 10 on, 90105 for 9.1.5 before
    "libpq": Library(
        "libpq",
        "libpq-fe.h",
        {"PG_VERSION_NUM": lambda a, b, c: a * 10000 + (b if a >= 10 else b * 100 + c)},
    ),
    "libvirt": Library(
        "libvirt", "libvirt/libvirt.h", {"LIBVIR_VERSION_NUMBER": _decimal((1000000, 1000, 1))}
    ),
}
# setup.py constants such as PROJ_MIN_VERSION = (9, 4, 0) or GDAL_MIN_VERSION = "3.1"
_CONSTANT_PREFIXES = {
    "PROJ": "proj",
    "GDAL": "gdal",
    "GEOS": "geos",
    "LIBGIT2": "libgit2",
    "LIBHEIF": "libheif",
    "RDKAFKA": "rdkafka",
    "LIBRDKAFKA": "rdkafka",
}
# CMake's own Find modules and the pkg-config name of the same library
_CMAKE_NAMES = {
    "PROJ": "proj",
    "GDAL": "gdal",
    "GEOS": "geos",
    "CURL": "libcurl",
    "LibXml2": "libxml-2.0",
    "HDF5": "hdf5",
    "SQLite3": "sqlite3",
    "libgit2": "libgit2",
}
_MAX_RELEASE_PART = 99
FAMILIES = ("bookworm", "trixie", "alpine")


@dataclass
class Need:
    """One statement of the sdist about a library's version, and where it says it."""

    pkgconfig: str
    evidence: str  # path:line inside the sdist
    accepts: Callable[[tuple[int, int, int]], bool | None]  # None: cannot tell
    describe: Callable[[], str]  # ">=2.16.0", as people read it (worked out when shown)

    @functools.cached_property
    def text(self) -> str:
        return self.describe()


def sdist_needs(sdist: SdistInfo) -> list[Need]:
    """Every version statement the sdist makes about a system library, and the documented
    ones of its project (data/sysdeps/documented_versions.json)."""
    needs = _guard_needs(sdist) + _documented_needs(sdist.filename)
    for path, text in sdist.texts.items():
        name = path.rsplit("/", 1)[-1]
        if name in ("setup.py", "setup.cfg") or re.match(r"_?setup[\w-]*\.py$", name):
            needs += _setup_needs(path, text)
        elif name == "meson.build":
            needs += _meson_needs(path, text)
        elif name == "CMakeLists.txt":
            needs += _cmake_needs(path, text)
    return needs


def check(sdist: SdistInfo, family: str) -> list[SystemVersionProblem]:
    """The sdist's version statements the family's library does not meet, one per library."""
    problems: dict[str, SystemVersionProblem] = {}
    for need in sdist_needs(sdist):
        if need.pkgconfig in problems:
            continue
        found = image_library(need.pkgconfig, family)
        if found is None:
            continue
        package, have = found
        if need.accepts(_triple(have)) is False:
            problems[need.pkgconfig] = SystemVersionProblem(
                package=package,
                library=need.pkgconfig,
                have=have,
                need=need.text,
                evidence=need.evidence,
            )
    return list(problems.values())


def accepted_by(sdist: SdistInfo, problem: SystemVersionProblem, have: str) -> bool | None:
    """Whether this sdist's statements about the problem's library accept ``have``: True when
    it states some and none refuses, False when one refuses, None when it states none."""
    version = _triple(have)
    answers = [
        need.accepts(version) for need in sdist_needs(sdist) if need.pkgconfig == problem.library
    ]
    if False in answers:
        return False
    return True if answers else None


def accepts_version(problem: SystemVersionProblem, have: str) -> bool:
    """Whether ``have`` meets the problem's need (its text: a specifier such as >=2.16.0)."""
    try:
        specifier = SpecifierSet(problem.need)
        return specifier.contains(Version(".".join(map(str, _triple(have)))), prereleases=True)
    except (InvalidSpecifier, InvalidVersion):
        return False


def display_name(pkgconfig: str) -> str:
    """librdkafka for rdkafka, PROJ for proj: how the library's own project names it."""
    return next((name for name, lib in LIBRARIES.items() if lib.pkgconfig == pkgconfig), pkgconfig)


@cache
def alpine_snapshot() -> str:
    """The date of the aports data the Alpine versions come from (the table's first line)."""
    head = gzip.decompress(kb.read_bytes("sysdeps/versions.tsv.gz")).split(b"\n", 1)[0]
    match = re.search(rb"aports snapshot (\S+?);", head)
    return match[1].decode() if match else "unknown"


def image_library(pkgconfig: str, family: str) -> tuple[str, str] | None:
    """(package, upstream version) of the library's -dev package in the family, if known."""
    suite = "bookworm" if family == "alpine" else family
    debian = pkgconfig_package(pkgconfig, suite)
    if debian is None:
        return None
    package = debian
    if family == "alpine":
        mapped = to_alpine([debian], runtime=False)[0]
        if not mapped:
            return None
        package = mapped[0]
    version = release_versions(family).get(package)
    return (package, version) if version else None


@kb.loaded_once
def release_versions(family: str) -> dict[str, str]:
    """package -> upstream version in one release (Debian suite, or "alpine")."""
    versions: dict[str, str] = {}
    data = gzip.decompress(kb.read_bytes("sysdeps/versions.tsv.gz"))
    for line in io.StringIO(data.decode("utf-8")):
        release, _, rest = line.partition("\t")
        if release == family:
            package, version = rest.split("\t", 2)[:2]
            versions[package] = version
    return versions


def _triple(text: str) -> tuple[int, int, int]:
    parts = [int(p) for p in re.findall(r"\d+", text)[:3]]
    while len(parts) < 3:
        parts.append(0)
    return parts[0], parts[1], parts[2]


@cache
def _documented() -> dict[str, dict[str, str]]:
    projects: dict[str, dict[str, str]] = kb.load_json("sysdeps/documented_versions.json")[
        "projects"
    ]
    return projects


def _documented_needs(filename: str) -> list[Need]:
    try:
        name, version = parse_sdist_filename(filename)
    except (InvalidSdistFilename, InvalidVersion):
        return []
    fact = _documented().get(name)
    if fact is None or version not in SpecifierSet(fact.get("releases", "")):
        return []
    need = _spec_need(fact["library"], fact["need"].format(version=version.base_version), "")
    if need is None:
        return []
    need.evidence = fact["evidence"]  # starts with "documented:" (resolve/versionfix.py)
    return [need]


# ---------------------------------------------------------------- C guards


def _guard_needs(sdist: SdistInfo) -> list[Need]:
    needs = []
    local = {h.rsplit("/", 1)[-1] for h in sdist.headers}
    for raw in sdist.version_guards:
        condition, defines = str(raw["condition"]), raw.get("defines")
        library = _library_of(condition, defines if isinstance(defines, dict) else {})
        if library is None:
            continue
        # a copy of the library inside the sdist answers its own guards
        if library.header.rsplit("/", 1)[-1] in local:
            continue
        used = {str(k): str(v) for k, v in defines.items()} if isinstance(defines, dict) else {}
        fires = _guard_function(library, condition, used)
        accepts = _negate(fires)
        evidence = f"{raw['path']}:{raw['line']}"
        needs.append(
            Need(library.pkgconfig, evidence, accepts, functools.partial(_need_text, accepts))
        )
    return needs


def _library_of(condition: str, defines: dict[object, object]) -> Library | None:
    names = set(re.findall(r"[A-Za-z_]\w*", condition + " " + " ".join(map(str, defines.values()))))
    found = [
        lib
        for lib in LIBRARIES.values()
        if names & (set(lib.macros) | set(lib.functions) | set(lib.tests))
    ]
    return found[0] if len(found) == 1 else None


def _guard_function(
    library: Library, condition: str, defines: dict[str, str]
) -> Callable[[tuple[int, int, int]], bool | None]:
    names = set(library.macros)
    try:
        tokens = tokenize(condition, names, defines, set(library.functions) | set(library.tests))
    except CExpressionError:
        return lambda version: None

    def fires(version: tuple[int, int, int]) -> bool | None:
        values = {name: encode(*version) for name, encode in library.macros.items()}
        functions: dict[str, Callable[..., int]] = dict(library.functions)
        for name, (number, encode) in library.tests.items():
            have = values[number]
            functions[name] = lambda *args, h=have, e=encode: int(h >= e(*args))
        try:
            return bool(evaluate_tokens(tokens, values, functions))
        except CExpressionError:
            return None

    return fires


def _negate(
    fires: Callable[[tuple[int, int, int]], bool | None],
) -> Callable[[tuple[int, int, int]], bool | None]:
    def accepts(version: tuple[int, int, int]) -> bool | None:
        result = fires(version)
        return None if result is None else not result

    return accepts


@cache
def _grid() -> list[tuple[int, int, int]]:
    return [(a, b, 0) for a in range(41) for b in range(_MAX_RELEASE_PART + 1)]


def _need_text(accepts: Callable[[tuple[int, int, int]], bool | None]) -> str:
    """ ">=2.16.0" or ">=1.9.0,<1.10.0": where the answer changes on a grid of versions."""
    grid = _grid()
    states = [accepts(v) for v in grid]
    if None in states:
        return "see the guard"
    parts = []
    for i in range(1, len(grid)):
        if states[i] == states[i - 1]:
            continue
        boundary = grid[i]
        major, minor, _ = grid[i - 1]
        for patch in range(1, _MAX_RELEASE_PART + 1):
            if accepts((major, minor, patch)) != states[i - 1]:
                boundary = (major, minor, patch)
                break
        parts.append((">=" if states[i] else "<") + ".".join(map(str, boundary)))
        if len(parts) > 2:
            return "see the guard"
    return ",".join(parts)


# ---------------------------------------------------------------- build files


def _lines(text: str) -> list[tuple[int, str]]:
    return list(enumerate(text.splitlines(), start=1))


def _spec_need(pkgconfig: str, spec: str, evidence: str) -> Need | None:
    try:
        specifier = SpecifierSet(spec.replace(" ", ""))
    except InvalidSpecifier:
        return None

    def accepts(version: tuple[int, int, int]) -> bool | None:
        try:
            return specifier.contains(Version(".".join(map(str, version))), prereleases=True)
        except InvalidVersion:
            return None

    return Need(pkgconfig, evidence, accepts, lambda: str(specifier))


_ATLEAST = re.compile(
    r"""atleast-version[=\s'",]+(\d+(?:\.\d+)*)['"]?\s*,?\s*['"]([\w.+-]+)['"]"""
    r"""|['"]([\w.+-]+)\s*(>=|>)\s*(\d+(?:\.\d+)*)['"]"""
)
# a "name >= 1.2" string counts only beside a pkg-config call, not in setup_requires lists
_PKGCONFIG_CONTEXT = re.compile(
    r"atleast-version|pkg-config|pkgconfig\.(?:installed|exists|parse)|PKG_CONFIG", re.I
)
_CONSTANT = re.compile(
    r"^\s*([A-Z0-9]+)_MIN(?:IMUM)?_VERSION\s*=\s*[\w.]*\(?\s*\(?\s*['\"]?"
    r"(\d+)(?:['\"]?\s*[.,]\s*['\"]?(\d+))?(?:['\"]?\s*[.,]\s*['\"]?(\d+))?"
)


def _setup_needs(path: str, text: str) -> list[Need]:
    needs = []
    for number, line in _lines(text):
        evidence = f"{path}:{number}"
        constant = _CONSTANT.match(line)
        if constant and constant[1] in _CONSTANT_PREFIXES:
            version = ".".join(p for p in constant.group(2, 3, 4) if p)
            need = _spec_need(_CONSTANT_PREFIXES[constant[1]], f">={version}", evidence)
            needs += [need] if need else []
            continue
        if not _PKGCONFIG_CONTEXT.search(line):
            continue
        for match in _ATLEAST.finditer(line):
            if match[1]:
                need = _spec_need(match[2], f">={match[1]}", evidence)
            else:
                need = _spec_need(match[3], f"{match[4]}{match[5]}", evidence)
            needs += [need] if need else []
    return needs


_MESON = re.compile(r"""dependency\(\s*'([^']+)'([^)]*)\)""")
_MESON_VERSION = re.compile(r"""version\s*:\s*(\[[^\]]*\]|'[^']*')""")


def _meson_needs(path: str, text: str) -> list[Need]:
    needs = []
    for match in _MESON.finditer(text):
        version = _MESON_VERSION.search(match[2])
        if version is None or re.search(r"required\s*:\s*false", match[2]):
            continue  # an optional dependency's version decides nothing
        specs = re.findall(r"'([^']*)'", version[1])
        line = text.count("\n", 0, match.start()) + 1
        need = _spec_need(match[1], ",".join(specs), f"{path}:{line}")
        needs += [need] if need else []
    return needs


_PKG_CHECK = re.compile(r"pkg_(?:check|search)_modules?\s*\(\s*\w+\s+((?:[^)])*)\)", re.I | re.S)
_FIND_PACKAGE = re.compile(r"find_package\s*\(\s*(\w+)\s+(\d+(?:\.\d+)*)\b([^)]*)\)", re.I)


def _cmake_needs(path: str, text: str) -> list[Need]:
    needs = []
    for match in _PKG_CHECK.finditer(text):
        if "REQUIRED" not in match[1]:
            continue
        line = text.count("\n", 0, match.start()) + 1
        for name, op, version in re.findall(r"([\w.+-]+)\s*(>=|=|<=)\s*(\d+(?:\.\d+)*)", match[1]):
            need = _spec_need(name, f"{'==' if op == '=' else op}{version}", f"{path}:{line}")
            needs += [need] if need else []
    for match in _FIND_PACKAGE.finditer(text):
        pkgconfig = _CMAKE_NAMES.get(match[1])
        if pkgconfig and "REQUIRED" in match[3]:
            line = text.count("\n", 0, match.start()) + 1
            exact = "EXACT" in match[3]
            need = _spec_need(pkgconfig, f"{'==' if exact else '>='}{match[2]}", f"{path}:{line}")
            needs += [need] if need else []
    return needs
