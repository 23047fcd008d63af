"""Writing a rendered report to ``-o FILE``: checked before the run, written whole or not at all.

A report that took minutes must not be lost to a typo in ``-o``, so the path is checked before
the analysis starts; and a full disk must not leave a truncated file that reads as a report, so
a regular file is written beside its destination and renamed over it. Devices and pipes
(``/dev/stdout``, a FIFO) cannot be renamed over: they are written directly.
"""

from __future__ import annotations

import contextlib
import io
import os
import stat
import tempfile
from pathlib import Path
from typing import IO, cast

from ..errors import UserError, redact_url


def check_output_path(path: Path) -> None:
    """Raise a UserError now if ``path`` can never receive the report."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        folder = path.parent
        if not folder.is_dir():
            raise UserError(
                f"-o {path}: the folder {folder} does not exist; create it first"
            ) from None
        return
    except OSError as exc:
        raise UserError(f"-o {path}: {exc.strerror or exc}; choose another file") from None
    if stat.S_ISDIR(mode):
        raise UserError(f"-o {path} is a folder: give a file name, e.g. {path / 'report.txt'}")


def write_output(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` whole, or raise a UserError and leave nothing half-written."""
    try:
        is_regular = stat.S_ISREG(path.stat().st_mode)
    except FileNotFoundError:
        is_regular = True
    except OSError as exc:
        raise UserError(f"-o {path}: {exc.strerror or exc}; choose another file") from None
    data = text.encode("utf-8")
    try:
        if not is_regular:
            with path.open("wb") as handle:
                handle.write(data)
            return
        _replace_atomically(path, data)
    except OSError as exc:
        raise UserError(
            f"cannot write the report to {path}: {exc.strerror or exc}; "
            "free some space or choose another file with -o"
        ) from None


def _replace_atomically(path: Path, data: bytes) -> None:
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            # keep the permissions the user gave the file, not mkstemp's 0600
            os.chmod(temporary, stat.S_IMODE(path.stat().st_mode))
        else:
            os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


class RedactedOutput(io.TextIOBase):
    """A stream that writes everything through redact_url: the last guard before a terminal,
    a CI log or an -o file, behind the redaction where each message is made."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        self.stream.write(redact_url(text))
        return len(text)

    def flush(self) -> None:
        self.stream.flush()

    def isatty(self) -> bool:
        return self.stream.isatty()

    def fileno(self) -> int:
        return self.stream.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.stream, "encoding", None) or "utf-8"


def redacted(stream: IO[str]) -> IO[str]:
    """``stream``, with every write through redact_url."""
    return cast(IO[str], RedactedOutput(stream))
