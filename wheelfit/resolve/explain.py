"""Sentences a person can act on: which wheels exist, which tag the image needs, what to pin."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable

from packaging.specifiers import SpecifierSet
from packaging.version import Version

from ..index.page import ProjectPage
from ..inputs.requirements import FormatControl, IndexOptions
from ..models import DistFile, Libc
from .finder import Rejections, TargetContext, compatible_files, files_by_version

_MANYLINUX_LEGACY = {
    "manylinux1": "manylinux_2_5",
    "manylinux2010": "manylinux_2_12",
    "manylinux2014": "manylinux_2_17",
}
_ARCH_RE = re.compile(
    r"_(x86_64|aarch64|i686|armv7l|ppc64le|ppc64|s390x|riscv64|universal2|"
    r"arm64|amd64|win32|intel)$"
)


def needed_tag(ctx: TargetContext) -> str:
    """The best tag this target accepts, e.g. cp312-cp312-musllinux_1_2_x86_64."""
    best = min(ctx.tag_rank.items(), key=lambda item: item[1])[0]
    return str(best)


def _platform_family(platform: str) -> tuple[str, str]:
    """('manylinux_2_17', 'x86_64') for manylinux2014_x86_64; ('macosx', '') for macOS."""
    if platform == "any":
        return ("any", "")
    if platform.startswith(("macosx", "win", "ios", "android")):
        family = "win" if platform.startswith("win") else platform.split("_")[0]
        return (family, "")
    match = _ARCH_RE.search(platform)
    arch = match[1] if match else ""
    base = platform[: match.start()] if match else platform
    return (_MANYLINUX_LEGACY.get(base, base), arch)


def summarize_wheels(files: Iterable[DistFile]) -> str:
    """e.g. 'manylinux_2_17 (x86_64, aarch64), musllinux_1_2 (x86_64), macosx, win'."""
    arches: dict[str, set[str]] = defaultdict(set)
    pythons: set[str] = set()
    for dist in files:
        if not dist.is_wheel:
            continue
        for tag in dist.tags:
            family, arch = _platform_family(tag.platform)
            if arch:
                arches[family].add(arch)
            else:
                arches.setdefault(family, set())
            pythons.add(tag.abi if tag.abi in ("abi3", "none") else tag.interpreter)
    if not arches:
        return ""
    order = sorted(
        arches, key=lambda f: (not f.startswith("manylinux"), not f.startswith("musllinux"), f)
    )
    parts = [f"{f} ({', '.join(sorted(arches[f]))})" if arches[f] else f for f in order]
    py = _python_range(pythons)
    return ", ".join(parts) + (f" for {py}" if py else "")


def _python_range(pythons: set[str]) -> str:
    cps = sorted((p for p in pythons if re.fullmatch(r"cp3\d+", p)), key=lambda p: int(p[3:]))
    other = sorted(p for p in pythons if not re.fullmatch(r"cp3\d+", p))
    text = []
    if cps:
        text.append(cps[0] if len(cps) == 1 else f"{cps[0]}-{cps[-1]}")
    text += other
    return ", ".join(text)


def wheel_gap(page: ProjectPage, version: Version, ctx: TargetContext) -> str:
    """Why this version has no wheel for the target, naming the closest wheels it does have."""
    target = ctx.target
    wheels = [f for f in page.files_of(version) if f.is_wheel]
    need = needed_tag(ctx)
    if not wheels:
        return f"{version} ships no wheels, only an sdist"
    family = "musllinux" if target.libc is Libc.MUSL else "manylinux"
    same_arch, same_family = [], []
    for dist in wheels:
        platforms = [_platform_family(t.platform) for t in dist.tags]
        if any(fam.startswith(family) for fam, _ in platforms):
            same_family.append(dist)
            if any(fam.startswith(family) and arch == target.machine for fam, arch in platforms):
                same_arch.append(dist)
    if same_arch:
        python_ok = [d for d in same_arch if _python_fits(d, ctx)]
        if python_ok:
            newest_libc = min(_libc_floor(d, target.machine) for d in python_ok)
            return (
                f"{version}'s {family} wheels need {target.libc} {newest_libc}, "
                f"the image has {target.libc_version_str}"
            )
        return (
            f"{version} has {family} {target.machine} wheels only for "
            f"{summarize_pythons(same_arch)}, none for cp{''.join(map(str, target.python_version))}"
        )
    if same_family:
        return (
            f"{version} has {family} wheels only for {summarize_wheels(same_family)}, "
            f"not {target.machine}"
        )
    return f"{version} has wheels for {summarize_wheels(wheels)}, none for {family} (needs {need})"


def summarize_pythons(files: Iterable[DistFile]) -> str:
    pythons = {t.abi if t.abi in ("abi3", "none") else t.interpreter for f in files for t in f.tags}
    return _python_range(pythons)


def _python_fits(dist: DistFile, ctx: TargetContext) -> bool:
    """Whether some tag of the wheel matches the target's Python and ABI (platform aside)."""
    wanted = ctx.python_abis
    return any((t.interpreter, t.abi) in wanted for t in dist.tags)


def _libc_floor(dist: DistFile, machine: str) -> str:
    """The lowest libc version among the wheel's platform tags for ``machine``."""
    versions = []
    for tag in dist.tags:
        family, arch = _platform_family(tag.platform)
        match = re.match(r"(?:many|musl)linux_(\d+)_(\d+)", family)
        if match and arch == machine:
            versions.append((int(match[1]), int(match[2])))
    low = min(versions) if versions else (0, 0)
    return f"{low[0]}.{low[1]}"


def older_compatible_wheel(
    page: ProjectPage,
    version: Version,
    specifier: SpecifierSet,
    ctx: TargetContext,
    options: IndexOptions,
) -> DistFile | None:
    """The newest version older than ``version``, allowed by ``specifier``, with a wheel here."""
    older = [v for v in page.versions_admitted(specifier) if v < version]
    usable = [
        f
        for f in compatible_files(
            [f for v in older for f in page.files_of(v)], ctx, options.format_control
        )
        if f.is_wheel and not f.yanked
    ]
    allowed = set(
        specifier.filter({f.version for f in usable}, prereleases=True if options.pre else None)
    )
    best: DistFile | None = None
    for dist in usable:
        if dist.version in allowed and (best is None or dist.version > best.version):
            best = dist
    return best


def explain_unavailable(
    page: ProjectPage,
    ctx: TargetContext,
    specifier: SpecifierSet,
    rejections: Rejections,
    options: IndexOptions,
) -> str:
    """Why no file of the project is installable on the target under ``specifier``."""
    if not page.files:
        return "not found on the index"
    spec_text = str(specifier) or "any version"
    versions = files_by_version(page.files)
    matching = sorted(
        (v for v in versions if specifier.contains(v, prereleases=True)), reverse=True
    )
    if not matching:
        newest = max(versions)
        return f"no release matches {spec_text} (newest is {newest})"
    newest = matching[0]
    files = versions[newest]
    python = ctx.target.python_full_version
    if rejections.hash_mismatch:
        return "no file matches the pinned --hash values for this target (pip fails the hash check)"
    # files the image could take if nothing else stood in the way: its wheels and the sdist
    fitting = [f for f in files if not f.is_wheel or ctx.wheel_rank(f) is not None]
    if not fitting:
        return wheel_gap(page, newest, ctx) + " and no sdist to build from"
    if not any(ctx.python_allowed(f.requires_python) for f in fitting):
        req = next(f.requires_python for f in fitting if f.requires_python)
        return f"{newest} requires Python {req}; the image has {python}"
    fits_tags = compatible_files(fitting, ctx, FormatControl())  # formats aside
    if any(f in rejections.format_excluded for f in files):
        if all(f.is_wheel for f in fits_tags):
            return f"{newest} has only wheels and --no-binary forbids them"
        return f"{newest} has no wheel for this image and --only-binary forbids building the sdist"
    if all(f.yanked for f in files):
        return f"{newest} is yanked (pip takes yanked files only for an == pin)"
    return f"no file of {spec_text} is installable here"
