#!/usr/bin/env python3
"""Regenerate wheelfit's Debian-derived knowledge-base tables from the Debian archive.

Usage:
    python scripts/debian_tables.py --suite bookworm --suite trixie \
        [--arch amd64] [--out data/debian] [--download-dir /work/debian-cache]

For each suite it downloads (and caches, verified against the Release file's SHA256) the
``main`` Packages/Sources indexes of ``<suite>``, ``<suite>-updates`` and ``<suite>-security``
plus the Contents indexes of ``<suite>``, merges them (highest Debian version wins) and writes
the tables described in ``data/debian/README.md``. Standard library only.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import io
import lzma
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

MIRROR = "http://deb.debian.org/debian"
SECURITY_MIRROR = "http://deb.debian.org/debian-security"
COMPONENT = "main"
DEFAULT_KEYRING = Path("/usr/share/keyrings/debian-archive-keyring.gpg")


@dataclass(frozen=True)
class Archive:
    """Where a distribution's suites live. Ubuntu's archive has the same layout as Debian's,
    with its security suite on the main mirror, the packages Debian has in ``main`` split over
    ``main`` and ``universe``, and one Contents file per suite instead of per component."""

    mirror: str
    security_mirror: str
    components: tuple[str, ...]
    contents_per_component: bool


ARCHIVES = {
    "debian": Archive(MIRROR, SECURITY_MIRROR, ("main",), True),
    "ubuntu": Archive(
        "http://archive.ubuntu.com/ubuntu", "http://archive.ubuntu.com/ubuntu",
        ("main", "universe"), False,
    ),
}  # fmt: skip
ARCHIVE = ARCHIVES["debian"]  # set from --archive in main()
USER_AGENT = "wheelfit-debian-tables/1 (+https://github.com/wheelfit)"


# --------------------------------------------------------------------------- versions


def _order(char: str) -> int:
    """Sort weight of one non-digit character (policy 5.6.12): ~ < end < letters < others."""
    if char == "~":
        return -1
    if char.isalpha():
        return ord(char)
    return ord(char) + 256


def _compare_fragment(a: str, b: str) -> int:
    """Compare an upstream_version or debian_revision fragment, alternating non-digit/digit runs."""
    i = j = 0
    while i < len(a) or j < len(b):
        # Non-digit run, compared character by character with _order; end of string weighs 0.
        while (i < len(a) and not a[i].isdigit()) or (j < len(b) and not b[j].isdigit()):
            ca = _order(a[i]) if i < len(a) and not a[i].isdigit() else 0
            cb = _order(b[j]) if j < len(b) and not b[j].isdigit() else 0
            if ca != cb:
                return -1 if ca < cb else 1
            i += 1
            j += 1
        # Digit run, compared numerically (an empty run counts as 0).
        si = i
        while i < len(a) and a[i].isdigit():
            i += 1
        sj = j
        while j < len(b) and b[j].isdigit():
            j += 1
        na = int(a[si:i] or 0)
        nb = int(b[sj:j] or 0)
        if na != nb:
            return -1 if na < nb else 1
    return 0


def _split_version(version: str) -> tuple[int, str, str]:
    epoch, _, rest = version.rpartition(":") if ":" in version else ("0", "", version)
    upstream, sep, revision = rest.rpartition("-")
    if not sep:
        upstream, revision = rest, ""
    return int(epoch or 0), upstream, revision


def debian_version_compare(a: str, b: str) -> int:
    """Return -1, 0 or 1 as Debian version ``a`` sorts before, equal to or after ``b``.

    >>> debian_version_compare("1.0~rc1-1", "1.0-1")
    -1
    >>> debian_version_compare("1:0.9", "2.0")
    1
    >>> debian_version_compare("1.0-1+deb12u1", "1.0-1")
    1
    >>> debian_version_compare("2.30a", "2.30")
    1
    >>> debian_version_compare("1.0", "1.0-0")
    0
    """
    ea, ua, ra = _split_version(a)
    eb, ub, rb = _split_version(b)
    if ea != eb:
        return -1 if ea < eb else 1
    return _compare_fragment(ua, ub) or _compare_fragment(ra, rb)


# --------------------------------------------------------------------------- deb822


def iter_stanzas(lines: Iterable[str]) -> Iterator[dict[str, str]]:
    """Yield deb822 paragraphs (Packages, Sources, Release) as field -> value dicts.

    Continuation lines are joined with a newline so multi-line fields (Checksums-Sha256)
    stay parseable; single-line consumers strip them with ``" ".join(value.split())``.
    """
    stanza: dict[str, str] = {}
    last = ""
    for raw in lines:
        line = raw.rstrip("\n")
        if not line.strip():
            if stanza:
                yield stanza
            stanza, last = {}, ""
        elif line[0] in " \t":
            if last:
                stanza[last] += "\n" + line.strip()
        elif ":" in line:
            key, _, value = line.partition(":")
            last = key.strip()
            stanza[last] = value.strip()
    if stanza:
        yield stanza


def one_line(value: str) -> str:
    """Fold a deb822 multi-line value (Depends, Build-Depends) into one line."""
    return " ".join(value.split())


# --------------------------------------------------------------------------- fetching


@dataclass(frozen=True)
class Repo:
    """One dist of the archive we read: e.g. debian-security/dists/bookworm-security."""

    base: str
    dist: str
    origin: str  # the ``origin`` column: main, updates or security

    @property
    def url(self) -> str:
        return f"{self.base}/dists/{self.dist}"


def repos_for(suite: str) -> list[Repo]:
    """Main first: Contents only exist (and are only read) for the main suite."""
    return [
        Repo(ARCHIVE.mirror, suite, "main"),
        Repo(ARCHIVE.mirror, f"{suite}-updates", "updates"),
        Repo(ARCHIVE.security_mirror, f"{suite}-security", "security"),
    ]


@dataclass
class Release:
    """The fields of a Release file we need: its date/version and the SHA256 of every index."""

    fields: dict[str, str]
    sha256: dict[str, tuple[str, int]] = field(default_factory=dict)
    signature: str = ""


def parse_release(text: str) -> Release:
    stanza = next(iter_stanzas(io.StringIO(text)), {})
    sums: dict[str, tuple[str, int]] = {}
    for line in stanza.get("SHA256", "").splitlines():
        parts = line.split()
        if len(parts) == 3:
            digest, size, name = parts
            sums[name] = (digest, int(size))
    fields = {k: v for k, v in stanza.items() if "\n" not in v}
    return Release(fields, sums)


def http_get(url: str, dest: Path, attempts: int = 3) -> None:
    """Download to ``dest`` atomically (write a .part, then rename), retrying transient errors."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    for attempt in range(1, attempts + 1):
        try:
            request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
            with urllib.request.urlopen(request, timeout=60) as response, part.open("wb") as out:
                while chunk := response.read(1 << 20):
                    out.write(chunk)
            part.replace(dest)
            return
        except OSError as exc:
            if attempt == attempts:
                raise
            print(f"  retry {attempt} for {url}: {exc}", file=sys.stderr)
            time.sleep(2 * attempt)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def strip_clearsign(text: str) -> str:
    """The signed body of a clearsigned InRelease, without checking the signature."""
    lines = text.splitlines()
    if not lines or lines[0] != "-----BEGIN PGP SIGNED MESSAGE-----":
        return text
    start = lines.index("") + 1  # armor headers ("Hash: SHA512") end at the first blank line
    end = lines.index("-----BEGIN PGP SIGNATURE-----")
    return "\n".join(line[2:] if line.startswith("- ") else line for line in lines[start:end])


def verify_inrelease(path: Path, keyring: Path | None) -> tuple[str, str]:
    """Return (signed text, how it was checked); gpgv is used when it and the keyring exist.

    A bad signature aborts; a machine without gpgv still gets the SHA256 chain, noted in README.
    """
    gpgv = shutil.which("gpgv")
    if gpgv is None or keyring is None or not keyring.exists():
        return strip_clearsign(path.read_text(encoding="utf-8")), "signature not checked"
    command = [gpgv, "--keyring", str(keyring), "--output", "-", str(path)]
    result = subprocess.run(command, capture_output=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"gpgv rejected {path}:\n{result.stderr.decode(errors='replace')}")
    return result.stdout.decode("utf-8"), f"signature verified with gpgv and {keyring}"


def fetch_release(repo: Repo, cache: Path, keyring: Path | None) -> Release:
    """Always re-fetch the (small) InRelease file: it is what says whether indexes changed."""
    dest = cache / repo.dist / "InRelease"
    http_get(f"{repo.url}/InRelease", dest)
    text, signature = verify_inrelease(dest, keyring)
    release = parse_release(text)
    release.signature = signature
    return release


@dataclass(frozen=True)
class Fetched:
    """A cached index and whether its bytes matched the SHA256 its Release file lists."""

    url: str
    path: Path
    sha256: str
    verified: bool


def fetch_index(
    repo: Repo, release: Release, name: str, cache: Path, allow_unverified: bool
) -> Fetched:
    """Fetch ``name`` (relative to the dist) unless the cached copy already has the right hash.

    The cached file is named by its SHA256, so a changed index never reuses a stale copy.
    deb.debian.org sometimes serves a Contents file from another archive run than the
    Release file describes (observed for trixie in 2026-11); ``allow_unverified`` keeps such
    a file, and the README records its real hash, instead of aborting the whole run; later runs
    reuse that ``.unverified`` copy until it is deleted.
    """
    if name not in release.sha256:
        raise SystemExit(f"{repo.url}/Release does not list {name}")
    url = f"{repo.url}/{name}"
    digest, _size = release.sha256[name]
    dest = cache / repo.dist / f"{digest}-{name.replace('/', '_')}"
    if dest.exists() and sha256_of(dest) == digest:
        return Fetched(url, dest, digest, True)
    unverified = dest.with_name(dest.name + ".unverified")
    if allow_unverified and unverified.exists():
        return Fetched(url, unverified, sha256_of(unverified), False)
    print(f"  downloading {url}", file=sys.stderr)
    http_get(url, dest)
    actual = sha256_of(dest)
    if actual == digest:
        return Fetched(url, dest, digest, True)
    if not allow_unverified:
        dest.unlink()
        raise SystemExit(
            f"SHA256 mismatch for {url}: {actual} != {digest} (see --allow-unverified)"
        )
    print(f"  WARNING: {url} does not match its Release SHA256; using it anyway", file=sys.stderr)
    dest.replace(unverified)
    return Fetched(url, unverified, actual, False)


def open_text(path: Path) -> io.TextIOBase:
    """Open a cached .xz/.gz index as text (Contents can hold stray non-UTF-8 bytes)."""
    opener = lzma.open if path.name.endswith(".xz") else gzip.open
    return io.TextIOWrapper(opener(path, "rb"), encoding="utf-8", errors="replace")


# --------------------------------------------------------------------------- merging

PACKAGE_COLUMNS = [
    "package", "version", "architecture", "installed_size_kib", "download_size_bytes", "source",
    "section", "priority", "essential", "multi_arch", "pre_depends", "depends", "recommends",
    "provides", "origin",
]  # fmt: skip


def newest_by(records: Iterable[dict[str, str]], key: str) -> dict[str, dict[str, str]]:
    """Keep, per ``record[key]``, the record with the highest Debian ``version``.

    Ties keep the first seen, so pass the main suite before updates and security.
    """
    best: dict[str, dict[str, str]] = {}
    for record in records:
        name = record[key]
        current = best.get(name)
        if current is None or debian_version_compare(record["version"], current["version"]) > 0:
            best[name] = record
    return best


def package_record(stanza: dict[str, str], origin: str) -> dict[str, str]:
    """One Packages stanza -> one row of the packages table."""
    package = stanza["Package"]
    # Source may read "src (1.2-3)" for binNMUs; the table keeps the bare name.
    source = stanza.get("Source", package).split(" ", 1)[0]
    return {
        "package": package,
        "version": stanza["Version"],
        "architecture": stanza.get("Architecture", ""),
        "installed_size_kib": stanza.get("Installed-Size", ""),
        "download_size_bytes": stanza.get("Size", ""),
        "source": source,
        "section": stanza.get("Section", "").rpartition("/")[2],
        "priority": stanza.get("Priority", ""),
        "essential": "yes" if stanza.get("Essential", "").lower() == "yes" else "no",
        "multi_arch": stanza.get("Multi-Arch", ""),
        "pre_depends": one_line(stanza.get("Pre-Depends", "")),
        "depends": one_line(stanza.get("Depends", "")),
        "recommends": one_line(stanza.get("Recommends", "")),
        "provides": one_line(stanza.get("Provides", "")),
        "origin": origin,
    }


def source_record(stanza: dict[str, str]) -> dict[str, str]:
    """One Sources stanza -> the fields the builddeps table needs."""
    return {
        "package": stanza["Package"],
        "version": stanza["Version"],
        "build_depends": one_line(stanza.get("Build-Depends", "")),
        "build_depends_arch": one_line(stanza.get("Build-Depends-Arch", "")),
        "build_depends_indep": one_line(stanza.get("Build-Depends-Indep", "")),
    }


def read_packages(paths: list[tuple[Path, str]]) -> dict[str, dict[str, str]]:
    """Merge Packages files (path, origin), main first."""

    def records() -> Iterator[dict[str, str]]:
        for path, origin in paths:
            with open_text(path) as fh:
                for stanza in iter_stanzas(fh):
                    yield package_record(stanza, origin)

    return newest_by(records(), "package")


def read_sources(paths: list[Path]) -> dict[str, dict[str, str]]:
    def records() -> Iterator[dict[str, str]]:
        for path in paths:
            with open_text(path) as fh:
                for stanza in iter_stanzas(fh):
                    yield source_record(stanza)

    return newest_by(records(), "package")


# --------------------------------------------------------------------------- Contents

MULTIARCH_TRIPLETS = {
    "amd64": "x86_64-linux-gnu",
    "arm64": "aarch64-linux-gnu",
    "i386": "i386-linux-gnu",
    "ppc64el": "powerpc64le-linux-gnu",
    "s390x": "s390x-linux-gnu",
}
DIST_PACKAGES = "usr/lib/python3/dist-packages/"
METADATA_SUFFIXES = (".dist-info", ".egg-info")


@dataclass
class ContentsFacts:
    """What the tables need from Contents, gathered in one streaming pass per file."""

    triplet: str
    headers: dict[str, set[str]] = field(default_factory=dict)  # include path -> packages
    pkgconfig: dict[str, set[str]] = field(default_factory=dict)  # .pc path -> packages
    libs: dict[str, set[str]] = field(default_factory=dict)  # library path -> packages
    dists: dict[str, set[str]] = field(default_factory=dict)  # binary -> metadata dir names
    sections: dict[str, str] = field(default_factory=dict)  # package -> Contents section

    @property
    def lib_dirs(self) -> frozenset[str]:
        # Only the linker's default search path: a library elsewhere is not found by -lfoo.
        return frozenset({"lib", "usr/lib", f"lib/{self.triplet}", f"usr/lib/{self.triplet}"})


def parse_contents_line(line: str) -> tuple[str, list[tuple[str, str]]] | None:
    """``path  section/pkg,section/pkg`` -> (path, [(section, package), ...]).

    Paths may contain spaces; the owner list never does, so split on the last whitespace.
    """
    line = line.rstrip("\n")
    path, _, owners = line.rpartition(" ")
    path = path.rstrip()
    if not path or not owners:
        return None
    pairs = []
    for owner in owners.split(","):
        section, _, package = owner.rpartition("/")
        pairs.append((section.rpartition("/")[2], package))
    return path, pairs


def header_key(path: str, triplet: str) -> str | None:
    """usr/include/x86_64-linux-gnu/foo.h and usr/include/foo.h both become ``foo.h``."""
    if not path.startswith("usr/include/"):
        return None
    rel = path[len("usr/include/") :]
    prefix = triplet + "/"
    return rel[len(prefix) :] if rel.startswith(prefix) else rel


def library_kind(basename: str) -> str | None:
    """Classify lib*.so* / lib*.a; None for anything else."""
    if not basename.startswith("lib"):
        return None
    if basename.endswith(".a"):
        return "static"
    if basename.endswith(".so"):
        return "dev_symlink"  # what -lfoo links against; shipped by -dev packages
    if ".so." in basename:
        return "soname_or_real"
    return None


def scan_contents(lines: Iterable[str], facts: ContentsFacts) -> None:
    """Add one Contents file's relevant entries to ``facts``; cheap prefilters keep it fast."""
    lib_dirs = facts.lib_dirs
    for line in lines:
        parsed = parse_contents_line(line)
        if parsed is None:
            continue
        path, owners = parsed
        packages = {package for _section, package in owners}
        for section, package in owners:
            facts.sections.setdefault(package, section)
        key = header_key(path, facts.triplet)
        if key is not None:
            facts.headers.setdefault(key, set()).update(packages)
            continue
        directory, _, basename = path.rpartition("/")
        if basename.endswith(".pc") and "/pkgconfig/" in f"/{directory}/":
            facts.pkgconfig.setdefault(path, set()).update(packages)
        elif directory in lib_dirs and library_kind(basename):
            facts.libs.setdefault(path, set()).update(packages)
        elif path.startswith(DIST_PACKAGES):
            top = path[len(DIST_PACKAGES) :].split("/", 1)[0]
            if top.endswith(METADATA_SUFFIXES):
                for package in packages:
                    facts.dists.setdefault(package, set()).add(top)


# --------------------------------------------------------------------------- small tables


def is_dev_package(name: str, section: str) -> bool:
    return section in ("libdevel", "devel") or name.endswith("-dev")


def package_section(name: str, packages: dict[str, dict[str, str]], facts: ContentsFacts) -> str:
    """Prefer the merged Packages section (overrides applied) over Contents' copy."""
    record = packages.get(name)
    return record["section"] if record else facts.sections.get(name, "")


def header_rows(facts: ContentsFacts, packages: dict[str, dict[str, str]]) -> list[list[str]]:
    """Headers owned by at least one development package (nothing else is installed to build)."""
    rows = []
    for header in sorted(facts.headers):
        owners = sorted(facts.headers[header])
        sections = [package_section(p, packages, facts) for p in owners]
        if not any(is_dev_package(p, s) for p, s in zip(owners, sections, strict=True)):
            continue
        rows.append([header, ",".join(owners), ",".join(sections), "yes"])
    return rows


def pkgconfig_rows(facts: ContentsFacts) -> list[list[str]]:
    rows = []
    for path, owners in facts.pkgconfig.items():
        rows.append([path.rpartition("/")[2][: -len(".pc")], path, ",".join(sorted(owners))])
    return sorted(rows)


def lib_rows(facts: ContentsFacts) -> list[list[str]]:
    rows = []
    for path in sorted(facts.libs):
        basename = path.rpartition("/")[2]
        kind = library_kind(basename) or ""
        rows.append([basename, kind, path, ",".join(sorted(facts.libs[path]))])
    return rows


# Other ecosystems' source-code packages (Rust crates, Go modules, Haskell libraries): only
# their own ecosystem depends on them, never a Python source build, and the Rust crates'
# feature Provides alone are ~13% of the gzipped table.
LANGUAGE_SOURCE_PACKAGE = re.compile(r"^(librust-.+-dev|golang-.+-dev|libghc-.+-(dev|prof|doc))$")


def package_rows(packages: dict[str, dict[str, str]]) -> list[list[str]]:
    names = sorted(n for n in packages if not LANGUAGE_SOURCE_PACKAGE.match(n))
    return [[packages[name][c] for c in PACKAGE_COLUMNS] for name in names]


# --------------------------------------------------------------------------- relations

_ALTERNATIVE = re.compile(
    r"^(?P<name>[A-Za-z0-9][A-Za-z0-9+.\-]*)(?::[A-Za-z0-9\-]+)?"  # name[:any|:native]
    r"\s*(?:\((?P<version>[^)]*)\))?"
    r"\s*(?:\[(?P<arches>[^\]]*)\])?"
    r"\s*(?P<profiles>(?:<[^>]*>\s*)*)$"
)


@dataclass(frozen=True)
class Relation:
    """One comma-separated entry of a relationship field: alternatives plus build profiles."""

    names: tuple[str, ...]
    profile_terms: frozenset[str]  # every term of every <...> group, e.g. {"!nocheck"}

    @property
    def name(self) -> str:
        return self.names[0]

    @property
    def text(self) -> str:
        return "|".join(self.names)


def _arch_token_matches(token: str, arch: str) -> bool:
    return token in (arch, "any", "linux-any", f"linux-{arch}", f"any-{arch}")


def arch_allows(arches: str | None, arch: str) -> bool:
    """Evaluate ``[amd64 i386]`` / ``[!armel]`` restrictions for ``arch``."""
    if not arches:
        return True
    tokens = arches.split()
    negated = [t[1:] for t in tokens if t.startswith("!")]
    if negated:
        return not any(_arch_token_matches(t, arch) for t in negated)
    return any(_arch_token_matches(t, arch) for t in tokens)


def profiles_allow(profiles: str) -> bool:
    """True if the entry is part of a build with no profile enabled.

    ``<a b> <c>`` means (a AND b) OR c; with no profile active only all-negated groups hold,
    so ``<!nocheck>`` entries count (they are split out later) but ``<cross>`` ones do not.
    """
    groups = re.findall(r"<([^>]*)>", profiles)
    if not groups:
        return True
    return any(all(term.startswith("!") for term in group.split()) for group in groups)


def parse_relations(value: str, arch: str) -> list[Relation]:
    """Parse Depends/Build-Depends into entries, dropping alternatives that cannot apply.

    >>> [r.text for r in parse_relations("a (>= 1) [!amd64], b | c:any <!nocheck>", "amd64")]
    ['b|c']
    """
    relations = []
    for entry in value.split(","):
        names: list[str] = []
        terms: set[str] = set()
        for alternative in entry.split("|"):
            match = _ALTERNATIVE.match(alternative.strip())
            if match is None or "${" in alternative:
                continue
            if not arch_allows(match["arches"], arch) or not profiles_allow(match["profiles"]):
                continue
            names.append(match["name"])
            terms.update(re.findall(r"[!\w.\-]+", match["profiles"] or ""))
        if names:
            relations.append(Relation(tuple(dict.fromkeys(names)), frozenset(terms)))
    return relations


# --------------------------------------------------------------------------- builddeps

BUILDDEPS_COLUMNS = [
    "pypi_name", "pypi_exists", "pypi_download_rank", "pypi_name_raw", "pypi_name_source",
    "all_dist_names", "debian_binary", "debian_source", "source_version", "binary_version",
    "binary_arch", "is_compiled", "section", "needs_python_dev", "system_build_deps",
    "other_build_deps", "test_tool_build_deps", "n_rust_crate_build_deps", "python_build_deps",
    "check_only_build_deps", "build_depends_indep", "runtime_lib_depends",
    "runtime_other_depends", "installed_size_kib",
]  # fmt: skip
SUMMARY_COLUMNS = [
    "pypi_name", "pypi_exists", "pypi_download_rank", "debian_sources", "source_version",
    "debian_binaries", "compiled_binaries", "has_compiled_code", "needs_python_dev", "uses_rust",
    "system_build_deps", "runtime_lib_depends",
]  # fmt: skip
PYTHON_TOOLS = frozenset(
    {"dh-python", "dh-sequence-python3", "cython3", "cython3-legacy", "cython", "pypy3", "flit"}
    | {"tox", "pylint", "ipython3", "sphinx-common"}
)
# Non-library programs a `pip install` from source may run; any other non-Python build
# dependency (debhelper, doc and test tools, daemons) goes to other_build_deps.
BUILD_TOOLS = frozenset(
    {"pkg-config", "pkgconf", "cmake", "meson", "ninja-build", "scons", "make", "swig"}
    | {"bison", "flex", "gperf", "re2c", "m4", "autoconf", "automake", "libtool", "libtool-bin"}
    | {"gcc", "g++", "gfortran", "clang", "llvm", "lld", "gcc-multilib", "g++-multilib"}
    | {"nasm", "yasm", "binutils", "patchelf", "xxd", "perl", "gettext", "intltool"}
    | {"cargo", "rustc", "golang-go", "valac", "default-jdk", "default-jdk-headless", "ant"}
    | {"protobuf-compiler", "protobuf-compiler-grpc", "gobject-introspection", "qt5-qmake"}
    | {"qmake6", "sip-tools", "pyqt5-dev-tools", "pyqt6-dev-tools", "mpi-default-bin"}
    | {"opencl-headers", "opencl-c-headers", "extra-cmake-modules", "catkin", "ament-cmake"}
)
DEV_PACKAGE = re.compile(r"-(dev|multidev|headers|dev-tools|dev-bin|dev-all|dev-[\d.]+)$")
# Test frameworks and harnesses, test-only even when Debian does not mark them <!nocheck>.
TEST_TOOLS = frozenset(
    {"libgtest-dev", "libgmock-dev", "googletest", "libcppunit-dev", "catch2"}
    | {"xvfb", "xauth", "xvfb-run"}
)
DEBIAN_DEV_TOOLS = frozenset({"dpkg-dev", "autotools-dev"})  # packaging helpers named *-dev
VERSIONED_TOOL = re.compile(r"^(gcc|g\+\+|gfortran|clang|llvm|lld|swig)-?[\d.]+$|^openjdk-\d+-jdk")
PYTHON_DEV = re.compile(r"^(lib)?python3(\.\d+)?(-all)?-dev$")
RUST_TOOLS = frozenset({"cargo", "rustc", "dh-cargo", "dh-sequence-cargo"})


def normalize_name(name: str) -> str:
    """PEP 503 normalization."""
    return re.sub(r"[-_.]+", "-", name).lower()


def dist_name(dirname: str) -> str:
    """``Foo_Bar-1.0.dist-info`` / ``foo-1.0-py3.11.egg-info`` / ``foo.egg-info`` -> name.

    Both formats escape ``-`` inside the name, so the name is everything before the first ``-``.
    """
    stem = dirname.rsplit(".", 1)[0]
    # Debian renames some flavoured builds (h5py._debian_h5py_mpi); the PyPI name is the stem.
    return stem.split("-", 1)[0].split("._debian", 1)[0]


def classify_build_dep(name: str) -> str:
    """Which builddeps column an (unconditional) build dependency belongs to."""
    if name.startswith("librust-") and name.endswith("-dev"):
        return "rust_crate"
    if name.startswith("python-") and name.endswith("-dev"):
        return "system"  # C headers of Python bindings (python-gi-dev, python-dbus-dev)
    if name in PYTHON_TOOLS or name.startswith(("python3", "pybuild-plugin-", "python-")):
        return "python"
    if name in DEBIAN_DEV_TOOLS:
        return "other"
    if name in TEST_TOOLS:
        return "test_tool"
    if DEV_PACKAGE.search(name) or name in BUILD_TOOLS or VERSIONED_TOOL.match(name):
        return "system"
    return "other"


@dataclass
class BuildDeps:
    """A source package's build dependencies split by what they are for."""

    system: list[str] = field(default_factory=list)
    python: list[str] = field(default_factory=list)
    other: list[str] = field(default_factory=list)
    test_tool: list[str] = field(default_factory=list)
    check_only: list[str] = field(default_factory=list)
    indep: list[str] = field(default_factory=list)
    rust_crates: int = 0
    needs_python_dev: bool = False

    @property
    def uses_rust(self) -> bool:
        return self.rust_crates > 0 or any(n in RUST_TOOLS for n in self.system + self.other)


def split_build_deps(source: dict[str, str], arch: str) -> BuildDeps:
    """Split Build-Depends(-Arch, -Indep) of one source (see the README for the rules)."""
    deps = BuildDeps()
    fields = [
        (source["build_depends"], False),
        (source["build_depends_arch"], False),
        (source["build_depends_indep"], True),
    ]
    for value, from_indep in fields:
        for relation in parse_relations(value, arch):
            kind = classify_build_dep(relation.name)
            if "!nocheck" in relation.profile_terms:
                (deps.check_only if kind == "python" else deps.test_tool).append(relation.text)
                continue
            if any(PYTHON_DEV.match(n) for n in relation.names):
                deps.needs_python_dev = True
            if "!nodoc" in relation.profile_terms or from_indep:
                # Only needed for documentation or arch:all artefacts, not for a wheel build.
                deps.indep.append(relation.text)
            elif kind == "rust_crate":
                deps.rust_crates += 1
            else:
                getattr(deps, kind).append(relation.text)
    return deps


def split_runtime_depends(depends: str, arch: str) -> tuple[list[str], list[str]]:
    """Binary Depends -> (shared-library packages, other non-Python packages)."""
    libs: list[str] = []
    other: list[str] = []
    for relation in parse_relations(depends, arch):
        name = relation.name
        if name.startswith("lib") and not name.endswith("-dev"):
            libs.append(relation.text)
        elif not name.startswith("python3"):
            other.append(relation.text)
    return libs, other


def primary_dist(binary: str, dirs: set[str]) -> str:
    """Pick the distribution a binary is "about": the one its name spells, else the first."""
    names = sorted({dist_name(d) for d in dirs}, key=lambda n: (normalize_name(n), n))
    wanted = normalize_name(binary.removeprefix("python3-"))
    for name in names:
        if normalize_name(name) == wanted:
            return name
    return names[0]


def _join(values: Iterable[str]) -> str:
    return ", ".join(dict.fromkeys(values))


@dataclass(frozen=True)
class PypiInfo:
    exists: str
    rank: str


def builddeps_rows(
    facts: ContentsFacts,
    packages: dict[str, dict[str, str]],
    sources: dict[str, dict[str, str]],
    pypi: dict[str, PypiInfo],
    arch: str,
) -> list[dict[str, str]]:
    """One row per binary shipping dist-info/egg-info metadata under dist-packages."""
    rows = []
    empty = {"version": "", "build_depends": "", "build_depends_arch": ""}
    empty |= {"build_depends_indep": "", "package": ""}
    for binary in sorted(facts.dists):
        record = packages.get(binary)
        if record is None:  # in Contents but not in the merged Packages (e.g. removed)
            continue
        dirs = facts.dists[binary]
        raw = primary_dist(binary, dirs)
        name = normalize_name(raw)
        source = sources.get(record["source"], empty)
        deps = split_build_deps(source, arch)
        libs, other = split_runtime_depends(record["depends"], arch)
        info = pypi.get(name, PypiInfo("", ""))
        has_dist_info = any(d.endswith(".dist-info") for d in dirs if dist_name(d) == raw)
        rows.append(
            {
                "pypi_name": name,
                "pypi_exists": info.exists,
                "pypi_download_rank": info.rank,
                "pypi_name_raw": raw,
                "pypi_name_source": "dist-info" if has_dist_info else "egg-info",
                "all_dist_names": ", ".join(sorted({dist_name(d) for d in dirs})),
                "debian_binary": binary,
                "debian_source": record["source"],
                "source_version": source["version"],
                "binary_version": record["version"],
                "binary_arch": record["architecture"],
                "is_compiled": "no" if record["architecture"] == "all" else "yes",
                "section": record["section"],
                "needs_python_dev": "yes" if deps.needs_python_dev else "no",
                "system_build_deps": _join(deps.system),
                "other_build_deps": _join(deps.other),
                "test_tool_build_deps": _join(deps.test_tool),
                "n_rust_crate_build_deps": str(deps.rust_crates),
                "python_build_deps": _join(deps.python),
                "check_only_build_deps": _join(deps.check_only),
                "build_depends_indep": _join(deps.indep),
                "runtime_lib_depends": _join(libs),
                "runtime_other_depends": _join(other),
                "installed_size_kib": record["installed_size_kib"],
                "_uses_rust": "yes" if deps.uses_rust else "no",
            }
        )
    return rows


def summary_rows(builddeps: list[dict[str, str]]) -> list[list[str]]:
    """Aggregate builddeps rows per PyPI name (one name can come from several sources)."""
    groups: dict[str, list[dict[str, str]]] = {}
    for row in builddeps:
        groups.setdefault(row["pypi_name"], []).append(row)
    out = []
    for name in sorted(groups):
        rows = groups[name]

        def col(column: str, rows: list[dict[str, str]] = rows) -> list[str]:
            return [r[column] for r in rows if r[column]]

        def any_yes(column: str, rows: list[dict[str, str]] = rows) -> str:
            return "yes" if any(r[column] == "yes" for r in rows) else "no"

        compiled = [r["debian_binary"] for r in rows if r["is_compiled"] == "yes"]
        out.append(
            [
                name,
                rows[0]["pypi_exists"],
                rows[0]["pypi_download_rank"],
                _join(col("debian_source")),
                _join(col("source_version")),
                _join(col("debian_binary")),
                _join(compiled),
                "yes" if compiled else "no",
                any_yes("needs_python_dev"),
                any_yes("_uses_rust"),
                _join(d for r in rows for d in r["system_build_deps"].split(", ") if d),
                _join(d for r in rows for d in r["runtime_lib_depends"].split(", ") if d),
            ]
        )
    return out


def read_pypi_info(paths: list[Path]) -> dict[str, PypiInfo]:
    """Optional join: pypi_exists / pypi_download_rank by name from earlier tables."""
    info: dict[str, PypiInfo] = {}
    for path in paths:
        with path.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
                name = row.get("pypi_name") or ""
                if name and name not in info and row.get("pypi_exists"):
                    info[name] = PypiInfo(row["pypi_exists"], row.get("pypi_download_rank") or "")
    return info


# --------------------------------------------------------------------------- output


def clean(value: str) -> str:
    return value.replace("\t", " ").replace("\n", " ")


def write_tsv(path: Path, header: list[str], rows: Iterable[list[str]]) -> int:
    """Write a TSV (gzipped when the name ends in .gz, with mtime 0 so output is reproducible)."""
    lines = ["\t".join(header)]
    lines += ["\t".join(clean(v) for v in row) for row in rows]
    data = ("\n".join(lines) + "\n").encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.name.endswith(".gz"):
        with path.open("wb") as raw, gzip.GzipFile("", "wb", 9, raw, mtime=0) as out:
            out.write(data)
    else:
        path.write_bytes(data)
    return len(lines) - 1


@dataclass
class SuiteReport:
    """What the README says about one suite: the Release files read and the tables written."""

    suite: str
    releases: list[tuple[str, str, str, str]] = field(
        default_factory=list
    )  # url, version, date, sig
    indexes: list[Fetched] = field(default_factory=list)
    tables: list[tuple[str, int, int]] = field(default_factory=list)  # file, rows, bytes
    comparison: list[str] = field(default_factory=list)


def fetch_suite(
    suite: str,
    arch: str,
    cache: Path,
    keyring: Path | None,
    allow_unverified: bool,
    packages_only: bool = False,
) -> SuiteReport:
    report = SuiteReport(suite)
    for repo in repos_for(suite):
        release = fetch_release(repo, cache, keyring)
        version = release.fields.get("Version") or release.fields.get("Suite", "")
        date = release.fields.get("Date", "")
        report.releases.append((f"{repo.url}/InRelease", version, date, release.signature))
        names = []
        for component in ARCHIVE.components:
            names.append(f"{component}/binary-{arch}/Packages.xz")
            if not packages_only:
                names.append(f"{component}/source/Sources.xz")
            if repo.origin == "main" and not packages_only and ARCHIVE.contents_per_component:
                names += [f"{component}/Contents-{arch}.gz", f"{component}/Contents-all.gz"]
        if repo.origin == "main" and not packages_only and not ARCHIVE.contents_per_component:
            names.append(f"Contents-{arch}.gz")
        for name in names:
            report.indexes.append(fetch_index(repo, release, name, cache, allow_unverified))
    return report


def build_suite(
    report: SuiteReport,
    arch: str,
    out: Path,
    pypi: dict[str, PypiInfo],
    packages_only: bool = False,
) -> None:
    """Parse the fetched indexes of one suite and write its six tables (or only packages)."""
    suite = report.suite
    origins = {repo.url: repo.origin for repo in repos_for(suite)}

    def origin_of(fetched: Fetched) -> str:
        return next(o for url, o in origins.items() if fetched.url.startswith(url + "/"))

    package_files = [(f.path, origin_of(f)) for f in report.indexes if "/Packages" in f.url]
    if packages_only:
        print(f"{suite}: reading Packages", file=sys.stderr)
        name = f"{suite}_{arch}_packages.tsv.gz"
        count = write_tsv(out / name, PACKAGE_COLUMNS, package_rows(read_packages(package_files)))
        report.tables.append((name, count, (out / name).stat().st_size))
        print(f"{suite}: wrote {out / name} ({count} rows)", file=sys.stderr)
        return
    source_files = [f.path for f in report.indexes if "/Sources" in f.url]
    contents_files = [f.path for f in report.indexes if "/Contents-" in f.url]
    print(f"{suite}: reading Packages and Sources", file=sys.stderr)
    packages = read_packages(package_files)
    sources = read_sources(source_files)
    facts = ContentsFacts(MULTIARCH_TRIPLETS[arch])
    for path in contents_files:
        print(f"{suite}: scanning {path.name}", file=sys.stderr)
        with open_text(path) as fh:
            scan_contents(fh, facts)
    builddeps = builddeps_rows(facts, packages, sources, pypi, arch)
    tables: list[tuple[str, list[str], list[list[str]]]] = [
        (f"{suite}_{arch}_packages.tsv.gz", PACKAGE_COLUMNS, package_rows(packages)),
        (
            f"{suite}_{arch}_headers.tsv.gz",
            ["header", "packages", "sections", "any_owner_is_dev_pkg"],
            header_rows(facts, packages),
        ),
        (f"{suite}_{arch}_pkgconfig.tsv", ["pc_name", "path", "packages"], pkgconfig_rows(facts)),
        (
            f"{suite}_{arch}_libs.tsv.gz",
            ["basename", "kind", "path", "packages"],
            lib_rows(facts),
        ),
        (
            f"{suite}_python_builddeps.tsv",
            BUILDDEPS_COLUMNS,
            [[r[c] for c in BUILDDEPS_COLUMNS] for r in builddeps],
        ),
        (f"{suite}_pypi_summary.tsv", SUMMARY_COLUMNS, summary_rows(builddeps)),
    ]
    for name, header, rows in tables:
        path = out / name
        count = write_tsv(path, header, rows)
        report.tables.append((name, count, path.stat().st_size))
        print(f"{suite}: wrote {path} ({count} rows)", file=sys.stderr)


# --------------------------------------------------------------------------- comparison


def read_table(path: Path) -> list[dict[str, str]]:
    data = path.read_bytes()
    text = gzip.decompress(data) if path.name.endswith(".gz") else data
    lines = text.decode("utf-8").splitlines()
    return list(csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE))


def _deps(value: str) -> set[str]:
    return {d for d in value.split(", ") if d}


def _counts(counter: Counter[str], n: int = 8) -> str:
    return ", ".join(f"{name} {count}" for name, count in counter.most_common(n)) or "-"


def compare_builddeps(mine: list[dict[str, str]], theirs: list[dict[str, str]]) -> list[str]:
    """Name and system_build_deps agreement between two builddeps tables, keyed by binary."""
    ours = {r["debian_binary"]: r for r in mine}
    other = {r["debian_binary"]: r for r in theirs}
    common = sorted(set(ours) & set(other))
    named = [b for b in common if other[b]["pypi_name"]]
    same_name = [b for b in named if ours[b]["pypi_name"] == other[b]["pypi_name"]]
    differ = [
        b
        for b in common
        if _deps(ours[b]["system_build_deps"]) != _deps(other[b]["system_build_deps"])
    ]

    def without_cython(value: str) -> set[str]:
        return {d for d in _deps(value) if not d.startswith("cython")}

    differ_real = [
        b
        for b in differ
        if without_cython(ours[b]["system_build_deps"])
        != without_cython(other[b]["system_build_deps"])
    ]
    names_ours = {r["pypi_name"] for r in mine if r["pypi_name"]}
    names_other = {r["pypi_name"] for r in theirs if r["pypi_name"]}
    lines = [
        f"binaries: {len(ours)} here, {len(other)} shared, {len(common)} in both",
        f"binaries only in the shared table: {len(set(other) - set(ours))} "
        f"(e.g. {', '.join(sorted(set(other) - set(ours))[:5])})",
        f"binaries only here: {len(set(ours) - set(other))} "
        f"(e.g. {', '.join(sorted(set(ours) - set(other))[:5])})",
        f"distinct pypi_name: {len(names_ours)} here, {len(names_other)} shared, "
        f"{len(names_ours & names_other)} in both",
        f"common binaries with a shared pypi_name: {len(named)}, same pypi_name: {len(same_name)}",
        f"common binaries whose system_build_deps differ (as sets): {len(differ)}; "
        f"ignoring cython*: {len(differ_real)}",
    ]
    missing = Counter(other[b].get("pypi_name_source", "") for b in set(other) - set(ours))
    lines.append(
        "shared-only binaries by shared pypi_name_source: "
        + ", ".join(f"{source or '-'} {n}" for source, n in missing.most_common())
    )
    renamed = [b for b in named if b not in same_name]
    lines.append(
        "different pypi_name: "
        + ", ".join(f"{b} ({ours[b]['pypi_name']} vs {other[b]['pypi_name']})" for b in renamed[:8])
    )
    only_ours: Counter[str] = Counter()
    only_other: Counter[str] = Counter()
    for b in differ_real:
        mine_deps = without_cython(ours[b]["system_build_deps"])
        their_deps = without_cython(other[b]["system_build_deps"])
        only_ours.update(mine_deps - their_deps)
        only_other.update(their_deps - mine_deps)
    lines.append("most frequent entries only here: " + _counts(only_ours))
    lines.append("most frequent entries only in shared: " + _counts(only_other))
    for b in differ_real[:6]:
        mine_deps = _deps(ours[b]["system_build_deps"])
        their_deps = _deps(other[b]["system_build_deps"])
        lines.append(
            f"  e.g. {b}: only here [{', '.join(sorted(mine_deps - their_deps))}], "
            f"only shared [{', '.join(sorted(their_deps - mine_deps))}]"
        )
    return lines


def compare_suite(report: SuiteReport, out: Path, shared: Path) -> None:
    """Row counts against ``shared/debian_<file>`` plus the builddeps agreement figures."""
    for name, rows, _size in report.tables:
        theirs = shared / f"debian_{name}"
        if not theirs.exists():
            continue
        with gzip.open(theirs, "rb") if name.endswith(".gz") else theirs.open("rb") as fh:
            their_rows = sum(1 for _ in fh) - 1
        report.comparison.append(f"{name}: {rows} rows here vs {their_rows} shared")
    packages = f"{report.suite}_amd64_packages.tsv.gz"
    if (shared / f"debian_{packages}").exists() and (out / packages).exists():
        ours = {r["package"]: r for r in read_table(out / packages)}
        other = {r["package"]: r for r in read_table(shared / f"debian_{packages}")}
        same = sum(ours[p] == other[p] for p in set(ours) & set(other))
        dropped = [p for p in set(other) - set(ours) if LANGUAGE_SOURCE_PACKAGE.match(p)]
        report.comparison.append(
            f"packages: {same} of {len(ours)} rows here are identical to the shared row; "
            f"{len(dropped)} of the {len(set(other) - set(ours))} shared-only rows are "
            "librust/golang/libghc source packages dropped on purpose"
        )
    theirs = shared / f"debian_{report.suite}_python_builddeps.tsv"
    if theirs.exists():
        mine = read_table(out / f"{report.suite}_python_builddeps.tsv")
        report.comparison += compare_builddeps(mine, read_table(theirs))


# --------------------------------------------------------------------------- README

README_HEAD = """\
# Debian-derived tables

Generated by `scripts/debian_tables.py`; do not edit by hand. Regenerate with:

```
{command}
```

Columns match the gathered tables in the project's raw-data share (`debian_<suite>_*`), so
code can read either copy. All tables are tab-separated, UTF-8, one header line, sorted.

## Sources

For each suite the script reads `main` of `<suite>` and `<suite>-updates` from
http://deb.debian.org/debian and `<suite>-security` from http://deb.debian.org/debian-security:
`binary-<arch>/Packages.xz` and `source/Sources.xz` of all three, and `Contents-<arch>.gz` plus
`Contents-all.gz` of the main suite only. The InRelease signatures are checked with `gpgv` and
the Debian archive keyring when both are installed, and every index is checked against the
SHA256 its InRelease file lists (and cached by that hash outside the repository). When
Packages or Sources appear in several dists the highest Debian version wins (policy 5.6.12).

## How each table is derived

- `<suite>_<arch>_packages.tsv.gz`: one row per binary package of the merged Packages files,
  except other ecosystems' source-code packages (`librust-*-dev`, `golang-*-dev`,
  `libghc-*-{dev,prof,doc}`), which no Python build installs; `origin` says which dist (main,
  updates, security) supplied the winning version; `source` is the bare source name (binNMU
  versions dropped).
- `<suite>_<arch>_headers.tsv.gz`: every Contents path under `usr/include/`, with the multiarch
  `usr/include/<triplet>/` prefix removed so the key is the `#include` path (`ffi.h`, not
  `x86_64-linux-gnu/ffi.h` as in the shared copy); owners merged across both locations. Only
  headers owned by at least one development package (section `libdevel`/`devel` or a name
  ending in `-dev`) are kept, since nothing else is installed to build; hence
  `any_owner_is_dev_pkg` is always `yes`. `sections` follows `packages` order.
- `<suite>_<arch>_pkgconfig.tsv`: every `*.pc` file in a `pkgconfig` directory; `pc_name` is the
  file name without `.pc`.
- `<suite>_<arch>_libs.tsv.gz`: `lib*.so`, `lib*.so.*` and `lib*.a` directly in the linker's
  default directories (`lib`, `usr/lib`, `lib/<triplet>`, `usr/lib/<triplet>`). `kind` is
  `static` (`.a`), `dev_symlink` (ends in `.so`, what `-lfoo` links) or `soname_or_real`
  (anything with `.so.`, including non-numeric sonames such as `libc-client.so.2007e`, which
  the shared copy skipped).
- `<suite>_python_builddeps.tsv`: one row per binary package shipping a `*.dist-info` or
  `*.egg-info` entry directly under `usr/lib/python3/dist-packages/` (from Contents). The
  distribution name is the part of that name before the first `-`; `pypi_name` is its PEP 503
  form. A binary shipping several distributions gets the one its own name spells (else the
  first); all are listed in `all_dist_names`. Build-Depends, Build-Depends-Arch and
  Build-Depends-Indep of the binary's source (from Sources) are evaluated for the target
  architecture with no build profile active (entries restricted to other architectures or to
  positive profiles such as `<cross>` are dropped), then split by the first alternative:
  - `<!nocheck>` entries: `check_only_build_deps` if Python (`python3*`, `python-*` except
    `python-*-dev`, `pybuild-plugin-*`, `dh-python`, `dh-sequence-python3`, `cython*`, `pypy3`,
    `flit`, `tox`, `pylint`, `ipython3`, `sphinx-common`), else `test_tool_build_deps`;
    known test frameworks (`libgtest-dev`, `libcppunit-dev`, `catch2`, `xvfb`, ...) also go to
    `test_tool_build_deps` when unmarked;
  - `<!nodoc>` entries and everything from Build-Depends-Indep: `build_depends_indep` (only
    needed for documentation or arch:all artefacts);
  - `librust-*-dev` crates: counted in `n_rust_crate_build_deps`;
  - Python entries as above: `python_build_deps` (note: `cython3` is here, where the shared
    copy put it in `system_build_deps`);
  - `system_build_deps`: `*-dev`/`*-headers` packages (libraries) and the build programs a
    source build may run (`pkg-config`, `cmake`, `meson`, `ninja-build`, `swig`, `bison`,
    compilers, `cargo`/`rustc`, `protobuf-compiler`, ...; `BUILD_TOOLS` in the script);
  - everything else (`debhelper*`, `dh-*`, documentation and test-harness programs, daemons,
    data packages): `other_build_deps`.
  Alternatives are written `a|b`. `needs_python_dev` is `yes` when a non-test entry names
  `python3-dev`, `python3-all-dev`, `libpython3-dev` (or a versioned/`-all` variant).
  `is_compiled` is `yes` when the binary's Architecture is not `all`. From the binary's Depends:
  `runtime_lib_depends` are `lib*` packages that are not `-dev`; `runtime_other_depends` is the
  rest minus `python3*`. `pypi_exists`/`pypi_download_rank` are joined by name from the tables
  given with `--pypi-info` (the shared copies, whose source is a 2026 top-15000 PyPI download
  list); empty when not given or the name is not there. Unlike the shared copy, binaries without
  metadata are not given a guessed name, so they have no row.
- `<suite>_pypi_summary.tsv`: builddeps rows grouped by `pypi_name`; lists are unions in order,
  `has_compiled_code`/`needs_python_dev`/`uses_rust` are "any row"; `uses_rust` means rust crates,
  `cargo`, `rustc` or `dh-cargo` among the build deps.
"""


COMPARISON_NOTES = """\
## Why the figures differ from the shared copies

Both were read from the same Release files (same dates), so the archive itself did not move:
- packages: identical rows; the shared copy additionally keeps the librust/golang/libghc
  source-code packages this script drops to save space (about 15% of the gzipped table).
- headers: the shared copy keeps the `x86_64-linux-gnu/` prefix on multiarch headers (about
  17k rows, e.g. `x86_64-linux-gnu/ffi.h`); here they are keyed by include path (`ffi.h`) and
  merged with the non-multiarch copy. Headers owned only by non-development packages
  (about 7.6k rows in the shared copy, `any_owner_is_dev_pkg = no`) are dropped.
- libs: about 240 more rows here: sonames with a non-numeric tail (`libc-client.so.2007e`,
  `libdkim.so.1d`) that the shared copy's pattern skipped.
- python_builddeps: the shared copy also has rows for binaries without dist-info/egg-info
  metadata (name guessed from the binary name, same-source companions, CPython stdlib
  modules); this script only writes rows whose name comes from shipped metadata. Where both
  have a row the PyPI name agrees for all but a handful of binaries that ship several
  distributions (`python3-typeshed`, `cmake-format`, `python3-xdg`, ...).
- system_build_deps: most differences are `cython3`, which is a Python build dependency here
  (pip gets Cython from PyPI) and a system one in the shared copy. The rest: architecture
  restrictions are evaluated here (`libkvm-dev [kfreebsd-any]` is not an amd64 build dep), and
  a few build programs (`pyqt5-dev-tools`, `sip-tools`, `catkin`, `ament-cmake`, JDKs) count
  as system tools here.
"""


def render_readme(command: str, reports: list[SuiteReport]) -> str:
    parts = [README_HEAD.replace("{command}", command)]
    for report in reports:
        parts.append(f"## {report.suite}\n\nRelease files read:\n")
        parts += [
            f"- {url}: {version or '-'}, dated {date} ({sig})"
            for url, version, date, sig in report.releases
        ]
        unverified = [f for f in report.indexes if not f.verified]
        if unverified:
            parts.append(
                "\nThese indexes did NOT match the SHA256 in their Release file (the mirror served "
                "a copy from another archive run) and were used anyway (`--allow-unverified`):\n"
            )
            parts += [f"- {f.url}: served sha256 {f.sha256}" for f in unverified]
        parts.append("\n| file | rows | bytes |\n|---|---:|---:|")
        parts += [f"| {name} | {rows} | {size} |" for name, rows, size in report.tables]
        if report.comparison:
            parts.append("\nComparison with the shared copies:\n")
            parts += [f"    {line}" for line in report.comparison]
        parts.append("")
    if any(report.comparison for report in reports):
        parts.append(COMPARISON_NOTES)
        parts.append("")
    return "\n".join(parts) + "\n"


# --------------------------------------------------------------------------- CLI


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--suite", action="append", required=True, help="e.g. bookworm (repeat)")
    parser.add_argument("--arch", default="amd64", choices=sorted(MULTIARCH_TRIPLETS))
    parser.add_argument(
        "--archive",
        default="debian",
        choices=sorted(ARCHIVES),
        help="debian (deb.debian.org, main) or ubuntu (archive.ubuntu.com, main + universe)",
    )
    parser.add_argument(
        "--packages-only",
        action="store_true",
        help="write only the packages table (no Sources or Contents are fetched)",
    )
    parser.add_argument("--out", type=Path, default=Path("data/debian"))
    parser.add_argument("--download-dir", type=Path, default=Path("/work/debian-cache"))
    parser.add_argument(
        "--pypi-info",
        type=Path,
        action="append",
        default=[],
        help="TSV with pypi_name/pypi_exists/pypi_download_rank columns to join (repeatable)",
    )
    parser.add_argument(
        "--compare-with", type=Path, help="directory with debian_<suite>_* tables to compare"
    )
    parser.add_argument(
        "--keyring",
        type=Path,
        default=DEFAULT_KEYRING,
        help="keyring for gpgv to check InRelease signatures (skipped if gpgv or it is missing)",
    )
    parser.add_argument(
        "--allow-unverified",
        action="store_true",
        help="use an index whose SHA256 does not match its Release file (recorded in README)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    global ARCHIVE
    args = parse_args(argv)
    ARCHIVE = ARCHIVES[args.archive]
    pypi = read_pypi_info(args.pypi_info)
    reports = []
    for suite in args.suite:
        report = fetch_suite(
            suite,
            args.arch,
            args.download_dir,
            args.keyring,
            args.allow_unverified,
            args.packages_only,
        )
        build_suite(report, args.arch, args.out, pypi, args.packages_only)
        if args.compare_with:
            compare_suite(report, args.out, args.compare_with)
        reports.append(report)
    command = " ".join(["python scripts/debian_tables.py", *(argv or sys.argv[1:])])
    (args.out / "README.md").write_text(render_readme(command, reports), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
