"""Per package and per image: installed size, build time and final image size.

Sizes: base image (published) + what pip installs (wheel directories, or an estimate for a
source build) + the system packages apt/apk adds (dependency closure minus what the image
has). Multi-stage keeps only the runtime packages; single-stage also keeps the compilers and
-dev packages. Build time: every source build (measured or modelled) plus the package
manager's installs. Build requirements live in pip's throwaway build environments: they cost
time, never image size.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime

from packaging.utils import NormalizedName
from packaging.version import Version

from ..errors import ArchiveError, IndexFetchError
from ..index.client import IndexClient
from ..index.members import MemberList
from ..index.page import ProjectPage
from ..inspect.distinfo import describe
from ..inspect.sdist import SdistInfo
from ..models import (
    DistFile,
    ImageCost,
    PackageCost,
    PackageResult,
    Seconds,
    Status,
    Target,
    TargetReport,
)
from ..sysdeps import knowledge
from ..sysdeps.plan import target_summary
from . import buildtime, sizes
from .buildtime import ZERO


def estimate_costs(
    client: IndexClient,
    report: TargetReport,
    speed_factor: float = 1.0,
    as_of: datetime | None = None,
) -> None:
    """Fill ``package.cost`` for every package and ``report.cost`` for the image.

    ``as_of`` (--exclude-newer): the packages are those of that day; the base image sizes and
    system packages are the profiles in the data, which are dated (the report says so).
    """
    items = []
    for package in report.packages:
        package.cost = PackageCost(None, "not known: no file to measure")
        item = _sized(client, package, report.target)
        if item is not None:
            items.append(item)
    # every file list is one or two range requests: start them all before waiting on any
    futures = {
        item.wheel.url: client.wheel_members_future(item.wheel)
        for item in items
        if item.wheel is not None and not item.package.build_only
    }
    for item in items:
        cost = _package_cost(client, item, futures)
        if cost.build_seconds is not None:
            cost.build_seconds = cost.build_seconds.scaled(speed_factor)
        item.package.cost = cost
    report.cost = _image_cost(report)
    if as_of is not None and report.cost.base_bytes is not None:
        report.cost.notes.append(
            f"packages as of {as_of.date().isoformat()}; base image sizes and system packages "
            "are from the current profiles (2026-07..09): the data has no older ones"
        )


def start_reading_sizes(client: IndexClient, target: Target, files: Iterable[DistFile]) -> None:
    """Start reading the file lists that estimate_costs will ask for these files (each
    wheel's own, a stand-in wheel's for an sdist), so that they are read while earlier
    stages run; estimate_costs then finds them read or on the way."""
    for dist in files:
        wheel = _sizing_wheel(_page(client, dist.project), dist, target)
        if wheel is not None:
            client.wheel_members_future(wheel)


@dataclass
class _Sized:
    """A package with the file pip installs and the wheel whose file list sizes it."""

    package: PackageResult
    page: ProjectPage
    dist: DistFile
    wheel: DistFile | None  # the chosen wheel, or for a source build a stand-in


def _sized(client: IndexClient, package: PackageResult, target: Target) -> _Sized | None:
    """What sizes this package, or None when it has no file (unavailable, direct reference)."""
    if package.version is None or package.status in (Status.UNAVAILABLE, Status.DIRECT):
        return None
    page = _page(client, package.name)
    dist = page.file_named(package.file or "", Version(package.version))
    if dist is None:
        return None
    return _Sized(package, page, dist, _sizing_wheel(page, dist, target))


def _page(client: IndexClient, name: NormalizedName) -> ProjectPage:
    try:
        return client.get_project(name)
    except IndexFetchError:
        return ProjectPage(name)


def _sizing_wheel(page: ProjectPage, dist: DistFile, target: Target) -> DistFile | None:
    """The wheel itself, or for an sdist the same version's wheel for another platform:
    the nearest stand-in for what the build produces."""
    if dist.is_wheel:
        return dist
    # Linux wheels only: Windows and macOS builds differ in size and bundle other libraries
    wheels = [f for f in page.files_of(dist.version) if f.is_wheel and "linux" in f.filename]
    python = f"cp{target.python_version[0]}{target.python_version[1]}"

    def rank(f: DistFile) -> tuple[bool, bool, bool, str]:
        name = f.filename
        return (python not in name, target.machine not in name, "manylinux" not in name, name)

    return min(wheels, key=rank, default=None)


def _members(futures: dict[str, Future[MemberList]], dist: DistFile) -> MemberList | None:
    future = futures.get(dist.url)
    if future is None:
        return None
    try:
        return future.result()
    except IndexFetchError:
        return None


def _package_cost(
    client: IndexClient, item: _Sized, futures: dict[str, Future[MemberList]]
) -> PackageCost:
    package, dist, wheel = item.package, item.dist, item.wheel
    if dist.is_wheel:
        if package.build_only:
            return PackageCost(None, "build environment only (not in the image)")
        members = _members(futures, dist)
        if members is None:
            return PackageCost(None, "not known: the wheel's file list could not be read")
        installed, capped = _capped(sizes.wheel_installed_bytes(members), dist)
        return PackageCost(installed, "wheel file list" + capped)
    info = _sdist_info(client, item.page, dist)
    if package.status is Status.SDIST_NATIVE:
        seconds = buildtime.native_build_seconds(package.name, package.version, info)
    else:
        seconds = buildtime.pure_build_seconds()
    if package.build_only:
        return PackageCost(None, "build environment only (not in the image)", seconds)
    members = _members(futures, wheel) if wheel is not None else None
    if wheel is not None and members is not None:
        # the wheel's bundled libraries (<name>.libs/) come from system packages instead
        py, _vendored, other = sizes.split_members(members)
        built, capped = _capped(sizes.installed_bytes(py, other), wheel)
        return PackageCost(built, f"estimated from {wheel.filename}{capped}", seconds)
    if info is not None:
        return PackageCost(sizes.sdist_installed_bytes(info), "estimated from the sdist", seconds)
    return PackageCost(None, "not known: no wheel and no readable sdist", seconds)


# Deflate cannot shrink data more than about 1,032 to 1, so a wheel of N bytes cannot hold
# more than 1,032 x N bytes: a zip directory claiming more is lying (2,000 members of 1 GiB in
# a small file would size the image at 2 TB and trip --fail-on size>).
MAX_DEFLATE_RATIO = 1032


def _capped(installed: int, wheel: DistFile) -> tuple[int, str]:
    """The installed size, at most what the wheel's archive can hold; a note when capped."""
    limit = (wheel.size or 0) * MAX_DEFLATE_RATIO
    if not limit or installed <= limit:
        return installed, ""
    return limit, (
        f" (capped: its zip directory claims {installed:,} bytes, more than a "
        f"{wheel.size:,}-byte archive can hold)"
    )


def _sdist_info(client: IndexClient, page: ProjectPage, dist: DistFile) -> SdistInfo | None:
    try:
        return describe(client, page, dist).sdist
    except (IndexFetchError, ArchiveError):
        return None


def _image_cost(report: TargetReport) -> ImageCost:
    target = report.target
    in_image = [p for p in report.packages if not p.build_only]
    python_bytes = sum(p.cost.installed_bytes or 0 for p in in_image if p.cost)
    unsized = [p.name for p in in_image if p.cost is None or p.cost.installed_bytes is None]
    builds = [p for p in report.packages if p.cost and p.cost.build_seconds is not None]
    build_time = sum(
        (p.cost.build_seconds for p in builds if p.cost and p.cost.build_seconds), ZERO
    )

    # the packages the Dockerfile installs in each stage
    summary = target_summary(report)
    runtime = summary["runtime"]
    build = [p for p in summary["build"] if p not in runtime]
    notes: list[str] = []
    if any(p.system is not None and p.system.rustup for p in report.packages):
        notes.append(
            "Rust comes from rustup here (the packaged Rust is too old): its toolchain is not "
            "in the single-stage size nor the install time"
        )
    base = sizes.base_image(target.kind or "", target.release or "")
    published = base is not None
    if base is None and target.size_bytes:
        base = {"bytes": target.size_bytes, "source": "the image profile"}
    elif base is None and target.kind in ("ubuntu", "distroless") and target.release:
        packages = (
            target.installed
            if target.installed is not None
            else knowledge.image_packages(target.kind, target.release)
        )
        estimated = sizes.estimated_base_bytes(target.release, packages)
        if estimated is not None:
            base = {"bytes": estimated}
            notes.append(
                "no published size for this base image: estimated from its packages' "
                "Installed-Size in the archive (the image drops documentation: it is smaller)"
            )
    runtime_kib, single_kib, install = _system_sizes(target, runtime, build, notes)

    base_bytes = int(base["bytes"]) if base else None
    if base is None:
        notes.append("no published size for this base image: image sizes unknown")
    elif published and target.python != "3.13":
        notes.append("base image size measured for Python 3.13 (others differ by a few MB)")
    multi = single = None
    if base_bytes is not None:
        multi = base_bytes + python_bytes + runtime_kib * 1024
        single = base_bytes + python_bytes + single_kib * 1024
    manager = "apk" if target.family == "alpine" else "apt"
    final_install = buildtime.install_seconds(manager, runtime_kib / 1024, len(runtime))
    return ImageCost(
        base_bytes=base_bytes,
        base_compressed_bytes=int(base["compressed_bytes"])
        if base and base.get("compressed_bytes")
        else None,
        python_packages_bytes=python_bytes,
        runtime_system_bytes=runtime_kib * 1024,
        build_system_bytes=(single_kib - runtime_kib) * 1024,
        image_bytes_multi_stage=multi,
        image_bytes_single_stage=single,
        build_seconds_single_stage=build_time + install,
        build_seconds_multi_stage=build_time + install + final_install,
        system_install_seconds=install,
        sources_builds=len(builds),
        unsized=sorted(unsized),
        notes=notes,
    )


def _system_sizes(
    target: Target, runtime: list[str], build: list[str], notes: list[str]
) -> tuple[int, int, Seconds]:
    """(KiB the runtime packages add, KiB everything adds, time to install everything)."""
    if target.family is None or target.kind is None or target.release is None:
        if runtime or build:
            notes.append("raw platform: system package sizes unknown")
        return 0, 0, ZERO
    installed = (
        frozenset(target.installed)
        if target.installed is not None
        else knowledge.image_packages(target.kind, target.release)
    )
    if not knowledge.family_known(target.family):
        if runtime or build:
            notes.append(f"system package sizes unknown for {target.family}")
        return 0, 0, ZERO
    if target.family == "alpine":
        debian_base = knowledge.image_packages("slim", "trixie")
        runtime_closure = sizes.apk_closure_estimate(runtime, debian_base)
        full = sizes.apk_closure_estimate(build + runtime, debian_base)
        notes.append(
            f"apk sizes estimated from the Debian trixie counterparts x {sizes.alpine_factor()}"
        )
        manager = "apk"
    else:
        runtime_closure = sizes.apt_closure(target.release, runtime, installed)
        full = sizes.apt_closure(target.release, build + runtime, installed)
        manager = "apt"
    unknown = sorted(set(runtime_closure.unknown + full.unknown))
    if unknown:
        notes.append(f"no size known for {', '.join(unknown)}")
    install = buildtime.install_seconds(manager, full.kib / 1024, len(full.packages))
    return runtime_closure.kib, full.kib, install
