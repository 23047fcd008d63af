"""Serve 1 GiB gzip bombs (page, PEP 658 file, range answer) and a lying zip member.

    python tools/bomb_server.py 18765 &
    printf 'bomb\n' > req.txt
    /usr/bin/time -f %M wheelfit req.txt -i http://127.0.0.1:18765/page/simple/ --no-cache

The first path segment picks the bomb: ``page`` (the project page, ``Content-Encoding: gzip``
of 1 GiB), ``meta`` (its PEP 658 file), ``range`` (every range read of the wheel) or ``zip``
(a wheel whose METADATA declares 61 bytes and inflates to 1 GiB). Figures: docs/robustness.md.
"""

import hashlib
import io
import json
import sys
import zipfile
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

GIB = 1 << 30


def gz_bomb() -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(1 << 20)
    return b"".join([*(c.compress(block) for _ in range(GIB >> 20)), c.flush()])


def lying_wheel() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "bomb-1.0.dist-info/WHEEL",
            "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        )
        with z.open("bomb-1.0.dist-info/METADATA", "w") as f:
            f.write(b"Metadata-Version: 2.1\nName: bomb\nVersion: 1.0\n")
            block = b" " * (1 << 20)
            for _ in range(GIB >> 20):
                f.write(block)
        z.writestr("bomb-1.0.dist-info/RECORD", "")
    data = bytearray(buf.getvalue())
    name = b"bomb-1.0.dist-info/METADATA"
    for sig, off in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = 0
        while True:
            at = data.index(sig, at)
            n = int.from_bytes(
                data[
                    at + (26 if sig == b"PK\x03\x04" else 28) : at
                    + (28 if sig == b"PK\x03\x04" else 30)
                ],
                "little",
            )
            start = at + (30 if sig == b"PK\x03\x04" else 46)
            if bytes(data[start : start + n]) == name:
                data[at + off : at + off + 4] = (61).to_bytes(4, "little")
                break
            at += 4
    return bytes(data)


BOMB = gz_bomb()
WHEEL = lying_wheel()
print("gz", len(BOMB), "wheel", len(WHEEL), flush=True)
NAME = "bomb-1.0-py3-none-any.whl"


class H(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def send(self, code, body, headers):
        self.send_response(code)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        mode, _, rest = self.path.lstrip("/").partition("/")
        if rest.startswith("simple/bomb/"):
            if mode == "page":
                return self.send(
                    200,
                    BOMB,
                    {
                        "Content-Type": "application/vnd.pypi.simple.v1+json",
                        "Content-Encoding": "gzip",
                    },
                )
            size = len(WHEEL) if mode == "zip" else 1_000_000
            sha = hashlib.sha256(WHEEL).hexdigest() if mode == "zip" else "0" * 64
            f = {
                "filename": NAME,
                "url": f"/{mode}/files/{NAME}",
                "hashes": {"sha256": sha},
                "size": size,
            }
            if mode == "meta":
                f["core-metadata"] = {"sha256": "0" * 64}
            page = {
                "meta": {"api-version": "1.1"},
                "name": "bomb",
                "files": [f],
                "versions": ["1.0"],
            }
            return self.send(
                200,
                json.dumps(page).encode(),
                {"Content-Type": "application/vnd.pypi.simple.v1+json"},
            )
        if rest == f"files/{NAME}.metadata":
            return self.send(
                200, BOMB, {"Content-Type": "application/octet-stream", "Content-Encoding": "gzip"}
            )
        if rest == f"files/{NAME}":
            if mode == "zip":
                body, total = WHEEL, len(WHEEL)
                rng = self.headers.get("Range", "")
                if rng.startswith("bytes=") and self.command == "GET":
                    a, _, b = rng[6:].partition("-")
                    if a == "":
                        a, b = str(total - int(b)), str(total - 1)
                    a, b = int(a), min(int(b or total - 1), total - 1)
                    return self.send(
                        206,
                        body[a : b + 1],
                        {"Content-Range": f"bytes {a}-{b}/{total}", "Accept-Ranges": "bytes"},
                    )
                return self.send(200, body, {"Accept-Ranges": "bytes"})
            if self.command == "HEAD":
                return self.send(200, b"", {"Accept-Ranges": "bytes"})
            rng = self.headers.get("Range", "bytes=0-65535")[6:]
            a, _, b = rng.partition("-")
            if a == "":
                a, b = str(1000000 - int(b)), "999999"
            b = b or "999999"
            return self.send(
                206,
                BOMB,
                {
                    "Content-Encoding": "gzip",
                    "Content-Range": f"bytes {a}-{b}/1000000",
                    "Accept-Ranges": "bytes",
                },
            )
        self.send(404, b"", {})


ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
