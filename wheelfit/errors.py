"""Errors say whose fault it is: the user's input, the index, or wheelfit's own data."""

from __future__ import annotations


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
