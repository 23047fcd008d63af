"""The index client and the page parsers, against the local index server."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
from indexserver import IndexServer
from packaging.version import Version

from wheelfit.errors import IndexFetchError
from wheelfit.index.cache import Cache
from wheelfit.index.client import IndexClient
from wheelfit.index.simple import parse_html_page, parse_json_page, parse_sdist_version
from wheelfit.inspect.metadata import parse_metadata

PAGES = Path(__file__).parent / "data" / "index" / "pages"
JSON_ACCEPT = {"Accept": "application/vnd.pypi.simple.v1+json"}


def client_for(url: str, cache_dir: Path | None = None, **kwargs: object) -> IndexClient:
    return IndexClient([url], cache=Cache(cache_dir), timeout=2.0, **kwargs)  # type: ignore[arg-type]


# -- parsers on recorded pages -------------------------------------------------------------


def test_json_page_parser_on_recorded_page() -> None:
    body = (PAGES / "pyyaml.json").read_bytes()
    document = json.loads(body)
    for entry in document["files"]:
        entry["url"] = f"../../files/{entry['filename']}"
    page = parse_json_page(json.dumps(document).encode(), "http://h/simple/pyyaml/", "PyYAML")
    sdist = next(f for f in page.files if f.filename == "PyYAML-5.3.1.tar.gz")
    assert not sdist.is_wheel and sdist.version == Version("5.3.1")
    assert sdist.url == "http://h/files/PyYAML-5.3.1.tar.gz"
    wheels = [f for f in page.files if f.is_wheel]
    assert wheels and all(w.tags for w in wheels)
    assert all(f.sha256 and f.upload_time for f in page.files)


@pytest.mark.parametrize("fmt", ["json", "html"])
def test_both_page_formats_give_the_same_files(index_server: IndexServer, fmt: str) -> None:
    import requests

    accept = JSON_ACCEPT["Accept"] if fmt == "json" else "text/html"
    url = f"{index_server.url}/pep658/simple/cryptography/"
    response = requests.get(url, headers={"Accept": accept}, timeout=5)
    parse = parse_json_page if fmt == "json" else parse_html_page
    page = parse(response.content, url, "cryptography")
    names = {f.filename for f in page.files}
    expected = {
        e["filename"] for e in json.loads((PAGES / "cryptography.json").read_bytes())["files"]
    }
    assert names == expected
    wheel = next(f for f in page.files if f.is_wheel)
    assert wheel.has_metadata_file and wheel.metadata_sha256
    with_python = [f for f in page.files if f.requires_python]
    assert with_python, "requires-python must survive both formats (HTML escapes '>')"
    assert all(
        ">" in f.requires_python or "<" in f.requires_python or "=" in f.requires_python
        for f in with_python
        if f.requires_python
    )


def test_sdist_names_with_dashes_and_bad_versions() -> None:
    from packaging.utils import canonicalize_name as c

    assert parse_sdist_version("python-ldap-3.4.4.tar.gz", c("python-ldap")) == Version("3.4.4")
    assert parse_sdist_version("cx_Oracle-8.3.0.zip", c("cx-oracle")) == Version("8.3.0")
    assert parse_sdist_version("foo-1.0.exe", c("foo")) is None
    assert parse_sdist_version("foo-notaversion!.tar.gz", c("foo")) is None


# -- the client against the server -----------------------------------------------------------


@pytest.mark.parametrize("prefix", ["", "pep658/"])
def test_wheel_metadata_without_downloading_the_wheel(
    fresh_server: IndexServer, prefix: str
) -> None:
    with client_for(f"{fresh_server.url}/{prefix}simple/") as client:
        page = client.get_project("requests")
        wheel = next(f for f in page.files if f.is_wheel and f.version == Version("2.32.3"))
        metadata = parse_metadata(client.get_wheel_metadata(wheel))
    assert any(r.name == "urllib3" for r in metadata.requires_dist)
    file_requests = [(m, p, h) for m, p, h in fresh_server.requests if "/files/" in p]
    if prefix:
        # PEP 658: the .metadata file and nothing of the wheel
        assert [p for _, p, _ in file_requests] == [f"/{prefix}files/{wheel.filename}.metadata"]
    else:
        assert file_requests, "the wheel must be read"
        assert all("Range" in h or "range" in h for _, _, h in file_requests)
        served = len(fresh_server.file_bytes(wheel.filename))
        assert served > 0


def test_wheel_metadata_is_not_held_once_read_and_comes_back_from_the_disk_cache(
    fresh_server: IndexServer, tmp_path: Path
) -> None:
    """Read METADATA is not kept by the client for the rest of the run (its reader keeps
    what it parsed); asked again, it is read from the disk cache, not from the index."""
    with client_for(f"{fresh_server.url}/pep658/simple/", tmp_path) as client:
        wheel = next(f for f in client.get_project("six").files if f.is_wheel)
        first = client.get_wheel_metadata(wheel)
        assert ("metadata", wheel.url) not in client._memo
        client.writer.flush()
        assert client.get_wheel_metadata(wheel) == first
    fetched = [p for _, p, _ in fresh_server.requests if p.endswith(".metadata")]
    assert fetched == [f"/pep658/files/{wheel.filename}.metadata"]


def test_wheel_metadata_is_held_when_there_is_no_disk_cache(fresh_server: IndexServer) -> None:
    with client_for(f"{fresh_server.url}/pep658/simple/") as client:
        wheel = next(f for f in client.get_project("six").files if f.is_wheel)
        assert client.get_wheel_metadata(wheel) == client.get_wheel_metadata(wheel)
    fetched = [p for _, p, _ in fresh_server.requests if p.endswith(".metadata")]
    assert fetched == [f"/pep658/files/{wheel.filename}.metadata"]


def test_server_that_ignores_ranges_still_works(fresh_server: IndexServer) -> None:
    with client_for(f"{fresh_server.url}/norange/simple/") as client:
        wheel = next(f for f in client.get_project("six").files if f.is_wheel)
        assert b"Name: six" in client.get_wheel_metadata(wheel)


def test_unknown_project_is_an_empty_page(index_url: str) -> None:
    with client_for(index_url) as client:
        assert client.get_project("no-such-project-here").files == ()


def test_server_errors_raise_a_readable_error(index_server: IndexServer) -> None:
    url = f"{index_server.url}/status/500/simple/"
    with client_for(url, retries=0) as client, pytest.raises(IndexFetchError, match="HTTP 500"):
        client.get_project("six")


def test_transient_errors_are_retried(fresh_server: IndexServer) -> None:
    with client_for(f"{fresh_server.url}/flaky/2/simple/", retries=3) as client:
        assert client.get_project("six").files
    page_hits = [p for _, p, _ in fresh_server.requests if p.endswith("/simple/six/")]
    assert len(page_hits) == 3


def test_slow_index_times_out(index_server: IndexServer) -> None:
    client = IndexClient([f"{index_server.url}/slow/5/simple/"], timeout=0.5, retries=0)
    with client, pytest.raises(IndexFetchError, match="timed out"):
        client.get_project("six")


def test_credentials_are_sent_but_never_shown(fresh_server: IndexServer) -> None:
    good = f"http://alice:s3cret@127.0.0.1:{fresh_server.port}/auth/alice:s3cret/simple/"
    with client_for(good) as client:
        page = client.get_project("six")
        wheel = next(f for f in page.files if f.is_wheel)
        assert client.get_wheel_metadata(wheel)  # file URLs on the same host get the auth
    bad = f"http://bob:hunter2@127.0.0.1:{fresh_server.port}/auth/alice:s3cret/simple/"
    with client_for(bad, retries=0) as client, pytest.raises(IndexFetchError) as info:
        client.get_project("six")
    assert "401" in str(info.value)
    assert "hunter2" not in str(info.value) and "bob" not in str(info.value)


def test_pages_are_cached_and_revalidated(fresh_server: IndexServer, tmp_path: Path) -> None:
    url = f"{fresh_server.url}/simple/"
    with client_for(url, tmp_path) as client:
        first = client.get_project("idna")
    # stale entry: force revalidation
    expire_pages(tmp_path / "pages")
    fresh_server.reset()
    with client_for(url, tmp_path) as client:
        second = client.get_project("idna")
    assert first == second
    ((_method, _path, headers),) = [r for r in fresh_server.requests if "/simple/idna" in r[1]]
    assert any(k.lower() == "if-none-match" for k in headers)
    # offline: answered from the cache alone, nothing sent
    fresh_server.reset()
    with client_for(url, tmp_path, offline=True) as client:
        assert client.get_project("idna") == first
    assert fresh_server.requests == []


def test_offline_without_cache_says_what_to_do(index_url: str, tmp_path: Path) -> None:
    client = client_for(index_url, tmp_path, offline=True)
    with client, pytest.raises(IndexFetchError, match="run once without --offline"):
        client.get_project("six")


def test_corrupted_cache_entry_is_refetched(fresh_server: IndexServer, tmp_path: Path) -> None:
    url = f"{fresh_server.url}/simple/"
    with client_for(url, tmp_path) as client:
        wheel = next(f for f in client.get_project("six").files if f.is_wheel)
        good = client.get_wheel_metadata(wheel)
    for blob in (tmp_path / "blobs" / "metadata").iterdir():
        if blob.suffix != ".sha256":
            blob.write_bytes(blob.read_bytes()[:10])  # truncated
    fresh_server.reset()
    with client_for(url, tmp_path) as client:
        wheel = next(f for f in client.get_project("six").files if f.is_wheel)
        assert client.get_wheel_metadata(wheel) == good
    assert any("/files/" in p for _, p, _ in fresh_server.requests)


def test_exclude_newer_drops_later_uploads(index_url: str) -> None:
    recorded = json.loads((PAGES / "numpy.json").read_bytes())["files"]
    times = sorted(f["upload-time"] for f in recorded)
    cutoff = datetime.fromisoformat(times[len(times) // 2].replace("Z", "+00:00"))
    with client_for(index_url, exclude_newer=cutoff) as client:
        kept = client.get_project("numpy").files
    assert kept
    assert all(
        datetime.fromisoformat(f.upload_time.replace("Z", "+00:00")) <= cutoff
        for f in kept
        if f.upload_time
    )
    assert len(kept) < len(recorded)
    assert cutoff.tzinfo is timezone.utc or cutoff.utcoffset() is not None


def test_unreadable_file_names_are_skipped_like_pip() -> None:
    files = [
        {"filename": name, "url": f"https://h/{name}", "hashes": {}}
        for name in [
            "foo-1.0-py36+-none-any.whl",
            "foo-1.0-py3-none-any.whl",
            "foo-bad!version.tar.gz",
            "foo-1.0.win32.exe",
            "bar-1.0.tar.gz",
            "foo-2.0.tar.gz",
        ]
    ]
    page = parse_json_page(json.dumps({"files": files}).encode(), "https://h/simple/foo/", "foo")
    assert sorted(f.filename for f in page.files) == ["foo-1.0-py3-none-any.whl", "foo-2.0.tar.gz"]


def expire_pages(folder: Path) -> None:
    """Mark every cached page as fetched long ago (its first line is its metadata)."""
    for entry in folder.glob("*.page"):
        head, _, body = entry.read_bytes().partition(b"\n")
        meta = json.loads(head)
        meta["fetched_at"] = 0
        entry.write_bytes(json.dumps(meta).encode() + b"\n" + body)


def test_metadata_is_not_queued_behind_pages_waiting_to_be_parsed(
    fresh_server: IndexServer,
) -> None:
    """A METADATA read starts while project pages are still being fetched: pages have their
    own workers, so a file's pages queued ahead of it never hold the METADATA back (a cold
    awx run asked its first METADATA only once all 161 pages were parsed)."""
    with client_for(f"{fresh_server.url}/simple/") as fast:
        wheel = next(f for f in fast.get_project("six").files if f.is_wheel)
    fresh_server.reset()
    names = [n for n in fresh_server.project_names() if n != "six"][:8]
    slow = IndexClient([f"{fresh_server.url}/slow/1/simple/"], cache=Cache(None), max_workers=2)
    with slow:
        slow.prefetch_projects(names)  # eight pages of a second each for two workers
        assert b"Name: six" in slow.get_wheel_metadata(wheel)
        paths = [p for _, p, _ in fresh_server.requests]
    first_file = next(i for i, p in enumerate(paths) if "/files/" in p)
    pages_before = [p for p in paths[:first_file] if "/simple/" in p]
    # the two page workers are busy; the METADATA did not wait for the six pages behind them
    assert len(pages_before) <= 2, paths
