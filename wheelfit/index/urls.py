"""URL helpers. Credentials in index URLs must never reach output, logs, errors or the cache."""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit, urlunsplit

# user:password@ or token@ inside any URL that appears in free text
_USERINFO_RE = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s]+@")


def redact_url(text: str) -> str:
    """Replace the user-info part of every URL in ``text`` with ``***``."""
    return _USERINFO_RE.sub(lambda m: f"{m['scheme']}***@", text)


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
