"""A resolved candidate on a target -> a PackageResult with a status and a reason."""

from __future__ import annotations

from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName
from packaging.version import Version

from ..errors import ArchiveError, IndexFetchError
from ..inspect.distinfo import DistInfo
from ..inspect.elf import wheel_binaries
from ..models import DistFile, PackageResult, Status
from ..sysdeps.binaries import check_binaries
from ..sysdeps.infer import vendored_libraries
from ..sysdeps.plan import drop_provided_runtime, plan_package
from .candidates import Candidate, Resolution, yanked_note
from .explain import older_compatible_wheel, wheel_gap
from .finder import best_tag
from .resolver import Provider, why_no_candidate
from .versionfix import add_fixes


def classify_resolution(resolution: Resolution, provider: Provider) -> list[PackageResult]:
    results = []
    for name in sorted(resolution.candidates):
        candidate = resolution.candidates[name]
        result = classify(candidate, provider, resolution.specifiers.get(name, SpecifierSet()))
        hashes = resolution.hashes.get(name)
        if hashes and candidate.dist and not _hash_matches(provider, candidate, hashes):
            # pip picks the file anyway, then stops the whole install on the hash check
            result.status, result.blocker = Status.UNAVAILABLE, True
            result.reason = (
                f"none of the --hash values matches {result.file}, the file pip "
                "takes here: pip stops with a hash mismatch"
            )
        result.required_by = list(resolution.required_by.get(name, []))
        extras = sorted(resolution.extras.get(name, set()))
        if extras:
            result.notes.append(f"with extras: {', '.join(extras)}")
        results.append(result)
    drop_provided_runtime(results)
    return results


def _hash_matches(provider: Provider, candidate: Candidate, hashes: frozenset[str]) -> bool:
    sha256 = provider.dist_for(candidate).sha256
    return bool(sha256) and f"sha256:{sha256}" in hashes


def classify(candidate: Candidate, provider: Provider, specifier: SpecifierSet) -> PackageResult:
    name = candidate.name
    if candidate.direct_url is not None:
        return PackageResult(
            name=name,
            version=None,
            status=Status.DIRECT,
            url=candidate.direct_url,
            reason=f"direct reference to {candidate.direct_url}: pip installs it from there; "
            "not inspected, its dependencies are not known",
        )
    if candidate.dist is None:  # a version without a file for this image, or a stand-in
        return PackageResult(
            name=name,
            version=None,
            status=Status.UNAVAILABLE,
            blocker=True,
            reason=why_no_candidate(provider, name, specifier),
        )
    dist = provider.dist_for(candidate)
    info = provider.describe(candidate)
    result = PackageResult(
        name=name,
        version=str(candidate.version),
        status=Status.WHEEL,
        file=dist.filename,
        metadata_source=info.source,
    )
    if dist.yanked:
        # pip takes a yanked file only for an exact pin, and warns with the reason
        result.yanked = dist.yanked_reason or ""
        result.notes.append(yanked_note(dist.filename, result.yanked))
    if info.error:
        result.notes.append(info.error)
    result.notes += dict.fromkeys(provider.marker_problems.get(name, []))
    if info.error or provider.marker_problems.get(name):
        result.incomplete = info.error or provider.marker_problems[name][0]
    if info.source is None:
        result.notes.append(
            "dependencies unknown: no static metadata and no wheel to read "
            "them from (pip would learn them by building)"
        )
    elif info.assumed:
        result.notes.append(f"dependencies taken from {info.source}")
    if dist.is_wheel:
        result.tag = best_tag(dist, provider.ctx)
    else:
        _classify_sdist(result, info, provider, name, specifier)
    result.system = plan_package(
        result, provider.ctx.target, info.sdist, lambda: _vendored(provider, name, dist.version)
    )
    if dist.is_wheel:
        _check_binaries(result, provider, dist)
    if result.system is not None and result.system.version_problems:
        problems = result.system.version_problems
        add_fixes(provider, name, dist.version, problems)
        result.blocker = True
        result.reason += "; the build fails: " + "; ".join(
            f"{p.package} {p.have} here, the sdist needs {p.need} ({p.evidence})" for p in problems
        )
    return result


def _check_binaries(result: PackageResult, provider: Provider, dist: DistFile) -> None:
    """Read the compiled files of wheels nobody repaired: linux_* ones (pip installs them on
    any image of their arch) and binary wheels found through --find-links (often built
    in-house). Index wheels with manylinux/musllinux tags are taken at their word."""
    platform = (result.tag or "").rsplit("-", 1)[-1]
    if platform == "any":
        return
    if not platform.startswith("linux_") and not provider.client.from_find_links(dist):
        return
    try:
        binaries = wheel_binaries(provider.client, dist)
    except (IndexFetchError, ArchiveError) as exc:
        result.notes.append(f"its compiled files could not be read: {exc}")
        return
    check_binaries(result, binaries, provider.ctx.target)


def _vendored(provider: Provider, name: NormalizedName, version: Version) -> list[str]:
    """Libraries the project's manylinux wheel of this version vendors (x86_64 first)."""
    wheels = [
        f for f in provider.page(name).files_of(version) if f.is_wheel and "manylinux" in f.filename
    ]
    wheels.sort(key=lambda f: ("x86_64" not in f.filename, f.filename))
    for dist in wheels[:1]:
        try:
            members = provider.client.get_wheel_members(dist)
        except IndexFetchError:
            return []
        return vendored_libraries(name for name, _ in members)
    return []


def _classify_sdist(
    result: PackageResult,
    info: DistInfo,
    provider: Provider,
    name: NormalizedName,
    specifier: SpecifierSet,
) -> None:
    target = provider.ctx.target
    page = provider.page(name)
    version = info.dist.version
    if not provider.options.format_control.allows_wheels(name):
        gap = "--no-binary forbids wheels for it"
    else:
        gap = wheel_gap(page, version, provider.ctx)
    if info.sdist is None:
        result.status = Status.SDIST_NATIVE
        result.reason = (
            f"builds from source: {gap}; the sdist could not be inspected, so it "
            "is assumed to compile"
        )
    else:
        needs_compiler, languages, optional = info.sdist.native()
        result.languages = languages
        result.optional_extension = optional
        if not needs_compiler:
            result.status = Status.SDIST_PURE
            result.reason = (
                f"builds from source without a compiler ({info.sdist.build_backend}): {gap}"
            )
        else:
            result.status = Status.SDIST_NATIVE
            compiler = (
                "the image has a C compiler"
                if target.has_compiler
                else "this image has no compiler: the build fails until one is installed"
            )
            switches = [] if optional else info.sdist.pure_python_switches()
            if optional:
                compiler = (
                    "without a compiler it installs pure Python, without its compiled speedups"
                    if not target.has_compiler
                    else "the image has a C compiler"
                )
            elif switches and not target.has_compiler:
                compiler = (
                    "this image has no compiler: the build fails until one is installed, or "
                    f"unless {switches[0]}=1 is set for it (then it installs pure Python, "
                    "without its compiled speedups)"
                )
            result.reason = f"compiles {', '.join(languages)}: {gap}; {compiler}"
    older = older_compatible_wheel(page, version, specifier, provider.ctx, provider.options)
    if older is not None:
        result.older_wheel = f"{older.version} ({older.filename})"
        result.reason += f"; {older.version} is allowed and has a wheel here"
