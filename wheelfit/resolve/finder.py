"""Which files of a project pip inside a target could install, and in which order it tries them.

This mirrors pip's PackageFinder/CandidateEvaluator: a file is applicable when its tags (or
sdist-ness) fit the target and the format options, its Requires-Python admits the target's
Python, and the combined specifier admits its version (pre-releases per PEP 440 and --pre).
Files are then ranked like pip's sort key: matching hash, not yanked, (with --prefer-binary)
a wheel, newer version, better-ranked tag. The best file of each version is that version's
candidate. Yanked files count only when every applicable file is yanked and the specifier
pins a version (PEP 592, as pip applies it).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.tags import Tag
from packaging.version import Version

from ..inputs.requirements import FormatControl
from ..models import DistFile, Target


@dataclass(frozen=True)
class TargetContext:
    """What the finder needs of a target, computed once per target."""

    target: Target
    tag_rank: dict[Tag, int]  # lower is better
    python_version: Version
    _ranks_by_tags: dict[frozenset[Tag], int | None] = field(
        default_factory=dict, compare=False, repr=False
    )

    @classmethod
    def for_target(cls, target: Target, supported: Sequence[Tag]) -> TargetContext:
        ranks: dict[Tag, int] = {}
        for index, tag in enumerate(supported):
            ranks.setdefault(tag, index)
        return cls(target, ranks, Version(target.python_full_version))

    def wheel_rank(self, dist: DistFile) -> int | None:
        # a page's files share a few dozen tag sets (one object each): rank each set once
        if dist.tags in self._ranks_by_tags:
            return self._ranks_by_tags[dist.tags]
        ranks = [self.tag_rank[tag] for tag in dist.tags if tag in self.tag_rank]
        rank = min(ranks) if ranks else None
        self._ranks_by_tags[dist.tags] = rank
        return rank

    @cached_property
    def python_abis(self) -> frozenset[tuple[str, str]]:
        """(interpreter, ABI) of every tag the target accepts, platform aside."""
        return frozenset((tag.interpreter, tag.abi) for tag in self.tag_rank)

    def python_allowed(self, requires_python: str | None) -> bool:
        if not requires_python:
            return True
        return _python_allowed(requires_python, self.python_version)


@dataclass
class Rejections:
    """Why files were not applicable: the raw material of 'why not' explanations."""

    wrong_tags: list[DistFile] = field(default_factory=list)
    python_excluded: list[DistFile] = field(default_factory=list)
    format_excluded: list[DistFile] = field(default_factory=list)
    specifier_excluded: list[DistFile] = field(default_factory=list)
    yanked: list[DistFile] = field(default_factory=list)
    hash_mismatch: bool = False


@lru_cache(maxsize=4096)
def _python_allowed(requires_python: str, python: Version) -> bool:
    # a project repeats a few Requires-Python strings over thousands of files
    try:
        spec = SpecifierSet(requires_python)
    except InvalidSpecifier:
        return True  # pip ignores a Requires-Python it cannot parse
    return spec.contains(python, prereleases=True)


def is_pinned(specifier: SpecifierSet) -> bool:
    for spec in specifier:
        if spec.operator == "===":
            return True
        if spec.operator == "==" and not spec.version.endswith(".*"):
            return True
    return False


def compatible_files(
    files: Iterable[DistFile],
    ctx: TargetContext,
    formats: FormatControl,
    rejections: Rejections | None = None,
) -> list[DistFile]:
    """Files that fit the target's tags, Python and format options (specifiers not applied)."""
    result = []
    for dist in files:
        name = dist.project
        if dist.is_wheel:
            if not formats.allows_wheels(name):
                _note(rejections, "format_excluded", dist)
                continue
            if ctx.wheel_rank(dist) is None:
                _note(rejections, "wrong_tags", dist)
                continue
        elif not formats.allows_sdists(name):
            _note(rejections, "format_excluded", dist)
            continue
        if not ctx.python_allowed(dist.requires_python):
            _note(rejections, "python_excluded", dist)
            continue
        result.append(dist)
    return result


def _note(rejections: Rejections | None, kind: str, dist: DistFile) -> None:
    if rejections is not None:
        getattr(rejections, kind).append(dist)


def rank_candidates(
    files: Iterable[DistFile],
    ctx: TargetContext,
    formats: FormatControl,
    specifier: SpecifierSet,
    *,
    allow_prereleases: bool,
    prefer_binary: bool,
    hashes: frozenset[str] = frozenset(),
    rejections: Rejections | None = None,
    applicable: list[DistFile] | None = None,
) -> list[DistFile]:
    """The best file of each applicable version, in the order pip would try them.

    ``applicable`` is ``compatible_files(files, ...)`` when the caller already has it (then
    ``files`` is not read): the resolver asks about the same project many times while it
    backtracks.
    """
    if applicable is None or rejections is not None:
        applicable = compatible_files(files, ctx, formats, rejections)
    allowed_versions = set(
        specifier.filter(
            {dist.version for dist in applicable}, prereleases=True if allow_prereleases else None
        )
    )
    in_spec = []
    for dist in applicable:
        if dist.version in allowed_versions:
            in_spec.append(dist)
        else:
            _note(rejections, "specifier_excluded", dist)
    if hashes:
        matching = [d for d in in_spec if d.sha256 and f"sha256:{d.sha256}" in hashes]
        if matching:
            in_spec = matching
        elif in_spec and rejections is not None:
            rejections.hash_mismatch = True
    all_yanked = bool(in_spec) and all(dist.yanked for dist in in_spec)
    allow_yanked = all_yanked and is_pinned(specifier)

    def sort_key(dist: DistFile) -> tuple[int, int, Version, int]:
        binary_first = 1 if (prefer_binary and dist.is_wheel) else 0
        rank = ctx.wheel_rank(dist) if dist.is_wheel else None
        tag_score = -rank if rank is not None else -(10**9)  # an sdist ranks below any wheel
        return (0 if dist.yanked else 1, binary_first, dist.version, tag_score)

    best: dict[Version, DistFile] = {}
    for dist in sorted(in_spec, key=sort_key, reverse=True):
        if dist.yanked and not allow_yanked:
            _note(rejections, "yanked", dist)
            continue
        best.setdefault(dist.version, dist)
    ordered = sorted(best.values(), key=sort_key, reverse=True)
    return ordered


def files_by_version(files: Iterable[DistFile]) -> dict[Version, list[DistFile]]:
    grouped: dict[Version, list[DistFile]] = defaultdict(list)
    for dist in files:
        grouped[dist.version].append(dist)
    return grouped


def best_tag(dist: DistFile, ctx: TargetContext) -> str | None:
    """The tag of ``dist`` that made pip pick it for this target."""
    ranked = [(ctx.tag_rank[tag], tag) for tag in dist.tags if tag in ctx.tag_rank]
    return str(min(ranked)[1]) if ranked else None
