"""Environment markers as text: joining them, and deciding the clauses a reader already knows.

Markers are evaluated per target later (resolve.evaluate_marker); the readers only build them.
Lock files also write clauses about the *selection* (PEP 751's ``'dev' in dependency_groups``,
Poetry's and uv's ``extra == '...'``): those are decided here, from the chosen extras and groups,
so what reaches the resolver is an ordinary marker about the target.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from packaging.markers import InvalidMarker, Marker


def _wrap(marker: str) -> str:
    return f"({marker})" if (" and " in marker or " or " in marker) else marker


def join_and(markers: Iterable[str | None]) -> str | None:
    """All of the markers (None is "always", so it drops out)."""
    parts = list(dict.fromkeys(m for m in markers if m))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else " and ".join(_wrap(p) for p in parts)


def join_or(markers: Iterable[str | None]) -> str | None:
    """Any of the markers; None ("always") if any of them is None."""
    parts: list[str] = []
    for marker in markers:
        if marker is None:
            return None
        parts.append(marker)
    parts = list(dict.fromkeys(parts))
    if not parts:
        raise ValueError("join_or needs at least one marker")
    return parts[0] if len(parts) == 1 else " or ".join(_wrap(p) for p in parts)


def normalized(marker: str) -> str:
    """packaging's spelling of a marker, so equal markers compare equal as text."""
    return str(Marker(marker))


@dataclass(frozen=True)
class Clause:
    """One comparison of a marker with the variable on one side: ``'dev' in extras``."""

    variable: str
    op: str
    value: str


Decide = Callable[[Clause], "bool | None"]


def specialize(marker: str, decide: Decide) -> bool | str:
    """The marker with the clauses ``decide`` knows replaced by their truth, simplified.

    Returns True (always), False (never) or the remaining marker text. Raises ValueError for
    a marker that cannot be read.
    """
    try:
        parsed = Marker(marker)
    except InvalidMarker as exc:
        raise ValueError(str(exc)) from exc
    # packaging has no public tree; its _markers list has been stable since packaging 22
    tree: Any = getattr(parsed, "_markers", None)
    if not isinstance(tree, list):
        raise ValueError("this version of packaging does not expose marker clauses")
    return _fold(tree, decide)


def _fold(items: list[Any], decide: Decide) -> bool | str:
    # "and" binds tighter than "or", as in PEP 508
    alternatives: list[bool | str] = []
    conjunction: list[bool | str] = []
    for item in [*items, "or"]:
        if item == "or":
            alternatives.append(_all(conjunction))
            conjunction = []
        elif item != "and":
            conjunction.append(
                _fold(item, decide) if isinstance(item, list) else _atom(item, decide)
            )
    return _any(alternatives)


def _all(parts: list[bool | str]) -> bool | str:
    if any(p is False for p in parts):
        return False
    joined = join_and(p for p in parts if isinstance(p, str))
    return True if joined is None else joined


def _any(parts: list[bool | str]) -> bool | str:
    if any(p is True for p in parts):
        return True
    texts = [p for p in parts if isinstance(p, str)]
    if not texts:
        return False
    joined = join_or(texts)
    return True if joined is None else joined


def _atom(atom: Any, decide: Decide) -> bool | str:
    lhs, op, rhs = atom
    text = f"{lhs.serialize()} {op.serialize()} {rhs.serialize()}"
    kinds = (type(lhs).__name__, type(rhs).__name__)
    if kinds == ("Variable", "Value"):
        clause = Clause(str(lhs.value), str(op.value), str(rhs.value))
    elif kinds == ("Value", "Variable"):
        # 'dev' in extras: the value is on the left; "in" keeps its direction in the clause
        clause = Clause(str(rhs.value), f"{op.value} (reversed)", str(lhs.value))
    else:
        return text
    decided = decide(clause)
    return text if decided is None else decided
