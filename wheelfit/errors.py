"""Errors say whose fault it is (the user's input, the index, or wheelfit's own data), and
nothing wheelfit says ever carries the credentials of a URL."""

from __future__ import annotations

import re
import traceback
from collections.abc import Iterator


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


# Credentials are found by reading each URL the way an HTTP client splits it (the user-info
# ends at the last "@" before the path), not by one regular expression: a password may hold
# "@", "/" or a space, and a backtracking pattern over a long run of URL characters takes
# quadratic time. Each step below reads each character of the text a bounded number of times.
_SCHEME_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-")
_LONGEST_SCHEME = 32
_AUTHORITY_END = re.compile(r"[/?#\s\"'<>`]")
_HOST = re.compile(r"[\w.~%-]+(:\d+)?|\[[0-9A-Fa-f:.]+\](:\d+)?")  # a host, :port
REDACTED = "***"


class _Lines:
    """The end of the line being read and its last "@", found once per line."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.end = -1
        self.last_at = -1

    def last_at_sign(self, position: int) -> int:
        if self.end < position:
            found = self.text.find("\n", position)
            self.end = found if found >= 0 else len(self.text)
            self.last_at = self.text.rfind("@", position, self.end)
        return self.last_at if self.last_at >= position else -1


def _userinfo_end(lines: _Lines, start: int) -> int | None:
    """Where the user-info of a URL whose authority starts at ``start`` ends (its "@")."""
    text = lines.text
    found = _AUTHORITY_END.search(text, start)
    authority = text[start : found.start() if found else len(text)]
    at = authority.rfind("@")
    ends_with_path = found is not None and text[found.start()] in "/?#"
    if at >= 0 and ends_with_path and _HOST.fullmatch(authority[at + 1 :]):
        return start + at  # user:password@host/..., the password possibly holding "@"
    last = lines.last_at_sign(start)
    if at < 0 and (last < 0 or _HOST.fullmatch(authority)):
        return None  # a host or host:port: a client would send no password
    # Not a valid URL (the password holds a "/", a space or a quote), yet an HTTP client
    # would still send it: hide everything up to the line's last "@". A message may lose a
    # host or a VCS @ref that way; a password is never kept.
    return last if last >= 0 else start + at


def redact_url(text: str) -> str:
    """Replace the user-info of every URL in ``text`` (``user:password@``, ``token@``) by ***.

    Also URLs whose "//" a path join has folded into "/" (``http:/user:pw@host``).
    """
    if "@" not in text:
        return text
    pieces: list[str] = []
    copied = 0
    for _, start, end in url_user_infos(text):
        pieces += [text[copied:start], REDACTED]
        copied = end
    pieces.append(text[copied:])
    return "".join(pieces)


def url_user_infos(text: str) -> Iterator[tuple[str, int, int]]:
    """(scheme, start, end) of the user-info of every URL in ``text`` that has one, read as
    redact_url reads it: what it hides, and what inputs/secrets.py looks into."""
    if "@" not in text:
        return
    lines = _Lines(text)
    search = 0
    while (colon := text.find(":/", search)) >= 0:
        search = colon + 2
        scheme = colon
        while (
            scheme > 0
            and colon - scheme < _LONGEST_SCHEME
            and text[scheme - 1] in _SCHEME_CHARACTERS
        ):
            scheme -= 1
        if colon - scheme < 2 or not text[scheme].isalpha():
            continue  # "C:/" or no scheme at all
        start = colon + 1
        while start < len(text) and start - colon <= 2 and text[start] == "/":
            start += 1
        end = _userinfo_end(lines, start)
        if end is None:
            continue
        yield text[scheme:colon], start, end
        search = end


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
