"""Where several answers are valid, wheelfit must land on pip's (pip 26.3).

Each expected answer below was checked against pip 26.3 itself: the same projects served on
127.0.0.1 and ``pip install --dry-run --ignore-installed --report -`` run against them.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import setup_texts
from indexserver import IndexServer
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName
from test_analyze import run, sdist, wheel
from test_cli import SCHEMA

from wheelfit import Status, target_from_image
from wheelfit.cli import main
from wheelfit.inputs.parsed import IndexOptions
from wheelfit.resolve.candidates import Req
from wheelfit.resolve.finder import TargetContext
from wheelfit.resolve.preference import PYTHON_KEY
from wheelfit.resolve.resolver import Provider
from wheelfit.targets.tags import supported_tags

# a 2.0 needs b==1.0 and b 2.0 needs a==1.0: two valid answers, (a 2.0, b 1.0) and
# (a 1.0, b 2.0); whichever project pip pins first keeps its newest version
CROSSED = {
    "a": [wheel("a", "1.0"), wheel("a", "2.0", ["b==1.0"])],
    "b": [wheel("b", "1.0"), wheel("b", "2.0", ["a==1.0"])],
}


def versions(server: IndexServer, tmp_path: Path, text: str) -> dict[str, str | None]:
    target = run(server, tmp_path, text, build_requirements=False, costs=False).targets[0]
    assert target.complete, target.problems
    return {p.name: p.version for p in target.packages}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the user's order: b's line comes first
        ("b\na\n", {"a": "1.0", "b": "2.0"}),
        ("a\nb\n", {"a": "2.0", "b": "1.0"}),
        # an upper bound goes before the user's order
        ("a\nb<=2.0.0\n", {"a": "1.0", "b": "2.0"}),
        # a pin goes before the user's order
        ("a\nb==2.0\n", {"a": "1.0", "b": "2.0"}),
    ],
)
def test_pip_picks_by_its_preference_order(
    fresh_server: IndexServer, tmp_path: Path, text: str, expected: dict[str, str]
) -> None:
    for name, files in CROSSED.items():
        fresh_server.add_project(name, files)
    assert versions(fresh_server, tmp_path, text) == expected


def test_a_requirement_with_an_operator_goes_before_a_bare_name(
    fresh_server: IndexServer, tmp_path: Path
) -> None:
    # neither a nor b is the user's; b>=1.0.0 has an operator, a has none: b is pinned first
    for name, files in CROSSED.items():
        fresh_server.add_project(name, files)
    fresh_server.add_project("x", [wheel("x", "1.0", ["b>=1.0.0", "a"])])
    assert versions(fresh_server, tmp_path, "x\n") == {"x": "1.0", "a": "1.0", "b": "2.0"}


ALPINE = "python:3.12-alpine"
SLIM = "python:3.12-slim-bookworm"


def test_a_project_without_a_file_for_the_image_changes_nothing_else(
    fresh_server: IndexServer, tmp_path: Path
) -> None:
    """torch==2.8.0, pydantic, typing-extensions==4.14.1 in miniature: on Alpine only the
    glibc-only project is a blocker; the rest backtracks as pip does where it installs."""
    fresh_server.add_project(
        "bigglibc", [wheel("bigglibc", "2.8.0", plat="cp312-cp312-manylinux_2_28_x86_64")]
    )
    fresh_server.add_project(
        "model",
        [
            wheel("model", "2.13.5", ["core==2.46.5", "typext>=4.12.2"]),
            wheel("model", "2.14.4", ["core==2.50.5", "typext>=4.16.0"]),
        ],
    )
    fresh_server.add_project(
        "core",
        [wheel("core", "2.46.5", ["typext>=4.14.1"]), wheel("core", "2.50.5", ["typext>=4.15.0"])],
    )
    fresh_server.add_project("typext", [wheel("typext", "4.14.1"), wheel("typext", "4.16.0")])
    text = "bigglibc==2.8.0\nmodel\ntypext==4.14.1\n"
    report = run(
        fresh_server, tmp_path, text, [SLIM, ALPINE], build_requirements=False, costs=False
    )
    slim, alpine = report.targets
    assert slim.complete and not alpine.complete
    on_slim = {p.name: (p.version, p.status) for p in slim.packages}
    on_alpine = {p.name: (p.version, p.status) for p in alpine.packages}
    assert on_slim["model"] == ("2.13.5", Status.WHEEL)
    assert on_alpine.pop("bigglibc")[1] is Status.UNAVAILABLE
    assert on_slim.pop("bigglibc")[1] is Status.WHEEL
    assert on_alpine == on_slim
    assert [p.split(":", 1)[0] for p in alpine.problems] == ["bigglibc"]


def test_a_user_pin_no_release_matches_is_the_only_blocker(
    fresh_server: IndexServer, tmp_path: Path
) -> None:
    for name, files in CROSSED.items():
        fresh_server.add_project(name, files)
    target = run(
        fresh_server, tmp_path, "b\na==9.9\n", build_requirements=False, costs=False
    ).targets[0]
    assert not target.complete
    found = {p.name: (p.version, p.status) for p in target.packages}
    assert found == {"a": (None, Status.UNAVAILABLE), "b": ("2.0", Status.WHEEL)}


def test_a_conflict_between_dependencies_still_shows_the_rest(
    fresh_server: IndexServer, tmp_path: Path
) -> None:
    fresh_server.add_project("left", [wheel("left", "1.0", ["shared==1.0"])])
    fresh_server.add_project("right", [wheel("right", "1.0", ["shared==2.0"])])
    fresh_server.add_project("shared", [wheel("shared", "1.0"), wheel("shared", "2.0")])
    fresh_server.add_project("other", [wheel("other", "3.0")])
    target = run(
        fresh_server, tmp_path, "left\nright\nother\n", build_requirements=False, costs=False
    ).targets[0]
    assert not target.complete
    found = {p.name: p.status for p in target.packages}
    assert found["other"] is Status.WHEEL and found["shared"] is Status.UNAVAILABLE
    assert found["left"] is Status.WHEEL and found["right"] is Status.WHEEL


def test_a_yanked_file_pip_takes_is_said_in_every_format(
    fresh_server: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fresh_server.add_project("yk", [wheel("yk", "1.0"), wheel("yk", "2.0", yanked="broken build")])
    fresh_server.add_project("plain", [wheel("plain", "1.0"), wheel("plain", "2.0", yanked=True)])
    req = tmp_path / "requirements.txt"
    req.write_text("yk==2.0\nplain==2.0\n")
    base = [str(req), "-i", f"{fresh_server.url}/simple/", "--image", "slim", "--no-costs"]
    base += ["--cache-dir", str(tmp_path / "c"), "--python", "3.12"]
    assert main([*base, "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    jsonschema.validate(document, SCHEMA)
    packages = {p["name"]: p for p in document["targets"][0]["packages"]}
    assert packages["yk"]["yanked"] == "broken build"
    assert packages["plain"]["yanked"] == ""
    assert any("is yanked (broken build)" in n for n in packages["yk"]["notes"])
    monkeypatch.setenv("COLUMNS", "200")
    assert main(base) == 0
    table = capsys.readouterr().out
    assert "yk 2.0: yk-2.0-py3-none-any.whl is yanked (broken build)" in table
    assert "plain-2.0-py3-none-any.whl is yanked (no reason given)" in table
    assert main([*base, "--format", "markdown"]) == 0
    markdown = capsys.readouterr().out
    assert (
        "| yk 2.0 | python:3.12-slim-trixie | wheel, yanked | yk-2.0-py3-none-any.whl" in markdown
    )
    # not pinned: pip skips the yanked release, and nothing is said
    req.write_text("yk\n")
    assert main([*base, "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    (yk,) = document["targets"][0]["packages"]
    assert (yk["version"], yk["yanked"]) == ("1.0", None)


@pytest.mark.parametrize(
    ("setup_py", "optional", "says"),
    [
        (setup_texts.SWALLOWS, True, "without a compiler it installs pure Python"),
        (
            setup_texts.RERAISES_UNLESS_SWITCH,
            False,
            "the build fails until one is installed, or unless PURE_PYTHON=1 is set",
        ),
        (
            setup_texts.SWITCH_ONLY,
            False,
            "unless MULTIDICT_NO_EXTENSIONS=1 is set for it (then it installs pure Python",
        ),
        (setup_texts.EXPLAINS_AND_RERAISES, False, "the build fails until one is installed"),
    ],
)
def test_an_extension_that_falls_back_is_optional_on_an_image_without_a_compiler(
    fresh_server: IndexServer, tmp_path: Path, setup_py: str, optional: bool, says: str
) -> None:
    fresh_server.add_project(
        "speedy", [sdist("speedy", "1.0", {"setup.py": setup_py}, ["speedy/m.c"])]
    )
    target = run(fresh_server, tmp_path, "speedy\n", [ALPINE], costs=False).targets[0]
    (speedy,) = [p for p in target.packages if not p.build_only]
    assert speedy.status is Status.SDIST_NATIVE
    assert speedy.optional_extension is optional
    assert says in speedy.reason
    if not optional:
        assert "installs pure Python, without" not in speedy.reason.split("unless")[0]


def test_a_python_pin_backjumping_marked_incompatible_is_not_offered_again() -> None:
    """As in pip: the Python pseudo-project's one candidate, once a backjump marks it
    incompatible, is not offered again, so that state fails and backjumping goes on (without
    this, a conflict pip gives up on in 16 rounds ran wheelfit into 200,000)."""
    target = target_from_image(SLIM)
    ctx = TargetContext.for_target(target, supported_tags(target))
    provider = Provider(None, ctx, {}, IndexOptions(), {}, lenient=False)  # type: ignore[arg-type]
    python = provider.python_candidate
    need = Req(NormalizedName(PYTHON_KEY), frozenset(), SpecifierSet(">=3.8"), "a 1", "")
    requirements = {PYTHON_KEY: iter([need])}
    assert provider.find_matches(PYTHON_KEY, requirements, {PYTHON_KEY: iter([])}) == [python]
    requirements = {PYTHON_KEY: iter([need])}
    assert provider.find_matches(PYTHON_KEY, requirements, {PYTHON_KEY: iter([python])}) == []
    too_new = replace(need, specifier=SpecifierSet(">=4"))
    assert (
        provider.find_matches(PYTHON_KEY, {PYTHON_KEY: iter([too_new])}, {PYTHON_KEY: iter([])})
        == []
    )


PIP_CASES = json.loads((Path(__file__).parent / "data" / "pip_cases.json").read_text())["cases"]


@pytest.mark.parametrize("case", PIP_CASES, ids=[c["name"] for c in PIP_CASES])
def test_random_indexes_where_wheelfit_once_differed_from_pip(
    fresh_server: IndexServer, tmp_path: Path, case: dict[str, Any]
) -> None:
    for name, files in case["projects"].items():
        fresh_server.add_project(name, files)
    report = run(
        fresh_server,
        tmp_path,
        case["requirements"],
        ["python:3.11-slim-bookworm"],  # pip ran on CPython 3.11; some releases need 3.12
        build_requirements=False,
        costs=False,
    )
    target = report.targets[0]
    if case["pip"] is None:
        assert not target.complete
    else:
        assert target.complete, target.problems
        assert {p.name: p.version for p in target.packages} == case["pip"]
