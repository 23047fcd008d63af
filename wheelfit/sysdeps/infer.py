"""Static inference of system packages from an sdist the knowledge base does not know.

Evidence, strongest first: programs the build runs to find a library (``pg_config``),
``pkg-config`` names, ``libraries=[...]`` in setup files, and ``#include`` lines of headers the
sdist does not ship. Each is looked up in tables derived from Debian's Contents index
(data/sysdeps/<release>-files.tsv.gz); Alpine names come through the Debian-to-Alpine map.
Nothing from the sdist is run. The answer's confidence is "low": includes may sit behind
``#ifdef`` for optional features or other systems.
"""

from __future__ import annotations

import gzip
import hashlib
import re
import threading
import zlib
from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

from .. import kb
from ..errors import KnowledgeBaseError
from . import knowledge
from .file_index import FileIndex
from .knowledge import FamilyPackages, ProjectFacts
from .name_list import NameList

if TYPE_CHECKING:  # read by annotations only: the archive reader is not loaded for them
    from ..inspect.sdist import SdistInfo

# Programs a setup script runs to find a library, and the Debian package that ships each
# (usr/bin/<name> in bookworm's and trixie's Contents-amd64).
CONFIG_PROGRAMS = {
    "pg_config": "libpq-dev",
    "mysql_config": "default-libmysqlclient-dev",
    "mariadb_config": "libmariadb-dev",
    "xml2-config": "libxml2-dev",
    "xslt-config": "libxslt1-dev",
    "curl-config": "libcurl4-openssl-dev",
    "krb5-config": "libkrb5-dev",
    "gdal-config": "libgdal-dev",
    "geos-config": "libgeos-dev",
    "net-snmp-config": "libsnmp-dev",
    "nc-config": "libnetcdf-dev",
    "libpng-config": "libpng-dev",
    "gpgme-config": "libgpgme-dev",
    "pcap-config": "libpcap-dev",
    "sdl2-config": "libsdl2-dev",
}
_CONFIG_RE = re.compile(r"\b(" + "|".join(re.escape(n) for n in CONFIG_PROGRAMS) + r")\b")
_PKG_CONFIG_RES = (
    re.compile(r"pkgconfig\.(?:parse|exists|cflags|libs|variables)\(\s*['\"]([\w.+-]+)"),
    # meson.build, unless the dependency is optional (required: false)
    re.compile(r"\bdependency\(\s*['\"]([\w.+-]+)['\"](?![^)]*required\s*:\s*false)"),
    re.compile(r"['\"]pkg-config['\"]\s*,\s*(?:['\"]--[\w-]+['\"]\s*,\s*)*['\"]([\w.+-]+)"),
    re.compile(r"pkg-config(?:\s+--[\w-]+)+\s+([\w.+-]+)"),
)
_CMAKE_PKG_RE = re.compile(r"pkg_check_modules\(\s*\w+((?:\s+[\w.+-]+)+)\s*\)", re.I)
_CMAKE_KEYWORDS = {"REQUIRED", "QUIET", "IMPORTED_TARGET", "GLOBAL", "NO_CMAKE_PATH"}
# find_package(X ... REQUIRED) with CMake's own Find modules, and the Debian package each
# looks for (the module's documented library and headers); optional finds are not evidence.
CMAKE_FIND_PACKAGES = {
    "ZLIB": "zlib1g-dev",
    "OpenSSL": "libssl-dev",
    "CURL": "libcurl4-openssl-dev",
    "PNG": "libpng-dev",
    "JPEG": "libjpeg-dev",
    "TIFF": "libtiff-dev",
    "BZip2": "libbz2-dev",
    "LibLZMA": "liblzma-dev",
    "LibXml2": "libxml2-dev",
    "LibXslt": "libxslt1-dev",
    "SQLite3": "libsqlite3-dev",
    "EXPAT": "libexpat1-dev",
    "Freetype": "libfreetype-dev",
    "GDAL": "libgdal-dev",
    "HDF5": "libhdf5-dev",
    "Protobuf": "libprotobuf-dev",
    "Boost": "libboost-dev",
    "Eigen3": "libeigen3-dev",
    "GEOS": "libgeos-dev",
    "PROJ": "libproj-dev",
    "FFTW3": "libfftw3-dev",
    "GSL": "libgsl-dev",
    "LibArchive": "libarchive-dev",
    "Iconv": "",
    "Threads": "",
    "OpenMP": "",
    "Python": "",
    "Python3": "",
    "pybind11": "",
    "nanobind": "",
}
_CMAKE_FIND_RE = re.compile(r"find_package\(\s*(\w+)\b([^)]*)\)", re.I)
_LIBRARIES_RE = re.compile(r"libraries\s*=\s*\[([^\]]*)\]")
_LIBRARY_NAME_RE = re.compile(r"['\"]([\w.+-]+)['\"]")
# libraries every C program has: libc's own parts
_LIBC_LIBRARIES = {"m", "dl", "pthread", "rt", "c", "util", "crypt", "stdc++", "gcc", "gcc_s"}
# a debian package named by inference that the image's compiler setup already covers
_TOOLCHAIN_DEV = {"libc6-dev", "linux-libc-dev", "libcrypt-dev"}


@dataclass
class Evidence:
    """Which Debian packages the sdist points at, and why (for the report)."""

    packages: dict[str, str] = field(default_factory=dict)  # package -> first reason
    pkg_config: bool = False  # the build runs pkg-config


def infer_facts(
    name: str, sdist: SdistInfo, family: str, vendored: Sequence[str] = ()
) -> ProjectFacts | None:
    """Facts for ``family`` (bookworm, trixie, alpine) read from the sdist; None if nothing.

    ``vendored`` are the library files the project's own manylinux wheel carries in
    ``<name>.libs/``: what a source build links to the system's copies of.
    """
    suite = "bookworm" if family == "alpine" else family
    evidence = collect_evidence(sdist, suite)
    add_vendored_evidence(evidence, vendored, suite)
    rust_version = cargo_rust_version(sdist.cargo_toml)
    if not evidence.packages and rust_version is None and not sdist.source_files:
        return None
    build = sorted(evidence.packages)
    if evidence.pkg_config:
        build.append("pkg-config")
    runtime = sorted({r for p in build for r in _files(suite).runtime_for(p)})
    reasons = "; ".join(f"{p} ({why})" for p, why in sorted(evidence.packages.items()))
    unmapped: list[str] = []
    if family == "alpine":
        build, missing_build = to_alpine(build, runtime=False)
        runtime, missing_runtime = to_alpine(runtime, runtime=True)
        unmapped = missing_build + missing_runtime
    return ProjectFacts(
        name=name,
        toolchains=(),
        families={family: FamilyPackages(tuple(build), tuple(runtime))},
        source=f"inferred from {sdist.filename}: "
        + (reasons or "no system library named by its build files or #include lines"),
        confidence="low",
        rust_version=rust_version,
        unmapped=tuple(unmapped),
    )


def collect_evidence(sdist: SdistInfo, suite: str) -> Evidence:
    files = _files(suite)
    evidence = Evidence()
    setup_texts = "\n".join(
        sdist.texts.get(n, "") for n in ("setup.py", "setup.cfg", "pyproject.toml")
    )
    build_texts = setup_texts + "\n" + sdist.texts.get("meson.build", "")
    cmake = sdist.texts.get("CMakeLists.txt", "")

    def add(package: str | None, reason: str) -> None:
        if package and package not in _TOOLCHAIN_DEV:
            evidence.packages.setdefault(package, reason)

    for program in sorted(set(_CONFIG_RE.findall(build_texts))):
        add(CONFIG_PROGRAMS[program], f"runs {program}")
    pc_names = {m for regex in _PKG_CONFIG_RES for m in regex.findall(build_texts)}
    for match in _CMAKE_PKG_RE.findall(cmake):
        pc_names.update(w for w in match.split() if w not in _CMAKE_KEYWORDS)
    for module, arguments in _CMAKE_FIND_RE.findall(cmake):
        if "REQUIRED" in arguments.split() and CMAKE_FIND_PACKAGES.get(module):
            add(CMAKE_FIND_PACKAGES[module], f"find_package({module} REQUIRED)")
    for pc_name in sorted(pc_names):
        package = files.pkgconfig.get(re.split(r"[<>=]", pc_name)[0])
        if package:
            evidence.pkg_config = True
            add(package, f"pkg-config {pc_name}")
    for group in _LIBRARIES_RE.findall(setup_texts):
        for library in _LIBRARY_NAME_RE.findall(group):
            if library not in _LIBC_LIBRARIES and not library.startswith("python"):
                add(files.dev_libs.get(f"lib{library}.so"), f"links -l{library}")
    for include in sdist.includes:
        package = files.header_package(include)
        if package in files.python_build_libraries:
            add(package, f"#include <{include}>")
    return evidence


# auditwheel renames vendored libraries to libfoo-<8 hex>.so.1.2 so they cannot clash
_VENDORED_RE = re.compile(r"^[^/]+\.libs/(lib[\w+.-]*?)(?:-[0-9a-f]{8})?(\.so(?:\.\d+)*)$")
# libraries that come with the compiler, or that every image has: nothing to install
_TOOLCHAIN_LIBRARIES = re.compile(r"^lib(gcc_s|stdc\+\+|gfortran|quadmath|gomp|z|atomic)\.so")


def vendored_libraries(members: Iterable[str]) -> list[str]:
    """Library file names (hash removed) a manylinux wheel vendors in <name>.libs/."""
    found = []
    for member in members:
        match = _VENDORED_RE.match(member)
        if match and not _TOOLCHAIN_LIBRARIES.match(match[1] + match[2]):
            found.append(match[1] + match[2])
    return sorted(set(found))


def add_vendored_evidence(evidence: Evidence, vendored: Sequence[str], suite: str) -> None:
    """Vendored libfoo.so.N -> its Debian library package -> that library's -dev package.

    A wheel vendors the whole closure (libpq brings libssl, libldap, ...); a library that
    another vendored library depends on is left out: apt brings it with the first one.
    """
    files = _files(suite)
    # libraries of the base system (libselinux, libssl, ...) ride along in every wheel's
    # closure; a slim image has them, and a build rarely needs their headers
    base = knowledge.image_packages("slim", suite)
    runtime: dict[str, str] = {}
    for library in vendored:
        package = files.library_package(library)
        if package and package not in base:
            runtime.setdefault(package, library)
    needed_by_others = {dep for package in runtime for dep in files.library_deps.get(package, ())}
    for package, library in sorted(runtime.items()):
        if package in needed_by_others:
            continue
        dev = files.dev_for(package)
        if dev and dev not in _TOOLCHAIN_DEV:
            evidence.packages.setdefault(dev, f"its manylinux wheel vendors {library}")


# the first Rust release of each edition: a crate's edition is a floor when it states no
# rust-version
_EDITION_RUST = {"2018": "1.31", "2021": "1.56", "2024": "1.85"}


def bundled_packages(sdist: SdistInfo, suite: str) -> set[str]:
    """Debian -dev packages whose headers the sdist ships itself: a bundled copy of the
    library that the default build compiles (zstandard's zstd.h and zdict.h, ujson's
    double-conversion).

    Debian builds against the system's copy, so its Build-Depends name the -dev package; a
    pip build does not need it. One header is not enough (gmpy2 ships copies of gmp.h, mpc.h
    and mpfr.h and still links the system libraries): two different ones are.
    """
    # asked by every image of the same suite at about the same time (the images are analysed
    # in parallel): the lock makes the first one compute it and the others wait for it. Kept
    # by a digest of the header list (up to 20,000 paths), not by the list itself.
    joined = "\n".join(sdist.headers).encode("utf-8", "surrogatepass")  # names may hold any
    digest = hashlib.blake2b(joined, digest_size=16).digest()
    with _BUNDLED_LOCK:
        if (digest, suite) not in _BUNDLED:
            if len(_BUNDLED) >= 256:  # a long-lived process analysing many files
                _BUNDLED.clear()
            _BUNDLED[digest, suite] = _bundled(sdist.headers, suite)
        return set(_BUNDLED[digest, suite])


_BUNDLED_LOCK = threading.Lock()
_BUNDLED: dict[tuple[bytes, str], frozenset[str]] = {}


def _bundled(headers: Sequence[str], suite: str) -> frozenset[str]:
    """Each header's longest trailing part that Debian ships (``a/b/zstd.h``: a/b/zstd.h,
    then b/zstd.h, then zstd.h), by package; a package counts when two of its headers match."""
    index = _files(suite).headers
    # a vendored tree (grpcio's 2,000 headers) has few folders, most unknown to Debian
    # (third_party/abseil-cpp/absl/base/): a path under an unknown folder is not looked up
    folder_known: dict[str, bool] = {}
    seen: dict[str, set[str]] = {}
    for header in headers:
        parts = header.split("/")
        for start in range(len(parts)):
            if start < len(parts) - 1:
                folder = "/".join(parts[start:-1]) + "/"
                known = folder_known.get(folder)
                if known is None:
                    known = folder_known[folder] = index.has_folder(folder)
                if not known:
                    continue
            path = "/".join(parts[start:])
            package = index.get(path)
            if package and package != "-":
                seen.setdefault(package, set()).add(path)
                break
    return frozenset(package for package, paths in seen.items() if len(paths) >= 2)


def library_package(soname: str, suite: str) -> str | None:
    """The Debian package shipping this shared library (libpq.so.5 -> libpq5), if known."""
    return _files(suite).library_package(soname)


def runtime_for(dev_package: str, suite: str) -> list[str]:
    return _files(suite).runtime_for(dev_package)


def pkgconfig_package(name: str, suite: str) -> str | None:
    """The Debian package shipping pkg-config's ``name``.pc in the suite."""
    return _files(suite).pkgconfig.get(name)


def cargo_rust_version(cargo_toml: str) -> str | None:
    """The oldest Rust the crate builds with: its ``rust-version``, else its edition's first."""
    match = re.search(r'^\s*rust-version\s*=\s*"([\d.]+)"', cargo_toml, re.M)
    if match:
        return match[1]
    edition = re.search(r'^\s*edition\s*=\s*"(\d{4})"', cargo_toml, re.M)
    return _EDITION_RUST.get(edition[1]) if edition else None


def to_alpine(names: list[str], runtime: bool) -> tuple[list[str], list[str]]:
    """Debian names -> Alpine names that exist in aports, and the names with no counterpart."""
    table = _alpine_map()["runtime" if runtime else "build"]
    return map_to_alpine(names, table, _alpine_names())


def map_to_alpine(
    names: list[str], table: dict[str, list[str]], known: Container[str]
) -> tuple[list[str], list[str]]:
    """Through the name map, else a checked guess; scripts/build_sysdeps.py uses it too."""
    mapped: list[str] = []
    missing: list[str] = []
    for name in names:
        if table.get(name):
            mapped += table[name]
        elif name in table:  # known to have no Alpine counterpart (libsystemd-dev)
            missing.append(name)
        elif (guess := guess_alpine(name, known)) is not None:
            mapped.append(guess)
        else:
            missing.append(name)
    return sorted(set(mapped)), missing


def guess_alpine(debian: str, known: Container[str]) -> str | None:
    """libfoo-dev -> foo-dev or libfoo-dev, libfoo3 -> libfoo or foo: the first that exists."""
    candidates = [debian]
    stem = debian.removesuffix("-dev")
    bare = stem.removeprefix("lib")
    if debian.endswith("-dev"):
        candidates += [f"{bare}-dev", f"lib{bare}-dev", f"{re.sub(r'[0-9.]+$', '', bare)}-dev"]
    else:
        stem = re.sub(r"-?[0-9.]+(-[0-9]+)?(t64)?$", "", debian)
        bare = stem.removeprefix("lib")
        candidates += [stem, bare, f"{bare}-libs"]
    return next((c for c in candidates if c in known), None)


@kb.loaded_once
def _files(suite: str) -> FileIndex:
    table, blocks = f"sysdeps/{suite}-files.tsv.gz", f"sysdeps/{suite}-files.blocks.tsv"
    try:
        return FileIndex(kb.read_bytes(table), kb.read_bytes(blocks).decode("utf-8"))
    except (ValueError, zlib.error) as exc:  # ValueError: UnicodeDecodeError too
        where = f"{kb.data_dir() / table} with {kb.data_dir() / blocks}"
        raise KnowledgeBaseError(f"cannot read {where}: {exc} (reinstall wheelfit)") from exc


@cache
def _alpine_map() -> dict[str, dict[str, list[str]]]:
    document = kb.load_json("sysdeps/debian_to_alpine.json")
    return {"build": document["build"], "runtime": document["runtime"]}


@cache
def _alpine_names() -> NameList:
    data = kb.read_bytes("sysdeps/alpine_names.txt.gz")
    return NameList(gzip.decompress(data).decode().split())
