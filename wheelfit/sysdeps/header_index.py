"""Header path -> Debian package, for every header a Debian release ships, kept compact.

A release ships ~260,000 headers. As a dict of paths plus a dict of file names to paths they
took ~70 MB, loaded whenever a run infers one package's system libraries. Here they are one
text of "path<TAB>package" lines and an array of line offsets sorted by the header's file
name: ~15 MB, and a lookup is a binary search.
"""

from __future__ import annotations

import io
from array import array
from bisect import bisect_left
from collections.abc import Iterator


class HeaderIndex:
    """Filled with ``add`` (one row per path, as scripts/build_sysdeps.py writes them), then
    ``finish`` once; lookups see what was finished."""

    def __init__(self) -> None:
        self._writer, self._offsets, self._size = io.StringIO(), array("L"), 0
        self._text, self._by_name = "", array("L")

    def add(self, path: str, package: str) -> None:
        self._offsets.append(self._size)
        self._size += self._writer.write(f"{path}\t{package}\n")

    def finish(self) -> HeaderIndex:
        self._text = self._writer.getvalue()
        self._by_name = array("L", sorted(self._offsets, key=self._file_name_at))
        self._writer, self._offsets = io.StringIO(), array("L")
        return self

    def __len__(self) -> int:
        return len(self._by_name)

    def get(self, path: str) -> str | None:
        """The package of exactly this header path."""
        matches = (package for found, package in self.named(_file_name(path)) if found == path)
        return next(matches, None)

    def named(self, file_name: str) -> Iterator[tuple[str, str]]:
        """(path, package) of every header with this file name."""
        first = bisect_left(self._by_name, file_name, key=self._file_name_at)
        for offset in self._by_name[first:]:
            path, package = self._line(offset)
            if _file_name(path) != file_name:
                break
            yield path, package

    def _line(self, offset: int) -> tuple[str, str]:
        path, _, package = self._text[offset : self._text.index("\n", offset)].partition("\t")
        return path, package

    def _file_name_at(self, offset: int) -> str:
        return _file_name(self._line(offset)[0])


def _file_name(path: str) -> str:
    return path.rsplit("/", 1)[-1]
