"""Network faults injected by the local index: every run finishes, the affected rows say what
failed, retries are bounded, and nothing from a bad response is cached."""

from __future__ import annotations

from pathlib import Path

import pytest
from indexserver import IndexServer
from test_analyze import pkg, wheel

from wheelfit import Settings, Status, analyze, target_from_image
from wheelfit.index.cache import Cache
from wheelfit.index.client import IndexClient
from wheelfit.index.http import READ_RETRIES
from wheelfit.models import Report

SLIM = "python:3.12-slim-bookworm"
MAX_ATTEMPTS = 4  # the first try and three retries (index.client)


@pytest.fixture
def server(fresh_server: IndexServer) -> IndexServer:
    fresh_server.add_project("first", [wheel("first", "1.0", requires=["second"])])
    fresh_server.add_project("second", [wheel("second", "2.0")])
    return fresh_server


def analyse(server: IndexServer, tmp_path: Path, prefix: str, **client: object) -> Report:
    req = tmp_path / "requirements.txt"
    req.write_text("first\n")
    index = f"{server.url}{prefix}/simple/"
    settings = Settings(index_url=index, cache_dir=tmp_path / "cache")
    with IndexClient([index], cache=Cache(tmp_path / "cache"), **client) as own:  # type: ignore[arg-type]
        return analyze([str(req)], [target_from_image(SLIM)], settings, client=own)


def attempts(server: IndexServer, fragment: str) -> int:
    return max(
        (
            sum(1 for _, p, _ in server.requests if p == path)
            for _, path, _ in server.requests
            if fragment in path
        ),
        default=0,
    )


@pytest.mark.parametrize("prefix", ["/retryafter/1", "/reset/1", "/flaky/2", "/norange"])
def test_transient_faults_are_retried_and_the_answer_is_right(
    server: IndexServer, tmp_path: Path, prefix: str
) -> None:
    report = analyse(server, tmp_path, prefix)
    target = report.targets[0]
    assert target.complete
    assert pkg(target, "first").status is Status.WHEEL
    assert pkg(target, "second").version == "2.0"
    assert attempts(server, "/simple/first/") <= MAX_ATTEMPTS


@pytest.mark.parametrize(
    ("prefix", "says"),
    [
        ("/status/503", "HTTP 503"),
        ("/status/500", "HTTP 500"),
        ("/retryafter/99", "HTTP 429"),
        ("/reset/99", "cannot connect"),
        ("/truncate", "the connection broke"),
        ("/garble", "not a valid project page"),
        ("/ctype/text~plain", "text/plain"),
        ("/ctype/application~octet-stream", "application/octet-stream"),
    ],
)
def test_lasting_faults_make_a_row_not_a_crash(
    server: IndexServer, tmp_path: Path, prefix: str, says: str
) -> None:
    report = analyse(server, tmp_path, prefix)
    target = report.targets[0]
    first = pkg(target, "first")
    assert first.status is Status.UNAVAILABLE
    assert "could not be read" in first.reason and says in first.reason, first.reason
    assert not target.complete
    assert "first" in target.fetch_errors
    assert attempts(server, "/simple/first/") <= MAX_ATTEMPTS
    # nothing was cached from the bad answers: the next run asks the index again
    server.requests.clear()
    analyse(server, tmp_path, prefix)
    assert attempts(server, "/simple/first/") >= 1


def test_a_slow_index_times_out_into_a_row(server: IndexServer, tmp_path: Path) -> None:
    report = analyse(server, tmp_path, "/slow/3", timeout=0.5, retries=0)
    first = pkg(report.targets[0], "first")
    assert first.status is Status.UNAVAILABLE and "timed out" in first.reason


def test_a_stalled_index_is_given_up_after_two_read_timeouts(
    server: IndexServer, tmp_path: Path
) -> None:
    # the server accepts and says nothing for 3 s; each read waits 0.2 s: the page is asked
    # for READ_RETRIES + 1 times (not once per retry allowed for statuses), then the row says
    # the index could not be read, well before the request's total deadline
    report = analyse(server, tmp_path, "/slow/3", timeout=0.2, retries=3, deadline=600.0)
    first = pkg(report.targets[0], "first")
    assert first.status is Status.UNAVAILABLE
    assert "could not be read" in first.reason and "timed out" in first.reason
    assert "600" not in first.reason  # a read timeout, not the total deadline
    assert attempts(server, "/simple/first/") == READ_RETRIES + 1
