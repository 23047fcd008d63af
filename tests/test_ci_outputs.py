"""Markdown (rendered by a real CommonMark renderer), SARIF, the recommendation and diff mode."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from gitrepo import commit
from indexserver import IndexServer
from markdown_it import MarkdownIt
from test_analyze import run, sdist, wheel

from wheelfit.cli import main
from wheelfit.render.diff import diff_to_dict, render_diff_markdown
from wheelfit.render.markdown import MARKER, cell, render_markdown
from wheelfit.render.sarif import render_sarif
from wheelfit.report.diff import diff_reports
from wheelfit.report.policy import parse_rules
from wheelfit.report.recommend import recommend

SLIM = "python:3.12-slim-bookworm"
ALPINE = "python:3.12-alpine"
FULL = "python:3.12-bookworm"
C_SETUP = {
    "setup.py": "from setuptools import setup, Extension\n"
    "setup(ext_modules=[Extension('big._big', ['src/big.c'])])\n"
}


def add_projects(server: IndexServer) -> None:
    server.add_project("plain", [wheel("plain", "1.0", requires=["helper>=1"])])
    server.add_project("helper", [wheel("helper", "1.0")])
    server.add_project(
        "muslgap",
        [
            wheel("muslgap", "1.0", plat="cp312-cp312-manylinux_2_17_x86_64"),
            sdist("muslgap", "1.0", texts=C_SETUP, members=["src/big.c"]),
        ],
    )
    server.add_project("big", [sdist("big", "2.0", texts=C_SETUP, members=["src/big.c"])])


def html(markdown: str) -> str:
    return MarkdownIt("commonmark").enable("table").render(markdown)


def test_markdown_renders_as_tables_with_a_hidden_marker(
    fresh_server: IndexServer, tmp_path: Path
) -> None:
    add_projects(fresh_server)
    report = run(fresh_server, tmp_path, "plain\nmuslgap | x\nmuslgap\n", [SLIM, ALPINE])
    text = render_markdown(report)
    assert text.startswith(MARKER)
    page = html(text)
    assert "<!-- wheelfit-report -->" in page  # an HTML block: kept, not shown
    assert page.count("<table>") == 3  # verdicts, needs attention, all packages
    assert "<details><summary>" in page
    assert "✅ installs from wheels" in page  # slim: everything has a wheel
    assert "⚠️ 1 compile; needs <code>apk add" in page  # alpine: muslgap compiles
    assert "muslgap 1.0" in page and "none for musllinux" in page
    assert "Recommended: <code>python:3.12-slim-bookworm</code>" in page
    # the bad line is listed, with its place
    assert "requirements.txt:2" in page
    # every table row has as many cells as its header
    for table in page.split("<table>")[1:]:
        body = table.split("</table>")[0]
        header = len(re.findall(r"<th[ >]", body.split("</tr>")[0]))
        rows = body.split("</tr>")[1:-1]
        assert rows and all(len(re.findall(r"<td[ >]", row)) == header for row in rows)


def test_cells_cannot_break_a_table() -> None:
    assert cell("a | b\nc") == "a \\| b c"
    assert cell("<script>") == "&lt;script>"
    assert len(cell("x" * 1000)) == 300


def test_recommendation_weighs_size_over_an_apt_line(
    fresh_server: IndexServer, tmp_path: Path
) -> None:
    add_projects(fresh_server)
    report = run(fresh_server, tmp_path, "plain\nbig\n", [SLIM, ALPINE, FULL])
    choice = recommend(report.targets)
    assert choice is not None
    # big compiles everywhere; only the full image has the compiler, but it is ~1 GB bigger:
    # a build stage with gcc is worth that, so the full image ranks last, shown as simplest
    assert choice.ranking[-1] == "python:3.12-bookworm@amd64"
    assert choice.target != "python:3.12-bookworm@amd64"
    roles = {c.target: c.roles for c in choice.choices}
    assert roles["python:3.12-bookworm@amd64"] == ("simplest",)
    assert choice.choices[0].target == choice.target and choice.choices[0].build == "multi-stage"
    assert "gcc" in choice.reason and "MB" in choice.reason
    wheels_only = run(fresh_server, tmp_path, "plain\n", [FULL, SLIM, ALPINE])
    choice = recommend(wheels_only.targets)
    assert choice is not None and choice.ranking[0] == "python:3.12-alpine3.24@amd64"
    assert choice.reason.startswith("single-stage final image")
    assert choice.ranking[-1] == "python:3.12-bookworm@amd64"
    # one image is simplest, smallest and recommended at once: one line, three roles
    assert [c.roles for c in choice.choices] == [("recommended", "simplest", "smallest")]


def test_a_compile_only_musl_needs_ranks_below_a_bigger_glibc_image(
    fresh_server: IndexServer, tmp_path: Path
) -> None:
    add_projects(fresh_server)
    report = run(fresh_server, tmp_path, "plain\nmuslgap\n", [SLIM, ALPINE])
    choice = recommend(report.targets)
    assert choice is not None and choice.target == "python:3.12-slim-bookworm@amd64"
    alpine = next(c for c in choice.choices if c.target.startswith("python:3.12-alpine"))
    assert alpine.roles == ("smallest",)
    assert "muslgap compiles on musl; glibc images install a wheel" in alpine.risks
    assert "is smaller" in choice.reason and "compiles on musl" in choice.reason


def test_sarif_points_at_the_line_that_brings_the_package_in(
    fresh_server: IndexServer, tmp_path: Path
) -> None:
    fresh_server.add_project("parent", [wheel("parent", "1.0", requires=["big>=2"])])
    add_projects(fresh_server)
    report = run(fresh_server, tmp_path, "plain\n\nparent\n", [SLIM])
    document = render_sarif(report, parse_rules(["native-build"]))
    assert document["version"] == "2.1.0"
    driver = document["runs"][0]["tool"]["driver"]
    assert {r["id"] for r in driver["rules"]} >= {"native-build", "unavailable", "sysdeps"}
    results = document["runs"][0]["results"]
    native = [r for r in results if r["ruleId"] == "native-build"]
    assert len(native) == 1
    (location,) = native[0]["locations"]
    assert location["physicalLocation"]["region"]["startLine"] == 3  # the line of `parent`
    assert location["physicalLocation"]["artifactLocation"]["uri"].endswith("requirements.txt")
    assert native[0]["level"] == "error"  # matches --fail-on
    assert "comes in through parent" in native[0]["message"]["text"]
    for result in results:
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
    plain = render_sarif(report)
    assert {r["level"] for r in plain["runs"][0]["results"] if r["ruleId"] == "native-build"} == {
        "warning"
    }


def test_diff_shows_only_what_changed(fresh_server: IndexServer, tmp_path: Path) -> None:
    add_projects(fresh_server)
    old = run(fresh_server, tmp_path, "plain\n", [SLIM, ALPINE])
    new = run(fresh_server, tmp_path, "plain\nmuslgap\n", [SLIM, ALPINE])
    diff = diff_reports(old, new)
    slim, alpine = diff.targets
    assert [(c.name, c.change) for c in slim.packages] == [("muslgap", "added")]
    assert not slim.build_added
    assert [(c.name, c.change) for c in alpine.packages if not c.build_only] == [
        ("muslgap", "added")
    ]
    assert "gcc" in alpine.build_added
    assert alpine.size_delta is not None and alpine.size_delta > 0
    page = html(render_diff_markdown(diff))
    assert page.count("<table>") == 2
    assert "needs gcc" in page
    document = diff_to_dict(diff)
    assert document["changed"] is True
    assert document["targets"][1]["build_packages"]["added"] == alpine.build_added
    same = diff_reports(new, new)
    assert not same.changed
    assert "No change on any image." in render_diff_markdown(same)


def test_diff_base_follows_includes_outside_the_files_folder(
    fresh_server: IndexServer, git_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    add_projects(fresh_server)
    (git_repo / "requirements").mkdir()
    (git_repo / "shared").mkdir()
    (git_repo / "requirements" / "prod.txt").write_text("-r ../common.txt\n")
    (git_repo / "shared" / "base.txt").write_text("plain\n")
    commit(git_repo / "common.txt", "--requirement=shared/base.txt\nbig\n", "one")
    (git_repo / "shared" / "base.txt").write_text("plain\nmuslgap\n")
    index = ["--index-url", f"{fresh_server.url}/simple/", "--image", ALPINE]
    args = ["diff", "--base", "HEAD", "requirements/prod.txt", *index, "--format", "json"]
    assert main(args) == 0
    document = json.loads(capsys.readouterr().out)
    changes = document["targets"][0]["packages"]
    assert [(p["name"], p["change"]) for p in changes if not p["build_only"]] == [
        ("muslgap", "added")
    ]


def test_diff_against_a_git_revision_and_its_exit_policy(
    fresh_server: IndexServer,
    git_repo: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    add_projects(fresh_server)
    commit(git_repo / "requirements.txt", "plain\nbig\n", "one")
    (git_repo / "requirements.txt").write_text("plain\nbig\nmuslgap\n")
    index = ["--index-url", f"{fresh_server.url}/simple/", "--image", SLIM, "--image", ALPINE]
    args = ["diff", "--base", "HEAD", "requirements.txt", *index, "--format", "json"]
    assert main([*args, "--fail-on", "native-build"]) == 1  # muslgap compiles on alpine
    document = json.loads(capsys.readouterr().out)
    assert document["old_inputs"] == ["requirements.txt@HEAD"]
    alpine = document["targets"][1]
    assert [p["name"] for p in alpine["packages"] if not p["build_only"]] == ["muslgap"]
    # big compiled before the change already: it is not what the change introduces
    (git_repo / "requirements.txt").write_text("plain\nbig\n")
    assert main([*args, "--fail-on", "native-build"]) == 0
    assert main(["diff", "requirements.txt", *index]) == 2  # neither OLD NEW nor --base
    assert main(["diff", "--base", "no-such-ref", "requirements.txt", *index]) == 2
    assert "no-such-ref" in capsys.readouterr().err
