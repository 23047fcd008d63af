"""A project page makes its files one version at a time: what the resolver asks for must give
the same answers as ranking every file of the page, and leave the other versions packed."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName
from packaging.version import Version

from wheelfit import models, target_from_image
from wheelfit.index.page import PackedReleases, ProjectPage
from wheelfit.index.simple import parse_json_page
from wheelfit.inputs.parsed import IndexOptions
from wheelfit.models import ReleaseDetails
from wheelfit.resolve.finder import TargetContext, rank_candidates
from wheelfit.resolve.resolver import Provider
from wheelfit.targets.tags import supported_tags

NAME = NormalizedName("demo")
# "1.0" and "1.0.0" are one version; pre-releases and dev releases test PEP 440's fallback
VERSIONS = ["1.0", "1.0.0", "1.1", "2.0rc1", "2.0", "2.1.dev1", "3.0b2", "10!0.1"]
WHEEL_TAGS = [
    "py3-none-any",
    "cp312-cp312-manylinux_2_17_x86_64",
    "cp312-cp312-musllinux_1_2_x86_64",
    "cp38-cp38-win_amd64",
    "cp312-cp312-macosx_11_0_arm64",
    "cp312-cp312-not_a_valid-tag",  # a name pip skips: the version may end with no file
]
SPECIFIERS = ["", ">=1.0", "==2.0", "<2", ">=2.0rc1", "!=1.1", "~=1.0", "==1.0.0", ">3", "==2.*"]

_file = st.fixed_dictionaries(
    {
        "version": st.sampled_from(VERSIONS),
        "tag": st.none() | st.sampled_from(WHEEL_TAGS),  # None: the sdist
        "build": st.booleans(),
        "yanked": st.booleans(),
        "requires_python": st.sampled_from([None, ">=3.8", "<3"]),
    }
)


def _page(files: list[dict[str, Any]]) -> ProjectPage:
    entries = []
    for number, spec in enumerate(files):
        if spec["tag"] is None:
            filename = f"demo-{spec['version']}.tar.gz"
        else:
            build = f"-{number}" if spec["build"] else ""
            filename = f"demo-{spec['version']}{build}-{spec['tag']}.whl"
        entries.append(
            {
                "filename": filename,
                "url": f"https://files.example/{number}/{filename}",
                "hashes": {"sha256": f"{number:064x}"},
                "yanked": spec["yanked"],
                "requires-python": spec["requires_python"],
            }
        )
    body = json.dumps({"name": "demo", "files": entries}).encode()
    return parse_json_page(body, "https://index.example/simple/demo/", "demo")


class _Client:
    def __init__(self, page: ProjectPage) -> None:
        self.page = page

    def get_project(self, name: str) -> ProjectPage:
        return self.page


def _made(page: ProjectPage) -> set[Version]:
    (part,) = page._parts
    assert isinstance(part, PackedReleases)
    return set(part._made)


@settings(max_examples=300, deadline=None)
@given(
    files=st.lists(_file, max_size=25),
    specifier=st.sampled_from(SPECIFIERS),
    pre=st.booleans(),
    prefer_binary=st.booleans(),
    image=st.sampled_from(["python:3.12-slim-bookworm", "python:3.12-alpine"]),
)
def test_ranking_the_versions_asked_for_equals_ranking_every_file(
    files: list[dict[str, Any]], specifier: str, pre: bool, prefer_binary: bool, image: str
) -> None:
    target = target_from_image(image)
    ctx = TargetContext.for_target(target, supported_tags(target))
    options = IndexOptions(pre=pre, prefer_binary=prefer_binary)
    spec = SpecifierSet(specifier)
    lazy_page = _page(files)
    provider = Provider(_Client(lazy_page), ctx, {}, options, {}, lenient=False)  # type: ignore[arg-type]

    ranked = provider.ranked(NAME, spec, frozenset())

    # only versions the specifier may admit (pre-releases included) were made into files
    assert _made(lazy_page) <= set(spec.filter(lazy_page.versions(), prereleases=True))
    every_file = _page(files).files
    expected = rank_candidates(
        every_file,
        ctx,
        options.format_control,
        spec,
        allow_prereleases=pre,
        prefer_binary=prefer_binary,
    )
    assert [(d.filename, d.url) for d in ranked] == [(d.filename, d.url) for d in expected]


@settings(max_examples=100, deadline=None)
@given(files=st.lists(_file, max_size=25))
def test_a_page_made_version_by_version_equals_the_page_made_at_once(
    files: list[dict[str, Any]],
) -> None:
    page = _page(files)
    every_file = _page(files).files
    assert page.versions() >= {f.version for f in every_file}
    for version in sorted(page.versions(), reverse=True):
        assert list(page.files_of(version)) == [f for f in every_file if f.version == version]
    assert page.files == every_file  # the page's order, once every version is made


def test_a_pinned_requirement_makes_one_version_and_no_file_details() -> None:
    files = [
        {"version": v, "tag": t, "build": False, "yanked": False, "requires_python": None}
        for v in ("1.0", "1.1", "2.0")
        for t in (None, "py3-none-any")
    ]
    page = _page(files)
    target = target_from_image("python:3.12-slim-bookworm")
    ctx = TargetContext.for_target(target, supported_tags(target))
    provider = Provider(_Client(page), ctx, {}, IndexOptions(), {}, lenient=False)  # type: ignore[arg-type]

    (best,) = provider.ranked(NAME, SpecifierSet("==1.1"), frozenset())

    assert _made(page) == {Version("1.1")}
    details = best._details
    assert isinstance(details, ReleaseDetails) and details._unpacked is None  # light fields only
    assert best.filename == "demo-1.1-py3-none-any.whl"  # read when asked for
    assert details._unpacked is not None and _made(page) == {Version("1.1")}


def test_walking_a_page_s_versions_inflates_its_run_once() -> None:
    files = [
        {"version": v, "tag": t, "build": False, "yanked": False, "requires_python": None}
        for v in VERSIONS
        for t in (None, "py3-none-any")
    ]
    page = _page(files)
    inflated = models._inflated
    inflated.cache_clear()

    for version in sorted(page.versions(), reverse=True):  # as a resolution walks them
        page.files_of(version)
        for dist in page.files_of(version):
            assert dist.url.endswith(dist.filename)  # the details: the run is read again

    assert inflated.cache_info().misses == 1  # one run (under PACKED_RUN_ROWS files)
    assert inflated.cache_info().hits > len(page.versions())


@settings(max_examples=100, deadline=None)
@given(first=st.lists(_file, max_size=12), second=st.lists(_file, max_size=12))
def test_pages_of_several_indexes_keep_pip_s_order(
    first: list[dict[str, Any]], second: list[dict[str, Any]]
) -> None:
    """pip lists the files of every index one after the other (then --find-links files): a
    version's files, and all files, keep that order however they are made."""
    one, two = _page(first), _page(second)
    linked = ProjectPage(NAME, _page(first[:3]).files)  # made at once, as --find-links is
    joined = ProjectPage.joined(NAME, [_page(first), _page(second), linked])
    expected = one.files + two.files + linked.files
    for version in joined.versions():
        assert list(joined.files_of(version)) == [f for f in expected if f.version == version]
    assert joined.files == expected
    assert joined.published_versions() == {f.version for f in expected if not f.yanked}
