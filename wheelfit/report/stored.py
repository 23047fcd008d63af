"""Reuse a target's previous result when nothing it was computed from has changed.

A target's report is a pure function of the inputs, the options, the target, wheelfit's code
and data, and the index pages it read (files, metadata and sdist inspections are immutable
by hash). So the report is stored with the sha256 of every page the run read, and a later run
reuses it only when the key matches and every one of those pages is still in the cache with
the same body and still fresh (within its max-age, as a normal run would use it without
asking the index). Anything else, including a page that expired, runs the analysis again.

Stored as JSON (never pickle: the cache folder may be shared) in ``reports/<key>.json``.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
import types
import typing
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from .. import kb
from ..index.cache import Cache
from ..models import TargetReport, __version__

FORMAT = 1


@cache
def _code_and_data() -> str:
    """Sizes and times of wheelfit's own files and data: a changed checkout misses."""
    digest = hashlib.sha256(__version__.encode())
    roots = [Path(__file__).parent.parent, kb.data_dir()]
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                stat = path.stat()
                digest.update(
                    f"{path.relative_to(root)}:{stat.st_size}:{stat.st_mtime_ns}".encode()
                )
    return digest.hexdigest()


def report_key(*parts: object) -> str:
    digest = hashlib.sha256(f"{FORMAT}:{_code_and_data()}".encode())
    for part in parts:
        digest.update(repr(part).encode())
    return digest.hexdigest()


def load(
    cache_: Cache,
    key: str,
    still_absent: Callable[[list[str]], bool],
    states: dict[str, tuple[str, bool] | None] | None = None,
) -> TargetReport | None:
    """The stored report for ``key`` if every page it read is unchanged and fresh.

    Projects the index did not have (404) are not cached: ``still_absent`` asks the index
    again, as a normal run would. ``states``: the pages' states read so far by this run (the
    images of a run read mostly the same pages).
    """
    states = {} if states is None else states
    data = cache_.load_blob("reports", key)
    if data is None:
        return None
    try:
        document = json.loads(data)
        absent = [url for url, sha256 in document["pages"].items() if not sha256]
        for url, sha256 in document["pages"].items():
            if sha256 and url not in states:
                states[url] = cache_.page_state(url)
            if sha256 and states[url] != (sha256, True):
                return None
        if absent and not still_absent(absent):
            return None
        return _build(TargetReport, document["report"])  # type: ignore[no-any-return]
    except (ValueError, KeyError, TypeError, AttributeError):
        return None  # an entry from another wheelfit: analyse again


def store(cache_: Cache, key: str, report: TargetReport, pages: dict[str, str]) -> None:
    if report.fetch_errors:
        return  # a network failure is not a result to keep
    # sorted: threads finish pages in any order, and equal results should be equal files
    document = {"pages": dict(sorted(pages.items())), "report": dataclasses.asdict(report)}
    cache_.store_blob("reports", key, json.dumps(document, default=_plain).encode())


def _plain(value: object) -> object:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"cannot store {type(value).__name__}")


@cache
def _fields_of(kind: type) -> tuple[dict[str, Any], frozenset[str]]:
    """A dataclass's field types and its fields set by __init__: get_type_hints evaluates
    every annotation's text, once per class is enough (it was most of a warm run)."""
    hints = typing.get_type_hints(kind)
    return hints, frozenset(f.name for f in dataclasses.fields(kind) if f.init)


def _build(kind: Any, value: Any) -> Any:
    """The value of a field type from its JSON form (dataclasses, enums, lists, tuples)."""
    if value is None:
        return None
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(kind) if a is not type(None)]
        return _build(options[0], value) if len(options) == 1 else value
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        hints, fields = _fields_of(kind)
        make: Any = kind
        return make(**{k: _build(hints[k], v) for k, v in value.items() if k in fields})
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return kind(value)
    if origin is list:
        (item,) = typing.get_args(kind)
        return [_build(item, v) for v in value]
    if origin is tuple:
        args = typing.get_args(kind)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_build(args[0], v) for v in value)
        return tuple(_build(a, v) for a, v in zip(args, value, strict=True))
    if origin is dict:
        _, item = typing.get_args(kind)
        return {k: _build(item, v) for k, v in value.items()}
    return value
