"""A requirements file that writes credentials out in a URL: the Dockerfile COPYs it into the
image, so a comment above the COPY and a warning on stderr say so, and how to avoid it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from indexserver import IndexServer

from wheelfit.cli import main
from wheelfit.inputs.secrets import holds_credentials

SLIM = "python:3.12-slim-bookworm"


@pytest.fixture(scope="module")
def six_server() -> Iterator[IndexServer]:
    with IndexServer(None) as server:
        server.add_project("six", [{"filename": "six-1.17.0-py2.py3-none-any.whl"}])
        yield server


@pytest.mark.parametrize(
    ("line", "written_out"),
    [
        ("--extra-index-url https://deploy:s3cret@pkgs.example.org/simple/", True),
        ("inhouse @ https://ghp_token123@files.example.org/inhouse-1.0.tar.gz", True),
        ("git+ssh://deploy:pw@git.example.org/inhouse.git#egg=inhouse", True),
        # not a valid URL, yet a client sends it: read as redaction reads it
        ("--index-url https://deploy:pa/ss@pkgs.example.org/simple/", True),
        # a VCS reference after "@" is no user-info
        ("inhouse @ git+https://github.com/example/inhouse.git@v1.0", False),
        # placeholders pip fills in from the environment: nothing written out
        ("--index-url https://${USER}:${TOKEN}@pkgs.example.org/simple/", False),
        ("--index-url https://deploy:${TOKEN}@pkgs.example.org/simple/", False),
        ("inhouse @ https://${TOKEN}@files.example.org/inhouse-1.0.tar.gz", False),
        # an ssh login is a user name, not a secret
        ("inhouse @ git+ssh://git@github.com/example/inhouse.git", False),
        ("--index-url https://pkgs.example.org/simple/", False),
        ("six  # mail admin@example.org", False),
    ],
)
def test_credentials_written_out_in_a_url_are_found(
    tmp_path: Path, line: str, written_out: bool
) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text(f"six\n{line}\n")
    assert holds_credentials(path) is written_out


def test_a_file_that_cannot_be_read_holds_none(tmp_path: Path) -> None:
    assert holds_credentials(tmp_path) is False  # a folder: its reader says what is wrong


def test_the_dockerfile_warns_above_the_copy_of_a_file_with_credentials(
    six_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index = f"{six_server.url}/simple/"
    with_password = index.replace("http://", "http://deploy:s3cret@")
    (tmp_path / "r.txt").write_text(f"--index-url {with_password}\n-r base.txt\n")
    (tmp_path / "base.txt").write_text("six\n")
    out = tmp_path / "Dockerfile"
    argv = ["dockerfile", str(tmp_path / "r.txt"), "--image", SLIM, "--no-costs", "-o", str(out)]
    assert main(argv) == 0
    lines = out.read_text().splitlines()
    assert "s3cret" not in out.read_text()
    at = lines.index("COPY r.txt r.txt")
    assert lines[at - 1].startswith("# r.txt writes credentials out in a URL: COPY puts them")
    assert "RUN --mount=type=secret,id=VAR,env=VAR" in lines[at - 1]
    included = lines.index("COPY base.txt base.txt")
    assert not lines[included - 1].startswith("#")  # the file it includes holds none
    err = capsys.readouterr().err
    assert "r.txt writes credentials out in a URL, and the Dockerfile copies it" in err
    assert "base.txt writes" not in err
    assert "s3cret" not in err


def test_placeholders_are_not_warned_of(
    six_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "r.txt").write_text(
        "--extra-index-url https://${USER}:${TOKEN}@example.org/\nsix\n"
    )
    out = tmp_path / "Dockerfile"
    index = f"{six_server.url}/simple/"
    argv = ["dockerfile", str(tmp_path / "r.txt"), "-i", index, "--image", SLIM, "--no-costs"]
    main([*argv, "-o", str(out)])
    assert "writes credentials out" not in out.read_text()
    assert "writes credentials out" not in capsys.readouterr().err
