"""resolvelib's resolver with states that share memory between rounds.

resolvelib pushes a new state for every package it pins: a copy of the pins and of the
criteria (one per project seen so far), so that it can go back when it meets a conflict. With
1,000 packages those copies took ~70 MB for one resolution, growing with the square of the
packages. Here the pins are a dict (an OrderedDict's order at a third of its size) and the
criteria a copy-on-write map: a round copies only the few buckets it changes.

The answers are resolvelib's own (tests/test_memory.py compares them). The subclass relies on
resolvelib's `Resolution._push_new_state` and `resolvers.resolution._build_result`, private
names of the 1.2 series that pyproject.toml allows.
"""

from __future__ import annotations

from collections.abc import ItemsView, Iterable, Iterator, Mapping, MutableMapping
from itertools import chain
from operator import attrgetter
from typing import Any, TypeVar

import resolvelib
from resolvelib.resolvers import Resolution, Result
from resolvelib.resolvers.resolution import _build_result
from resolvelib.structs import DirectedGraph, IteratorMapping

K = TypeVar("K")
V = TypeVar("V")

_BUCKETS = 64
_MISSING = object()


class CopyOnWriteDict(MutableMapping[K, V]):
    """A mapping kept in buckets by key hash: ``copy()`` shares every bucket, and a write
    copies only the bucket it changes. Iteration order is by bucket, not by insertion."""

    __slots__ = ("_buckets", "_length", "_owned")

    def __init__(self, items: Mapping[K, V] | None = None) -> None:
        self._buckets: list[dict[K, V]] = [{} for _ in range(_BUCKETS)]
        self._owned = (1 << _BUCKETS) - 1  # bit i: bucket i is this map's alone
        self._length = 0
        for key, value in (items or {}).items():
            self[key] = value

    def copy(self) -> CopyOnWriteDict[K, V]:
        twin: CopyOnWriteDict[K, V] = CopyOnWriteDict.__new__(CopyOnWriteDict)  # no empty buckets
        twin._buckets, twin._length, twin._owned = list(self._buckets), self._length, 0
        self._owned = 0  # shared from now on: the next write on either side copies
        return twin

    def __getitem__(self, key: K) -> V:
        return self._buckets[hash(key) % _BUCKETS][key]

    def __setitem__(self, key: K, value: V) -> None:
        index = hash(key) % _BUCKETS
        bucket = self._buckets[index]
        if bucket.get(key, _MISSING) is value:
            return  # unchanged: resolvelib updates a state from a copy of itself every round
        bucket = self._own(index)
        if key not in bucket:
            self._length += 1
        bucket[key] = value

    def __delitem__(self, key: K) -> None:
        index = hash(key) % _BUCKETS
        if key not in self._buckets[index]:
            raise KeyError(key)
        del self._own(index)[key]
        self._length -= 1

    def __contains__(self, key: object) -> bool:
        return key in self._buckets[hash(key) % _BUCKETS]

    def __iter__(self) -> Iterator[K]:
        # resolvelib replaces values while it iterates, never adds keys: a bucket it writes
        # is either replaced in the list (shared) or keeps its size (owned)
        return chain.from_iterable(self._buckets)

    def __len__(self) -> int:
        return self._length

    def items(self) -> ItemsView[K, V]:
        return _Items(self)

    def update(self, other: Any = (), /, **kwargs: V) -> None:
        if isinstance(other, CopyOnWriteDict) and not kwargs:
            # a copy differs from its original only in the buckets it wrote
            for mine, theirs in zip(self._buckets, other._buckets, strict=True):
                if mine is not theirs:
                    for key, value in theirs.items():
                        self[key] = value
            return
        super().update(other, **kwargs)

    def _own(self, index: int) -> dict[K, V]:
        if not self._owned >> index & 1:
            self._buckets[index] = dict(self._buckets[index])
            self._owned |= 1 << index
        return self._buckets[index]


class _Items(ItemsView[K, V]):
    """items() without a lookup per key (resolvelib scans every criterion every round)."""

    _mapping: CopyOnWriteDict[K, V]

    def __iter__(self) -> Iterator[tuple[K, V]]:
        return chain.from_iterable(bucket.items() for bucket in self._mapping._buckets)


class _LeanResolution(Resolution):  # type: ignore[type-arg]
    def __init__(self, provider: Any, reporter: Any) -> None:
        super().__init__(provider, reporter)
        # whether a criterion's pin satisfies it, per criterion and pin object: resolvelib
        # asks for every criterion at every round (twice), while a round replaces only the
        # criteria it changes (awx, ten images: a seventh of the run). An entry holds both
        # objects, so that an address reused by a new one is never taken for the old; only
        # this round's and the last round's answers are kept, not every criterion ever made.
        self._answers: dict[tuple[int, int], tuple[Any, Any, bool]] = {}
        self._last_answers: dict[tuple[int, int], tuple[Any, Any, bool]] = {}

    def _is_current_pin_satisfying(self, name: Any, criterion: Any) -> bool:
        pin = self.state.mapping.get(name, _MISSING)
        if pin is _MISSING:
            return False
        key = (id(criterion), id(pin))
        known = self._answers.get(key) or self._last_answers.get(key)
        if known is not None and known[0] is criterion and known[1] is pin:
            self._answers[key] = known
            return known[2]
        satisfied: bool = super()._is_current_pin_satisfying(name, criterion)
        self._answers[key] = (criterion, pin, satisfied)
        return satisfied

    def _get_preference(self, name: Any) -> Any:
        # resolvelib's, but the provider gets each criterion's information list itself
        # rather than an iterator over it, so that it can remember its answer per list
        return self._p.get_preference(
            identifier=name,
            resolutions=self.state.mapping,
            candidates=IteratorMapping(self.state.criteria, _CANDIDATES),
            information=_InformationLists(self.state.criteria),
            backtrack_causes=self.state.backtrack_causes,
        )

    def _push_new_state(self) -> None:
        self._last_answers, self._answers = self._answers, {}  # a new round
        super()._push_new_state()
        state = self._states[-1]
        # the root state's OrderedDict and dict, converted once and then copied cheaply
        if type(state.mapping) is not dict:
            state = state._replace(mapping=dict(state.mapping))
        if not isinstance(state.criteria, CopyOnWriteDict):
            # resolvelib types it as a dict; it only uses methods the map provides
            state = state._replace(criteria=CopyOnWriteDict(state.criteria))  # type: ignore[arg-type]
        self._states[-1] = state


_CANDIDATES = attrgetter("candidates")


class _InformationLists(Mapping[Any, Any]):
    """Each criterion's information list (resolvelib never changes one in place)."""

    __slots__ = ("_criteria",)

    def __init__(self, criteria: Mapping[Any, Any]) -> None:
        self._criteria = criteria

    def __getitem__(self, key: Any) -> Any:
        return self._criteria[key].information

    def __iter__(self) -> Iterator[Any]:
        return iter(self._criteria)

    def __len__(self) -> int:
        return len(self._criteria)


class LeanResolver(resolvelib.Resolver):  # type: ignore[type-arg]
    """resolvelib.Resolver with lean states. ``cycle_safe``: find the pins connected to the
    requirements without recursion, where resolvelib's own walk can recurse without end (a
    package depending on itself, left without another parent after backtracking). pip crashes
    there, so only the lenient pass, which shows what else would install, uses it."""

    def __init__(self, provider: Any, reporter: Any, *, cycle_safe: bool = False) -> None:
        super().__init__(provider, reporter)
        self.cycle_safe = cycle_safe

    def resolve(  # type: ignore[override]  # resolvelib's own signature
        self, requirements: Iterable[Any], max_rounds: int = 100
    ) -> Any:
        state = _LeanResolution(self.provider, self.reporter).resolve(requirements, max_rounds)
        return _connected_result(state, self.provider) if self.cycle_safe else _build_result(state)


def _connected_result(state: Any, provider: Any) -> Result:  # type: ignore[type-arg]
    """_build_result's pins (those with a chain of current pins up to a requirement of the
    user), found by a walk that visits each pin once. The graph is left empty."""
    pinned = {id(candidate): key for key, candidate in state.mapping.items()}
    children: dict[Any, set[Any]] = {}
    queue = []
    for key, criterion in state.criteria.items():
        for parent in criterion.iter_parent():
            if parent is None:
                queue.append(key)
            elif id(parent) in pinned:  # as in resolvelib: a parent no longer pinned is no link
                children.setdefault(pinned[id(parent)], set()).add(key)
    connected: set[Any] = set()
    while queue:
        key = queue.pop()
        if key not in connected:
            connected.add(key)
            queue.extend(children.get(key, ()))
    mapping = {key: c for key, c in state.mapping.items() if key in connected}
    return Result(mapping=mapping, graph=DirectedGraph(), criteria=state.criteria)
