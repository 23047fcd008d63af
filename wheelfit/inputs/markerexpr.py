"""Environment markers as text: joining them, and deciding the clauses a reader already knows.

Markers are evaluated per target later (resolve.evaluate_marker); the readers only build them.
Lock files also write clauses about the *selection* (PEP 751's ``'dev' in dependency_groups``,
Poetry's and uv's ``extra == '...'``): those are decided here, from the chosen extras and groups,
so what reaches the resolver is an ordinary marker about the target.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from packaging.markers import (
    InvalidMarker,
    Marker,
    UndefinedComparison,
    UndefinedEnvironmentName,
)
from packaging.requirements import Requirement


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


# Python refuses to turn more digits than this into an int (sys.get_int_max_str_digits), and
# packaging turns every number of a version into one: such a version cannot be compared.
MAX_NUMBER_DIGITS = 4300
_TOO_LONG_NUMBER = re.compile(rf"\d{{{MAX_NUMBER_DIGITS + 1}}}")

# What a marker is tried against before any target sees it: a Linux CPython, as every target is.
_SAMPLE_ENVIRONMENT = {
    "implementation_name": "cpython",
    "implementation_version": "3.12.0",
    "os_name": "posix",
    "platform_machine": "x86_64",
    "platform_release": "",
    "platform_system": "Linux",
    "platform_version": "",
    "python_full_version": "3.12.0",
    "platform_python_implementation": "CPython",
    "python_version": "3.12",
    "sys_platform": "linux",
    "extra": "",
}

# packaging's errors for a marker that parses but cannot be evaluated: `sys_platform ~= "x"`
# (UndefinedComparison), an unknown name (UndefinedEnvironmentName), a number too long (ValueError)
MARKER_EVALUATION_ERRORS = (UndefinedComparison, UndefinedEnvironmentName, ValueError, TypeError)


# Bounds on one requirement, far above real ones (the most extras a PyPI project declares is
# in the low hundreds; version exclusions rarely pass a dozen), far below what makes the
# resolver slow: 2,000 != clauses on one name took 29 s per image.
MAX_EXTRAS = 300
MAX_SPECIFIER_CLAUSES = 100


def requirement_problem(requirement: Requirement) -> str | None:
    """Why pip could not use this (parsed) requirement, or None: a number too long to compare,
    a marker that cannot be evaluated, or more extras or version clauses than wheelfit
    analyses. Checked once when the input (or a METADATA) is read."""
    if len(requirement.extras) > MAX_EXTRAS:
        return (
            f"{len(requirement.extras):,} extras, more than the {MAX_EXTRAS} wheelfit analyses "
            "on one requirement; list only the extras you install"
        )
    if len(requirement.specifier) > MAX_SPECIFIER_CLAUSES:
        return (
            f"{len(requirement.specifier):,} version clauses, more than the "
            f"{MAX_SPECIFIER_CLAUSES} wheelfit analyses on one requirement; simplify it"
        )
    if _TOO_LONG_NUMBER.search(str(requirement)):
        return (
            f"a number has more than {MAX_NUMBER_DIGITS} digits, more than Python (and so pip) "
            "can compare; shorten it"
        )
    if requirement.marker is not None:
        try:
            requirement.marker.evaluate(_SAMPLE_ENVIRONMENT)
        except UndefinedEnvironmentName as exc:
            return f"the marker names an unknown variable ({exc}); pip fails on it"
        except MARKER_EVALUATION_ERRORS as exc:
            return f"the marker cannot be evaluated ({exc}); pip fails on it"
    return None
