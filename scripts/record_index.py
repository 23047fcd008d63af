"""Record a slice of the real package index as fixtures for wheelfit's test index server.

For each project this fetches the PEP 691 JSON page from the live index, keeps a few
versions, and for every kept file records just enough to synthesize a small stand-in later
(tests/indexserver.py does the synthesis):

* ``pages/<normalized-name>.json`` -- the PEP 691 page trimmed to the kept files (no urls:
  the test server makes its own), plus ``"recorded": "YYYY-MM-DD"``.
* ``dists/<filename>.json`` -- for a wheel: the real ``*.dist-info/METADATA`` and ``WHEEL``
  texts and the member list, read with HTTP range requests (the wheel itself is never
  downloaded); for an sdist: the member list and the texts of ``PKG-INFO``,
  ``pyproject.toml``, ``setup.cfg`` and ``setup.py``, read from the downloaded archive in
  memory (never extracted, never executed).

Usage, from the repository root::

    python scripts/record_index.py                       # the default list below
    python scripts/record_index.py six 'pyyaml==6.0.2,newest'
    python scripts/record_index.py --out /tmp/idx 'numpy==newest:2'

A project spec is ``NAME`` (the newest 3 final releases) or ``NAME==ITEM,ITEM,...`` where an
item is a version or ``newest`` / ``newest:N`` (the newest N final releases).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import re
import sys
import tarfile
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from packaging.tags import Tag
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from wheelfit.inspect.guards import find_version_guards

INDEX = "https://pypi.org/simple/"
PEP691_JSON = "application/vnd.pypi.simple.v1+json"
USER_AGENT = "wheelfit-fixture-recorder/0.1 (+tests/data/index/README.md)"

TAIL_BYTES = 64 * 1024  # one request usually covers the whole central directory + dist-info
WHEEL_MEMBER_CAP = 2000
SDIST_MEMBER_CAP = 5000
SDIST_DOWNLOAD_CAP = 50 * 1024 * 1024
TEXT_CAP = 200 * 1024
SDIST_TEXTS = ("PKG-INFO", "pyproject.toml", "setup.cfg", "setup.py")
PAGE_FILE_KEYS = ("filename", "hashes", "requires-python", "size", "upload-time", "yanked")

FileFilter = Callable[[list[dict[str, Any]]], list[dict[str, Any]]]


# --------------------------------------------------------------------------------------
# Which projects, versions and files
# --------------------------------------------------------------------------------------


@dataclass
class Spec:
    """One project to record: which versions, which of their files, how many members."""

    name: str
    versions: list[str] = field(default_factory=list)  # versions, "newest", "newest:N"
    file_filter: FileFilter | None = None  # applied to the files of one version
    member_cap: int = WHEEL_MEMBER_CAP


def _tags(filename: str) -> frozenset[Tag]:
    return parse_wheel_filename(filename)[3]


def _cp_minor(tag: Tag) -> int:
    """3.12 -> 12 for "cp312"; -1 for anything that is not a CPython-specific tag."""
    m = re.fullmatch(r"cp3(\d+)", tag.interpreter)
    return int(m.group(1)) if m else -1


_LINUX_PLATFORM = re.compile(r"(manylinux|musllinux)\w*_(x86_64|aarch64)")


def huge_project_filter(files: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """For projects with dozens of wheels per release keep what wheelfit's images need.

    That is: CPython 3.10-3.13 (and abi3) Linux wheels for x86_64/aarch64 (glibc and musl),
    the sdist,
    and one macOS and one Windows wheel so the page still shows those platforms exist.
    Free-threaded ABIs (cp313t) are dropped: the docker-library images are not built that way.
    """
    kept: list[dict[str, Any]] = []
    mac: list[tuple[tuple[int, ...], dict[str, Any]]] = []
    win: list[tuple[tuple[int, ...], dict[str, Any]]] = []
    for f in files:
        name = f["filename"]
        if not name.endswith(".whl"):
            kept.append(f)  # the sdist
            continue
        tags = _tags(name)
        if any(t.abi.endswith("t") and t.abi.startswith("cp") for t in tags):
            continue
        minor = max(_cp_minor(t) for t in tags)
        # Prefer a wheel for a Python the images run, then the newest Python.
        rank = (1 if 10 <= minor <= 13 else 0, minor)
        platforms = {t.platform for t in tags}
        # abi3 wheels (cp36-abi3, ...) install on every later CPython: keep them too
        fits_images = 10 <= minor <= 13 or any(t.abi == "abi3" for t in tags)
        if fits_images and any(_LINUX_PLATFORM.fullmatch(p) for p in platforms):
            kept.append(f)
        elif any(p.startswith("macosx") for p in platforms):
            arm = any(p.endswith(("arm64", "universal2")) for p in platforms)
            mac.append(((*rank, int(arm)), f))
        elif any(p.startswith("win_amd64") for p in platforms):
            win.append((rank, f))
    for group in (mac, win):
        if group:
            kept.append(max(group, key=lambda item: item[0])[1])
    return kept


def torch_filter(files: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """torch: only the cp312 Linux x86_64/aarch64 and macOS wheels (each is ~100-900 MB)."""
    kept = []
    for f in files:
        if not f["filename"].endswith(".whl"):
            continue
        tags = _tags(f["filename"])
        if not any(t.interpreter == "cp312" for t in tags):
            continue
        platforms = {t.platform for t in tags}
        if any(re.fullmatch(r"manylinux\w*_(x86_64|aarch64)", p) for p in platforms) or any(
            p.startswith("macosx") for p in platforms
        ):
            kept.append(f)
    return kept


def sdists_only(files: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Only the sdists: the projects recorded for what their sources say about libraries."""
    return [f for f in files if not f["filename"].endswith(".whl")]


def cp312_wheels_only(files: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        f
        for f in files
        if f["filename"].endswith(".whl")
        and any(t.interpreter == "cp312" for t in _tags(f["filename"]))
    ]


HUGE = huge_project_filter

DEFAULT_SPECS: list[Spec] = [
    Spec("six", ["newest:2"]),
    Spec("pyyaml", ["6.0.2", "6.0.3", "5.3.1", "newest"]),
    Spec("numpy", ["1.21.0", "1.26.4", "newest"], HUGE),
    Spec("lxml", ["4.6.3", "newest"], HUGE),
    Spec("psycopg2", ["2.9.9", "2.9.10"]),
    Spec("psycopg2-binary", ["2.9.10"]),
    Spec("requests", ["2.31.0", "2.32.3", "newest"]),
    Spec("urllib3", ["1.26.20", "newest"]),
    Spec("idna", ["newest"]),
    Spec("charset-normalizer", ["newest"]),
    Spec("certifi", ["newest"]),
    Spec("pysocks", ["newest"]),
    Spec("cryptography", ["3.4.8", "41.0.7", "newest"], HUGE),
    Spec("cffi", ["newest"]),
    Spec("pycparser", ["newest"]),
    Spec("scipy", ["1.7.3", "newest"], HUGE),
    Spec("mysqlclient", ["2.2.4"]),
    Spec("uwsgi", ["2.0.24"]),
    Spec("orjson", ["newest"], HUGE),
    Spec("markupsafe", ["newest"]),
    Spec("greenlet", ["3.0.3"], HUGE),
    Spec("torch", ["newest"], torch_filter, member_cap=50),
    Spec("setuptools", ["newest"]),
    Spec("wheel", ["newest"]),
    Spec("cython", ["newest"]),
    Spec("maturin", ["newest"]),
    Spec("pywin32", ["306"]),
    Spec("tomli", ["2.0.1"]),
    Spec("jq", ["1.8.0"]),
    Spec("pyarrow", ["17.0.0"], cp312_wheels_only),
    Spec("psycopg", ["3.2.3"]),
    Spec("psycopg-binary", ["3.2.3"]),
    Spec("psycopg-c", ["3.2.3"]),
    Spec("psycopg-pool", ["newest"]),
    Spec("typing-extensions", ["newest"]),
    Spec("tzdata", ["newest"]),
    # library version guards (#error on RD_KAFKA_VERSION, LIBGIT2_VER_*) and minimums (setup.py)
    Spec(
        "confluent-kafka",
        ["2.16.1", "2.12.0", "2.11.1", "2.11.0", "2.10.0", "2.9.0", "2.1.0", "2.0.2"],
        sdists_only,
    ),
    Spec("pygit2", ["1.21.0", "1.12.0", "1.11.1"], sdists_only),
    Spec("pyproj", ["3.8.0", "3.7.0", "3.6.1"], sdists_only),
]
HUGE_PROJECTS = {"numpy", "scipy", "torch", "pyarrow", "cryptography", "lxml", "orjson", "greenlet"}


def parse_spec(text: str) -> Spec:
    name, _, versions = text.partition("==")
    items = [v.strip() for v in versions.split(",") if v.strip()] or ["newest:3"]
    defaults = {s.name: s for s in DEFAULT_SPECS}
    known = defaults.get(canonicalize_name(name))
    # A project given on the command line keeps the file filter of the default list, so
    # re-recording numpy by hand does not suddenly pull in 60 wheels per release.
    return Spec(
        canonicalize_name(name),
        items,
        known.file_filter if known else None,
        known.member_cap if known else WHEEL_MEMBER_CAP,
    )


def file_version(filename: str) -> Version | None:
    """The version a distribution filename declares, or None when it does not parse."""
    try:
        if filename.endswith(".whl"):
            return parse_wheel_filename(filename)[1]
        return parse_sdist_filename(filename)[1]
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
        return None


def choose_versions(files: list[dict[str, Any]], items: list[str]) -> list[Version]:
    available = sorted({v for f in files if (v := file_version(f["filename"])) is not None})
    # "newest" means the newest final release that still has an installable (non-yanked) file.
    live = sorted(
        {v for f in files if not f.get("yanked") and (v := file_version(f["filename"])) is not None}
    )
    finals = [v for v in live if not v.is_prerelease and not v.is_devrelease]
    chosen: list[Version] = []
    for item in items:
        if item == "newest" or item.startswith("newest:"):
            count = int(item.partition(":")[2] or 1)
            picks = finals[-count:]
        else:
            wanted = Version(item)
            picks = [v for v in available if v == wanted]
            if not picks:
                print(f"  ! version {item} has no parseable file; skipped", file=sys.stderr)
        chosen.extend(p for p in picks if p not in chosen)
    return sorted(chosen)


# --------------------------------------------------------------------------------------
# Reading remote wheels by range
# --------------------------------------------------------------------------------------


class RangeFile(io.RawIOBase):
    """A read-only, seekable view of a remote file that fetches only the bytes asked for.

    zipfile does the end-of-central-directory and central-directory parsing (including
    zip64, which torch-sized wheels need); this class turns its seeks and reads into HTTP
    range requests. The last ``TAIL_BYTES`` are fetched up front because that is where
    zipfile looks first and, since wheel builders write ``*.dist-info`` last, usually where
    METADATA lives too -- so most wheels cost a single request.
    """

    def __init__(self, session: requests.Session, url: str, size: int) -> None:
        super().__init__()
        self._session = session
        self._url = url
        self._size = size
        self._pos = 0
        self._chunks: list[tuple[int, bytes]] = []  # (offset, data) already fetched
        self.requests_made = 0
        self.bytes_fetched = 0
        self._fetch(max(0, size - TAIL_BYTES), size)

    def _fetch(self, start: int, end: int) -> bytes:
        """Bytes [start, end) -- from a fetched chunk if one covers them, else by range."""
        for off, data in self._chunks:
            if off <= start and end <= off + len(data):
                return data[start - off : end - off]
        # Read ahead a little: zipfile reads a 30-byte local header and then the member
        # data right behind it, and two requests for that would double the cost.
        fetch_end = min(self._size, max(end, start + 16 * 1024))
        resp = self._session.get(
            self._url, headers={"Range": f"bytes={start}-{fetch_end - 1}"}, timeout=60
        )
        resp.raise_for_status()
        if resp.status_code != 206:
            # Refuse rather than silently download a 900 MB torch wheel.
            raise RuntimeError(f"{self._url}: server ignored the Range header")
        self.requests_made += 1
        self.bytes_fetched += len(resp.content)
        self._chunks.append((start, resp.content))
        return resp.content[: end - start]

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def read(self, n: int = -1) -> bytes:
        end = self._size if n is None or n < 0 else min(self._size, self._pos + n)
        if self._pos >= end:
            return b""
        data = self._fetch(self._pos, end)
        self._pos += len(data)
        return data

    def readinto(self, buf: Any) -> int:
        data = self.read(len(buf))
        buf[: len(data)] = data
        return len(data)


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


def member_priority(name: str) -> int:
    """How much a member says about how a distribution builds/installs (0 = the most).

    0: the metadata files (``*.dist-info/METADATA`` etc., an sdist's top-level PKG-INFO,
    setup.py, ...); 1: build-system markers at any depth and shipped binaries; 2: sources
    in compiled languages; 3: everything else (docs, tests, pure-Python modules).
    """
    base = name.rpartition("/")[2]
    if re.fullmatch(r"[^/]+\.dist-info/(METADATA|WHEEL|RECORD|entry_points\.txt)", name) or (
        base in SDIST_TEXTS and name.removeprefix("./").count("/") <= 1
    ):
        return 0
    if base in _BUILD_MARKERS or base.endswith(_BINARY_SUFFIXES) or ".so." in base:
        return 1
    if base.endswith(_SOURCE_SUFFIXES):
        return 2
    return 3


def cap_members(entries: list[list[Any]], cap: int) -> tuple[list[list[Any]], bool]:
    """Keep at most ``cap`` entries, the most telling ones, in their archive order.

    A head-of-list cut would drop ``*.dist-info/METADATA`` (written last in a wheel), or
    keep numpy's 2500 vendored meson test cases and lose its C sources; choosing by
    ``member_priority`` keeps what tells how the thing builds.
    """
    if len(entries) <= cap:
        return entries, False
    ranked = sorted(range(len(entries)), key=lambda i: (member_priority(entries[i][0]), i))
    keep = set(ranked[:cap])
    return [e for i, e in enumerate(entries) if i in keep], True


def record_wheel(
    session: requests.Session,
    f: dict[str, Any],
    member_cap: int,
    same_version: list[tuple[dict[str, Any], zipfile.ZipInfo]],
) -> tuple[dict[str, Any], zipfile.ZipInfo | None]:
    """Record a wheel's METADATA, WHEEL and member list without downloading it."""
    raw = RangeFile(session, f["url"], f["size"])
    with zipfile.ZipFile(raw) as zf:
        infos = [i for i in zf.infolist() if not i.is_dir()]
        dist_info = [i for i in infos if re.fullmatch(r"[^/]+\.dist-info/METADATA", i.filename)]
        wheel_infos = [i for i in infos if re.fullmatch(r"[^/]+\.dist-info/WHEEL", i.filename)]
        out: dict[str, Any] = {"filename": f["filename"], "kind": "wheel"}
        meta_info = dist_info[0] if dist_info else None
        if meta_info is None:
            out["note"] = "no *.dist-info/METADATA in this wheel"
        else:
            # The central directory gives every member's CRC-32 and size for free; a
            # METADATA matching an already-recorded one of the same version is not fetched.
            twin = next(
                (
                    rec
                    for rec, info in same_version
                    if info.CRC == meta_info.CRC
                    and info.file_size == meta_info.file_size
                    and "metadata" in rec
                ),
                None,
            )
            if twin is not None:
                out["metadata_from"] = twin["filename"]
            else:
                out["metadata"] = zf.read(meta_info).decode("utf-8", "replace")
        if wheel_infos:
            out["wheel_file"] = zf.read(wheel_infos[0]).decode("utf-8", "replace")
        entries = [[i.filename, i.file_size] for i in infos]
        out["member_count"] = len(entries)
        out["members"], truncated = cap_members(entries, member_cap)
        if truncated:
            out["members_truncated"] = True
    out["range_requests"] = raw.requests_made
    print(
        f"    {f['filename']}: {raw.requests_made} range request(s),"
        f" {raw.bytes_fetched} of {f['size']} bytes",
        file=sys.stderr,
    )
    return out, meta_info


def share_member_lists(records: list[dict[str, Any]]) -> None:
    """Store a wheel's member list as a diff against a sibling wheel when that is smaller.

    Wheels of one release for different Pythons/platforms mostly carry the same files
    (numpy: ~1000 identical .py files, ~30 differently named .so files); storing each list
    in full would make the fixtures several MB. The server rebuilds the list from the diff.
    """
    full = [r for r in records if "members" in r]
    for i, rec in enumerate(full):
        best: tuple[int, dict[str, Any], list[str], list[list[Any]]] | None = None
        mine = {m[0]: m[1] for m in rec["members"]}
        for base in full[:i]:
            if "members" not in base:  # only diff against a list stored in full
                continue
            theirs = {m[0]: m[1] for m in base["members"]}
            removed = [n for n in theirs if n not in mine or mine[n] != theirs[n]]
            added = [[n, s] for n, s in mine.items() if n not in theirs or theirs[n] != s]
            cost = len(removed) + len(added)
            if best is None or cost < best[0]:
                best = (cost, base, removed, added)
        if best is not None and best[0] * 2 < len(rec["members"]):
            _, base, removed, added = best
            del rec["members"]
            rec["members_from"] = base["filename"]
            rec["members_removed"] = removed
            rec["members_added"] = added


# --------------------------------------------------------------------------------------
# Reading sdists in memory
# --------------------------------------------------------------------------------------


def record_sdist(session: requests.Session, f: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"filename": f["filename"], "kind": "sdist"}
    out["format"] = "zip" if f["filename"].endswith(".zip") else "tar.gz"
    if f["size"] > SDIST_DOWNLOAD_CAP:
        out["note"] = f"not downloaded: {f['size']} bytes is over the {SDIST_DOWNLOAD_CAP} cap"
        out["members"] = []
        return out
    resp = session.get(f["url"], timeout=300)
    resp.raise_for_status()
    data = resp.content
    entries: list[list[Any]] = []
    texts: dict[str, str] = {}
    guard_texts: dict[str, str] = {}  # C sources with a library version guard, by path
    # Members are read straight from the in-memory archive: nothing is extracted, so a
    # hostile path ("../x") or link in an sdist can do no harm.
    if out["format"] == "zip":
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = [i for i in zf.infolist() if not i.is_dir()]
            entries = [[i.filename, i.file_size] for i in infos]
            root = _sdist_root([i.filename for i in infos])
            for i in infos:
                wanted = _top_level_text(i.filename, root)
                if wanted:
                    texts[wanted] = _decode_capped(zf.read(i))
                elif _may_guard(i.filename, i.file_size, guard_texts):
                    _keep_guards(i.filename, root, zf.read(i), guard_texts)
    else:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as tf:
            members = [m for m in tf.getmembers() if m.isfile()]
            entries = [[m.name, m.size] for m in members]
            root = _sdist_root([m.name for m in members])
            for m in members:
                wanted = _top_level_text(m.name, root)
                if wanted:
                    fh = tf.extractfile(m)
                    if fh is not None:
                        texts[wanted] = _decode_capped(fh.read(TEXT_CAP + 1))
                elif _may_guard(m.name, m.size, guard_texts):
                    fh = tf.extractfile(m)
                    if fh is not None:
                        _keep_guards(m.name, root, fh.read(TEXT_CAP + 1), guard_texts)
    out["root"] = root
    out["member_count"] = len(entries)
    out["members"], truncated = cap_members(entries, SDIST_MEMBER_CAP)
    if truncated:
        out["members_truncated"] = True
    truncated_texts = [k for k, v in texts.items() if len(v.encode()) >= TEXT_CAP]
    if truncated_texts:
        out["texts_truncated"] = truncated_texts
    out["texts"] = {k: texts[k] for k in SDIST_TEXTS if k in texts} | guard_texts
    return out


_GUARDED_SUFFIXES = (".c", ".h", ".cc", ".cpp", ".cxx", ".hpp", ".hh")
MAX_GUARD_TEXTS = 10


def _may_guard(name: str, size: int, kept: dict[str, str]) -> bool:
    return (
        name.lower().endswith(_GUARDED_SUFFIXES)
        and size <= TEXT_CAP
        and len(kept) < MAX_GUARD_TEXTS
    )


def _keep_guards(name: str, root: str, data: bytes, kept: dict[str, str]) -> None:
    """Keep a C source whose `#if <version macro> ... #error` wheelfit reads (the inspection's
    own finder decides, so the fixture holds what the tests need and nothing more)."""
    rel = name.removeprefix("./")
    rel = rel[len(root) + 1 :] if root and rel.startswith(root + "/") else rel
    text = _decode_capped(data)
    if find_version_guards(rel, text):
        kept[rel] = text


def _sdist_root(names: list[str]) -> str:
    """The single top-level directory an sdist unpacks into ("" if there is none)."""
    rels = [n.removeprefix("./") for n in names]
    firsts = {r.split("/", 1)[0] for r in rels if "/" in r}
    return firsts.pop() if len(firsts) == 1 else ""


def _top_level_text(name: str, root: str) -> str | None:
    rel = name.removeprefix("./")
    if root:
        if not rel.startswith(root + "/"):
            return None
        rel = rel[len(root) + 1 :]
    return rel if rel in SDIST_TEXTS else None


def _decode_capped(data: bytes) -> str:
    return data[:TEXT_CAP].decode("utf-8", "replace")


# --------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------


def dump_json(obj: dict[str, Any]) -> str:
    """JSON with one member per line: readable in review and in git diffs, yet compact."""
    parts = []
    for key, value in obj.items():
        if key in ("members", "members_added") and value:
            body = ",\n".join("  " + json.dumps(m, ensure_ascii=False) for m in value)
            parts.append(f" {json.dumps(key)}: [\n{body}\n ]")
        else:
            parts.append(f" {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}")
    return "{\n" + ",\n".join(parts) + "\n}\n"


def record_project(session: requests.Session, spec: Spec, out_dir: Path, today: str) -> None:
    print(f"{spec.name}:", file=sys.stderr)
    resp = session.get(f"{INDEX}{spec.name}/", headers={"Accept": PEP691_JSON}, timeout=60)
    resp.raise_for_status()
    page = resp.json()
    files = page["files"]
    versions = choose_versions(files, spec.versions)
    kept_files: list[dict[str, Any]] = []
    dist_records: list[dict[str, Any]] = []
    for version in versions:
        of_version = [f for f in files if file_version(f["filename"]) == version]
        if spec.file_filter is not None:
            of_version = spec.file_filter(of_version)
        print(f"  {version}: {len(of_version)} file(s)", file=sys.stderr)
        seen: list[tuple[dict[str, Any], zipfile.ZipInfo]] = []
        version_records = []
        for f in of_version:
            if f["filename"].endswith(".whl"):
                rec, meta_info = record_wheel(session, f, spec.member_cap, seen)
                if meta_info is not None and "metadata" in rec:
                    seen.append((rec, meta_info))
            else:
                rec = record_sdist(session, f)
            rec["recorded"] = today
            version_records.append(rec)
            kept_files.append(f)
        share_member_lists([r for r in version_records if r["kind"] == "wheel"])
        dist_records.extend(version_records)

    trimmed = {
        "meta": page.get("meta", {"api-version": "1.1"}),
        "name": page.get("name", spec.name),
        "versions": [str(v) for v in versions],
        "files": [{k: f[k] for k in PAGE_FILE_KEYS if k in f} for f in kept_files],
        "recorded": today,
    }
    (out_dir / "pages").mkdir(parents=True, exist_ok=True)
    (out_dir / "dists").mkdir(parents=True, exist_ok=True)
    page_path = out_dir / "pages" / f"{canonicalize_name(spec.name)}.json"
    page_path.write_text(json.dumps(trimmed, indent=1, ensure_ascii=False) + "\n")
    for rec in dist_records:
        (out_dir / "dists" / f"{rec['filename']}.json").write_text(dump_json(rec))


def prune_dists(out_dir: Path) -> None:
    """Delete dist records no page lists any more (after re-recording with new versions)."""
    listed: set[str] = set()
    for page in (out_dir / "pages").glob("*.json"):
        listed.update(f["filename"] for f in json.loads(page.read_text())["files"])
    for path in (out_dir / "dists").glob("*.json"):
        if path.name.removesuffix(".json") not in listed:
            path.unlink()


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("tests/data/index"))
    parser.add_argument("--no-prune", action="store_true", help="keep unreferenced dist files")
    parser.add_argument("projects", nargs="*", help="NAME or NAME==VER,newest,newest:N,...")
    args = parser.parse_args(list(argv) if argv is not None else None)

    specs = [parse_spec(p) for p in args.projects] or DEFAULT_SPECS
    today = dt.date.today().isoformat()
    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    failures = []
    for spec in specs:
        try:
            record_project(session, spec, args.out, today)
        except (requests.RequestException, RuntimeError, zipfile.BadZipFile, tarfile.TarError) as e:
            print(f"  ! {spec.name}: {e}", file=sys.stderr)
            failures.append(spec.name)
    if not args.no_prune:
        prune_dists(args.out)
    if failures:
        print(f"failed: {', '.join(failures)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
