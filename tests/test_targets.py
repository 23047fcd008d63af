from __future__ import annotations

import pytest
from packaging.markers import Marker
from packaging.tags import Tag

from wheelfit.errors import UserError
from wheelfit.models import Libc
from wheelfit.targets.images import target_from_image, target_from_platform
from wheelfit.targets.tags import marker_environment, platform_tags, supported_tags


def test_slim_bookworm_accepts_manylinux_up_to_its_glibc_with_legacy_aliases() -> None:
    target = target_from_image("python:3.12-slim-bookworm")
    platforms = platform_tags(target)
    assert platforms[0] == "manylinux_2_36_x86_64"
    assert "manylinux_2_37_x86_64" not in platforms
    # each legacy alias comes right after the glibc version it stands for, as in pip
    for alias, modern in [
        ("manylinux2014", "2_17"),
        ("manylinux2010", "2_12"),
        ("manylinux1", "2_5"),
    ]:
        assert (
            platforms.index(f"{alias}_x86_64") == platforms.index(f"manylinux_{modern}_x86_64") + 1
        )
    assert platforms[-1] == "linux_x86_64"
    assert not any("musllinux" in p for p in platforms)


def test_aarch64_manylinux_starts_at_glibc_2_17() -> None:
    platforms = platform_tags(target_from_image("python:3.12-bookworm", arch="arm64"))
    assert "manylinux_2_17_aarch64" in platforms and "manylinux2014_aarch64" in platforms
    assert "manylinux_2_16_aarch64" not in platforms and "manylinux1_aarch64" not in platforms


def test_alpine_accepts_musllinux_only() -> None:
    target = target_from_image("python:3.12-alpine")
    assert target.libc is Libc.MUSL
    assert platform_tags(target) == [
        "musllinux_1_2_x86_64",
        "musllinux_1_1_x86_64",
        "musllinux_1_0_x86_64",
        "linux_x86_64",
    ]
    tags = supported_tags(target)
    assert tags[0] == Tag("cp312", "cp312", "musllinux_1_2_x86_64")
    assert Tag("cp36", "abi3", "musllinux_1_1_x86_64") in tags
    assert Tag("py3", "none", "any") in tags
    assert Tag("cp312", "cp312", "manylinux_2_17_x86_64") not in tags


def test_free_threaded_raw_target_has_no_abi3() -> None:
    target = target_from_platform("musllinux_1_2_aarch64", "3.13t")
    tags = supported_tags(target)
    assert tags[0] == Tag("cp313", "cp313t", "musllinux_1_2_aarch64")
    assert Tag("cp313", "abi3", "musllinux_1_2_aarch64") not in tags
    assert target.python == "3.13t"


@pytest.mark.parametrize(
    ("name", "image", "python"),
    [
        ("slim", "python:3.14-slim-trixie", "3.14.6"),
        ("alpine", "python:3.14-alpine3.24", "3.14.6"),
        ("python", "python:3.14-trixie", "3.14.6"),
        ("python:3.12-slim-bookworm", "python:3.12-slim-bookworm", "3.12.13"),
        ("python:3.11-alpine3.23", "python:3.11-alpine3.23", "3.11.15"),
        ("3.10-bookworm", "python:3.10-bookworm", "3.10.20"),
        ("python:3.15-slim", "python:3.15-rc-slim-trixie", "3.15.0b3"),
    ],
)
def test_image_names(name: str, image: str, python: str) -> None:
    target = target_from_image(name)
    assert target.image == image
    assert target.python_full_version == python


def test_python_option_applies_to_short_names_and_tag_version_wins() -> None:
    assert target_from_image("slim", python="3.11").python == "3.11"
    assert target_from_image("python:3.12-slim", python="3.11").python == "3.12"


@pytest.mark.parametrize(
    ("name", "python", "arch", "message"),
    [
        ("python:3.12-busybox", None, None, "unknown image variant"),
        ("python:3.9-slim", None, None, "no official python image for Python 3.9"),
        ("slim", "3.13t", None, "free-threaded"),
        ("slim", None, "riscv64", "unknown architecture"),
    ],
)
def test_bad_targets_are_user_errors(
    name: str, python: str | None, arch: str | None, message: str
) -> None:
    with pytest.raises(UserError, match=message):
        target_from_image(name, python, arch)


def test_bad_platform_is_a_user_error() -> None:
    with pytest.raises(UserError, match="manylinux_2_28_x86_64"):
        target_from_platform("linux-x86_64", "3.12")


def test_marker_environment_describes_the_image_not_the_host() -> None:
    env = marker_environment(target_from_image("python:3.12-alpine", arch="arm64"))
    assert env["platform_machine"] == "aarch64"
    assert env["python_full_version"] == "3.12.13"
    assert Marker('platform_machine == "aarch64" and python_version >= "3.12"').evaluate(env)
    assert not Marker('sys_platform == "win32"').evaluate(env)
