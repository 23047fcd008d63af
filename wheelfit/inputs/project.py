"""The Python version a project declares, found beside its requirements files."""

from __future__ import annotations

import re
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from .tomltext import tomllib


def _search_dirs(start: Path) -> list[Path]:
    """The file's folder and its parents, up to the repository root (a .git folder)."""
    folders = []
    for folder in [start, *start.parents]:
        folders.append(folder)
        if (folder / ".git").exists():
            break
    return folders


def declared_python(paths: list[str], available: list[str]) -> tuple[str, str] | None:
    """(version, where it was found) from .python-version or requires-python, else None.

    ``available`` lists the minor versions with official images, newest last: for a
    requires-python range, the newest one it admits is taken, as ``python:3`` would be.
    """
    if not paths:
        return None
    start = Path(paths[0]).resolve().parent
    for folder in _search_dirs(start):
        pinned = folder / ".python-version"
        if pinned.is_file():
            match = re.match(r"\s*(3\.\d+)", pinned.read_text(errors="replace"))
            if match:
                return match[1], str(pinned)
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file():
            try:
                document = tomllib.loads(pyproject.read_text(errors="replace"))
                spec = SpecifierSet(str(document["project"]["requires-python"]))
            except (tomllib.TOMLDecodeError, KeyError, TypeError, InvalidSpecifier):
                continue
            admitted = [v for v in available if spec.contains(Version(f"{v}.0"), prereleases=True)]
            if admitted:
                return admitted[-1], f"{pyproject} (requires-python {spec})"
    return None
