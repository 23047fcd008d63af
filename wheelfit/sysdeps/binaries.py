"""Per image: will a wheel's compiled files load? Which packages provide the libraries they need?

pip installs a ``linux_<arch>`` wheel on every image of that arch (``linux_*`` ends musl's tag
list too) and believes a manylinux tag; the dynamic loader decides at import time. A file
linked against glibc cannot load on musl (and the other way round), a file asking for newer
glibc symbol versions than the image's cannot load, and a library the image lacks makes the
import fail until its package is installed.
"""

from __future__ import annotations

import re

from ..inspect.elf import WheelBinaries
from ..models import Libc, PackageResult, SystemNeeds, Target
from . import knowledge
from .infer import library_package, to_alpine

_MANYLINUX = re.compile(r"manylinux_(\d+)_(\d+)_")
_LEGACY = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}
SOURCE = "the wheel's ELF files (auditwheel)"


def tag_glibc(tag: str | None) -> tuple[int, int] | None:
    """The glibc a manylinux tag promises to need at most (None for other tags)."""
    if not tag:
        return None
    match = _MANYLINUX.search(tag)
    if match:
        return int(match[1]), int(match[2])
    return next((v for legacy, v in _LEGACY.items() if legacy in tag), None)


def check_binaries(result: PackageResult, binaries: WheelBinaries, target: Target) -> None:
    """Blockers, notes and runtime packages for ``result`` (a wheel) on ``target``."""
    if not binaries.objects:
        return
    first = binaries.objects[0].member
    newest = binaries.glibc
    promised = tag_glibc(result.tag)
    if newest is not None and promised is not None and newest > promised:
        result.notes.append(
            f"mis-tagged: {_member_needing(binaries, newest)} needs glibc "
            f"{_text(newest)}, newer than its tag {result.tag} promises ({_text(promised)})"
        )
    if binaries.libc == "glibc" and target.libc is Libc.MUSL:
        _fails(
            result,
            f"{first} was built against glibc and this image has musl: "
            "it installs, then fails at import (built for glibc)",
        )
        return
    if binaries.libc == "musl" and target.libc is Libc.GLIBC:
        _fails(
            result,
            f"{first} was built against musl and this image has glibc: "
            "it installs, then fails at import (built for musl)",
        )
        return
    if target.libc is Libc.GLIBC and newest is not None and newest > target.libc_version:
        _fails(
            result,
            f"{_member_needing(binaries, newest)} needs glibc {_text(newest)} and this image "
            f"has {_text(target.libc_version)}: it installs, then fails at import",
        )
        return
    _add_runtime_packages(result, binaries, target)
    if binaries.skipped:
        result.notes.append(
            "not read (too large or not a valid ELF file): "
            + ", ".join(binaries.skipped[:3])
            + "; they may need more"
        )


def _fails(result: PackageResult, why: str) -> None:
    result.blocker = True
    result.reason = (result.reason + "; " if result.reason else "") + why


def _add_runtime_packages(result: PackageResult, binaries: WheelBinaries, target: Target) -> None:
    libraries = binaries.system_libraries()
    family = target.family
    if not libraries or family is None or target.kind is None or target.release is None:
        return
    # Alpine names come from Debian's through the name map, as for sdists' libraries
    suite = "bookworm" if family == "alpine" else family
    debian: list[str] = []
    unknown: list[str] = []
    for soname in libraries:
        package = library_package(soname, suite)
        (debian if package else unknown).append(package or soname)
    packages = to_alpine(debian, runtime=True)[0] if family == "alpine" else debian
    present = knowledge.image_packages(target.kind, target.release)
    needs = result.system or SystemNeeds(source=SOURCE, confidence="medium")
    if needs.source != SOURCE:
        needs.source = f"{needs.source}; {SOURCE}" if needs.source else SOURCE
    for package in packages:
        if package in present:
            needs.already_in_image = sorted({*needs.already_in_image, package})
        elif package not in needs.runtime_packages:
            needs.runtime_packages.append(package)
    needs.notes.append(f"its compiled files load {', '.join(libraries)}")
    if unknown:
        needs.notes.append(f"no {family} package known to provide {', '.join(unknown)}")
        needs.unknown = True
    result.system = needs


def _member_needing(binaries: WheelBinaries, version: tuple[int, int]) -> str:
    return next(o.member for o in binaries.objects if o.glibc == version)


def _text(version: tuple[int, int]) -> str:
    return f"{version[0]}.{version[1]}"
