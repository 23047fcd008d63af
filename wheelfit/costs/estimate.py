"""Per package and per image: installed size, build time and final image size.

Sizes: base image (published) + what pip installs (wheel directories, or an estimate for a
source build) + the system packages apt/apk adds (dependency closure minus what the image
has). Multi-stage keeps only the runtime packages; single-stage also keeps the compilers and
-dev packages. Build time: every source build (measured or modelled) plus the package
manager's installs. Build requirements live in pip's throwaway build environments: they cost
time, never image size.
"""

from __future__ import annotations

from concurrent.futures import Future
from datetime import datetime

from packaging.utils import NormalizedName

from ..distinfo import describe
from ..errors import ArchiveError, IndexFetchError
from ..index.client import IndexClient
from ..models import (
    DistFile,
    ImageCost,
    PackageCost,
    PackageResult,
    ProjectPage,
    Seconds,
    Status,
    Target,
    TargetReport,
)
from ..sdist import SdistInfo
from ..sysdeps import knowledge
from . import buildtime, sizes
from .buildtime import ZERO

MEMBERS_LIMIT = 64  # wheels whose directories are read at once


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
    pages = {p.name: _page_files(client, p.name) for p in report.packages if p.version}
    chosen = {p.name: _chosen(pages.get(p.name, ()), p) for p in report.packages}
    futures = _prefetch_members(client, report.target, report.packages, chosen, pages)
    for package in report.packages:
        package.cost = _package_cost(client, report.target, package, chosen, pages, futures)
        if package.cost.build_seconds is not None:
            package.cost.build_seconds = package.cost.build_seconds.scaled(speed_factor)
    report.cost = _image_cost(report)
    dated = sizes.base_image(report.target.kind or "", report.target.release or "")
    if as_of is not None and dated is not None:
        report.cost.notes.append(
            f"packages as of {as_of.date().isoformat()}; base image sizes and system packages "
            "are from the current profiles (2026-07..09): the data has no older ones"
        )


def _page_files(client: IndexClient, name: NormalizedName) -> tuple[DistFile, ...]:
    try:
        return client.get_project(name).files
    except IndexFetchError:
        return ()


def _chosen(files: tuple[DistFile, ...], package: PackageResult) -> DistFile | None:
    return next((f for f in files if f.filename == package.file), None)


def _sibling_wheel(files: tuple[DistFile, ...], dist: DistFile, target: Target) -> DistFile | None:
    """A wheel of the same version for another platform: the nearest stand-in for a build."""
    # Linux wheels only: Windows and macOS builds differ in size and bundle other libraries
    wheels = [
        f for f in files if f.is_wheel and f.version == dist.version and "linux" in f.filename
    ]
    python = f"cp{target.python_version[0]}{target.python_version[1]}"

    def rank(f: DistFile) -> tuple[bool, bool, bool, str]:
        name = f.filename
        return (python not in name, target.machine not in name, "manylinux" not in name, name)

    return min(wheels, key=rank, default=None)


def _prefetch_members(
    client: IndexClient,
    target: Target,
    packages: list[PackageResult],
    chosen: dict[NormalizedName, DistFile | None],
    pages: dict[NormalizedName, tuple[DistFile, ...]],
) -> dict[str, Future[list[tuple[str, int]]]]:
    """Start reading every needed wheel directory at once (they are independent requests)."""
    futures: dict[str, Future[list[tuple[str, int]]]] = {}
    for package in packages:
        dist = chosen.get(package.name)
        if dist is None or package.build_only:
            continue
        wheel = dist if dist.is_wheel else _sibling_wheel(pages[package.name], dist, target)
        if wheel is not None and wheel.url not in futures:
            futures[wheel.url] = client.wheel_members_future(wheel)
    return futures


def _members(
    futures: dict[str, Future[list[tuple[str, int]]]], dist: DistFile
) -> list[tuple[str, int]] | None:
    future = futures.get(dist.url)
    if future is None:
        return None
    try:
        return future.result()
    except IndexFetchError:
        return None


def _package_cost(
    client: IndexClient,
    target: Target,
    package: PackageResult,
    chosen: dict[NormalizedName, DistFile | None],
    pages: dict[NormalizedName, tuple[DistFile, ...]],
    futures: dict[str, Future[list[tuple[str, int]]]],
) -> PackageCost:
    dist = chosen.get(package.name)
    if dist is None or package.status in (Status.UNAVAILABLE, Status.DIRECT):
        return PackageCost(None, "not known: no file to measure")
    python = target.python_version
    if dist.is_wheel:
        members = _members(futures, dist) if not package.build_only else None
        if package.build_only:
            return PackageCost(None, "build environment only (not in the image)")
        if members is None:
            return PackageCost(None, "not known: the wheel's file list could not be read")
        return PackageCost(sizes.wheel_installed_bytes(members, python), "wheel file list")
    info = _sdist_info(client, pages[package.name], dist)
    if package.status is Status.SDIST_NATIVE:
        seconds = buildtime.native_build_seconds(package.name, package.version, info)
    else:
        seconds = buildtime.pure_build_seconds()
    if package.build_only:
        return PackageCost(None, "build environment only (not in the image)", seconds)
    sibling = _sibling_wheel(pages[package.name], dist, target)
    members = _members(futures, sibling) if sibling is not None else None
    if sibling is not None and members is not None:
        # the wheel's bundled libraries (<name>.libs/) come from system packages instead
        py, _vendored, other = sizes.split_members(members)
        built = sizes.wheel_installed_bytes([("x.py", py), ("x", other)], python)
        return PackageCost(built, f"estimated from {sibling.filename}", seconds)
    if info is not None:
        return PackageCost(sizes.sdist_installed_bytes(info), "estimated from the sdist", seconds)
    return PackageCost(None, "not known: no wheel and no readable sdist", seconds)


def _sdist_info(
    client: IndexClient, files: tuple[DistFile, ...], dist: DistFile
) -> SdistInfo | None:
    try:
        return describe(client, ProjectPage(dist.project, files), dist).sdist
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

    runtime, build = [], []
    for package in report.packages:
        needs = package.system
        if needs is None:
            continue
        runtime += needs.runtime_packages
        if not package.build_only or package.status is Status.SDIST_NATIVE:
            build += needs.build_packages
    runtime = list(dict.fromkeys(runtime))
    build = [p for p in dict.fromkeys(build) if p not in runtime]
    notes: list[str] = []
    if any(p.system is not None and p.system.rustup for p in report.packages):
        notes.append(
            "Rust comes from rustup here (the packaged Rust is too old): its toolchain is not "
            "in the single-stage size nor the install time"
        )
    base = sizes.base_image(target.kind or "", target.release or "")
    runtime_kib, single_kib, install = _system_sizes(target, runtime, build, notes)

    base_bytes = int(base["bytes"]) if base else None
    if base is None:
        notes.append("no published size for this base image: image sizes unknown")
    elif target.python != "3.13":
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
    installed = knowledge.image_packages(target.kind, target.release)
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
