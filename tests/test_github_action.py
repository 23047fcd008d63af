"""The GitHub Action's script end to end: a real git repository, the local index, and a fake
GitHub REST API on 127.0.0.1 (a real HTTP server) that stores the pull request's comments."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from gitrepo import commit
from indexserver import IndexServer
from test_ci_outputs import add_projects

from wheelfit.ci import github
from wheelfit.render.markdown import MARKER

TOKEN = "ghs_not-a-real-token"


class FakeGitHub(ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.comments: dict[int, list[dict[str, Any]]] = {}
        self.calls: list[tuple[str, str]] = []
        self.next_id = 100

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: FakeGitHub

    def log_message(self, *args: object) -> None:
        pass

    def _send(self, status: int, payload: object) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _body(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length", "0"))
        return dict(json.loads(self.rfile.read(length)))

    def _route(self, method: str) -> None:
        self.server.calls.append((method, self.path))
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self._send(401, {"message": "Bad credentials"})
        parts = urlsplit(self.path)
        segments = parts.path.strip("/").split("/")
        # /repos/{owner}/{repo}/issues/{number}/comments
        if len(segments) == 6 and segments[3] == "issues" and segments[5] == "comments":
            number = int(segments[4])
            stored = self.server.comments.setdefault(number, [])
            if method == "GET":
                query = parse_qs(parts.query)
                page, size = int(query["page"][0]), int(query["per_page"][0])
                return self._send(200, stored[(page - 1) * size : page * size])
            if method == "POST":
                self.server.next_id += 1
                comment = {"id": self.server.next_id, "body": self._body()["body"]}
                stored.append(comment)
                return self._send(201, comment)
        # /repos/{owner}/{repo}/issues/comments/{id}
        if len(segments) == 6 and segments[3:5] == ["issues", "comments"] and method == "PATCH":
            for stored in self.server.comments.values():
                for comment in stored:
                    if comment["id"] == int(segments[5]):
                        comment["body"] = self._body()["body"]
                        return self._send(200, comment)
        return self._send(404, {"message": "Not Found"})

    def do_GET(self) -> None:
        self._route("GET")

    def do_POST(self) -> None:
        self._route("POST")

    def do_PATCH(self) -> None:
        self._route("PATCH")


@pytest.fixture
def fake_github() -> Iterator[FakeGitHub]:
    server = FakeGitHub()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_action_creates_then_updates_one_comment(
    fresh_server: IndexServer,
    fake_github: FakeGitHub,
    git_repo: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    add_projects(fresh_server)
    requirements = git_repo / "requirements.txt"
    base = commit(requirements, "plain\n", "base")
    (git_repo / "README.md").write_text("not a requirements file\n")
    head = commit(requirements, "plain\nmuslgap\n", "add muslgap")

    event = tmp_path / "event.json"
    summary = tmp_path / "summary.md"

    def set_event(head_sha: str) -> None:
        pull = {"number": 7, "base": {"sha": base}, "head": {"sha": head_sha}}
        event.write_text(json.dumps({"pull_request": pull}))

    set_event(head)
    for key, value in {
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_REPOSITORY": "octo/app",
        "GITHUB_API_URL": fake_github.url,
        "GITHUB_TOKEN": TOKEN,
        "GITHUB_STEP_SUMMARY": str(summary),
        "INPUT_IMAGES": "python:3.12-slim-bookworm python:3.12-alpine",
        "INPUT_INDEX_URL": f"{fresh_server.url}/simple/",
        "INPUT_FAIL_ON": "native-build",
        "INPUT_ARGS": f"--cache-dir {tmp_path / 'cache'}",
    }.items():
        monkeypatch.setenv(key, value)
    fake_github.comments[7] = [{"id": 1, "body": "LGTM, from a person"}]

    assert github.main() == 1  # muslgap starts compiling on alpine: native-build fails
    comments = fake_github.comments[7]
    assert len(comments) == 2 and comments[0]["body"] == "LGTM, from a person"
    first = comments[1]
    assert first["body"].startswith(MARKER)
    assert "muslgap" in first["body"] and "now compiles muslgap" in first["body"]
    assert ("POST", "/repos/octo/app/issues/7/comments") in fake_github.calls

    head = commit(requirements, "plain\nmuslgap\nbig\n", "add big")
    set_event(head)
    assert github.main() == 1
    comments = fake_github.comments[7]
    assert len(comments) == 2, "updated in place, not a second wheelfit comment"
    assert comments[1]["id"] == first["id"]
    assert "now compiles big, muslgap" in comments[1]["body"]
    assert any(m == "PATCH" for m, _ in fake_github.calls)
    written = summary.read_text()
    assert written.count(MARKER) == 2  # each run appends its report to the job summary
    assert TOKEN not in written and TOKEN not in capsys.readouterr().out


def test_action_without_requirement_changes_posts_nothing(
    fake_github: FakeGitHub, git_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = commit(git_repo / "app.py", "print(1)\n", "base")
    head = commit(git_repo / "app.py", "print(2)\n", "change code only")
    event = tmp_path / "event.json"
    event.write_text(
        json.dumps({"pull_request": {"number": 3, "base": {"sha": base}, "head": {"sha": head}}})
    )
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))
    monkeypatch.setenv("GITHUB_REPOSITORY", "octo/app")
    monkeypatch.setenv("GITHUB_API_URL", fake_github.url)
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    assert github.main() == 0
    assert fake_github.calls == []


def test_action_reports_a_refused_token(
    fresh_server: IndexServer,
    fake_github: FakeGitHub,
    git_repo: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    add_projects(fresh_server)
    base = commit(git_repo / "requirements.txt", "plain\n", "base")
    head = commit(git_repo / "requirements.txt", "plain\nhelper\n", "head")
    event = tmp_path / "event.json"
    event.write_text(
        json.dumps({"pull_request": {"number": 4, "base": {"sha": base}, "head": {"sha": head}}})
    )
    for key, value in {
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_REPOSITORY": "octo/app",
        "GITHUB_API_URL": fake_github.url,
        "GITHUB_TOKEN": "wrong",
        "INPUT_IMAGES": "python:3.12-slim-bookworm",
        "INPUT_INDEX_URL": f"{fresh_server.url}/simple/",
        "INPUT_ARGS": f"--cache-dir {tmp_path / 'cache'}",
    }.items():
        monkeypatch.setenv(key, value)
    assert github.main() == 2
    assert "401" in capsys.readouterr().err


def test_action_steps_upload_the_html_report_and_link_it(
    fresh_server: IndexServer,
    fake_github: FakeGitHub,
    git_repo: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """action.yml's two steps around the artifact upload: report, then comment with the link."""
    add_projects(fresh_server)
    requirements = git_repo / "requirements.txt"
    base = commit(requirements, "plain\n", "base")
    head = commit(requirements, "plain\nmuslgap\n", "add muslgap")
    event = tmp_path / "event.json"
    event.write_text(
        json.dumps({"pull_request": {"number": 9, "base": {"sha": base}, "head": {"sha": head}}})
    )
    outputs, folder = tmp_path / "outputs.txt", tmp_path / "report"
    for key, value in {
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_REPOSITORY": "octo/app",
        "GITHUB_API_URL": fake_github.url,
        "GITHUB_TOKEN": TOKEN,
        "GITHUB_OUTPUT": str(outputs),
        "WHEELFIT_REPORT_DIR": str(folder),
        "INPUT_IMAGES": "python:3.12-slim-bookworm python:3.12-alpine",
        "INPUT_INDEX_URL": f"{fresh_server.url}/simple/",
        "INPUT_FAIL_ON": "native-build",
        "INPUT_ARGS": f"--cache-dir {tmp_path / 'cache'}",
    }.items():
        monkeypatch.setenv(key, value)
    assert github.main(["report"]) == 0  # the step succeeds so the upload runs
    assert fake_github.calls == []  # nothing posted before the page is uploaded
    written = dict(line.split("=", 1) for line in outputs.read_text().splitlines())
    assert written["exit-code"] == "1"  # native-build matched: the comment step fails the job
    page = Path(written["html"]).read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and 'data-package="muslgap"' in page
    # the action passes the upload step's artifact-url and the report step's exit code
    link = "https://github.com/octo/app/actions/runs/1/artifacts/42"
    monkeypatch.setenv("WHEELFIT_ARTIFACT_URL", link)
    monkeypatch.setenv("WHEELFIT_EXIT_CODE", written["exit-code"])
    assert github.main(["comment"]) == 1
    (posted,) = fake_github.comments[9]
    assert posted["body"].startswith(MARKER) and f"]({link})" in posted["body"]
    action = (Path(__file__).parents[1] / "action.yml").read_text()
    assert "actions/upload-artifact@v4" in action
    assert "steps.upload.outputs.artifact-url" in action
    assert "wheelfit.ci.github report" in action and "wheelfit.ci.github comment" in action
    assert github.main(["bogus"]) == 2
