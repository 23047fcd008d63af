"""Images that resolve alike (python:3.12 and python:3.12-slim; bookworm and trixie when no
file tells their glibc apart) resolve once per run, and each image's report is the one it
gets when analysed alone."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from indexserver import IndexServer

from wheelfit import Settings, analyze, target_from_image
from wheelfit.models import Target
from wheelfit.render.json import report_to_dict
from wheelfit.resolve import shared

FULL = "python:3.12-bookworm"
SLIM = "python:3.12-slim-bookworm"
ALPINE = "python:3.12-alpine"
# an sdist (build environments resolved too), a pin no file of which fits Python 3.12 (the
# lenient pass, and an explanation naming the image's Python) and a plain wheel
REQUIREMENTS = "numpy==1.21.0\nscipy==1.7.3\nsix\n"


@pytest.fixture
def resolutions(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How many times resolvelib was run, by image."""
    counted: Counter[str] = Counter()
    real = shared.resolve

    def counting(client: Any, ctx: Any, *args: Any) -> Any:
        counted[ctx.target.id] += 1
        return real(client, ctx, *args)

    monkeypatch.setattr(shared, "resolve", counting)
    return counted


def analyse(
    server: IndexServer, folder: Path, targets: list[Target], text: str = REQUIREMENTS
) -> list[dict[str, Any]]:
    """The targets' reports, each run from an empty cache."""
    requirements = folder.parent / "requirements.txt"
    requirements.write_text(text)
    settings = Settings(index_url=f"{server.url}/simple/", cache_dir=folder)
    return list(report_to_dict(analyze([str(requirements)], targets, settings))["targets"])


def test_twin_images_resolve_once_and_report_as_if_alone(
    index_server: IndexServer, tmp_path: Path, resolutions: Counter[str]
) -> None:
    full, slim, alpine = (target_from_image(i) for i in (FULL, SLIM, ALPINE))
    together = analyse(index_server, tmp_path / "together", [full, slim, alpine])
    runs = sum(resolutions.values())  # either twin may run a shared one: counted together

    alone = []
    for target in (full, slim, alpine):
        resolutions.clear()
        alone += analyse(index_server, tmp_path / target.short_id.replace(":", "_"), [target])
        assert resolutions[target.id] >= 2  # its main resolution and a build environment's
        if target is not full:
            runs -= resolutions[target.id]
    assert runs == 0  # the full image's resolutions were all its twin's
    assert together == alone
    # what follows the resolution stays the image's own: the full image has a compiler
    numpy = [next(p for p in t["packages"] if p["name"] == "numpy") for t in together[:2]]
    assert "no compiler" in numpy[1]["reason"] and "no compiler" not in numpy[0]["reason"]


def test_images_that_differ_only_in_python_patch_release_resolve_apart(
    index_server: IndexServer, tmp_path: Path, resolutions: Counter[str]
) -> None:
    """Same tags, another Python 3.12 release: markers and Requires-Python may differ."""
    slim = target_from_image(SLIM)
    older = replace(slim, id="older-3.12", python_full_version="3.12.0")
    reports = analyse(index_server, tmp_path / "run", [slim, older])
    assert set(resolutions) == {slim.id, older.id}
    assert "the image has 3.12.13" in reports[0]["resolution"]["problems"][0]
    assert "the image has 3.12.0" in reports[1]["resolution"]["problems"][0]


def test_build_environments_resolved_ahead_are_the_ones_the_stage_asks_for(
    index_server: IndexServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The build environments are resolved beside classification (pipeline._start_ahead),
    under the keys the build stage asks for: no resolution twice, the same report."""
    import threading

    from wheelfit import pipeline

    threads: Counter[str] = Counter()
    real = shared.resolve

    def counting(client: Any, ctx: Any, *args: Any) -> Any:
        threads[threading.current_thread().name] += 1
        return real(client, ctx, *args)

    monkeypatch.setattr(shared, "resolve", counting)
    slim = target_from_image(SLIM)
    ahead = analyse(index_server, tmp_path / "ahead", [slim])
    with_ahead = sum(threads.values())
    assert threads["wf-ahead"] >= 1  # numpy's build environment, at least

    def nothing_ahead(*args: Any) -> threading.Thread:
        thread = threading.Thread(target=lambda: None)
        thread.start()
        return thread

    threads.clear()
    monkeypatch.setattr(pipeline, "_start_ahead", nothing_ahead)
    alone = analyse(index_server, tmp_path / "alone", [slim])
    assert threads["wf-ahead"] == 0 and sum(threads.values()) == with_ahead
    assert ahead == alone


TRIXIE = "python:3.12-slim-trixie"


def test_an_image_of_another_glibc_takes_the_resolution_no_file_tells_apart(
    index_server: IndexServer, tmp_path: Path, resolutions: Counter[str]
) -> None:
    """bookworm (glibc 2.36) and trixie (2.41): no file looked at has a manylinux tag
    between the two, and the resolution succeeds: trixie takes bookworm's."""
    text = "six\nuwsgi\n"  # uwsgi: an sdist, its build environment resolved too
    bookworm, trixie = target_from_image(SLIM), target_from_image(TRIXIE)
    together = analyse(index_server, tmp_path / "together", [bookworm, trixie], text)
    runs = sum(resolutions.values())  # either image may run a shared one

    alone = []
    for target in (bookworm, trixie):
        resolutions.clear()
        alone += analyse(index_server, tmp_path / target.short_id.replace(":", "_"), [target], text)
        assert resolutions[target.id] == 2  # its main resolution and uwsgi's build environment
    assert runs == 2  # one image's resolutions served both
    assert together == alone
    assert "2.41" in json.dumps(together[1]) and "2.41" not in json.dumps(together[0])


def test_a_wheel_only_the_newer_glibc_takes_keeps_the_resolutions_apart(
    fresh_server: IndexServer, tmp_path: Path, resolutions: Counter[str]
) -> None:
    """A manylinux_2_39 wheel: trixie installs it, bookworm builds the sdist."""
    fresh_server.add_project(
        "glibcpick",
        [
            {"filename": "glibcpick-1.0.tar.gz"},
            {"filename": "glibcpick-1.0-cp312-cp312-manylinux_2_39_x86_64.whl"},
        ],
    )
    bookworm, trixie = target_from_image(SLIM), target_from_image(TRIXIE)
    together = analyse(fresh_server, tmp_path / "together", [bookworm, trixie], "glibcpick\n")
    assert resolutions[bookworm.id] == 2 and resolutions[trixie.id] == 1  # its own, each

    alone = []
    for target in (bookworm, trixie):
        folder = tmp_path / target.short_id.replace(":", "_")
        alone += analyse(fresh_server, folder, [target], "glibcpick\n")
    assert together == alone
    rows = [next(p for p in t["packages"] if p["name"] == "glibcpick") for t in together]
    assert rows[0]["status"].startswith("sdist") and rows[1]["status"] == "wheel"


def test_a_resolution_whose_explanations_name_the_glibc_is_not_taken(
    fresh_server: IndexServer, tmp_path: Path
) -> None:
    """A wheel for a glibc newer than both: no file tells the two images apart, but pip fails
    in both, and why names each image's own glibc."""
    fresh_server.add_project(
        "toonew", [{"filename": "toonew-1.0-cp312-cp312-manylinux_2_42_x86_64.whl"}]
    )
    bookworm, trixie = target_from_image(SLIM), target_from_image(TRIXIE)
    together = analyse(fresh_server, tmp_path / "together", [bookworm, trixie], "toonew==1.0\n")

    alone = []
    for target in (bookworm, trixie):
        folder = tmp_path / target.short_id.replace(":", "_")
        alone += analyse(fresh_server, folder, [target], "toonew==1.0\n")
    assert together == alone
    problems = [" ".join(t["resolution"]["problems"]) for t in together]
    assert "2.36" in problems[0] and "2.41" in problems[1]
