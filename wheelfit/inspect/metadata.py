"""Core metadata (METADATA / PKG-INFO) -> the fields resolution needs."""

from __future__ import annotations

from dataclasses import dataclass

from packaging.metadata import parse_email
from packaging.requirements import InvalidRequirement, Requirement


@dataclass(frozen=True)
class CoreMetadata:
    requires_dist: tuple[Requirement, ...]
    requires_python: str | None
    metadata_version: str | None
    dynamic: frozenset[str]  # lower-cased field names (PEP 643)
    invalid: tuple[str, ...] = ()  # Requires-Dist lines that did not parse

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


def parse_metadata(data: bytes) -> CoreMetadata:
    raw, unparsed = parse_email(data)
    requirements: list[Requirement] = []
    invalid: list[str] = []
    lines = list(raw.get("requires_dist", [])) + list(unparsed.get("requires-dist", []))
    for line in lines:
        try:
            requirements.append(Requirement(str(line)))
        except InvalidRequirement:
            invalid.append(str(line))
    dynamic = frozenset(str(d).lower() for d in raw.get("dynamic", []))
    return CoreMetadata(
        requires_dist=tuple(requirements),
        requires_python=raw.get("requires_python"),
        metadata_version=raw.get("metadata_version"),
        dynamic=dynamic,
        invalid=tuple(invalid),
    )
