"""Targets from image names (``python:3.12-slim``, ``alpine``) or raw platform tags.

An image name is matched against the profiles in the knowledge base (data/images.json); a raw
platform (``manylinux_2_28_x86_64``) becomes a target with only that tag's libc and arch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .. import kb
from ..errors import UserError
from ..models import Libc, Target

ARCH_TO_MACHINE = {"amd64": "x86_64", "arm64": "aarch64"}
MACHINE_TO_ARCH = {machine: arch for arch, machine in ARCH_TO_MACHINE.items()}
SHORT_NAMES = ("python", "slim", "alpine", "ubuntu", "distroless")
# Images whose Python is fixed by the distribution (profiles with a "repository" other than
# python): the name chooses the profile, and the profile the Python.
_OTHER_RE = re.compile(
    r"^(?:docker\.io/)?(?:library/)?(?P<repo>ubuntu|gcr\.io/distroless/python3)"
    r"(?P<suffix>-debian\d+)?(?::(?P<tag>[\w.\-]+))?$"
)
_DISTROLESS_TAGS = ("latest", "nonroot")


@dataclass(frozen=True)
class _ImageName:
    python: str | None  # "3.12", "3.12.13", "3" or None
    variant: str  # "", "slim", "slim-bookworm", "alpine", "alpine3.23", "bookworm", ...


_TAG_RE = re.compile(
    r"^(?:(?:docker\.io/)?(?:library/)?python:)?"
    r"(?P<python>3(?:\.\d+)?(?:\.\d+)?(?:t)?(?:-rc)?)?-?(?P<variant>[a-z][a-z0-9.\-]*)?$"
)


def _parse_image_name(name: str) -> _ImageName:
    text = name.strip()
    if text in ("python", "python:latest", "latest"):
        return _ImageName(None, "")
    match = _TAG_RE.match(text)
    if not match:
        raise UserError(f"cannot read image name {name!r}: expected e.g. python:3.12-slim-bookworm")
    return _ImageName(match["python"], match["variant"] or "")


def _other_variant(profiles: dict[str, Any], name: str) -> dict[str, Any] | None:
    """The profile of ``ubuntu:24.04``, ``ubuntu``, ``distroless``,
    ``gcr.io/distroless/python3-debian13:nonroot``; None for a python image name."""
    text = name.strip()
    if text == "distroless":
        text = "gcr.io/distroless/python3"
    match = _OTHER_RE.match(text)
    if match is None:
        return None
    repo, tag = match["repo"], match["tag"]
    variants = [v for v in profiles["variants"] if v.get("repository") == repo]
    if repo == "ubuntu":
        if match["suffix"]:
            return None
        if tag in (None, "latest"):
            found = [v for v in variants if v.get("latest")]
        else:
            found = [v for v in variants if tag in v.get("tags", [v["suffix"]])]
        known = ", ".join(t for v in variants for t in v.get("tags", [v["suffix"]]))
        if not found:
            raise UserError(f"unknown ubuntu tag {tag!r} in {name!r}; known: {known}")
        return dict(found[0])
    if tag is not None and tag not in _DISTROLESS_TAGS:
        raise UserError(
            f"unknown distroless tag {tag!r} in {name!r}: use "
            + " or ".join(_DISTROLESS_TAGS)
            + " (the :debug images add a shell, which wheelfit does not model)"
        )
    suffix = (match["suffix"] or "").lstrip("-")
    found = [v for v in variants if v["suffix"] == suffix or (not suffix and v.get("latest"))]
    if not found:
        known = ", ".join(f"{repo}-{v['suffix']}" for v in variants)
        raise UserError(f"unknown distroless image {name!r}; known: {known}")
    return dict(found[0])


def _variant_for(profiles: dict[str, Any], variant: str) -> dict[str, Any]:
    defaults = profiles["defaults"]["release"]
    kind = variant.split("-", 1)[0] if variant else "python"
    if variant in ("", "python"):
        suffix = defaults["python"]
    elif variant == "slim":
        suffix = f"slim-{defaults['slim']}"
    elif variant == "alpine":
        suffix = defaults["alpine"]
    else:
        suffix = variant
    official = [v for v in profiles["variants"] if v.get("repository", "python") == "python"]
    for entry in official:
        if entry["suffix"] == suffix:
            return dict(entry)
    known = ", ".join(list(SHORT_NAMES) + [v["suffix"] for v in official])
    raise UserError(f"unknown image variant {kind!r} ({variant!r}); known: {known}")


def _python_version(
    profiles: dict[str, Any], variant: dict[str, Any], requested: str | None
) -> tuple[tuple[int, int], str]:
    versions: dict[str, str] = variant["python_versions"]
    wanted = (requested or profiles["defaults"]["python"]).removesuffix("-rc")
    if wanted.endswith("t"):
        raise UserError(
            f"no official image ships free-threaded Python {wanted}: "
            "use --platform with --python for a raw target"
        )
    if wanted == "3":
        wanted = profiles["defaults"]["python"]
    minor = ".".join(wanted.split(".")[:2])
    if minor not in versions:
        raise UserError(
            f"no official python image for Python {wanted} ({variant['suffix']}); "
            f"known: {', '.join(versions)}"
        )
    full = versions[minor] if wanted == minor else wanted
    major_s, minor_s = minor.split(".")
    return (int(major_s), int(minor_s)), full


def target_from_image(name: str, python: str | None = None, arch: str | None = None) -> Target:
    """A target for a Docker tag (``python:3.12-slim-bookworm``, ``ubuntu:24.04``) or a short
    name (``slim``, ``ubuntu``, ``distroless``).

    A Python version in the tag wins over ``python``, and so does the Python an image ships
    (ubuntu, distroless); ``arch`` defaults to amd64.
    """
    profiles = kb.image_profiles()
    if python is not None and not re.fullmatch(r"3\.\d+t?", python):
        raise UserError(f"--python {python!r}: give a version such as 3.12 (3.13t: free-threaded)")
    other = _other_variant(profiles, name)
    if other is not None:
        variant = other
        (major, minor), full = _python_version(
            profiles, variant, next(iter(other["python_versions"]))
        )
    else:
        parsed = _parse_image_name(name)
        variant = _variant_for(profiles, parsed.variant)
        (major, minor), full = _python_version(profiles, variant, parsed.python or python)
    arch = normalize_arch(arch or "amd64")
    if arch not in variant["arches"]:
        raise UserError(f"image variant {variant['suffix']} is not built for {arch}")
    libc = Libc(variant["libc"])
    libc_major, libc_minor = (int(part) for part in variant["libc_version"].split(".")[:2])
    repository = variant.get("repository", "python")
    if repository == "python":
        tag_version = f"{major}.{minor}" + (
            "-rc" if f"{major}.{minor}" in variant.get("prerelease_pythons", []) else ""
        )
        image = f"python:{tag_version}-{variant['suffix']}"
    elif repository == "ubuntu":
        image = f"ubuntu:{variant['suffix']}"
    else:
        image = f"{repository}-{variant['suffix']}"
    distribution_python = variant.get("python") == "distribution"
    return Target(
        id=f"{image}@{arch}",
        image=image,
        libc=libc,
        libc_version=(libc_major, libc_minor),
        arch=arch,
        machine=ARCH_TO_MACHINE[arch],
        python_version=(major, minor),
        python_full_version=full,
        has_compiler=bool(variant["has_compiler"]),
        distro=variant.get("distro"),
        kind=variant["kind"],
        release=variant.get("release"),
        python_source="distribution" if distribution_python else "official",
        python_packages=tuple(variant.get("python_packages", ())),
        pep668=bool(variant.get("pep668", False)),
        pip=bool(variant.get("pip", True)),
        shell=bool(variant.get("shell", True)),
        final_stage_only=bool(variant.get("final_stage_only", False)),
        build_image=variant.get("build_image"),
        package_manager=variant.get("package_manager", "apk" if libc is Libc.MUSL else "apt"),
        installed=tuple(variant["packages"]) if "packages" in variant else None,
    )


def normalize_arch(arch: str) -> str:
    value = arch.lower().removeprefix("linux/")
    value = {"x86_64": "amd64", "aarch64": "arm64", "arm64/v8": "arm64"}.get(value, value)
    if value not in ARCH_TO_MACHINE:
        raise UserError(f"unknown architecture {arch!r}: use amd64 or arm64")
    return value


_PLATFORM_RE = re.compile(
    r"^(?P<family>manylinux|musllinux)_(?P<maj>\d+)_(?P<min>\d+)_(?P<machine>\w+)$"
)


def target_from_platform(platform: str, python: str | None) -> Target:
    """A raw target from a platform tag and a Python version, e.g. musllinux_1_2_aarch64 + 3.13t."""
    match = _PLATFORM_RE.match(platform.strip())
    if not match:
        raise UserError(
            f"cannot read platform {platform!r}: expected e.g. manylinux_2_28_x86_64 "
            "or musllinux_1_2_aarch64"
        )
    if python is None:
        python = kb.image_profiles()["defaults"]["python"]
    version_match = re.fullmatch(r"3\.(\d+)(?:\.(\d+))?(t?)", python)
    if not version_match:
        raise UserError(f"cannot read Python version {python!r}: expected e.g. 3.12 or 3.13t")
    minor = int(version_match[1])
    free_threaded = bool(version_match[3])
    if free_threaded and minor < 13:
        raise UserError("free-threaded CPython starts at 3.13 (3.13t)")
    full = f"3.{minor}.{version_match[2] or 0}"
    machine = match["machine"]
    libc = Libc.GLIBC if match["family"] == "manylinux" else Libc.MUSL
    target = Target(
        id=f"{platform}@cp3{minor}{'t' if free_threaded else ''}",
        image=None,
        libc=libc,
        libc_version=(int(match["maj"]), int(match["min"])),
        arch=MACHINE_TO_ARCH.get(machine, machine),
        machine=machine,
        python_version=(3, minor),
        python_full_version=full,
        free_threaded=free_threaded,
        has_compiler=False,
    )
    return target


def list_images() -> list[dict[str, Any]]:
    """One row per image variant, for ``wheelfit images``."""
    profiles = kb.image_profiles()
    defaults = profiles["defaults"]["release"]
    python = profiles["defaults"]["python"]
    rows = []
    for variant in profiles["variants"]:
        repository = variant.get("repository", "python")
        if repository == "python":
            image = f"python:3.X-{variant['suffix']}"
            short = [
                name
                for name, suffix in (
                    ("python", defaults["python"]),
                    ("slim", f"slim-{defaults['slim']}"),
                    ("alpine", defaults["alpine"]),
                )
                if suffix == variant["suffix"]
            ]
        elif repository == "ubuntu":
            image = f"ubuntu:{variant['suffix']}"
            short = ["ubuntu"] if variant.get("latest") else []
        else:
            image = f"{repository}-{variant['suffix']}"
            short = ["distroless"] if variant.get("latest") else []
        rows.append(
            {
                **variant,
                "image": image,
                "repository": repository,
                "short_name": short[0] if short else "",
                "default_python": python if repository == "python" else "",
            }
        )
    return rows
