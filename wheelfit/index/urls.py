"""Index URLs with credentials: the bare URL to request and the pair to authenticate with.

What is printed goes through wheelfit.errors.redact_url instead.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

DEFAULT_INDEX = "https://pypi.org/simple/"


def strip_credentials(url: str) -> tuple[str, tuple[str, str] | None]:
    """Split ``https://user:pw@host/path`` into the bare URL and the (user, password) pair."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url, None
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    bare = urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))

    return bare, (unquote(parts.username or ""), unquote(parts.password or ""))


def local_path(location: str) -> Path | None:
    """The folder or file a location names on this machine, or None for an http(s) URL."""
    parts = urlsplit(location)
    if parts.scheme in ("http", "https"):
        return None
    if parts.scheme == "file":
        return Path(unquote(parts.path))
    return Path(location)
