"""Project pages packed for the client by the worker process (inspect/worker.py runs the job,
children.py asks for it): each page's files grouped by version and packed as the client's
parser packs them (simple.pack_page), into a cache blob the client unpacks (unpack_page).

Apart from pageprocess.py so that the pages' child, which only fetches, does not import the
parser (msgspec, packaging, Zstandard) at its start.
"""

from __future__ import annotations

from typing import Any

from .pageprocess import Child
from .simple import pack_page


def pack_into_cache(child: Child, ask: dict[str, Any]) -> dict[str, Any]:
    """A page the cache holds, its files packed for the parent (simple.pack_page) into a blob
    (packed_page_key): {"packed": True}, {"packed": False} for a page not packed so (the
    parent parses it), or {} when the cache does not hold that page (any more)."""
    url, project = str(ask["url"]), str(ask["project"])
    page = child.cache.load_page(url, checked=False)  # written by a rename: never torn
    if page is None or page.sha256 != ask["sha256"]:
        return {}
    final_url = str(ask["final_url"])
    try:
        packed = pack_page(page.body, page.content_type, final_url, project)
    except (ValueError, TypeError, AttributeError, KeyError, RecursionError):
        packed = None  # what the parent's parse makes of it, it says itself
    if packed is None:
        return {"packed": False}
    child.cache.store_blob(*packed_page_key(page.sha256, final_url, project), packed)
    return {"packed": True}


def packed_page_key(sha256: str, url: str, project: str) -> tuple[str, str]:
    """The cache blob (kind, identity) of a page's packed files: what a page's files are
    made of (its body, its URL after redirects for relative file URLs, the project)."""
    return PACKED_PAGE_BLOB, f"{sha256} {url} {project}"


PACKED_PAGE_BLOB = "page-packed-v1"  # a new version when simple.pack_page's form changes
