"""IndexClient: project pages, core metadata and archives from one or more indexes.

One requests Session (pooled connections, retries with backoff on 429/5xx and connection
errors), a thread pool for concurrent work, and futures keyed by URL so that every target
asking for the same page waits on the same request. Pages are revalidated with their
validators; metadata and archives are keyed by the file's sha256 and never refetched.
"""

from __future__ import annotations

import hashlib
import json
import threading
import zipfile
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Protocol, TypeVar
from urllib.parse import urlsplit

import requests
from packaging.utils import NormalizedName, canonicalize_name

from ..errors import IndexFetchError, redact_url
from ..models import DistFile
from .bigbytes import LARGE, Bytes, joined
from .cache import Cache, CachedPage
from .children import Children
from .download import download_archive
from .findlinks import (
    LocalFile,
    archive_link_page,
    copy_local,
    folder_page,
    is_archive_link,
    links_page,
    list_folder,
)
from .http import (
    DEFAULT_TIMEOUT,
    Answer,
    Http,
    fetch_or_fail,
    make_session,
    raise_for_status,
)
from .members import MemberList
from .memo import Memo
from .page import ProjectPage
from .pageprocess import ACCEPT, MAX_PAGE_BYTES, PageProcess, answered_page, page_process
from .rangezip import RangeFile, metadata_member, read_member
from .simple import parse_project_page
from .urls import DEFAULT_INDEX, local_path, strip_credentials
from .writer import CacheWriter

MAX_METADATA_BYTES = 10 * 1024 * 1024  # a METADATA file larger than this is not real
MAX_RANGE_READ = 32 * 1024 * 1024  # give up reading a wheel's zip beyond this much
MAX_ARCHIVE_BYTES = 256 * 1024 * 1024  # sdists larger than this are not downloaded
# a larger download is spooled to a temporary file: an archive held in memory grows and is
# freed in malloc's heaps (bigbytes.py says what that costs); spooling every archive past
# 128 KB instead of past 4 MB lowered the 714-pin file's cold peak from 329 to 295 MB
ARCHIVE_IN_MEMORY_BYTES = LARGE
# seconds for one request from start to its body's last byte, retries included: the
# per-read timeout alone never ends an answer trickling in a byte at a time
DEFAULT_DEADLINE = 180.0
RETRIES = 3  # tries again after a failure (urllib3's, and a body cut short)
# threads in each of the I/O and task pools: more wait on the GIL more than on the network
# (cold awx, three images: 8 threads 5.31 s and 5.3 s of CPU, 16 threads 5.63 s and 6.2 s,
# 32 half as slow again; 4 and 6 slower than 8: docs/benchmarks.md, fourth pass)
WORKERS = 8

T = TypeVar("T")


class FetchObserver(Protocol):
    def fetched(self, kind: str, what: str, from_cache: bool) -> None: ...


class _SilentObserver:
    def fetched(self, kind: str, what: str, from_cache: bool) -> None:
        pass


@dataclass(frozen=True)
class _Index:
    url: str  # without credentials, always ending in "/"
    auth: tuple[str, str] | None


class IndexClient:
    def __init__(
        self,
        index_urls: Iterable[str] = (DEFAULT_INDEX,),
        *,
        cache: Cache | None = None,
        session: requests.Session | None = None,
        offline: bool = False,
        timeout: float = DEFAULT_TIMEOUT,
        deadline: float = DEFAULT_DEADLINE,
        retries: int = RETRIES,
        max_workers: int = WORKERS,
        exclude_newer: datetime | None = None,
        observer: FetchObserver | None = None,
        find_links: Iterable[str] = (),
        pages: PageProcess | None = None,
        worker: PageProcess | None = None,
    ) -> None:
        self.indexes = []
        self.find_links = list(find_links)
        self._local_uris: set[str] = set()  # the files --find-links folders listed
        self._linked_urls: set[str] = set()  # the files --find-links pages link to
        for raw in index_urls:
            bare, auth = strip_credentials(raw)
            self.indexes.append(_Index(bare.rstrip("/") + "/", auth))
        self.cache = cache or Cache(None)
        self.offline = offline
        self.timeout = timeout
        self.exclude_newer = exclude_newer
        self.observer: FetchObserver = observer or _SilentObserver()
        self.retries = retries
        # connections kept alive per host: one per thread that may ask it at once (the
        # pools, the targets' threads); with fewer, an answer beyond them closes its connection
        self.session = session or make_session(retries, 2 * max_workers + 4)
        # pages fetched into the cache by a child, packed and sdists read by another
        # (children.py); not with a caller's session: its settings cannot be handed over
        if session is None:
            pages = pages or page_process(self.cache.root, offline, timeout, deadline, retries)
        else:
            pages = worker = None
        self._children = Children(self.cache, pages, worker, pack=exclude_newer is None)
        self.http = Http(self.session, timeout, deadline, retries)
        # No task waits on work queued behind it: the I/O pool runs leaf fetches (metadata,
        # file lists, archives); the page pool, pages, which wait on the one parse thread (in
        # the I/O pool, a cold awx run's first METADATA waited 1.5 s for every page to be
        # parsed); the task pool, composite work (describing a file) that waits on the others.
        self._io_pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="wf-io")
        self._page_pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="wf-page")
        self._task_pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="wf-task")
        self._parse_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="wf-parse")
        self.writer = CacheWriter(self.cache.root is not None)
        self._memo = Memo()
        # every project page read, with its body's sha256: what a stored result depends on
        self.pages_read: dict[str, str] = {}
        self._lock = threading.Lock()
        # credentials by host, so file URLs on the same host as an index get them too
        self._auth_by_host = {urlsplit(i.url).netloc: i.auth for i in self.indexes if i.auth}

    def close(self) -> None:
        """Stop: queued work is cancelled and requests in flight end at once."""
        self.http.abort()
        self._io_pool.shutdown(wait=False, cancel_futures=True)
        self._task_pool.shutdown(wait=False, cancel_futures=True)
        self._page_pool.shutdown(wait=False, cancel_futures=True)
        self._parse_pool.shutdown(wait=False, cancel_futures=True)
        self.writer.stop()
        self._children.close()
        self.session.close()

    def __enter__(self) -> IndexClient:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if exc_type is None:
            self.writer.flush()  # a block that ends normally leaves a complete cache
        self.close()

    def prefetch_projects(self, names: Iterable[str]) -> None:
        for name in map(canonicalize_name, names):
            if ("project", name) in self._memo:
                continue  # asked already (a resolution asks for each dependency many times)
            for index in self.indexes:  # the child fetches ahead of the page threads
                bare, found = self._credentials(f"{index.url}{name}/")
                self._children.ask_page(bare, index.auth or found, name)
            self.project_future(name)

    # -- project pages ---------------------------------------------------------------------

    def get_project(self, name: str) -> ProjectPage:
        """All files of a project across the indexes (pip merges them), newest-first unordered."""
        return self.project_future(canonicalize_name(name)).result()

    def project_future(self, name: NormalizedName) -> Future[ProjectPage]:
        return self._memo.once("project", name, lambda: self._fetch_project(name), self._page_pool)

    def _fetch_project(self, name: NormalizedName) -> ProjectPage:
        pages: list[ProjectPage] = []
        errors: list[str] = []
        found = False
        for index in self.indexes:
            url = f"{index.url}{name}/"
            try:
                page = self._get_page(url, index.auth, name)
            except IndexFetchError as exc:
                errors.append(str(exc))
                continue
            if page is None:
                continue  # 404: not on this index
            found = True
            pages.append(page)
        for location in self.find_links:
            try:
                linked = self._find_links_page(location, name)
            except IndexFetchError as exc:
                errors.append(str(exc))
                continue
            found = found or bool(linked.files)
            pages.append(linked)
        if not found and errors:
            raise IndexFetchError("; ".join(errors))
        return ProjectPage.joined(name, pages)

    def _get_page(
        self, url: str, auth: tuple[str, str] | None, name: NormalizedName
    ) -> ProjectPage | None:
        """The project page from the cache or the index; only a page that parses is cached."""
        bare, found = self._credentials(url)
        answer = self._children.page_answer(bare, auth or found, name)  # when a child fetches it
        parsed = self._children.packed_page(answer, bare, name, self._parse_pool)
        if parsed is not None:
            self.observer.fetched("page", url, False)
            self._read(url, str(answer["sha256"]))
            return parsed
        cached = None if answer else self.cache.load_page(url)
        from_cache = self._parse(cached, name) if cached is not None else None
        if from_cache is None:
            cached = None  # absent, or unreadable although its checksum holds
        if self.offline:
            if cached is None or from_cache is None:
                raise IndexFetchError(
                    f"{redact_url(url)} is not in the cache and --offline is set; "
                    "run once without --offline"
                )
            self.observer.fetched("page", url, True)
            self._read(url, cached.sha256)
            return from_cache
        if cached is not None and cached.fresh:
            self.observer.fetched("page", url, True)
            self._read(url, cached.sha256)
            return from_cache
        if answer.get("status") == 404:
            self._absent(url)
            return None
        if "error" in answer:
            raise IndexFetchError(str(answer["error"]))
        page = self.cache.load_page(url, checked=False) if answer.get("stored") else None
        fetched_here = page is None
        if page is not None:
            page.url = answer["url"]  # after redirects, for resolving relative file URLs
        else:
            headers = {"Accept": ACCEPT}
            if cached is not None:
                if cached.etag:
                    headers["If-None-Match"] = cached.etag
                if cached.last_modified:
                    headers["If-Modified-Since"] = cached.last_modified
            # a page can be tens of MB: joined outside malloc's heaps (bigbytes.py)
            response = self._request(
                "GET", url, MAX_PAGE_BYTES, headers=headers, auth=auth, join=joined
            )
            if response.status == 304 and cached is not None:
                self.writer.submit(lambda: self.cache.touch_page(cached))
                self.observer.fetched("page", url, True)
                self._read(url, cached.sha256)
                return from_cache
            if response.status == 404:
                self._absent(url)
                return None
            raise_for_status(response, url)
            page = answered_page(response, url)
        parsed = self._parse(page, name)
        if parsed is None:
            if not fetched_here:
                self.cache.drop_page(url)  # the child stored it: only a page that parses stays
            raise IndexFetchError(f"{redact_url(url)}: not a valid project page")
        if fetched_here:  # the child wrote its pages to the cache itself
            page_for_cache = CachedPage(**{**page.__dict__, "url": url})
            self.writer.submit(lambda: self.cache.store_page(page_for_cache))
        self.observer.fetched("page", url, False)
        self._read(url, page.sha256)
        return parsed

    def _absent(self, url: str) -> None:
        with self._lock:
            self.pages_read[url] = ""  # not cached: a result that saw it cannot be reused

    def _parse(self, page: CachedPage, name: NormalizedName) -> ProjectPage | None:
        """The page's files, or None when it is not a project page. One thread parses every
        page: a page's files live as long as the run, and made in each of the I/O threads
        they were spread over as many malloc arenas (the 714-pin file: 455 -> 403 MB)."""
        return self._parse_pool.submit(
            parse_project_page, page.body, page.content_type, page.url, name, self.exclude_newer
        ).result()

    def _find_links_page(self, location: str, name: NormalizedName) -> ProjectPage:
        """The project's files at one --find-links location (read once for every project)."""
        folder = local_path(location)
        if folder is not None:
            listing = self._memo.once(
                "folder", str(folder), lambda: self._list_folder(folder), self._io_pool
            )
            try:
                return folder_page(listing.result(), name)
            except OSError as exc:  # a file removed or unreadable since the listing
                raise IndexFetchError(f"--find-links {folder}: {exc.strerror or exc}") from None
        if is_archive_link(location):
            page = archive_link_page(location, name)
        else:
            fetch = lambda: self._fetch_links_page(location)  # noqa: E731
            body = self._memo.once("links", location, fetch, self._io_pool)
            text, url = body.result()
            page = links_page(text, url, name)
        with self._lock:
            self._linked_urls.update(f.url for f in page.files)
        return page

    def _list_folder(self, folder: Path) -> list[LocalFile]:
        try:
            files = list_folder(folder)
        except OSError as exc:
            raise IndexFetchError(f"--find-links {folder}: {exc.strerror or exc}") from None
        with self._lock:
            self._local_uris.update(f.path.as_uri() for f in files)
        return files

    def from_find_links(self, dist: DistFile) -> bool:
        """Whether the file was found through --find-links (not on an index)."""
        with self._lock:
            return dist.url in self._local_uris or dist.url in self._linked_urls

    def _local_file(self, url: str) -> Path | None:
        """The file behind a file:// URL that a --find-links folder listed, else None.

        Only those are read from disk: a page on an index cannot make wheelfit read a local
        file by linking to it.
        """
        if not url.startswith("file:"):
            return None
        with self._lock:
            listed = url in self._local_uris
        if not listed:
            raise IndexFetchError(f"{redact_url(url)}: a local file no --find-links folder lists")
        return local_path(url)

    def _fetch_links_page(self, location: str) -> tuple[bytes, str]:
        self._refuse_offline(f"--find-links {redact_url(location)}")
        response = self._request("GET", location, MAX_PAGE_BYTES, headers={"Accept": "text/html"})
        raise_for_status(response, location)
        self.observer.fetched("page", location, False)
        return response.data, response.url

    def still_absent(self, urls: list[str]) -> bool:
        """Whether every one of these project pages still answers 404 (asked in parallel)."""
        if self.offline:
            return True

        def absent(url: str) -> bool:
            try:  # _request finds the index's credentials by host
                response = self._request("GET", url, MAX_PAGE_BYTES, headers={"Accept": ACCEPT})
            except IndexFetchError:
                return False
            return response.status == 404

        return all(self._io_pool.map(absent, urls))

    def _read(self, url: str, sha256: str) -> None:
        with self._lock:
            self.pages_read[url] = sha256

    # -- core metadata ---------------------------------------------------------------------

    def get_wheel_metadata(self, dist: DistFile) -> bytes:
        """A wheel's METADATA: the PEP 658 file when offered, else read by range requests.

        Not kept once read when there is a disk cache to read it from again: its reader
        keeps what it parsed from it (inspect/distinfo.py), and a project's description
        makes METADATA 10 KB on average (9 MB for the 714-pin file, held to the end of the
        run). Asked again (a sibling wheel's, for an sdist), it comes from the disk cache,
        or from the index when the cache writer has not stored it yet."""
        work = lambda: self._fetch_wheel_metadata(dist)  # noqa: E731
        keep = self.cache.root is None
        return self._memo.once("metadata", dist.url, work, self._io_pool, keep=keep).result()

    def _fetch_wheel_metadata(self, dist: DistFile) -> bytes:
        identity = file_identity(dist)
        cached = self.cache.load_blob("metadata", identity)
        if cached is not None:
            self.observer.fetched("metadata", dist.filename, True)
            return cached
        if not dist.url.startswith("file:"):  # a --find-links file is read offline too
            self._refuse_offline(dist.filename)
        data = None
        if dist.has_metadata_file:
            data = self._fetch_metadata_file(dist)
        if data is None:
            data = self._read_metadata_by_range(dist)
        self.writer.submit(lambda: self.cache.store_blob("metadata", identity, data))
        self.observer.fetched("metadata", dist.filename, False)
        return data

    def _fetch_metadata_file(self, dist: DistFile) -> bytes | None:
        url = dist.url + ".metadata"
        response = self._request("GET", url, MAX_METADATA_BYTES)
        if response.status != 200:
            return None  # advertised but missing: fall back to the wheel itself
        data = response.data
        if not data.strip():
            raise IndexFetchError(f"{dist.filename}.metadata: the index sent an empty answer")
        if dist.metadata_sha256 and hashlib.sha256(data).hexdigest() != dist.metadata_sha256:
            raise IndexFetchError(f"{dist.filename}.metadata does not match its advertised hash")
        return data

    def _zip_source(self, dist: DistFile) -> IO[bytes]:
        """A wheel to read as a zip: the file itself when local, else by range requests."""
        path = self._local_file(dist.url)
        if path is not None:
            try:
                return path.open("rb")
            except OSError as exc:
                raise IndexFetchError(f"{dist.filename}: {exc.strerror or exc}") from None
        size = dist.size if dist.size else self._content_length(dist.url)
        fetch = lambda a, b: self._fetch_range(dist.url, a, b)  # noqa: E731
        return RangeFile(size, fetch, MAX_RANGE_READ)  # type: ignore[return-value]

    def _read_metadata_by_range(self, dist: DistFile) -> bytes:
        try:
            with self._zip_source(dist) as remote, zipfile.ZipFile(remote) as archive:
                # the central directory is read anyway: keep the file list for the sizes
                self._store_members(dist, archive)
                member = metadata_member(archive, dist.filename)
                info = archive.getinfo(member)
                if info.file_size > MAX_METADATA_BYTES:
                    raise IndexFetchError(f"{dist.filename}: METADATA is implausibly large")
                return read_member(archive, info)
        except (zipfile.BadZipFile, EOFError, ValueError, KeyError) as exc:
            raise IndexFetchError(f"{dist.filename}: cannot read its METADATA ({exc})") from exc

    def get_wheel_members(self, dist: DistFile) -> MemberList:
        """(name, uncompressed size) of every member, from the zip's central directory only."""
        return self.wheel_members_future(dist).result()

    def wheel_members_future(self, dist: DistFile) -> Future[MemberList]:
        """get_wheel_members started in the background (many wheels are read at once)."""
        work = lambda: self._fetch_wheel_members(dist)  # noqa: E731
        return self._memo.once("members", dist.url, work, self._io_pool)

    def _fetch_wheel_members(self, dist: DistFile) -> MemberList:
        identity = file_identity(dist)
        cached = self.cache.load_blob("members", identity)
        if cached is not None:
            return MemberList((str(n), int(s)) for n, s in json.loads(cached))
        if not dist.url.startswith("file:"):
            self._refuse_offline(dist.filename)
        try:
            with self._zip_source(dist) as remote, zipfile.ZipFile(remote) as archive:
                members = self._store_members(dist, archive)
        except (zipfile.BadZipFile, EOFError, ValueError) as exc:
            raise IndexFetchError(f"{dist.filename}: cannot read its file list ({exc})") from exc
        self.observer.fetched("members", dist.filename, False)
        return members

    def _store_members(self, dist: DistFile, archive: zipfile.ZipFile) -> MemberList:
        pairs = [(i.filename, i.file_size) for i in archive.infolist()]
        members = MemberList(pairs)
        self._memo.remember("members", dist.url, members)  # asked next (sizes): not re-read
        data = json.dumps(pairs).encode()
        self.writer.submit(lambda: self.cache.store_blob("members", file_identity(dist), data))
        return members

    def _content_length(self, url: str) -> int:
        response = self._request("HEAD", url, 0)
        raise_for_status(response, url)
        length = response.headers.get("Content-Length", "")
        if not length.isdigit():
            raise IndexFetchError(f"{redact_url(url)}: server does not tell the file's size")
        return int(length)

    def _fetch_range(self, url: str, start: int, end: int) -> tuple[bytes, bool]:
        headers = {"Range": f"bytes={start}-{end}"}
        response = self._request("GET", url, MAX_RANGE_READ, headers=headers)
        raise_for_status(response, url)
        return response.data, response.status == 206

    # -- whole archives (sdists) -----------------------------------------------------------

    def download(self, dist: DistFile, limit: int = MAX_ARCHIVE_BYTES) -> IO[bytes]:
        """The whole file, refusing anything over ``limit`` bytes; checked against its hash.

        The caller closes it. Archives go to a temporary file beyond a few megabytes: sdists
        of 80 MB exist, and several are downloaded at once.
        """
        if dist.size is not None and dist.size > limit:
            raise IndexFetchError(f"{dist.filename} is {dist.size} bytes, over the {limit} limit")
        path = self._local_file(dist.url)
        if path is not None:
            return copy_local(path, dist.filename, limit, ARCHIVE_IN_MEMORY_BYTES)
        self._refuse_offline(dist.filename)
        bare, auth = self._credentials(dist.url)
        archive = download_archive(
            self.http, bare, auth, dist.filename, dist.sha256, limit, ARCHIVE_IN_MEMORY_BYTES
        )
        self.observer.fetched("archive", dist.filename, False)
        return archive

    def archive_job(self, kind: str, dist: DistFile, payload: dict[str, Any]) -> dict[str, Any]:
        """Work on a whole archive done by the worker process, which downloads it as
        ``download`` would (children.py): its answer, or {} when no worker did it (none
        runs, the file is local or over the limit): the caller then does it itself."""
        if (dist.size or 0) > MAX_ARCHIVE_BYTES or self._local_file(dist.url) is not None:
            return {}
        bare, auth = self._credentials(dist.url)
        about = {"url": bare, "auth": auth, "filename": dist.filename, "sha256": dist.sha256}
        limits = {"limit": MAX_ARCHIVE_BYTES, "in_memory": ARCHIVE_IN_MEMORY_BYTES}
        answer = self._children.archive_job(kind, bare, {**payload, **about, **limits})
        if answer.get("stored"):
            self.observer.fetched("archive", dist.filename, False)
        return answer

    def submit(self, kind: str, key: str, work: Callable[[], T]) -> Future[T]:
        """Run ``work`` once per (kind, key) on the task pool (shared across targets)."""
        return self._memo.once(kind, key, work, self._task_pool)

    # -- plumbing --------------------------------------------------------------------------

    def _refuse_offline(self, what: str) -> None:
        if self.offline:
            raise IndexFetchError(f"{what} is not in the cache and --offline is set")

    def _credentials(self, url: str) -> tuple[str, tuple[str, str] | None]:
        bare, inline_auth = strip_credentials(url)
        return bare, inline_auth or self._auth_by_host.get(urlsplit(bare).netloc)

    def _request(
        self,
        method: str,
        url: str,
        limit: int,
        *,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        join: Callable[[Iterator[bytes]], Bytes] = b"".join,
    ) -> Answer:
        """The answer with its whole body (at most ``limit`` bytes), or IndexFetchError."""
        bare, found_auth = self._credentials(url)
        return fetch_or_fail(
            self.http, method, bare, limit, headers=headers, auth=auth or found_auth, join=join
        )


def file_identity(dist: DistFile) -> str:
    """What cached facts about a file are keyed by: its sha256, else its credential-free URL."""
    return dist.sha256 or redact_url(dist.url)
