"""A whole archive downloaded, within a size limit, checked against the index's sha256.

The client's downloads and the worker process's (inspect/worker.py) go through here, so
that a download that fails says so in the same words wherever it ran.
"""

from __future__ import annotations

import contextlib
import hashlib
import tempfile
import zlib
from collections.abc import Iterator
from typing import IO

import requests

from ..errors import IndexFetchError, redact_url
from .http import Http, RequestAborted, ResponseTooLarge, failure_reason


def download_archive(
    http: Http,
    url: str,
    auth: tuple[str, str] | None,
    filename: str,
    sha256: str | None,
    limit: int,
    in_memory: int,
) -> IO[bytes]:
    """The file at ``url`` (without credentials: they come in ``auth``), at most ``limit``
    bytes, spooled to a temporary file past ``in_memory`` bytes; IndexFetchError when it
    cannot be had or does not match ``sha256``. The caller closes it."""
    archive = tempfile.SpooledTemporaryFile(max_size=in_memory)  # noqa: SIM115
    try:
        digest = hashlib.sha256()
        with _in_words(http, url, filename, limit):
            for chunk in http.stream(url, limit=limit, auth=auth):
                digest.update(chunk)
                archive.write(chunk)
        if sha256 and digest.hexdigest() != sha256:
            raise IndexFetchError(f"{filename} does not match the index's sha256")
    except BaseException:
        archive.close()
        raise
    archive.seek(0)
    return archive


@contextlib.contextmanager
def _in_words(http: Http, url: str, filename: str, limit: int) -> Iterator[None]:
    """A failed download's exception as the IndexFetchError that says what went wrong."""
    try:
        yield
    except ResponseTooLarge:
        raise IndexFetchError(f"{filename} is over the {limit} byte limit") from None
    except requests.HTTPError as exc:
        raise IndexFetchError(f"{redact_url(url)}: {exc}") from None
    except (requests.RequestException, RequestAborted, zlib.error) as exc:
        # cut short, reset while streaming, too slow
        raise IndexFetchError(f"{filename}: {failure_reason(exc, http.deadline)}") from None
