"""HTTP for the index client, bounded in time and in size whatever the server does.

requests and urllib3 do the protocol; this module adds what they leave open:

* a total deadline per request. urllib3's timeout is per socket read, so a server sending a
  byte every few seconds (in the headers or the body) would never time out. A watchdog
  thread shuts down the socket of a request that outlives its deadline; the request then
  fails as "timed out" and is not retried;
* Retry-After capped (a 429 asking for an hour waits a few seconds, then counts as a try);
* bodies read in chunks against a size limit, and gzip/deflate decoded incrementally with
  a bound on the output, so a small compressed answer cannot inflate into gigabytes;
* ``abort()``: every request in flight or waiting to retry fails at once (Ctrl-C).
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import socket
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ReadTimeoutError
from urllib3.util.retry import Retry

from ..errors import IndexFetchError, redact_url
from .bigbytes import Bytes
from .tls import share_verifying_context, tls_failure

USER_AGENT = "wheelfit/0.1 (+https://pypi.org/project/wheelfit/)"
MAX_RETRY_AFTER = 5.0  # seconds; a longer Retry-After is waited this long, then retried
# seconds a socket read may wait for the next byte (pip's default too): a slow index still
# starts answering well within it, a stalled one is given up after READ_RETRIES + 1 of them
DEFAULT_TIMEOUT = 15.0
READ_RETRIES = 1  # a read that timed out or broke is tried once more, not ``retries`` times
# the longest a request to a server that accepts and then never answers can take: every try
# waits one read timeout, and urllib3 retries the first read error without a backoff
STALL_BOUND = (READ_RETRIES + 1) * DEFAULT_TIMEOUT
CHUNK = 256 * 1024


class RequestAborted(Exception):
    """The request outlived its deadline, or the client was closed (not an OSError on
    purpose: urllib3 retries those)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ResponseTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"the answer is larger than {limit} bytes")
        self.limit = limit


class _Guard:
    """One request's deadline and the socket to shut down when it passes."""

    __slots__ = ("aborted", "done", "expires", "lock", "sock", "stopped")

    def __init__(self, expires: float, stopped: threading.Event) -> None:
        self.expires = expires
        self.stopped = stopped
        self.sock: socket.socket | None = None
        self.aborted: str | None = None  # why, once aborted
        self.done = False
        self.lock = threading.Lock()

    def attach(self, sock: socket.socket | None) -> None:
        with self.lock:
            self.sock = sock
            reason = self.aborted
        if reason is not None:
            raise RequestAborted(reason)

    def abort(self, reason: str) -> None:
        with self.lock:
            if self.done or self.aborted is not None:
                return
            self.aborted = reason
            sock = self.sock
        if sock is not None:
            # the plain socket's shutdown: a blocked TLS read then sees the end of the stream
            with contextlib.suppress(OSError):
                socket.socket.shutdown(sock, socket.SHUT_RDWR)

    def check(self) -> None:
        if self.aborted is None and self.stopped.is_set():
            self.abort("stopped")
        if self.aborted is not None:
            raise RequestAborted(self.aborted)

    def wait(self, seconds: float) -> None:
        """Sleep between tries, cut short by abort() or the deadline."""
        self.stopped.wait(max(0.0, min(seconds, self.expires - time.monotonic())))
        self.check()

    def finish(self) -> None:
        with self.lock:
            self.done = True
            self.sock = None


class _Watchdog:
    """One daemon thread aborting the guards whose deadline has passed."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, _Guard]] = []
        self._counter = itertools.count()
        self._condition = threading.Condition()
        self._thread: threading.Thread | None = None

    def watch(self, guard: _Guard) -> None:
        with self._condition:
            heapq.heappush(self._heap, (guard.expires, next(self._counter), guard))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="wf-deadline", daemon=True)
                self._thread.start()
            if self._heap[0][2] is guard:
                self._condition.notify()

    def _run(self) -> None:
        while True:
            with self._condition:
                while self._heap and self._heap[0][2].done:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._condition.wait()
                    continue
                expires, _, guard = self._heap[0]
                delay = expires - time.monotonic()
                if delay > 0:
                    self._condition.wait(min(delay, 1.0))
                    continue
                heapq.heappop(self._heap)
            guard.abort("timed out")


_watchdog = _Watchdog()
_current = threading.local()  # the guard of the request this thread is making


def _current_guard() -> _Guard | None:
    return getattr(_current, "guard", None)


class _Guarded:
    """Mixed into urllib3's connection classes: a request checks its guard before sending,
    and hands its socket to the guard before waiting for the answer."""

    sock: socket.socket | None

    def request(self, *args: Any, **kwargs: Any) -> None:
        guard = _current_guard()
        if guard is not None:
            guard.check()
        super().request(*args, **kwargs)  # type: ignore[misc]

    def getresponse(self) -> Any:
        guard = _current_guard()
        if guard is not None:
            guard.attach(self.sock)  # from here on, the watchdog can cut this socket
        return super().getresponse()  # type: ignore[misc]


class _GuardedHTTPConnection(_Guarded, HTTPConnection):
    pass


class _GuardedHTTPSConnection(_Guarded, HTTPSConnection):
    def connect(self) -> None:
        share_verifying_context(self)
        super().connect()


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class _GuardedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}


class _BoundedRetry(Retry):
    """urllib3's retries, with Retry-After capped and no try after a deadline or abort."""

    def get_retry_after(self, response: Any) -> float | None:
        seconds = super().get_retry_after(response)
        return None if seconds is None else min(seconds, MAX_RETRY_AFTER)

    def increment(self, *args: Any, **kwargs: Any) -> _BoundedRetry:
        guard = _current_guard()
        if guard is not None:
            guard.check()
        return super().increment(*args, **kwargs)

    def sleep(self, response: Any = None) -> None:
        seconds = None
        if self.respect_retry_after_header and response is not None:
            seconds = self.get_retry_after(response)
        if seconds is None:
            seconds = self.get_backoff_time()
        guard = _current_guard()
        if guard is None:
            time.sleep(seconds)
        else:
            guard.wait(seconds)


class _Session(requests.Session):
    """requests' Session, reading the environment (proxies, CA bundle) once per origin.

    requests looks for proxies in os.environ on every request (twice: the proxies, then
    no_proxy): 0.2-0.4 ms of CPU a request to the index here, under the GIL, and a cold awx
    run makes 380 requests. The environment of a run does not change between its requests;
    what requests makes of it is kept per scheme and host, as it answers it.
    """

    def __init__(self) -> None:
        super().__init__()
        self._environment: dict[tuple[object, ...], dict[str, Any]] = {}

    def merge_environment_settings(
        self, url: str, proxies: Any, stream: Any, verify: Any, cert: Any
    ) -> dict[str, Any]:
        if proxies:  # given for this request: not one of the answers kept
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        parts = urlsplit(url)
        key = (parts.scheme, parts.netloc, stream, verify, cert)
        known = self._environment.get(key)
        if known is None:
            known = super().merge_environment_settings(url, proxies, stream, verify, cert)
            self._environment[key] = known
        return {**known, "proxies": dict(known["proxies"])}  # a copy: requests may add to it


def make_session(retries: int, pool_size: int) -> requests.Session:
    session = _Session()
    retry = _BoundedRetry(
        total=retries,
        read=min(retries, READ_RETRIES),
        backoff_factor=0.5,
        status_forcelist=(429, 500, 502, 503, 504),
        allowed_methods=frozenset({"GET", "HEAD"}),
        raise_on_status=False,
    )
    # one keep-alive pool per host, as large as the worker pool, so no thread opens and
    # closes connections beyond the pool's size
    adapter = _GuardedAdapter(max_retries=retry, pool_connections=8, pool_maxsize=pool_size)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.hooks["response"].append(_drop_redirect_body)
    session.headers["User-Agent"] = USER_AGENT
    # only what this module can decode with a bound (requests would add br/zstd when the
    # modules happen to be installed)
    session.headers["Accept-Encoding"] = "gzip, deflate"
    return session


def _drop_redirect_body(response: requests.Response, *args: Any, **kwargs: Any) -> None:
    """requests reads a redirect's body whole, and decoded, before following it: a small
    gzip answer could inflate to gigabytes there. The body of a redirect is never used, so
    at most 64 KB of it is read, undecoded, and it counts as empty."""
    if response.is_redirect:
        with contextlib.suppress(Exception):
            response.raw.read(64 * 1024, decode_content=False)
        response._content = b""


class Answer:
    """A response whose body was read whole, within the limits."""

    __slots__ = ("body", "headers", "reason", "status", "url")

    def __init__(self, response: requests.Response, body: Bytes) -> None:
        self.status = response.status_code
        self.reason = response.reason
        self.headers = response.headers
        self.url = response.url
        self.body = body

    @property
    def data(self) -> bytes:
        """The body as bytes (a body joined into its own mapping is copied out)."""
        return bytes(self.body)  # bytes of bytes is the object itself, no copy


class Http:
    """Requests under a total deadline each; ``abort()`` ends every one at once."""

    def __init__(
        self, session: requests.Session, timeout: float, deadline: float, retries: int = 0
    ) -> None:
        self.session = session
        self.timeout = timeout
        self.deadline = deadline
        self.retries = retries  # tries again after a body cut short, within the one deadline
        self._stopped = threading.Event()

    @property
    def aborted(self) -> bool:
        return self._stopped.is_set()

    def abort(self) -> None:
        self._stopped.set()
        with _watchdog._condition:
            guards = [guard for _, _, guard in _watchdog._heap]
        for guard in guards:
            if guard.stopped is self._stopped:
                guard.abort("stopped")

    def _guard(self) -> _Guard:
        guard = _Guard(time.monotonic() + self.deadline, self._stopped)
        guard.check()
        _watchdog.watch(guard)
        return guard

    def fetch(
        self,
        method: str,
        url: str,
        *,
        limit: int,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        join: Callable[[Iterator[bytes]], Bytes] = b"".join,
    ) -> Answer:
        """The response with its whole body (decoded), at most ``limit`` bytes of it;
        ``join`` makes the body of its chunks (bigbytes.joined: a large one kept out of
        malloc's heaps).

        urllib3 retries connects, statuses and a read error before the headers; a body cut
        short is tried again here, ``retries`` times. Every try counts toward the one
        deadline. Raises RequestAborted, ResponseTooLarge, requests.RequestException and the
        decoders' zlib.error.
        """
        guard = self._guard()
        _current.guard = guard
        try:
            for attempt in itertools.count():
                try:
                    response = self._send(method, url, headers, auth)
                    try:
                        # a HEAD answer's Content-Length is the file's, not a body's
                        body = b"" if method == "HEAD" else join(_body(response, limit, guard))
                    finally:
                        response.close()
                    guard.check()
                    return Answer(response, body)
                except requests.exceptions.ChunkedEncodingError:
                    guard.check()
                    if attempt >= self.retries:
                        raise
                    guard.wait(0.5 * 2**attempt)
            raise AssertionError("unreachable")
        except requests.RequestException:
            guard.check()  # a socket cut by the watchdog reads as a broken connection
            raise
        finally:
            guard.finish()
            _current.guard = None

    def stream(
        self,
        url: str,
        *,
        limit: int,
        auth: tuple[str, str] | None = None,
    ) -> Iterator[bytes]:
        """A GET's body in decoded chunks, at most ``limit`` bytes; raises for status >= 400
        with ``requests.HTTPError``."""
        guard = self._guard()
        _current.guard = guard
        try:
            response = self._send("GET", url, None, auth)
            try:
                if response.status_code >= 400:
                    raise requests.HTTPError(
                        f"HTTP {response.status_code} {response.reason}", response=response
                    )
                _current.guard = None  # the caller may run other requests between chunks
                yield from _body(response, limit, guard)
            finally:
                response.close()
            guard.check()
        except requests.RequestException:
            guard.check()
            raise
        finally:
            guard.finish()
            _current.guard = None

    def _send(
        self,
        method: str,
        url: str,
        headers: dict[str, str] | None,
        auth: tuple[str, str] | None,
    ) -> requests.Response:
        return self.session.request(
            method, url, headers=headers, auth=auth, timeout=self.timeout, stream=True
        )


def _body(response: requests.Response, limit: int, guard: _Guard) -> Iterator[bytes]:
    """The body in chunks, decoded, refusing to go beyond ``limit`` decoded bytes."""
    length = response.headers.get("Content-Length", "")
    if length.isdigit() and int(length) > limit:
        raise ResponseTooLarge(limit)
    decoder = _decoder(response.headers.get("Content-Encoding", ""))
    total = 0
    raw = response.raw
    while True:
        guard.check()
        try:
            chunk = raw.read(CHUNK, decode_content=False)
        except ReadTimeoutError:  # the server stopped sending: not tried again
            guard.check()
            raise requests.exceptions.ReadTimeout("timed out") from None
        except Exception as exc:  # urllib3's errors, as requests would name them
            guard.check()
            raise requests.exceptions.ChunkedEncodingError(str(exc)) from None
        if not chunk:
            break
        if decoder is None:
            total += len(chunk)
            if total > limit:
                raise ResponseTooLarge(limit)
            yield chunk
            continue
        while chunk:
            # at most what the limit leaves (+1 to notice going over), and a chunk at a time
            # (bigbytes.py: no large block to free); the rest waits in unconsumed_tail
            out = decoder.decompress(chunk, min(CHUNK, limit - total + 1))
            total += len(out)
            if total > limit:
                raise ResponseTooLarge(limit)
            if out:
                yield out
            chunk = decoder.unconsumed_tail
    if decoder is not None:
        rest = decoder.flush()
        total += len(rest)
        if total > limit:
            raise ResponseTooLarge(limit)
        if rest:
            yield rest


class _DeflateDecoder:
    """'deflate' is zlib-wrapped by the standard, raw deflate by some servers: try both."""

    def __init__(self) -> None:
        self._obj = zlib.decompressobj()
        self._first = True

    @property
    def unconsumed_tail(self) -> bytes:
        return self._obj.unconsumed_tail

    def decompress(self, data: bytes, max_length: int) -> bytes:
        if self._first:
            self._first = False
            try:
                return self._obj.decompress(data, max_length)
            except zlib.error:
                self._obj = zlib.decompressobj(-zlib.MAX_WBITS)
        return self._obj.decompress(data, max_length)

    def flush(self) -> bytes:
        return self._obj.flush()


def _decoder(encoding: str) -> Any:
    value = encoding.strip().lower()
    if value in ("", "identity"):
        return None
    if value in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if value == "deflate":
        return _DeflateDecoder()
    raise requests.exceptions.ContentDecodingError(f"unsupported Content-Encoding {encoding!r}")


def failure_reason(exc: Exception, deadline: float) -> str:
    """A failed request's reason, in words: what the error rows of a report say."""
    if isinstance(exc, RequestAborted):
        if exc.reason == "stopped":
            return "stopped"
        return f"timed out (no complete answer within {deadline:g} s)"
    if isinstance(exc, (zlib.error, requests.exceptions.ContentDecodingError)):
        return "the answer's compression is invalid or unsupported"
    # urllib3 wraps a read timeout in MaxRetryError, which requests turns into ConnectionError
    if isinstance(exc, requests.Timeout) or "timed out" in str(exc).lower():
        return "timed out"
    if isinstance(exc, requests.exceptions.SSLError):
        return tls_failure(exc)
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return "the connection broke before the whole answer arrived"
    if isinstance(exc, requests.ConnectionError):
        return "cannot connect"
    return type(exc).__name__


def fetch_or_fail(http: Http, method: str, url: str, limit: int, **options: Any) -> Answer:
    """``http.fetch``, its failures raised as IndexFetchError in the words a report uses."""
    try:
        return http.fetch(method, url, limit=limit, **options)
    except ResponseTooLarge as exc:
        raise IndexFetchError(f"{redact_url(url)}: {exc}") from None
    except (requests.RequestException, RequestAborted, zlib.error) as exc:
        # exception texts can quote the URL: never let credentials through
        raise IndexFetchError(f"{redact_url(url)}: {failure_reason(exc, http.deadline)}") from None


def raise_for_status(response: Answer, url: str) -> None:
    if response.status >= 400:
        raise IndexFetchError(f"{redact_url(url)}: HTTP {response.status} {response.reason}")
