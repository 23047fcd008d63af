"""A Debian release's files as wheelfit asks about them: which package ships a header, a
shared library, a pkg-config file; which libraries a -dev package brings.

The data file (scripts/build_sysdeps.py) holds "kind<TAB>name<TAB>package" rows sorted by
kind, then name. The header rows (80% of the file) are searched in place (HeaderIndex); each
other kind is made into its table the first time it is asked for: a run that only asks which
libraries a -dev package brings splits those 6,700 rows, not all 72,000.
"""

from __future__ import annotations

import re
import sys
from functools import cached_property

from .header_index import HeaderIndex

# headers GCC ships in its own folder (not under /usr/include), and the C++ standard library
_COMPILER_HEADERS = re.compile(
    r"^(std(align|arg|atomic|bool|def|int-gcc|noreturn)\.h|float\.h|iso646\.h|varargs\.h|"
    r"\w*intrin\.h|cpuid\.h|unwind\.h|omp\.h|openacc\.h|gcov\.h|"
    r"[a-z_]+|(tr1|ext|bits|experimental)/.*)$"
)


class FileIndex:
    def __init__(self, text: str) -> None:
        self._text = text
        columns = text[: text.find("\n")].split("\t")
        self._at = tuple(columns.index(column) for column in ("kind", "name", "package"))
        self._width = len(columns)
        start, end = self._block("h")
        self.headers = HeaderIndex(text, start, end, prefix="h\t")

    @cached_property
    def pkgconfig(self) -> dict[str, str]:
        """foo.pc's name -> its -dev package."""
        return _first_of(self._rows("pc"))

    @cached_property
    def dev_libs(self) -> dict[str, str]:
        """libfoo.so -> its -dev package."""
        return _first_of(self._rows("dev"))

    @cached_property
    def sonames(self) -> dict[str, str]:
        """libfoo.so.1 -> its runtime package."""
        return _first_of(self._rows("so"))

    @cached_property
    def runtime(self) -> dict[str, list[str]]:
        """-dev package -> its library packages."""
        return _all_of(self._rows("rt"))

    @cached_property
    def library_deps(self) -> dict[str, list[str]]:
        """library package -> the libraries it depends on."""
        return _all_of(self._rows("ld"))

    @cached_property
    def python_build_libraries(self) -> set[str]:
        """-dev packages Python's own build uses."""
        return {name for name, _ in self._rows("py")}

    def _block(self, kind: str) -> tuple[int, int]:
        """From the first row of ``kind`` to the end of its last (empty when it has none)."""
        marker = f"\n{kind}\t"
        first = self._text.find(marker) + 1
        if not first:
            return 0, 0
        return first, self._text.find("\n", self._text.rfind(marker) + 1) + 1 or len(self._text)

    def _rows(self, kind: str) -> list[tuple[str, str]]:
        """(name, package) of every row of ``kind``, in the file's order."""
        start, end = self._block(kind)
        kind_at, name_at, package_at = self._at
        rows = []
        # plain splits: csv.DictReader made this the slowest part of a warm run
        for line in self._text[start:end].splitlines():
            cells = line.split("\t")
            if len(cells) < self._width or cells[kind_at] != kind:
                continue
            # package names repeat over thousands of rows: one string object each (about a
            # third of this index's memory)
            rows.append((cells[name_at], sys.intern(cells[package_at])))
        return rows

    def library_package(self, filename: str) -> str | None:
        """libfoo.so.1.2.3 -> the package shipping it, trying libfoo.so.1.2 and libfoo.so.1."""
        name = filename
        while name:
            if name in self.sonames:
                return self.sonames[name]
            head, dot, tail = name.rpartition(".")
            if not dot or not tail.isdigit():
                return None
            name = head
        return None

    def dev_for(self, library_package: str) -> str | None:
        """The -dev package that depends on this library package (libpq5 -> libpq-dev)."""
        devs = sorted(d for d, libs in self.runtime.items() if library_package in libs)
        return min(devs, key=len) if devs else None

    def header_package(self, include: str) -> str | None:
        """The -dev package whose header this include names: exact, else a unique match one
        folder down (postgresql/libpq-fe.h for libpq-fe.h, found through pg_config -I).

        "-" in the index marks headers of libc, the compiler or Python: nothing to install.
        Headers deeper down belong to whoever added that folder to the include path: too
        weak a hint, they are left alone.
        """
        if _COMPILER_HEADERS.match(include):
            return None
        package = self.headers.get(include)
        if package is not None:
            return None if package == "-" else package
        base = include.rsplit("/", 1)[-1]
        depth = include.count("/") + 1
        owners = {
            package
            for path, package in self.headers.named(base)
            if path.endswith("/" + include) and path.count("/") == depth
        }
        return owners.pop() if len(owners) == 1 and "-" not in owners else None

    def runtime_for(self, dev_package: str) -> list[str]:
        """The shared-library packages a -dev package depends on (same Debian source)."""
        return self.runtime.get(dev_package, [])


def _first_of(rows: list[tuple[str, str]]) -> dict[str, str]:
    table: dict[str, str] = {}
    for name, package in rows:
        table.setdefault(name, package)
    return table


def _all_of(rows: list[tuple[str, str]]) -> dict[str, list[str]]:
    table: dict[str, list[str]] = {}
    for name, package in rows:
        table.setdefault(name, []).append(package)
    return table
