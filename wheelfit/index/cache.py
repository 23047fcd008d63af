"""The on-disk cache: project pages with their HTTP validators, and immutable blobs.

Why not CacheControl: ``--offline`` must answer from entries that HTTP semantics call
stale, and the wheel metadata we cache is assembled from range requests, which HTTP caches
do not store. Both needs are small, so the cache is a folder of files:

* ``pages/<key>.page``: a project page: one line of JSON (its ETag/Last-Modified, when it
  was fetched, the body's sha256 so a truncated or corrupted entry is noticed and refetched),
  then the body;
* ``blobs/<kind>/<key>``: content that never changes for a given file hash (core metadata,
  results of inspecting an sdist, stored reports), after a first line with its sha256.

Each entry is one file, written to a temporary file in the same folder and renamed into
place: processes sharing a cache never see half an entry, nor one writer's data with
another's checksum (which two files, each renamed, allowed). Entries of the earlier
two-file layout (``.json`` + ``.body``, data + ``.sha256``) are still read. Keys are hashes of
credential-free URLs.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from .bigbytes import Bytes, read_rest

BLOB_MAGIC = b"wheelfit-blob sha256="
BLOB_HEADER = len(BLOB_MAGIC) + 64 + 1  # the magic, the hex digest, a newline
MAX_HEADER_LINE = 64 * 1024  # a page's first line (its metadata) is far shorter


def default_cache_dir() -> Path:
    override = os.environ.get("WHEELFIT_CACHE_DIR")
    return Path(override) if override else Path(platformdirs.user_cache_dir("wheelfit"))


def _key(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _atomic_write(path: Path, *parts: Bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            for part in parts:
                handle.write(part)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@dataclass
class CachedPage:
    url: str
    body: Bytes  # a large one is a view of its own mapping (bigbytes.py)
    content_type: str
    etag: str | None
    last_modified: str | None
    fetched_at: float
    max_age: int
    sha256: str = ""  # of the body; computed when not given

    def __post_init__(self) -> None:
        if not self.sha256:
            self.sha256 = hashlib.sha256(self.body).hexdigest()

    @property
    def fresh(self) -> bool:
        return time.time() - self.fetched_at < self.max_age


class Cache:
    """A cache folder; ``Cache(None)`` is a cache that stores nothing (``--no-cache``)."""

    def __init__(self, root: Path | None) -> None:
        self.root = root

    # -- project pages ---------------------------------------------------------------------

    def load_page(self, url: str, checked: bool = True) -> CachedPage | None:
        """The page, or None; ``checked=False`` trusts the sha256 its first line gives (a page
        this run's child process just wrote, by a rename: it cannot be torn)."""
        if self.root is None:
            return None
        base = self.root / "pages" / _key(url)
        try:
            with base.with_suffix(".page").open("rb") as handle:
                head = handle.readline(MAX_HEADER_LINE)
                body = read_rest(handle, os.fstat(handle.fileno()).st_size - len(head))
            meta = json.loads(head)
        except FileNotFoundError:
            return self._load_two_file_page(url, base)
        except (OSError, ValueError):
            return None
        return _checked_page(url, meta, body, checked)

    def _load_two_file_page(self, url: str, base: Path) -> CachedPage | None:
        try:
            meta = json.loads(base.with_suffix(".json").read_text())
            with base.with_suffix(".body").open("rb") as handle:
                body = read_rest(handle, os.fstat(handle.fileno()).st_size)
        except (OSError, ValueError):
            return None
        return _checked_page(url, meta, body)

    def page_state(self, url: str) -> tuple[str, bool] | None:
        """(body sha256, fresh) from a page's first line alone, without reading its body."""
        if self.root is None:
            return None
        base = self.root / "pages" / _key(url)
        try:
            try:
                with base.with_suffix(".page").open("rb") as handle:
                    meta = json.loads(handle.readline(MAX_HEADER_LINE))
            except FileNotFoundError:
                meta = json.loads(base.with_suffix(".json").read_text())
            fresh = time.time() - float(meta["fetched_at"]) < int(meta["max_age"])
            return str(meta["sha256"]), fresh
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def store_page(self, page: CachedPage) -> None:
        if self.root is None:
            return
        meta = {
            "content_type": page.content_type,
            "etag": page.etag,
            "last_modified": page.last_modified,
            "fetched_at": page.fetched_at,
            "max_age": page.max_age,
            "sha256": page.sha256,
        }
        path = (self.root / "pages" / _key(page.url)).with_suffix(".page")
        _atomic_write(path, json.dumps(meta).encode() + b"\n", page.body)

    def drop_page(self, url: str) -> None:
        if self.root is not None:
            with contextlib.suppress(OSError):
                (self.root / "pages" / _key(url)).with_suffix(".page").unlink()

    def touch_page(self, page: CachedPage) -> None:
        page.fetched_at = time.time()
        self.store_page(page)

    # -- immutable blobs -------------------------------------------------------------------

    def load_blob(self, kind: str, identity: str) -> bytes | None:
        if self.root is None:
            return None
        path = self.root / "blobs" / kind / _key(identity)
        try:
            data = path.read_bytes()
        except OSError:
            return None
        if data.startswith(BLOB_MAGIC):
            expected, data = data[len(BLOB_MAGIC) : BLOB_HEADER - 1], data[BLOB_HEADER:]
            if hashlib.sha256(data).hexdigest().encode() != expected:
                return None
            return data
        try:  # the two-file layout
            sidecar = path.with_suffix(".sha256").read_text().strip()
        except OSError:
            return None
        return data if hashlib.sha256(data).hexdigest() == sidecar else None

    def store_blob(self, kind: str, identity: str, data: bytes) -> None:
        if self.root is None:
            return
        path = self.root / "blobs" / kind / _key(identity)
        header = BLOB_MAGIC + hashlib.sha256(data).hexdigest().encode() + b"\n"
        _atomic_write(path, header, data)


def _checked_page(url: str, meta: object, body: Bytes, checked: bool = True) -> CachedPage | None:
    if not isinstance(meta, dict):
        return None
    try:
        page = CachedPage(
            sha256="" if checked else str(meta.get("sha256", "")),
            url=url,
            body=body,
            content_type=str(meta.get("content_type", "")),
            etag=_text_or_none(meta.get("etag")),
            last_modified=_text_or_none(meta.get("last_modified")),
            fetched_at=float(meta.get("fetched_at", 0)),
            max_age=int(meta.get("max_age", 0)),
        )
    except (TypeError, ValueError):
        return None
    if page.sha256 != meta.get("sha256"):
        return None  # torn or corrupted: behave as if absent, the next fetch rewrites it
    return page


def _text_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None
