"""HTTPS: the connections of a process share one context holding the CA file, and still
refuse what urllib3's own contexts refuse (an unknown authority, another host's name), in
words a report can show."""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import trustme

from wheelfit.errors import IndexFetchError
from wheelfit.index import http, tls

LIMIT = 1 << 20


_PORTS: dict[str, set[int]] = {}  # a server's URL: the client ports it saw


_ALPN: dict[str, list[str | None]] = {}  # a server's URL: the protocol each connection chose


class _Handler(BaseHTTPRequestHandler):
    def setup(self) -> None:
        super().setup()
        _ALPN[self.server.url].append(self.request.selected_alpn_protocol())  # type: ignore[attr-defined]

    def do_GET(self) -> None:
        _PORTS[self.server.url].add(self.client_address[1])  # type: ignore[attr-defined]
        time.sleep(0.2)  # the requests overlap: each needs a connection of its own
        body = b"hello"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def https_server() -> Iterator[Callable[[trustme.CA, str], str]]:
    """Starts HTTPS servers on 127.0.0.1 with a certificate for ``name`` from ``ca``."""
    servers: list[ThreadingHTTPServer] = []

    def start(ca: trustme.CA, name: str) -> str:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.set_alpn_protocols(["h2", "http/1.1"])
        ca.issue_cert(name).configure_cert(context)
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        server.url = f"https://127.0.0.1:{server.server_address[1]}/"  # type: ignore[attr-defined]
        _PORTS[server.url] = set()  # type: ignore[attr-defined]
        _ALPN[server.url] = []  # type: ignore[attr-defined]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server.url  # type: ignore[attr-defined, no-any-return]

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def ca_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[trustme.CA, Path]:
    """A certificate authority the client trusts (as a user's REQUESTS_CA_BUNDLE)."""
    ca = trustme.CA()
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(path))
    monkeypatch.setattr(tls, "_contexts", {})
    return ca, path


def _client() -> http.Http:
    return http.Http(http.make_session(retries=0, pool_size=8), timeout=5, deadline=10)


def test_connections_load_the_ca_file_once(
    https_server: Callable[[trustme.CA, str], str],
    ca_file: tuple[trustme.CA, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ca, path = ca_file
    url = https_server(ca, "127.0.0.1")
    loaded: list[object] = []
    load = ssl.SSLContext.load_verify_locations

    def counted(self: ssl.SSLContext, *args: Any, **kwargs: Any) -> None:
        loaded.append(kwargs.get("cafile", args[0] if args else None))
        load(self, *args, **kwargs)

    monkeypatch.setattr(ssl.SSLContext, "load_verify_locations", counted)
    client = _client()
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda n: http.fetch_or_fail(client, "GET", url, LIMIT), range(4)))
    assert [answer.data for answer in answers] == [b"hello"] * 4
    assert loaded == [str(path)]  # four handshakes, one loading of the CA file
    # a second session of the process takes the same context
    assert http.fetch_or_fail(_client(), "GET", url, LIMIT).data == b"hello"
    assert loaded == [str(path)]


def test_overlapping_requests_share_the_context_over_their_own_connections(
    https_server: Callable[[trustme.CA, str], str], ca_file: tuple[trustme.CA, Path]
) -> None:
    """The case the sharing is for: four handshakes at once, one context."""
    ca, _ = ca_file
    url = https_server(ca, "127.0.0.1")
    client = _client()
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda n: http.fetch_or_fail(client, "GET", url, LIMIT), range(4)))
    assert len(_PORTS[url]) == 4
    assert len(tls._contexts) == 1


def test_the_shared_context_offers_http_1_1_and_is_not_reconfigured_per_handshake(
    https_server: Callable[[trustme.CA, str], str],
    ca_file: tuple[trustme.CA, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """urllib3 sets the ALPN list before each handshake; on a context in use by other
    connections, OpenSSL's replacing it races their SSL_new: it reaches OpenSSL once."""
    ca, _ = ca_file
    url = https_server(ca, "127.0.0.1")
    reached: list[bytes] = []
    set_in_openssl = ssl.SSLContext._set_alpn_protocols  # type: ignore[attr-defined]

    def counted(self: ssl.SSLContext, protocols: bytes) -> None:
        reached.append(bytes(protocols))
        set_in_openssl(self, protocols)

    monkeypatch.setattr(ssl.SSLContext, "_set_alpn_protocols", counted, raising=False)
    client = _client()
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda n: http.fetch_or_fail(client, "GET", url, LIMIT), range(4)))
    assert reached == [b"\x08http/1.1"]  # when the context was made, not at each handshake
    assert _ALPN[url] == ["http/1.1"] * 4  # and every connection still offered it


def test_an_unknown_authority_is_refused_after_a_trusted_one(
    https_server: Callable[[trustme.CA, str], str], ca_file: tuple[trustme.CA, Path]
) -> None:
    ca, _ = ca_file
    trusted = https_server(ca, "127.0.0.1")
    stranger = https_server(trustme.CA(), "127.0.0.1")
    client = _client()
    assert http.fetch_or_fail(client, "GET", trusted, LIMIT).data == b"hello"
    with pytest.raises(IndexFetchError) as refused:
        http.fetch_or_fail(client, "GET", stranger, LIMIT)
    assert "the server's TLS certificate is not trusted" in str(refused.value)
    assert "unable to get local issuer certificate" in str(refused.value)
    assert "REQUESTS_CA_BUNDLE" in str(refused.value)


def test_a_certificate_for_another_host_is_refused(
    https_server: Callable[[trustme.CA, str], str], ca_file: tuple[trustme.CA, Path]
) -> None:
    ca, _ = ca_file
    client = _client()
    assert http.fetch_or_fail(client, "GET", https_server(ca, "127.0.0.1"), LIMIT).data
    elsewhere = https_server(ca, "index.example.org")
    with pytest.raises(IndexFetchError) as refused:
        http.fetch_or_fail(client, "GET", elsewhere, LIMIT)
    assert "not trusted (IP address mismatch" in str(refused.value)
    assert "REQUESTS_CA_BUNDLE" not in str(refused.value)  # not a matter of authorities


def test_a_ca_file_that_does_not_load_fails_in_urllib3s_words(
    https_server: Callable[[trustme.CA, str], str],
    ca_file: tuple[trustme.CA, Path],
) -> None:
    ca, path = ca_file
    url = https_server(ca, "127.0.0.1")
    path.write_text("not a certificate\n")
    with pytest.raises(IndexFetchError) as refused:
        http.fetch_or_fail(_client(), "GET", url, LIMIT)
    assert "TLS failed (NO_CERTIFICATE_OR_CRL_FOUND)" in str(refused.value)
    assert tls._contexts == {}
