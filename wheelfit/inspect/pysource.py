"""Python sources of a distribution (setup.py) as syntax trees: parsed, never run."""

from __future__ import annotations

import ast
import threading

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
