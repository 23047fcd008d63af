"""A page packed by the worker process and unpacked by the client (index/simple.pack_page,
unpack_page) gives the files the client's own parse gives, in the same order."""

from __future__ import annotations

import json
import urllib.request

import pytest
from indexserver import IndexServer
from packaging.utils import canonicalize_name

from wheelfit.index.simple import JSON_CONTENT_TYPE, pack_page, parse_page, unpack_page
from wheelfit.models import DistFile


def _fields(dist: DistFile) -> tuple[object, ...]:
    details = dist.details
    light = (dist.project, str(dist.version), dist.is_wheel, dist.tags, dist.requires_python)
    return (*light, dist.yanked, *(getattr(details, f) for f in details.__dataclass_fields__))


def _page(index_server: IndexServer, name: str, accept: str) -> tuple[bytes, str]:
    request = urllib.request.Request(
        f"{index_server.url}/simple/{name}/", headers={"Accept": accept}
    )
    with urllib.request.urlopen(request) as answer:
        return answer.read(), answer.headers["Content-Type"]


def test_every_test_page_unpacks_to_what_parsing_it_gives(index_server: IndexServer) -> None:
    for name in index_server.project_names():
        body, content_type = _page(index_server, name, JSON_CONTENT_TYPE)
        url = f"{index_server.url}/simple/{name}/"
        project = canonicalize_name(name)
        packed = pack_page(body, content_type, url, project)
        assert packed is not None, name
        parsed, unpacked = (
            parse_page(body, content_type, url, project),
            unpack_page(packed, project),
        )

        assert [_fields(f) for f in unpacked.files] == [_fields(f) for f in parsed.files], name
        assert list(unpacked._parts[0].versions) == list(parsed._parts[0].versions), name  # type: ignore[union-attr]
        for version in parsed.versions():
            assert [_fields(f) for f in unpacked.files_of(version)] == [
                _fields(f) for f in parsed.files_of(version)
            ]


def test_relative_urls_resolve_against_the_page_url_given() -> None:
    body = json.dumps(
        {
            "name": "demo",
            "files": [
                {"filename": "demo-1.0.tar.gz", "url": "../../f/demo-1.0.tar.gz", "hashes": {}}
            ],
        }
    ).encode()
    packed = pack_page(body, JSON_CONTENT_TYPE, "https://example.org/simple/demo/", "demo")
    assert packed is not None
    (dist,) = unpack_page(packed, canonicalize_name("demo")).files
    assert dist.url == "https://example.org/f/demo-1.0.tar.gz"


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b'<a href="demo-1.0.tar.gz">demo-1.0.tar.gz</a>', "text/html"),
        (
            b'{"files": [{"filename": "demo-1.0.tar.gz", "url": "u", "size": "12"}]}',
            JSON_CONTENT_TYPE,
        ),
        (b"not json", JSON_CONTENT_TYPE),
    ],
)
def test_a_page_not_packed_so_is_left_to_the_client(body: bytes, content_type: str) -> None:
    """HTML, values of other types (read leniently by the client), not a page at all."""
    assert pack_page(body, content_type, "https://example.org/simple/demo/", "demo") is None


def test_bytes_that_are_no_packed_page_raise_value_error() -> None:
    with pytest.raises(ValueError):
        unpack_page(b"\x01\x02garbage", canonicalize_name("demo"))
