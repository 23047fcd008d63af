"""The GitHub Action's script: one wheelfit comment per pull request, kept up to date.

Runs in a pull_request workflow (action.yml at the repository root calls it). It finds the
requirement files the pull request changes, runs `wheelfit diff --base <base sha>` on them,
writes the Markdown to the job summary, and creates the pull request's wheelfit comment or
updates it in place (found by its hidden marker) through the REST API with the workflow token.
Its exit code is wheelfit's: 1 when --fail-on matches something the change introduces.

It also writes the same diff as a self-contained HTML page. action.yml runs it in two steps
around the artifact upload, so the comment can link the uploaded page: ``report`` runs
wheelfit and writes both files to $WHEELFIT_REPORT_DIR, the job summary, and ``exit-code``
and ``html`` to $GITHUB_OUTPUT, exiting 0; ``comment`` posts the Markdown with a link to
$WHEELFIT_ARTIFACT_URL and exits with $WHEELFIT_EXIT_CODE. Without a mode it does both.

Settings come from the action's inputs as INPUT_* variables: FILES (glob patterns, space or
newline separated), IMAGES, PYTHON, FAIL_ON, COMMENT (true/false), INDEX_URL, ARGS.
"""

from __future__ import annotations

import fnmatch
import json
import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import requests

from ..cli import main as wheelfit_main
from ..cli import use_one_malloc_arena
from ..errors import describe_unexpected, redact_url
from ..render.markdown import MARKER

DEFAULT_PATTERNS = (
    "requirements*.txt",
    "**/requirements*.txt",
    "requirements/*.txt",
    "**/requirements/*.txt",
    "constraints*.txt",
    "**/constraints*.txt",
)
MAX_COMMENT = 65_000  # GitHub refuses bodies over 65,536 characters
TIMEOUT = 30


class ActionError(Exception):
    """Something the workflow author must fix (missing event, no base commit, API refusal)."""


def _input(name: str, default: str = "") -> str:
    return os.environ.get(f"INPUT_{name}", default).strip()


def _git(args: list[str]) -> str:
    done = subprocess.run(["git", *args], capture_output=True, text=True, check=False)
    if done.returncode:
        raise ActionError(f"git {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout


def changed_files(base: str, patterns: list[str]) -> list[str]:
    """Requirement files that differ between the base commit and the checked-out tree.

    Against HEAD, not the PR's head sha: actions/checkout checks out the merge commit with
    one commit of history, where the head sha may be absent; `wheelfit diff --base` compares
    the same two states.
    """
    names = _git(["diff", "--name-only", "--diff-filter=ACMR", base, "HEAD"]).split()
    return [n for n in names if any(fnmatch.fnmatch(n, p) for p in patterns)]


def _ensure_commit(sha: str) -> None:
    """actions/checkout fetches one commit by default: fetch the base when it is missing."""
    probe = subprocess.run(["git", "cat-file", "-e", f"{sha}^{{commit}}"], capture_output=True)
    if probe.returncode:
        _git(["fetch", "--no-tags", "--depth=1", "origin", sha])


class GitHub:
    """The few REST calls the action makes, against $GITHUB_API_URL."""

    def __init__(self, api: str, repository: str, token: str) -> None:
        self.api = api.rstrip("/")
        self.repository = repository
        self.session = requests.Session()
        self.session.headers.update(
            {
                "Accept": "application/vnd.github+json",
                "Authorization": f"Bearer {token}",
                "X-GitHub-Api-Version": "2022-11-28",
            }
        )

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        url = f"{self.api}{path}"
        response = self.session.request(method, url, timeout=TIMEOUT, **kwargs)
        if response.status_code >= 400:
            raise ActionError(
                f"GitHub API {method} {redact_url(url)}: {response.status_code} "
                f"{response.text[:200]}"
            )
        return response.json() if response.content else None

    def find_comment(self, number: int) -> dict[str, Any] | None:
        page = 1
        while True:
            comments = self._call(
                "GET",
                f"/repos/{self.repository}/issues/{number}/comments",
                params={"per_page": 100, "page": page},
            )
            for comment in comments:
                if MARKER in (comment.get("body") or ""):
                    return dict(comment)
            if len(comments) < 100:
                return None
            page += 1

    def upsert_comment(self, number: int, body: str) -> tuple[str, int]:
        existing = self.find_comment(number)
        if existing is not None:
            path = f"/repos/{self.repository}/issues/comments/{existing['id']}"
            self._call("PATCH", path, json={"body": body})
            return "updated", int(existing["id"])
        created = self._call(
            "POST", f"/repos/{self.repository}/issues/{number}/comments", json={"body": body}
        )
        return "created", int(created["id"])


def _wheelfit_args(files: list[str], base: str, output: Path, form: str = "markdown") -> list[str]:
    args = ["diff", "--base", base, *files, "--format", form, "-o", str(output)]
    for image in _input("IMAGES").split():
        args += ["--image", image]
    if _input("PYTHON"):
        args += ["--python", _input("PYTHON")]
    if form == "markdown":  # the findings are said once, by the run that sets the exit code
        for rule in _input("FAIL_ON").split():
            args += ["--fail-on", rule]
    if _input("INDEX_URL"):
        args += ["--index-url", _input("INDEX_URL")]
    return args + shlex.split(_input("ARGS"))


def _fit(body: str) -> str:
    if len(body) <= MAX_COMMENT:
        return body
    cut = body[: MAX_COMMENT - 200]
    return cut + "\n\n</details>\n\n*(cut: the full report is in the job summary)*\n"


MARKDOWN_NAME = "wheelfit.md"
HTML_NAME = "wheelfit-report.html"


def report(folder: Path) -> tuple[int, bool]:
    """Run wheelfit on the changed files: (its exit code, whether a report was written)."""
    event_path = os.environ.get("GITHUB_EVENT_PATH")
    if not event_path:
        raise ActionError("GITHUB_EVENT_PATH is not set: run this in a GitHub Actions workflow")
    event = json.loads(Path(event_path).read_text(encoding="utf-8"))
    pull = event.get("pull_request")
    if not pull:
        raise ActionError("this action runs on pull_request events (no pull_request in the event)")
    base = pull["base"]["sha"]
    _ensure_commit(base)
    patterns = _input("FILES").split() or list(DEFAULT_PATTERNS)
    files = changed_files(base, patterns)
    summary_path = os.environ.get("GITHUB_STEP_SUMMARY")
    if not files:
        print("wheelfit: no requirement file changed in this pull request")
        if summary_path:
            with open(summary_path, "a", encoding="utf-8") as handle:
                handle.write("wheelfit: no requirement file changed in this pull request\n")
        return 0, False
    folder.mkdir(parents=True, exist_ok=True)
    markdown = folder / MARKDOWN_NAME
    code = wheelfit_main(_wheelfit_args(files, base, markdown))
    body = markdown.read_text(encoding="utf-8") if markdown.exists() else ""
    if not body:
        raise ActionError(f"wheelfit wrote no report (exit code {code}); see the log above")
    # the same diff as a page (the second run reuses the first one's stored results)
    wheelfit_main(_wheelfit_args(files, base, folder / HTML_NAME, "html"))
    if summary_path:
        with open(summary_path, "a", encoding="utf-8") as handle:
            handle.write(body)
    return code, True


def comment(folder: Path, artifact_url: str) -> None:
    """Create or update the pull request's wheelfit comment, linking the HTML report."""
    if _input("COMMENT", "true").lower() == "false":
        return
    event = json.loads(Path(os.environ["GITHUB_EVENT_PATH"]).read_text(encoding="utf-8"))
    number = int(event["pull_request"]["number"])
    body = _fit((folder / MARKDOWN_NAME).read_text(encoding="utf-8"))
    if artifact_url:
        body += f"\n[The full report as a web page]({redact_url(artifact_url)}) (artifact)\n"
    token = os.environ.get("GITHUB_TOKEN", "")
    if not token:
        raise ActionError("no token: pass `token` to the action (default: github.token)")
    api = GitHub(
        os.environ.get("GITHUB_API_URL", "https://api.github.com"),
        os.environ["GITHUB_REPOSITORY"],
        token,
    )
    what, comment_id = api.upsert_comment(number, body)
    print(f"wheelfit: {what} comment {comment_id} on pull request #{number}")


def _set_outputs(values: dict[str, str]) -> None:
    path = os.environ.get("GITHUB_OUTPUT")
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.writelines(f"{key}={value}\n" for key, value in values.items())


def run(mode: str = "all") -> int:
    folder_env = os.environ.get("WHEELFIT_REPORT_DIR")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(folder_env or tmp)
        if mode == "comment":
            comment(folder, os.environ.get("WHEELFIT_ARTIFACT_URL", ""))
            return int(os.environ.get("WHEELFIT_EXIT_CODE") or 0)
        code, written = report(folder)
        if mode == "report":
            html = str(folder / HTML_NAME) if written else ""
            _set_outputs({"exit-code": str(code), "html": html})
            return 0
        if written:
            comment(folder, "")
        return code


def main(argv: list[str] | None = None) -> int:
    mode = argv[0] if argv else "all"  # the command line's words (see the end of this file)
    if mode not in ("all", "report", "comment"):
        print(f"::error::wheelfit: unknown mode {mode!r} (report, comment)", file=sys.stderr)
        return 2
    try:
        return run(mode)
    except ActionError as exc:
        print(f"::error::wheelfit: {redact_url(str(exc))}", file=sys.stderr)
        return 2
    except requests.RequestException as exc:
        print(f"::error::wheelfit: GitHub API unreachable: {redact_url(str(exc))}", file=sys.stderr)
        return 2
    except Exception as exc:  # the last guard: a workflow log is public
        debug = "--debug" in _input("ARGS").split()
        print(f"::error::{describe_unexpected(exc, debug)}", file=sys.stderr)
        return 3


if __name__ == "__main__":
    use_one_malloc_arena()  # a command, like wheelfit itself (see wheelfit.cli.process)
    sys.exit(main(sys.argv[1:]))
