"""Pure parsers for project pages: PEP 691 JSON and PEP 503 HTML bytes -> ProjectPage.

No I/O here. Files whose names are not a wheel or an sdist pip would consider (eggs, exe
installers, names of another project, invalid versions) are left out, as pip leaves them out.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Iterator
from datetime import datetime
from functools import lru_cache, partial
from html.parser import HTMLParser
from operator import itemgetter
from typing import Annotated, Any
from urllib.parse import urldefrag, urljoin

import msgspec
from packaging.tags import InvalidTag, Tag, parse_tag
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    NormalizedName,
    canonicalize_name,
    parse_wheel_filename,
)
from packaging.version import Version

from ..models import (
    NO_TAGS,
    DistFile,
    FileDetails,
    PackedRows,
    ReleaseDetails,
    Row,
)
from .bigbytes import Bytes
from .page import PackedReleases, ProjectPage

JSON_CONTENT_TYPE = "application/vnd.pypi.simple.v1+json"
FileFilter = Callable[[DistFile], bool]
# pip's accepted source archive endings
SDIST_EXTENSIONS = (".tar.gz", ".tgz", ".tar.bz2", ".tbz", ".tar.xz", ".txz", ".tar", ".zip")


# A large project page lists thousands of files sharing a few dozen version strings and tag
# sets; parsing each string once makes reading a page several times faster.
_SHA256_RE = re.compile(r"[0-9a-fA-F]{64}")
_cached_version = lru_cache(maxsize=65536)(Version)
_cached_tags = lru_cache(maxsize=65536)(parse_tag)
_cached_name = lru_cache(maxsize=4096)(canonicalize_name)


@lru_cache(maxsize=65536)
def _wheel_name_parts(filename: str) -> tuple[NormalizedName, Version, frozenset[Tag]]:
    name, version, _build, tags = parse_wheel_filename(filename)
    return name, version, tags


def _parse_wheel_filename(filename: str) -> tuple[NormalizedName, Version, frozenset[Tag]]:
    """parse_wheel_filename, with versions and tag sets parsed once per distinct string."""
    parts = filename[:-4].split("-")
    if len(parts) not in (5, 6):
        return _wheel_name_parts(filename)  # let packaging raise its own error
    try:
        version = _cached_version(parts[1])
    except ValueError:  # InvalidVersion, or a number too long for int()
        raise InvalidWheelFilename(filename) from None
    name = _cached_name(parts[0])
    tags = _cached_tags("-".join(parts[-3:]))
    return name, version, tags


def parse_sdist_version(filename: str, project: NormalizedName) -> Version | None:
    """The version in ``project-1.2.3.tar.gz`` style names, or None if it is not one."""
    lower = filename.lower()
    for ext in SDIST_EXTENSIONS:
        if lower.endswith(ext):
            stem = filename[: -len(ext)]
            break
    else:
        return None
    # The name part may itself contain dashes: try every split, as pip does with the
    # canonical name it is looking for.
    for index in range(len(stem) - 1, 0, -1):
        if stem[index] == "-" and canonicalize_name(stem[:index]) == project:
            try:
                return _cached_version(stem[index + 1 :])
            except ValueError:  # InvalidVersion, or a number too long for int()
                return None
    return None


def listed_version(filename: str, project: NormalizedName) -> Version | None:
    """The version a file name claims for ``project``, or None when pip would not consider
    the name; cheap, for every file of a page: whether the whole name (its tags) parses is
    checked when the file is made (make_dist_file)."""
    if filename.endswith(".whl"):
        parts = filename[:-4].split("-")
        if len(parts) not in (5, 6) or _cached_name(parts[0]) != project:
            return None
        try:
            return _cached_version(parts[1])
        except ValueError:  # InvalidVersion, or a number too long for int()
            return None
    return parse_sdist_version(filename, project)


def make_dist_file(
    filename: str,
    url: str,
    project: NormalizedName,
    *,
    sha256: str | None = None,
    requires_python: str | None = None,
    yanked: bool | str = False,
    size: int | None = None,
    upload_time: str | None = None,
    metadata: bool | dict[str, str] | None = None,
) -> DistFile | None:
    """The file, or None when pip would not consider a file of that name."""
    row = (filename, url, sha256, requires_python, yanked, size, upload_time, metadata, 0)
    return _light_file(project, row, _details(row))


def _light_file(
    project: NormalizedName, row: Row, details: FileDetails | ReleaseDetails, index: int = 0
) -> DistFile | None:
    """A row's file with the given details, or None when pip would not consider its name."""
    filename: str = row[0]  # type: ignore[assignment]
    try:
        if filename.endswith(".whl"):
            name, version, tags = _parse_wheel_filename(filename)
            if name != project:
                return None
            is_wheel = True
        else:
            parsed = parse_sdist_version(filename, project)
            if parsed is None:
                return None
            version, tags, is_wheel = parsed, NO_TAGS, False
    except (InvalidWheelFilename, InvalidSdistFilename, ValueError, InvalidTag):
        # pip ignores files whose names it cannot read; ValueError: InvalidVersion, or a
        # number of more than 4,300 digits in the version
        return None
    requires_python: str | None = row[3]  # type: ignore[assignment]
    yanked = row[4]
    return DistFile(
        project,
        version,
        is_wheel,
        details,
        index=index,
        tags=frozenset(tags) if tags else NO_TAGS,
        # a project repeats a few Requires-Python strings over thousands of files
        requires_python=sys.intern(requires_python.strip()) if requires_python else None,
        yanked=bool(yanked) or yanked == "",
    )


def _details(row: Row) -> FileDetails:
    """A row's FileDetails; the row's hashes are checked here (see _PageRows)."""
    filename, url, sha256, _, yanked, size, upload_time, metadata, _ = row
    if isinstance(metadata, str):  # a sha256 not yet checked
        metadata = _metadata({"sha256": metadata})
    return FileDetails(
        filename,  # type: ignore[arg-type]
        url,  # type: ignore[arg-type]
        size,  # type: ignore[arg-type]
        _valid_sha256(sha256),  # type: ignore[arg-type]
        upload_time,  # type: ignore[arg-type]
        bool(metadata),
        metadata.get("sha256") if isinstance(metadata, dict) else None,
        yanked if isinstance(yanked, str) and yanked else None,
    )


class _PageRows:
    """A page's files grouped by the version their names claim, each with its position on
    the page, as the JSON parser decoded them (_JsonFile): a page's files are packed as
    msgspec encodes them, without a tuple made per file (the HTML and lenient parsers make
    the structs). Rows (see _row) are made when a release is read."""

    def __init__(self, project: NormalizedName) -> None:
        self.project = project
        self.by_version: dict[Version, tuple[list[_JsonFile], list[int]]] = {}

    def add_file(self, entry: _JsonFile, position: int) -> None:
        """One file as decoded, its URL already absolute."""
        version = listed_version(entry.filename, self.project)
        if version is None:
            return
        release = self.by_version.get(version)
        if release is None:
            release = self.by_version[version] = ([], [])
        release[0].append(entry)
        release[1].append(position)

    def add(
        self,
        filename: str,
        url: str,
        sha256: str | None,
        requires_python: str | None,
        yanked: bool | str,
        size: int | None,
        upload_time: str | None,
        metadata: bool | dict[str, str] | None,
        position: int,
    ) -> None:
        """One file read value by value (HTML, a lenient read of JSON)."""
        entry = _JsonFile(
            filename=filename,
            url=url,
            hashes=_Hashes(sha256),
            requires_python=requires_python,
            yanked=yanked,
            size=size if size is None or size <= MAX_SIZE else None,
            upload_time=upload_time,
            core_metadata=_Hashes(metadata["sha256"]) if isinstance(metadata, dict) else metadata,
        )
        self.add_file(entry, position)

    def page(self, keep: FileFilter | None) -> ProjectPage:
        """The page, its files packed in runs of releases; with ``keep``, the files it keeps
        (made at once: the filter reads their upload times)."""
        make = partial(_light_file, self.project)
        if keep is not None:
            releases = self.by_version.values()
            pairs = (pair for files, ats in releases for pair in zip(files, ats, strict=True))
            rows = sorted((_row(entry, at) for entry, at in pairs), key=itemgetter(-1))
            made = (make(row, _details(row)) for row in rows)
            return ProjectPage(self.project, [d for d in made if d is not None and keep(d)])
        at: dict[Version, tuple[PackedRows, int]] = {}
        for versions, packed in self.runs():
            for index, version in enumerate(versions):
                at[version] = (packed, index)
        return ProjectPage(self.project, releases=[PackedReleases(at, make, _details)])

    def runs(self) -> Iterator[tuple[list[Version], PackedRows]]:
        """The releases packed in runs of about PACKED_RUN_ROWS files, in the page's order."""
        versions: list[Version] = []
        releases: list[bytes] = []
        size = 0
        for version, release in self.by_version.items():
            versions.append(version)
            releases.append(_RELEASE_ENCODER.encode(release))
            size += len(release[0])
            if size >= PACKED_RUN_ROWS:
                yield versions, PackedRows(releases, _decode_release)
                versions, releases, size = [], [], 0
        if releases:
            yield versions, PackedRows(releases, _decode_release)


# Releases are packed in runs of about this many files: reading one release inflates its run,
# not the whole page (a page of 20,000 files was inflated once per release looked at, 8% of
# an offline run), while the compressor's set-up cost stays small next to a run.
PACKED_RUN_ROWS = 512


# A page's values are checked for their type where they are read: a hostile index may send a
# size as a string or a hash as a number, which must read as "not given", never crash a
# later stage. The HTML form only ever has strings.


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _size(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _sha256(hashes: object) -> str | None:
    value = hashes.get("sha256") if isinstance(hashes, dict) else None
    return _valid_sha256(value if isinstance(value, str) else None)


def _valid_sha256(value: str | None) -> str | None:
    return value if value is not None and _SHA256_RE.fullmatch(value) else None


def _metadata(value: object) -> bool | dict[str, str] | None:
    """PEP 658/714's value: a bool, or hashes (their sha256 kept when it is valid)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, dict):
        return {"sha256": sha} if (sha := _sha256(value)) else True
    return None


class _Hashes(msgspec.Struct, frozen=True):
    sha256: str | None = None


# msgpack (the packed form of a page's files) holds no integer beyond 64 bits: a size no
# file has reads as not given, as a negative one does
MAX_SIZE = 2**63 - 1


class _JsonFile(msgspec.Struct, rename="kebab", gc=False):
    """One file of a PEP 691 page, as a well-formed page types it; other keys are ignored."""

    filename: str
    url: str
    hashes: _Hashes = _Hashes()
    requires_python: str | None = None
    yanked: bool | str = False
    size: Annotated[int, msgspec.Meta(ge=0, le=MAX_SIZE)] | None = None
    upload_time: str | None = None
    core_metadata: bool | _Hashes | msgspec.UnsetType | None = msgspec.UNSET
    dist_info_metadata: bool | _Hashes | None = None


class _JsonPage(msgspec.Struct, gc=False):
    files: list[_JsonFile] = []


# msgspec decodes a page straight into typed values, about 3 times faster than json.loads
# into dicts that are then checked key by key (docs/design.md has the figures)
_PAGE_DECODER = msgspec.json.Decoder(_JsonPage)
# a release packed: its files and their positions on the page
_RELEASE_ENCODER = msgspec.msgpack.Encoder()
_RELEASE_DECODER = msgspec.msgpack.Decoder(tuple[list[_JsonFile], list[int]])


def _decode_release(data: memoryview) -> list[Row]:
    files, positions = _RELEASE_DECODER.decode(data)
    return [_row(entry, position) for entry, position in zip(files, positions, strict=True)]


def _row(entry: _JsonFile, position: int) -> Row:
    """(filename, url, sha256, requires-python, yanked, size, upload time, metadata,
    position), the metadata a bool, None or its sha256 not yet checked."""
    given = entry.core_metadata
    if given is msgspec.UNSET:  # PEP 714 renamed dist-info-metadata to core-metadata
        given = entry.dist_info_metadata
    metadata: bool | str | None
    if isinstance(given, _Hashes):
        metadata = given.sha256 if given.sha256 is not None else True
    else:
        metadata = given
    return (
        entry.filename,
        entry.url,
        entry.hashes.sha256,
        entry.requires_python,
        entry.yanked,
        entry.size,
        entry.upload_time,
        metadata,
        position,
    )


def parse_json_page(
    body: Bytes, page_url: str, project: str, keep: FileFilter | None = None
) -> ProjectPage:
    """A PEP 691 JSON project page.

    A page that does not fit the types above (a size given as a string, a hash as a number,
    not UTF-8) is read again leniently, value by value, with the same answers for what fits.
    """
    rows = _typed_rows(body, page_url, project)
    if rows is None:
        return _parse_json_page_leniently(body, page_url, project, keep)
    return rows.page(keep)


def _typed_rows(body: Bytes, page_url: str, project: str) -> _PageRows | None:
    """A PEP 691 page's files, or None when it does not fit the types (read leniently)."""
    try:
        page = _PAGE_DECODER.decode(body)
    except msgspec.MsgspecError:
        return None
    rows = _PageRows(canonicalize_name(project))
    for position, entry in enumerate(page.files):
        url = entry.url
        if not entry.filename or not url:
            continue
        if not url.startswith(("https://", "http://")):
            entry.url = urljoin(page_url, url)
        rows.add_file(entry, position)
    return rows


# A page packed by one process for another: the worker process packs each page the pages'
# child has stored, and the client takes the packed runs as they are (index/children.py).
# Each run: its versions as strings, where each release ends, the compressed rows.
PackedRun = tuple[list[str], list[int], bytes]
_PACKED_PAGE_ENCODER = msgspec.msgpack.Encoder()
_PACKED_PAGE_DECODER = msgspec.msgpack.Decoder(list[PackedRun])


def pack_page(body: Bytes, content_type: str, page_url: str, project: str) -> bytes | None:
    """A well-formed PEP 691 page in the form ``unpack_page`` reads; None for any other page
    (HTML, values of other types, not a page), which its reader parses itself."""
    if content_type.split(";")[0].strip().lower() != JSON_CONTENT_TYPE:
        return None
    rows = _typed_rows(body, page_url, project)
    if rows is None:
        return None
    runs: list[PackedRun] = []
    for versions, packed in rows.runs():
        blob, ends = packed.parts()
        runs.append(([str(v) for v in versions], ends, blob))
    return _PACKED_PAGE_ENCODER.encode(runs)


def unpack_page(data: bytes, project: NormalizedName) -> ProjectPage:
    """The page ``pack_page`` packed, as parse_page reads it; ValueError when ``data`` is not
    such a page."""
    try:
        runs = _PACKED_PAGE_DECODER.decode(data)
    except msgspec.MsgspecError as exc:
        raise ValueError(f"not a packed page: {exc}") from None
    at: dict[Version, tuple[PackedRows, int]] = {}
    for versions, ends, blob in runs:
        packed = PackedRows.compressed(blob, ends, _decode_release)
        for index, version in enumerate(versions):
            at[_cached_version(version)] = (packed, index)
    make = partial(_light_file, project)
    return ProjectPage(project, releases=[PackedReleases(at, make, _details)])


def _parse_json_page_leniently(
    body: Bytes, page_url: str, project: str, keep: FileFilter | None = None
) -> ProjectPage:
    """A page whose values may be of any type: each is checked where it is read."""
    document: dict[str, Any] = json.loads(bytes(body))
    rows = _PageRows(canonicalize_name(project))
    for position, entry in enumerate(document.get("files", [])):
        if not isinstance(entry, dict):
            continue
        filename = entry.get("filename")
        url = entry.get("url")
        if not filename or not url or not isinstance(filename, str) or not isinstance(url, str):
            continue
        yanked = entry.get("yanked", False)
        if yanked is not False and not isinstance(yanked, (bool, str)):
            yanked = True
        # PEP 714 renamed dist-info-metadata to core-metadata; indexes may send either.
        metadata = entry.get("core-metadata", entry.get("dist-info-metadata"))
        rows.add(
            filename,
            url if url.startswith(("https://", "http://")) else urljoin(page_url, url),
            _sha256(entry.get("hashes")),
            _text(entry.get("requires-python")),
            yanked,
            _size(entry.get("size")),
            _text(entry.get("upload-time")),
            _metadata(metadata),
            position,
        )
    return rows.page(keep)


class _AnchorCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.anchors: list[dict[str, str | None]] = []
        self.base: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.anchors.append(dict(attrs))
        elif tag == "base" and self.base is None:
            self.base = dict(attrs).get("href")


def parse_html_page(
    body: Bytes, page_url: str, project: str, keep: FileFilter | None = None
) -> ProjectPage:
    """A PEP 503 HTML project page (with PEP 592 yanks and PEP 658/714 metadata)."""
    collector = _AnchorCollector()
    collector.feed(str(body, "utf-8", errors="replace"))
    base = urljoin(page_url, collector.base) if collector.base else page_url
    rows = _PageRows(canonicalize_name(project))
    for position, attrs in enumerate(collector.anchors):
        href = attrs.get("href")
        if not href:
            continue
        url, fragment = urldefrag(urljoin(base, href))
        filename = url.rsplit("/", 1)[-1]
        sha256 = _sha256(dict([fragment.split("=", 1)])) if fragment.startswith("sha256=") else None
        yanked: bool | str = False
        if "data-yanked" in attrs:
            yanked = attrs["data-yanked"] or True
        metadata_attr = attrs.get("data-core-metadata", attrs.get("data-dist-info-metadata"))
        metadata: bool | dict[str, str] | None = None
        if metadata_attr is not None:
            if metadata_attr.startswith("sha256="):
                metadata = _metadata({"sha256": metadata_attr.split("=", 1)[1]})
            else:
                metadata = metadata_attr != "false"
        rows.add(
            filename,
            url,
            sha256,
            attrs.get("data-requires-python"),
            yanked,
            None,
            None,
            metadata,
            position,
        )
    return rows.page(keep)


def parse_page(
    body: Bytes,
    content_type: str,
    page_url: str,
    project: str,
    keep: FileFilter | None = None,
) -> ProjectPage:
    """The page's files; ``keep`` leaves out files before their details are packed."""
    if content_type.split(";")[0].strip().lower() == JSON_CONTENT_TYPE:
        return parse_json_page(body, page_url, project, keep)
    return parse_html_page(body, page_url, project, keep)


def parse_project_page(
    body: Bytes, content_type: str, url: str, name: NormalizedName, cutoff: datetime | None
) -> ProjectPage | None:
    """The page's files (uploaded by ``cutoff``, when given), or None when its body is not a
    valid JSON or HTML project page."""
    keep = None if cutoff is None else (lambda dist: _uploaded_before(dist, cutoff))
    try:
        return parse_page(body, content_type, url, name, keep)
    except (ValueError, TypeError, AttributeError, KeyError, RecursionError):
        return None


def _uploaded_before(dist: DistFile, cutoff: datetime) -> bool:
    # A file the index gives no upload time for cannot be proven old enough: uv drops it too.
    if not dist.upload_time:
        return False
    try:
        uploaded = datetime.fromisoformat(dist.upload_time.replace("Z", "+00:00"))
    except ValueError:
        return False
    return uploaded <= cutoff
