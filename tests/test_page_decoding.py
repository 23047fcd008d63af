"""The typed decoder of PEP 691 pages gives what the lenient reader gives, value for value.

parse_json_page decodes a well-formed page with msgspec and falls back to the lenient reader
for anything else; both must agree on every page, well-formed or hostile.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from wheelfit.index.simple import _PAGE_DECODER, _parse_json_page_leniently, parse_json_page

SHA = "a" * 64
NAMES = ["demo-1.0.tar.gz", "demo-1.0-py3-none-any.whl", "demo-0.1.zip", "demo-1.0.egg", "",
         "demo-2.0b1-cp312-cp312-manylinux_2_17_x86_64.whl", "other-1.0.tar.gz"]  # fmt: skip
ANY = st.one_of(st.none(), st.booleans(), st.integers(-5, 10**20), st.floats(allow_nan=False),
                st.text(max_size=5), st.just({}), st.just([]))  # fmt: skip
HASHES = st.one_of(st.just({"sha256": SHA}), st.just({"sha256": "zz"}), st.just({"md5": "x"}),
                   st.just({"sha256": 3}), ANY)  # fmt: skip


@st.composite
def entries(draw: st.DrawFn) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "filename": draw(st.one_of(st.sampled_from(NAMES), ANY)),
        "url": draw(st.sampled_from(["https://files.example/f", "../f", "", 7])),
    }
    optional = {
        "hashes": HASHES,
        "requires-python": st.one_of(st.sampled_from([">=3.8", " >=3.9 "]), ANY),
        "yanked": st.one_of(st.booleans(), st.sampled_from(["", "broken"]), ANY),
        "size": st.one_of(st.integers(-1, 10**6), ANY),
        "upload-time": st.one_of(st.just("2024-01-02T03:04:05Z"), ANY),
        "core-metadata": st.one_of(st.booleans(), HASHES, ANY),
        "dist-info-metadata": st.one_of(st.booleans(), HASHES, ANY),
    }
    for key, values in optional.items():
        if draw(st.booleans()):
            entry[key] = draw(values)
    return entry


def _files(page: Any) -> list[tuple[object, ...]]:
    return [(f._light(), f.details) for f in page.files]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(entries(), ANY), max_size=6), st.booleans())
def test_typed_and_lenient_readers_agree(files: list[Any], with_filter: bool) -> None:
    body = json.dumps({"meta": {"api-version": "1.1"}, "name": "demo", "files": files}).encode()
    keep = (lambda dist: True) if with_filter else None
    url = "https://index.example/simple/demo/"
    fast = parse_json_page(body, url, "demo", keep)
    slow = _parse_json_page_leniently(body, url, "demo", keep)
    assert _files(fast) == _files(slow)


def test_a_well_formed_page_keeps_every_value() -> None:
    entry = {
        "filename": "demo-1.0-py3-none-any.whl",
        "url": "../../files/demo-1.0-py3-none-any.whl",
        "hashes": {"sha256": SHA, "md5": "x"},
        "requires-python": ">=3.8",
        "yanked": "broken build",
        "size": 1234,
        "upload-time": "2024-01-02T03:04:05Z",
        "core-metadata": {"sha256": "b" * 64},
    }
    body = json.dumps({"name": "demo", "files": [entry]}).encode()
    assert len(_PAGE_DECODER.decode(body).files) == 1  # the typed path reads it
    (dist,) = parse_json_page(body, "https://index.example/simple/demo/", "demo").files
    assert dist.url == "https://index.example/files/demo-1.0-py3-none-any.whl"
    assert (dist.sha256, dist.size, dist.upload_time) == (SHA, 1234, "2024-01-02T03:04:05Z")
    assert (dist.yanked, dist.yanked_reason, dist.requires_python) == (
        True,
        "broken build",
        ">=3.8",
    )
    assert (dist.has_metadata_file, dist.metadata_sha256) == (True, "b" * 64)
