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
