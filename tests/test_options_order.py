"""pip's option order: command line first, then each requirements file line by line.

Every expected answer below was checked against pip 26.3 (`pip install --dry-run --report`)
on a local index holding the same files: demo 1.0 (wheel and sdist), 2.0 (sdist), 3.0
(wheel) on one index, demo 1.0 (wheel) alone on the other.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from indexserver import IndexServer

from wheelfit import Settings, Status, analyze, target_from_image
from wheelfit.cli import build_parser
from wheelfit.inputs.parsed import IndexOptions
from wheelfit.inputs.requirements import read_requirements
from wheelfit.models import PackageResult

SLIM = "python:3.12-slim-bookworm"


@pytest.fixture(scope="module")
def two_indexes() -> Iterator[tuple[str, str]]:
    """("http://.../simple/" with demo 1.0, 2.0, 3.0; another with demo 1.0 only)."""
    with IndexServer(None) as full, IndexServer(None) as small:
        full.add_project(
            "demo",
            [
                {"filename": "demo-1.0-py3-none-any.whl"},
                {"filename": "demo-1.0.tar.gz"},
                {"filename": "demo-2.0.tar.gz"},
                {"filename": "demo-3.0-py3-none-any.whl"},
            ],
        )
        small.add_project("demo", [{"filename": "demo-1.0-py3-none-any.whl"}])
        yield f"{full.url}/simple/", f"{small.url}/simple/"


def demo(tmp_path: Path, files: dict[str, str], settings: Settings) -> PackageResult:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    settings.cache_dir = tmp_path / "cache"
    report = analyze([str(tmp_path / n) for n in files], [target_from_image(SLIM)], settings)
    assert not report.input_errors
    [row] = [p for p in report.targets[0].packages if p.name == "demo"]
    return row


def steps(*args: str) -> list[tuple[str, str]]:
    return list(build_parser().parse_args(["f", *args]).format_steps)


def test_command_line_keeps_the_order_of_binary_options() -> None:
    assert steps("--no-binary", "a", "--only-binary", ":all:", "--no-binary=b") == [
        ("no-binary", "a"),
        ("only-binary", ":all:"),
        ("no-binary", "b"),
    ]


@pytest.mark.parametrize(
    ("args", "version", "status"),
    [
        # pip 26.3: ':all:' clears the earlier --no-binary demo, so the 3.0 wheel
        (["--no-binary", "demo", "--only-binary", ":all:"], "3.0", Status.WHEEL),
        # pip 26.3: the later --no-binary demo wins over ':all:', so the 2.0 sdist is built
        (["--only-binary", ":all:", "--no-binary", "demo"], "2.0", Status.SDIST_PURE),
    ],
)
def test_binary_options_apply_in_the_order_given(
    two_indexes: tuple[str, str], tmp_path: Path, args: list[str], version: str, status: Status
) -> None:
    settings = Settings(index_url=two_indexes[0], format_steps=steps(*args))
    row = demo(tmp_path, {"requirements.txt": "demo\n"}, settings)
    assert (row.version, row.status) == (version, status)


def test_a_files_binary_options_come_after_the_command_lines(
    two_indexes: tuple[str, str], tmp_path: Path
) -> None:
    # pip 26.3: command line --only-binary demo, file --no-binary demo -> the 2.0 sdist
    settings = Settings(index_url=two_indexes[0], format_steps=[("only-binary", "demo")])
    row = demo(tmp_path, {"requirements.txt": "--no-binary demo\ndemo\n"}, settings)
    assert (row.version, row.status) == ("2.0", Status.SDIST_PURE)
    # pip 26.3: command line --no-binary demo, file --only-binary :all: -> the 3.0 wheel
    settings = Settings(index_url=two_indexes[0], format_steps=[("no-binary", "demo")])
    row = demo(tmp_path, {"requirements.txt": "--only-binary :all:\ndemo\n"}, settings)
    assert (row.version, row.status) == ("3.0", Status.WHEEL)


@pytest.mark.parametrize(
    ("line", "version"),
    [
        ("--no-binary demo --only-binary :all:", "3.0"),
        ("--only-binary=:all: --no-binary demo", "2.0"),
    ],
)
def test_binary_options_sharing_a_file_line_keep_their_order(
    two_indexes: tuple[str, str], tmp_path: Path, line: str, version: str
) -> None:
    row = demo(tmp_path, {"r.txt": f"{line}\ndemo\n"}, Settings(index_url=two_indexes[0]))
    assert row.version == version


def test_a_nested_files_options_apply_at_its_line(tmp_path: Path) -> None:
    (tmp_path / "inner.txt").write_text("--only-binary :all:\n")
    (tmp_path / "outer.txt").write_text("--no-binary demo\n-r inner.txt\n")
    control = read_requirements([str(tmp_path / "outer.txt")]).options.format_control
    assert control.allowed_formats("demo") == {"binary"}


def test_a_files_index_url_replaces_the_command_lines(
    two_indexes: tuple[str, str], tmp_path: Path
) -> None:
    full, small = two_indexes
    # pip 26.3: -i FULL on the command line, --index-url SMALL in the file -> 1.0 from SMALL
    row = demo(tmp_path, {"r.txt": f"--index-url {small}\ndemo\n"}, Settings(index_url=full))
    assert row.version == "1.0"
    # pip 26.3: the file's --index-url also drops the command line's --extra-index-url
    extra = Settings(extra_index_urls=[full])
    assert demo(tmp_path, {"r.txt": f"--index-url {small}\ndemo\n"}, extra).version == "1.0"


def test_index_options_follow_the_files_order(two_indexes: tuple[str, str], tmp_path: Path) -> None:
    full, small = two_indexes
    # pip 26.3: an --extra-index-url read before a file's --index-url is dropped ...
    before = {"r.txt": f"--extra-index-url {full}\n--index-url {small}\ndemo\n"}
    assert demo(tmp_path, before, Settings()).version == "1.0"
    # ... and one read after it is kept, also from the next file
    after = {"a.txt": f"--index-url {small}\ndemo\n", "b.txt": f"--extra-index-url {full}\n"}
    assert demo(tmp_path, after, Settings()).version == "3.0"


def test_read_requirements_starts_from_the_given_options(tmp_path: Path) -> None:
    (tmp_path / "r.txt").write_text("--extra-index-url https://two.example/simple/\n")
    start = IndexOptions(index_url="https://one.example/simple/")
    options = read_requirements([str(tmp_path / "r.txt")], options=start).options
    assert options.index_url == "https://one.example/simple/"
    assert options.extra_index_urls == ["https://two.example/simple/"]
    assert start.extra_index_urls == []  # the caller's options are not changed


def test_no_index_drops_every_index(tmp_path: Path) -> None:
    (tmp_path / "r.txt").write_text(
        "--no-index\n--index-url https://one.example/simple/\n--find-links wheels\n"
    )
    (tmp_path / "wheels").mkdir()
    options = read_requirements([str(tmp_path / "r.txt")]).options
    assert options.no_index and options.index_url is None
    # a relative folder that exists beside the file is read from there, as pip does
    assert options.find_links == [str(tmp_path / "wheels")]
