"""Static inspection of a source distribution: what a build would need, without building.

Nothing in the archive is executed or extracted to disk. The archive is streamed member by
member with limits on member count, total unpacked size and the size of each text member
read; absolute paths and ``..`` are refused, as pip refuses to unpack them.
"""

from __future__ import annotations

import io
import json
import re
import tarfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import IO

from packaging.requirements import InvalidRequirement, Requirement

from ..errors import ArchiveError
from ..inputs.tomltext import parse_toml
from .fallback import read_fallback
from .guards import find_version_guards

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef,import-not-found,unused-ignore]

__all__ = ["SdistInfo", "inspect_sdist", "tomllib"]

MAX_MEMBERS = 100_000
MAX_UNPACKED_BYTES = 2 * 1024**3
MAX_TEXT_BYTES = 2 * 1024 * 1024
TEXT_MEMBERS = (
    "PKG-INFO",
    "pyproject.toml",
    "setup.cfg",
    "setup.py",
    "meson.build",
    "CMakeLists.txt",
)
# Native sources are read (only their first bytes, and only so many) for #include lines:
# they name the libraries a build needs when the knowledge base does not know the project.
MAX_SOURCE_SCAN_BYTES = 64 * 1024
MAX_SOURCES_SCANNED = 3000
MAX_INCLUDES = 500
MAX_BUNDLED_HEADERS = 20_000
# Native sources are also counted in lines (the build-time model's input): read whole, up to
# this much per file (a generated Cython .c file can reach a few MB).
MAX_SOURCE_COUNT_BYTES = 16 * 1024 * 1024
# Only <...> includes: "..." ones name the project's own files, found beside the source.
_INCLUDE = re.compile(
    rb'^[ \t]*#[ \t]*include[ \t]*<([^>\n]+)>|cdef extern from [<"]([^>"\n]+)[>"]', re.M
)
_HASH_INCLUDE = re.compile(rb"#[ \t]*include[ \t]*<([^>\n]+)>")
_SCANNED_SUFFIXES = {".c", ".cc", ".cpp", ".cxx", ".h", ".hpp", ".hh", ".pyx", ".pxd", ".pxi"}
_INCLUDE_LANGUAGES = {"", "C", "C++", "Cython"}  # "": headers and .pxd files
_HEADER_SUFFIXES = {".h", ".hpp", ".hh", ".hxx", ".inc", ".pxd"}

# pip's default when a project has no [build-system] requires
DEFAULT_BUILD_REQUIRES = ("setuptools>=40.8.0",)

# Headers are not counted: a bundled lua.hpp does not make a C project need g++ (lupa).
_LANGUAGE_BY_SUFFIX = {
    ".c": "C",
    ".cpp": "C++",
    ".cc": "C++",
    ".cxx": "C++",
    ".c++": "C++",
    ".pyx": "Cython",
    ".f": "Fortran",
    ".f90": "Fortran",
    ".f95": "Fortran",
    ".f77": "Fortran",
    ".for": "Fortran",
    ".rs": "Rust",
    ".go": "Go",
}
# Folders whose sources are not built by pip (tests, docs, examples, benchmarks).
# vendored-meson/ is meson itself, shipped to run the build (numpy, scipy): its "test cases"
# hold Fortran and C that are never compiled.
_NOT_BUILT = re.compile(
    r"(^|/)(tests?|testing|test[ _-]?cases|testsuite|unittests?|docs?|examples?|samples?|"
    r"benchmarks?|bench|vendored-meson)/",
    re.I,
)
# Backends that always build native code, and the language that follows.
_NATIVE_BACKENDS = {
    "maturin": "Rust",
    "mesonpy": None,
    "scikit_build_core": None,
    "skbuild": None,
    "py_build_cmake": None,
    "enscons": None,
}
# setup.py / setup.cfg text that declares extension modules
_EXTENSION_HINTS = re.compile(
    r"ext_modules|Extension\s*\(|cythonize|cffi_modules|rust_extensions|RustExtension|"
    r"build_ext|distutils\.extension|Pybind11Extension|CUDAExtension|CppExtension"
)
# Signs that a failed compile falls back to pure Python: setuptools' Extension(optional=True)
# (PyYAML), the BuildFailed-and-retry idiom (MarkupSafe, simplejson); and a build_ext that
# swallows compiler errors (fallback.py). Catching CompileError alone is not one: psycopg2
# does it to re-raise. A *_NO_EXTENSIONS switch is not either: without it set, multidict's
# build fails (pure_python_switches).
_OPTIONAL_HINTS = re.compile(
    r"\boptional\s*=\s*(?!False\b)[\w(]|\bBuildFailed\b"
)  # optional=True, or computed (wrapt: optional=not force_extensions)
# Programs a setup.py runs to build bundled libraries (PyNaCl's libsodium, lupa's LuaJIT,
# pycares' c-ares): the slim and Alpine images have neither.
_RUNS_MAKE = re.compile(
    r"""(['"])make\1|\bmake\s+(-j|install(?![-\w])|all(?![-\w]))|\./configure\b"""
)
# setup.py's own helper modules at the top of the sdist (gevent's _setuplibev.py runs the
# bundled libev's configure): read with setup.py for the programs a build runs
_SETUP_HELPER = re.compile(r"^_?setup[\w-]*\.py$")
_CPLUS_EXTENSION = re.compile(r"""\blanguage\s*=\s*(['"])c\+\+\1""", re.I)
_RUNS_CMAKE = re.compile(r"""(['"])cmake\1|\bcmake\s+(-[SBDG]|--build|\.\.?\b)""")


_CMAKE_LANGUAGES_RE = re.compile(r"(?:project|enable_language)\s*\(([^)]*)\)", re.I)
_CMAKE_LANGUAGES = {"C": "C", "CXX": "C++", "FORTRAN": "Fortran"}
_MESON_LANGUAGES_RE = re.compile(r"\b(?:project|add_languages)\s*\(([^)]*)\)")
_MESON_LANGUAGES = {"c": "C", "cpp": "C++", "fortran": "Fortran", "cython": "Cython"}


@dataclass
class SdistInfo:
    filename: str
    members: int = 0
    unpacked_bytes: int = 0
    texts: dict[str, str] = field(default_factory=dict)
    source_files: dict[str, int] = field(default_factory=dict)  # language -> count
    has_cargo_toml: bool = False
    has_go_mod: bool = False
    cargo_vendored: bool = False  # crates shipped in the sdist: the build needs no crates.io
    includes: list[str] = field(default_factory=list)  # headers not shipped in the sdist
    headers: list[str] = field(default_factory=list)  # headers it ships (bundled libraries)
    cargo_toml: str = ""  # the first Cargo.toml, for rust-version
    source_lines: dict[str, int] = field(default_factory=dict)  # language -> lines built
    python_bytes: int = 0  # .py files outside tests and docs: what an install would copy
    cargo_lock_packages: int = 0  # crates in Cargo.lock: what a Rust build compiles
    generated_lines: int = 0  # of source_lines, in C/C++ files Cython generated (shipped)
    untranslated_cython_lines: int = 0  # .pyx lines with no generated C beside them
    cython_modules: int = 0  # such .pyx files: each compiles Cython's utility code anew
    header_lines: int = 0  # lines of shipped headers (C++ templates compile slowly)
    cython_cplus: bool = False  # a .pyx says "# distutils: language = c++": g++ compiles it
    # `#if <version macro> ... #error` in C/C++ sources: the library versions a build accepts
    version_guards: list[dict[str, object]] = field(default_factory=list)
    # scratch state while scanning, not stored
    _local_headers: set[str] = field(default_factory=set, repr=False)
    _pyx_lines: dict[str, int] = field(default_factory=dict, repr=False)  # path stem -> lines
    _c_stems: set[str] = field(default_factory=set, repr=False)
    _scanned: int = 0

    FORMAT = 11  # bump when the fields change: cached inspections of older formats are redone

    def to_json(self) -> dict[str, object]:
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_")}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> SdistInfo:
        return cls(**data)  # type: ignore[arg-type]

    def to_blob(self) -> bytes:
        """The cache's form (written by this process or by the worker, read by the client)."""
        return json.dumps(self.to_json()).encode()

    @classmethod
    def from_blob(cls, data: bytes) -> SdistInfo:
        """The inspection a blob holds; ValueError or TypeError for one of another format."""
        return cls.from_json(json.loads(data))

    @property
    def pyproject(self) -> dict[str, object]:
        text = self.texts.get("pyproject.toml")
        if not text:
            return {}
        try:
            return parse_toml(text)
        except ValueError:  # invalid TOML, or nested too deep to walk safely
            return {}

    @property
    def build_system(self) -> dict[str, object]:
        table = self.pyproject.get("build-system")
        return table if isinstance(table, dict) else {}

    @property
    def build_backend(self) -> str:
        backend = self.build_system.get("build-backend")
        return str(backend) if backend else "setuptools.build_meta:__legacy__"

    def build_requires(self) -> tuple[list[Requirement], list[str]]:
        """[build-system] requires (or pip's setuptools default), and lines that did not parse."""
        raw = self.build_system.get("requires")
        lines = [str(x) for x in raw] if isinstance(raw, list) else list(DEFAULT_BUILD_REQUIRES)
        good, bad = [], []
        for line in lines:
            try:
                good.append(Requirement(line))
            except InvalidRequirement:
                bad.append(line)
        return good, bad

    def build_programs(self) -> list[str]:
        """System programs setup.py runs itself: make, and cmake when PyPI does not bring it."""
        # comments mention make targets without running them (psutil: `make install-pydeps`)
        scripts = [t for name, t in self.texts.items() if _SETUP_HELPER.match(name)]
        setup_py = re.sub(r"#[^\n]*", "", "\n".join(scripts))
        requires = " ".join(r.name.lower() for r in self.build_requires()[0])
        programs = []
        if _RUNS_CMAKE.search(setup_py) and "cmake" not in requires:
            programs += ["cmake", "make"]
        elif _RUNS_MAKE.search(setup_py):
            programs.append("make")
        return programs

    def declared_languages(self) -> set[str]:
        """Languages CMakeLists.txt (project, enable_language) or meson.build declare."""
        found: set[str] = set()
        cmake = self.texts.get("CMakeLists.txt", "")
        for args in _CMAKE_LANGUAGES_RE.findall(cmake):
            found.update(_CMAKE_LANGUAGES.get(word.upper(), "") for word in args.split())
        meson = self.texts.get("meson.build", "")
        for args in _MESON_LANGUAGES_RE.findall(meson):
            found.update(_MESON_LANGUAGES.get(word, "") for word in re.findall(r"'(\w+)'", args))
        found.discard("")
        return found

    def pure_python_switches(self) -> list[str]:
        """Environment variables setup.py reads to build without its C extensions."""
        return list(read_fallback(self.texts.get("setup.py", "")).switches)

    def native(self) -> tuple[bool, list[str], bool]:
        """(needs a compiler, languages, compile failure falls back to pure Python)."""
        backend_root = self.build_backend.split(":")[0].split(".")[0]
        setup_text = self.texts.get("setup.py", "") + "\n" + self.texts.get("setup.cfg", "")
        languages = sorted(self.source_files)
        setup_py = re.sub(r"#[^\n]*", "", self.texts.get("setup.py", ""))
        # Extension(..., language="c++") or a .pyx directive: g++ compiles it (cymem, frozenlist)
        if (self.cython_cplus or _CPLUS_EXTENSION.search(setup_py)) and "C++" not in languages:
            languages.append("C++")
        requires_text = " ".join(str(r) for r in self.build_requires()[0]).lower()
        if "Rust" in languages and not self.has_cargo_toml:
            languages.remove("Rust")
        # Go is built only through setuptools-golang; a bundled go.mod is not compiled
        if "Go" in languages and "setuptools-golang" not in requires_text:
            languages.remove("Go")
        if backend_root in _NATIVE_BACKENDS:
            forced = _NATIVE_BACKENDS[backend_root]
            if forced and forced not in languages:
                languages.append(forced)
            # CMake and meson refuse to configure without every compiler the project
            # declares, even when no file needs it (pyzmq: LANGUAGES C CXX); and they compile
            # no other language, whatever files lie around (rapidfuzz's vendored Fortran).
            # Cython and Rust are not CMake/meson languages: they stay as found.
            declared = self.declared_languages()
            if declared:
                kept = {x for x in languages if x in ("Cython", "Rust")}
                languages = sorted(declared | kept | ({forced} if forced else set()))
            return True, sorted(languages) or ["C"], False
        if "setuptools-rust" in requires_text or "setuptools_rust" in requires_text:
            languages = sorted(set(languages) | {"Rust"})
            return True, languages, False
        # setuptools >= 74 also reads extensions from pyproject.toml (mmh3)
        tool = self.pyproject.get("tool")
        table = tool.get("setuptools") if isinstance(tool, dict) else None
        in_pyproject = isinstance(table, dict) and bool(table.get("ext-modules"))
        declares = in_pyproject or bool(_EXTENSION_HINTS.search(setup_text))
        if backend_root.startswith("setuptools") or "setup.py" in self.texts:
            if not declares:
                return False, [], False
            if "cffi_modules" in setup_text and "C" not in languages:
                languages.append("C")
            if "Rust" in languages:  # without setuptools-rust a crate in the sdist is not built
                languages.remove("Rust")
            # only setup.py: setup.cfg carries tool settings such as mypy's *_optional = True
            setup_py = self.texts.get("setup.py", "")
            optional = bool(_OPTIONAL_HINTS.search(setup_py)) or read_fallback(setup_py).automatic
            return True, sorted(languages) or ["C"], optional
        # hatchling, flit, poetry-core, pdm-backend, ...: native only with build hooks,
        # which leave compiled-language sources behind
        compiled = [lang for lang in languages if lang != "Go"]
        return bool(compiled), sorted(compiled), False


def inspect_sdist(filename: str, archive: bytes | IO[bytes]) -> SdistInfo:
    """What the archive's members tell, read statically (the archive as bytes or a file)."""
    info = SdistInfo(filename=filename)
    fileobj = io.BytesIO(archive) if isinstance(archive, bytes) else archive
    if filename.lower().endswith(".zip"):
        _scan_zip(fileobj, info)
    else:
        _scan_tar(fileobj, info)
    info.includes = _external_includes(info)
    info.headers = sorted(info._local_headers)[:MAX_BUNDLED_HEADERS]
    untranslated = [n for stem, n in info._pyx_lines.items() if stem not in info._c_stems]
    info.untranslated_cython_lines = sum(untranslated)
    info.cython_modules = len(untranslated)
    return info


def _external_includes(info: SdistInfo) -> list[str]:
    """#include names that no header inside the sdist satisfies (matched by path suffix)."""
    local: set[str] = set()
    for header in info._local_headers:
        parts = header.split("/")
        local.update("/".join(parts[i:]) for i in range(len(parts)))
    return sorted(name for name in info.includes if name not in local)[:MAX_INCLUDES]


def _scan_source(info: SdistInfo, text: bytes) -> None:
    info._scanned += 1
    seen = set(info.includes)
    for raw in _include_names(text):
        raw = raw.strip()
        name = raw.decode("utf-8", errors="replace")
        if name and name not in seen and len(seen) < 4 * MAX_INCLUDES:
            seen.add(name)
            info.includes.append(name)


def _include_names(text: bytes) -> Iterator[bytes]:
    """What _INCLUDE finds, in order. Without Cython's `cdef extern`, a search for '#' and a
    look back to the line's start does it about 10 times faster than the anchored pattern,
    which the regex engine tries at every byte (it was the largest part of reading an sdist)."""
    if b"cdef extern" in text:
        yield from (match[1] or match[2] for match in _INCLUDE.finditer(text))
        return
    for match in _HASH_INCLUDE.finditer(text):
        start = match.start()
        if not text[text.rfind(b"\n", 0, start) + 1 : start].strip(b" \t"):
            yield match[1]


def _relative(name: str) -> str | None:
    """Path inside the sdist's top folder, or None for the top folder entry itself."""
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts:
        raise ArchiveError(f"unsafe member path {name!r}")
    parts = path.parts
    return "/".join(parts[1:]) if len(parts) > 1 else None


def _escapes(member: str, link: str) -> bool:
    """Whether a link target leaves the archive's top folder."""
    if PurePosixPath(link).is_absolute():
        return True
    parts = list(PurePosixPath(member).parent.parts)
    for part in PurePosixPath(link).parts:
        if part == "..":
            if len(parts) <= 1:  # would leave the sdist's top folder
                return True
            parts.pop()
        elif part != ".":
            parts.append(part)
    return False


def _note_member(info: SdistInfo, name: str, size: int) -> str | None:
    info.members += 1
    info.unpacked_bytes += max(size, 0)
    if info.members > MAX_MEMBERS:
        raise ArchiveError(f"more than {MAX_MEMBERS} members")
    if info.unpacked_bytes > MAX_UNPACKED_BYTES:
        raise ArchiveError(f"unpacks to more than {MAX_UNPACKED_BYTES} bytes")
    relative = _relative(name)
    if relative is None:
        return None
    lower = relative.lower()
    base = lower.rsplit("/", 1)[-1]
    if base == "cargo.toml":
        info.has_cargo_toml = True
    elif base == "go.mod":
        info.has_go_mod = True
    suffix = "." + base.rsplit(".", 1)[-1] if "." in base else ""
    language = _LANGUAGE_BY_SUFFIX.get(suffix)
    template = _TEMPLATE.match(base)
    if template and language is None:  # statsmodels' .pyx.in: Tempita writes the .pyx
        language = _LANGUAGE_BY_SUFFIX.get(template[1])
    built = not _NOT_BUILT.search(lower)
    if language and built:
        info.source_files[language] = info.source_files.get(language, 0) + 1
    if suffix == ".py" and built and base != "setup.py":
        info.python_bytes += max(size, 0)
    if suffix in _HEADER_SUFFIXES:
        info._local_headers.add(relative)
    if base == ".cargo-checksum.json":  # written by `cargo vendor` into each vendored crate
        info.cargo_vendored = True
    if relative in TEXT_MEMBERS or _SETUP_HELPER.match(relative):
        return relative
    if base == "cargo.toml" and not info.cargo_toml and relative.count("/") <= 2:
        return "Cargo.toml"
    if base == "cargo.lock" and not info.cargo_lock_packages and relative.count("/") <= 2:
        return "Cargo.lock"
    if language and built:
        if language in ("C", "C++"):
            info._c_stems.add(relative.rsplit(".", 1)[0])
        return f"{SOURCE}{language}:{relative}"
    if suffix in _SCANNED_SUFFIXES and built:
        return f"{SOURCE}:{relative}"
    return None


# _note_member's answer for a native source: "<source>LANGUAGE:path" (LANGUAGE empty for
# headers). Sources are counted in lines and scanned for #include lines.
SOURCE = "<source>"
_CYTHON_MARK = b"Generated by Cython"
# sources a template engine expands before compiling: foo.pyx.in, foo.c.src
_TEMPLATE_SUFFIX = r"\.(?:in|src|tp|tempita)$"
_TEMPLATE = re.compile(r"^[^/]+(\.\w+)" + _TEMPLATE_SUFFIX)
# Cython's per-file directive (frozenlist): the generated file is C++
# a file without an #error line has no guard. Searched from its "#": the pattern anchored at
# line starts (^[ \t]*#[ \t]*error) was tried at every byte, 0.2 s of CPU over grpcio's sources
_HASH_ERROR = re.compile(rb"#[ \t]*error")


def _has_error_line(data: bytes) -> bool:
    """Whether some line is ``#error`` with only spaces or tabs before either part."""
    for match in _HASH_ERROR.finditer(data):
        line = data.rfind(b"\n", 0, match.start()) + 1
        if not data[line : match.start()].strip(b" \t"):
            return True
    return False


_CYTHON_CPLUS = re.compile(rb"^#\s*distutils\s*:\s*language\s*=\s*c\+\+", re.M | re.I)


def _take(info: SdistInfo, wanted: str, read: Callable[[int], bytes]) -> None:
    if wanted.startswith(SOURCE):
        language, _, path = wanted[len(SOURCE) :].partition(":")
        data = read(MAX_SOURCE_SCAN_BYTES)
        lines = data.count(b"\n")
        if language:
            lines += _count_lines(read, MAX_SOURCE_COUNT_BYTES - len(data))
            info.source_lines[language] = info.source_lines.get(language, 0) + lines
        elif not path.endswith((".pxd", ".pxi")):
            info.header_lines += lines
        if language in ("C", "C++") and _CYTHON_MARK in data[:400]:
            info.generated_lines += lines
        if language == "Cython":
            stem = re.sub(_TEMPLATE_SUFFIX, "", path).rsplit(".", 1)[0]
            info._pyx_lines[stem] = lines
            if _CYTHON_CPLUS.search(data[:4096]):
                info.cython_cplus = True
        if language in _INCLUDE_LANGUAGES and info._scanned < MAX_SOURCES_SCANNED:
            _scan_source(info, data[:MAX_SOURCE_SCAN_BYTES])
            guarded = b"error" in data and _has_error_line(data)
            if language != "Cython" and guarded and len(info.version_guards) < 50:
                guards = find_version_guards(path, _decode(data))
                info.version_guards += [g.to_json() for g in guards]
    elif wanted == "Cargo.lock":
        info.cargo_lock_packages = _decode(read(MAX_TEXT_BYTES)).count("[[package]]")
    elif wanted == "Cargo.toml":
        info.cargo_toml = _decode(read(MAX_TEXT_BYTES))
    elif wanted not in info.texts:
        info.texts[wanted] = _decode(read(MAX_TEXT_BYTES))


def _count_lines(read: Callable[[int], bytes], limit: int) -> int:
    """Newlines in the next ``limit`` bytes, read a chunk at a time (sources can be 10 MB+)."""
    lines = 0
    while limit > 0:
        chunk = read(min(limit, 1 << 20))
        if not chunk:
            break
        lines += chunk.count(b"\n")
        limit -= len(chunk)
    return lines


def _decode(data: bytes) -> str:
    return data[:MAX_TEXT_BYTES].decode("utf-8", errors="replace")


def _scan_tar(fileobj: IO[bytes], info: SdistInfo) -> None:
    try:
        # stream mode: members are read in order, never all held at once
        with tarfile.open(fileobj=fileobj, mode="r|*") as archive:
            for member in archive:
                if (member.issym() or member.islnk()) and _escapes(member.name, member.linkname):
                    raise ArchiveError(f"link {member.name!r} points outside the archive")
                wanted = _note_member(info, member.name, member.size)
                if wanted and member.isfile():
                    handle = archive.extractfile(member)
                    if handle is not None:
                        _take(info, wanted, handle.read)
    except (tarfile.TarError, EOFError, OSError, ValueError) as exc:
        raise ArchiveError(f"cannot read the archive: {exc}") from exc


def _scan_zip(fileobj: IO[bytes], info: SdistInfo) -> None:
    try:
        with zipfile.ZipFile(fileobj) as archive:
            for member in archive.infolist():
                wanted = _note_member(info, member.filename, member.file_size)
                if wanted and not member.is_dir():
                    with archive.open(member) as handle:
                        _take(info, wanted, handle.read)
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
        raise ArchiveError(f"cannot read the archive: {exc}") from exc
