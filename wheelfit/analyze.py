"""Orchestration: inputs -> targets -> resolve -> classify -> Report. Prints nothing."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from packaging.markers import Marker
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from . import kb
from .costs.estimate import estimate_costs
from .errors import redact_url
from .index.cache import Cache, default_cache_dir
from .index.client import DEFAULT_INDEX, FetchObserver, IndexClient
from .index.findlinks import local_path
from .inputs.parsed import LockScope
from .inputs.project import declared_python
from .inputs.requirements import IndexOptions, InputRequirement, ParsedInputs, read_requirements
from .inspect.pysource import parse_python
from .models import PackageResult, Report, Status, Target, TargetReport
from .report import stored
from .report.recommend import recommend
from .resolve.candidates import Candidate, Req, evaluate_marker, top_level_requirements
from .resolve.classify import classify_resolution
from .resolve.finder import TargetContext
from .resolve.resolver import Provider, resolve
from .targets.images import target_from_image
from .targets.tags import marker_environment, supported_tags

DEFAULT_IMAGES = ("python", "slim", "alpine")
MAX_BUILD_DEPTH = 3


@dataclass
class Settings:
    """Options that pip would take on its command line.

    As in pip, the requirements files' own options come after these: a file's --index-url
    replaces ``index_url`` and the extra indexes, its --only-binary/--no-binary apply after
    these. ``format_steps`` are ("only-binary" | "no-binary", value) pairs in the order given
    (pip applies them in order, and ``:all:`` clears earlier ones); ``only_binary`` and
    ``no_binary`` are applied before them, in that order.
    """

    index_url: str | None = None
    extra_index_urls: list[str] = field(default_factory=list)
    no_index: bool = False
    find_links: list[str] = field(default_factory=list)
    pre: bool = False
    prefer_binary: bool = False
    only_binary: list[str] = field(default_factory=list)
    no_binary: list[str] = field(default_factory=list)
    format_steps: list[tuple[str, str]] = field(default_factory=list)
    exclude_newer: datetime | None = None
    cache_dir: Path | None = None
    no_cache: bool = False
    offline: bool = False
    build_requirements: bool = True
    costs: bool = True  # sizes and build times (reads wheel directories: more requests)
    build_speed_factor: float = 1.0  # build times x this (1.0 = the reference machine)
    # what pyproject.toml and lock files include besides their main dependencies
    extras: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    all_extras: bool = False


def default_targets(
    paths: Sequence[str], python: str | None = None, arch: str | None = None
) -> tuple[list[Target], str | None]:
    """The three default images for the declared (or default) Python; and where it came from."""
    source = None
    if python is None:
        variants = kb.image_profiles()["variants"]
        stable = [
            v
            for v in variants[0]["python_versions"]
            if v not in variants[0].get("prerelease_pythons", [])
        ]
        found = declared_python(list(paths), stable)
        if found:
            python, source = found
    return [target_from_image(name, python, arch) for name in DEFAULT_IMAGES], source


def analyze(
    requirement_files: Sequence[str],
    targets: Sequence[Target] | None = None,
    settings: Settings | None = None,
    *,
    client: IndexClient | None = None,
    observer: FetchObserver | None = None,
) -> Report:
    """Resolve and classify the requirement files for every target.

    Bad lines become ``Report.input_errors``; an unreachable package becomes an
    ``unavailable`` row with the reason. Only a programming error raises.
    """
    settings = settings or Settings()
    inputs = read_requirements(
        list(requirement_files),
        extras=settings.extras,
        groups=settings.groups,
        all_extras=settings.all_extras,
        options=command_line_options(settings),
    )
    warnings = list(inputs.warnings)
    warnings += _missing_find_links(inputs.options.find_links)
    if targets is None:
        targets, source = default_targets(requirement_files)
        if source:
            warnings.append(f"Python {targets[0].python} taken from {source}")
    options = inputs.options
    own_client = client is None
    if client is None:
        client = make_client(options, settings, observer)
    try:
        # stored results first: when every target has one, no page is fetched or parsed
        # a --find-links folder or page has no validators: its results are not reused
        keys = (
            {}
            if settings.no_cache or options.find_links
            else {t: _reuse_key(t, inputs, options, settings) for t in targets}
        )
        done: dict[Target, TargetReport] = {}
        for target, key in keys.items():
            previous = stored.load(client.cache, key, client.still_absent)
            if previous is not None:
                done[target] = previous
        missing = [t for t in targets if t not in done]
        if missing:
            client.prefetch_projects(r.name for r in inputs.installs if r.name)
            pool = ThreadPoolExecutor(max_workers=len(missing))
            try:
                analysed = pool.map(
                    lambda t: analyze_target(client, t, inputs, options, settings), missing
                )
                for target, report in zip(missing, analysed, strict=True):
                    done[target] = report
                    if target in keys:
                        stored.store(client.cache, keys[target], report, dict(client.pages_read))
            except BaseException:
                # Ctrl-C (or a bug): stop the network work now instead of waiting for it
                client.close()
                pool.shutdown(wait=False, cancel_futures=True)
                raise
            pool.shutdown()
        reports = [done[t] for t in targets]
    finally:
        if own_client:
            client.close()
    return Report(
        inputs=[str(p) for p in requirement_files],
        targets=reports,
        input_errors=inputs.errors,
        warnings=warnings,
        options=_describe_options(options, settings),
        recommendation=recommend(reports) if len(reports) > 1 else None,
    )


def make_client(
    options: IndexOptions, settings: Settings, observer: FetchObserver | None = None
) -> IndexClient:
    urls = [] if options.no_index else [options.index_url or DEFAULT_INDEX]
    urls += options.extra_index_urls
    cache_root = None if settings.no_cache else (settings.cache_dir or default_cache_dir())
    return IndexClient(
        urls,
        cache=Cache(cache_root),
        offline=settings.offline,
        exclude_newer=settings.exclude_newer,
        observer=observer,
        # pip skips a path that is not there (a warning says so)
        find_links=[f for f in options.find_links if not _missing_find_links([f])],
    )


def _missing_find_links(locations: list[str]) -> list[str]:
    """pip ignores a --find-links path that is neither a file nor a folder, with a warning."""
    return [
        f"--find-links {location}: neither a file nor a folder here; ignored, as pip does"
        for location in locations
        if (path := local_path(location)) is not None and not path.exists()
    ]


def command_line_options(settings: Settings) -> IndexOptions:
    """The index and format options as pip holds them before reading any requirements file."""
    options = IndexOptions(
        index_url=settings.index_url,
        pre=settings.pre,
        prefer_binary=settings.prefer_binary,
        find_links=list(settings.find_links),
    )
    options.add_extra_indexes(settings.extra_index_urls)
    if settings.no_index:
        options.drop_indexes()
    steps = [("only-binary", v) for v in settings.only_binary]
    steps += [("no-binary", v) for v in settings.no_binary]
    for kind, value in steps + list(settings.format_steps):
        options.format_control.apply(kind, value)
    return options


def _describe_options(options: IndexOptions, settings: Settings) -> dict[str, object]:
    return {
        "index_url": None if options.no_index else redact_url(options.index_url or DEFAULT_INDEX),
        "extra_index_urls": [redact_url(u) for u in options.extra_index_urls],
        "find_links": [redact_url(u) for u in options.find_links],
        "pre": options.pre,
        "prefer_binary": options.prefer_binary,
        "only_binary": sorted(options.format_control.only_binary),
        "no_binary": sorted(options.format_control.no_binary),
        "exclude_newer": settings.exclude_newer.isoformat() if settings.exclude_newer else None,
        "offline": settings.offline,
        "require_hashes": options.require_hashes,
        "costs": settings.costs,
        "build_time_factor": settings.build_speed_factor,
    }


def _reuse_key(
    target: Target, inputs: ParsedInputs, options: IndexOptions, settings: Settings
) -> str:
    """What a target's stored result depends on besides the pages (report.stored)."""
    return stored.report_key(
        target,
        [
            (
                r.file,
                r.line,
                r.text,
                str(r.requirement),
                r.constraint,
                r.hashes,
                r.direct_url,
                r.editable,
            )
            for r in inputs.requirements
        ]
        + [(s.file, s.line, s.what, s.requires_python, s.markers) for s in inputs.scopes],
        (
            options.index_url,
            options.extra_index_urls,
            options.no_index,
            options.find_links,
            options.pre,
            options.prefer_binary,
            options.require_hashes,
            sorted(options.format_control.only_binary),
            sorted(options.format_control.no_binary),
        ),
        (
            settings.exclude_newer,
            settings.build_requirements,
            settings.costs,
            settings.build_speed_factor,
        ),
    )


def analyze_target(
    client: IndexClient,
    target: Target,
    inputs: ParsedInputs,
    options: IndexOptions,
    settings: Settings,
) -> TargetReport:
    ctx = TargetContext.for_target(target, supported_tags(target))
    env = marker_environment(target)
    requirements, skipped = top_level_requirements(inputs.installs, env)
    constraints = _constraints(inputs.constraints, env)
    resolution, provider = resolve(client, ctx, env, requirements, options, constraints)
    packages = classify_resolution(resolution, provider)
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
        report.packages += _build_requirements(client, ctx, env, options, packages)
    _report_blockers(report, packages)
    outside = _outside_lock_scopes(inputs.scopes, target, env)
    if outside:
        report.complete = False
        report.problems += outside
    if settings.costs:
        estimate_costs(client, report, settings.build_speed_factor, settings.exclude_newer)
    return report


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
        key = tuple(sorted(str(r) for r in reqs))
        if key not in seen_sets:
            top = [
                Req(
                    canonicalize_name(r.name),
                    frozenset(r.extras),
                    r.specifier,
                    f"{package.name} {package.version} (build)",
                    str(r),
                )
                for r in reqs
                if evaluate_marker(r.marker, env, ())
            ]
            resolution, provider = resolve(client, ctx, env, top, options, {})
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


# setuptools 82.0.0 is the first release whose wheel has no pkg_resources package (checked in
# the wheels' zip directories of 80.9.0, 81.0.0 and 82.0.0); old setup.py files import it.
_SETUPTOOLS_WITHOUT_PKG_RESOURCES = Version("82")


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
