"""TOML input files: loading with located errors, and line numbers for what tomllib found.

tomllib returns plain values without positions, yet every requirement must say where it was
written. The text is searched instead: table headers, then keys and string values inside a
table's lines. That is approximate for exotic layouts (a dotted key written outside its table, a
value split over lines), so every lookup falls back to the nearest enclosing line it can find.
"""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..models import InputError
from .parsed import ParsedInputs
from .paths import InputFileError, describe_os_error, read_input_bytes

try:  # re-exported for the other input readers
    import tomllib as tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef,import-not-found,unused-ignore]

_TOML_POSITION_RE = re.compile(r"at line (\d+), column (\d+)")
# a whole line holding one [table] or [[array.of.tables]] header
_ANY_HEADER_RE = re.compile(r"""^[ \t]*\[\[?[ \t]*[\w"'.\- ]+\]\]?[ \t]*(?:#.*)?$""", re.M)


def load_toml(path: Path, result: ParsedInputs) -> tuple[str, dict[str, Any]] | None:
    """The file's text and its parsed document, or None after a located error or warning."""
    shown = str(path)
    result_errors = result.errors
    try:
        text = read_input_bytes(path).decode("utf-8")
    except OSError as exc:
        message = f"cannot read {shown}: {describe_os_error(exc)}; check the path"
        result_errors.append(InputError(shown, None, "", message))
        return None
    except InputFileError as exc:
        result_errors.append(InputError(shown, None, "", f"cannot read {shown}: {exc}"))
        return None
    except UnicodeDecodeError as exc:
        message = f"not UTF-8 text (TOML must be UTF-8): {exc.reason} at byte {exc.start}"
        result_errors.append(InputError(shown, None, "", message))
        return None
    if not text.strip():
        # as an empty requirements file would be (wheelfit diff reads a file added since a
        # revision as an empty one)
        result.warnings.append(f"{shown}: empty file, nothing to read")
        return None
    try:
        return text, parse_toml(text)
    except TomlTooDeepError as exc:
        result_errors.append(InputError(shown, None, "", f"{exc}; fix the file"))
        return None
    except tomllib.TOMLDecodeError as exc:
        # the position is only in the message before Python 3.14 (then also lineno/colno)
        match = _TOML_POSITION_RE.search(str(exc))
        lines = text.splitlines()
        line = int(match[1]) if match else (len(lines) or None)  # else "at end of document"
        shown_line = lines[line - 1].strip() if line and line <= len(lines) else ""
        message = f"invalid TOML: {exc}; fix the file (it is read as TOML, not line by line)"
        result_errors.append(InputError(shown, line, shown_line, message))
        return None


class TomlTooDeepError(ValueError):
    """A TOML document nested deeper than any real input (or than Python can parse)."""


# No real pyproject.toml or lock file nests tables or arrays more than a few levels; a limit
# far below Python's recursion limit keeps every later walk of the document safe too.
MAX_TOML_DEPTH = 64


def parse_toml(text: str) -> dict[str, Any]:
    """tomllib.loads, refusing what would exhaust the recursion limit or the integer limit.

    Raises TOMLDecodeError (a ValueError) with the position, or TomlTooDeepError.
    """
    try:
        document = tomllib.loads(text)
    except RecursionError:
        raise TomlTooDeepError("TOML nested too deep to be read") from None
    except tomllib.TOMLDecodeError:
        raise
    except ValueError as exc:  # an integer of more than 4,300 digits
        raise tomllib.TOMLDecodeError(f"a value cannot be read ({exc})") from None
    if _depth_exceeds(document, MAX_TOML_DEPTH):
        raise TomlTooDeepError(f"TOML nested more than {MAX_TOML_DEPTH} levels deep")
    return document


def _depth_exceeds(value: object, limit: int) -> bool:
    """Whether tables and arrays nest deeper than ``limit`` (iterative: no recursion)."""
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
    return False


@dataclass(frozen=True)
class Span:
    """A range of character offsets in the text: one table, from its header to the next."""

    start: int
    end: int


class TomlLines:
    """Finds the line of headers, keys and string values in a TOML text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._line_starts = [0, *(m.end() for m in re.finditer("\n", text))]
        self._headers = [m.start() for m in _ANY_HEADER_RE.finditer(text)]

    def line(self, offset: int) -> int:
        return bisect.bisect_right(self._line_starts, offset)

    def headers(self) -> list[int]:
        """Offsets of every table header line."""
        return list(self._headers)

    def whole(self) -> Span:
        return Span(0, len(self.text))

    def tables(self, dotted: str, *, array: bool = False) -> list[Span]:
        """Every ``[dotted]`` (or ``[[dotted]]``) table, in document order."""
        parts = [re.escape(p) for p in dotted.split(".")]
        name = r"[ \t]*\.[ \t]*".join(rf"""(?:{p}|"{p}"|'{p}')""" for p in parts)
        open_, close = (r"\[\[", r"\]\]") if array else (r"\[(?!\[)", r"\](?!\])")
        pattern = re.compile(rf"^[ \t]*{open_}[ \t]*{name}[ \t]*{close}[ \t]*(?:#.*)?$", re.M)
        return [Span(m.start(), self._next_header(m.start())) for m in pattern.finditer(self.text)]

    def table(self, dotted: str) -> Span | None:
        found = self.tables(dotted)
        return found[0] if found else None

    def key(self, key: str, span: Span) -> int | None:
        """Offset of the line ``key = ...`` inside the span (the key may be quoted)."""
        k = re.escape(key)
        pattern = re.compile(rf"""^[ \t]*(?:{k}|"{k}"|'{k}')[ \t]*=""", re.M)
        match = pattern.search(self.text, span.start, span.end)
        return match.start() if match else None

    def string(self, value: str, start: int, end: int) -> int | None:
        """Offset of the string ``value`` at or after ``start``: quoted first, then bare.

        The bare text is the last resort (an escape sequence spelled differently), as it may
        also match inside a longer string.
        """
        for spelling in (json.dumps(value, ensure_ascii=False), f"'{value}'", value):
            index = self.text.find(spelling, start, end)
            if index >= 0:
                return index
        return None

    def key_value(self, key: str, value: str, span: Span) -> int | None:
        """Offset of ``key = "value"`` inside the span, as in ``name = "numpy"``."""
        k, v = re.escape(key), re.escape(value)
        pattern = re.compile(rf"""(?:^|[{{,])[ \t]*{k}[ \t]*=[ \t]*(?:"{v}"|'{v}')""", re.M)
        match = pattern.search(self.text, span.start, span.end)
        return match.start() if match else None

    def _next_header(self, offset: int) -> int:
        index = bisect.bisect_right(self._headers, offset)
        return self._headers[index] if index < len(self._headers) else len(self.text)


def entry_lines(lines: TomlLines, array: str, names: list[str]) -> list[int]:
    """The line of each ``[[array]]`` entry's ``name = "..."`` (its header line if none).

    ``names`` are the entries' names in document order, as tomllib returned them.
    """
    spans = lines.tables(array, array=True)
    if len(spans) != len(names):
        # inline tables or an unusual layout: search the names in order instead
        result, cursor = [], 0
        for name in names:
            offset = lines.key_value("name", name, Span(cursor, len(lines.text)))
            if offset is None:
                result.append(lines.line(cursor))
                continue
            cursor = offset + 1
            result.append(lines.line(offset))
        return result
    result = []
    for span, name in zip(spans, names, strict=True):
        offset = lines.key_value("name", name, span)
        result.append(lines.line(offset if offset is not None else span.start))
    return result
