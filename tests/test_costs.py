"""Sizes and build times: wheel file lists, system package closures, the build-time model."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from indexserver import IndexServer
from test_analyze import pkg, run, sdist, wheel

from wheelfit.cli import main
from wheelfit.costs import buildtime, sizes
from wheelfit.inspect.sdist import SdistInfo
from wheelfit.sysdeps.knowledge import image_packages

ALPINE = "python:3.12-alpine"
SLIM = "python:3.12-slim-bookworm"
FULL = "python:3.12-bookworm"
C_SETUP = {
    "setup.py": "from setuptools import setup, Extension\n"
    "setup(ext_modules=[Extension('big._big', ['src/big.c'])])\n"
}


def served_sizes(server: IndexServer, filename: str) -> list[tuple[str, int]]:
    with zipfile.ZipFile(io.BytesIO(server.file_bytes(filename))) as archive:
        return [(i.filename, i.file_size) for i in archive.infolist()]


def test_wheel_size_is_its_file_list_plus_bytecode(
    fresh_server: IndexServer, tmp_path: Path
) -> None:
    files = [("small/__init__.py", 3000), ("small/_speed.so", 7000)]
    fresh_server.add_project("small", [wheel("small", "1.0", members=files, exact_sizes=True)])
    result = pkg(run(fresh_server, tmp_path, "small\n").targets[0], "small")
    members = served_sizes(fresh_server, "small-1.0-py3-none-any.whl")
    python = sum(s for n, s in members if n.endswith(".py"))
    other = sum(s for n, s in members if not n.endswith(".py"))
    assert python >= 3000 and other >= 7000
    assert result.cost is not None
    expected = round(python * (1 + sizes.BYTECODE_RATIO)) + other
    assert result.cost.installed_bytes == expected
    assert result.cost.build_seconds is None  # a wheel: nothing to build


def test_source_build_size_comes_from_another_platforms_wheel_without_vendored_libraries(
    fresh_server: IndexServer, tmp_path: Path
) -> None:
    fresh_server.add_project(
        "big",
        [
            wheel(
                "big",
                "2.0",
                plat="cp312-cp312-manylinux_2_17_x86_64",
                members=[("big/_big.so", 20000), ("big.libs/libfoo-1a2b3c4d.so.1", 90000)],
                exact_sizes=True,
            ),
            sdist("big", "2.0", texts=C_SETUP, members=["src/big.c"]),
        ],
    )
    report = run(fresh_server, tmp_path, "big==2.0\n", [ALPINE, SLIM])
    alpine, slim = report.targets
    built = pkg(alpine, "big")
    assert built.cost is not None and built.cost.installed_bytes is not None
    assert "manylinux_2_17_x86_64" in built.cost.installed_source
    # the bundled library is left out: a source build links the system's instead
    assert 20000 <= built.cost.installed_bytes < 90000
    assert built.cost.build_seconds is not None
    assert built.cost.build_seconds.low < built.cost.build_seconds.likely
    assert built.cost.build_seconds.likely < built.cost.build_seconds.high
    # on slim the manylinux wheel installs as it is, bundled library included
    assert pkg(slim, "big").cost.installed_bytes >= 110000  # type: ignore[union-attr,operator]


def test_image_costs_single_stage_keeps_the_compiler(
    fresh_server: IndexServer, tmp_path: Path
) -> None:
    fresh_server.add_project("big", [sdist("big", "2.0", texts=C_SETUP, members=["src/big.c"])])
    full, slim, alpine = run(fresh_server, tmp_path, "big\n", [FULL, SLIM, ALPINE]).targets
    for target in (slim, alpine):
        cost = target.cost
        assert cost is not None
        assert cost.base_bytes and cost.image_bytes_multi_stage and cost.image_bytes_single_stage
        # gcc and the C library headers: over 100 MB that only single-stage keeps
        assert cost.build_system_bytes > 100e6
        assert cost.image_bytes_single_stage - cost.image_bytes_multi_stage == (
            cost.build_system_bytes
        )
        assert cost.system_install_seconds.likely > 0
        assert cost.sources_builds >= 1
    # the full image has the compiler already: nothing to add, nothing to install
    assert full.cost is not None and full.cost.build_system_bytes == 0
    assert full.cost.system_install_seconds.likely == 0
    assert full.cost.image_bytes_single_stage == full.cost.image_bytes_multi_stage
    assert slim.cost.image_bytes_multi_stage < full.cost.image_bytes_multi_stage  # type: ignore[union-attr,operator]


def test_build_time_factor_scales_build_times(fresh_server: IndexServer, tmp_path: Path) -> None:
    fresh_server.add_project("big", [sdist("big", "2.0", texts=C_SETUP, members=["src/big.c"])])
    base = pkg(run(fresh_server, tmp_path, "big\n").targets[0], "big").cost
    half = pkg(run(fresh_server, tmp_path, "big\n", build_speed_factor=0.5).targets[0], "big").cost
    assert base is not None and half is not None
    assert base.build_seconds is not None and half.build_seconds is not None
    assert half.build_seconds.likely == pytest.approx(base.build_seconds.likely / 2)


def test_runtime_closure_matches_the_real_lxml_build() -> None:
    """shared ground truth: lxml's runtime packages added libxml2, libxslt1.1 and libicu72,
    38,530 KiB, to a Debian bookworm system (apt_runtime_kib in results.tsv)."""
    closure = sizes.apt_closure(
        "bookworm", ["libxml2", "libxslt1.1"], image_packages("slim", "bookworm")
    )
    assert sorted(closure.packages) == ["libicu72", "libxml2", "libxslt1.1"]
    assert closure.kib == 38530
    # already installed packages add nothing
    assert sizes.apt_closure("bookworm", ["libc6"], image_packages("slim", "bookworm")).kib == 0


def test_unknown_packages_are_reported_not_sized() -> None:
    closure = sizes.apt_closure("bookworm", ["no-such-package-xyz"], [])
    assert closure.unknown == ["no-such-package-xyz"] and closure.kib == 0
    apk = sizes.apk_closure_estimate(["no-such-apk-xyz", "gcc"], image_packages("slim", "trixie"))
    assert "no-such-apk-xyz" in apk.unknown and apk.kib > 0


def test_measured_projects_use_their_measurement() -> None:
    measured = buildtime.measured_build("lxml")
    assert measured is not None
    estimate = buildtime.native_build_seconds("lxml", str(measured["version"]), None)
    assert estimate.likely == float(measured["seconds"])
    assert estimate.source.startswith("measured")


def test_model_grows_with_native_source() -> None:
    setup = {"setup.py": "from setuptools import Extension\next_modules=[Extension('a', [])]"}
    small = SdistInfo("s-1.tar.gz", texts=setup, source_files={"C": 1}, source_lines={"C": 500})
    large = SdistInfo("l-1.tar.gz", texts=setup, source_files={"C": 1}, source_lines={"C": 200_000})
    a = buildtime.native_build_seconds("not-measured-a", "1", small)
    b = buildtime.native_build_seconds("not-measured-b", "1", large)
    assert a.source.startswith("model") and b.likely > 5 * a.likely


def test_cli_no_costs_and_bad_factor(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    req = tmp_path / "r.txt"
    req.write_text("six\n")
    index = ["--index-url", f"{index_server.url}/simple/", "--image", SLIM]
    assert main([str(req), *index, "--format", "json", "--no-costs"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["targets"][0]["costs"] is None
    assert main([str(req), *index, "--format", "json", "--build-time-factor", "0.5"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["options"]["build_time_factor"] == 0.5
    assert document["targets"][0]["costs"]["image_bytes"]["multi_stage"] > 0
    with pytest.raises(SystemExit) as stop:
        main([str(req), *index, "--build-time-factor", "fast"])
    assert stop.value.code == 2
    assert "not a number" in capsys.readouterr().err


def test_sizes_cost_no_extra_requests_when_metadata_was_read_by_range(
    fresh_server: IndexServer, tmp_path: Path
) -> None:
    """The central directory read for METADATA also gives the file list: no second read."""
    fresh_server.add_project("lone", [wheel("lone", "1.0", members=[("lone/x.py", 10)])])

    def wheel_requests(**options: object) -> int:
        fresh_server.requests.clear()
        run(fresh_server, tmp_path / str(len(options)), "lone\n", **options)
        return sum(1 for _, path, _ in fresh_server.requests if path.endswith(".whl"))

    (tmp_path / "0").mkdir()
    (tmp_path / "1").mkdir()
    without = wheel_requests(costs=False)
    with_costs = wheel_requests()
    assert without > 0 and with_costs == without


def test_a_project_both_installed_and_in_a_build_environment_is_sized_as_each(
    fresh_server: IndexServer, tmp_path: Path
) -> None:
    """tool 1.0 compiles for the image while tool 2.0 (a wheel) serves another sdist's build:
    each row is sized from its own file (they were once mixed up by project name)."""
    fresh_server.add_project(
        "tool",
        [
            sdist("tool", "1.0", texts=C_SETUP, members=["src/big.c"]),
            wheel("tool", "2.0", members=[("tool/__init__.py", 100)]),
        ],
    )
    needer_build = "[build-system]\nrequires = ['tool>=2']\nbuild-backend = 'tool.backend'\n"
    fresh_server.add_project(
        "needer", [sdist("needer", "1.0", texts={"pyproject.toml": needer_build})]
    )
    target = run(fresh_server, tmp_path, "tool==1.0\nneeder\n").targets[0]
    installed = pkg(target, "tool")
    in_build = pkg(target, "tool", build_only=True)
    assert (installed.version, in_build.version) == ("1.0", "2.0")
    assert installed.cost is not None and installed.cost.build_seconds is not None
    assert in_build.cost is not None and in_build.cost.installed_bytes is None
    assert in_build.cost.installed_source == "build environment only (not in the image)"
