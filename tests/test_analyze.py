"""End to end through wheelfit.analyze against the local index: pip's rules, case by case."""

from __future__ import annotations

from pathlib import Path

import pytest
from indexserver import IndexServer

from wheelfit import Settings, Status, analyze, target_from_image
from wheelfit.models import PackageResult, Report, TargetReport

SLIM = "python:3.12-slim-bookworm"
ALPINE = "python:3.12-alpine"


def run(
    server: IndexServer,
    tmp_path: Path,
    text: str,
    images: list[str] | None = None,
    python: str | None = None,
    **options: object,
) -> Report:
    req = tmp_path / "requirements.txt"
    req.write_text(text)
    targets = [target_from_image(i, python) for i in (images or [SLIM])]
    settings = Settings(index_url=f"{server.url}/simple/", cache_dir=tmp_path / "c", **options)  # type: ignore[arg-type]
    return analyze([str(req)], targets, settings)


def pkg(report: TargetReport, name: str, build_only: bool = False) -> PackageResult:
    matches = [p for p in report.packages if p.name == name and p.build_only == build_only]
    assert len(matches) == 1, [p.name for p in report.packages]
    return matches[0]


def wheel(
    name: str,
    version: str,
    requires: list[str] = (),
    plat: str = "py3-none-any",  # type: ignore[assignment]
    **extra: object,
) -> dict[str, object]:
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n" + "".join(
        f"Requires-Dist: {r}\n" for r in requires
    )
    return {"filename": f"{name}-{version}-{plat}.whl", "metadata": metadata, **extra}


def sdist(
    name: str,
    version: str,
    texts: dict[str, str] | None = None,
    members: list[str] = (),
    **extra: object,
) -> dict[str, object]:  # type: ignore[assignment]
    return {
        "filename": f"{name}-{version}.tar.gz",
        "texts": texts or {},
        "members": list(members),
        **extra,
    }


def test_pure_dependency_tree_installs_from_wheels(
    index_server: IndexServer, tmp_path: Path
) -> None:
    report = run(index_server, tmp_path, "requests==2.32.3\n", [SLIM, ALPINE])
    for target in report.targets:
        assert target.complete
        names = {p.name for p in target.packages if not p.build_only}
        assert {"requests", "urllib3", "idna", "charset-normalizer", "certifi"} <= names
        assert pkg(target, "requests").status is Status.WHEEL
        assert pkg(target, "urllib3").required_by == ["requests 2.32.3"]
        assert pkg(target, "requests").required_by == [f"{tmp_path / 'requirements.txt'}:1"]
    slim, alpine = report.targets
    # charset-normalizer ships compiled wheels: each image gets its own libc's
    assert "manylinux" in (pkg(slim, "charset-normalizer").tag or "")
    assert "musllinux" in (pkg(alpine, "charset-normalizer").tag or "")


def test_old_pin_compiles_and_names_the_gap(index_server: IndexServer, tmp_path: Path) -> None:
    report = run(index_server, tmp_path, "numpy==1.21.0\nlxml==4.6.3\n", [SLIM, ALPINE])
    for target in report.targets:
        numpy = pkg(target, "numpy")
        assert numpy.status is Status.SDIST_NATIVE
        assert numpy.file == "numpy-1.21.0.zip"
        assert "C" in numpy.languages
        assert (
            "none for cp312" in numpy.reason
            or "none for manylinux" in numpy.reason
            or "none for musllinux" in numpy.reason
        )
        assert "no compiler" in numpy.reason
    # the build environment of each sdist is resolved and shown too
    assert any(p.build_only for p in report.targets[0].packages)


def test_abi3_wheel_fits_newer_python(index_server: IndexServer, tmp_path: Path) -> None:
    report = run(index_server, tmp_path, "cryptography==3.4.8\n", [SLIM, ALPINE])
    slim, alpine = report.targets
    assert pkg(slim, "cryptography").status is Status.WHEEL
    assert "abi3" in (pkg(slim, "cryptography").tag or "")
    assert pkg(alpine, "cryptography").tag == "cp36-abi3-musllinux_1_1_x86_64"


def test_optional_extension_is_flagged(index_server: IndexServer, tmp_path: Path) -> None:
    target = run(index_server, tmp_path, "pyyaml==5.3.1\n").targets[0]
    pyyaml = pkg(target, "pyyaml")
    assert pyyaml.status is Status.SDIST_NATIVE and pyyaml.optional_extension
    assert "pure Python" in pyyaml.reason
    assert pkg(target, "setuptools", build_only=True).status is Status.WHEEL


def test_requires_python_makes_resolution_fail_but_not_disappear(
    index_server: IndexServer, tmp_path: Path
) -> None:
    target = run(index_server, tmp_path, "scipy==1.7.3\nsix\n").targets[0]
    assert not target.complete
    scipy = pkg(target, "scipy")
    assert scipy.status is Status.UNAVAILABLE and scipy.blocker
    assert "requires Python" in scipy.reason and "3.12.13" in scipy.reason
    assert any("scipy" in p and "requires Python" in p for p in target.problems)
    assert pkg(target, "six").status is Status.WHEEL  # the rest is still classified


def test_package_without_file_for_the_image_is_a_blocker_not_a_stop(
    fresh_server: IndexServer, tmp_path: Path
) -> None:
    fresh_server.add_project(
        "gpuonly",
        [
            wheel("gpuonly", "2.0", ["six"], "cp312-cp312-manylinux_2_28_x86_64"),
            wheel("gpuonly", "2.0", ["six"], "cp312-cp312-macosx_14_0_arm64"),
        ],
    )
    report = run(fresh_server, tmp_path, "gpuonly\nidna\n", [SLIM, ALPINE])
    slim, alpine = report.targets
    assert slim.complete and pkg(slim, "gpuonly").status is Status.WHEEL
    assert pkg(slim, "six").required_by == ["gpuonly 2.0"]
    assert not alpine.complete
    blocker = pkg(alpine, "gpuonly")
    assert blocker.status is Status.UNAVAILABLE and blocker.blocker
    assert "musllinux" in blocker.reason and "no sdist" in blocker.reason
    assert pkg(alpine, "idna").status is Status.WHEEL


def test_markers_are_evaluated_per_target_and_skips_are_reported(
    index_server: IndexServer, tmp_path: Path
) -> None:
    text = (
        'tomli==2.0.1 ; python_version < "3.11"\n'
        'pywin32==306 ; sys_platform == "win32"\n'
        'six ; platform_machine == "aarch64"\n'
    )
    old, new = (
        run(index_server, tmp_path, text, ["slim"], python=v).targets[0] for v in ("3.10", "3.12")
    )
    assert pkg(old, "tomli").status is Status.WHEEL
    assert {p.name for p in new.packages} == set()
    assert {s["name"] for s in new.skipped} == {"tomli", "pywin32", "six"}
    arm = run(index_server, tmp_path, text, [SLIM], python=None)
    assert arm.targets[0].skipped  # amd64: six skipped too
    arm64 = analyze(
        [str(tmp_path / "requirements.txt")],
        [target_from_image(SLIM, arch="arm64")],
        Settings(index_url=f"{index_server.url}/simple/", cache_dir=tmp_path / "c"),
    )
    assert pkg(arm64.targets[0], "six").status is Status.WHEEL


def test_yanked_versions_only_for_exact_pins(fresh_server: IndexServer, tmp_path: Path) -> None:
    fresh_server.add_project("yk", [wheel("yk", "1.0"), wheel("yk", "2.0", yanked="broken")])
    assert pkg(run(fresh_server, tmp_path, "yk\n").targets[0], "yk").version == "1.0"
    assert pkg(run(fresh_server, tmp_path, "yk==2.0\n").targets[0], "yk").version == "2.0"
    ranged = run(fresh_server, tmp_path, "yk>=2\n").targets[0]
    assert pkg(ranged, "yk").status is Status.UNAVAILABLE


def test_prereleases_follow_pep440_and_pre(fresh_server: IndexServer, tmp_path: Path) -> None:
    fresh_server.add_project("pr", [wheel("pr", "1.0"), wheel("pr", "2.0b1")])
    assert pkg(run(fresh_server, tmp_path, "pr\n").targets[0], "pr").version == "1.0"
    assert pkg(run(fresh_server, tmp_path, "pr\n", pre=True).targets[0], "pr").version == "2.0b1"
    assert pkg(run(fresh_server, tmp_path, "pr>=2.0b1\n").targets[0], "pr").version == "2.0b1"


def test_requires_python_per_file_picks_an_older_version(
    fresh_server: IndexServer, tmp_path: Path
) -> None:
    fresh_server.add_project(
        "rp",
        [wheel("rp", "1.0", requires_python=">=3.8"), wheel("rp", "2.0", requires_python=">=3.13")],
    )
    assert pkg(run(fresh_server, tmp_path, "rp\n").targets[0], "rp").version == "1.0"


def test_format_options(fresh_server: IndexServer, tmp_path: Path) -> None:
    fresh_server.add_project("fmt", [wheel("fmt", "1.0"), sdist("fmt", "1.0"), sdist("fmt", "2.0")])
    assert pkg(run(fresh_server, tmp_path, "fmt\n").targets[0], "fmt").version == "2.0"
    prefer = pkg(run(fresh_server, tmp_path, "fmt\n", prefer_binary=True).targets[0], "fmt")
    assert (prefer.version, prefer.status) == ("1.0", Status.WHEEL)
    only = pkg(run(fresh_server, tmp_path, "fmt\n", only_binary=[":all:"]).targets[0], "fmt")
    assert (only.version, only.status) == ("1.0", Status.WHEEL)
    none = pkg(run(fresh_server, tmp_path, "fmt==1.0\n", no_binary=["fmt"]).targets[0], "fmt")
    assert none.status is Status.SDIST_PURE and "--no-binary" in none.reason
    blocked = run(fresh_server, tmp_path, "fmt==2.0\n", only_binary=[":all:"]).targets[0]
    assert pkg(blocked, "fmt").status is Status.UNAVAILABLE
    assert "--only-binary" in pkg(blocked, "fmt").reason


def test_older_version_with_a_wheel_is_suggested(fresh_server: IndexServer, tmp_path: Path) -> None:
    fresh_server.add_project(
        "sugg",
        [
            wheel("sugg", "1.0", plat="cp312-cp312-musllinux_1_2_x86_64"),
            wheel("sugg", "2.0", plat="cp312-cp312-manylinux_2_17_x86_64"),
            sdist(
                "sugg",
                "2.0",
                members=["src/sugg.c"],
                texts={
                    "setup.py": "from setuptools import setup, Extension\n"
                    "setup(ext_modules=[Extension('sugg', ['src/sugg.c'])])\n"
                },
            ),
        ],
    )
    alpine = run(fresh_server, tmp_path, "sugg>=1\n", [ALPINE]).targets[0]
    result = pkg(alpine, "sugg")
    assert result.status is Status.SDIST_NATIVE and result.languages == ["C"]
    assert result.older_wheel and result.older_wheel.startswith("1.0 ")
    assert "manylinux wheels only" in result.reason or "none for musllinux" in result.reason


def test_conflicts_are_explained_with_their_parents(
    fresh_server: IndexServer, tmp_path: Path
) -> None:
    fresh_server.add_project("left", [wheel("left", "1.0", ["shared<2"])])
    fresh_server.add_project("right", [wheel("right", "1.0", ["shared>=2"])])
    fresh_server.add_project("shared", [wheel("shared", "1.0"), wheel("shared", "2.0")])
    target = run(fresh_server, tmp_path, "left\nright\n").targets[0]
    assert not target.complete
    text = " ".join(target.problems)
    assert "left 1.0" in text and "right 1.0" in text and "shared" in text
    assert pkg(target, "left").status is Status.WHEEL


def test_hash_pins_that_match_no_file_fail_like_pip(
    index_server: IndexServer, tmp_path: Path
) -> None:
    target = run(index_server, tmp_path, "six --hash=sha256:" + "0" * 64 + "\n").targets[0]
    six = pkg(target, "six")
    assert six.status is Status.UNAVAILABLE and "hash" in six.reason


def test_extras_pull_in_their_dependencies(index_server: IndexServer, tmp_path: Path) -> None:
    target = run(index_server, tmp_path, "requests[socks]==2.32.3\n").targets[0]
    assert pkg(target, "pysocks").status is Status.WHEEL
    assert any("socks" in n for n in pkg(target, "requests").notes)


def test_direct_references_are_reported_not_dropped(
    index_server: IndexServer, tmp_path: Path
) -> None:
    text = "six\nmylib @ https://user:tok3n@example.invalid/mylib-1.0.tar.gz\n./local/path\n"
    target = run(index_server, tmp_path, text).targets[0]
    direct = [p for p in target.packages if p.status is Status.DIRECT]
    assert len(direct) == 2
    assert all("tok3n" not in (p.url or "") + p.reason for p in direct)
    assert pkg(target, "six").status is Status.WHEEL


def test_no_code_from_a_distribution_runs(fresh_server: IndexServer, tmp_path: Path) -> None:
    canary = tmp_path / "canary-was-here"
    payload = f"open({str(canary)!r}, 'w').write('ran')\n"
    fresh_server.add_project(
        "canary",
        [
            sdist(
                "canary",
                "1.0",
                texts={
                    "setup.py": payload
                    + "from setuptools import setup\nsetup(install_requires=['six'])\n",
                    "pyproject.toml": "[build-system]\nrequires = ['setuptools']\n"
                    "build-backend = 'backend'\nbackend-path = ['.']\n",
                    "backend.py": payload,
                },
            )
        ],
    )
    target = run(fresh_server, tmp_path, "canary\n").targets[0]
    assert pkg(target, "canary").status is Status.SDIST_PURE
    assert pkg(target, "six").required_by == ["canary 1.0"]  # read from setup.py's literals
    assert not canary.exists()


@pytest.mark.parametrize(
    "backend,members,languages",
    [
        ("maturin", ["Cargo.toml", "src/lib.rs"], ["Rust"]),
        ("hatchling.build", ["src/pkg/__init__.py"], []),
        ("mesonpy", ["meson.build", "src/mod.c", "src/mod.cpp"], ["C", "C++"]),
    ],
)
def test_build_backends_decide_native(
    fresh_server: IndexServer,
    tmp_path: Path,
    backend: str,
    members: list[str],
    languages: list[str],
) -> None:
    fresh_server.add_project(
        "be",
        [
            sdist(
                "be",
                "1.0",
                members=members,
                texts={
                    "pyproject.toml": "[build-system]\nrequires = []\n"
                    f"build-backend = '{backend}'\n"
                    "[project]\nname = 'be'\nversion = '1.0'\ndependencies = []\n"
                },
            )
        ],
    )
    result = pkg(run(fresh_server, tmp_path, "be\n").targets[0], "be")
    assert result.languages == languages
    assert result.status is (Status.SDIST_NATIVE if languages else Status.SDIST_PURE)
    assert result.metadata_source == "pyproject.toml [project]"


def test_setup_py_needing_pkg_resources_is_a_blocker(
    fresh_server: IndexServer, tmp_path: Path
) -> None:
    top_level = "import pkg_resources\nfrom setuptools import setup\nsetup()\n"
    guarded = (
        "try:\n    import pkg_resources\nexcept ImportError:\n    pass\n"
        "from setuptools import setup\nsetup()\n"
    )
    fresh_server.add_project("oldsetup", [sdist("oldsetup", "1.0", texts={"setup.py": top_level})])
    fresh_server.add_project("guarded", [sdist("guarded", "1.0", texts={"setup.py": guarded})])
    target = run(fresh_server, tmp_path, "oldsetup\nguarded\n").targets[0]
    setuptools = pkg(target, "setuptools", build_only=True)
    assert int(str(setuptools.version).split(".")[0]) >= 82  # the recorded newest release
    old = pkg(target, "oldsetup")
    assert old.blocker and "pkg_resources" in old.reason
    assert not target.complete and any("oldsetup" in p for p in target.problems)
    assert not pkg(target, "guarded").blocker


def test_every_blocker_is_listed_not_only_the_first(
    fresh_server: IndexServer, tmp_path: Path
) -> None:
    fresh_server.add_project(
        "glibconly", [wheel("glibconly", "1.0", plat="cp312-cp312-manylinux_2_17_x86_64")]
    )
    target = run(fresh_server, tmp_path, "scipy==1.7.3\nglibconly\nsix\n", [ALPINE]).targets[0]
    assert not target.complete
    assert {p.split(":", 1)[0] for p in target.problems} >= {"scipy", "glibconly"}


def test_a_self_dependency_left_alone_by_backtracking_is_reported_not_raised(
    fresh_server: IndexServer, tmp_path: Path
) -> None:
    """resolvelib's final walk recurses without end here (pip crashes): a problem row."""
    fresh_server.add_project("cya", [wheel("cya", "1", ["cyc"])])
    fresh_server.add_project("cyb", [wheel("cyb", "1", ["cye<3", "cyc==1"])])
    fresh_server.add_project(
        "cyc", [wheel("cyc", "1"), wheel("cyc", "2"), wheel("cyc", "3", ["cyd"])]
    )
    fresh_server.add_project("cyd", [wheel("cyd", "1", ["cyd", "cyb==1"])])
    fresh_server.add_project("cye", [wheel("cye", "1", ["cyc<3"])])
    target = run(fresh_server, tmp_path, "cya==1\ncyc\n").targets[0]
    assert not target.complete
    assert target.problems[0].startswith("pip's resolver would crash (RecursionError")
    assert {(p.name, p.version) for p in target.packages} == {("cya", "1"), ("cyc", "1")}
