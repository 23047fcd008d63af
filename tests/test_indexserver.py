"""Tests of the local test index itself (tests/indexserver.py and its fixtures).

wheelfit's own tests trust this server to behave like the real index; these pin down the
behaviours they rely on: content negotiation, redirects, caching, ranges, hashes, PEP 658,
and the fault-injection prefixes.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import tarfile
import time
import zipfile
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import requests
from indexserver import (
    OFFERS,
    SIMPLE_HTML,
    SIMPLE_JSON,
    TEXT_HTML,
    IndexServer,
    Unsatisfiable,
    choose_content_type,
    load_record,
    parse_range,
)

FIXTURES = Path(__file__).parent / "data" / "index"
DISTS = FIXTURES / "dists"
SIX_WHEEL = "six-1.17.0-py2.py3-none-any.whl"
SIX_SDIST = "six-1.17.0.tar.gz"


@pytest.fixture(scope="module")
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


@pytest.fixture(autouse=True)
def _no_server_errors(index_server: IndexServer) -> Iterator[None]:
    """Every test also asserts the server raised nothing unexpected while serving it."""
    before = len(index_server.errors)
    index_server.reset()
    yield
    assert index_server.errors[before:] == []


def get_json(http: requests.Session, url: str) -> dict[str, Any]:
    resp = http.get(url, headers={"Accept": SIMPLE_JSON})
    assert resp.status_code == 200, resp.text
    assert resp.headers["Content-Type"] == SIMPLE_JSON
    data: dict[str, Any] = resp.json()
    return data


class LinkParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[dict[str, str | None], str]] = []
        self._attrs: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._attrs = dict(attrs)

    def handle_data(self, data: str) -> None:
        if self._attrs is not None:
            self.links.append((self._attrs, data))
            self._attrs = None


def parse_links(text: str) -> dict[str, dict[str, str | None]]:
    parser = LinkParser()
    parser.feed(text)
    return {name: attrs for attrs, name in parser.links}


# -- content negotiation --------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, TEXT_HTML),
        ("", TEXT_HTML),
        ("*/*", TEXT_HTML),
        ("text/html", TEXT_HTML),
        (SIMPLE_JSON, SIMPLE_JSON),
        (SIMPLE_HTML, SIMPLE_HTML),
        # pip's header: JSON preferred, HTML as fallbacks.
        (f"{SIMPLE_JSON}, {SIMPLE_HTML};q=0.1, text/html;q=0.01", SIMPLE_JSON),
        (f"text/html;q=0.9, {SIMPLE_JSON}", SIMPLE_JSON),
        (f"{SIMPLE_JSON};q=0.2, text/html;q=0.5", TEXT_HTML),
        # Ties go to PyPI's offer order (HTML first).
        (f"{SIMPLE_JSON}, text/html", TEXT_HTML),
        # The most specific range decides: text/html is refused, */* lets the rest in.
        ("text/*;q=0, */*", SIMPLE_HTML),
        (f"application/*;q=0.3, {SIMPLE_HTML};q=0.2", SIMPLE_JSON),
        ("application/json", None),
        (f"{SIMPLE_JSON};q=0", None),
        ("image/png, text/plain", None),
    ],
)
def test_choose_content_type(accept: str | None, expected: str | None) -> None:
    assert choose_content_type(accept) == expected


@pytest.mark.parametrize("accept", ["*/*", SIMPLE_JSON, SIMPLE_HTML, "text/html"])
def test_project_page_content_type_follows_accept(
    http: requests.Session, index_url: str, accept: str
) -> None:
    resp = http.get(f"{index_url}six/", headers={"Accept": accept})
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == choose_content_type(accept)
    assert resp.headers["Vary"] == "Accept"
    assert resp.headers["Cache-Control"] == "max-age=600, public"
    if resp.headers["Content-Type"] == SIMPLE_JSON:
        assert resp.json()["name"] == "six"
    else:
        assert SIX_WHEEL in parse_links(resp.text)


def test_nothing_acceptable_is_406(http: requests.Session, index_url: str) -> None:
    resp = http.get(f"{index_url}six/", headers={"Accept": "application/json"})
    assert resp.status_code == 406
    assert all(offer in resp.text for offer in OFFERS)


def test_project_list(http: requests.Session, index_url: str) -> None:
    data = get_json(http, index_url)
    names = {p["name"] for p in data["projects"]}
    assert {"numpy", "pyyaml", "six", "torch", "psycopg2-binary"} <= names
    assert data["meta"]["api-version"].startswith("1.")
    html_resp = http.get(index_url, headers={"Accept": "text/html"})
    links = parse_links(html_resp.text)
    assert links["six"]["href"] == "/simple/six/"


# -- pages and files ------------------------------------------------------------------


def test_json_page_matches_served_files(
    http: requests.Session, index_server: IndexServer, index_url: str
) -> None:
    page = get_json(http, f"{index_url}pyyaml/")
    by_name = {f["filename"]: f for f in page["files"]}
    # 5.3.1 was recorded because it has no Linux wheel: only an sdist (plus Windows wheels).
    assert "PyYAML-5.3.1.tar.gz" in by_name
    assert not any("5.3.1" in n and "linux" in n for n in by_name)
    assert {"5.3.1", "6.0.2", "6.0.3"} <= set(page["versions"])
    for filename in ("PyYAML-5.3.1.tar.gz", "pyyaml-6.0.2.tar.gz", next(iter(by_name))):
        f = by_name[filename]
        assert f["url"] == f"{index_server.url}/files/{filename}"
        body = http.get(f["url"]).content
        assert len(body) == f["size"]
        assert hashlib.sha256(body).hexdigest() == f["hashes"]["sha256"]
        assert set(f) >= {"requires-python", "yanked", "upload-time"}
        assert "core-metadata" not in f  # only under /pep658/


def test_html_page_attributes(http: requests.Session, index_server: IndexServer) -> None:
    resp = http.get(f"{index_server.url}/simple/numpy/", headers={"Accept": "text/html"})
    assert resp.headers["Content-Type"] == "text/html"
    assert 'data-requires-python="&gt;=' in resp.text  # escaped in the markup
    links = parse_links(resp.text)
    page = get_json(http, f"{index_server.url}/simple/numpy/")
    assert set(links) == {f["filename"] for f in page["files"]}
    for f in page["files"]:
        attrs = links[f["filename"]]
        assert attrs["href"] == f"{f['url']}#sha256={f['hashes']['sha256']}"
        assert attrs.get("data-requires-python") == f["requires-python"]
        assert "data-core-metadata" not in attrs


def test_yanked_and_requires_python_of_added_project(
    http: requests.Session, index_server: IndexServer, index_url: str
) -> None:
    index_server.add_project(
        "Demo_Pkg",
        [
            {"filename": "demo_pkg-1.0-py3-none-any.whl", "requires_python": ">=3.8,<4"},
            {"filename": "demo_pkg-1.1-py3-none-any.whl", "yanked": "broken <build>"},
            {"filename": "demo_pkg-1.2.tar.gz", "yanked": True, "members": ["src/demo.c"]},
        ],
    )
    try:
        page = get_json(http, f"{index_url}demo-pkg/")
        assert page["versions"] == ["1.0", "1.1", "1.2"]
        yanked = {f["filename"]: f["yanked"] for f in page["files"]}
        assert yanked == {
            "demo_pkg-1.0-py3-none-any.whl": False,
            "demo_pkg-1.1-py3-none-any.whl": "broken <build>",
            "demo_pkg-1.2.tar.gz": True,
        }
        html_text = http.get(f"{index_url}demo-pkg/").text
        assert 'data-yanked="broken &lt;build&gt;"' in html_text
        assert 'data-requires-python="&gt;=3.8,&lt;4"' in html_text
        links = parse_links(html_text)
        assert links["demo_pkg-1.2.tar.gz"]["data-yanked"] == ""
        assert "data-yanked" not in links["demo_pkg-1.0-py3-none-any.whl"]

        with zipfile.ZipFile(io.BytesIO(http.get(page["files"][0]["url"]).content)) as wheel:
            meta = wheel.read("demo_pkg-1.0.dist-info/METADATA").decode()
        assert "Requires-Python: >=3.8,<4" in meta
        sdist_bytes = http.get(page["files"][2]["url"]).content
        with tarfile.open(fileobj=io.BytesIO(sdist_bytes)) as sdist:
            names = set(sdist.getnames())
        assert names == {"demo_pkg-1.2/src/demo.c", "demo_pkg-1.2/PKG-INFO"}
    finally:
        index_server.remove_project("demo-pkg")
    assert http.get(f"{index_url}demo-pkg/").status_code == 404


def test_synthesized_wheel_is_a_valid_wheel(index_server: IndexServer) -> None:
    filename = "numpy-1.26.4-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
    record = load_record(DISTS, filename)
    zf = zipfile.ZipFile(io.BytesIO(index_server.file_bytes(filename)))
    names = zf.namelist()
    assert zf.testzip() is None
    assert zf.read("numpy-1.26.4.dist-info/METADATA").decode() == record["metadata"]
    wheel_file = zf.read("numpy-1.26.4.dist-info/WHEEL").decode()
    assert "Wheel-Version: 1.0" in wheel_file
    assert "Tag: cp312-cp312-manylinux_2_17_x86_64" in wheel_file
    recorded = {m[0] for m in record["members"]}
    assert set(names) <= recorded
    # What was left out to stay small is reported, and nothing else is missing.
    assert set(names) | set(index_server.omitted_members(filename)) == recorded
    assert any(n.endswith(".so") for n in names)  # binaries are kept before .py files
    # RECORD lists every other member with its real hash, as installers check.
    rows = [line.split(",") for line in zf.read("numpy-1.26.4.dist-info/RECORD").decode().split()]
    assert {r[0] for r in rows} == set(names)
    for name, digest, size in rows:
        if name.endswith("RECORD"):
            continue
        data = zf.read(name)
        raw = hashlib.sha256(data).digest()
        assert digest == "sha256=" + base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
        assert int(size) == len(data)


def test_synthesized_sdist_carries_recorded_texts(index_server: IndexServer) -> None:
    record = load_record(DISTS, "psycopg2-2.9.10.tar.gz")
    data = index_server.file_bytes("psycopg2-2.9.10.tar.gz")
    with tarfile.open(fileobj=io.BytesIO(data)) as tf:
        for name, text in record["texts"].items():
            member = tf.extractfile(f"{record['root']}/{name}")
            assert member is not None
            assert member.read().decode() == text
        assert {m.name for m in tf.getmembers()} == {m[0] for m in record["members"]}
    assert "setup.py" in record["texts"]


def test_zip_sdist_is_a_zip(index_server: IndexServer) -> None:
    zf = zipfile.ZipFile(io.BytesIO(index_server.file_bytes("numpy-1.21.0.zip")))
    pkg_info = zf.read("numpy-1.21.0/PKG-INFO").decode()
    assert "Version: 1.21.0" in pkg_info


def test_synthesis_is_deterministic_and_small(index_server: IndexServer) -> None:
    fresh = IndexServer(FIXTURES)  # not started: synthesis needs no socket
    for filename in (SIX_WHEEL, SIX_SDIST, "scipy-1.7.3.tar.gz", "numpy-1.21.0.zip"):
        assert fresh.file_bytes(filename) == index_server.file_bytes(filename)
        assert len(fresh.file_bytes(filename)) <= 200 * 1024


def test_torch_member_list_is_capped() -> None:
    record = load_record(DISTS, "torch-2.15.0-cp312-cp312-manylinux_2_28_x86_64.whl")
    assert len(record["members"]) <= 50
    assert record["members_truncated"] is True
    assert record["member_count"] > 1000
    assert "Name: torch" in record["metadata"]


def test_every_recorded_file_has_a_usable_record() -> None:
    """Fixture integrity: pages and dist records agree, wheels resolve to a METADATA."""
    for page_path in (FIXTURES / "pages").glob("*.json"):
        page = json.loads(page_path.read_text())
        assert "recorded" in page
        for f in page["files"]:
            assert "url" not in f
            record = load_record(DISTS, f["filename"])
            assert record.get("kind") in {"wheel", "sdist"}, f["filename"]
            if record["kind"] == "wheel":
                assert "Metadata-Version:" in record.get("metadata", ""), f["filename"]
            elif "note" not in record:
                assert "PKG-INFO" in record["texts"], f["filename"]


# -- ranges ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-9", (0, 9)),
        ("bytes=5-", (5, 99)),
        ("bytes=-10", (90, 99)),
        ("bytes=-1000", (0, 99)),
        ("bytes=90-1000", (90, 99)),
        ("bytes=99-99", (99, 99)),
        (None, None),
        ("bytes=9-1", None),  # invalid: ignored, whole body
        ("bytes=0-1,5-6", None),  # multiple ranges: not supported, whole body
        ("items=0-1", None),
        ("bytes=-", None),
    ],
)
def test_parse_range(header: str | None, expected: tuple[int, int] | None) -> None:
    assert parse_range(header, 100) == expected


@pytest.mark.parametrize("header", ["bytes=100-", "bytes=100-200", "bytes=-0"])
def test_parse_range_unsatisfiable(header: str) -> None:
    with pytest.raises(Unsatisfiable):
        parse_range(header, 100)


def test_range_requests(http: requests.Session, index_server: IndexServer) -> None:
    url = index_server.file_url(SIX_WHEEL)
    full = index_server.file_bytes(SIX_WHEEL)
    size = len(full)

    whole = http.get(url)
    assert whole.status_code == 200
    assert whole.headers["Accept-Ranges"] == "bytes"
    assert whole.content == full

    cases = {
        "bytes=0-9": (0, 9),
        "bytes=10-": (10, size - 1),
        "bytes=-22": (size - 22, size - 1),
        f"bytes={size - 5}-{size + 100}": (size - 5, size - 1),
    }
    for header, (first, last) in cases.items():
        resp = http.get(url, headers={"Range": header})
        assert resp.status_code == 206, header
        assert resp.headers["Content-Range"] == f"bytes {first}-{last}/{size}"
        assert resp.content == full[first : last + 1]
        assert int(resp.headers["Content-Length"]) == last - first + 1

    for header in (f"bytes={size}-", "bytes=-0"):
        resp = http.get(url, headers={"Range": header})
        assert resp.status_code == 416
        assert resp.headers["Content-Range"] == f"bytes */{size}"

    # A stale If-Range means "send me the whole thing".
    resp = http.get(url, headers={"Range": "bytes=0-9", "If-Range": '"stale"'})
    assert resp.status_code == 200
    assert resp.content == full


def test_head(http: requests.Session, index_server: IndexServer) -> None:
    url = index_server.file_url(SIX_SDIST)
    resp = http.head(url)
    assert resp.status_code == 200
    assert resp.content == b""
    assert int(resp.headers["Content-Length"]) == len(index_server.file_bytes(SIX_SDIST))
    resp = http.head(url, headers={"Range": "bytes=-10"})
    assert resp.status_code == 206
    assert resp.headers["Content-Length"] == "10"


def test_norange_prefix_ignores_range(http: requests.Session, index_server: IndexServer) -> None:
    resp = http.get(index_server.file_url(SIX_WHEEL, "/norange"), headers={"Range": "bytes=0-9"})
    assert resp.status_code == 200
    assert resp.content == index_server.file_bytes(SIX_WHEEL)
    assert "Accept-Ranges" not in resp.headers


def test_request_log_shows_range_only_access(
    http: requests.Session, index_server: IndexServer
) -> None:
    """The kind of assertion wheelfit's tests make: a wheel was only read by ranges."""
    url = index_server.file_url(SIX_WHEEL)
    for header in ("bytes=-4096", "bytes=0-29"):
        http.get(url, headers={"Range": header})
    hits = [r for r in index_server.requests if r[1] == f"/files/{SIX_WHEEL}"]
    assert [r[0] for r in hits] == ["GET", "GET"]
    assert all("Range" in r[2] for r in hits)


# -- PEP 658 ----------------------------------------------------------------------------


def test_pep658_prefix(http: requests.Session, index_server: IndexServer) -> None:
    base = f"{index_server.url}/pep658/simple/six/"
    page = get_json(http, base)
    wheel = next(f for f in page["files"] if f["filename"] == SIX_WHEEL)
    sdist = next(f for f in page["files"] if f["filename"] == SIX_SDIST)
    assert wheel["url"] == index_server.file_url(SIX_WHEEL, "/pep658")
    assert sdist["core-metadata"] is False

    meta = http.get(wheel["url"] + ".metadata")
    assert meta.status_code == 200
    assert hashlib.sha256(meta.content).hexdigest() == wheel["core-metadata"]["sha256"]
    assert wheel["dist-info-metadata"] == wheel["core-metadata"]
    # The metadata file is exactly the METADATA inside the wheel.
    zf = zipfile.ZipFile(io.BytesIO(http.get(wheel["url"]).content))
    assert zf.read("six-1.17.0.dist-info/METADATA") == meta.content

    links = parse_links(http.get(base, headers={"Accept": "text/html"}).text)
    digest = f"sha256={wheel['core-metadata']['sha256']}"
    assert links[SIX_WHEEL]["data-core-metadata"] == digest
    assert links[SIX_WHEEL]["data-dist-info-metadata"] == digest
    assert "data-core-metadata" not in links[SIX_SDIST]

    assert http.get(index_server.file_url(SIX_WHEEL) + ".metadata").status_code == 404
    assert http.get(index_server.file_url(SIX_SDIST, "/pep658") + ".metadata").status_code == 404


# -- redirects, 404, caching ------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "location"),
    [
        ("/simple/PyYAML/", "/simple/pyyaml/"),
        ("/simple/typing_extensions/", "/simple/typing-extensions/"),
        ("/simple/six", "/simple/six/"),
        ("/simple", "/simple/"),
        ("/pep658/simple/Psycopg2.Binary/", "/pep658/simple/psycopg2-binary/"),
    ],
)
def test_non_normalized_names_redirect(
    http: requests.Session, index_server: IndexServer, path: str, location: str
) -> None:
    resp = http.get(index_server.url + path, allow_redirects=False)
    assert resp.status_code == 301
    assert resp.headers["Location"] == location
    followed = http.get(index_server.url + path, headers={"Accept": SIMPLE_JSON})
    assert followed.status_code == 200


def test_unknown_things_are_404(http: requests.Session, index_server: IndexServer) -> None:
    for path in (
        "/simple/no-such-project/",
        "/simple/No_Such_Project/",
        "/files/x-1.0.tar.gz",
        "/",
    ):
        assert http.get(index_server.url + path, allow_redirects=False).status_code == 404


def test_etag_revalidation(
    http: requests.Session, index_url: str, index_server: IndexServer
) -> None:
    url = f"{index_url}requests/"
    first = http.get(url, headers={"Accept": SIMPLE_JSON})
    etag = first.headers["ETag"]
    again = http.get(url, headers={"Accept": SIMPLE_JSON, "If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["ETag"] == etag
    # The HTML representation is a different entity with its own tag.
    html_resp = http.get(url, headers={"Accept": "text/html", "If-None-Match": etag})
    assert html_resp.status_code == 200
    assert html_resp.headers["ETag"] != etag
    weak = http.get(url, headers={"Accept": SIMPLE_JSON, "If-None-Match": f'"x", W/{etag}'})
    assert weak.status_code == 304
    revalidations = [r for r in index_server.requests if "If-None-Match" in r[2]]
    assert len(revalidations) == 3


# -- fault prefixes ---------------------------------------------------------------------


def test_status_prefix(http: requests.Session, index_server: IndexServer) -> None:
    assert http.get(f"{index_server.url}/status/500/simple/six/").status_code == 500
    assert http.get(f"{index_server.url}/status/404/simple/six/").status_code == 404
    assert http.head(index_server.file_url(SIX_WHEEL, "/status/503")).status_code == 503


def test_flaky_prefix_fails_then_recovers(
    http: requests.Session, index_server: IndexServer
) -> None:
    url = f"{index_server.url}/flaky/2/simple/six/"
    assert [http.get(url).status_code for _ in range(4)] == [500, 500, 200, 200]
    # Counted per path: the files behind the page have their own budget.
    file_url = index_server.file_url(SIX_WHEEL, "/flaky/1")
    assert [http.get(file_url).status_code for _ in range(2)] == [500, 200]
    index_server.reset()
    assert http.get(url).status_code == 500


def test_flaky_page_links_keep_the_prefix(
    http: requests.Session, index_server: IndexServer
) -> None:
    url = f"{index_server.url}/flaky/1/pep658/simple/six/"
    assert http.get(url).status_code == 500
    page = get_json(http, url)
    assert all(
        f["url"].startswith(f"{index_server.url}/flaky/1/pep658/files/") for f in page["files"]
    )


def test_slow_prefix(http: requests.Session, index_server: IndexServer) -> None:
    start = time.monotonic()
    assert http.get(f"{index_server.url}/slow/0.3/simple/six/").status_code == 200
    assert time.monotonic() - start >= 0.3
    with pytest.raises(requests.exceptions.ReadTimeout):
        http.get(f"{index_server.url}/slow/2/simple/six/", timeout=0.2)
    # The server is still fine afterwards.
    assert http.get(f"{index_server.url}/simple/six/").status_code == 200


def test_auth_prefix(http: requests.Session, index_server: IndexServer) -> None:
    url = f"{index_server.url}/auth/alice:s3cret/simple/six/"
    denied = http.get(url)
    assert denied.status_code == 401
    assert denied.headers["WWW-Authenticate"].startswith("Basic ")
    assert http.get(url, auth=("alice", "wrong")).status_code == 401
    ok = http.get(url, auth=("alice", "s3cret"), headers={"Accept": SIMPLE_JSON})
    assert ok.status_code == 200
    wheel_url = next(f["url"] for f in ok.json()["files"] if f["filename"] == SIX_WHEEL)
    assert http.get(wheel_url).status_code == 401
    assert http.get(wheel_url, auth=("alice", "s3cret")).status_code == 200


def test_prefixes_apply_left_to_right(http: requests.Session, index_server: IndexServer) -> None:
    # Credentials are checked before the flaky counter is touched ...
    url = f"{index_server.url}/auth/u:p/flaky/1/simple/six/"
    assert http.get(url).status_code == 401
    assert http.get(url, auth=("u", "p")).status_code == 500
    assert http.get(url, auth=("u", "p")).status_code == 200
    # ... and a status prefix answers before anything behind it runs.
    start = time.monotonic()
    assert http.get(f"{index_server.url}/status/502/slow/5/simple/six/").status_code == 502
    assert time.monotonic() - start < 2


# -- lifecycle --------------------------------------------------------------------------


def test_standalone_server_starts_and_stops() -> None:
    with IndexServer(None) as srv:
        srv.add_project("solo", [{"filename": "solo-0.1-py3-none-any.whl"}])
        url = srv.url
        with requests.Session() as s:
            page = s.get(f"{url}/simple/solo/", headers={"Accept": SIMPLE_JSON}).json()
            assert [f["filename"] for f in page["files"]] == ["solo-0.1-py3-none-any.whl"]
            assert s.get(f"{url}/simple/six/").status_code == 404  # no fixtures loaded
    with pytest.raises(requests.exceptions.ConnectionError), requests.Session() as s:
        s.get(f"{url}/simple/", timeout=2)
