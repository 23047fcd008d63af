"""What a resolution works with: requirements, candidates, its result, markers per target."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from ..inputs.markerexpr import MARKER_EVALUATION_ERRORS
from ..inputs.requirements import InputRequirement
from ..models import DistFile
from .preference import PYTHON_KEY


@dataclass(frozen=True)
class Req:
    """A requirement inside the resolver: name, extras, specifier, and who asked for it."""

    name: NormalizedName
    extras: frozenset[str]
    specifier: SpecifierSet
    origin: str  # "requirements.txt:3" for a file line, "flask 3.0.3" for a dependency
    text: str
    hashes: frozenset[str] = frozenset()
    direct_url: str | None = None
    explicit: bool = False  # the exact base of a name[extra] candidate (pip: explicit)

    @property
    def key(self) -> str:
        return identifier(self.name, self.extras)


def identifier(name: str, extras: frozenset[str]) -> str:
    return f"{name}[{','.join(sorted(extras))}]" if extras else name


@dataclass(frozen=True)
class Candidate:
    name: NormalizedName
    extras: frozenset[str]
    # None: a direct reference, or the lenient pass's stand-in satisfying anything
    version: Version | None
    dist: DistFile | None = None  # the chosen index file; None: no file for this image
    direct_url: str | None = None  # a direct reference given by the user

    @property
    def key(self) -> str:
        return identifier(self.name, self.extras)

    @property
    def unavailable(self) -> bool:
        return self.dist is None and self.direct_url is None and self.name != PYTHON_KEY

    def __str__(self) -> str:
        return f"{self.name} {self.version}" if self.version else str(self.name)


@dataclass
class Resolution:
    """The outcome of resolving one target."""

    candidates: dict[NormalizedName, Candidate]  # base names only
    extras: dict[NormalizedName, set[str]]
    required_by: dict[NormalizedName, list[str]]
    specifiers: dict[NormalizedName, SpecifierSet]  # combined, for "older version" hints
    hashes: dict[NormalizedName, frozenset[str]]
    complete: bool
    problems: list[str] = field(default_factory=list)
    fetch_errors: dict[NormalizedName, str] = field(default_factory=dict)


def evaluate_marker(
    marker: Marker | None,
    env: Mapping[str, str],
    extras: Iterable[str],
    problems: list[str] | None = None,
) -> bool:
    """Whether the marker holds; one that cannot be evaluated here (``platform_release ~=
    "5"`` on a release that is no version) does not, and ``problems`` says why."""
    if marker is None:
        return True
    extra_values = list(extras) or [""]
    try:
        return any(marker.evaluate({**env, "extra": extra}) for extra in extra_values)
    except MARKER_EVALUATION_ERRORS as exc:
        if problems is not None:
            problems.append(f"marker '{marker}' cannot be evaluated here ({exc}): pip fails on it")
        return False


def top_level_requirements(
    inputs: Sequence[InputRequirement], env: Mapping[str, str]
) -> tuple[list[Req], list[InputRequirement]]:
    """Requirements that apply to this target, and those whose markers exclude it."""
    applied, skipped = [], []
    for item in inputs:
        req = item.requirement
        if req is None:
            continue  # unnamed direct references are reported as they are, not resolved
        if not evaluate_marker(req.marker, env, ()):
            skipped.append(item)
            continue
        applied += with_base_split(
            Req(
                name=canonicalize_name(req.name),
                extras=frozenset(canonicalize_name(e) for e in req.extras),
                specifier=req.specifier,
                origin=item.origin,
                text=item.text,
                hashes=frozenset(item.hashes),
                direct_url=item.direct_url,
            )
        )
    return applied, skipped


def with_base_split(req: Req) -> list[Req]:
    """As pip does: ``name[extra]>=1`` also asks for ``name>=1`` itself, first; the
    resolver's choices of what to pin next (and so pip's answer) depend on it."""
    if req.extras and req.specifier and not req.direct_url:
        return [replace(req, extras=frozenset()), req]
    return [req]


def yanked_note(filename: str, reason: str) -> str:
    because = f" ({reason})" if reason else " (no reason given)"
    return (
        f"{filename} is yanked{because}: pip installs it because the requirement pins this "
        "version, and warns"
    )


def combined_specifier(reqs: Iterable[Req], constraint: SpecifierSet | None) -> SpecifierSet:
    """What every one of ``reqs`` and the constraint allow."""
    specifier = SpecifierSet()
    for req in reqs:
        specifier &= req.specifier
    if constraint is not None:
        specifier &= constraint
    return specifier


def from_dependency(dep: Requirement, origin: str) -> Req:
    """A dependency of ``origin`` as the resolver asks for it."""
    return Req(
        name=canonicalize_name(dep.name),
        extras=frozenset(canonicalize_name(e) for e in dep.extras),
        specifier=dep.specifier,
        origin=origin,
        text=str(dep),
        direct_url=dep.url,
    )
