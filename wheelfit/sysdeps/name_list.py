"""A set of names kept as one sorted text and searched in place.

Every package name Alpine's aports has (32,000) as a frozenset of strings took 3.9 MB, held
to the end of a run, where its memory peaks; as one text and an array of where each name
starts, 0.6 MB. A membership test is a binary search (~5 µs); a run asks a few hundred.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable


class NameList:
    def __init__(self, names: Iterable[str]) -> None:
        ordered = sorted(set(names))
        self._text = "\n".join(ordered) + "\n"
        starts = array("L", [0])
        for name in ordered[:-1]:
            starts.append(starts[-1] + len(name) + 1)
        self._starts = starts if ordered else array("L")

    def __len__(self) -> int:
        return len(self._starts)

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str) or "\n" in name:
            return False
        text, starts = self._text, self._starts
        low, high = 0, len(starts)
        while low < high:
            middle = (low + high) // 2
            start = starts[middle]
            found = text[start : text.index("\n", start)]
            if found == name:
                return True
            if found < name:
                low = middle + 1
            else:
                high = middle
        return False
