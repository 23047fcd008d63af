"""A local stand-in for the package index, for wheelfit's tests.

``IndexServer`` serves the fixtures recorded by ``scripts/record_index.py`` (see
``tests/data/index/README.md``) over real HTTP on 127.0.0.1, so wheelfit's client code is
exercised exactly as against the live index -- content negotiation, redirects, caching
headers, range requests -- without any test touching the network.

Distribution files are *synthesized*: a wheel is a real zip holding the recorded member
names, the real ``METADATA`` and a valid ``WHEEL``/``RECORD``; an sdist is a real tar.gz or
zip holding the recorded ``PKG-INFO``/``pyproject.toml``/``setup.cfg``/``setup.py`` texts.
Everything else is a few bytes of filler, so every file stays under ~200 KB. Pages report the
size and sha256 of the synthesized bytes, so hash checks in clients pass.

Routes (fault/feature prefixes combine and apply left to right, e.g.
``/auth/u:p/flaky/2/pep658/simple/numpy/``):

* ``/simple/`` and ``/simple/<project>/`` -- PEP 691 JSON or PEP 503 HTML by ``Accept``;
  non-normalized names get a 301 to the normalized URL, unknown projects a 404.
* ``/files/<filename>`` -- GET/HEAD with single ``Range`` support.
* ``/pep658/...`` -- pages advertise PEP 658/714 metadata and ``/pep658/files/<f>.metadata``
  serves it (without the prefix ``.metadata`` is 404, like the index these were recorded on).
* ``/status/<code>/...`` -- answers that status to everything.
* ``/flaky/<n>/...`` -- 500 for the first n requests to each full path, then normal.
* ``/slow/<seconds>/...`` -- waits that long first (at most 30 s).
* ``/norange/...`` -- ignores ``Range`` (always a 200 with the whole body).
* ``/retryafter/<n>[:<s>]/...`` -- 429 with ``Retry-After: <s>`` (default 1) for the first n
  requests to each path.
* ``/reset/<n>/...`` -- closes the connection without answering, first n requests per path.
* ``/truncate/...`` -- announces the full Content-Length, sends half the body, hangs up.
* ``/garble/...`` -- project pages in the negotiated type but not valid JSON / HTML.
* ``/ctype/<type>/...`` -- project pages with that Content-Type (``text~plain`` for text/plain).
* ``/auth/<user>:<password>/...`` -- requires HTTP basic auth with those credentials.
* ``/drip/<seconds>/...`` -- sends the headers, then the body one byte every <seconds>.
* ``/dripfile/<seconds>/...`` -- like ``/drip/``, for files (archives, ranges, .metadata) only.
* ``/driphead/<seconds>/...`` -- sends the status line, then the headers one byte at a time.
* ``/cutheaders/...`` and ``/resetheaders/...`` -- the status line and half a header, then
  the connection is closed (``cut``) or reset (``reset``, an RST).
* ``/gzipbomb/...`` -- every 200, 206 and 301 answer is ``Content-Encoding: gzip`` of 256 MiB
  of zeros.
* ``/deflate/...`` -- every 200 answer is sent ``Content-Encoding: deflate`` (honest).
"""

from __future__ import annotations

import base64
import contextlib
import functools
import gzip
import hashlib
import html
import io
import json
import re
import socket
import struct
import sys
import tarfile
import threading
import traceback
import zipfile
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

DEFAULT_FIXTURES = Path(__file__).parent / "data" / "index"

TEXT_HTML = "text/html"
SIMPLE_HTML = "application/vnd.pypi.simple.v1+html"
SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"
# PyPI offers these in this order and breaks q-value ties by it, which is why a bare
# "Accept: */*" (curl, requests, urllib) gets HTML.
OFFERS = (TEXT_HTML, SIMPLE_HTML, SIMPLE_JSON)
API_VERSION = "1.1"

PAGE_CACHE_CONTROL = "max-age=600, public"
FILE_CACHE_CONTROL = "max-age=365000000, immutable, public"

# Synthesized archives must be byte-for-byte reproducible, or the hashes in a page would
# not match a file fetched by a later test (or a later run).
ZIP_DATE = (2020, 2, 2, 0, 0, 0)
TAR_MTIME = 1580601600
FILLER = b"# wheelfit test-index filler\n"
SIZE_BUDGET = 200 * 1024
MAX_SLEEP = 30.0
_FLAG_FAULTS = ("truncate", "garble", "cutheaders", "resetheaders", "gzipbomb", "deflate")
BOMB_BYTES = 256 * 1024 * 1024


@functools.cache
def gzip_bomb() -> bytes:
    """256 MiB of zeros, gzipped (about 256 KB), made once per test session."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(1 << 20)
    parts = [compressor.compress(block) for _ in range(BOMB_BYTES >> 20)]
    return b"".join(parts) + compressor.flush()


SDIST_TEXTS = ("PKG-INFO", "pyproject.toml", "setup.cfg", "setup.py")
_BUILD_MARKERS = {
    "setup.py", "pyproject.toml", "setup.cfg", "CMakeLists.txt", "meson.build",
    "meson.options", "meson_options.txt", "Cargo.toml", "Cargo.lock", "build.rs",
    "Makefile", "configure", "go.mod",
}  # fmt: skip
_BINARY_SUFFIXES = (".so", ".pyd", ".dylib", ".dll", ".a", ".lib")
_SOURCE_SUFFIXES = (
    ".c", ".cc", ".cpp", ".cxx", ".h", ".hh", ".hpp", ".f", ".f90", ".f77", ".for",
    ".pyx", ".pxd", ".pxi", ".rs", ".cu", ".go", ".m", ".mm",
)  # fmt: skip

_PREFIX = re.compile(
    r"/(?:(?P<kind>status|flaky|slow|auth|retryafter|reset|ctype|drip|driphead|dripfile)/(?P<arg>[^/]+)"
    r"|(?P<flag>pep658|norange|truncate|garble|cutheaders|resetheaders|gzipbomb|deflate))(?=/)"
)


# --------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------


@dataclass
class DistFile:
    """One file of a project page and what its synthesized bytes are made of."""

    filename: str
    requires_python: str | None = None
    yanked: bool | str = False
    upload_time: str | None = None
    kind: str = "wheel"  # "wheel" or "sdist"
    archive_format: str = "zip"  # "zip" or "tar.gz"
    metadata: str | None = None  # wheel METADATA / sdist PKG-INFO
    wheel_file: str | None = None
    members: list[tuple[str, int]] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)  # sdist top-level texts
    root: str = ""  # the directory an sdist unpacks into
    exact_sizes: bool = False  # members filled to their recorded size (size tests)


@dataclass
class Project:
    name: str  # as displayed by the index (not necessarily normalized)
    files: list[DistFile]
    last_serial: int = 0


@dataclass(frozen=True)
class Built:
    """The synthesized bytes of a file and the digests a page must advertise."""

    data: bytes
    sha256: str
    metadata: bytes | None  # what /pep658/files/<f>.metadata serves (wheels only)
    metadata_sha256: str | None
    omitted_members: tuple[str, ...]  # recorded members left out to keep the file small


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _version_of(filename: str) -> Version | None:
    try:
        if filename.endswith(".whl"):
            return parse_wheel_filename(filename)[1]
        return parse_sdist_filename(filename)[1]
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
        return None


def load_record(
    dists: Path,
    filename: str,
    cache: dict[str, dict[str, Any]] | None = None,
    _seen: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """A dist record with its ``metadata_from`` / ``members_from`` references resolved.

    The recorder stores a wheel's METADATA or member list as a reference to (or a diff
    against) a sibling wheel of the same release; this returns the full record.
    """
    cache = {} if cache is None else cache
    if filename in cache:
        return cache[filename]
    if filename in _seen:
        raise ValueError(f"reference cycle through {filename}")
    path = dists / f"{filename}.json"
    if not path.exists():
        return {"filename": filename}
    rec: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    seen = _seen | {filename}
    if "metadata_from" in rec:
        rec["metadata"] = load_record(dists, rec["metadata_from"], cache, seen).get("metadata")
    if "members_from" in rec:
        base = load_record(dists, rec["members_from"], cache, seen)
        removed = set(rec.get("members_removed", []))
        rec["members"] = [m for m in base.get("members", []) if m[0] not in removed]
        rec["members"] += rec.get("members_added", [])
    cache[filename] = rec
    return rec


def _dist_from_record(page_file: Mapping[str, Any], rec: Mapping[str, Any]) -> DistFile:
    filename = page_file["filename"]
    kind = "wheel" if filename.endswith(".whl") else "sdist"
    return DistFile(
        filename=filename,
        requires_python=page_file.get("requires-python"),
        yanked=page_file.get("yanked", False),
        upload_time=page_file.get("upload-time"),
        kind=kind,
        archive_format="zip" if filename.endswith((".whl", ".zip")) else "tar.gz",
        metadata=rec.get("metadata") if kind == "wheel" else rec.get("texts", {}).get("PKG-INFO"),
        wheel_file=rec.get("wheel_file"),
        members=[(str(n), int(s)) for n, s in rec.get("members", [])],
        texts=dict(rec.get("texts", {})),
        root=rec.get("root", _default_root(filename) if kind == "sdist" else ""),
    )


def load_fixtures(fixture_dir: Path) -> dict[str, Project]:
    """Read ``pages/*.json``; dist records are read now too (they are small)."""
    projects: dict[str, Project] = {}
    cache: dict[str, dict[str, Any]] = {}
    for page_path in sorted((fixture_dir / "pages").glob("*.json")):
        page = json.loads(page_path.read_text(encoding="utf-8"))
        files = [
            _dist_from_record(f, load_record(fixture_dir / "dists", f["filename"], cache))
            for f in page["files"]
        ]
        serial = int(page.get("meta", {}).get("_last-serial", 0) or 0)
        projects[canonicalize_name(page["name"])] = Project(page["name"], files, serial)
    return projects


def _default_root(filename: str) -> str:
    for ext in (".tar.gz", ".zip"):
        if filename.endswith(ext):
            return filename[: -len(ext)]
    return filename


# --------------------------------------------------------------------------------------
# Synthesizing distribution files
# --------------------------------------------------------------------------------------


def _filler(size: int, exact: bool = False) -> bytes:
    """A member's bytes: a short line, or the recorded size exactly (compresses to little)."""
    if exact:
        return (FILLER * (size // len(FILLER) + 1))[:size]
    return FILLER[:size]


def _priority(name: str) -> int:
    """Which members to give up last when a file would grow past the size budget.

    0: never dropped; 1: what tells a tool how a project builds or that it ships
    binaries; 2: compiled-language sources; 3: everything else (docs, tests, .py files).
    """
    base = name.rpartition("/")[2]
    if re.fullmatch(r"[^/]+\.dist-info/(METADATA|WHEEL|RECORD|entry_points\.txt)", name):
        return 0
    if base in _BUILD_MARKERS or base.endswith(_BINARY_SUFFIXES) or ".so." in base:
        return 1
    if base.endswith(_SOURCE_SUFFIXES):
        return 2
    return 3


def _fit(
    members: list[tuple[str, bytes]], build: Any, pinned: set[str]
) -> tuple[bytes, tuple[str, ...]]:
    """Build an archive of ``members``, dropping low-priority ones until it fits the budget.

    Members are written in their recorded order; only the choice of which to keep follows
    the priority. Usually one or two rebuilds suffice, as size grows ~linearly with count.
    """
    order = sorted(
        range(len(members)),
        key=lambda i: (0 if members[i][0] in pinned else _priority(members[i][0]), i),
    )
    keep = len(members)
    while True:
        kept_idx = set(order[:keep])
        data = build([m for i, m in enumerate(members) if i in kept_idx])
        if len(data) <= SIZE_BUDGET or keep <= len(pinned):
            omitted = tuple(m[0] for i, m in enumerate(members) if i not in kept_idx)
            return data, omitted
        keep = max(len(pinned), min(keep - 1, int(keep * SIZE_BUDGET / len(data) * 0.95)))


def _build_zip(members: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    return buf.getvalue()


def _build_tar_gz(members: list[tuple[str, bytes]]) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = TAR_MTIME
            info.mode = 0o644
            tf.addfile(info, io.BytesIO(data))
    # gzip's own header carries an mtime too; pin it.
    return gzip.compress(raw.getvalue(), compresslevel=9, mtime=0)


def _dedupe(members: Iterable[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    # zipfile warns on duplicate names, and tests run with warnings as errors.
    out: dict[str, bytes] = {}
    for name, data in members:
        out.setdefault(name, data)
    return list(out.items())


def synthesize_wheel(dist: DistFile) -> Built:
    name, version, _, tags = parse_wheel_filename(dist.filename)
    recorded = [n for n, _ in dist.members]
    dist_info = next(
        (n.rpartition("/")[0] for n in recorded if re.fullmatch(r"[^/]+\.dist-info/METADATA", n)),
        "{}-{}.dist-info".format(*dist.filename.split("-")[:2]),
    )
    metadata = (dist.metadata or _minimal_metadata(str(name), str(version), dist)).encode()
    wheel = dist.wheel_file or (
        "Wheel-Version: 1.0\nGenerator: wheelfit-test-index\n"
        f"Root-Is-Purelib: {'true' if all(t.abi == 'none' for t in tags) else 'false'}\n"
        + "".join(f"Tag: {t}\n" for t in sorted(map(str, tags)))
    )
    special = {
        f"{dist_info}/METADATA": metadata,
        f"{dist_info}/WHEEL": wheel.encode(),
    }
    record_name = f"{dist_info}/RECORD"
    body = [
        (n, special.get(n, _filler(s, dist.exact_sizes)))
        for n, s in dist.members
        if n != record_name
    ]
    body += [(n, d) for n, d in special.items() if n not in recorded]
    body = _dedupe(body)

    def build(kept: list[tuple[str, bytes]]) -> bytes:
        # RECORD must describe exactly what is in the archive, so it is rebuilt per try.
        lines = [f"{n},sha256={_record_digest(d)},{len(d)}" for n, d in kept]
        record = "\n".join([*lines, f"{record_name},,"]) + "\n"
        return _build_zip([*kept, (record_name, record.encode())])

    data, omitted = _fit(body, build, set(special))
    return Built(data, _sha256(data), metadata, _sha256(metadata), omitted)


def _record_digest(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def synthesize_sdist(dist: DistFile) -> Built:
    root = dist.root
    prefix = f"{root}/" if root else ""
    texts = dict(dist.texts)
    if "PKG-INFO" not in texts:
        # Every sdist has PKG-INFO; a generated project may not have given one.
        name, version = parse_sdist_filename(dist.filename)
        texts["PKG-INFO"] = dist.metadata or _minimal_metadata(str(name), str(version), dist)
    special = {f"{prefix}{k}": v.encode() for k, v in texts.items()}
    body = [(n, special.get(n, _filler(s, dist.exact_sizes))) for n, s in dist.members]
    body += [(n, d) for n, d in special.items() if n not in {m for m, _ in dist.members}]
    body = _dedupe(body)
    build = _build_zip if dist.archive_format == "zip" else _build_tar_gz
    data, omitted = _fit(body, build, set(special))
    return Built(data, _sha256(data), None, None, omitted)


def _minimal_metadata(name: str, version: str, dist: DistFile) -> str:
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    if dist.requires_python:
        lines.append(f"Requires-Python: {dist.requires_python}")
    return "\n".join(lines) + "\n\n"


# --------------------------------------------------------------------------------------
# HTTP helpers
# --------------------------------------------------------------------------------------


def choose_content_type(accept: str | None) -> str | None:
    """Pick the page representation the way PyPI does; None when nothing is acceptable.

    Each offer takes the q of the most specific matching media range (exact, then type/*,
    then */*); q=0 excludes it; ties go to the earlier offer in ``OFFERS``. No (or an empty)
    Accept header means HTML. PyPI itself falls back to HTML when nothing matches; this
    server answers 406 there instead (the brief asks for it, and PEP 691 allows either), so
    that clients are tested against the stricter behaviour.
    """
    if accept is None or not accept.strip():
        return TEXT_HTML
    ranges: list[tuple[str, str, float]] = []
    for part in accept.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        if "/" not in media:
            continue
        mtype, _, msub = media.lower().partition("/")
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        ranges.append((mtype, msub, q))
    scored: list[tuple[float, int, str]] = []
    for idx, offer in enumerate(OFFERS):
        otype, _, osub = offer.partition("/")
        best: tuple[int, float] | None = None
        for mtype, msub, q in ranges:
            if (mtype, msub) == (otype, osub):
                specificity = 2
            elif mtype == otype and msub == "*":
                specificity = 1
            elif (mtype, msub) == ("*", "*"):
                specificity = 0
            else:
                continue
            if best is None or specificity > best[0]:
                best = (specificity, q)
        if best is not None and best[1] > 0:
            scored.append((-best[1], idx, offer))
    return min(scored)[2] if scored else None


class Unsatisfiable(Exception):
    pass


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(first, last) byte positions for a single ``bytes=`` range, or None for "send all".

    Malformed and multi-range headers are ignored (RFC 9110 allows serving the whole body);
    a syntactically valid range that selects nothing raises ``Unsatisfiable`` (-> 416).
    """
    if not header:
        return None
    m = re.fullmatch(r"\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*", header)
    if not m or (not m.group(1) and not m.group(2)):
        return None
    first, last = m.group(1), m.group(2)
    if first:
        start = int(first)
        end = int(last) if last else size - 1
        if last and end < start:
            return None
        if start >= size:
            raise Unsatisfiable
        return start, min(end, size - 1)
    suffix = int(last)
    if suffix == 0 or size == 0:
        raise Unsatisfiable
    return max(0, size - suffix), size - 1


def _etag_matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    # Weak comparison, as RFC 9110 prescribes for If-None-Match.
    candidates = [c.strip().removeprefix("W/") for c in if_none_match.split(",")]
    return "*" in candidates or etag in candidates


# --------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------


class IndexServer:
    """A threaded HTTP index on 127.0.0.1 serving recorded (and test-added) projects.

    Use as ``with IndexServer(fixture_dir) as srv: ... srv.url ...``; ``srv.url`` is
    ``http://127.0.0.1:PORT`` (no trailing slash). Every request is appended to
    ``srv.requests`` as ``(method, path, headers)``; ``srv.reset()`` clears that log and the
    ``/flaky/`` counters. Unexpected exceptions in the server are kept in ``srv.errors``.
    """

    def __init__(
        self, fixture_dir: str | Path | None = DEFAULT_FIXTURES, exact_sizes: bool = False
    ) -> None:
        """``exact_sizes``: recorded wheels' members get their recorded sizes, so image sizes
        estimated from the served wheels match the real ones (filler compresses to little)."""
        self.fixture_dir = Path(fixture_dir) if fixture_dir is not None else None
        self._projects: dict[str, Project] = (
            load_fixtures(self.fixture_dir) if self.fixture_dir is not None else {}
        )
        for project in self._projects.values():
            for dist in project.files:
                dist.exact_sizes = exact_sizes and dist.kind == "wheel"
        self._files: dict[str, DistFile] = {}
        self._reindex()
        self._built: dict[str, Built] = {}
        self._build_lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._flaky_hits: dict[str, int] = {}
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.errors: list[str] = []
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.stopping = threading.Event()

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> IndexServer:
        if self._httpd is not None:
            return self
        self.stopping.clear()
        self._httpd = _HTTPServer(self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="wheelfit-test-index",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self.stopping.set()  # wakes handlers sleeping under /slow/
        self._httpd.shutdown()
        self._httpd.close_connections()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> IndexServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("IndexServer is not running")
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- test helpers ------------------------------------------------------------------

    def reset(self) -> None:
        """Forget logged requests and /flaky/ counts (the server is shared per session)."""
        with self._state_lock:
            self.requests.clear()
            self._flaky_hits.clear()

    def project_names(self) -> list[str]:
        return sorted(self._projects)

    def file_url(self, filename: str, prefix: str = "") -> str:
        """URL of a file; ``prefix`` like ``"/pep658"`` or ``"/flaky/1"``."""
        return f"{self.url}{prefix}/files/{quote(filename)}"

    def file_bytes(self, filename: str) -> bytes:
        """The exact bytes served for a file (synthesized on first use, then cached)."""
        return self._build(filename).data

    def metadata_bytes(self, filename: str) -> bytes:
        """The core metadata served at ``/pep658/files/<filename>.metadata``."""
        meta = self._build(filename).metadata
        if meta is None:
            raise KeyError(f"{filename} has no separate metadata file")
        return meta

    def omitted_members(self, filename: str) -> tuple[str, ...]:
        """Recorded members left out of the synthesized file to respect the size budget."""
        return self._build(filename).omitted_members

    def add_project(self, name: str, files: Iterable[Mapping[str, Any]]) -> str:
        """Add (or replace) a generated project; returns its normalized name.

        Each file is a dict: ``filename`` (required), and optionally ``metadata`` (wheel
        METADATA / sdist PKG-INFO text; a minimal one is generated from the filename),
        ``members`` (names or ``[name, size]`` pairs), ``texts`` (sdist top-level
        ``pyproject.toml`` etc.), ``requires_python``, ``yanked`` (bool or reason),
        ``upload_time`` (ISO 8601), ``exact_sizes`` (fill members to their size). Example::

            srv.add_project("demo", [
                {"filename": "demo-1.0-py3-none-any.whl", "requires_python": ">=3.9"},
                {"filename": "demo-1.0.tar.gz", "texts": {"setup.py": "..."}},
            ])
        """
        dists = []
        for f in files:
            filename = f["filename"]
            kind = "wheel" if filename.endswith(".whl") else "sdist"
            root = _default_root(filename) if kind == "sdist" else ""
            members = [
                (m, len(FILLER)) if isinstance(m, str) else (str(m[0]), int(m[1]))
                for m in f.get("members", [])
            ]
            if kind == "sdist":  # given relative to the sdist root, like a source tree
                members = [(f"{root}/{n}", s) for n, s in members]
            texts = dict(f.get("texts", {}))
            if kind == "sdist" and f.get("metadata"):
                texts.setdefault("PKG-INFO", f["metadata"])
            dists.append(
                DistFile(
                    filename=filename,
                    requires_python=f.get("requires_python"),
                    yanked=f.get("yanked", False),
                    upload_time=f.get("upload_time"),
                    kind=kind,
                    archive_format="zip" if filename.endswith((".whl", ".zip")) else "tar.gz",
                    metadata=f.get("metadata"),
                    members=members,
                    texts=texts,
                    root=root,
                    exact_sizes=bool(f.get("exact_sizes", False)),
                )
            )
        key = canonicalize_name(name)
        with self._build_lock:
            for d in dists:
                self._built.pop(d.filename, None)
            old = self._projects.get(key)
            if old is not None:
                for d in old.files:
                    self._built.pop(d.filename, None)
            self._projects[key] = Project(name, dists)
            self._reindex()
        return key

    def remove_project(self, name: str) -> None:
        with self._build_lock:
            old = self._projects.pop(canonicalize_name(name), None)
            for d in old.files if old else []:
                self._built.pop(d.filename, None)
            self._reindex()

    # -- internals used by the handler -------------------------------------------------

    def _reindex(self) -> None:
        self._files = {d.filename: d for p in self._projects.values() for d in p.files}

    def _build(self, filename: str) -> Built:
        with self._build_lock:
            built = self._built.get(filename)
            if built is None:
                dist = self._files[filename]
                built = synthesize_wheel(dist) if dist.kind == "wheel" else synthesize_sdist(dist)
                self._built[filename] = built
            return built

    def _log(self, method: str, path: str, headers: dict[str, str]) -> None:
        with self._state_lock:
            self.requests.append((method, path, headers))

    def _flaky_hit(self, path: str) -> int:
        with self._state_lock:
            self._flaky_hits[path] = self._flaky_hits.get(path, 0) + 1
            return self._flaky_hits[path]

    def _project_json(self, project: Project, prefix: str, pep658: bool) -> dict[str, Any]:
        files = []
        for d in project.files:
            built = self._build(d.filename)
            entry: dict[str, Any] = {
                "filename": d.filename,
                "url": self.file_url(d.filename, prefix),
                "hashes": {"sha256": built.sha256},
                "requires-python": d.requires_python,
                "size": len(built.data),
                "upload-time": d.upload_time,
                "yanked": d.yanked,
            }
            if pep658:
                # PEP 714 renamed the key; PyPI serves both, clients may read either.
                meta = {"sha256": built.metadata_sha256} if built.metadata_sha256 else False
                entry["core-metadata"] = meta
                entry["dist-info-metadata"] = meta
            files.append(entry)
        versions = sorted({v for d in project.files if (v := _version_of(d.filename)) is not None})
        return {
            "meta": {"api-version": API_VERSION, "_last-serial": project.last_serial},
            "name": canonicalize_name(project.name),
            "versions": [str(v) for v in versions],
            "files": files,
        }

    def _project_html(self, project: Project, prefix: str, pep658: bool) -> str:
        data = self._project_json(project, prefix, pep658)
        links = []
        for f in data["files"]:
            attrs = [f'href="{html.escape(f["url"])}#sha256={f["hashes"]["sha256"]}"']
            if f["requires-python"]:
                attrs.append(f'data-requires-python="{html.escape(f["requires-python"])}"')
            if f["yanked"] is not False:
                reason = f["yanked"] if isinstance(f["yanked"], str) else ""
                attrs.append(f'data-yanked="{html.escape(reason)}"')
            if pep658 and f["core-metadata"]:
                digest = f"sha256={f['core-metadata']['sha256']}"
                attrs.append(f'data-dist-info-metadata="{digest}"')
                attrs.append(f'data-core-metadata="{digest}"')
            links.append(f"    <a {' '.join(attrs)}>{html.escape(f['filename'])}</a><br />")
        title = f"Links for {html.escape(data['name'])}"
        return _html_page(title, f"    <h1>{title}</h1>\n" + "\n".join(links))

    def _index_json(self) -> dict[str, Any]:
        return {
            "meta": {"api-version": API_VERSION, "_last-serial": 0},
            "projects": [{"name": p.name} for _, p in sorted(self._projects.items())],
        }

    def _index_html(self, prefix: str) -> str:
        links = [
            f'    <a href="{prefix}/simple/{key}/">{html.escape(p.name)}</a>'
            for key, p in sorted(self._projects.items())
        ]
        return _html_page("Simple index", "\n".join(links))


def _html_page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n<html>\n  <head>\n"
        f'    <meta name="pypi:repository-version" content="{API_VERSION}">\n'
        f"    <title>{title}</title>\n  </head>\n  <body>\n{body}\n  </body>\n</html>\n"
    )


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, index: IndexServer) -> None:
        self.index = index
        self._conns: set[socket.socket] = set()
        self._conns_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._conns_lock:
            self._conns.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._conns_lock:
            self._conns.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        # Keep-alive clients would otherwise hold handler threads (and sockets) open
        # past the end of the test session.
        with self._conns_lock:
            conns = list(self._conns)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (timeout on /slow/, a closed range read) is not a failure.
        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionError | TimeoutError):
            return
        self.index.errors.append(traceback.format_exc())


class _Respond(Exception):
    """Raised by a route to answer right away (faults, redirects, 404s)."""

    def __init__(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None):
        super().__init__(status)
        self.status = status
        self.body = body or f"{status}\n".encode()
        self.headers = headers or {}


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer
    protocol_version = "HTTP/1.1"  # keep-alive, as clients use against the real index
    server_version = "wheelfit-test-index/1"
    timeout = 30  # an idle keep-alive connection does not pin a thread forever

    def log_message(self, format: str, *args: Any) -> None:
        pass  # srv.requests is the log; stderr noise would bury test output

    def do_GET(self) -> None:
        self._dispatch(head=False)

    def do_HEAD(self) -> None:
        self._dispatch(head=True)

    # -- plumbing ----------------------------------------------------------------------

    def _dispatch(self, head: bool) -> None:
        index = self.server.index
        index._log(self.command, self.path, dict(self.headers.items()))
        try:
            self._route(head)
        except _Respond as r:
            self._send(r.status, r.body, {"Content-Type": "text/plain", **r.headers}, head)
        except (ConnectionError, TimeoutError):
            raise
        except Exception:
            index.errors.append(traceback.format_exc())
            self._send(500, b"internal error in test index\n", {"Content-Type": "text/plain"}, head)

    def _send(self, status: int, body: bytes, headers: Mapping[str, str], head: bool) -> None:
        faults = getattr(self, "_faults", {})
        if status == 200 and "ctype" in faults and "Content-Type" in headers:
            headers = {**headers, "Content-Type": faults["ctype"]}
        if status in (200, 206, 301) and faults.get("gzipbomb"):
            headers, body = {**headers, "Content-Encoding": "gzip"}, gzip_bomb()
        elif status in (200, 206) and faults.get("deflate"):
            headers, body = {**headers, "Content-Encoding": "deflate"}, zlib.compress(body)
        if faults.get("cutheaders") or faults.get("resetheaders"):
            return self._cut_headers(reset=bool(faults.get("resetheaders")))
        if "driphead" in faults:
            return self._drip_headers(status, headers, body, faults["driphead"])
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if head or status in (204, 304):
            return
        if "drip" in faults:
            return self._drip(body, faults["drip"])
        if faults.get("truncate") and len(body) > 1:
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.wfile.write(body)

    def _drip(self, data: bytes, every: float) -> None:
        """One byte every ``every`` seconds, until the client hangs up or the server stops."""
        self.wfile.flush()
        for i in range(len(data)):
            self.connection.sendall(data[i : i + 1])
            if self.server.index.stopping.wait(every):
                break
        self.close_connection = True

    def _drip_headers(
        self, status: int, headers: Mapping[str, str], body: bytes, every: float
    ) -> None:
        lines = [f"{k}: {v}\r\n" for k, v in {**headers, "Content-Length": len(body)}.items()]
        self.connection.sendall(f"HTTP/1.1 {status} Whatever\r\n".encode())
        self._drip(("".join(lines) + "\r\n").encode() + body, every)

    def _cut_headers(self, reset: bool) -> None:
        self.connection.sendall(b"HTTP/1.1 200 OK\r\nServer: wheelfit-test-in")
        self.close_connection = True
        if reset:  # an RST instead of a FIN
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        else:
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)

    def _route(self, head: bool) -> None:
        index = self.server.index
        path = urlsplit(self.path).path
        rest, prefix = path, ""
        pep658 = norange = False
        self._faults: dict[str, Any] = {}
        # Prefixes apply in the order written, so /auth/u:p/flaky/1/ checks credentials
        # before counting a flaky hit, and /slow/2/status/500/ waits before failing.
        while m := _PREFIX.match(rest):
            kind, arg, flag = m.group("kind"), m.group("arg"), m.group("flag")
            rest, prefix = rest[m.end() :], prefix + m.group(0)
            if flag == "pep658":
                pep658 = True
            elif flag == "norange":
                norange = True
            elif flag in _FLAG_FAULTS:
                self._faults[flag] = True
            elif kind in ("drip", "driphead", "dripfile"):
                try:
                    self._faults[kind] = min(max(float(arg), 0.0), MAX_SLEEP)
                except ValueError:
                    raise _Respond(400, b"bad /drip/ value\n") from None
            elif kind == "ctype":
                self._faults["ctype"] = unquote(arg).replace("~", "/")
            elif kind == "retryafter" and re.fullmatch(r"\d+(:\d+)?", arg):
                times, _, wait = arg.partition(":")
                if index._flaky_hit("retryafter:" + path) <= int(times):
                    raise _Respond(429, b"slow down\n", {"Retry-After": wait or "1"})
            elif kind == "reset" and arg.isdigit():
                if index._flaky_hit("reset:" + path) <= int(arg):
                    self.close_connection = True
                    with contextlib.suppress(OSError):
                        self.connection.shutdown(socket.SHUT_RDWR)
                    raise ConnectionResetError("reset on purpose")
            elif kind == "status" and arg.isdigit():
                raise _Respond(int(arg))
            elif kind == "flaky" and arg.isdigit():
                if index._flaky_hit(path) <= int(arg):
                    raise _Respond(500, b"flaky: failing on purpose\n")
            elif kind == "slow":
                try:
                    delay = min(max(float(arg), 0.0), MAX_SLEEP)
                except ValueError:
                    raise _Respond(400, b"bad /slow/ value\n") from None
                index.stopping.wait(delay)
            elif kind == "auth":
                self._check_auth(unquote(arg))
            else:
                raise _Respond(404)

        if rest == "/simple":
            raise _Respond(301, headers={"Location": f"{prefix}/simple/"})
        if rest == "/simple/":
            return self._serve_index(prefix, head)
        if m := re.fullmatch(r"/simple/([^/]+)(/?)", rest):
            return self._serve_project(unquote(m.group(1)), m.group(2), prefix, pep658, head)
        if m := re.fullmatch(r"/files/([^/]+)", rest):
            return self._serve_file(unquote(m.group(1)), pep658, norange, head)
        raise _Respond(404)

    def _check_auth(self, credentials: str) -> None:
        header = self.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        try:
            given = base64.b64decode(token.strip(), validate=True).decode()
        except (ValueError, UnicodeDecodeError):
            given = None
        if scheme.lower() != "basic" or given != credentials:
            raise _Respond(401, headers={"WWW-Authenticate": 'Basic realm="wheelfit-test"'})

    # -- routes ------------------------------------------------------------------------

    def _negotiated(self, head: bool, as_json: Any, as_html: Any) -> None:
        ctype = choose_content_type(self.headers.get("Accept"))
        if ctype is None:
            raise _Respond(406, f"acceptable: {', '.join(OFFERS)}\n".encode())
        if ctype == SIMPLE_JSON:
            body = json.dumps(as_json(), indent=1).encode()
        else:
            body = as_html().encode()
        if getattr(self, "_faults", {}).get("garble"):
            body = (
                b'{"meta": {"api-version": "1.1"}, "files": ['
                if ctype == SIMPLE_JSON
                else (
                    b'<html><body><a href="../../files/x-1.0.tar.gz#sha256=zz" data-requires-pyth'
                )
            )
        etag = f'"{_sha256(body)[:40]}"'
        headers = {
            "Content-Type": ctype,
            "ETag": etag,
            "Cache-Control": PAGE_CACHE_CONTROL,
            "Vary": "Accept",
        }
        if _etag_matches(self.headers.get("If-None-Match"), etag):
            del headers["Content-Type"]
            return self._send(304, b"", headers, head)
        self._send(200, body, headers, head)

    def _serve_index(self, prefix: str, head: bool) -> None:
        index = self.server.index
        self._negotiated(head, index._index_json, lambda: index._index_html(prefix))

    def _serve_project(self, name: str, slash: str, prefix: str, pep658: bool, head: bool) -> None:
        index = self.server.index
        normalized = canonicalize_name(name)
        project = index._projects.get(normalized)
        if project is None:
            raise _Respond(404)
        if name != normalized or not slash:
            location = f"{prefix}/simple/{normalized}/"
            raise _Respond(301, headers={"Location": location})
        self._negotiated(
            head,
            lambda: index._project_json(project, prefix, pep658),
            lambda: index._project_html(project, prefix, pep658),
        )

    def _serve_file(self, filename: str, pep658: bool, norange: bool, head: bool) -> None:
        index = self.server.index
        if "dripfile" in self._faults:
            self._faults["drip"] = self._faults["dripfile"]
        if filename.endswith(".metadata") and filename.removesuffix(".metadata") in index._files:
            built = index._build(filename.removesuffix(".metadata"))
            if not pep658 or built.metadata is None:
                raise _Respond(404)
            body = built.metadata
        elif filename in index._files:
            body = index._build(filename).data
        else:
            raise _Respond(404)
        etag = f'"{_sha256(body)}"'
        headers = {
            "Content-Type": "application/octet-stream",
            "ETag": etag,
            "Cache-Control": FILE_CACHE_CONTROL,
        }
        if _etag_matches(self.headers.get("If-None-Match"), etag):
            return self._send(304, b"", headers, head)
        if norange:
            return self._send(200, body, headers, head)
        headers["Accept-Ranges"] = "bytes"
        range_header = self.headers.get("Range")
        if_range = self.headers.get("If-Range")
        if if_range is not None and if_range.strip() != etag:
            range_header = None  # the client's copy is stale: it needs the whole file
        try:
            span = parse_range(range_header, len(body))
        except Unsatisfiable:
            headers["Content-Range"] = f"bytes */{len(body)}"
            return self._send(416, b"", headers, head)
        if span is None:
            return self._send(200, body, headers, head)
        first, last = span
        headers["Content-Range"] = f"bytes {first}-{last}/{len(body)}"
        self._send(206, body[first : last + 1], headers, head)
