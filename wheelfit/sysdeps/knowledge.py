"""The shipped system-package knowledge base (data/sysdeps/, built by scripts/build_sysdeps.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

import msgspec

from .. import kb
from ..errors import KnowledgeBaseError


@dataclass(frozen=True)
class FamilyPackages:
    build: tuple[str, ...] = ()
    runtime: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProjectFacts:
    """What building one PyPI project from source needs, per distribution family."""

    name: str
    toolchains: tuple[str, ...]
    families: dict[str, FamilyPackages]
    source: str
    confidence: str
    optional_extension: bool = False
    runtime_always: bool = False  # a library loaded at run time, needed even from a wheel
    rust_version: str | None = None
    notes: tuple[str, ...] = ()
    unmapped: tuple[str, ...] = field(default=())  # Debian names with no Alpine counterpart
    date: str = ""  # when the facts were gathered or checked
    # runtime_always packages are not needed when one of these projects is installed too
    runtime_unless_installed: tuple[str, ...] = ()
    # families a real build checked; the others are derived (confidence at most medium)
    verified_families: tuple[str, ...] = ()
    curated: bool = False  # checked by hand or by a build: its toolchains are exact

    def confidence_for(self, family: str) -> str:
        if self.verified_families and family not in self.verified_families:
            return "medium" if self.confidence == "high" else self.confidence
        return self.confidence


@dataclass(frozen=True)
class Toolchain:
    build: tuple[str, ...]
    runtime: tuple[str, ...]
    version: str | None


@cache  # asked for every package on every target
def project_facts(name: str) -> ProjectFacts | None:
    entry = _project(name)
    if entry is None:
        return None
    families = {
        family: FamilyPackages(tuple(value["build"]), tuple(value["runtime"]))
        for family in ("bookworm", "trixie", "alpine")
        if isinstance(value := entry.get(family), dict)
    }
    notes = entry.get("notes")
    return ProjectFacts(
        name=name,
        toolchains=tuple(entry.get("toolchains", ())),
        families=families,
        source=str(entry.get("source", "")),
        confidence=str(entry.get("confidence", "medium")),
        optional_extension=bool(entry.get("optional_extension", False)),
        runtime_always=bool(entry.get("runtime_always", False)),
        rust_version=entry.get("rust_version"),
        notes=(notes,) if isinstance(notes, str) else tuple(notes or ()),
        unmapped=tuple(entry.get("alpine_unmapped", ())),
        date=str(entry.get("date", "")),
        runtime_unless_installed=tuple(entry.get("runtime_unless_installed", ())),
        verified_families=tuple(entry.get("verified_families", ())),
        curated=bool(entry.get("curated", False)),
    )


@dataclass(frozen=True)
class DerivedRelease:
    """A release whose names come from a Debian release's, each checked in its own archive
    (data/sysdeps/releases.json, built by scripts/build_releases.py)."""

    name: str
    base: str  # bookworm or trixie
    distro: str
    renamed: dict[str, str]
    missing: frozenset[str]
    checked: int

    def translate(self, names: list[str] | tuple[str, ...]) -> tuple[list[str], list[str]]:
        """(names in this release, base names it has no package for). Names the table never
        checked are kept as they are: the table covers every name wheelfit predicts."""
        kept, missing = [], []
        for name in names:
            if name in self.missing:
                missing.append(name)
            else:
                kept.append(self.renamed.get(name, name))
        return kept, missing


@cache
def derived_release(family: str) -> DerivedRelease | None:
    entry = _releases().get(family)
    if entry is None:
        return None
    return DerivedRelease(
        name=family,
        base=str(entry["base"]),
        distro=str(entry["distro"]),
        renamed=dict(entry["renamed"]),
        missing=frozenset(entry["missing"]),
        checked=int(entry["checked_names"]),
    )


def family_known(family: str) -> bool:
    """Whether wheelfit has package names for this family at all."""
    return family in _toolchains()["families"] or family in _releases()


def toolchain(family: str, language: str) -> Toolchain | None:
    table = _toolchains()["families"].get(family) or _releases().get(family, {}).get(
        "toolchains", {}
    )
    value = table.get(language)
    if value is None:
        return None
    return Toolchain(tuple(value["build"]), tuple(value["runtime"]), value.get("version"))


def language_toolchain(language: str) -> str | None:
    """'C++' (as sdist inspection names it) -> 'c++' (as the knowledge base names it)."""
    mapping: dict[str, str] = _toolchains()["language_to_toolchain"]
    return mapping.get(language)


@cache
def image_packages(kind: str, release: str) -> frozenset[str]:
    """Packages the official image already has (empty when the inventory does not know it)."""
    derived = _releases().get(release)
    if derived is not None:
        return frozenset(derived["inventories"].get(kind, ()))
    key = _toolchains()["image_package_sets"].get(f"{kind}:{release}")
    if key is None:
        return frozenset()
    images: dict[str, list[str]] = kb.load_json("sysdeps/image_packages.json")["images"]
    return frozenset(images.get(key, ()))


def knowledge_date() -> str:
    return str(_document().generated)


class _KnowledgeFile(msgspec.Struct):
    """kb.json with each project's entry left as its JSON text, decoded when first asked:
    the 1,631 entries as dicts took 5.4 MB, held to the end of a run, where its memory
    peaks, and a run asks for a few hundred of them."""

    projects: dict[str, msgspec.Raw]
    generated: Any = ""


@cache
def _document() -> _KnowledgeFile:
    try:
        return msgspec.json.decode(kb.read_bytes("sysdeps/kb.json"), type=_KnowledgeFile)
    except msgspec.DecodeError as exc:  # ValidationError too
        path = kb.data_dir() / "sysdeps" / "kb.json"
        raise KnowledgeBaseError(
            f"cannot read {path}: expected an object with 'projects' ({exc})"
        ) from exc


def _project(name: str) -> Any:
    """A project's entry (project_facts keeps what it makes of it), or None."""
    entry = _document().projects.get(name)
    return None if entry is None else msgspec.json.decode(entry)


@cache
def _releases() -> dict[str, dict[str, Any]]:
    document = kb.load_json("sysdeps/releases.json")
    releases = document.get("releases") if isinstance(document, dict) else None
    if not isinstance(releases, dict):
        raise KnowledgeBaseError("sysdeps/releases.json: expected an object with 'releases'")
    for name, entry in releases.items():
        for key in ("base", "distro", "renamed", "missing", "inventories", "toolchains"):
            if key not in entry:
                raise KnowledgeBaseError(f"sysdeps/releases.json: {name} lacks {key!r}")
    return releases


@cache
def _toolchains() -> dict[str, Any]:
    document = kb.load_json("sysdeps/toolchains.json")
    for key in ("families", "language_to_toolchain", "image_package_sets"):
        if key not in document:
            raise KnowledgeBaseError(f"sysdeps/toolchains.json: missing {key!r}")
    return dict(document)
