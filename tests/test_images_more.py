"""Base images beyond the official python ones: Ubuntu, bullseye, distroless."""

from __future__ import annotations

import csv
import gzip
import json
import re
from pathlib import Path

import pytest
from indexserver import IndexServer
from packaging.tags import Tag
from test_analyze import run, sdist, wheel

from wheelfit.cli import main
from wheelfit.errors import UserError
from wheelfit.models import PackageResult, Status
from wheelfit.render.dockerfile import render_dockerfile
from wheelfit.sysdeps import knowledge
from wheelfit.sysdeps.plan import plan_package
from wheelfit.targets.images import target_from_image
from wheelfit.targets.profile import target_from_profile
from wheelfit.targets.tags import supported_tags

ROOT = Path(__file__).resolve().parents[1]
SETUP_NATIVE = (
    "from setuptools import setup, Extension\nsetup(ext_modules=[Extension('m', ['m.c'])])\n"
)


def _native(name: str) -> PackageResult:
    return PackageResult(name=name, version="1.0", status=Status.SDIST_NATIVE, languages=["C"])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "image", "glibc", "python", "full"),
    [
        ("ubuntu:24.04", "ubuntu:24.04", (2, 39), "3.12", "3.12.3"),
        ("ubuntu:noble", "ubuntu:24.04", (2, 39), "3.12", "3.12.3"),
        ("ubuntu", "ubuntu:24.04", (2, 39), "3.12", "3.12.3"),
        ("docker.io/library/ubuntu:22.04", "ubuntu:22.04", (2, 35), "3.10", "3.10.12"),
        ("python:3.11-bullseye", "python:3.11-bullseye", (2, 31), "3.11", "3.11.13"),
        ("python:3.11-slim-bullseye", "python:3.11-slim-bullseye", (2, 31), "3.11", "3.11.13"),
        ("distroless", "gcr.io/distroless/python3-debian13", (2, 41), "3.13", "3.13.5"),
        (
            "gcr.io/distroless/python3-debian12:nonroot",
            "gcr.io/distroless/python3-debian12",
            (2, 36),
            "3.11",
            "3.11.2",
        ),
    ],
)
def test_more_image_names(
    name: str, image: str, glibc: tuple[int, int], python: str, full: str
) -> None:
    target = target_from_image(name)
    assert target.image == image
    assert target.libc_version == glibc
    assert target.python == python
    assert target.python_full_version == full


def test_distribution_python_wins_over_the_python_option_and_tags_follow_glibc() -> None:
    noble = target_from_image("ubuntu:24.04", python="3.13")
    assert noble.python == "3.12"
    assert noble.python_source == "distribution" and noble.pep668
    assert noble.python_packages == ("python3", "python3-venv")
    tags = supported_tags(noble)
    assert Tag("cp312", "cp312", "manylinux_2_39_x86_64") in tags
    assert Tag("cp312", "cp312", "manylinux_2_40_x86_64") not in tags
    jammy = target_from_image("ubuntu:22.04")
    assert not jammy.pep668  # jammy's python3.10 ships no EXTERNALLY-MANAGED file
    bullseye = target_from_image("python:3.12-slim-bullseye")
    assert Tag("cp312", "cp312", "manylinux_2_31_x86_64") in supported_tags(bullseye)
    assert Tag("cp312", "cp312", "manylinux_2_34_x86_64") not in supported_tags(bullseye)
    distroless = target_from_image("distroless")
    assert distroless.final_stage_only and not distroless.shell and not distroless.pip
    assert distroless.build_image == "debian:trixie-slim"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("ubuntu:20.04", "unknown ubuntu tag '20.04'"),
        ("gcr.io/distroless/python3:debug", "unknown distroless tag 'debug'"),
        ("gcr.io/distroless/python3-debian11", "unknown distroless image"),
        ("python:3.14-bullseye", "no official python image for Python 3.14"),
        ("python:3.12-debian13", "unknown image variant"),
    ],
)
def test_bad_more_image_names_are_user_errors(name: str, message: str) -> None:
    with pytest.raises(UserError, match=message):
        target_from_image(name)


def test_psycopg2_on_ubuntu_needs_python3_dev_and_libpq_dev() -> None:
    needs = plan_package(_native("psycopg2"), target_from_image("ubuntu:24.04"))
    assert needs is not None
    assert needs.build_packages == ["gcc", "libc6-dev", "libpq-dev", "python3-dev"]
    assert needs.runtime_packages == ["libpq5"]
    # a real build checked bookworm; noble's names are derived: one level lower
    assert needs.confidence == "medium"
    assert any("checked in ubuntu 24.04's archive" in note for note in needs.notes)
    slim = plan_package(_native("psycopg2"), target_from_image("python:3.11-slim-bullseye"))
    assert slim is not None and "python3-dev" not in slim.build_packages
    assert slim.build_packages == ["gcc", "libc6-dev", "libpq-dev"]
    full = plan_package(_native("psycopg2"), target_from_image("python:3.11-bullseye"))
    assert full is not None and full.build_packages == []  # buildpack-deps has them


def test_names_are_renamed_or_dropped_per_release() -> None:
    pillow = plan_package(_native("pillow"), target_from_image("ubuntu:24.04"))
    assert pillow is not None
    assert "libjpeg-turbo8-dev" in pillow.build_packages
    assert "libjpeg62-turbo-dev" not in pillow.build_packages
    noble = knowledge.derived_release("noble")
    assert noble is not None
    assert noble.translate(["libicu76", "libssl3t64", "cargo-web"]) == (
        ["libicu74", "libssl3t64"],
        ["cargo-web"],
    )
    bullseye = knowledge.derived_release("bullseye")
    assert bullseye is not None
    assert bullseye.translate(["libssl3", "libicu72"])[0] == ["libssl1.1", "libicu67"]


def _release_names(release: str) -> set[str]:
    path = ROOT / "data" / "releases" / f"{release}_amd64_packages.tsv.gz"
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return {row["package"] for row in csv.DictReader(handle, delimiter="\t")}


@pytest.mark.parametrize(
    ("image", "release"),
    [
        ("ubuntu:24.04", "noble"),
        ("ubuntu:22.04", "jammy"),
        ("python:3.11-slim-bullseye", "bullseye"),
    ],
)
def test_every_predicted_name_is_a_package_of_the_release(image: str, release: str) -> None:
    names = _release_names(release)
    target = target_from_image(image)
    projects = json.loads((ROOT / "data" / "sysdeps" / "kb.json").read_text())["projects"]
    predicted: set[str] = set()
    for project in projects:
        needs = plan_package(_native(project), target)
        if needs is not None:
            predicted.update(needs.build_packages + needs.runtime_packages)
    assert len(predicted) > 500
    assert sorted(predicted - names) == []


def test_rust_on_ubuntu_is_the_default_rustc_else_rustup() -> None:
    chain = knowledge.toolchain("noble", "rust")
    assert chain is not None and chain.build == ("gcc", "libc6-dev", "rustc", "cargo")
    assert chain.version == "1.75.0"
    assert knowledge.toolchain("bullseye", "rust").build[-2:] == ("rustc-web", "cargo-web")  # type: ignore[union-attr]


def _report(server: IndexServer, tmp_path: Path, text: str, image: str):  # type: ignore[no-untyped-def]
    return run(server, tmp_path, text, [image]).targets[0]


def test_distroless_dockerfile_builds_in_debian_and_copies_venv_and_libraries(
    fresh_server: IndexServer, tmp_path: Path
) -> None:
    fresh_server.add_project(
        "psycopg2", [sdist("psycopg2", "2.9.10", texts={"setup.py": SETUP_NATIVE})]
    )
    report = _report(fresh_server, tmp_path, "psycopg2\n", "distroless")
    text = render_dockerfile(report, ["requirements.txt"])
    stages = [line for line in text.splitlines() if line.startswith("FROM ")]
    assert stages == ["FROM debian:trixie-slim AS build", "FROM gcr.io/distroless/python3-debian13"]
    build, final = text.split("\nFROM gcr.io/distroless/python3-debian13\n")
    assert all(f"\t\t{p} \\" in build for p in ("python3-venv", "python3-dev", "libpq-dev"))
    assert "RUN /usr/bin/python3.13 -m venv /venv" in build
    # the libraries libpq5 needs beyond what distroless has are named and copied
    assert "# shared libraries gcr.io/distroless/python3-debian13 lacks: libpq5 " in build
    assert "libldap2" in build.split("lacks:")[1].splitlines()[0]
    assert "apt-get" not in final and "RUN" not in final
    assert "COPY --from=build /venv /venv" in final
    assert "COPY --from=build /runtime/ /" in final


def test_ubuntu_dockerfile_uses_a_venv_and_apt_python(
    fresh_server: IndexServer, tmp_path: Path
) -> None:
    fresh_server.add_project(
        "psycopg2", [sdist("psycopg2", "2.9.10", texts={"setup.py": SETUP_NATIVE})]
    )
    fresh_server.add_project("six", [wheel("six", "1.17.0")])
    text = render_dockerfile(
        _report(fresh_server, tmp_path, "psycopg2\n", "ubuntu:24.04"), ["requirements.txt"]
    )
    build, final = text.split("\nFROM ubuntu:24.04\n")
    assert build.startswith("# Generated") and "FROM ubuntu:24.04 AS build" in build
    for stage in (build, final):
        assert "\t\tpython3 \\\n\t\tpython3-venv \\" in stage
        assert "RUN python3 -m venv /venv" in stage and "(PEP 668)" in stage
        assert "--break-system-packages" not in stage
    assert "\t\tpython3-dev \\" in build and "python3-dev" not in final
    assert "\t\tlibpq5 \\" in final
    (tmp_path / "b").mkdir()
    plain = render_dockerfile(
        _report(fresh_server, tmp_path / "b", "six\n", "ubuntu:22.04"), ["requirements.txt"]
    )
    assert [line for line in plain.splitlines() if line.startswith("FROM ")] == [
        "FROM ubuntu:22.04"
    ]
    assert "RUN python3 -m venv /venv" in plain and "PEP 668" not in plain
    assert plain.index("python3 -m venv") < plain.index("RUN pip install")


def test_images_command_lists_the_new_profiles_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["images", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)["images"]
    by_image = {row["image"]: row for row in rows}
    assert by_image["ubuntu:24.04"]["short_name"] == "ubuntu"
    assert by_image["ubuntu:24.04"]["libc_version"] == "2.39"
    assert by_image["gcr.io/distroless/python3-debian13"]["short_name"] == "distroless"
    assert by_image["python:3.X-slim-bullseye"]["python_versions"]["3.11"] == "3.11.13"
    assert main(["images"]) == 0
    table = capsys.readouterr().out
    assert "ubuntu:24.04" in table and "distroless" in table


PROFILES = ROOT / "tests" / "data" / "profiles"


def test_probe_of_a_noble_chroot_agrees_with_the_built_in_ubuntu_profile() -> None:
    # recorded: the probe script run with python3 in a debootstrap noble chroot (2026-12-04)
    probed = target_from_profile(PROFILES / "noble-chroot.json")
    built_in = target_from_image("ubuntu:24.04")
    assert probed.libc_version == built_in.libc_version == (2, 39)
    assert probed.python_full_version == built_in.python_full_version == "3.12.3"
    assert probed.family == built_in.family == "noble"
    assert probed.python_source == "distribution" and probed.pep668
    assert probed.image == "noble-chroot" and probed.id == "noble-chroot@amd64"
    # the chroot is minbase + python3, python3-venv and pip: it holds the built-in inventory
    assert probed.installed is not None
    assert set(knowledge.image_packages("ubuntu", "noble")) <= set(probed.installed)
    needs = plan_package(_native("psycopg2"), probed)
    assert needs is not None and "python3-dev" in needs.build_packages


def test_probe_command_describes_this_machine(tmp_path: Path) -> None:
    out = tmp_path / "profile.json"
    assert main(["probe", "-o", str(out)]) == 0
    target = target_from_profile(out)
    import platform
    import sys

    assert target.python_version == sys.version_info[:2]
    assert target.python_full_version == platform.python_version().split("+")[0]
    name, version = platform.libc_ver()
    if name == "glibc":
        assert target.libc_version_str == ".".join(version.split(".")[:2])


def test_probe_scripts_are_printable(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["probe", "--script"]) == 0
    script = capsys.readouterr().out
    assert "import wheelfit" not in script and "def collect()" in script
    compile(script, "probe.py", "exec")
    assert main(["probe", "--sh"]) == 0
    assert capsys.readouterr().out.startswith("#!/bin/sh")


def _write(tmp_path: Path, document: object) -> Path:
    path = tmp_path / "profile.json"
    path.write_text(json.dumps(document))
    return path


def _valid() -> dict[str, object]:
    return json.loads((PROFILES / "noble-chroot.json").read_text())  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.pop("libc"), "field 'libc.name': missing"),
        (lambda d: d["libc"].update(version="two"), "field 'libc.version': expected a version"),
        (lambda d: d["libc"].update(name="bionic"), "expected glibc or musl"),
        (lambda d: d.update(arch="riscv64"), "field 'arch': 'riscv64' is not a machine"),
        (lambda d: d.update(python=None), "field 'python': null: the image has no python3"),
        (lambda d: d["python"].pop("version"), "field 'python.version': missing"),
        (lambda d: d["python"].update(version=312), "expected str, got 312"),
        (lambda d: d.update(profile_version=9), "version 9 is not known"),
        (lambda d: d.update(packages="gcc"), "field 'packages': expected list"),
        (lambda d: d.update(size_bytes=-1), "expected a positive number of bytes"),
    ],
)
def test_bad_profiles_are_located_errors(tmp_path: Path, change: object, message: str) -> None:
    document = _valid()
    change(document)  # type: ignore[operator]
    path = _write(tmp_path, document)
    with pytest.raises(UserError, match=re.escape(message)) as caught:
        target_from_profile(path)
    assert str(path) in str(caught.value) and "wheelfit probe" in str(caught.value)


def test_profile_that_is_not_json_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text('{\n "libc": {\n')
    with pytest.raises(UserError, match=r"p\.json:3:1: not JSON"):
        target_from_profile(path)


def test_rpm_family_gets_the_analysis_and_says_names_are_unknown(tmp_path: Path) -> None:
    document = _valid()
    document["os"] = {"id": "rhel", "id_like": ["fedora"], "version_id": "9.4", "codename": ""}
    document["libc"] = {"name": "glibc", "version": "2.34"}
    document["package_manager"] = "dnf"
    document["size_bytes"] = 200_000_000
    target = target_from_profile(_write(tmp_path, document))
    assert target.family == "rhel-9.4" and target.libc_version == (2, 34)
    assert Tag("cp312", "cp312", "manylinux_2_34_x86_64") in supported_tags(target)
    needs = plan_package(_native("psycopg2"), target)
    assert needs is not None and needs.unknown and needs.build_packages == []
    assert "system package names are unknown for rhel-9.4" in needs.notes[0]
    wheel_only = PackageResult(name="six", version="1", status=Status.WHEEL)  # type: ignore[arg-type]
    assert plan_package(wheel_only, target) is None


def test_image_profile_option_and_config_analyse_against_the_profile(
    fresh_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fresh_server.add_project(
        "psycopg2", [sdist("psycopg2", "2.9.10", texts={"setup.py": SETUP_NATIVE})]
    )
    req = tmp_path / "requirements.txt"
    req.write_text("psycopg2\n")
    profile = PROFILES / "noble-chroot.json"
    common = [str(req), "--index-url", fresh_server.url + "/simple", "--format", "json"]
    common += ["--cache-dir", str(tmp_path / "cache")]
    assert (
        main([*common, "--image-profile", str(profile), "--image", "distroless", "--no-config"])
        == 0
    )
    document = json.loads(capsys.readouterr().out)
    import jsonschema

    jsonschema.validate(document, json.loads((ROOT / "docs" / "schema.json").read_text()))
    target = document["targets"][1]
    assert document["targets"][0]["profile"]["final_stage_only"] is True
    assert target["id"] == "noble-chroot@amd64"
    assert (target["libc_version"], target["python_full_version"]) == ("2.39", "3.12.3")
    assert target["profile"]["python_source"] == "distribution"
    assert "python3-dev" in target["system_packages"]["build"]
    (tmp_path / "ci").mkdir()
    (tmp_path / "ci" / "base.json").write_text(profile.read_text())
    config = tmp_path / "pyproject.toml"
    config.write_text('[tool.wheelfit]\nimage-profiles = ["ci/base.json"]\n')
    assert main([*common, "--config", str(config)]) == 0
    ids = [t["id"] for t in json.loads(capsys.readouterr().out)["targets"]]
    assert ids == ["noble-chroot@amd64"]


def test_sh_probe_of_a_bullseye_chroot_agrees_with_the_bullseye_profiles(tmp_path: Path) -> None:
    # recorded: probe.sh run in a debootstrap --variant=minbase bullseye chroot (no Python)
    document = json.loads((PROFILES / "bullseye-minbase-sh.json").read_text())
    with pytest.raises(UserError, match="field 'python': null: the image has no python3"):
        target_from_profile(_write(tmp_path, document))
    document["python"] = {"version": "3.11.13", "prefix": "/usr/local", "headers": True}
    probed = target_from_profile(_write(tmp_path, document))
    built_in = target_from_image("python:3.11-slim-bullseye")
    assert probed.libc_version == built_in.libc_version == (2, 31)
    assert probed.family == built_in.family == "bullseye"
    assert probed.python_source == "official"
    # what minbase installs is all in the inventory derived for the slim image
    assert set(probed.installed or ()) <= knowledge.image_packages("slim", "bullseye")


def test_costs_and_table_treat_the_new_images_like_any_image(
    fresh_server: IndexServer, tmp_path: Path
) -> None:
    import io

    from rich.console import Console

    from wheelfit.costs import sizes
    from wheelfit.render.table import render_report

    fresh_server.add_project(
        "psycopg2", [sdist("psycopg2", "2.9.10", texts={"setup.py": SETUP_NATIVE})]
    )
    report = run(fresh_server, tmp_path, "psycopg2\n", ["ubuntu:24.04", "distroless"])
    noble, distroless = report.targets
    assert noble.cost is not None and distroless.cost is not None
    inventory = knowledge.image_packages("ubuntu", "noble")
    assert noble.cost.base_bytes == sizes.estimated_base_bytes("noble", inventory)
    assert any("estimated from its packages' Installed-Size" in n for n in noble.cost.notes)
    # libpq5 comes with what it links to (libldap2, libsasl2-2, ...): more than libpq5 alone
    libpq5 = sizes.apt_closure("noble", ["libpq5"], []).packages
    assert noble.cost.runtime_system_bytes > 0 and len(libpq5) > 1
    assert report.recommendation is not None
    assert set(report.recommendation.ranking) == {t.target.id for t in report.targets}
    out = io.StringIO()
    Console(file=out, width=200, color_system=None).print(render_report(report))
    text = out.getvalue()
    assert "ubuntu:24.04: its Python, apt-get install python3 python3-venv; to build, " in text
    assert "to build (in debian:trixie-slim), apt-get install gcc" in text
    assert "to run, copy the libraries of libpq5" in text


def test_dockerfile_from_a_profile_needs_apt_or_apk(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = _valid()
    document["os"] = {"id": "amzn", "version_id": "2023"}
    document["package_manager"] = "dnf"
    path = _write(tmp_path, document)
    req = tmp_path / "r.txt"
    req.write_text("six\n")
    assert main(["dockerfile", str(req), "--image-profile", str(path), "--no-config"]) == 2
    assert "writes apt and apk lines only: noble-chroot has dnf" in capsys.readouterr().err


def test_python_option_on_ubuntu_warns_that_the_image_ships_its_own() -> None:
    from wheelfit.cli.arguments import python_overridden as _python_overridden

    (warning,) = _python_overridden("3.13", [target_from_image("ubuntu:24.04")])
    assert warning.startswith("Python 3.13 was asked for, but ubuntu:24.04 ships Python 3.12:")


def test_markdown_says_where_distroless_packages_are_installed(
    fresh_server: IndexServer, tmp_path: Path
) -> None:
    from wheelfit.render.markdown import render_markdown

    fresh_server.add_project(
        "psycopg2", [sdist("psycopg2", "2.9.10", texts={"setup.py": SETUP_NATIVE})]
    )
    report = run(fresh_server, tmp_path, "psycopg2\n", ["distroless", "ubuntu:24.04"])
    text = render_markdown(report)
    assert "libpq5` in debian:trixie-slim" in text
    assert "`apt-get install gcc libc6-dev libpq-dev python3-dev libpq5`" in text
