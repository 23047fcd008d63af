"""Property-based tests: readers of untrusted text never crash, they report."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from wheelfit.index.simple import parse_html_page, parse_json_page
from wheelfit.metadata import parse_metadata
from wheelfit.requirements import read_requirements

LINES = st.one_of(
    st.text(max_size=60),
    st.sampled_from(
        [
            "six",
            "six==1.0",
            "-r other.txt",
            "-c c.txt",
            "--hash=sha256:00",
            "pkg; python_version<'3'",
            "git+https://x.invalid/r.git#egg=a==1",
            "--index-url https://u:p@h/simple",
            "\\",
            "-e .",
            "--only-binary :all:",
            "${VAR}",
            "name @ https://h/n-1.0.tar.gz",
            "[extra]",
        ]
    ),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(LINES, max_size=12))
def test_requirements_reader_never_raises(lines: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "requirements.txt"
        path.write_bytes("\n".join(lines).encode("utf-8", "replace"))
        parsed = read_requirements([str(path)])
    for error in parsed.errors:
        assert error.file and error.message
    assert "u:p@" not in " ".join(r.text for r in parsed.requirements)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_html_page_parser_never_raises(body: bytes) -> None:
    parse_html_page(body, "https://h/simple/p/", "p")


FILE = st.fixed_dictionaries(
    {
        "filename": st.one_of(
            st.text(max_size=40),
            st.sampled_from(
                [
                    "p-1.0-py3-none-any.whl",
                    "p-1.0.tar.gz",
                    "p-x-y-z.whl",
                    "p-1.0-py36+-none-any.whl",
                ]
            ),
        ),
        "url": st.text(max_size=30),
    },
    optional={
        "yanked": st.one_of(st.booleans(), st.text(max_size=5), st.integers()),
        "requires-python": st.one_of(st.none(), st.text(max_size=10)),
        "core-metadata": st.one_of(
            st.booleans(), st.dictionaries(st.text(max_size=6), st.text(max_size=6))
        ),
    },
)


@settings(max_examples=200, deadline=None)
@given(st.lists(FILE, max_size=6))
def test_json_page_parser_never_raises(files: list[dict[str, object]]) -> None:
    page = parse_json_page(json.dumps({"files": files}).encode(), "https://h/simple/p/", "p")
    assert all(f.project == "p" for f in page.files)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_metadata_parser_never_raises(data: bytes) -> None:
    parse_metadata(b"Metadata-Version: 2.1\nName: p\n" + data)
