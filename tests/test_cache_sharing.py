"""One cache folder shared by concurrent runs, and damaged entries of every kind."""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from indexserver import IndexServer
from test_analyze import sdist, wheel

C_SETUP = {
    "setup.py": "from setuptools import setup, Extension\n"
    "setup(ext_modules=[Extension('big._big', ['src/big.c'])])\n"
}
RUNS = 4


def wheelfit(args: list[str], cwd: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "wheelfit", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def json_args(server: IndexServer, cache: Path) -> list[str]:
    return [
        "requirements.txt",
        *("--index-url", f"{server.url}/simple/", "--cache-dir", str(cache)),
        *("--format", "json", "--image", "python:3.12-slim-bookworm"),
    ]


def stable(output: str) -> dict[str, object]:
    document = json.loads(output)
    document.pop("generated_at")
    return dict(document)


def test_concurrent_runs_share_one_cache(fresh_server: IndexServer, tmp_path: Path) -> None:
    for i in range(12):
        fresh_server.add_project(f"dep{i}", [wheel(f"dep{i}", "1.0")])
    fresh_server.add_project("big", [sdist("big", "2.0", texts=C_SETUP, members=["src/big.c"])])
    (tmp_path / "requirements.txt").write_text("".join(f"dep{i}\n" for i in range(12)) + "big\n")
    cache = tmp_path / "cache"
    args = [*json_args(fresh_server, cache), "--image", "python:3.12-alpine"]
    runs = [wheelfit(args, tmp_path) for _ in range(RUNS)]
    results = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0] * RUNS, [err for _, err in results]
    documents = [stable(out) for out, _ in results]
    assert all(d == documents[0] for d in documents)
    # the cache they wrote together is whole: an offline run answers the same from it alone
    offline = wheelfit([*args, "--offline"], tmp_path)
    out, err = offline.communicate(timeout=120)
    assert offline.returncode == 0, err
    assert stable(out)["targets"] == documents[0]["targets"]
    assert not list(cache.rglob(".tmp-*")), "no half-written file is left behind"


def test_every_damaged_cache_entry_is_refetched(fresh_server: IndexServer, tmp_path: Path) -> None:
    fresh_server.add_project("plain", [wheel("plain", "1.0")])
    fresh_server.add_project("big", [sdist("big", "2.0", texts=C_SETUP, members=["src/big.c"])])
    (tmp_path / "requirements.txt").write_text("plain\nbig\n")
    cache = tmp_path / "cache"
    args = json_args(fresh_server, cache)
    first = wheelfit(args, tmp_path)
    good, _ = first.communicate(timeout=120)
    entries = [p for p in cache.rglob("*") if p.is_file() and p.suffix != ".sha256"]
    assert len(entries) >= 4  # pages, metadata, wheel file lists, the sdist inspection
    for number, path in enumerate(entries):
        data = path.read_bytes()
        # truncated, garbled, emptied: each kind of damage on some entries
        path.write_bytes([data[: len(data) // 2], data[::-1], b""][number % 3])
    fresh_server.reset()
    second = wheelfit(args, tmp_path)
    out, err = second.communicate(timeout=120)
    assert second.returncode == 0, err
    assert stable(out) == stable(good)
    assert fresh_server.requests, "damaged entries were fetched again"


def test_cache_writes_are_done_when_a_run_returns(
    fresh_server: IndexServer, tmp_path: Path
) -> None:
    """Pages and blobs are written by a thread behind the fetches: a run waits for them, so
    the same input then runs offline from what the first run stored."""
    from test_analyze import run

    fresh_server.add_project("alpha", [wheel("alpha", "1.0", ["beta"])])
    fresh_server.add_project("beta", [wheel("beta", "2.0")])
    first = run(fresh_server, tmp_path, "alpha\n", costs=False)
    fresh_server.reset()
    shutil.rmtree(tmp_path / "c" / "blobs" / "reports")  # the pages, not a stored result
    again = run(fresh_server, tmp_path, "alpha\n", costs=False, offline=True)
    assert fresh_server.requests == []
    names = lambda report: [(p.name, p.version) for p in report.targets[0].packages]  # noqa: E731
    assert names(again) == names(first) == [("alpha", "1.0"), ("beta", "2.0")]


def test_a_cache_write_that_fails_is_one_warning_not_a_failed_run(
    fresh_server: IndexServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from test_analyze import run

    from wheelfit.index.cache import Cache

    def full_disk(*args: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(Cache, "store_blob", full_disk)
    monkeypatch.setattr(Cache, "store_page", full_disk)
    fresh_server.add_project("alpha", [wheel("alpha", "1.0")])
    report = run(fresh_server, tmp_path, "alpha\n", costs=False)
    assert [(p.name, p.version) for p in report.targets[0].packages] == [("alpha", "1.0")]
    assert report.warnings == ["the cache folder could not be written (No space left on device)"]
