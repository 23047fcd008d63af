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


class HeaderIndex:
    def __init__(self, text: str = "", start: int = 0, end: int | None = None, prefix: str = ""):
        """The lines of ``text[start:end]``: each is ``prefix`` + "path<TAB>package" and ends
        in a newline, sorted by path (as scripts/build_sysdeps.py writes them; a test checks
        the shipped files). The prefix lets the index live inside the whole data file."""
        self._text, self._start = text, start
        self._end = len(text) if end is None else end
        self._skip = len(prefix)
        self._names = re.compile("^" + re.escape(prefix) + r"(?:[^\t\n]*/)?([^/\t\n]*)\t", re.M)
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
        return self._text.count("\n", self._start, self._end)

    def get(self, path: str) -> str | None:
        """The package of exactly this header path."""
        text, skip, low, high = self._text, self._skip, self._start, self._end
        # low and high are line starts; the answer is the first line whose path >= path
        while low < high:
            start = text.rfind("\n", low, (low + high) // 2) + 1 or low
            tab = text.index("\t", start + skip)
            if text[start + skip : tab] < path:
                low = text.index("\n", tab) + 1
            else:
                high = start
        if low < self._end:
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
                found = self._names.finditer(self._text, self._start, self._end)
                names = sorted((match[1], match.start()) for match in found)
                self._by_name = array("L", (offset for _, offset in names))
            return self._by_name

    def _line(self, offset: int) -> tuple[str, str]:
        line = self._text[offset + self._skip : self._text.index("\n", offset)]
        path, _, package = line.partition("\t")
        return path, package

    def _file_name_at(self, offset: int) -> str:
        return _file_name(
            self._text[offset + self._skip : self._text.index("\t", offset + self._skip)]
        )


def _file_name(path: str) -> str:
    return path.rsplit("/", 1)[-1]
