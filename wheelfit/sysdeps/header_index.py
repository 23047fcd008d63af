"""Header path -> Debian package, for every header a Debian release ships, kept compact.

A release ships ~260,000 headers. As a dict of paths plus a dict of file names to paths they
took ~70 MB, loaded whenever a run infers one package's system libraries. Here they stay the
text the data file holds, "path<TAB>package" lines sorted by path (~14 MB), searched in place:
an exact lookup is a binary search over the text itself, so loading parses, sorts and copies
nothing. The order by file name, which only the fallback search by file name needs, is made
the first time it is asked for.
"""

from __future__ import annotations

import re
import threading
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator

# an index by file name packs a hash of the name (44 bits) and a line number (20 bits)
_INDEX_BITS = 20
_INDEX_MASK = (1 << _INDEX_BITS) - 1


class HeaderIndex:
    def __init__(self, text: str = "", start: int = 0, end: int | None = None, prefix: str = ""):
        """The lines of ``text[start:end]``: each is ``prefix`` + "path<TAB>package" and ends
        in a newline, sorted by path (as scripts/build_sysdeps.py writes them; a test checks
        the shipped files). The prefix lets the index live inside the whole data file."""
        self._text, self._start = text, start
        self._end = len(text) if end is None else end
        self._skip = len(prefix)
        self._names = re.compile("^" + re.escape(prefix) + r"(?:[^\t\n]*/)?([^/\t\n]*)\t", re.M)
        self._by_name: tuple[array[int], array[int]] | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[str, str]]) -> HeaderIndex:
        """From (path, package) rows in any order; the first row of a path is kept."""
        first: dict[str, str] = {}
        for path, package in rows:
            first.setdefault(path, package)
        return cls("".join(f"{path}\t{first[path]}\n" for path in sorted(first)))

    def __len__(self) -> int:
        return self._text.count("\n", self._start, self._end)

    def get(self, path: str) -> str | None:
        """The package of exactly this header path."""
        at = self._first_at_or_after(path)
        if at < self._end:
            found, package = self._line(at)
            if found == path:
                return package
        return None

    def has_folder(self, folder: str) -> bool:
        """Whether some header path starts with ``folder`` (which ends in "/")."""
        at = self._first_at_or_after(folder)
        return at < self._end and self._line(at)[0].startswith(folder)

    def _first_at_or_after(self, path: str) -> int:
        """The start of the first line whose path is >= ``path`` (the end when none is)."""
        text, skip, low, high = self._text, self._skip, self._start, self._end
        # low and high are line starts
        while low < high:
            start = text.rfind("\n", low, (low + high) // 2) + 1 or low
            tab = text.index("\t", start + skip)
            if text[start + skip : tab] < path:
                low = text.index("\n", tab) + 1
            else:
                high = start
        return low

    def named(self, file_name: str) -> Iterator[tuple[str, str]]:
        """(path, package) of every header with this file name."""
        keys, offsets = self._name_order()
        wanted = _name_hash(file_name)
        at = bisect_left(keys, wanted << _INDEX_BITS)
        while at < len(keys) and keys[at] >> _INDEX_BITS == wanted:
            path, package = self._line(offsets[keys[at] & _INDEX_MASK])
            if _file_name(path) == file_name:  # another name with the same hash: skipped
                yield path, package
            at += 1

    def _name_order(self) -> tuple[array[int], array[int]]:
        """Each line's file-name hash and line number in one 64-bit number, sorted: equal
        names are neighbours and a lookup is a binary search. Numbers, not names, so that
        the sort holds no strings (an index by name cost 33 MB at a run's peak)."""
        with self._lock:  # targets run in threads: sort once
            if self._by_name is None:
                lines = (self._text, self._start, self._end)
                offsets = array("L", (match.start() for match in self._names.finditer(*lines)))
                if len(offsets) > _INDEX_MASK:
                    raise ValueError("too many headers for the index by name")
                # a second pass rather than a list of 260,000 match objects
                found = enumerate(self._names.finditer(*lines))
                keys = array("Q", (_name_hash(m[1]) << _INDEX_BITS | i for i, m in found))
                self._by_name = (array("Q", sorted(keys)), offsets)
            return self._by_name

    def _line(self, offset: int) -> tuple[str, str]:
        line = self._text[offset + self._skip : self._text.index("\n", offset)]
        path, _, package = line.partition("\t")
        return path, package


def _name_hash(name: str) -> int:
    return hash(name) & ((1 << (64 - _INDEX_BITS)) - 1)


def _file_name(path: str) -> str:
    return path.rsplit("/", 1)[-1]
