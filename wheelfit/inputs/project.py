"""The Python version a project declares, found beside its requirements files."""

from __future__ import annotations

import re
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from .paths import InputFileError, read_input_bytes
from .tomltext import parse_toml


def _search_dirs(start: Path) -> list[Path]:
    """The file's folder and its parents, up to the repository root (a .git folder)."""
    folders = []
    for folder in [start, *start.parents]:
        folders.append(folder)
        try:
            if (folder / ".git").exists():
                break
        except OSError:
            break  # a folder that cannot be searched ends the search, as a root would
    return folders


def _text(path: Path) -> str | None:
    """A small file beside the inputs, or None when it is absent or not a readable file."""
    try:
        return read_input_bytes(path, limit=1024 * 1024).decode("utf-8", errors="replace")
    except (OSError, InputFileError):
        return None


def declared_python(paths: list[str], available: list[str]) -> tuple[str, str] | None:
    """(version, where it was found) from .python-version or requires-python, else None.

    ``available`` lists the minor versions with official images, newest last: for a
    requires-python range, the newest one it admits is taken, as ``python:3`` would be.
    """
    if not paths:
        return None
    try:
        start = Path(paths[0]).resolve().parent
    except (OSError, RuntimeError):
        return None  # the file itself is reported as unreadable by its reader
    for folder in _search_dirs(start):
        pinned = _text(folder / ".python-version")
        if pinned is not None:
            match = re.match(r"\s*(3\.\d+)", pinned)
            if match:
                return match[1], str(folder / ".python-version")
        pyproject = folder / "pyproject.toml"
        text = _text(pyproject)
        if text is not None:
            try:
                spec = SpecifierSet(str(parse_toml(text)["project"]["requires-python"]))
            except (ValueError, KeyError, TypeError, InvalidSpecifier):
                continue  # TOMLDecodeError and a document nested too deep are ValueErrors
            admitted = [v for v in available if spec.contains(Version(f"{v}.0"), prereleases=True)]
            if admitted:
                return admitted[-1], f"{pyproject} (requires-python {spec})"
    return None
