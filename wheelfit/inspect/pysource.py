"""Python sources of a distribution (setup.py) as syntax trees: parsed, never run."""

from __future__ import annotations

import ast
import functools
import hashlib
import threading
from collections.abc import Callable
from typing import TypeVar

# CPython 3.11's parser is not safe on several threads at once: two targets parsing a
# setup.py together raised "SystemError: AST constructor recursion depth mismatch".
_PARSE_LOCK = threading.Lock()


def parse_python(text: str) -> ast.Module | None:
    """The syntax tree of a Python source; None when it cannot be read (a syntax error, a
    null byte, or nesting deep enough to exhaust the parser)."""
    with _PARSE_LOCK:
        try:
            return ast.parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return None


T = TypeVar("T")


def remembered_by_source(read: Callable[[str], T]) -> Callable[[str], T]:
    """Remember what ``read`` found in a source, keyed by a digest of the source: the same
    setup.py is read by several stages for every image. A digest, not the text, so that
    a long-lived process does not keep hundreds of sources (up to 2 MB each) alive."""
    found: dict[bytes, T] = {}

    @functools.wraps(read)
    def wrapper(source: str) -> T:
        key = hashlib.blake2b(source.encode("utf-8", "surrogatepass"), digest_size=16).digest()
        if key not in found:
            if len(found) >= 256:
                found.clear()
            found[key] = read(source)
        return found[key]

    return wrapper
