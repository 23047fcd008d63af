"""Project pages fetched by a second process, straight into the cache folder.

A cold run is CPU-bound under the GIL, and Python's TLS layer gives the GIL up and takes it
back for every record it reads (16 KB at most): while the parse, the resolutions and the
imports hold the GIL, a page thread waits for it after each record. The 161 pages of awx
(53 MB) came in over 1.5 s of a cold run; the same eight threads fetch them in 0.45 s in a
process with nothing else to do. A child process, whose threads only wait on the network,
fetches the pages and writes each into the cache as the parent would have; the parent reads
it from there and parses it, or takes the worker's packed form of it (children.py). A page
the child cannot store comes back as the error the parent would have reported, in the same
words (an HTTP status, another content type, a timeout); a page it does not answer (a child
that could not start, or is gone) the parent fetches itself.

The protocol is JSON lines on the child's stdin and stdout: the settings first, then one line
per job ({"id", "kind", ...}): a page ({"kind": "page", "url", "auth"}, its id the URL), or
another kind of work that the program run as the child knows (this module's own program
fetches pages; the worker, inspect/worker.py, packs them and reads sdists: children.py). The
child answers each ({"id"}, for a page with "stored", the URL after redirects and the body's
sha256 when it is in the cache, "status": 404, or "error"; {} for work it did not do, which
the parent then does itself).
Credentials travel on the pipe only, never on a command line; the child writes nothing else
anywhere.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from ..errors import IndexFetchError, redact_url
from .bigbytes import joined
from .cache import Cache, CachedPage
from .http import Answer, Http, fetch_or_fail, make_session, raise_for_status

JSON_CONTENT_TYPE = "application/vnd.pypi.simple.v1+json"
ACCEPT = f"{JSON_CONTENT_TYPE}, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01"
MAX_PAGE_BYTES = 128 * 1024 * 1024  # PyPI's largest project pages are a few tens of MB
PAGE_CONTENT_TYPES = frozenset(
    {JSON_CONTENT_TYPE, "application/vnd.pypi.simple.v1+html", "text/html"}
)
DEFAULT_PAGE_MAX_AGE = 600  # PyPI sends max-age=600 on project pages


def page_process(
    cache_dir: Path | None,
    offline: bool,
    timeout: float,
    deadline: float,
    retries: int,
    program: str = __name__,
) -> PageProcess | None:
    """The child for a run, not started yet, running ``program`` (a module run with -m);
    None without a cache folder to hand the pages over in, offline, in a frozen application
    (no interpreter to start one with), or with WHEELFIT_PAGE_PROCESS=0."""
    if cache_dir is None or offline or getattr(sys, "frozen", False):
        return None
    if os.environ.get("WHEELFIT_PAGE_PROCESS") == "0":
        return None
    return PageProcess(cache_dir, timeout, deadline, retries, program)


class PageProcess:
    """The parent's side: the child, started on the first page asked for; each page is asked
    for once (``ask``, as soon as its name is known) and its answer waited for when the page
    is needed (``answer``)."""

    def __init__(
        self,
        cache_dir: Path,
        timeout: float,
        deadline: float,
        retries: int,
        program: str = __name__,
    ) -> None:
        self._program = program
        self._settings = {
            "cache": str(cache_dir),
            "timeout": timeout,
            "deadline": deadline,
            "retries": retries,
        }
        # the child gives up on a page after its deadline (retries included): past that and
        # a margin, the parent asks the index itself
        self._wait = deadline + timeout + 5
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._failed = False  # it could not start, or it has ended: pages are fetched here
        # by the id the child answers with (a page's is its URL); done once answered
        self._asked: dict[str, Future[dict[str, Any]]] = {}

    def ask(self, url: str, auth: tuple[str, str] | None) -> Future[dict[str, Any]]:
        """The child's answer, to come: {"stored": True, "url": the URL after redirects,
        "sha256": the body's} once the page is in the cache, {"status": 404}, {"error": what
        the parent reports}, or {} when the parent must fetch the page itself (the child is
        gone)."""
        return self._ask(url, {"kind": "page", "url": url, "auth": auth})

    def asked(self, url: str) -> bool:
        with self._lock:
            return url in self._asked

    def answer(self, url: str, auth: tuple[str, str] | None) -> dict[str, Any]:
        return _within(self.ask(url, auth), self._wait)

    def submit(self, kind: str, key: str, payload: dict[str, Any]) -> Future[dict[str, Any]]:
        """Work of another kind than a page, asked for now (once per kind and key); its
        answer, to come, is {} when the child did not do it (gone, or its program does not
        know the kind)."""
        return self._ask(f"{kind} {key}", {"kind": kind, **payload})

    def job(
        self, kind: str, key: str, payload: dict[str, Any], work: float, network: bool
    ) -> dict[str, Any]:
        """The child's answer for work of another kind than a page (once per kind and key),
        waited for ``work`` seconds, plus as long as a request may take when the job makes
        one (``network``); {} when the child did not do it (gone, too slow, or its program
        does not know the kind)."""
        return _within(self.submit(kind, key, payload), work + (self._wait if network else 0))

    def _ask(self, job_id: str, message: dict[str, Any]) -> Future[dict[str, Any]]:
        with self._lock:
            future = self._asked.get(job_id)
            if future is not None:
                return future
            future = self._asked[job_id] = Future()
            if not self._send({"id": job_id, **message}):
                future.set_result({})
        return future

    def close(self) -> None:
        """Stop the child: pages still on their way are no longer needed. An idle child is
        killed at once; one still fetching is told to stop (its pipe closed), so that no page
        is cut off in the middle of its write, and killed if it has not stopped within 1 s."""
        with self._lock:
            process, self._process, self._failed = self._process, None, True
            idle = all(future.done() for future in self._asked.values())
        if process is not None:
            if not idle and process.stdin is not None:
                with contextlib.suppress(OSError, subprocess.TimeoutExpired):
                    process.stdin.close()
                    process.wait(timeout=1)
            process.kill()
            process.wait()
            for stream in (process.stdin, process.stdout):
                if stream is not None:
                    with contextlib.suppress(OSError):  # a write left for a child now gone
                        stream.close()

    def start(self) -> None:
        """Start the child now (its start-up, about 0.15 s, beside other work)."""
        with self._lock:
            self._started()

    def _started(self) -> bool:
        """Under the lock: whether the child runs, started first if need be."""
        if self._process is None and not self._failed:
            try:
                self._process = subprocess.Popen(
                    [sys.executable, "-m", self._program],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                )
            except OSError:  # no interpreter to start (an embedded Python)
                self._failed = True
                return False
            reader = threading.Thread(
                target=self._read_answers, args=(self._process,), name="wf-pages", daemon=True
            )
            reader.start()
            return self._send(self._settings)
        return self._process is not None

    def _send(self, message: dict[str, Any]) -> bool:
        """Under the lock: the message written to the child, started first if need be."""
        if message is not self._settings and not self._started():
            return False
        if self._process is None or self._process.stdin is None:
            return False
        try:
            self._process.stdin.write(json.dumps(message).encode() + b"\n")
            self._process.stdin.flush()
        except (OSError, ValueError):  # the child is gone (or its pipe closed)
            return False
        return True

    def _read_answers(self, process: subprocess.Popen[bytes]) -> None:
        assert process.stdout is not None
        try:
            for line in process.stdout:
                answer = json.loads(line)
                with self._lock:
                    future = self._asked.get(answer.pop("id"))
                if future is not None and not future.done():
                    future.set_result(answer)
        except (OSError, ValueError, KeyError, AttributeError, TypeError):
            pass  # a closed pipe, or a line that is not an answer: the child is not trusted
        with self._lock:  # the child ended: whatever it did not answer is fetched here
            self._failed = True
            waiting = [future for future in self._asked.values() if not future.done()]
        for future in waiting:
            future.set_result({})


def _within(answer: Future[dict[str, Any]], seconds: float) -> dict[str, Any]:
    """The child's answer, or {} (the parent does the work) when it is later than that."""
    try:
        return answer.result(timeout=seconds)
    except FutureTimeout:
        return {}


def max_age(cache_control: str) -> int:
    """How long a page counts as fresh, from its Cache-Control."""
    match = re.search(r"max-age=(\d+)", cache_control)
    if "no-cache" in cache_control or "no-store" in cache_control:
        return 0
    return int(match[1]) if match else DEFAULT_PAGE_MAX_AGE


@dataclass(frozen=True)
class Child:
    """What the child's jobs work with: the cache folder and the HTTP client."""

    cache: Cache
    http: Http


# a kind of job: the function that does one (its answer, in the parent's words) and how many
# of that kind are done at once
Job = tuple[Callable[[Child, dict[str, Any]], dict[str, Any]], int]


def fetch_page(child: Child, ask: dict[str, Any]) -> dict[str, Any]:
    """The page fetched into the cache; else what the parent reports, in its words."""
    url, auth = job_url(ask)
    try:
        response = fetch_or_fail(
            child.http,
            "GET",
            url,
            MAX_PAGE_BYTES,
            headers={"Accept": ACCEPT},
            auth=auth,
            join=joined,
        )
        if response.status == 404:
            return {"status": 404}
        raise_for_status(response, url)
        page = answered_page(response, url)
    except IndexFetchError as exc:
        return {"error": str(exc)}
    page.url = url  # the cache keeps a page under the URL asked for
    child.cache.store_page(page)
    return {"stored": True, "url": response.url, "sha256": page.sha256}


def job_url(ask: dict[str, Any]) -> tuple[str, tuple[str, str] | None]:
    """A job's URL (without credentials) and the credentials that go with it."""
    auth = ask.get("auth")
    return str(ask["url"]), (str(auth[0]), str(auth[1])) if auth else None


PAGE_JOBS: Mapping[str, Job] = {"page": (fetch_page, 8)}


def answered_page(response: Answer, url: str) -> CachedPage:
    """The project page an answer of status < 400 carries, its URL the one after redirects
    (for resolving relative file URLs); IndexFetchError when it is not a project page."""
    # pip refuses an answer without a Content-Type too; it is also what headers cut short by
    # a dropped connection look like (http.client ends headers at end of file)
    content_type = response.headers.get("Content-Type", "(none)")
    if content_type.split(";")[0].strip().lower() not in PAGE_CONTENT_TYPES:
        # pip refuses these too: an error page or a proxy's answer is not a project page
        raise IndexFetchError(f"{redact_url(url)}: not a project page ({content_type})")
    return CachedPage(
        url=response.url,
        body=response.body,
        content_type=content_type,
        etag=response.headers.get("ETag"),
        last_modified=response.headers.get("Last-Modified"),
        fetched_at=time.time(),
        max_age=max_age(response.headers.get("Cache-Control", "")),
    )


def serve(requests: IO[bytes], answers: IO[bytes], jobs: Mapping[str, Job]) -> None:
    """The child's side: do every job asked for, answering each; {} for a kind not in
    ``jobs``, or a job that failed in a way the parent must see for itself."""
    settings = json.loads(requests.readline())
    retries = int(settings["retries"])
    session = make_session(retries, sum(workers for _, workers in jobs.values()))
    http = Http(session, float(settings["timeout"]), float(settings["deadline"]), retries)
    child = Child(Cache(Path(settings["cache"])), http)
    lock = threading.Lock()
    pools = {
        kind: ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"wf-child-{kind}")
        for kind, (_, workers) in jobs.items()
    }

    def serve_one(ask: dict[str, Any]) -> None:
        answer: dict[str, Any] = {}
        try:
            answer = jobs[ask["kind"]][0](child, ask)
        except Exception:  # the parent does it itself and reports what goes wrong
            answer = {}
        with lock, contextlib.suppress(OSError):  # a parent gone: nobody to answer
            answers.write(json.dumps({"id": ask["id"], **answer}).encode() + b"\n")
            answers.flush()

    for line in requests:
        ask = json.loads(line)
        pool = pools.get(ask.get("kind", ""))
        if pool is None:
            serve_one(ask)  # a kind this program does not know: answered {} at once
        else:
            pool.submit(serve_one, ask)
    # the pipe closed: the parent ended, or needs nothing more; the jobs under way are
    # finished (a write is never cut off), the ones not begun dropped
    for pool in pools.values():
        pool.shutdown(wait=True, cancel_futures=True)


def run(jobs: Mapping[str, Job]) -> None:
    """A child program's main: serve its parent on stdin and stdout."""
    with contextlib.suppress(OSError, ValueError, KeyboardInterrupt):  # the parent went away
        serve(sys.stdin.buffer, sys.stdout.buffer, jobs)


if __name__ == "__main__":
    run(PAGE_JOBS)
