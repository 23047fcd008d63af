"""Credentials, in index URLs or in netrc, never reach any output format, error or the cache.

The test index's /auth/USER:PASSWORD/ route puts the password in its own path; that path
segment is masked before searching, so what is checked is everything wheelfit adds.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from indexserver import IndexServer
from test_analyze import sdist, wheel

from wheelfit.cli import main

SECRET = "s3cr3t-Pa55"
AUTH = f"/auth/alice:{SECRET}"
C_SETUP = {
    "setup.py": "from setuptools import setup, Extension\n"
    "setup(ext_modules=[Extension('big._big', ['src/big.c'])])\n"
}


def leaked(text: str) -> bool:
    return SECRET in text.replace(f"{AUTH}/", "/auth/MASKED/")


@pytest.fixture
def project(fresh_server: IndexServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    fresh_server.add_project("plain", [wheel("plain", "1.0")])
    fresh_server.add_project("big", [sdist("big", "2.0", texts=C_SETUP, members=["src/big.c"])])
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".git").mkdir()
    (tmp_path / "requirements.txt").write_text("plain\nbig\nmissing-project\n")
    (tmp_path / "old.txt").write_text("plain\n")
    return tmp_path


def outputs(args: list[str], capsys: pytest.CaptureFixture[str]) -> list[str]:
    seen = []
    for extra in (
        ["requirements.txt", "--format", "table"],
        ["requirements.txt", "--format", "json"],
        ["requirements.txt", "--format", "markdown"],
        ["requirements.txt", "--format", "sarif", "--fail-on", "native-build"],
        ["diff", "old.txt", "requirements.txt", "--format", "markdown"],
        ["dockerfile", "requirements.txt"],
    ):
        main([*extra, *args])
        captured = capsys.readouterr()
        seen += [captured.out, captured.err]
    return seen


def cache_bytes(root: Path) -> bytes:
    return b"".join(p.read_bytes() for p in root.rglob("*") if p.is_file())


def test_credentials_in_the_index_url_never_show(
    fresh_server: IndexServer, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index = f"http://alice:{SECRET}@127.0.0.1:{fresh_server.port}{AUTH}/simple/"
    cache = project / "cache"
    args = ["--index-url", index, "--cache-dir", str(cache), "--image", "python:3.12-slim-bookworm"]
    texts = outputs(args, capsys)
    assert any("big" in t for t in texts)  # the runs did reach the index
    assert not any(leaked(t) for t in texts)
    assert SECRET.encode() not in cache_bytes(cache).replace(f"{AUTH}/".encode(), b"/")


def test_wrong_credentials_are_an_error_without_the_password(
    fresh_server: IndexServer, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wrong = "wr0ng-Pa55"
    index = f"http://alice:{wrong}@127.0.0.1:{fresh_server.port}{AUTH}/simple/"
    code = main(["requirements.txt", "--index-url", index, "--no-cache", "--format", "json"])
    captured = capsys.readouterr()
    assert code == 2
    assert "HTTP 401" in captured.out + captured.err
    assert wrong not in captured.out + captured.err


def test_netrc_credentials_are_used_and_never_shown(
    fresh_server: IndexServer,
    project: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    netrc = project / "netrc"
    netrc.write_text(f"machine 127.0.0.1 login alice password {SECRET}\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    cache = project / "cache"
    index = f"{fresh_server.url}{AUTH}/simple/"
    args = ["--index-url", index, "--cache-dir", str(cache), "--image", "python:3.12-slim-bookworm"]
    texts = outputs(args, capsys)
    assert any('"name": "big"' in t for t in texts), "netrc credentials were not used"
    assert not any(leaked(t) for t in texts)
    assert SECRET.encode() not in cache_bytes(cache).replace(f"{AUTH}/".encode(), b"/")


# -- the user's own lines, echoed in errors ------------------------------------------------

TOKEN = "t0ken-XYZZY"
BAD_LINES = [
    f"--index-url=http://user:{TOKEN}@example.invalid/simple/ --bogus",
    f"zeta @ http://user:{TOKEN}@example.invalid/z.whl ; python_version >>> '3'",
    f"-r http://user:{TOKEN}@example.invalid/req.txt",
    f"-c https://{TOKEN}@example.invalid/constraints.txt",
    f"--extra-index-url http://user:p@ss{TOKEN}@example.invalid/simple/ --nope",
]


@pytest.mark.parametrize("bad", BAD_LINES)
def test_a_line_that_cannot_be_read_is_shown_without_its_credentials(
    fresh_server: IndexServer,
    project: Path,
    bad: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (project / "requirements.txt").write_text(f"plain\n{bad}\n")
    args = ["--index-url", f"{fresh_server.url}/simple/", "--no-cache", "--no-costs"]
    texts = outputs([*args, "--image", "python:3.12-slim-bookworm"], capsys)
    out = project / "out.json"
    assert main(["requirements.txt", *args, "--format", "json", "-o", str(out)]) == 2
    texts += [*capsys.readouterr(), out.read_text()]
    assert any("requirements.txt:2" in t for t in texts)  # the line is reported, located
    assert any("***@example.invalid" in t for t in texts)  # with its URL, redacted
    assert not any(TOKEN in t for t in texts)


def test_a_remote_include_is_a_located_error_naming_the_redacted_url(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "requirements.txt").write_text(f"-r http://user:{TOKEN}@example.invalid/r.txt\n")
    assert main(["requirements.txt", "--offline", "--no-cache", "--format", "json"]) == 2
    captured = capsys.readouterr()
    assert "requirements.txt:1: http://***@example.invalid/r.txt: wheelfit reads" in captured.err
    assert TOKEN not in captured.out + captured.err


def test_a_bad_option_value_is_echoed_by_argparse_without_credentials(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        main(["requirements.txt", "--format", f"http://user:{TOKEN}@example.invalid/"])
    err = capsys.readouterr().err
    assert "invalid choice: 'http://***@example.invalid/'" in err
    assert TOKEN not in err


SLASHED = f"http://pr/obe:{TOKEN}/x@example.invalid/simple/"  # host "pr", the rest a path


@pytest.mark.parametrize(
    ("where", "option"),
    [
        ("argv", "--index-url"),
        ("argv", "--extra-index-url"),
        ("argv", "--find-links"),
        ("file", "-i"),
        ("file", "--extra-index-url"),
        ("file", "--find-links"),
    ],
)
def test_an_index_url_with_a_slash_in_its_password_is_refused_unshown(
    fresh_server: IndexServer,
    project: Path,
    where: str,
    option: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # a valid URL whose host is "pr": redaction cannot know "obe:TOKEN/x@" is a password
    args = ["--index-url", f"{fresh_server.url}/simple/", "--no-cache", "--no-costs"]
    if where == "argv":
        args += [option, SLASHED]
    else:
        (project / "requirements.txt").write_text(f"plain\n{option} {SLASHED}\n")
    texts = outputs([*args, "--image", "python:3.12-slim-bookworm"], capsys)
    out = project / "out.json"
    assert main(["requirements.txt", *args, "--format", "json", "-o", str(out)]) == 2
    texts += [*capsys.readouterr()]
    if out.exists():
        texts.append(out.read_text())
    located = f"{option}:" if where == "argv" else "requirements.txt:2"
    assert any(located in t and "%2F" in t for t in texts)
    assert not any(TOKEN in t for t in texts)
