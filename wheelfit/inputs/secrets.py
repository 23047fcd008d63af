"""Whether an input file holds credentials in a URL written out in it.

Such a file copied into an image (a Dockerfile's COPY) carries them into a layer anyone with
the image can read. A ``${VAR}`` placeholder, which pip replaces from the environment when it
reads the file, is not a credential written out; nor is the user name of an ssh URL
(``git+ssh://git@host/...``).
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import url_user_infos
from .paths import InputFileError, read_input_bytes

_PLACEHOLDER = re.compile(r"\$\{[A-Za-z0-9_]+\}")  # the form pip expands


def holds_credentials(path: Path) -> bool:
    """Whether the file writes out a password or a token in a URL; False for a file that
    cannot be read (its reader reports that)."""
    try:
        text = read_input_bytes(path).decode("utf-8", errors="replace")
    except InputFileError:
        return False
    # the URLs' user-info found as redaction finds it: a password holding "/" or "@" too
    return any(_written_out(scheme, text[a:b]) for scheme, a, b in url_user_infos(text))


def _written_out(scheme: str, user_info: str) -> bool:
    user, colon, password = user_info.partition(":")
    if colon:
        return bool(_PLACEHOLDER.sub("", password))
    # a user name alone: an access token for http(s) (https://TOKEN@host), a login for ssh
    return bool(_PLACEHOLDER.sub("", user)) and not scheme.lower().endswith("ssh")
