"""Project pages fetched by one child process into the cache, packed and sdists read by
another (index/pageprocess.py, index/children.py, inspect/worker.py): the report is the one
the client gives doing it itself, errors included, credentials stay on the pipe, and without
the children the client fetches and parses the pages and reads the sdists as before."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from indexserver import IndexServer

from wheelfit import Settings, analyze, target_from_image
from wheelfit.errors import IndexFetchError
from wheelfit.index import client as client_module
from wheelfit.index import pageprocess
from wheelfit.index.cache import Cache
from wheelfit.index.client import IndexClient
from wheelfit.index.http import Http, make_session
from wheelfit.inspect import worker
from wheelfit.models import DistFile, FileDetails
from wheelfit.render.json import report_to_dict

TARGET = target_from_image("python:3.12-slim-bookworm")
# wheels, an sdist (uwsgi) with a build environment, and dependencies found on the way
REQUIREMENTS = "six==1.16.0\npyyaml\nrequests\nuwsgi\n"


@pytest.fixture
def spawned(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The command lines of the child processes started."""
    started: list[list[str]] = []
    real = subprocess.Popen

    def popen(args: list[str], *rest: Any, **kwargs: Any) -> Any:
        started.append(list(args))
        return real(args, *rest, **kwargs)

    monkeypatch.setattr(pageprocess.subprocess, "Popen", popen)
    return started


def _recorded(monkeypatch: pytest.MonkeyPatch, owner: object, name: str, arg: int) -> list[Any]:
    """The ``arg``-th argument of every call of ``owner.name`` (a method counts its self)."""
    seen: list[Any] = []
    real = getattr(owner, name)

    def recording(*args: Any, **kwargs: Any) -> Any:
        seen.append(args[arg])
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, recording)
    return seen


@pytest.fixture
def fetched_here(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The URLs the client itself asked the index for."""
    return _recorded(monkeypatch, IndexClient, "_request", 2)


@pytest.fixture
def downloaded_here(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The archives (DistFiles) the client itself downloaded."""
    return _recorded(monkeypatch, IndexClient, "download", 1)


@pytest.fixture
def parsed_here(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The projects whose index pages the client itself parsed."""
    return _recorded(monkeypatch, client_module, "parse_project_page", 3)


def report(index_url: str, cache: Path, requirements: str = REQUIREMENTS) -> dict[str, Any]:
    """The run's report from an empty cache (the same folder each time: the options name it)."""
    shutil.rmtree(cache, ignore_errors=True)
    file = cache.parent / "requirements.txt"
    file.write_text(requirements)
    settings = Settings(index_url=index_url, cache_dir=cache)
    document = report_to_dict(analyze([str(file)], [TARGET], settings))
    document.pop("generated_at", None)
    return document


def test_the_child_fetches_the_pages_and_the_report_is_the_same(
    index_server: IndexServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    spawned: list[list[str]],
    fetched_here: list[str],
    downloaded_here: list[Any],
    parsed_here: list[str],
) -> None:
    index = f"{index_server.url}/simple/"
    monkeypatch.setenv("WHEELFIT_PAGE_PROCESS", "0")
    alone = report(index, tmp_path / "cache")
    assert spawned == [] and any("/simple/" in url for url in fetched_here)
    assert [dist for dist in downloaded_here if dist.filename.startswith("uwsgi-")]

    monkeypatch.delenv("WHEELFIT_PAGE_PROCESS")
    assert parsed_here
    fetched_here.clear()
    downloaded_here.clear()
    parsed_here.clear()
    with_child = report(index, tmp_path / "cache")

    assert with_child == alone
    assert spawned == [
        [sys.executable, "-m", "wheelfit.index.pageprocess"],
        [sys.executable, "-m", "wheelfit.inspect.worker"],
    ]
    assert not [url for url in fetched_here if "/simple/" in url]  # every page came from it
    pages = list((tmp_path / "cache" / "pages").glob("*.page"))
    assert len(pages) >= 3
    # every page was packed by the worker, and read from there (unpack_page)
    assert len(list((tmp_path / "cache" / "blobs").glob("page-packed-v*/*"))) == len(pages)
    assert parsed_here == []
    assert downloaded_here == []  # the sdist was read by the child
    assert len(list((tmp_path / "cache" / "blobs").glob("sdist-v*/*"))) == 1


def test_an_sdist_that_cannot_be_read_reads_as_it_did_without_the_child(
    fresh_server: IndexServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    spawned: list[list[str]],
    downloaded_here: list[Any],
) -> None:
    fresh_server.add_project(
        "escapee", [{"filename": "escapee-1.0.tar.gz", "members": ["../../outside.c"]}]
    )
    index = f"{fresh_server.url}/simple/"
    monkeypatch.setenv("WHEELFIT_PAGE_PROCESS", "0")
    alone = report(index, tmp_path / "cache", "escapee==1.0\n")
    monkeypatch.delenv("WHEELFIT_PAGE_PROCESS")
    downloaded_here.clear()
    with_child = report(index, tmp_path / "cache", "escapee==1.0\n")

    assert spawned and downloaded_here == []
    assert with_child == alone
    (row,) = with_child["targets"][0]["packages"]
    assert "unsafe member path" in json.dumps(row)
    assert not list((tmp_path / "cache" / "blobs").glob("sdist-v*/*"))


@pytest.mark.parametrize("fault", ["status/404/", "auth/u:p/", "sha256"])
def test_the_child_fails_a_download_in_the_clients_words(
    index_server: IndexServer, tmp_path: Path, fault: str
) -> None:
    """One sdist downloaded by the client and by the child's job (inspect_into_cache)."""
    client = IndexClient([f"{index_server.url}/simple/"], cache=Cache(None), timeout=5)
    sdist = next(f for f in client.get_project("uwsgi").files if not f.is_wheel)
    details = {name: getattr(sdist.details, name) for name in sdist.details.__dataclass_fields__}
    if fault == "sha256":
        details["sha256"] = "0" * 64
    else:
        details["url"] = details["url"].replace("/files/", f"/{fault}files/")
    dist = DistFile(sdist.project, sdist.version, False, FileDetails(**details))
    with client, pytest.raises(IndexFetchError) as raised:
        client.download(dist).close()
    child = pageprocess.Child(Cache(tmp_path / "c"), Http(make_session(0, 1), 5, 10, 0))
    ask = {
        "url": dist.url,
        "auth": None,
        "filename": dist.filename,
        "sha256": dist.sha256,
        "limit": 1 << 24,
        "in_memory": 1 << 20,
        "blob": "sdist-test",
        "identity": "x",
    }

    assert worker.inspect_into_cache(child, ask) == {"error": str(raised.value)}
    assert not (tmp_path / "c" / "blobs").exists()


@pytest.mark.parametrize("fault", ["ctype/text~plain/", "garble/", "status/403/"])
def test_a_page_that_is_not_one_reads_as_it_did_without_the_child(
    index_server: IndexServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fault: str,
    spawned: list[list[str]],
) -> None:
    index = f"{index_server.url}/{fault}simple/"
    monkeypatch.setenv("WHEELFIT_PAGE_PROCESS", "0")
    alone = report(index, tmp_path / "cache", "six==1.16.0\n")
    monkeypatch.delenv("WHEELFIT_PAGE_PROCESS")
    with_child = report(index, tmp_path / "cache", "six==1.16.0\n")

    assert spawned  # the child was asked
    assert with_child == alone
    (row,) = with_child["targets"][0]["packages"]
    assert row["status"] == "unavailable"
    # only a page that parses is kept in the cache, whoever fetched it
    assert not list((tmp_path / "cache" / "pages").glob("*.page"))


def test_credentials_travel_on_the_pipe_only(
    index_server: IndexServer, tmp_path: Path, spawned: list[list[str]]
) -> None:
    host = index_server.url.removeprefix("http://")
    index = f"http://user:s3cret-word@{host}/auth/user:s3cret-word/simple/"

    document = report(index, tmp_path / "cache", "six==1.16.0\nuwsgi\n")

    rows = {row["name"]: row for row in document["targets"][0]["packages"]}
    assert rows["six"]["status"] == "wheel"  # the child's requests carried the credentials
    assert rows["uwsgi"]["languages"] and not rows["uwsgi"].get("incomplete")  # read by it
    assert list((tmp_path / "cache" / "blobs").glob("sdist-v*/*"))
    assert spawned and "s3cret-word" not in json.dumps(spawned)
    # (the test index's route names the password in its path; the credentials part does not)
    assert "s3cret-word@" not in json.dumps(document)
    assert f"http://***@{host}/auth/user:s3cret-word/simple/" in json.dumps(document)


@pytest.mark.parametrize("interpreter", ["/nonexistent/python", "/bin/true"])
def test_without_its_child_the_client_fetches_the_pages_itself(
    index_server: IndexServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    interpreter: str,
    fetched_here: list[str],
) -> None:
    """A child that cannot start, or that ends at once without answering."""
    index = f"{index_server.url}/simple/"
    monkeypatch.setenv("WHEELFIT_PAGE_PROCESS", "0")
    alone = report(index, tmp_path / "cache")
    monkeypatch.delenv("WHEELFIT_PAGE_PROCESS")
    monkeypatch.setattr(pageprocess.sys, "executable", interpreter)
    fetched_here.clear()

    assert report(index, tmp_path / "cache") == alone
    assert [url for url in fetched_here if "/simple/" in url]


def test_a_client_closed_while_its_child_fetches_leaves_no_half_written_page(
    index_server: IndexServer, tmp_path: Path, spawned: list[list[str]]
) -> None:
    """The child is told to stop and finishes the pages it is writing, within a bound."""
    names = index_server.project_names()[:6]
    client = IndexClient([f"{index_server.url}/slow/1/simple/"], cache=Cache(tmp_path / "c"))
    client.prefetch_projects(names)  # six pages of a second each, asked of the child
    time.sleep(0.5)
    started = time.monotonic()
    client.close()

    assert spawned
    assert time.monotonic() - started < 5
    assert not list((tmp_path / "c" / "pages").glob(".tmp-*"))
