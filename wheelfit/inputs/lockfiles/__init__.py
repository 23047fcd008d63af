"""Lock files -> pinned requirements: pylock.toml (PEP 751), uv.lock and poetry.lock.

Each locked package becomes one InputRequirement located at its ``name = "..."`` line, so the
resolver checks the lock against each target exactly as it checks a pinned requirements file.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..parsed import ParsedInputs, Selection
from ..tomltext import load_toml
from ._common import LockReader
from .poetry import read_poetry_lock
from .pylock import read_pylock
from .uv import read_uv_lock

__all__ = ["is_lockfile", "read_lockfile"]

# PEP 751 names: pylock.toml, or pylock.<name>.toml with no dot in <name>
_PYLOCK_RE = re.compile(r"^pylock\.([^.]+\.)?toml$")


def _reader_for(path: Path) -> Callable[[LockReader, dict[str, Any]], None] | None:
    if path.name == "uv.lock":
        return read_uv_lock
    if path.name == "poetry.lock":
        return read_poetry_lock
    if _PYLOCK_RE.match(path.name):
        return read_pylock
    return None


def is_lockfile(path: Path) -> bool:
    return _reader_for(path) is not None


def read_lockfile(path: Path, selection: Selection, result: ParsedInputs) -> None:
    read = _reader_for(path)
    loaded = load_toml(path, result)
    if read is None or loaded is None:
        return
    text, document = loaded
    read(LockReader(path, text, selection, result), document)
