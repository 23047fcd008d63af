"""Per image: the toolchain and system packages a package needs, minus what the image has."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..models import PackageResult, Status, SystemNeeds, Target, TargetReport
from . import knowledge, versions
from .infer import bundled_packages, cargo_rust_version, infer_facts, runtime_for, to_alpine
from .knowledge import FamilyPackages, ProjectFacts

if TYPE_CHECKING:  # read by annotations only: the archive reader is not loaded for them
    from ..inspect.sdist import SdistInfo

# Debian and Alpine names of the same tool differ; these are what the official images install.
_PKG_CONFIG = {"bookworm": "pkg-config", "trixie": "pkgconf", "alpine": "pkgconf"}


def plan_package(
    result: PackageResult,
    target: Target,
    sdist: SdistInfo | None = None,
    vendored: Callable[[], list[str]] | None = None,
) -> SystemNeeds | None:
    """What ``target`` must install for ``result``; None when nothing is needed or knowable."""
    family = target.family
    if family is None or target.kind is None or target.release is None:
        return None
    if not knowledge.family_known(family):
        return _unknown_family(result, family) if result.status is Status.SDIST_NATIVE else None
    # A derived release (Ubuntu, bullseye) reads the facts of its Debian base release and
    # checks every name in its own archive at the end (_in_release).
    derived = knowledge.derived_release(family)
    names = derived.base if derived else family
    facts = knowledge.project_facts(result.name)
    present = (
        frozenset(target.installed)
        if target.installed is not None
        else knowledge.image_packages(target.kind, target.release)
    )
    if result.status is not Status.SDIST_NATIVE:
        if facts is None or not facts.runtime_always:
            return None
        runtime = _family_packages(facts, names)[0].runtime
        needs = SystemNeeds(
            runtime_packages=list(runtime),
            source=_described(facts),
            confidence=facts.confidence_for(names),
            notes=["loads a system library at run time, even when installed from a wheel"],
        )
        return _finish(_in_release(needs, derived), present)
    if facts is None and sdist is not None:
        # the wheel's vendored libraries are read (range requests) only for unknown projects
        facts = infer_facts(result.name, sdist, names, vendored() if vendored else ())
    rust_version = (facts.rust_version if facts else None) or (
        cargo_rust_version(sdist.cargo_toml) if sdist else None
    )
    needs = _native_needs(result, family, names, facts, rust_version)
    if sdist is not None:
        needs.build_packages += sdist.build_programs()
        if facts is not None and facts.confidence_for(names) != "high":
            _drop_bundled(needs, sdist, names)
    if sdist is not None:
        needs.version_problems = versions.check(sdist, family)
        if needs.version_problems and needs.confidence == "high":
            # a real build proved the packages, not that this image's versions fit
            needs.confidence = "medium"
        if needs.version_problems and family == "alpine":
            needs.notes.append(
                f"Alpine library versions as of the aports snapshot of {versions.alpine_snapshot()}"
            )
    if "rust" in needs.toolchains and sdist is not None and sdist.has_cargo_toml:
        needs.notes.append(
            "its crates are vendored in the sdist: no download at build time"
            if sdist.cargo_vendored
            else "cargo downloads its crates from crates.io during the build"
        )
    if target.python_source == "distribution":
        # the distribution's Python keeps Python.h out of python3 (the official images' own
        # build in /usr/local has it)
        needs.build_packages.append("python3-dev")
        needs.notes.append("the distribution's Python needs python3-dev for its headers")
    return _finish(_in_release(needs, derived), present)


def _unknown_family(result: PackageResult, family: str) -> SystemNeeds:
    """A family without package data (RPM-based, Wolfi): the toolchain by language only."""
    languages = {t for lang in result.languages if (t := knowledge.language_toolchain(lang))}
    return SystemNeeds(
        toolchains=sorted(languages or {"c"}),
        unknown=True,
        confidence="unknown",
        notes=[
            f"system package names are unknown for {family}: wheelfit has package data for "
            "Debian, Ubuntu and Alpine only; install a compiler and the libraries it links"
        ],
    )


def _in_release(needs: SystemNeeds, derived: knowledge.DerivedRelease | None) -> SystemNeeds:
    """The base release's names as the derived release spells them; names it lacks are
    dropped and said."""
    if derived is None:
        return needs
    needs.build_packages, missing_build = derived.translate(needs.build_packages)
    needs.runtime_packages, missing_runtime = derived.translate(needs.runtime_packages)
    if needs.build_packages or needs.runtime_packages or missing_build or missing_runtime:
        needs.notes.append(
            f"names from Debian {derived.base}'s, each checked in {derived.distro}'s archive"
        )
        needs.confidence = _lower(needs.confidence) if needs.confidence else needs.confidence
    missing = list(dict.fromkeys(missing_build + missing_runtime))
    if missing:
        needs.notes.append(
            f"not packaged in {derived.distro}: {', '.join(missing)} (Debian {derived.base}'s "
            "name); the build may fail without it"
        )
        needs.confidence = "low"
    return needs


def _native_needs(
    result: PackageResult,
    family: str,
    names: str,
    facts: ProjectFacts | None,
    rust_version: str | None,
) -> SystemNeeds:
    """``family`` chooses the toolchain packages, ``names`` the release whose facts are read
    (the same, except for a derived release: its Debian base)."""
    # Curated toolchains were checked by a build (uwsgi's C++ plugins are not built); else the
    # inspected sdist of *this* version knows best (cryptography 2.x has no Rust, current numpy
    # no Fortran); the knowledge base's own only when the sdist was not inspected.
    languages = {t for lang in result.languages if (t := knowledge.language_toolchain(lang))}
    if facts is not None and facts.curated and facts.toolchains:
        languages = set(facts.toolchains)
    toolchains = sorted(languages or set(facts.toolchains if facts else ()) or {"c"})
    needs = SystemNeeds(toolchains=toolchains)
    for name in toolchains:
        chain = knowledge.toolchain(family, name)
        if chain is None:
            needs.notes.append(f"no known {name} toolchain package for {family}")
            continue
        build = list(chain.build)
        if name == "rust":
            needs.notes += _rust_notes(chain.version, rust_version, family)
            if _too_old(chain.version, rust_version):
                # rustup needs curl; the packaged rust and cargo would only be in the way
                needs.rustup = True
                build = [p for p in build if p not in _RUST_PACKAGES] + ["curl"]
        needs.build_packages += build
        needs.runtime_packages += chain.runtime
    if facts is None or not facts.families:
        needs.unknown = True
        needs.notes.append(
            "the system libraries it links, if any, are not known: only the compiler is listed"
        )
        return needs
    packages, exact = _family_packages(facts, names)
    needs.build_packages += [_rename(name, names) for name in packages.build]
    needs.runtime_packages += list(packages.runtime)
    needs.source = _described(facts)
    confidence = facts.confidence_for(names)
    needs.confidence = confidence if exact else _lower(confidence)
    if not exact and (packages.build or packages.runtime):
        needs.notes.append(f"{names} names taken from another Debian release")
    elif not exact:
        needs.notes.append(
            f"the knowledge base has no {names} data for it: only the compiler is listed"
        )
    if names == "alpine" and facts.unmapped:
        needs.notes.append("no Alpine counterpart known for Debian's " + ", ".join(facts.unmapped))
    if facts.optional_extension or result.optional_extension:
        needs.notes.append(
            "optional: without these packages pip installs it as pure Python, "
            "without its compiled speedups"
        )
    needs.notes += list(facts.notes)
    return needs


def _described(facts: ProjectFacts) -> str:
    return facts.source + (f" (as of {facts.date})" if facts.date else "")


def _drop_bundled(needs: SystemNeeds, sdist: SdistInfo, family: str) -> None:
    """Distribution data names -dev packages for libraries the sdist bundles: not needed,
    and neither are the libraries behind them at run time."""
    if not needs.build_packages:  # nothing to drop: the header index need not be loaded
        return
    suite = "bookworm" if family == "alpine" else family
    bundled = bundled_packages(sdist, suite)
    libraries = {lib for dev in bundled for lib in runtime_for(dev, suite)}
    if family == "alpine":
        bundled = set(to_alpine(sorted(bundled), runtime=False)[0])
        libraries = set(to_alpine(sorted(libraries), runtime=True)[0])
    dropped = [p for p in needs.build_packages if p in bundled]
    if dropped:
        needs.build_packages = [p for p in needs.build_packages if p not in bundled]
        needs.runtime_packages = [p for p in needs.runtime_packages if p not in libraries]
        needs.notes.append(f"the sdist bundles what {', '.join(dropped)} would provide: left out")


def _family_packages(facts: ProjectFacts, family: str) -> tuple[FamilyPackages, bool]:
    if family in facts.families:
        return facts.families[family], True
    for other in ("bookworm", "trixie"):
        if family != "alpine" and other in facts.families:
            return facts.families[other], False
    return FamilyPackages(), False


def _rename(name: str, family: str) -> str:
    """pkg-config is pkgconf on trixie and Alpine (the old name is a transitional package)."""
    if name in ("pkg-config", "pkgconf"):
        return _PKG_CONFIG[family]
    return name


def _lower(confidence: str) -> str:
    return {"high": "medium", "medium": "low"}.get(confidence, confidence)


_RUST_PACKAGES = {"rustc", "cargo", "rustc-web", "cargo-web", "rust"}


def _too_old(version: str | None, need_text: str | None) -> bool:
    have = _version_tuple(version or "")
    need = _version_tuple(need_text or "")
    return bool(need and have and need > have)


def _rust_notes(version: str | None, need_text: str | None, family: str) -> list[str]:
    notes = [f"packaged Rust here: {version}"] if version else []
    if _too_old(version, need_text):
        notes.append(
            f"needs Rust >= {need_text}, newer than {family}'s packages: install it with "
            "rustup (https://rustup.rs) instead"
        )
    elif need_text:
        notes.append(f"needs Rust >= {need_text}")
    return notes


def _version_tuple(text: str) -> tuple[int, ...]:
    match = re.match(r"(\d+)\.(\d+)", text)
    return (int(match[1]), int(match[2])) if match else ()


def _finish(needs: SystemNeeds, present: frozenset[str]) -> SystemNeeds:
    build = list(dict.fromkeys(needs.build_packages))
    runtime = list(dict.fromkeys(needs.runtime_packages))
    needs.already_in_image = sorted({p for p in build + runtime if p in present})
    needs.build_packages = [p for p in build if p not in present]
    needs.runtime_packages = [p for p in runtime if p not in present]
    return needs


def drop_provided_runtime(packages: list[PackageResult]) -> None:
    """A wrapper that loads a library at run time needs none when its binary build is there
    (psycopg with psycopg-binary)."""
    installed = {p.name for p in packages if not p.build_only}
    for package in packages:
        facts = knowledge.project_facts(package.name) if package.system else None
        if facts is None or package.status is Status.SDIST_NATIVE:
            continue
        provider = next((n for n in facts.runtime_unless_installed if n in installed), None)
        if provider is not None:
            package.system = None
            package.notes.append(f"no system library needed: {provider} brings its own")


def target_summary(report: TargetReport) -> dict[str, list[str]]:
    """The union over a target's packages: what its Dockerfile installs in each stage."""
    build: dict[str, None] = {}
    runtime: dict[str, None] = {}
    unknown = []
    for package in report.packages:
        needs = package.system
        if needs is None:
            continue
        build.update(dict.fromkeys(needs.build_packages))
        runtime.update(dict.fromkeys(needs.runtime_packages))
        if needs.unknown:
            unknown.append(package.name)
    return {"build": sorted(build), "runtime": sorted(runtime), "unknown": sorted(unknown)}


def packages_to_add(summary: dict[str, list[str]]) -> list[str]:
    """Everything an image must install, build packages first, each once."""
    return summary["build"] + [p for p in summary["runtime"] if p not in summary["build"]]
