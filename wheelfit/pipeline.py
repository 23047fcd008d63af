"""One target through the pipeline: resolve -> classify -> build requirements -> costs.

Split from analyze.py so that a run answered from stored results imports none of these
stages (the resolver, the archive readers, the HTTP client): start-up is most of such a run.
"""

from __future__ import annotations

import ast
import ctypes
import os
import threading
from collections.abc import Callable, Iterable
from functools import cache

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from .costs.estimate import estimate_costs, start_reading_sizes
from .index.client import IndexClient
from .inputs.parsed import LockScope
from .inputs.requirements import IndexOptions, InputRequirement, ParsedInputs
from .inspect.pysource import parse_python, remembered_by_source
from .models import PackageResult, Settings, Status, Target, TargetReport
from .resolve.candidates import (
    Candidate,
    Req,
    Resolution,
    evaluate_marker,
    top_level_requirements,
)
from .resolve.classify import classify_resolution
from .resolve.finder import TargetContext
from .resolve.resolver import Provider, start_quietly
from .resolve.shared import SharedResolutions
from .targets.tags import marker_environment, supported_tags

MAX_BUILD_DEPTH = 3


def analyze_target(
    client: IndexClient,
    target: Target,
    inputs: ParsedInputs,
    options: IndexOptions,
    settings: Settings,
    shared: SharedResolutions | None = None,
) -> TargetReport:
    """``shared``: the run's resolutions, so that images resolving alike resolve once."""
    shared = shared or SharedResolutions(client, options)
    ctx = TargetContext.for_target(target, supported_tags(target))
    env = marker_environment(target)
    requirements, skipped = top_level_requirements(inputs.installs, env)
    constraints = _constraints(inputs.constraints, env)
    resolution, provider = shared.resolve(ctx, env, requirements, constraints)
    ahead = _start_ahead(client, ctx, env, options, settings, resolution, shared)
    packages = classify_resolution(resolution, provider)
    give_back_freed_memory()  # what the resolutions freed, before the last stages' data
    packages += _unnamed_direct(inputs.installs)
    report = TargetReport(
        target=target,
        packages=packages,
        complete=resolution.complete,
        problems=list(resolution.problems),
        fetch_errors={str(k): v for k, v in resolution.fetch_errors.items()},
    )
    for item in skipped:
        report.skipped.append(
            {
                "name": item.name or item.text,
                "origin": item.origin,
                "reason": f"marker excludes this target: {item.requirement.marker}"
                if item.requirement
                else "excluded",
            }
        )
    if settings.build_requirements:
        report.packages += _build_requirements(client, ctx, env, options, packages, shared)
    _report_blockers(report, packages)
    outside = _outside_lock_scopes(inputs.scopes, target, env)
    if outside:
        report.complete = False
        report.problems += outside
    if settings.costs:
        estimate_costs(client, report, settings.build_speed_factor, settings.exclude_newer)
    ahead.join()
    give_back_freed_memory()
    return report


def give_back_freed_memory() -> bool:
    """Hand the free pages of glibc's malloc arenas back to the system; whether it could.

    glibc keeps what a thread frees in that thread's arena, as holes the process goes on
    holding. The fetch and parse threads free most of what they make (page bodies, decoded
    chunks, parse structures) before the last stages make the run's last data (the Debian file
    indexes, sdist inspections, wheel file lists), where its memory peaks, and the holes are
    counted in that peak: the 714-pin file, three images, cold, through the library, 271 ->
    260 MB. malloc_trim changes nothing in how the allocator works for the rest of the
    process (the library leaves the host's settings alone; cli/process.py's one arena is the
    command's).
    """
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's malloc_trim, or None elsewhere (musl, macOS, Windows)."""
    try:
        if not os.confstr("CS_GNU_LIBC_VERSION"):
            return None
        trim: Callable[[int], int] = ctypes.CDLL(None).malloc_trim
    except (AttributeError, OSError, ValueError):  # no confstr, no such name, no symbol
        return None
    return trim


def _start_ahead(
    client: IndexClient,
    ctx: TargetContext,
    env: dict[str, str],
    options: IndexOptions,
    settings: Settings,
    resolution: Resolution,
    shared: SharedResolutions,
) -> threading.Thread:
    """Start, beside classification, what the later stages will ask the index for.

    Classification is CPU work; the build environments and the costs mostly wait on
    requests (a build environment's pages and metadata, each wheel's file list). Started
    here, those requests overlap classification. The build environments of the chosen
    sdists are resolved into ``shared``, under the keys _build_requirements asks for, so it
    finds them done; nothing here writes to the report.
    """
    chosen = [
        (candidate, candidate.dist)
        for _, candidate in sorted(resolution.candidates.items())
        if candidate.direct_url is None and candidate.dist is not None
    ]

    def work() -> None:
        if settings.costs:
            start_reading_sizes(client, ctx.target, [dist for _, dist in chosen])
        if not settings.build_requirements:
            return
        probe = Provider(client, ctx, env, options, {}, lenient=False)
        seen: set[tuple[str, ...]] = set()
        for candidate, dist in chosen:
            if dist.is_wheel:
                continue
            info = probe.describe(candidate)
            if info.sdist is None:
                continue
            reqs, _ = info.sdist.build_requires()
            key = _build_set_key(reqs)
            if key not in seen:
                seen.add(key)
                top = _build_environment(candidate.name, str(candidate.version), reqs, env)
                shared.resolve(ctx, env, top, {})

    return start_quietly(work, "wf-ahead")


def _report_blockers(report: TargetReport, packages: list[PackageResult]) -> None:
    """Every blocker makes the target incomplete and gets a line among its problems.

    resolvelib stops at the first impossibility, so its explanation names one package; the
    lenient pass, hash checks and build checks find the others.
    """
    named = {problem.split(":", 1)[0] for problem in report.problems}
    for package in packages:
        if not package.blocker:
            continue
        report.complete = False
        refused = package.system.version_problems if package.system else []
        if package.status is Status.WHEEL:
            report.problems.append(f"{package.name} {package.version}: {package.reason}")
        elif refused:
            why = "; ".join(f"{v.package} {v.have} here, it needs {v.need}" for v in refused)
            report.problems.append(f"{package.name} {package.version}: the build fails: {why}")
        elif package.status is not Status.UNAVAILABLE:
            report.problems.append(f"{package.name} {package.version}: the build fails")
        elif package.name not in named:
            report.problems.append(
                f"{package.name}: {package.reason}. Required by: {_first(package.required_by)}"
            )


def _outside_lock_scopes(
    scopes: Iterable[LockScope], target: Target, env: dict[str, str]
) -> list[str]:
    """Lock files whose Requires-Python or environments leave this image out: pip (PEP 751)
    and uv refuse to install them there."""
    problems = []
    python = target.python_full_version
    for scope in scopes:
        where = f"{scope.file}:{scope.line}" if scope.line else scope.file
        if scope.requires_python is not None and not SpecifierSet(scope.requires_python).contains(
            python, prereleases=True
        ):
            problems.append(
                f"{where}: the lock needs Python {scope.requires_python} and the image has "
                f"{python}: installing from it fails"
            )
        if scope.markers and not any(Marker(m).evaluate(env) for m in scope.markers):
            problems.append(
                f"{where}: none of the lock's {scope.what} ({'; '.join(scope.markers)}) "
                "holds in this image: installing from it fails"
            )
    return problems


def _first(items: list[str], count: int = 5) -> str:
    more = len(items) - count
    return ", ".join(items[:count]) + (f" and {more} more" if more > 0 else "")


def _constraints(
    items: Iterable[InputRequirement], env: dict[str, str]
) -> dict[NormalizedName, SpecifierSet]:
    result: dict[NormalizedName, SpecifierSet] = {}
    for item in items:
        req = item.requirement
        if req is None or not evaluate_marker(req.marker, env, ()):
            continue
        name = canonicalize_name(req.name)
        result[name] = result.get(name, SpecifierSet()) & req.specifier
    return result


def _unnamed_direct(items: Iterable[InputRequirement]) -> list[PackageResult]:
    return [
        PackageResult(
            name=NormalizedName(item.direct_url or item.text),
            version=None,
            status=Status.DIRECT,
            url=item.direct_url,
            required_by=[item.origin],
            reason=f"{'editable ' if item.editable else ''}direct reference to {item.direct_url}: "
            "pip builds it from there; not inspected, its dependencies are not known",
        )
        for item in items
        if item.requirement is None
    ]


def _build_requirements(
    client: IndexClient,
    ctx: TargetContext,
    env: dict[str, str],
    options: IndexOptions,
    packages: list[PackageResult],
    shared: SharedResolutions,
) -> list[PackageResult]:
    """Resolve and classify what pip's isolated build environments would install.

    Each sdist gets its own build environment in pip; sdists that ask for the same build
    requirements share one resolution here. Constraints files do not reach those
    environments in pip, so they are not applied.
    """
    merged: dict[tuple[str, str | None, bool], PackageResult] = {}
    seen_sets: dict[tuple[str, ...], list[PackageResult]] = {}
    queue = [(p, 0) for p in packages if p.status in (Status.SDIST_PURE, Status.SDIST_NATIVE)]
    while queue:
        package, depth = queue.pop(0)
        if depth >= MAX_BUILD_DEPTH or package.version is None:
            continue
        probe = Provider(client, ctx, env, options, {}, lenient=False)
        page = probe.page(package.name)
        dist = page.file_named(package.file or "", Version(package.version))
        if dist is None:
            continue
        info = probe.describe(Candidate(package.name, frozenset(), dist.version, dist))
        if info.sdist is None:
            continue
        reqs, bad = info.sdist.build_requires()
        key = _build_set_key(reqs)
        if key not in seen_sets:
            top = _build_environment(package.name, package.version, reqs, env)
            resolution, provider = shared.resolve(ctx, env, top, {})
            results = classify_resolution(resolution, provider)
            for result in results:
                result.build_only = True
                result.required_by = [f"build of {package.name} {package.version}"]
            seen_sets[key] = results
            queue += [
                (r, depth + 1)
                for r in results
                if r.status in (Status.SDIST_PURE, Status.SDIST_NATIVE)
            ]
        for result in seen_sets[key]:
            slot = (result.name, result.version, True)
            parent = f"build of {package.name} {package.version}"
            if slot not in merged:
                merged[slot] = PackageResult(**{**result.__dict__, "required_by": []})
            if parent not in merged[slot].required_by:
                merged[slot].required_by.append(parent)
        if bad:
            package.notes.append(f"unreadable build requirements: {', '.join(bad)}")
        _check_pkg_resources(package, info.sdist.texts.get("setup.py", ""), seen_sets[key])
    return sorted(merged.values(), key=lambda r: r.name)


def _build_set_key(reqs: Iterable[Requirement]) -> tuple[str, ...]:
    """Sdists asking for the same build requirements share one build environment."""
    return tuple(sorted(str(r) for r in reqs))


def _build_environment(
    name: str, version: str, reqs: Iterable[Requirement], env: dict[str, str]
) -> list[Req]:
    """The top-level requirements of an sdist's isolated build environment."""
    return [
        Req(
            canonicalize_name(r.name),
            frozenset(r.extras),
            r.specifier,
            f"{name} {version} (build)",
            str(r),
        )
        for r in reqs
        if evaluate_marker(r.marker, env, ())
    ]


# setuptools 82.0.0 is the first release whose wheel has no pkg_resources package (checked in
# the wheels' zip directories of 80.9.0, 81.0.0 and 82.0.0); old setup.py files import it.
_SETUPTOOLS_WITHOUT_PKG_RESOURCES = Version("82")


@remembered_by_source  # once per setup.py, not once per image
def imports_pkg_resources(setup_py: str) -> bool:
    """Whether setup.py imports pkg_resources unconditionally (at module level, not in a try).

    Read with ast, never run. An import guarded by try/except or inside a function may not
    fail, so only top-level statements count.
    """
    tree = parse_python(setup_py)
    if tree is None:
        return False
    for node in tree.body:
        if isinstance(node, ast.Import) and any(a.name == "pkg_resources" for a in node.names):
            return True
        if isinstance(node, ast.ImportFrom) and node.module == "pkg_resources":
            return True
    return False


def _check_pkg_resources(
    package: PackageResult, setup_py: str, build_env: list[PackageResult]
) -> None:
    """A setup.py importing pkg_resources fails in a build environment with new setuptools."""
    setuptools = next((r for r in build_env if r.name == "setuptools" and r.version), None)
    if setuptools is None or not imports_pkg_resources(setup_py):
        return
    if Version(str(setuptools.version)) < _SETUPTOOLS_WITHOUT_PKG_RESOURCES:
        return
    package.blocker = True
    package.reason += (
        f"; its setup.py imports pkg_resources, which setuptools {setuptools.version} (what "
        "pip's build environment gets) no longer ships: the build fails unless setuptools<82 "
        "is forced (PIP_CONSTRAINT) for the build"
    )
