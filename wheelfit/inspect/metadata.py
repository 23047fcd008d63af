"""Core metadata (METADATA / PKG-INFO) -> the fields resolution needs."""

from __future__ import annotations

from dataclasses import dataclass

from packaging.metadata import parse_email
from packaging.requirements import InvalidRequirement, Requirement

from ..inputs.markerexpr import requirement_problem


@dataclass(frozen=True)
class CoreMetadata:
    requires_dist: tuple[Requirement, ...]
    requires_python: str | None
    metadata_version: str | None
    dynamic: frozenset[str]  # lower-cased field names (PEP 643)
    invalid: tuple[str, ...] = ()  # Requires-Dist lines that did not parse
    problem: str | None = None  # why what was read may not be all there is, in words

    @property
    def dependencies_are_static(self) -> bool:
        """PEP 643: a PKG-INFO of 2.2+ whose Requires-Dist is not Dynamic is what a build gives."""
        if not self.metadata_version:
            return False
        try:
            major, minor = (int(x) for x in self.metadata_version.split(".")[:2])
        except ValueError:
            return False
        return (major, minor) >= (2, 2) and "requires-dist" not in self.dynamic


# The most Requires-Dist lines a real project has is a few hundred (meta-packages); each one
# costs a page fetch and a resolver round, and 3,000 took 117 s.
MAX_DEPENDENCIES = 1000


def _unreadable(data: bytes) -> str | None:
    """Why these bytes are not core metadata at all, or None."""
    if not data.strip():
        return "its METADATA is empty: its dependencies are unknown"
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in data[:1024]:
        return "its METADATA is not UTF-8 (UTF-16?), which pip cannot read: dependencies unknown"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "its METADATA is not valid UTF-8, which pip refuses: dependencies unknown"
    return None


def parse_metadata(data: bytes) -> CoreMetadata:
    """The fields resolution needs; ``problem`` says when the bytes were not all readable."""
    if problem := _unreadable(data):
        return CoreMetadata((), None, None, frozenset(), problem=problem)
    raw, unparsed = parse_email(data)
    requirements: list[Requirement] = []
    invalid: list[str] = []
    lines = list(raw.get("requires_dist", [])) + list(unparsed.get("requires-dist", []))
    dropped = max(0, len(lines) - MAX_DEPENDENCIES)
    lines = lines[:MAX_DEPENDENCIES]
    for line in lines:
        try:
            requirement = Requirement(str(line))
        except InvalidRequirement:
            invalid.append(str(line))
            continue
        if requirement_problem(requirement):  # a 5,000-digit version, a marker pip fails on
            invalid.append(str(line))
        else:
            requirements.append(requirement)
    dynamic = frozenset(str(d).lower() for d in raw.get("dynamic", []))
    problem = None
    if dropped:
        problem = (
            f"its METADATA lists {dropped + MAX_DEPENDENCIES:,} dependencies: only the first "
            f"{MAX_DEPENDENCIES:,} are analysed"
        )
    elif not raw.get("metadata_version") or not raw.get("name"):
        problem = "its METADATA has no Metadata-Version or Name: not core metadata"
    elif invalid:
        shown = "; ".join(line[:80] for line in invalid[:3])
        problem = f"{len(invalid)} Requires-Dist line(s) of its METADATA cannot be read: {shown}"
    return CoreMetadata(
        requires_dist=tuple(requirements),
        requires_python=raw.get("requires_python"),
        metadata_version=raw.get("metadata_version"),
        dynamic=dynamic,
        invalid=tuple(invalid),
        problem=problem,
    )
