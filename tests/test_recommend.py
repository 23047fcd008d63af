"""The recommendation's rules on hand-made reports: margins, risks, failures, the lines."""

from __future__ import annotations

from packaging.utils import canonicalize_name

from wheelfit.models import (
    ImageCost,
    PackageResult,
    Report,
    Seconds,
    Status,
    SystemNeeds,
    TargetReport,
)
from wheelfit.render.markdown import render_markdown
from wheelfit.report.recommend import recommend, within_margin
from wheelfit.targets.images import target_from_image

FULL, SLIM, ALPINE = "python:3.12-trixie", "python:3.12-slim-trixie", "python:3.12-alpine3.24"


def cost(size_mb: float, build_mb: float = 0.0, seconds: float = 0.0) -> ImageCost:
    span = Seconds(seconds / 2, seconds, seconds * 2, "test")
    return ImageCost(
        base_bytes=int(size_mb * 1e6),
        base_compressed_bytes=None,
        python_packages_bytes=0,
        runtime_system_bytes=0,
        build_system_bytes=int(build_mb * 1e6),
        image_bytes_multi_stage=int(size_mb * 1e6),
        image_bytes_single_stage=int((size_mb + build_mb) * 1e6),
        build_seconds_single_stage=span,
        build_seconds_multi_stage=span,
        system_install_seconds=Seconds(0, 0, 0, "test"),
        sources_builds=0,
    )


def compiles(name: str, build: list[str] = (), **needs: object) -> PackageResult:  # type: ignore[assignment]
    return PackageResult(
        canonicalize_name(name),
        "1.0",
        Status.SDIST_NATIVE,
        system=SystemNeeds(toolchains=["c"], build_packages=list(build), **needs),  # type: ignore[arg-type]
    )


def wheel(name: str, version: str = "1.0") -> PackageResult:
    return PackageResult(canonicalize_name(name), version, Status.WHEEL)


def image(name: str, packages: list[PackageResult], size: ImageCost, **kw: object) -> TargetReport:
    return TargetReport(target_from_image(name), packages, cost=size, **kw)  # type: ignore[arg-type]


def test_margin_is_ten_percent_or_twenty_megabytes() -> None:
    assert within_margin(100e6, 119e6)  # 19 MB: under the 20 MB floor
    assert not within_margin(100e6, 121e6)
    assert within_margin(500e6, 549e6) and not within_margin(500e6, 551e6)  # 10 % of 500 MB


def test_close_images_are_said_to_be_close_and_fewer_builds_win() -> None:
    # a pure sdist is a source build but not a risk (no compiler, no system package)
    pure = PackageResult(canonicalize_name("b"), "1.0", Status.SDIST_PURE)
    slim = image(SLIM, [wheel("a"), pure], cost(110, 0, 4))
    alpine = image(ALPINE, [wheel("a"), wheel("b")], cost(120))
    choice = recommend([slim, alpine])
    assert choice is not None
    # 10 MB apart: within the margin, so the one that builds nothing ranks first
    assert choice.target == alpine.target.id and choice.close == [slim.target.id]
    assert "within the margin" in choice.reason and "fewer source builds (0 against 1)" in (
        choice.reason
    )
    smallest = next(c for c in choice.choices if "smallest" in c.roles)
    assert smallest.target == slim.target.id  # the smaller one is still shown, with its size
    assert "110 MB" in smallest.summary


def test_unknown_system_packages_outrank_a_smaller_size() -> None:
    slim = image(SLIM, [compiles("b", ["gcc"], unknown=True)], cost(100, 200, 10))
    full = image(FULL, [compiles("b")], cost(1100, 0, 10))
    choice = recommend([slim, full])
    assert choice is not None and choice.target == full.target.id
    assert "b: system libraries unknown" in choice.reason and "is smaller (100 MB)" in (
        choice.reason
    )


def test_low_confidence_rustup_and_version_outliers_are_risks() -> None:
    guessed = compiles("g", ["gcc"], confidence="low", rustup=True)
    alpine = image(ALPINE, [guessed, wheel("v", "1.0")], cost(50, 100, 10))
    slim = image(SLIM, [compiles("g", ["gcc"], confidence="high"), wheel("v", "2.0")], cost(200))
    full = image(FULL, [compiles("g", confidence="high"), wheel("v", "2.0")], cost(1100))
    choice = recommend([alpine, slim, full])
    assert choice is not None and choice.ranking == [
        slim.target.id,
        full.target.id,
        alpine.target.id,
    ]
    risks = next(c for c in choice.choices if c.target == alpine.target.id).risks
    assert risks == [
        "g: build packages guessed from its build files",
        "g: needs a newer Rust than the image's, from rustup",
        "v resolves to 1.0 here, 2.0 elsewhere",
    ]


def test_pip_failing_ranks_last_and_the_reason_says_so() -> None:
    broken = PackageResult(canonicalize_name("x"), None, Status.UNAVAILABLE, reason="no file")
    alpine = image(ALPINE, [broken], cost(50), complete=False, problems=["x: no file"])
    slim = image(SLIM, [wheel("x")], cost(200))
    choice = recommend([alpine, slim])
    assert choice is not None and choice.ranking == [slim.target.id, alpine.target.id]
    assert "pip fails on python:3.12-alpine3.24" in choice.reason
    assert all(c.target != alpine.target.id for c in choice.choices)  # a failure is no choice
    nothing = recommend([alpine])
    assert nothing is not None and "pip fails" in nothing.reason


def test_markdown_lists_each_choice_on_one_line() -> None:
    slim = image(SLIM, [compiles("b", ["gcc", "libc6-dev"])], cost(150, 200, 20))
    full = image(FULL, [compiles("b")], cost(1100, 0, 20))
    report = Report(["requirements.txt"], [full, slim])
    report.recommendation = recommend(report.targets)
    text = render_markdown(report)
    assert "**Recommended: `python:3.12-slim-trixie`**" in text
    assert "- recommended and smallest: python:3.12-slim-trixie multi-stage 150 MB" in text
    assert "- simplest: python:3.12-trixie single-stage 1100 MB" in text
    assert "build stage apt-get install gcc libc6-dev" in text
