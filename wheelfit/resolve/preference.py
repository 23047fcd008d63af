"""Which project the resolver pins next: pip 26.3's rules, so that where several answers
exist, wheelfit lands on the one pip lands on.

resolvelib pins one project per round and leaves the choice to the provider. pip 26.3
(resolvelib 1.2.1) first narrows the candidates for that choice:

1. the Requires-Python pseudo-project, alone, whenever it is unpinned;
2. else the projects named by the last conflict (the requirements and their parents);
3. else the projects that have been left unpinned in conflicts five times or more;
4. else every unpinned project;

and then takes the smallest key among them: promoted by conflicts first, then direct
references (URLs, and the exact base of a ``name[extra]``), then ``==``/``===`` pins, then
upper bounds (``<``, ``<=``, ``~=``, ``==`` with a wildcard), then the order of the user's
requirements (the rest after them), then requirements with any operator before bare names,
then the name.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

# pip's name for the pseudo-project every candidate with a Requires-Python depends on
PYTHON_KEY = "<Python from Requires-Python>"
# how often a project may be left unpinned in conflicts before it is tried first
CONFLICT_PROMOTION_THRESHOLD = 5
# information lists whose combined facts are remembered at most (then forgotten at once)
_COMBINED_KEPT = 4096

Preference = tuple[bool, bool, bool, bool, float, bool, str]


class _Requirement(Protocol):
    @property
    def key(self) -> str: ...
    @property
    def explicit(self) -> bool: ...
    @property
    def direct_url(self) -> str | None: ...
    @property
    def specifier(self) -> Iterable[Any]: ...


class _Line(Protocol):
    @property
    def key(self) -> str: ...
    @property
    def origin(self) -> str: ...
    @property
    def text(self) -> str: ...


def user_order(requirements: Iterable[_Line]) -> dict[str, int]:
    """The position of each project in the user's requirements, by pip's rule: the first
    line naming it, keyed as that line's first requirement (``name`` when the line was
    split in two, else ``name[extra]``)."""
    order: dict[str, int] = {}
    position = -1
    previous_origin = None
    for req in requirements:
        if (req.origin, req.text) != previous_origin:
            position += 1
            previous_origin = (req.origin, req.text)
            order.setdefault(req.key, position)
    return order


class PipPreference:
    """pip's narrowing and sort key, with its state: how often each project was left
    unpinned by a conflict. One per resolution."""

    def __init__(self, user_order: Mapping[str, int]) -> None:
        self.user_order = user_order
        self._conflict_counts: defaultdict[str, int] = defaultdict(int)
        self._promoted: set[str] = set()
        self._known: dict[int, tuple[_Requirement, tuple[bool, bool, bool, bool]]] = {}
        self._combined_known: dict[int, tuple[list[Any], tuple[bool, bool, bool, bool]]] = {}

    def narrow(
        self,
        identifiers: Iterable[str],
        resolutions: Mapping[str, Any],
        backtrack_causes: Sequence[Any],
    ) -> list[str]:
        named_by_conflict = set()
        for cause in backtrack_causes:
            keys = [cause.requirement.key]
            if cause.parent is not None:
                keys.append(cause.parent.key)
            for key in keys:
                named_by_conflict.add(key)
                if key not in resolutions:
                    # counted on every round the conflict stays the latest, as pip does
                    self._conflict_counts[key] += 1
                    if self._conflict_counts[key] >= CONFLICT_PROMOTION_THRESHOLD:
                        self._promoted.add(key)
        identifiers = list(identifiers)
        if PYTHON_KEY in identifiers:
            return [PYTHON_KEY]
        in_conflict = [i for i in identifiers if i in named_by_conflict]
        if in_conflict:
            return in_conflict
        promoted = [i for i in identifiers if i in self._promoted]
        return promoted or identifiers

    def key(self, identifier: str, information: Iterable[Any]) -> Preference:
        direct, has_operators, pinned, upper_bounded = self._combined(information)
        return (
            identifier not in self._promoted,
            not direct,
            not pinned,
            not upper_bounded,
            self.user_order.get(identifier, math.inf),
            not has_operators,
            identifier,
        )

    def _combined(self, information: Iterable[Any]) -> tuple[bool, bool, bool, bool]:
        """The facts of a project's requirements together. resolvelib asks for the key of
        every open project at every round, and makes a new information list whenever it
        changes a project's requirements (it never changes a list in place): given a list,
        the answer is remembered with it (a fifth of an offline run of the 714-pin file
        went to these keys)."""
        if isinstance(information, list):
            known = self._combined_known.get(id(information))
            if known is not None and known[0] is information:
                return known[1]
        direct = pinned = upper_bounded = has_operators = False
        for info in information:
            facts = self._facts(info.requirement)
            direct = direct or facts[0]
            has_operators = has_operators or facts[1]
            pinned = pinned or facts[2]
            upper_bounded = upper_bounded or facts[3]
        combined = (direct, has_operators, pinned, upper_bounded)
        if isinstance(information, list):
            if len(self._combined_known) >= _COMBINED_KEPT:
                self._combined_known.clear()  # lists of rounds long gone: not kept alive
            self._combined_known[id(information)] = (information, combined)
        return combined

    def _facts(self, requirement: _Requirement) -> tuple[bool, bool, bool, bool]:
        """(direct, has operators, pinned, upper-bounded) of one requirement, worked out
        once: resolvelib asks for the key of every open project at every round. Kept with
        the requirement object itself, so a new object at a reused address is never taken
        for it."""
        known = self._known.get(id(requirement))
        if known is not None and known[0] is requirement:
            return known[1]
        if requirement.explicit or requirement.direct_url:
            facts = (True, False, False, False)  # pip's explicit requirements: no specifier
        else:
            operators = [(spec.operator, spec.version) for spec in requirement.specifier]
            facts = (
                False,
                bool(operators),
                any(op in ("==", "===") and "*" not in version for op, version in operators),
                any(
                    op in ("<", "<=", "~=") or (op == "==" and "*" in version)
                    for op, version in operators
                ),
            )
        self._known[id(requirement)] = (requirement, facts)
        return facts
