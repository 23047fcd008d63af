"""Paths the user gives: input files read safely, and the cache folder checked before a run.

An input path may be anything: a FIFO (reading it blocks forever), a device (``/dev/zero``
never ends), a symlink loop, a name longer than the system allows, a file of gigabytes. Each
becomes one sentence saying what is wrong, never a hang or a traceback.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ..errors import UserError

# A requirements file, lock file or pyproject.toml larger than this is refused: the largest
# real ones are a few MB (a uv.lock of 2,000 packages with hashes is about 5 MB).
MAX_INPUT_BYTES = 64 * 1024 * 1024

_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISDIR, "a folder"),
)


class InputFileError(Exception):
    """An input file that cannot be read; the message says why and what to do."""


def describe_os_error(exc: OSError) -> str:
    """The reason an OSError gives, in words (a symlink loop, a name too long, ...)."""
    if exc.errno == errno.ELOOP:
        return "the path is a loop of symbolic links"
    if exc.errno == errno.ENAMETOOLONG:
        return "the path is longer than the system allows"
    return str(exc.strerror or exc)


def read_input_bytes(path: Path, limit: int = MAX_INPUT_BYTES) -> bytes:
    """The whole content of a regular file, or InputFileError (never a hang on a pipe)."""
    try:
        # O_NONBLOCK: opening a FIFO with no writer would otherwise block before fstat
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise InputFileError(describe_os_error(exc)) from None
    except (ValueError, RuntimeError) as exc:  # a NUL in the name; a loop in older Pythons
        raise InputFileError(str(exc)) from None
    # the descriptor's kind before it becomes a file object: fdopen refuses a folder with
    # an OSError of its own, which would skip the sentence below
    try:
        mode = os.fstat(descriptor).st_mode
    except OSError as exc:
        os.close(descriptor)
        raise InputFileError(describe_os_error(exc)) from None
    for test, kind in _KINDS:
        if test(mode):
            os.close(descriptor)
            raise InputFileError(f"it is {kind}, not a regular file; give a file")
    with contextlib.closing(os.fdopen(descriptor, "rb")) as handle:
        try:
            # read(n) allocates n bytes first: ask for the file's size, not the limit
            expected = min(os.fstat(descriptor).st_size, limit)
            data = handle.read(expected + 1)
            if len(data) > expected:  # it grew since, or a size the kernel does not tell
                data += handle.read(limit + 1 - len(data))
        except OSError as exc:
            raise InputFileError(describe_os_error(exc)) from None
    if len(data) > limit:
        raise InputFileError(
            f"it is larger than {limit // (1024 * 1024)} MB, more than any real input; "
            "split it or check that it is the right file"
        )
    return data


def check_cache_dir(path: Path) -> None:
    """Raise a UserError before the run if ``path`` cannot hold the cache."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise UserError(
            f"--cache-dir {path} exists and is not a folder; give a folder, or --no-cache"
        ) from None
    except OSError as exc:
        raise UserError(
            f"--cache-dir {path}: cannot create the folder ({describe_os_error(exc)}); "
            "give another folder, or --no-cache"
        ) from None
    try:
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        raise UserError(
            f"--cache-dir {path}: cannot write there ({describe_os_error(exc)}); give a "
            "writable folder, or --no-cache"
        ) from None


def index_url_problem(url: str) -> str | None:
    """Why an index URL cannot be used, or None. The URL itself is never part of the answer:
    it may carry credentials."""
    if any(ord(character) <= 0x20 or ord(character) == 0x7F for character in url):
        # urlsplit drops tabs and newlines silently; a space is no part of a URL either
        return "the URL holds a space or a control character; remove it"
    try:
        parts = urlsplit(url)
    except ValueError as exc:  # "Invalid IPv6 URL": the message holds no part of the URL
        return f"not a valid URL ({exc})"
    try:
        port = parts.port
    except ValueError:
        return "the port is not a number from 0 to 65535"
    if parts.scheme not in ("http", "https", "file"):
        return "an index URL starts with https://, http:// or file://"
    if parts.scheme != "file" and not parts.hostname:
        return "the URL names no host"
    if parts.fragment or "#" in url:
        return "an index URL has no #fragment (a # in a password must be written %23)"
    if parts.scheme != "file" and "@" in parts.path + parts.query:
        # http://user:pass/word@host/ is the host "user" and a path holding the password:
        # no client sends it as one, and redaction cannot tell it from a path
        return (
            "the URL has an @ after its host; if it holds a password with a / or ?, write "
            "them %2F and %3F (and @ as %40)"
        )
    del port
    for part in (parts.username, parts.password):
        try:
            unquote(part or "").encode("latin-1")
        except UnicodeEncodeError:
            return (
                "the user name or password has characters HTTP basic authentication cannot "
                "send (only Latin-1); percent-encoding does not help, use a token instead"
            )
    return None
