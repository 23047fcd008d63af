"""A wheel's file list, kept compact for the rest of a run.

The costs read every chosen wheel's members (name and uncompressed size) from its zip
directory, and the client keeps them to the end of the run: as (name, size) tuples the
714-pin file's lists took 4.5 MB. Here the names are one text and the sizes one array.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator


class MemberList:
    """(name, uncompressed size) of every member, in the archive's order."""

    __slots__ = ("_ends", "_names", "_sizes")

    def __init__(self, members: Iterable[tuple[str, int]]) -> None:
        names: list[str] = []
        ends: list[int] = []
        sizes: list[int] = []
        end = 0
        for name, size in members:
            names.append(name)
            end += len(name)
            ends.append(end)
            sizes.append(size)
        self._names = "".join(names)
        self._ends = array("Q", ends)  # where each name ends in the text
        self._sizes = array("Q", sizes)  # a zip's sizes are unsigned 64-bit numbers

    def __iter__(self) -> Iterator[tuple[str, int]]:
        start = 0
        for end, size in zip(self._ends, self._sizes, strict=True):
            yield self._names[start:end], size
            start = end

    def __len__(self) -> int:
        return len(self._sizes)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MemberList):
            return NotImplemented
        return list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"MemberList({len(self)} members)"
