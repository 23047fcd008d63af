"""Property-based tests: readers of untrusted text never crash, they report."""

from __future__ import annotations

import contextlib
import json
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from wheelfit.index.simple import parse_html_page, parse_json_page
from wheelfit.inputs.requirements import read_requirements
from wheelfit.inspect.metadata import parse_metadata

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


MEMBER_NAMES = st.one_of(
    st.text(min_size=1, max_size=30),
    st.sampled_from(
        ["p-1/setup.py", "p-1/a.c", "p-1/../x", "/abs", "p-1/pyproject.toml", "p-1/Cargo.lock"]
    ),
)
MEMBER = st.tuples(
    MEMBER_NAMES,
    st.binary(max_size=200),
    st.sampled_from(["file", "symlink", "hardlink", "dir"]),
    st.text(max_size=20),
)


def _tar(members: list[tuple[str, bytes, str, str]]) -> bytes:
    import io
    import tarfile

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data, kind, link in members:
            info = tarfile.TarInfo(name)
            if kind == "file":
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
                continue
            info.type = {"symlink": tarfile.SYMTYPE, "hardlink": tarfile.LNKTYPE}.get(
                kind, tarfile.DIRTYPE
            )
            info.linkname = link
            archive.addfile(info)
    return buffer.getvalue()


@settings(max_examples=200, deadline=None)
@given(st.lists(MEMBER, max_size=8))
def test_sdist_reader_refuses_or_reads_any_tar(members: list[tuple[str, bytes, str, str]]) -> None:
    from wheelfit.errors import ArchiveError
    from wheelfit.inspect.sdist import inspect_sdist

    try:
        info = inspect_sdist("p-1.tar.gz", _tar(members))
    except ArchiveError:
        return
    info.native()  # what classification asks of every inspection
    info.build_programs()


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400), st.sampled_from(["p-1.tar.gz", "p-1.zip"]))
def test_sdist_reader_refuses_or_reads_any_bytes(data: bytes, filename: str) -> None:
    from wheelfit.errors import ArchiveError
    from wheelfit.inspect.sdist import inspect_sdist

    with contextlib.suppress(ArchiveError):
        inspect_sdist(filename, data)


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(
        st.binary(max_size=300),
        st.recursive(
            st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20)),
            lambda inner: st.one_of(
                st.lists(inner, max_size=4),
                st.dictionaries(st.text(max_size=10), inner, max_size=4),
            ),
            max_leaves=12,
        ).map(lambda value: json.dumps(value).encode()),
    ),
    st.sampled_from(["application/vnd.pypi.simple.v1+json", "text/html"]),
)
def test_client_page_reader_never_raises(body: bytes, content_type: str) -> None:
    """Any body the index sends is a page or a refusal (None), never an exception."""
    from wheelfit.index.simple import parse_project_page

    parse_project_page(body, content_type, "https://i.invalid/simple/p/", "p", None)  # type: ignore[arg-type]
