"""The on-disk cache: project pages with their HTTP validators, and immutable blobs.

Why not CacheControl: ``--offline`` must answer from entries that HTTP semantics call
stale, and the wheel metadata we cache is assembled from range requests, which HTTP caches
do not store. Both needs are small, so the cache is a folder of files:

* ``pages/<key>.json`` + ``.body``: a project page, its ETag/Last-Modified, when it was
  fetched, and the body's sha256 so a truncated or corrupted entry is noticed and refetched;
* ``blobs/<kind>/<key>``: content that never changes for a given file hash (core metadata,
  results of inspecting an sdist), with a sha256 sidecar for the same reason.

Writes go to a temporary file in the same folder and are renamed into place, so concurrent
runs sharing a cache never see half a file. Keys are hashes of credential-free URLs.
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


def default_cache_dir() -> Path:
    override = os.environ.get("WHEELFIT_CACHE_DIR")
    return Path(override) if override else Path(platformdirs.user_cache_dir("wheelfit"))


def _key(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@dataclass
class CachedPage:
    url: str
    body: bytes
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

    def load_page(self, url: str) -> CachedPage | None:
        if self.root is None:
            return None
        base = self.root / "pages" / _key(url)
        try:
            meta = json.loads(base.with_suffix(".json").read_text())
            body = base.with_suffix(".body").read_bytes()
        except (OSError, ValueError):
            return None
        page = CachedPage(
            url=url,
            body=body,
            content_type=meta.get("content_type", ""),
            etag=meta.get("etag"),
            last_modified=meta.get("last_modified"),
            fetched_at=float(meta.get("fetched_at", 0)),
            max_age=int(meta.get("max_age", 0)),
        )
        if page.sha256 != meta.get("sha256"):
            return None  # torn or corrupted: behave as if absent, the next fetch rewrites it
        return page

    def page_state(self, url: str) -> tuple[str, bool] | None:
        """(body sha256, fresh) from a page's metadata alone, without reading its body."""
        if self.root is None:
            return None
        try:
            meta = json.loads((self.root / "pages" / _key(url)).with_suffix(".json").read_text())
            fresh = time.time() - float(meta["fetched_at"]) < int(meta["max_age"])
            return str(meta["sha256"]), fresh
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def store_page(self, page: CachedPage) -> None:
        if self.root is None:
            return
        base = self.root / "pages" / _key(page.url)
        meta = {
            "content_type": page.content_type,
            "etag": page.etag,
            "last_modified": page.last_modified,
            "fetched_at": page.fetched_at,
            "max_age": page.max_age,
            "sha256": page.sha256,
        }
        # body first: a reader that finds new metadata with an old body sees a hash mismatch
        _atomic_write(base.with_suffix(".body"), page.body)
        _atomic_write(base.with_suffix(".json"), json.dumps(meta).encode())

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
            expected = path.with_suffix(".sha256").read_text().strip()
        except OSError:
            return None
        if hashlib.sha256(data).hexdigest() != expected:
            return None
        return data

    def store_blob(self, kind: str, identity: str, data: bytes) -> None:
        if self.root is None:
            return
        path = self.root / "blobs" / kind / _key(identity)
        _atomic_write(path, data)
        _atomic_write(path.with_suffix(".sha256"), hashlib.sha256(data).hexdigest().encode())
