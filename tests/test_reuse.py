"""A warm run reuses a target's stored result only when nothing it came from has changed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from indexserver import IndexServer
from test_analyze import sdist, wheel

from wheelfit.cli import main

C_SETUP = {
    "setup.py": "from setuptools import setup, Extension\n"
    "setup(ext_modules=[Extension('big._big', ['src/big.c'])])\n"
}


@pytest.fixture
def project(fresh_server: IndexServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    fresh_server.add_project("plain", [wheel("plain", "1.0", requires=["helper"])])
    fresh_server.add_project("helper", [wheel("helper", "1.0")])
    fresh_server.add_project("big", [sdist("big", "2.0", texts=C_SETUP, members=["src/big.c"])])
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".git").mkdir()
    (tmp_path / "requirements.txt").write_text("plain\nbig\n")
    return tmp_path


def run(server: IndexServer, capsys: pytest.CaptureFixture[str], *extra: str) -> dict[str, object]:
    server.requests.clear()
    args = ["requirements.txt", "--index-url", f"{server.url}/simple/", "--cache-dir", "cache"]
    main([*args, "--image", "python:3.12-slim-bookworm", "--image", "python:3.12-alpine",
          "--format", "json", *extra])  # fmt: skip
    document = json.loads(capsys.readouterr().out)
    document.pop("generated_at")
    return dict(document)


def test_a_warm_run_reuses_the_result_without_the_index(
    fresh_server: IndexServer, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = run(fresh_server, capsys)
    assert fresh_server.requests
    second = run(fresh_server, capsys)
    assert second == first
    assert fresh_server.requests == []  # nothing asked: every page it read is fresh


def test_a_warm_run_reads_each_page_s_state_once_for_all_its_images(
    fresh_server: IndexServer,
    project: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from wheelfit.index.cache import Cache

    first = run(fresh_server, capsys)
    asked: list[str] = []
    real = Cache.page_state

    def counting(self: Cache, url: str) -> tuple[str, bool] | None:
        asked.append(url)
        return real(self, url)

    monkeypatch.setattr(Cache, "page_state", counting)
    assert run(fresh_server, capsys) == first
    # both images read the pages of plain, helper and big (and build requirements' pages)
    assert len(asked) == len(set(asked)) >= 3


def test_a_changed_input_or_option_is_analysed_again(
    fresh_server: IndexServer, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(fresh_server, capsys)
    (project / "requirements.txt").write_text("plain\nbig\nhelper\n")
    changed = run(fresh_server, capsys)
    names = {p["name"] for p in changed["targets"][0]["packages"]}  # type: ignore[index]
    assert "helper" in names
    other = run(fresh_server, capsys, "--no-costs")
    assert other["targets"][0]["costs"] is None  # type: ignore[index]


def test_an_expired_or_changed_page_is_not_trusted(
    fresh_server: IndexServer, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = run(fresh_server, capsys)
    expire_pages(project / "cache" / "pages")  # expired long ago
    fresh_server.add_project("helper", [wheel("helper", "1.0"), wheel("helper", "2.0")])
    second = run(fresh_server, capsys)
    assert any("/simple/" in path for _, path, _ in fresh_server.requests)
    versions = {p["name"]: p["version"] for p in second["targets"][0]["packages"]}  # type: ignore[index]
    assert versions["helper"] == "2.0" and second != first


def test_a_missing_project_is_asked_again(
    fresh_server: IndexServer, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "requirements.txt").write_text("plain\nabsentpkg\n")
    first = run(fresh_server, capsys)
    second = run(fresh_server, capsys)
    assert second == first
    assert {path for _, path, _ in fresh_server.requests} == {"/simple/absentpkg/"}
    fresh_server.add_project("absentpkg", [wheel("absentpkg", "1.0")])
    third = run(fresh_server, capsys)
    statuses = {p["name"]: p["status"] for p in third["targets"][0]["packages"]}  # type: ignore[index]
    assert statuses["absentpkg"] == "wheel"


def test_failures_and_damaged_entries_are_never_reused(
    fresh_server: IndexServer, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = ["--index-url", f"{fresh_server.url}/status/503/simple/"]
    run(fresh_server, capsys, *broken)
    assert not (project / "cache" / "blobs" / "reports").exists()
    first = run(fresh_server, capsys)
    for entry in (project / "cache" / "blobs" / "reports").iterdir():
        entry.write_bytes(entry.read_bytes()[:20])
    second = run(fresh_server, capsys)
    assert second == first
    assert fresh_server.requests == []  # the pages were still fresh; only the result was redone


def expire_pages(folder: Path) -> None:
    """Mark every cached page as fetched long ago (its first line is its metadata)."""
    for entry in folder.glob("*.page"):
        head, _, body = entry.read_bytes().partition(b"\n")
        meta = json.loads(head)
        meta["fetched_at"] = 0
        entry.write_bytes(json.dumps(meta).encode() + b"\n" + body)


def test_a_warm_run_loads_neither_the_http_client_nor_the_stages(
    fresh_server: IndexServer, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Start-up is most of a run answered from stored results: the second run, in a fresh
    interpreter, must not import the HTTP stack, the resolver, the archive readers, nor rich
    when it writes its report to a file.

    A stored result's key includes the package's files' sizes and times, worked out once per
    process (report/stored.py): a file of wheelfit/ edited during the test session makes the
    fresh interpreter's key differ, and this test fail, as it should."""
    import subprocess
    import sys

    run(fresh_server, capsys)
    heavy = ["requests", "urllib3", "resolvelib", "auditwheel", "elftools", "wheelfit.pipeline"]
    heavy += ["wheelfit.index.client", "wheelfit.resolve.resolver", "wheelfit.inspect.sdist"]
    heavy += ["rich"]  # nothing printed to the terminal: the consoles are never made
    script = (
        "import json, sys\n"
        "from wheelfit.cli import main\n"
        f"code = main(['requirements.txt', '--index-url', '{fresh_server.url}/simple/',\n"
        "  '--cache-dir', 'cache', '--image', 'python:3.12-slim-bookworm',\n"
        "  '--image', 'python:3.12-alpine', '--format', 'json', '-o', 'warm.json'])\n"
        f"print(json.dumps([code, [m for m in {heavy!r} if m in sys.modules]]))\n"
    )
    fresh_server.requests.clear()
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    code, loaded = json.loads(done.stdout.splitlines()[-1])
    assert (code, loaded) == (0, [])
    assert fresh_server.requests == []
    assert json.loads(Path("warm.json").read_text())["targets"]
