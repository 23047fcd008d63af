"""The HTTP layer stays bounded whatever the server does: a total deadline per request,
capped Retry-After, bounded decompression, headers cut short read as an unreadable index,
Ctrl-C ends the run at once, and shared cache entries are never torn."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
import tracemalloc
import zipfile
from pathlib import Path

import pytest
import requests
from indexserver import IndexServer, gzip_bomb
from packaging.utils import canonicalize_name
from requests.structures import CaseInsensitiveDict
from test_analyze import pkg, sdist, wheel

from wheelfit import Settings, Status, analyze, target_from_image
from wheelfit.cli import main
from wheelfit.errors import IndexFetchError
from wheelfit.index import client as client_module
from wheelfit.index import http
from wheelfit.index.cache import Cache
from wheelfit.index.client import IndexClient
from wheelfit.index.rangezip import read_member
from wheelfit.index.simple import make_dist_file
from wheelfit.models import Report, TargetReport
from wheelfit.report import stored

SLIM = "python:3.12-slim-bookworm"


@pytest.fixture
def server(fresh_server: IndexServer) -> IndexServer:
    fresh_server.add_project("first", [wheel("first", "1.0", requires=["second"])])
    fresh_server.add_project("second", [wheel("second", "2.0")])
    fresh_server.add_project("built", [sdist("built", "1.0")])
    return fresh_server


def analyse(server: IndexServer, tmp_path: Path, prefix: str, **client: object) -> Report:
    req = tmp_path / "requirements.txt"
    req.write_text("first\n")
    index = f"{server.url}{prefix}/simple/"
    settings = Settings(index_url=index, cache_dir=tmp_path / "cache")
    with IndexClient([index], cache=Cache(tmp_path / "cache"), **client) as own:  # type: ignore[arg-type]
        return analyze([str(req)], [target_from_image(SLIM)], settings, client=own)


def unreadable(target: TargetReport, says: str) -> None:
    first = pkg(target, "first")
    assert first.status is Status.UNAVAILABLE
    assert "could not be read" in first.reason and says in first.reason, first.reason
    assert not target.complete and "first" in target.fetch_errors


def requests_to(server: IndexServer, fragment: str) -> int:
    return sum(1 for _, path, _ in server.requests if fragment in path)


@pytest.mark.parametrize("prefix", ["/drip/2", "/driphead/2"])
def test_a_dripping_page_is_cut_off_at_the_deadline(
    server: IndexServer, tmp_path: Path, prefix: str
) -> None:
    # each byte comes within the per-read timeout: only the total deadline ends it
    report = analyse(server, tmp_path, prefix, timeout=5.0, deadline=1.5)
    unreadable(report.targets[0], "timed out")
    assert requests_to(server, "/simple/first/") == 1  # a request past its deadline is not retried


@pytest.mark.parametrize("kind", ["range", "pep658", "sdist"])
def test_a_dripping_file_is_cut_off_at_the_deadline(
    server: IndexServer, tmp_path: Path, kind: str
) -> None:
    prefix = "/pep658/dripfile/2" if kind == "pep658" else "/dripfile/2"
    index = f"{server.url}{prefix}/simple/"
    with IndexClient([index], cache=Cache(None), timeout=5.0, deadline=1.5) as client:
        project = "built" if kind == "sdist" else "first"
        dist = client.get_project(project).files[0]
        assert dist.has_metadata_file is (kind == "pep658")
        with pytest.raises(IndexFetchError, match="timed out"):
            if kind == "sdist":
                client.download(dist)
            else:
                client.get_wheel_metadata(dist)


def test_retry_after_is_capped(
    server: IndexServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(http, "MAX_RETRY_AFTER", 0.2)
    # an hour asked twice: waited 0.2 s each time, then the answer is used
    report = analyse(server, tmp_path, "/retryafter/2:3600")
    assert pkg(report.targets[0], "first").status is Status.WHEEL
    assert requests_to(server, "/simple/first/") == 3
    server.requests.clear()
    # asked on every try: the retries are bounded, then the row says why
    (tmp_path / "again").mkdir()
    report = analyse(server, tmp_path / "again", "/retryafter/99:3600", retries=2)
    unreadable(report.targets[0], "HTTP 429")
    assert requests_to(server, "/simple/first/") == 3


@pytest.mark.parametrize("prefix", ["/cutheaders", "/resetheaders"])
def test_headers_cut_short_mean_an_unreadable_index(
    server: IndexServer, tmp_path: Path, prefix: str, capsys: pytest.CaptureFixture[str]
) -> None:
    report = analyse(server, tmp_path, prefix, retries=1)
    unreadable(report.targets[0], "")
    assert "not found" not in pkg(report.targets[0], "first").reason
    req = tmp_path / "requirements.txt"
    code = main([str(req), "--index-url", f"{server.url}{prefix}/simple/", "--image", SLIM,
                 "--cache-dir", str(tmp_path / "cli-cache"), "--format", "json"])  # fmt: skip
    assert code == 2
    assert "the index could not be read" in capsys.readouterr().err


def test_a_compressed_bomb_is_refused_within_the_size_limit(
    server: IndexServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(client_module, "MAX_PAGE_BYTES", 4 * 1024 * 1024)
    # the pages fetched here, not by the child process, which keeps the full limit
    monkeypatch.setenv("WHEELFIT_PAGE_PROCESS", "0")
    # the server's bomb is made before counting: the peak below is the client's alone
    gzip_bomb()
    tracemalloc.start()
    try:
        # 256 MiB of gzipped zeros (~256 KB on the wire) as the page
        report = analyse(server, tmp_path, "/gzipbomb")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    unreadable(report.targets[0], "larger than 4194304 bytes")
    assert peak < 40 * 1024 * 1024, peak  # decoding whole would take 256 MiB


def test_a_compressed_bomb_as_pep658_metadata_is_refused(server: IndexServer) -> None:
    filename = "first-1.0-py3-none-any.whl"
    url = server.file_url(filename, "/gzipbomb/pep658")
    dist = make_dist_file(filename, url, canonicalize_name("first"), metadata=True)
    assert dist is not None
    client = IndexClient([f"{server.url}/simple/"], cache=Cache(None))
    with client, pytest.raises(IndexFetchError, match="larger than"):
        client.get_wheel_metadata(dist)


def test_honest_deflate_is_decoded(server: IndexServer, tmp_path: Path) -> None:
    report = analyse(server, tmp_path, "/deflate")
    assert pkg(report.targets[0], "first").status is Status.WHEEL
    assert pkg(report.targets[0], "second").version == "2.0"


def test_a_zip_member_larger_than_it_says_is_refused_in_bounded_memory() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("x-1.0.dist-info/METADATA", bytes(64 * 1024 * 1024))
    data = bytearray(buffer.getvalue())
    # the declared (uncompressed) size, in the local header and the central directory: 61
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = data.index(signature)
        data[at + offset : at + offset + 4] = (61).to_bytes(4, "little")
    archive = zipfile.ZipFile(io.BytesIO(bytes(data)))
    info = archive.getinfo("x-1.0.dist-info/METADATA")
    assert info.file_size == 61
    tracemalloc.start()
    try:
        with pytest.raises(zipfile.BadZipFile):
            read_member(archive, info)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 1024 * 1024, peak  # ZipFile.read would inflate all 64 MiB first


def test_concurrent_writers_never_tear_an_entry(tmp_path: Path) -> None:
    cache = Cache(tmp_path)

    def payload(number: int, round_: int) -> bytes:
        return f"writer {number} round {round_} ".encode() * 200

    def write_many(number: int) -> None:
        for round_ in range(150):
            cache.store_blob("reports", "one-key", payload(number, round_))

    cache.store_blob("reports", "one-key", payload(0, 0))
    writers = [threading.Thread(target=write_many, args=(n,)) for n in range(8)]
    for writer in writers:
        writer.start()
    reads = 0
    while any(w.is_alive() for w in writers) or reads < 10:
        data = cache.load_blob("reports", "one-key")
        # once written, an entry is always whole: never absent, never two writers mixed
        # (data and checksum in two files let a reader, or the final state, pair them wrong)
        assert data is not None
        assert data.startswith(b"writer ") and len(set(data.split(b"writer ")[1:])) == 1
        reads += 1
    for writer in writers:
        writer.join()
    assert cache.load_blob("reports", "one-key") is not None
    assert not list(tmp_path.rglob(".tmp-*"))


def test_a_stored_report_does_not_depend_on_the_order_pages_were_read(tmp_path: Path) -> None:
    report = TargetReport(target=target_from_image(SLIM), packages=[])
    pages = {f"https://example.org/simple/p{i}/": f"{i:064x}" for i in range(20)}
    one, two = Cache(tmp_path / "one"), Cache(tmp_path / "two")
    stored.store(one, "key", report, pages)
    stored.store(two, "key", report, dict(reversed(pages.items())))
    assert one.load_blob("reports", "key") == two.load_blob("reports", "key")
    document = json.loads(one.load_blob("reports", "key") or b"")
    assert list(document["pages"]) == sorted(pages)


def test_ctrl_c_stops_at_once_without_a_traceback(server: IndexServer, tmp_path: Path) -> None:
    req = tmp_path / "requirements.txt"
    req.write_text("first\nsecond\nbuilt\n")
    # every request would take 30 s; the run would last minutes with its retries
    args = [sys.executable, "-m", "wheelfit", str(req), "--index-url",
            f"{server.url}/slow/30/simple/", "--cache-dir", str(tmp_path / "cache")]  # fmt: skip
    env = {**os.environ, "NO_COLOR": "1"}
    process = subprocess.Popen(args, stderr=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
    try:
        for _ in range(300):  # until the first request is on its way
            if server.requests:
                break
            time.sleep(0.05)
        assert server.requests, "the run never reached the index"
        process.send_signal(signal.SIGINT)
        # 20 s is far below what the queued work would take (30 s a request, with retries)
        _, err = process.communicate(timeout=20)
    finally:
        process.kill()
    assert process.returncode == 130
    text = err.decode()
    assert "Traceback" not in text and "interrupted" in text


def test_https_goes_through_the_same_guarded_connections(server: IndexServer) -> None:
    # the test index speaks plain HTTP: a TLS handshake with it fails, and must fail as an
    # unreadable index (the guarded HTTPS connection class once broke every HTTPS request)
    client = IndexClient([f"https://127.0.0.1:{server.port}/simple/"], retries=0)
    with client, pytest.raises(IndexFetchError, match=r"https://127\.0\.0\.1"):
        client.get_project("first")


PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


@pytest.mark.parametrize("bypassed", [False, True])
def test_proxies_from_the_environment_are_used_as_requests_uses_them(
    server: IndexServer, monkeypatch: pytest.MonkeyPatch, bypassed: bool
) -> None:
    """What the environment says about proxies is read once per host (not per request),
    and still applies: through a proxy that refuses connections, the index is unreadable,
    unless no_proxy names its host."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")  # the discard port: refused
    if bypassed:
        monkeypatch.setenv("no_proxy", "127.0.0.1")
    client = IndexClient([f"{server.url}/simple/"], cache=Cache(None), retries=0)
    with client:
        if bypassed:
            assert client.get_project("first").files
        else:
            with pytest.raises(IndexFetchError):
                client.get_project("first")
    assert requests_to(server, "/simple/first/") == (1 if bypassed else 0)


def test_the_environment_is_read_once_per_host(
    server: IndexServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    read: list[str] = []
    original = requests.Session.merge_environment_settings

    def counted(self: requests.Session, url: str, *args: object) -> object:
        read.append(url)
        return original(self, url, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(requests.Session, "merge_environment_settings", counted)
    with IndexClient([f"{server.url}/simple/"], cache=Cache(None)) as client:
        for name in ("first", "second", "built"):
            client.get_project(name)
        wheel_file = next(f for f in client.get_project("second").files if f.is_wheel)
        assert b"Name: second" in client.get_wheel_metadata(wheel_file)
    served = [path for _, path, _ in server.requests]
    assert len(served) >= 4, served
    assert read == [f"{server.url}/simple/first/"], read  # one host: read once


def test_a_file_size_asked_with_head_is_not_held_to_a_body_limit(server: IndexServer) -> None:
    # indexes that give no size (HTML pages) have it asked with HEAD before range reads
    filename = "first-1.0-py3-none-any.whl"
    with IndexClient([f"{server.url}/simple/"], cache=Cache(None)) as client:
        assert client._content_length(server.file_url(filename)) == len(server.file_bytes(filename))


def test_closing_the_client_ends_a_wait_between_tries(server: IndexServer) -> None:
    # every try answers 429 asking for an hour: urllib3 waits MAX_RETRY_AFTER (5 s) between
    # tries, and abort() must cut that wait short, not let it run out three times
    waiting = http.Http(http.make_session(3, 1), timeout=5.0, deadline=60.0, retries=3)
    stopper = threading.Timer(0.3, waiting.abort)
    stopper.start()
    started = time.monotonic()
    with pytest.raises(IndexFetchError, match="stopped"):
        http.fetch_or_fail(waiting, "GET", f"{server.url}/retryafter/99:3600/simple/first/", 1000)
    stopper.join()
    assert time.monotonic() - started < http.MAX_RETRY_AFTER  # woken within the first wait
    assert requests_to(server, "/simple/first/") == 1


def test_a_compressed_bomb_in_a_redirect_is_not_inflated(server: IndexServer) -> None:
    # /simple answers 301 to /simple/; both bodies are the bomb here
    with IndexClient([f"{server.url}/simple/"], cache=Cache(None)) as client:
        tracemalloc.start()
        try:
            with pytest.raises(http.ResponseTooLarge):
                client.http.fetch("GET", f"{server.url}/gzipbomb/simple", limit=1 << 20)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert any(p == "/gzipbomb/simple/" for _, p, _ in server.requests)  # it was followed
    assert peak < 40 * 1024 * 1024, peak  # requests alone inflates the redirect's 256 MiB


class _CountingRaw:
    """A response's raw stream that counts what is read of it."""

    def __init__(self, data: bytes) -> None:
        self.data = io.BytesIO(data)
        self.read_bytes = 0

    def read(self, size: int, decode_content: bool = False) -> bytes:
        chunk = self.data.read(size)
        self.read_bytes += len(chunk)
        return chunk


class _CountingDecoder:
    """The gzip decoder _body uses, counting every byte it inflates."""

    def __init__(self, encoding: str) -> None:
        self.inner = http_decoder(encoding)
        self.inflated = 0

    @property
    def unconsumed_tail(self) -> bytes:
        return bytes(self.inner.unconsumed_tail)

    def decompress(self, data: bytes, max_length: int = 0) -> bytes:
        out = bytes(self.inner.decompress(data, max_length))
        self.inflated += len(out)
        return out

    def flush(self) -> bytes:
        out = bytes(self.inner.flush())
        self.inflated += len(out)
        return out


http_decoder = http._decoder


def test_a_gzip_bomb_is_inflated_no_further_than_the_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    decoders: list[_CountingDecoder] = []

    def counting(encoding: str) -> _CountingDecoder:
        decoders.append(_CountingDecoder(encoding))
        return decoders[-1]

    monkeypatch.setattr(http, "_decoder", counting)
    response = requests.Response()
    response.headers = CaseInsensitiveDict({"Content-Encoding": "gzip"})
    raw = _CountingRaw(gzip_bomb())  # 256 MiB of zeros, about 256 KB
    response.raw = raw
    limit = 1 << 20
    guard = http._Guard(float("inf"), threading.Event())
    with pytest.raises(http.ResponseTooLarge):
        for _ in http._body(response, limit, guard):
            pass
    # of the 256 MiB the bomb holds, the limit and one byte (to notice going over) were
    # inflated, from one chunk read off the wire
    assert decoders[0].inflated == limit + 1
    assert raw.read_bytes <= http.CHUNK
