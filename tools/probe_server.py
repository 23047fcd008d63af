"""A hostile package index on 127.0.0.1 for tools/probe.py: one fault per project.

The project's name says what it does (``<fault>-<n>``): ``ok`` serves a healthy wheel; the
others serve a status code, a reset, a drip, a stall, a bomb, a page of the wrong types, or
archives built to hurt (see FAULTS). Every file is built in memory; nothing is fetched.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import socket
import tarfile
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# fault -> what its row must say (checked by the probe on the JSON report). "read-error": the
# row says the index could not be read; "incomplete": the row carries `incomplete`; "row": a
# row exists (the fault is in data wheelfit may ignore); "absent": the project is not found.
FAULTS: dict[str, str] = {
    "ok": "row",
    "status500": "read-error",
    "status503": "read-error",
    "status403": "read-error",
    "status404": "absent",
    "resetbody": "read-error",
    "resethead": "read-error",
    "stall": "read-error",
    "drip": "read-error",
    "retryafter": "read-error",
    "garbagejson": "read-error",
    "typeconf": "row",
    "deepjson": "read-error",
    "gzipbomb": "read-error",
    "metagarbage": "incomplete",
    "metautf16": "incomplete",
    "metaempty": "incomplete",
    "lyingzip": "row",
    "deepsetup": "row",
    "nestedtoml": "row",
    "dynamicthree": "row",
    "tarbomb": "incomplete",
    "traversal": "incomplete",
    "canarysetup": "row",
}
# faults another part of the work owns (issue 15 items): a failure there is listed, not hidden
OWNED_ELSEWHERE = {
    "drip": "item 5 (total deadline per request)",
    "retryafter": "item 5 (cap on Retry-After)",
    "resethead": "item 17 (reset inside headers read as not found)",
    "gzipbomb": "item 9 (gzip decoded whole before the size check)",
    "stall": "item 5 (a stalled server costs the read timeout times every retry)",
}
DRIP_SECONDS = 2.0
STALL_SECONDS = 40.0
BOMB_INFLATED = 64 * 1024 * 1024  # kept small: the machine running the probe is shared


def _wheel(name: str, metadata: bytes, lie: bool = False) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{name}-1.0.dist-info/METADATA", metadata)
        archive.writestr(
            f"{name}-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: true\n"
        )
        for index in range(50 if lie else 0):
            archive.writestr(f"{name}/big{index}.bin", b"x")
        archive.writestr(f"{name}-1.0.dist-info/RECORD", "")
    data = bytearray(buffer.getvalue())
    if lie:  # each central-directory entry of big*.bin claims 1 GiB uncompressed
        position = data.find(b"PK\x01\x02")
        while position != -1:
            name_length = int.from_bytes(data[position + 28 : position + 30], "little")
            member = bytes(data[position + 46 : position + 46 + name_length])
            if b"big" in member:
                data[position + 24 : position + 28] = (2**30).to_bytes(4, "little")
            position = data.find(b"PK\x01\x02", position + 4)
    return bytes(data)


def _sdist(name: str, texts: dict[str, bytes], extra: list[tarfile.TarInfo] = ()) -> bytes:  # type: ignore[assignment]
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for member, data in texts.items():
            info = tarfile.TarInfo(f"{name}-1.0/{member}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        for info in extra:
            archive.addfile(info, io.BytesIO(b"\0" * info.size) if info.size < 1024 else None)
    return buffer.getvalue()


def _metadata(name: str, requires: str = "") -> bytes:
    return f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n{requires}".encode()


def build_files(name: str, fault: str, canary_path: str) -> dict[str, bytes]:
    """The files of one project, by file name."""
    wheel_name = f"{name.replace('-', '_')}-1.0-py3-none-any.whl"
    sdist_name = f"{name}-1.0.tar.gz"
    meta = _metadata(name)
    if fault == "metagarbage":
        meta = b"\x00\x01\xff garbage \xfe" * 20
    elif fault == "metautf16":
        meta = _metadata(name, "Requires-Dist: ok-0\n").decode().encode("utf-16")
    elif fault == "metaempty":
        meta = b""
    if fault in ("metagarbage", "metautf16", "metaempty", "lyingzip", "ok", "typeconf"):
        return {wheel_name: _wheel(name.replace("-", "_"), meta, lie=fault == "lyingzip")}
    texts: dict[str, bytes] = {"PKG-INFO": b"Metadata-Version: 2.1\nName: x\nVersion: 1.0\n"}
    extra: list[tarfile.TarInfo] = []
    if fault == "deepsetup":
        texts["setup.py"] = b"x = " + b"-" * 300_000 + b"1\nsetup(install_requires=['ok-0'])\n"
    elif fault == "nestedtoml":
        texts["pyproject.toml"] = b"[build-system]\nrequires = " + b"[" * 5000 + b"]" * 5000
    elif fault == "dynamicthree":
        texts["pyproject.toml"] = b"[project]\nname = 'x'\nversion = '1'\ndynamic = 3\n"
    elif fault == "canarysetup":
        texts["setup.py"] = f"open({canary_path!r}, 'w').write('ran')\n".encode()
        texts["pyproject.toml"] = (
            b"[build-system]\nrequires = []\nbuild-backend = 'evil'\nbackend-path = ['.']\n"
        )
        texts["evil.py"] = f"open({canary_path!r}, 'w').write('ran')\n".encode()
    elif fault == "tarbomb":
        info = tarfile.TarInfo(f"{name}-1.0/huge.c")
        info.size = 3 * 2**30  # declared, never written: the reader refuses it from the header
        extra.append(info)
    elif fault == "traversal":
        info = tarfile.TarInfo("../../escaped.txt")
        info.size = 3
        extra.append(info)
    if fault == "tarbomb":
        return {sdist_name: _tar_with_lying_header(name, extra[0])}
    return {sdist_name: _sdist(name, texts, extra)}


def _tar_with_lying_header(name: str, info: tarfile.TarInfo) -> bytes:
    header = info.tobuf(format=tarfile.GNU_FORMAT)
    return gzip.compress(header + b"\0" * 1024)


class HostileIndex:
    """Serves FAULTS projects; ``url`` is the simple index root."""

    def __init__(self, canary_path: str) -> None:
        self.canary_path = canary_path
        self._projects: dict[str, dict[str, bytes]] = {}
        self._lock = threading.Lock()
        handler = type("Handler", (_Handler,), {"index": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/simple/"

    def __enter__(self) -> HostileIndex:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def files(self, project: str) -> dict[str, bytes]:
        with self._lock:
            if project not in self._projects:
                fault = project.rsplit("-", 1)[0]
                self._projects[project] = build_files(project, fault, self.canary_path)
            return self._projects[project]

    def file(self, filename: str) -> bytes | None:
        with self._lock:
            for files in self._projects.values():
                if filename in files:
                    return files[filename]
        return None

    def page(self, project: str, base: str) -> bytes:
        fault = project.rsplit("-", 1)[0]
        entries: list[Any] = []
        for filename, data in self.files(project).items():
            entry: dict[str, Any] = {
                "filename": filename,
                "url": f"{base}/files/{filename}",
                "hashes": {"sha256": hashlib.sha256(data).hexdigest()},
                "size": len(data),
            }
            if fault == "typeconf":
                entry.update(size=str(len(data)), hashes={"sha256": 12345}, yanked=[1])
                entry["requires-python"] = {"x": 1}
                entries.append({"filename": None, "url": 3})
                entries.append("just a string")
            entries.append(entry)
        document: Any = {"meta": {"api-version": "1.1"}, "name": project, "files": entries}
        if fault == "deepjson":  # nested past the recursion limit
            return (
                b'{"meta": {"api-version": "1.1"}, "files": '
                + b"[" * 100_000
                + b"]" * 100_000
                + b"}"
            )
        if fault == "garbagejson":
            return b'{"meta": {"api-version": "1.1"}, "files": [{"filename": '
        return json.dumps(document).encode()


class _Handler(BaseHTTPRequestHandler):
    index: HostileIndex
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        try:
            self._route()
        except (TimeoutError, ConnectionError, BrokenPipeError):
            self.close_connection = True

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for key, value in {"Content-Length": str(len(body)), **(headers or {})}.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def _route(self) -> None:
        path = self.path.split("?")[0]
        base = f"http://{self.headers.get('Host', '127.0.0.1')}"
        if path.startswith("/simple/"):
            project = path[len("/simple/") :].strip("/")
            self._project(project, base)
        elif path.startswith("/files/"):
            data = self.index.file(path[len("/files/") :])
            if data is None:
                self._send(404, b"")
                return
            self._serve_file(data)
        else:
            self._send(404, b"")

    def _project(self, project: str, base: str) -> None:
        fault = project.rsplit("-", 1)[0]
        if fault not in FAULTS:
            self._send(404, b"not here")
            return
        if fault.startswith("status"):
            self._send(int(fault[6:]), b"no")
            return
        if fault == "resethead":
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Ty")
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return
        body = self.index.page(project, base)
        headers = {"Content-Type": "application/vnd.pypi.simple.v1+json"}
        if fault == "resetbody":
            self.send_response(200)
            self.send_header("Content-Length", str(len(body) * 2))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return
        if fault == "stall":
            time.sleep(STALL_SECONDS)
        if fault == "retryafter":
            self._send(429, b"later", {"Retry-After": "3600"})
            return
        if fault == "drip":
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Content-Type", headers["Content-Type"])
            self.end_headers()
            for byte in body:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(DRIP_SECONDS)
            return
        if fault == "gzipbomb":
            bomb = gzip.compress(b" " * BOMB_INFLATED, compresslevel=9)
            self._send(200, bomb, {**headers, "Content-Encoding": "gzip"})
            return
        self._send(200, body, headers)

    def _serve_file(self, data: bytes) -> None:
        spec = self.headers.get("Range", "")
        if spec.startswith("bytes="):
            start_text, _, end_text = spec[6:].partition("-")
            if not start_text:  # suffix range
                start, end = max(0, len(data) - int(end_text)), len(data) - 1
            else:
                start = int(start_text)
                end = min(int(end_text), len(data) - 1) if end_text else len(data) - 1
            part = data[start : end + 1]
            headers = {"Content-Range": f"bytes {start}-{end}/{len(data)}"}
            self._send(206, part, headers)
            return
        self._send(200, data)
