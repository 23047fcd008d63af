"""Header path -> Debian package, for every header a Debian release ships, kept compressed.

A release ships ~260,000 headers: 13 MB of "h<TAB>path<TAB>package" rows. As dicts they took
~70 MB; as the inflated text, searched in place, 13 MB per release, and a run holds two
releases (the Debian images' and the one the Alpine estimate maps from) to its end, where
its memory peaks: the 714-pin file peaked ~45 MB lower without them. So they stay deflated
as the data file ships them: its writer (file_index.pack_table) flushes the compressor fully
around every ~4 KB of header rows, so each block can be inflated on its own from where it
starts in the file. A lookup is a binary search over the blocks' first paths and one block
inflated (~10 µs; a run asks a few thousand, most of them of a block inflated recently).
"""

from __future__ import annotations

import re
import threading
import zlib
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Sequence
from functools import lru_cache

# raw deflate: a block is read from the middle of the gzip stream
_RAW = -zlib.MAX_WBITS

# an index by file name packs a hash of the name (44 bits) and a line number (20 bits)
_INDEX_BITS = 20
_INDEX_MASK = (1 << _INDEX_BITS) - 1
_PART_BITS = 4


class HeaderIndex:
    def __init__(
        self,
        table: bytes = b"",
        offsets: Sequence[int] = (0,),
        rows: Sequence[int] = (0,),
        firsts: Sequence[str] = (),
        prefix: str = "h\t",
    ) -> None:
        """Block i of the header rows is ``table[offsets[i]:offsets[i + 1]]``, deflated on
        its own; ``rows[i]`` header rows come before it and ``firsts[i]`` is its first path.
        The last offset and row count end the last block. Each row is ``prefix`` +
        "path<TAB>package" and ends in a newline; the rows are sorted by path."""
        if not (len(offsets) == len(rows) == len(firsts) + 1):
            raise ValueError("the header blocks' offsets, rows and first paths do not match")
        if list(offsets) != sorted(offsets) or offsets[-1] > len(table):
            raise ValueError("the header blocks' offsets are out of order or past the table")
        self._table = table
        self._offsets = array("Q", offsets)
        self._rows = array("L", rows)
        self._firsts = list(firsts)
        self._names = re.compile("^" + re.escape(prefix) + r"(?:[^\t\n]*/)?([^/\t\n]*)\t", re.M)
        self._prefix = prefix
        self._by_name: array[int] | None = None
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return self._rows[-1]

    def get(self, path: str) -> str | None:
        """The package of exactly this header path."""
        at = bisect_right(self._firsts, path) - 1
        if at < 0:
            return None
        text = self._text(at)
        row = f"\n{self._prefix}{path}\t"
        found = text.find(row)
        if found < 0:
            return None
        start = found + len(row)
        return text[start : text.index("\n", start)]

    def has_folder(self, folder: str) -> bool:
        """Whether some header path starts with ``folder`` (which ends in "/")."""
        # the paths that start with the folder come right after it in path order: in the
        # block holding where the folder would sort, or first in the next block
        at = bisect_right(self._firsts, folder) - 1
        if at >= 0 and f"\n{self._prefix}{folder}" in self._text(at):
            return True
        return at + 1 < len(self._firsts) and self._firsts[at + 1].startswith(folder)

    def named(self, file_name: str) -> Iterator[tuple[str, str]]:
        """(path, package) of every header with this file name."""
        keys = self._name_order()
        wanted = _name_hash(file_name)
        at = bisect_left(keys, wanted << _INDEX_BITS)
        while at < len(keys) and keys[at] >> _INDEX_BITS == wanted:
            path, package = self._line(keys[at] & _INDEX_MASK)
            if _file_name(path) == file_name:  # another name with the same hash: skipped
                yield path, package
            at += 1

    def _name_order(self) -> array[int]:
        """Each row's file-name hash and row number in one 64-bit number, sorted: equal
        names are neighbours and a lookup is a binary search. Numbers, not names, so that
        the sort holds no strings (an index by name cost 33 MB at a run's peak)."""
        with self._lock:  # targets run in threads: sort once
            if self._by_name is None:
                if len(self) > _INDEX_MASK:
                    raise ValueError("too many headers for the index by name")
                # sorted a sixteenth at a time (by the hash's top bits): sorting all 260,000
                # at once makes as many int objects at once, 10 MB near the run's peak
                parts = [array("Q") for _ in range(1 << _PART_BITS)]
                for at in range(len(self._firsts)):
                    first_row = self._rows[at]
                    for i, match in enumerate(self._names.finditer(self._text(at))):
                        key = _name_hash(match[1]) << _INDEX_BITS | first_row + i
                        parts[key >> (64 - _PART_BITS)].append(key)
                keys = array("Q")
                for part in parts:
                    keys.extend(sorted(part))
                self._by_name = keys
            return self._by_name

    def _line(self, number: int) -> tuple[str, str]:
        at = bisect_right(self._rows, number) - 1
        text = self._text(at)
        start = 0
        for _ in range(number - self._rows[at] + 1):
            start = text.index("\n", start) + 1
        row = text[start + len(self._prefix) : text.index("\n", start)]
        path, _, package = row.partition("\t")
        return path, package

    def _text(self, at: int) -> str:
        """Block ``at``'s rows, after a newline (so that every row starts after one)."""
        return _inflated(self._table, self._offsets[at], self._offsets[at + 1])


# an awx run asks 8,500 lookups of 590 blocks: the last 128 inflated (~4 KB each) answer all
# but 900 of them (each inflation also lets go of the GIL, and waits to take it back)
@lru_cache(maxsize=128)
def _inflated(table: bytes, start: int, end: int) -> str:
    # a bytes object keeps its hash once computed: a lookup here does not hash the table again
    return "\n" + zlib.decompressobj(_RAW).decompress(table[start:end]).decode("utf-8")


def _name_hash(name: str) -> int:
    return hash(name) & ((1 << (64 - _INDEX_BITS)) - 1)


def _file_name(path: str) -> str:
    return path.rsplit("/", 1)[-1]
