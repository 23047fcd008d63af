"""TLS for the index client's connections: one verifying context per CA file, and a refused
certificate in words a report can show."""

from __future__ import annotations

import ssl
import threading
from collections.abc import Iterable

import requests
from urllib3.connection import HTTPSConnection
from urllib3.util.ssl_ import ALPN_PROTOCOLS, create_urllib3_context, resolve_cert_reqs

# one TLS context per CA file, for the connections that verify against it alone
_contexts: dict[str, ssl.SSLContext] = {}
_contexts_lock = threading.Lock()


class _SharedContext(ssl.SSLContext):
    """A context that connections use at once, its ALPN list set once.

    urllib3 sets the ALPN protocols on the context before every handshake. OpenSSL replaces
    the list in place then, while another thread's SSL_new, which CPython runs without the
    GIL, may be copying it. This is the kind of concurrent reconfiguration that made
    requests give up its own shared context (psf/requests#6767). The same list again is
    left as it is; only the context's first list, set before it is shared, reaches OpenSSL.
    (urllib3 also sets ``verify_mode`` each time: the same number, which SSL_new copies.)"""

    def set_alpn_protocols(self, alpn_protocols: Iterable[str]) -> None:
        protocols = list(alpn_protocols)
        if protocols != getattr(self, "alpn_set", None):
            super().set_alpn_protocols(protocols)
            self.alpn_set = protocols


def share_verifying_context(connection: HTTPSConnection) -> None:
    """Give a connection that verifies against a CA file, and nothing more particular, the
    process's context holding that file.

    Without a context of its own, urllib3 makes one for every connection and loads the CA
    file into it: certifi's bundle takes 17 ms of CPU here, longer when several threads
    load at once (OpenSSL 3 decodes each certificate under locks they share), for each of
    the 8-20 connections of a run's three processes. The shared context is made as urllib3
    makes its own (create_urllib3_context, certificates required), so the handshake checks
    the same things. A client certificate, a CA folder or data, TLS versions, a pinned
    hostname or fingerprint, or a forwarding proxy: urllib3 does as it always does; a CA
    file that does not load is left to urllib3 too, to fail in its words."""
    if (
        connection.ssl_context is not None
        or not connection.ca_certs
        or connection.ca_cert_dir
        or connection.ca_cert_data
        or connection.cert_file
        or connection.ssl_version is not None
        or connection.ssl_minimum_version is not None
        or connection.ssl_maximum_version is not None
        or connection.assert_hostname is not None
        or connection.assert_fingerprint
        or connection.proxy_is_forwarding
        or resolve_cert_reqs(connection.cert_reqs) != ssl.CERT_REQUIRED
    ):
        return
    ca_file = connection.ca_certs
    with _contexts_lock:  # the first connection loads it, the others wait for it
        context = _contexts.get(ca_file)
        if context is None:
            context = create_urllib3_context(cert_reqs=ssl.CERT_REQUIRED)
            context.__class__ = _SharedContext  # urllib3's settings, and the ALPN list kept
            context.set_alpn_protocols(ALPN_PROTOCOLS)  # what urllib3 sets at each handshake
            try:
                context.load_verify_locations(cafile=ca_file)
            except (OSError, ValueError):
                return
            _contexts[ca_file] = context
    connection.ssl_context = context
    connection.ca_certs = None  # already in the context: not loaded again per handshake


# OpenSSL's verify codes for a chain that ends at an authority the CA file does not hold
# (a self-signed certificate, an unknown issuer): not a wrong name or an expired certificate
_UNKNOWN_ISSUER = frozenset({18, 19, 20, 21})


def tls_failure(exc: requests.exceptions.SSLError) -> str:
    """A TLS failure in words: OpenSSL's reason for refusing the certificate when that is
    what failed (found down the chain of wrapped errors, never their texts, which quote the
    URL), with what to do about a private certificate authority."""
    seen: list[object] = []
    cause: object = exc
    while isinstance(cause, BaseException) and cause not in seen:
        seen.append(cause)
        if isinstance(cause, ssl.SSLCertVerificationError):
            words = f"the server's TLS certificate is not trusted ({cause.verify_message})"
            if cause.verify_code in _UNKNOWN_ISSUER:
                words += (
                    "; for a private certificate authority, set REQUESTS_CA_BUNDLE to its CA file"
                )
            return words
        if isinstance(cause, ssl.SSLError) and cause.reason:
            return f"TLS failed ({cause.reason})"  # e.g. a CA file that does not load
        inner = getattr(cause, "reason", None)
        if not isinstance(inner, BaseException) and cause.args:
            inner = cause.args[0]
        cause = inner if isinstance(inner, BaseException) else cause.__cause__
    return "the TLS handshake failed"
