"""The command's consoles, made when first used.

Importing rich is about a tenth of a run answered from stored results, and such a run, writing
its report to a file, usually prints nothing: the console is made on its first use instead.
"""

from __future__ import annotations

import os
from typing import IO, TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from rich.console import Console


class _LazyConsole:
    def __init__(self, file: IO[str], **options: Any) -> None:
        self._file = file
        self._options = options
        self._console: Console | None = None

    @property
    def is_terminal(self) -> bool:
        """rich's answer; False without asking rich when the stream is no terminal and the
        environment forces none (rich's own answer then is False too)."""
        environ = os.environ
        forced = environ.get("TTY_COMPATIBLE") or environ.get("FORCE_COLOR") is not None
        if self._console is None and not forced and not _isatty(self._file):
            return False
        return self._real().is_terminal

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real(), name)

    def _real(self) -> Console:
        if self._console is None:
            from rich.console import Console

            self._console = Console(file=self._file, **self._options)
        return self._console


def _isatty(file: IO[str]) -> bool:
    try:
        return file.isatty()
    except ValueError:  # a closed stream
        return False


def lazy_console(file: IO[str], **options: Any) -> Console:
    """A rich Console on ``file`` with ``options``, made when first used."""
    return cast("Console", _LazyConsole(file, **options))
