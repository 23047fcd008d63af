"""Header path -> Debian package, for every header a Debian release ships, kept compact.

A release ships ~260,000 headers. As a dict of paths plus a dict of file names to paths they
took ~70 MB, loaded whenever a run infers one package's system libraries. Here they stay the
text the data file holds, "path<TAB>package" lines sorted by path (~14 MB), and an exact
lookup is a binary search over the text itself: loading parses and sorts nothing. The order
by file name, which only the fallback search by file name needs, is made the first time it is
asked for.
"""

from __future__ import annotations

import re
import threading
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator

_NAMED_LINE = re.compile(r"^(?:[^\t\n]*/)?([^/\t\n]*)\t", re.MULTILINE)


class HeaderIndex:
    def __init__(self, sorted_lines: str = "") -> None:
        """``sorted_lines``: "path<TAB>package" lines, each ending in a newline, sorted by
        path (as scripts/build_sysdeps.py writes them; a test checks the shipped files)."""
        self._text = sorted_lines
        self._by_name: array[int] | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[str, str]]) -> HeaderIndex:
        """From (path, package) rows in any order; the first row of a path is kept."""
        first: dict[str, str] = {}
        for path, package in rows:
            first.setdefault(path, package)
        return cls("".join(f"{path}\t{first[path]}\n" for path in sorted(first)))

    def __len__(self) -> int:
        return self._text.count("\n")

    def get(self, path: str) -> str | None:
        """The package of exactly this header path."""
        text, low, high = self._text, 0, len(self._text)
        # low and high are line starts; the answer is the first line whose path >= path
        while low < high:
            start = text.rfind("\n", low, (low + high) // 2) + 1 or low
            tab = text.index("\t", start)
            if text[start:tab] < path:
                low = text.index("\n", tab) + 1
            else:
                high = start
        if low < len(text):
            found, package = self._line(low)
            if found == path:
                return package
        return None

    def named(self, file_name: str) -> Iterator[tuple[str, str]]:
        """(path, package) of every header with this file name."""
        by_name = self._name_order()
        first = bisect_left(by_name, file_name, key=self._file_name_at)
        for offset in by_name[first:]:
            path, package = self._line(offset)
            if _file_name(path) != file_name:
                break
            yield path, package

    def _name_order(self) -> array[int]:
        with self._lock:  # targets run in threads: sort once
            if self._by_name is None:
                names = sorted((m[1], m.start()) for m in _NAMED_LINE.finditer(self._text))
                self._by_name = array("L", (offset for _, offset in names))
            return self._by_name

    def _line(self, offset: int) -> tuple[str, str]:
        path, _, package = self._text[offset : self._text.index("\n", offset)].partition("\t")
        return path, package

    def _file_name_at(self, offset: int) -> str:
        return _file_name(self._text[offset : self._text.index("\t", offset)])


def _file_name(path: str) -> str:
    return path.rsplit("/", 1)[-1]
