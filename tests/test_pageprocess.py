"""Project pages fetched by a child process into the cache (index/pageprocess.py): the report
is the one the client gives fetching them itself, errors included, credentials stay on the
pipe, and without a child the client fetches the pages as before."""

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
from wheelfit.index import pageprocess
from wheelfit.index.cache import Cache
from wheelfit.index.client import IndexClient
from wheelfit.render.json import report_to_dict

TARGET = target_from_image("python:3.12-slim-bookworm")
# a wheel, an sdist with a build environment, and a dependency found on the way
REQUIREMENTS = "six==1.16.0\npyyaml\nrequests\n"


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


@pytest.fixture
def fetched_here(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The URLs the client itself asked the index for."""
    asked: list[str] = []
    real = IndexClient._request

    def request(self: IndexClient, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        asked.append(url)
        return real(self, method, url, *args, **kwargs)

    monkeypatch.setattr(IndexClient, "_request", request)
    return asked


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
) -> None:
    index = f"{index_server.url}/simple/"
    monkeypatch.setenv("WHEELFIT_PAGE_PROCESS", "0")
    alone = report(index, tmp_path / "cache")
    assert spawned == [] and any("/simple/" in url for url in fetched_here)

    monkeypatch.delenv("WHEELFIT_PAGE_PROCESS")
    fetched_here.clear()
    with_child = report(index, tmp_path / "cache")

    assert with_child == alone
    assert spawned == [[sys.executable, "-m", "wheelfit.index.pageprocess"]]
    assert not [url for url in fetched_here if "/simple/" in url]  # every page came from it
    assert len(list((tmp_path / "cache" / "pages").glob("*.page"))) >= 3


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

    document = report(index, tmp_path / "cache", "six==1.16.0\n")

    (row,) = document["targets"][0]["packages"]
    assert row["status"] == "wheel"  # the child's requests carried the credentials
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
