"""The child process wheelfit runs beside a cold run: project pages, and sdists inspected.

It does what index/pageprocess.py's child does (the pages, into the cache), and one more kind
of job: an sdist downloaded and read (sdist.inspect_sdist), its SdistInfo stored in the cache
under the key distinfo.load_sdist reads. Reading an sdist is CPU work under the GIL (grpcio's
26 MB archive unpacks to 105 MB in 5,715 members: 0.66 s); in the child it runs beside the
resolutions instead of between them. Ten images of awx read nine sdists, grpcio's among them;
with every SdistInfo already cached, the run took 3.45 s instead of 4.37 s.

A download that fails, or an archive that cannot be read, is answered in the words the parent
would have used; anything else is answered {} and the parent reads the sdist itself.
"""

from __future__ import annotations

import json
from typing import Any

from ..errors import ArchiveError, IndexFetchError
from ..index.download import download_archive
from ..index.pageprocess import PAGE_JOBS, Child, Job, job_url, run

SDIST_WORKERS = 4  # downloads wait on the network; reading holds the child's GIL


def inspect_into_cache(child: Child, ask: dict[str, Any]) -> dict[str, Any]:
    """{"stored": True} once the sdist's SdistInfo is in the cache (as a blob of kind
    ask["blob"], under ask["identity"]); {"error"} for a download that failed,
    {"archive_error"} for an archive that cannot be read."""
    from .sdist import inspect_sdist  # not before a first sdist: pages come first

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
    data = json.dumps(info.to_json()).encode()
    child.cache.store_blob(str(ask["blob"]), str(ask["identity"]), data)
    return {"stored": True}


JOBS: dict[str, Job] = {**PAGE_JOBS, "sdist": (inspect_into_cache, SDIST_WORKERS)}

if __name__ == "__main__":
    run(JOBS)
