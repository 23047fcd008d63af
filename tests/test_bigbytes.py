"""Large transient bytes (project pages) are kept out of malloc's heaps (index/bigbytes.py):
whatever path a page takes (joined from the wire, decoded, read back from the cache), its
files are the same as from plain bytes."""

from __future__ import annotations

import io
from pathlib import Path

from indexserver import IndexServer
from packaging.utils import canonicalize_name

from wheelfit.index import bigbytes
from wheelfit.index.cache import Cache, CachedPage
from wheelfit.index.client import IndexClient

MANY = 1500  # wheels: a page of about 500 KB as JSON, several times the size bigbytes maps


def test_small_bodies_stay_bytes_and_large_ones_are_views_of_the_same_bytes() -> None:
    small = [b"a" * 1000, b"b" * 1000]
    assert bigbytes.joined(iter(small)) == b"".join(small)
    assert type(bigbytes.joined(iter(small))) is bytes
    large = [bytes([i]) * 70_000 for i in range(5)]
    body = bigbytes.joined(iter(large))
    assert isinstance(body, memoryview) and body == b"".join(large)
    assert bigbytes.joined(iter([])) == b""


def test_reading_the_rest_of_a_file(tmp_path: Path) -> None:
    path = tmp_path / "page"
    content = bytes(range(256)) * 2000  # 512 KB
    path.write_bytes(b"head\n" + content)
    with path.open("rb") as handle:
        handle.readline()
        body = bigbytes.read_rest(handle, len(content))
    assert isinstance(body, memoryview) and body == content
    with path.open("rb") as handle:  # the file is shorter than measured: a short view
        assert bigbytes.read_rest(handle, len(content) + 100) == b"head\n" + content
    with io.BufferedReader(io.BytesIO(b"short")) as handle:  # type: ignore[arg-type]
        assert bigbytes.read_rest(handle, 5) == b"short"


def test_a_large_cached_page_reads_back_whole_and_a_torn_one_not_at_all(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    body = b'{"files": []}' + b" " * 300_000
    page = CachedPage("https://x/simple/p/", body, "application/json", None, None, 1.0, 10)
    cache.store_page(page)
    loaded = cache.load_page(page.url)
    assert loaded is not None and isinstance(loaded.body, memoryview)
    assert loaded.body == body and loaded.sha256 == page.sha256
    [stored] = (tmp_path / "pages").glob("*.page")
    stored.write_bytes(stored.read_bytes()[:-1000])
    assert cache.load_page(page.url) is None


def test_a_large_page_gives_the_same_files_plain_compressed_and_from_the_cache(
    fresh_server: IndexServer, tmp_path: Path
) -> None:
    versions = [f"1.{i}" for i in range(MANY)]
    fresh_server.add_project("many", [{"filename": f"many-{v}-py3-none-any.whl"} for v in versions])
    name = canonicalize_name("many")
    pages = []
    for prefix, offline in (("", False), ("/deflate", False), ("/deflate", True)):
        cache = Cache(tmp_path / (prefix.strip("/") or "plain"))
        index = f"{fresh_server.url}{prefix}/simple/"
        with IndexClient([index], cache=cache, offline=offline) as client:
            pages.append(client.get_project(name))
    # the same files but for their URLs (the server names /deflate/ in them)
    seen = [[(f.filename, f.sha256, f.version, f.tags) for f in p.files] for p in pages]
    assert len(seen[0]) == MANY and seen[0] == seen[1] == seen[2]
    assert pages[1].files == pages[2].files  # the page read back from the cache


def test_a_large_html_page_read_as_a_view_gives_the_files_of_its_bytes() -> None:
    from wheelfit.index.simple import parse_page

    anchors = "".join(
        f'<a href="../../files/many-1.{i}-py3-none-any.whl#sha256={i:064x}" '
        f'data-requires-python="&gt;=3.{i % 9}">many-1.{i}-py3-none-any.whl</a>\n'
        for i in range(MANY)
    )
    body = f"<!DOCTYPE html><html><body>\n{anchors}</body></html>".encode()
    view = bigbytes.joined(iter([body[i : i + 65536] for i in range(0, len(body), 65536)]))
    assert isinstance(view, memoryview)
    url = "https://index.example/simple/many/"
    from_view = parse_page(view, "text/html", url, "many")
    assert len(from_view.files) == MANY
    assert from_view == parse_page(body, "text/html", url, "many")
