"""The worker process wheelfit runs beside a cold run: pages packed, sdists read, into the cache.

A cold run is CPU-bound under the GIL. Two kinds of its CPU work are done here, in a process
of its own (the protocol is index/pageprocess.py's, the client's side index/children.py):

- "pack": a project page the pages' child has stored, its files grouped by version and
  packed as the client's parser packs them (index/simple.pack_page); the client takes the
  packed runs as they are (awx's 161 pages: parsed in 0.31 s, unpacked in 0.014 s).
- "sdist": an sdist downloaded and read (sdist.inspect_sdist), its SdistInfo stored under
  the key distinfo.load_sdist reads. grpcio's 26 MB archive unpacks to 105 MB in 5,715
  members: 0.66 s. Ten images of awx read nine sdists; with every SdistInfo already cached,
  the run took 3.45 s instead of 4.37 s.

A download that fails, or an archive that cannot be read, is answered in the words the parent
would have used; anything else is answered {} and the parent does the work itself.
"""

from __future__ import annotations

from typing import Any

from ..errors import ArchiveError, IndexFetchError
from ..index.download import download_archive
from ..index.pagepacking import pack_into_cache
from ..index.pageprocess import Child, Job, job_url, run

SDIST_WORKERS = 4  # downloads wait on the network; reading holds the child's GIL


def inspect_into_cache(child: Child, ask: dict[str, Any]) -> dict[str, Any]:
    """{"stored": True} once the sdist's SdistInfo is in the cache (as a blob of kind
    ask["blob"], under ask["identity"]); {"error"} for a download that failed,
    {"archive_error"} for an archive that cannot be read."""
    from .sdist import inspect_sdist  # not before a first sdist: the pages' packing comes first

    url, auth = job_url(ask)
    filename = str(ask["filename"])
    try:
        archive = download_archive(
            child.http,
            url,
            auth,
            filename,
            ask.get("sha256"),
            int(ask["limit"]),
            int(ask["in_memory"]),
        )
    except IndexFetchError as exc:
        return {"error": str(exc)}
    try:
        with archive:
            info = inspect_sdist(filename, archive)
    except ArchiveError as exc:
        return {"archive_error": str(exc)}
    child.cache.store_blob(str(ask["blob"]), str(ask["identity"]), info.to_blob())
    return {"stored": True}


JOBS: dict[str, Job] = {"pack": (pack_into_cache, 1), "sdist": (inspect_into_cache, SDIST_WORKERS)}

if __name__ == "__main__":
    run(JOBS)
