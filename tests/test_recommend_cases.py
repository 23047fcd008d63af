"""The recommendation on two real requirements files, from fixtures recorded from the index.

The live index gave the same answers on 2026-12-04 (docs/recommendation.md): the web
service gets a multi-stage alpine build (the full image is ~1.2 GB), the data-science file
gets slim because Alpine compiles scikit-learn while the glibc images install its wheel.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from indexserver import IndexServer

from wheelfit import Settings, analyze, target_from_image
from wheelfit.models import Report

FIXTURES = Path(__file__).parent / "data" / "advice-index"
IMAGES = ["python:3.12-trixie", "python:3.12-slim-trixie", "python:3.12-alpine3.24"]
WEB = "Django==5.2.8\npsycopg2==2.9.10\nuwsgi==2.0.28\nrequests\n"
SCIENCE = "scikit-learn\npandas\nmatplotlib\n"


@pytest.fixture(scope="module")
def recorded() -> Iterator[IndexServer]:
    with IndexServer(FIXTURES, exact_sizes=True) as server:
        yield server


def analyze_text(server: IndexServer, tmp_path: Path, text: str) -> Report:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(text)
    settings = Settings(index_url=f"{server.url}/simple/", cache_dir=tmp_path / "cache")
    return analyze([str(requirements)], [target_from_image(i) for i in IMAGES], settings)


def test_web_service_gets_a_small_multi_stage_build_not_the_full_image(
    recorded: IndexServer, tmp_path: Path
) -> None:
    report = analyze_text(recorded, tmp_path, WEB)
    choice = report.recommendation
    assert choice is not None
    full, slim, alpine = (t.cost for t in report.targets)
    assert full and slim and alpine
    assert full.image_bytes_multi_stage and full.image_bytes_multi_stage > 1.1e9
    assert choice.target in ("python:3.12-slim-trixie@amd64", "python:3.12-alpine3.24@amd64")
    assert choice.ranking[-1] == "python:3.12-trixie@amd64"
    recommended = choice.choices[0]
    assert recommended.build == "multi-stage"
    assert recommended.image_bytes is not None and recommended.image_bytes < 300e6
    # the reason gives the sizes of all three images
    for cost in (full, slim, alpine):
        assert f"{cost.image_bytes_multi_stage / 1e6:.0f} MB" in choice.reason
    assert "libpq" in choice.reason  # what the build and final stages install
    # the full image, which needs nothing added, is shown as the simplest, with its size
    simplest = next(c for c in choice.choices if "simplest" in c.roles)
    assert simplest.target == "python:3.12-trixie@amd64"
    assert simplest.packages_to_add == [] and "no extra system packages" in simplest.summary


def test_science_stack_gets_slim_because_alpine_compiles_scikit_learn(
    recorded: IndexServer, tmp_path: Path
) -> None:
    report = analyze_text(recorded, tmp_path, SCIENCE)
    choice = report.recommendation
    assert choice is not None
    assert choice.target == "python:3.12-slim-trixie@amd64"
    alpine = next(t for t in report.targets if t.target.libc == "musl")
    compiled = [p.name for p in alpine.packages if p.status == "sdist-native" and not p.build_only]
    assert compiled == ["scikit-learn"]
    assert "scikit-learn compiles on musl; glibc images install a wheel" in choice.reason
    recommended = choice.choices[0]
    assert recommended.roles[:1] == ("recommended",)
    assert recommended.source_builds == 0 and recommended.packages_to_add == []
