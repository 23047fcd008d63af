"""Errors say whose fault it is (the user's input, the index, or wheelfit's own data), and
nothing wheelfit says ever carries the credentials of a URL."""

from __future__ import annotations

import re
import traceback


class WheelfitError(Exception):
    """Base class for every error wheelfit raises on purpose."""


class UserError(WheelfitError):
    """Bad input: an unknown image, an unreadable file, a bad option. Exit code 2."""


class IndexFetchError(WheelfitError):
    """The index could not give us something (HTTP error, timeout, offline and not cached)."""


class ArchiveError(WheelfitError):
    """A distribution archive was refused: malformed, too large, or unsafe."""


class KnowledgeBaseError(WheelfitError):
    """wheelfit's shipped data is missing or invalid: a bug or a broken install."""


# user:password@ or token@ inside any URL that appears in free text
_USERINFO_RE = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s]+@")


def redact_url(text: str) -> str:
    """Replace the user-info part of every URL in ``text`` with ``***``."""
    return _USERINFO_RE.sub(lambda m: f"{m['scheme']}***@", text)


def describe_unexpected(exc: BaseException, debug: bool) -> str:
    """A short, redacted report of an unexpected exception (the traceback with --debug)."""
    if debug:
        detail = "".join(traceback.format_exception(exc)).rstrip()
    else:
        detail = redact_url(f"{type(exc).__name__}: {exc}")[:500]
    return redact_url(
        f"wheelfit: internal error: {detail}\nThis is a bug in wheelfit: please report it "
        "with the command that caused it"
        + ("" if debug else " and the details that --debug prints")
    )
