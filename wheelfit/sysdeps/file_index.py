"""A Debian release's files as wheelfit asks about them: which package ships a header, a
shared library, a pkg-config file; which libraries a -dev package brings.

The data file holds "kind<TAB>name<TAB>package" rows sorted by kind, then name, gzip'd, and a
list of where its blocks of header rows start (pack_table writes both). The header rows (80%
of the file) stay deflated and are searched block by block (HeaderIndex); the other rows are
inflated, and each kind is made into its table the first time it is asked for: a run that
only asks which libraries a -dev package brings splits those 6,700 rows, not all 72,000.
"""

from __future__ import annotations

import re
import sys
import zlib
from collections.abc import Iterable
from functools import cached_property

from ..kb import inflate_pieces
from .header_index import HeaderIndex

# headers GCC ships in its own folder (not under /usr/include), and the C++ standard library
_COMPILER_HEADERS = re.compile(
    r"^(std(align|arg|atomic|bool|def|int-gcc|noreturn)\.h|float\.h|iso646\.h|varargs\.h|"
    r"\w*intrin\.h|cpuid\.h|unwind\.h|omp\.h|openacc\.h|gcov\.h|"
    r"[a-z_]+|(tr1|ext|bits|experimental)/.*)$"
)

COLUMNS = "kind\tname\tpackage\n"
BLOCK_COLUMNS = "offset\trows\tfirst\n"
# a block of header rows ends at the first row end past this many bytes: 4 KB deflate to
# ~600 bytes and inflate in ~10 µs (16 KB blocks: 40 µs, and all of them 8-12% smaller)
HEADER_BLOCK_BYTES = 4096
_GZIP = 16 + zlib.MAX_WBITS
_RAW = -zlib.MAX_WBITS


def pack_table(rows: Iterable[tuple[str, str, str]]) -> tuple[bytes, str]:
    """The data file's two parts from its (kind, name, package) rows, in order.

    The table: the rows gzip'd, the compressor flushed fully before each block of header rows
    and after the last, so that each block inflates on its own. The list of blocks
    (BLOCK_COLUMNS): where each starts in the table, how many header rows come before it, its
    first path; then a row where the last ends.
    """
    compress = zlib.compressobj(9, zlib.DEFLATED, _GZIP)
    table = bytearray(compress.compress(COLUMNS.encode()))
    blocks = [BLOCK_COLUMNS]
    headers = block_bytes = 0
    started = ended = False

    def flush() -> int:
        table.extend(compress.flush(zlib.Z_FULL_FLUSH))
        return len(table)

    for kind, name, package in rows:
        line = f"{kind}\t{name}\t{package}\n".encode()
        if kind == "h":
            if ended:
                raise ValueError(f"header row {name!r} after other kinds: sort the rows")
            if not started or block_bytes >= HEADER_BLOCK_BYTES:
                blocks.append(f"{flush()}\t{headers}\t{name}\n")
                started, block_bytes = True, 0
            headers += 1
            block_bytes += len(line)
        elif started and not ended:
            blocks.append(f"{flush()}\t{headers}\t\n")
            ended = True
        table += compress.compress(line)
    if started and not ended:
        blocks.append(f"{flush()}\t{headers}\t\n")
    table += compress.flush()
    return bytes(table), "".join(blocks)


class FileIndex:
    def __init__(self, table: bytes, blocks: str) -> None:
        """From the data file's two parts (pack_table). Raises ValueError (zlib.error when
        the table does not inflate) when they are not what pack_table writes."""
        offsets, rows, firsts = _read_blocks(blocks)
        if firsts:
            self.headers = HeaderIndex(table, offsets, rows, firsts)
            # the rows before the header rows, then those after them
            head = inflate_pieces(zlib.decompressobj(_GZIP), memoryview(table)[: offsets[0]])
            rest = zlib.decompressobj(_RAW)
            pieces = head + inflate_pieces(rest, memoryview(table)[offsets[-1] :])
        else:
            self.headers = HeaderIndex()
            rest = zlib.decompressobj(_GZIP)
            pieces = inflate_pieces(rest, table)
        if not rest.eof:
            raise ValueError("the table ends before its compressed stream does")
        # one join: the text is kept, and no large string is made and freed on the way
        self._text = "".join(pieces)
        if not self._text.startswith(COLUMNS):
            raise ValueError(f"the table's first line is not {COLUMNS!r}")

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[str, str, str]]) -> FileIndex:
        """From (kind, name, package) rows in any order (tests, small tables)."""
        return cls(*pack_table(sorted(set(rows))))

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
        rows = []
        # plain splits: csv.DictReader made this the slowest part of a warm run
        for line in self._text[start:end].splitlines():
            cells = line.split("\t")
            if len(cells) < 3 or cells[0] != kind:
                continue
            # package names repeat over thousands of rows: one string object each (about a
            # third of this index's memory)
            rows.append((cells[1], sys.intern(cells[2])))
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


def _read_blocks(text: str) -> tuple[list[int], list[int], list[str]]:
    """The offsets, row counts and first paths of the list of blocks pack_table writes."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0] != BLOCK_COLUMNS:
        raise ValueError(f"the list of header blocks does not start with {BLOCK_COLUMNS!r}")
    offsets, rows, firsts = [], [], []
    for number, line in enumerate(lines[1:], 2):
        cells = line.rstrip("\n").split("\t")
        if len(cells) != 3 or not cells[0].isdigit() or not cells[1].isdigit():
            raise ValueError(f"line {number} of the list of header blocks: {line!r}")
        offsets.append(int(cells[0]))
        rows.append(int(cells[1]))
        firsts.append(cells[2])
    if firsts and firsts.pop():
        raise ValueError("the list of header blocks does not end with where the last ends")
    return offsets, rows, firsts
