"""Resolution for one target with resolvelib, the resolver inside pip.

Two passes. The *strict* pass behaves like pip in the image: if it succeeds, its answer is
pip's answer. If it fails (a package has no installable file there, a conflict, ...), pip
would stop at that point; wheelfit then runs a *lenient* pass that resolves the rest as pip
would if the blockers were installable: after its real candidates, a project also offers the
versions that have no file for this image (newest first, without dependencies), and a
stand-in that satisfies anything where nothing else can (a project the index lacks, a user
requirement no version matches, a conflict that remains). resolvelib reaches for these only
when no real candidate works, so the rest backtracks as in pip and the blockers are marked
instead of hiding the rest.
"""

from __future__ import annotations

import contextlib
import copy
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, as_completed
from typing import Any

import resolvelib
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import NormalizedName
from packaging.version import Version

from ..errors import IndexFetchError
from ..index.client import IndexClient
from ..index.page import ProjectPage
from ..inputs.requirements import IndexOptions
from ..inspect import distinfo
from ..models import DistFile
from .candidates import (
    Candidate,
    Req,
    Resolution,
    combined_specifier,
    evaluate_marker,
    from_dependency,
    with_base_split,
)
from .finder import Rejections, TargetContext, compatible_files, rank_candidates
from .lean_resolver import LeanResolver
from .preference import PYTHON_KEY, PipPreference, Preference, user_order

# pip's own limit: it also bounds how long resolvelib backjumps optimistically (a tenth of
# the rounds left) before it rolls back, so a different limit can give a different answer
MAX_ROUNDS = 200_000
RECURSION_PROBLEM = (
    "pip's resolver would crash (RecursionError in resolvelib): after backtracking, a package "
    "that depends on itself is left with no other parent"
)


class Provider(resolvelib.AbstractProvider):  # type: ignore[type-arg]
    def __init__(
        self,
        client: IndexClient,
        ctx: TargetContext,
        env: Mapping[str, str],
        options: IndexOptions,
        constraints: Mapping[NormalizedName, SpecifierSet],
        lenient: bool,
        user_order: Mapping[str, int] | None = None,
    ) -> None:
        self.client = client
        self.ctx = ctx
        self.env = env
        self.options = options
        self.constraints = constraints
        self.lenient = lenient
        # lenient pass: the projects that may take a stand-in satisfying anything (None:
        # every project), and the user's own requirements (one nothing matches is a blocker)
        self.stand_in_for: frozenset[NormalizedName] | None = None
        self.user_requirements: frozenset[Req] = frozenset()
        self.fetch_errors: dict[NormalizedName, str] = {}
        # per package: its dependencies' markers that cannot be evaluated on this target
        self.marker_problems: dict[NormalizedName, list[str]] = {}
        self.pages: dict[NormalizedName, ProjectPage] = {}
        # resolvelib asks for the same project under the same specifier again and again
        # while it adds criteria and backtracks (awx: 1,775 asks, 960 different)
        self._ranked: dict[tuple[NormalizedName, str, frozenset[str]], list[Any]] = {}
        # per project and version: its files this target can take (before specifiers)
        self._compatible: dict[NormalizedName, dict[Version, list[DistFile]]] = {}
        self._unusable_versions: dict[NormalizedName, frozenset[Version]] = {}
        self._satisfied: dict[tuple[int, int], tuple[SpecifierSet, Version, bool]] = {}
        self.preference = PipPreference(user_order or {})
        self.python_candidate = Candidate(
            NormalizedName(PYTHON_KEY), frozenset(), ctx.python_version
        )

    def for_context(self, ctx: TargetContext) -> Provider:
        """This provider for another image that resolves alike (resolve/shared.py): the
        same pages and rankings, with that image's context for what classifying it asks."""
        twin = copy.copy(self)  # the memo tables stay shared: the rankings are the same
        twin.ctx = ctx
        return twin

    def for_other_tags(self, ctx: TargetContext) -> Provider:
        """This provider for an image whose tags differ from this one's in tags that no file
        the resolution looked at carries (resolve/shared.py): the same pages; the rankings
        worked out again, with that image's tags, as classifying it asks for them."""
        kin = copy.copy(self)
        kin.ctx = ctx
        kin._ranked, kin._compatible, kin._unusable_versions, kin._satisfied = {}, {}, {}, {}
        return kin

    def files_looked_at(self) -> Iterator[DistFile]:
        """Every file of every version whose files the resolution ranked."""
        for name, versions in self._compatible.items():
            page = self.page(name)
            for version in versions:
                yield from page.files_of(version)

    # -- resolvelib interface --------------------------------------------------------------

    def identify(self, requirement_or_candidate: Req | Candidate) -> str:
        return requirement_or_candidate.key

    def narrow_requirement_selection(
        self,
        identifiers: Iterable[str],
        resolutions: Mapping[str, Candidate],
        candidates: Mapping[str, Iterator[Candidate]],
        information: Mapping[str, Iterator[Any]],
        backtrack_causes: Sequence[Any],
    ) -> list[str]:
        return self.preference.narrow(identifiers, resolutions, backtrack_causes)

    def get_preference(
        self,
        identifier: str,
        resolutions: Mapping[str, Candidate],
        candidates: Mapping[str, Iterator[Candidate]],
        information: Mapping[str, Iterable[Any]],  # lists from the lean resolver (remembered)
        backtrack_causes: Sequence[Any],
    ) -> Preference:
        return self.preference.key(identifier, information[identifier])

    def find_matches(
        self,
        identifier: str,
        requirements: Mapping[str, Iterator[Req]],
        incompatibilities: Mapping[str, Iterator[Candidate]],
    ) -> list[Candidate] | Callable[[], Iterator[Candidate]]:
        reqs = list(requirements[identifier])
        if not reqs:
            return []
        name, extras = reqs[0].name, reqs[0].extras
        if identifier == PYTHON_KEY:
            # as in pip, also when backjumping has marked the one Python incompatible
            python = self.python_candidate
            usable = python not in list(incompatibilities[identifier])
            fits = usable and all(self.is_satisfied_by(r, python) for r in reqs)
            return [python] if fits else []
        bad = {c.version for c in incompatibilities[identifier]}
        direct = [r.direct_url for r in reqs if r.direct_url]
        if direct:
            return [Candidate(name, extras, None, direct_url=direct[0])]
        specifier = combined_specifier(reqs, self.constraints.get(name))
        found = [
            Candidate(name, extras, dist.version, dist=dist)
            for dist in self.ranked(name, specifier, frozenset().union(*(r.hashes for r in reqs)))
            if dist.version not in bad
        ]
        if found:
            self._prefetch(found[0])
        if self.lenient:
            # the stand-ins are worked out only when resolvelib runs out of real candidates
            # (it takes a factory of an iterator, as pip's provider gives it): they need
            # every file of the page, and a project with a real candidate left never gets
            # there (714-pin file offline: peak 322 and 327 -> 316 and 318 MB)
            def then_stand_ins() -> Iterator[Candidate]:
                yield from found
                yield from self._stand_ins(name, extras, specifier, reqs, bad)

            return then_stand_ins
        return found

    def _stand_ins(
        self,
        name: NormalizedName,
        extras: frozenset[str],
        specifier: SpecifierSet,
        reqs: list[Req],
        bad: set[Version | None],
    ) -> list[Candidate]:
        """The lenient pass's last resorts, after every real candidate: the versions pip
        would take if they had a file for this image (newest first, without dependencies),
        then, for what nothing can satisfy, a stand-in that satisfies anything."""
        page = self.page(name)
        published, unusable = page.published_versions(), self._unusable(page)
        allowed = specifier.filter(published, prereleases=True if self.options.pre else None)
        result = [
            Candidate(name, extras, version)
            for version in sorted(unusable.intersection(allowed) - bad, reverse=True)
        ]
        anything = (
            self.stand_in_for is None
            or name in self.stand_in_for
            or not page.files
            or any(
                req in self.user_requirements
                and not any(
                    combined_specifier([req], self.constraints.get(name)).filter(
                        published, prereleases=True
                    )
                )
                for req in reqs
            )
        )
        # an extras candidate's exact base is a real version: a stand-in for the base would
        # leave the extras candidate's requirements (its base's too) applying to the rest
        if anything and None not in bad and not any(r.explicit for r in reqs):
            result.append(Candidate(name, extras, None))
        return result

    def _unusable(self, page: ProjectPage) -> frozenset[Version]:
        """The versions with a file not yanked but none this target can take: asked at every
        lenient round, worked out once (a few versions, where all of them were kept before)."""
        if page.name not in self._unusable_versions:
            formats = self.options.format_control
            usable = {d.version for d in compatible_files(page.files, self.ctx, formats)}
            self._unusable_versions[page.name] = page.published_versions() - usable
        return self._unusable_versions[page.name]

    def is_satisfied_by(self, requirement: Req, candidate: Candidate) -> bool:
        if candidate.version is None:
            # stand-in or direct reference: nothing to check without building, except that
            # a stand-in is not the exact base an extras candidate depends on
            return not (requirement.explicit and candidate.direct_url is None)
        if candidate.name == PYTHON_KEY and self.lenient:
            return True  # the lenient pass shows the rest; the strict pass said why
        # asked for every pin at every round of resolvelib: remembered per specifier and
        # version object (hashing a SpecifierSet canonicalizes every version in it, and a
        # Version hashes its whole key, each time), both kept in the entry so that a new
        # object at the same address is never taken for them
        specifier, version = requirement.specifier, candidate.version
        key = (id(specifier), id(version))
        known = self._satisfied.get(key)
        if known is not None and known[0] is specifier and known[1] is version:
            return known[2]
        fits = specifier.contains(version, prereleases=True)
        self._satisfied[key] = (specifier, version, fits)
        return fits

    def get_dependencies(self, candidate: Candidate) -> list[Req]:
        if candidate.version is None or candidate.dist is None:
            return []
        result = []
        if candidate.extras:
            # as pip does: an extras candidate depends on exactly its base candidate
            result.append(
                Req(
                    candidate.name,
                    frozenset(),
                    SpecifierSet(f"=={candidate.version}"),
                    str(candidate),
                    "",
                    explicit=True,
                )
            )
        info = self.describe(candidate)
        problems = self.marker_problems.setdefault(candidate.name, [])
        requires_python = _requires_python(info)
        if requires_python is not None and not candidate.extras:
            # first, as pip does: every candidate with a Requires-Python depends on the
            # Python pseudo-project, which changes the order of pip's rounds
            result.append(
                Req(
                    NormalizedName(PYTHON_KEY),
                    frozenset(),
                    requires_python,
                    str(candidate),
                    f"Requires-Python {requires_python}",
                )
            )
        for dep in info.requires:
            # as pip does, an extras candidate repeats its base's requirements too
            if not evaluate_marker(dep.marker, self.env, candidate.extras, problems):
                continue
            result += with_base_split(from_dependency(dep, str(candidate)))
        self.client.prefetch_projects(r.name for r in result if r.name != PYTHON_KEY)
        return result

    # -- helpers ---------------------------------------------------------------------------

    def page(self, name: NormalizedName) -> ProjectPage:
        if name not in self.pages:
            try:
                self.pages[name] = self.client.get_project(name)
            except IndexFetchError as exc:
                self.fetch_errors[name] = str(exc)
                self.pages[name] = ProjectPage(name)
        return self.pages[name]

    def ranked(
        self,
        name: NormalizedName,
        specifier: SpecifierSet,
        hashes: frozenset[str],
        rejections: Rejections | None = None,
    ) -> list[Any]:
        key = (name, str(specifier), hashes)  # str: hashing a SpecifierSet costs more
        if rejections is None and key in self._ranked:
            return list(self._ranked[key])
        page = self.page(name)
        applicable = None
        if rejections is None:
            wanted = page.versions_admitted(specifier)  # files made for these versions only
            applicable = [dist for v in wanted for dist in self._compatible_files(page, v)]
        ranked = rank_candidates(
            page.files if applicable is None else (),  # all: why each was not applicable
            self.ctx,
            self.options.format_control,
            specifier,
            allow_prereleases=self.options.pre,
            prefer_binary=self.options.prefer_binary,
            hashes=hashes,
            rejections=rejections,
            applicable=applicable,
        )
        if rejections is None:
            self._ranked[key] = ranked
        return list(ranked)

    def _compatible_files(self, page: ProjectPage, version: Version) -> list[DistFile]:
        known = self._compatible.setdefault(page.name, {})
        if version not in known:
            files = page.files_of(version)
            known[version] = compatible_files(files, self.ctx, self.options.format_control)
        return known[version]

    def dist_for(self, candidate: Candidate) -> DistFile:
        if candidate.dist is None:
            raise ValueError(f"{candidate} has no index file")
        return candidate.dist

    def describe(self, candidate: Candidate) -> distinfo.DistInfo:
        return distinfo.describe(self.client, self.page(candidate.name), self.dist_for(candidate))

    def prefetch(self, requirements: Iterable[Req]) -> None:
        """Start describing the file each requirement would most likely get (on the client's
        pools), each as soon as its page is in: taken in the file's order, one large page
        (6.9 MB) held back the METADATA of every project after it.

        Runs beside the resolution, on this provider's tables: both threads put equal values
        under a key. A page that could not be read is left to the resolution, which records
        its error in the order of the requirements, as the report has always listed them.
        """
        arriving: dict[Future[ProjectPage], list[Req]] = {}
        for req in requirements:
            if not req.direct_url:
                arriving.setdefault(self.client.project_future(req.name), []).append(req)
        for future in as_completed(arriving):
            if future.exception() is not None:
                continue
            for req in arriving[future]:
                specifier = combined_specifier([req], self.constraints.get(req.name))
                ranked = self.ranked(req.name, specifier, req.hashes)
                if ranked:
                    best = ranked[0]
                    self._prefetch(Candidate(req.name, req.extras, best.version, dist=best))

    def _prefetch(self, candidate: Candidate) -> None:
        distinfo.start_describing(self.client, self.page(candidate.name), self.dist_for(candidate))


def _requires_python(info: distinfo.DistInfo) -> SpecifierSet | None:
    """The candidate's Requires-Python as pip reads it (from the metadata, else the index)."""
    text = info.requires_python if info.requires_python is not None else info.dist.requires_python
    if not text:
        return None
    try:
        return SpecifierSet(text)
    except InvalidSpecifier:
        return None  # pip ignores one it cannot parse


def resolve(
    client: IndexClient,
    ctx: TargetContext,
    env: Mapping[str, str],
    requirements: list[Req],
    options: IndexOptions,
    constraints: Mapping[NormalizedName, SpecifierSet],
) -> tuple[Resolution, Provider]:
    """Resolve like pip; if pip would fail, say why and resolve leniently to show the rest."""
    # resolvelib keeps a copy of its state for every package it pins: even lean
    # (lean_resolver.py), its copies of the pins grow with the square of the packages (13 MB
    # at 1,000). Targets therefore resolve one at a time; the GIL would run their Python
    # code in turn anyway, and the rest of each target's work (classifying, sizing) still
    # overlaps. So does the network work for its top-level requirements (prefetch), from
    # the start and beside the resolution: a resolution that first waited for every page
    # left all its CPU work after the last one.
    order = user_order(requirements)
    strict = Provider(client, ctx, env, options, constraints, lenient=False, user_order=order)
    prefetching = start_quietly(lambda: strict.prefetch(requirements), "wf-prefetch")
    with _ONE_RESOLUTION_AT_A_TIME:
        outcome = _resolve(strict, requirements)
    prefetching.join()
    return outcome


def start_quietly(work: Callable[[], object], name: str) -> threading.Thread:
    """``work`` started on a thread of its own, ahead of the stage that needs what it fetches:
    what fails there fails again, and is reported, where the stage itself asks for it."""

    def quietly() -> None:
        with contextlib.suppress(Exception):
            work()

    thread = threading.Thread(target=quietly, name=name, daemon=True)
    thread.start()
    return thread


_ONE_RESOLUTION_AT_A_TIME = threading.Lock()


def _resolve(strict: Provider, requirements: list[Req]) -> tuple[Resolution, Provider]:
    problems: list[str] = []
    hopeless = True  # too deep or crashing: straight to stand-ins for every project
    try:
        result = LeanResolver(strict, resolvelib.BaseReporter()).resolve(
            requirements, max_rounds=MAX_ROUNDS
        )
        return _collect(result, strict, complete=True, problems=[]), strict
    except resolvelib.ResolutionImpossible as exc:
        problems = explain_impossible(strict, exc.causes)
        hopeless = False
    except resolvelib.ResolutionTooDeep:
        problems = ["pip would give up: too many backtracking rounds (resolution too deep)"]
    except RecursionError:
        # resolvelib's final graph walk recurses without end when a package that depends on
        # itself is left with no other parent after backtracking: pip's resolver crashes too
        problems = [RECURSION_PROBLEM]
    if hopeless:
        return _resolve_leniently(strict, requirements, None, problems)
    # As pip would if the blockers were installable: only projects without a file for this
    # image (and user requirements nothing matches) take stand-ins, so the rest backtracks
    # exactly as pip does. A conflict that remains names more projects that may take one.
    stand_in_for: frozenset[NormalizedName] = frozenset()
    for _ in range(MAX_LENIENT_PASSES):
        lenient = _lenient_provider(strict, requirements, stand_in_for)
        try:
            result = LeanResolver(lenient, resolvelib.BaseReporter(), cycle_safe=True).resolve(
                requirements, max_rounds=MAX_ROUNDS
            )
        except resolvelib.ResolutionImpossible as exc:
            named = frozenset(
                cause.requirement.name
                for cause in exc.causes
                if cause.requirement.name != PYTHON_KEY
            )
            if named <= stand_in_for:
                break
            stand_in_for |= named
            continue
        except (resolvelib.ResolutionTooDeep, RecursionError):
            break
        return _collect(result, lenient, complete=False, problems=problems), lenient
    return _resolve_leniently(strict, requirements, None, problems)


# each failed pass names one more conflict; past a few (the large corpus file fails 8)
MAX_LENIENT_PASSES = 4  # stand-ins for every project do as well, and faster


def _lenient_provider(
    strict: Provider, requirements: list[Req], stand_in_for: frozenset[NormalizedName] | None
) -> Provider:
    lenient = Provider(
        strict.client,
        strict.ctx,
        strict.env,
        strict.options,
        strict.constraints,
        lenient=True,
        user_order=strict.preference.user_order,
    )
    # shared: a page that failed to load must keep its error, not read as an empty project
    lenient.pages = strict.pages
    lenient.fetch_errors = strict.fetch_errors
    lenient.marker_problems = strict.marker_problems
    lenient.stand_in_for = stand_in_for
    lenient.user_requirements = frozenset(requirements)
    return lenient


def _resolve_leniently(
    strict: Provider,
    requirements: list[Req],
    stand_in_for: frozenset[NormalizedName] | None,
    problems: list[str],
) -> tuple[Resolution, Provider]:
    lenient = _lenient_provider(strict, requirements, stand_in_for)
    try:
        result = LeanResolver(lenient, resolvelib.BaseReporter(), cycle_safe=True).resolve(
            requirements, max_rounds=MAX_ROUNDS
        )
    except (resolvelib.ResolutionImpossible, resolvelib.ResolutionTooDeep, RecursionError):
        # cannot happen in principle (a stand-in satisfies everything), except through
        # the recursion above; stay honest
        problems.append("no partial resolution could be built either")
        empty = Resolution({}, {}, {}, {}, {}, complete=False, problems=problems)
        return empty, lenient
    return _collect(result, lenient, complete=False, problems=problems), lenient


def _collect(result: Any, provider: Provider, complete: bool, problems: list[str]) -> Resolution:
    candidates: dict[NormalizedName, Candidate] = {}
    extras: dict[NormalizedName, set[str]] = {}
    required_by: dict[NormalizedName, list[str]] = {}
    specifiers: dict[NormalizedName, SpecifierSet] = {}
    hashes: dict[NormalizedName, frozenset[str]] = {}
    for key, candidate in result.mapping.items():
        if key == PYTHON_KEY:
            continue
        name = candidate.name
        criterion = result.criteria[key]
        reqs = [info.requirement for info in criterion.information]
        parents = required_by.setdefault(name, [])
        for info in criterion.information:
            who = info.requirement.origin if info.parent is None else str(info.parent)
            if who != str(candidate) and who not in parents:
                parents.append(who)
        if candidate.extras:
            extras.setdefault(name, set()).update(candidate.extras)
            continue
        candidates[name] = candidate
        specifiers[name] = combined_specifier(
            reqs, provider.constraints.get(name)
        ) & specifiers.get(name, SpecifierSet())
        hashes[name] = frozenset().union(*(r.hashes for r in reqs))
    for name in extras:
        # a placeholder for name[extra] does not pull in the base project: show it anyway
        candidates.setdefault(name, Candidate(name, frozenset(), None))
    return Resolution(
        candidates,
        extras,
        required_by,
        specifiers,
        hashes,
        complete,
        problems,
        dict(provider.fetch_errors),
    )


def explain_impossible(provider: Provider, causes: Iterable[Any]) -> list[str]:
    """Turn resolvelib's causes into sentences: which requirements, from which parents."""
    by_name: dict[NormalizedName, list[Any]] = {}
    for cause in causes:
        by_name.setdefault(cause.requirement.name, []).append(cause)
    lines = []
    for name, items in by_name.items():
        if name == PYTHON_KEY:
            python = provider.ctx.python_version
            lines += [
                f"{item.parent}: its metadata's Requires-Python {item.requirement.specifier} "
                f"excludes Python {python} (the index did not say so)"
                for item in items
                if item.parent is not None
            ]
            continue
        asked = "; ".join(
            f"{item.requirement.text or item.requirement.specifier or name} "
            f"(from {item.requirement.origin if item.parent is None else item.parent})"
            for item in items
        )
        specifier = combined_specifier(
            (i.requirement for i in items), provider.constraints.get(name)
        )
        why = why_no_candidate(provider, name, specifier)
        lines.append(f"{name}: {why}. Asked for: {asked}")
    return lines


def why_no_candidate(provider: Provider, name: NormalizedName, specifier: SpecifierSet) -> str:
    """Why no file of ``name`` fits this target under ``specifier``."""
    from .explain import explain_unavailable

    page = provider.page(name)
    if name in provider.fetch_errors:
        return f"the index could not be read ({provider.fetch_errors[name]})"
    rejections = Rejections()
    ranked = provider.ranked(name, specifier, frozenset(), rejections)
    if ranked:
        return "the versions that fit conflict with other requirements"
    return explain_unavailable(page, provider.ctx, specifier, rejections, provider.options)
