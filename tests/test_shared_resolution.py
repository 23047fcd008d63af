"""Images that resolve alike (python:3.12 and python:3.12-slim) resolve once per run, and
each image's report is the one it gets when analysed alone."""

from __future__ import annotations

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


def analyse(server: IndexServer, folder: Path, targets: list[Target]) -> list[dict[str, Any]]:
    """The targets' reports, each run from an empty cache."""
    requirements = folder.parent / "requirements.txt"
    requirements.write_text(REQUIREMENTS)
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
