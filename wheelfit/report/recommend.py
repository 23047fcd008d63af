"""Which image to choose, weighed the way a person would, and the trade-off in figures.

The order (docs/recommendation.md has worked examples):
1. pip succeeds; among images where it fails, the fewest unavailable packages;
2. the fewest risky source builds: system libraries nobody knows, build packages only
   guessed (low confidence), Rust from rustup, a compile other checked images avoid (on musl
   when glibc has a wheel), a version other images do not resolve to;
3. the smaller final image of the build a person would write (multi-stage when something
   compiles and the image must add packages for it); images within a margin of the
   smallest count as equally small, and among those the fewer source builds, the shorter
   build and the fewer packages to add win.

"Works with no extra packages" is not a rank of its own: a build stage with a few apt names
costs a Dockerfile line, while the full image costs a gigabyte. The simplest image is shown
beside the recommendation instead, so the trade-off stays visible.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from ..models import ImageChoice, Libc, Recommendation, Status, TargetReport
from ..sysdeps.plan import packages_to_add, target_summary
from ..units import duration, megabytes

# Sizes this close count as a tie: estimates are not finer than that (docs/costs.md).
MARGIN_FRACTION = 0.10
MARGIN_BYTES = 20e6


@dataclass
class _Facts:
    report: TargetReport
    risks: list[str]
    to_add: list[str]

    @property
    def id(self) -> str:
        return self.report.target.id

    @property
    def name(self) -> str:
        return self.report.target.short_id

    @property
    def unavailable(self) -> int:
        return sum(p.status is Status.UNAVAILABLE for p in self.report.packages)

    @property
    def tier(self) -> tuple[bool, int, int]:
        failing = not self.report.complete
        return (failing, self.unavailable if failing else 0, len(self.risks))

    @property
    def size(self) -> float:
        cost = self.report.cost
        if cost is None or cost.image_bytes_multi_stage is None:
            return math.inf
        return float(cost.image_bytes_multi_stage)

    @property
    def build_likely(self) -> float:
        return self.report.cost.build_seconds_multi_stage.likely if self.report.cost else 0.0

    @property
    def source_builds(self) -> int:
        return sum(
            p.status in (Status.SDIST_NATIVE, Status.SDIST_PURE) for p in self.report.packages
        )

    @property
    def multi_stage(self) -> bool:
        cost = self.report.cost
        return cost is not None and cost.build_system_bytes > 0

    @property
    def build(self) -> str:
        return "multi-stage" if self.multi_stage else "single-stage"


def within_margin(a: float, b: float) -> bool:
    if math.isinf(a) or math.isinf(b):
        return math.isinf(a) and math.isinf(b)
    return abs(a - b) <= max(MARGIN_BYTES, MARGIN_FRACTION * min(a, b))


def risks(report: TargetReport, others: list[TargetReport]) -> list[str]:
    """What could make this image's build fail or behave unlike the others', one line each."""
    found: list[str] = []
    target = report.target
    compiled_elsewhere = {
        other.target.id: {p.name for p in other.packages if p.status is Status.SDIST_NATIVE}
        for other in others
    }
    for package in report.packages:
        if package.status is not Status.SDIST_NATIVE:
            continue
        needs = package.system
        if target.family is not None and (needs is None or needs.unknown):
            found.append(f"{package.name}: system libraries unknown")
        elif needs is not None and needs.confidence == "low":
            found.append(f"{package.name}: build packages guessed from its build files")
        if needs is not None and needs.rustup:
            found.append(f"{package.name}: needs a newer Rust than the image's, from rustup")
        avoided = [o for o in others if package.name not in compiled_elsewhere[o.target.id]]
        if avoided:
            glibc = [o for o in avoided if o.target.libc is Libc.GLIBC]
            if target.libc is Libc.MUSL and glibc:
                found.append(f"{package.name} compiles on musl; glibc images install a wheel")
            else:
                where = ", ".join(o.target.short_id for o in avoided)
                found.append(f"{package.name} compiles here, not on {where}")
    found += _version_outliers(report, others)
    return found


def _version_outliers(report: TargetReport, others: list[TargetReport]) -> list[str]:
    """Packages resolved to a version most other images do not pick (an older release,
    chosen for lack of a file here): the tested combination differs."""
    if len(others) < 2:
        return []
    # each image's versions by name, once: asking every other image for every package was
    # quadratic (a tenth of an offline run of 160 pins)
    versions: dict[str, list[str]] = {}
    for other in others:
        for p in other.packages:
            if not p.build_only and p.version:
                versions.setdefault(p.name, []).append(p.version)
    outliers = []
    for package in report.packages:
        if package.build_only or package.version is None:
            continue
        seen = Counter(versions.get(package.name, ()))
        if not seen:
            continue
        common, count = seen.most_common(1)[0]
        if common != package.version and count > len(others) / 2:
            outliers.append(
                f"{package.name} resolves to {package.version} here, {common} elsewhere"
            )
    return outliers


def _order(facts: list[_Facts]) -> list[_Facts]:
    """Best first: by tier, then by size where sizes differ by more than the margin."""
    remaining = sorted(facts, key=lambda f: (f.tier, f.size, f.id))
    ordered: list[_Facts] = []
    while remaining:
        tier = [f for f in remaining if f.tier == remaining[0].tier]
        close = [f for f in tier if within_margin(f.size, tier[0].size)]
        pick = min(close, key=_tie_break)
        ordered.append(pick)
        remaining.remove(pick)
    return ordered


def _tie_break(f: _Facts) -> tuple[int, float, int, float, str]:
    return (f.source_builds, f.build_likely, len(f.to_add), f.size, f.id)


def recommend(targets: list[TargetReport]) -> Recommendation | None:
    if not targets:
        return None
    facts = [
        _Facts(t, risks(t, [o for o in targets if o is not t]), packages_to_add(target_summary(t)))
        for t in targets
    ]
    ordered = _order(facts)
    best = ordered[0]
    close = [
        f
        for f in ordered[1:]
        if f.tier == best.tier and within_margin(f.size, best.size) and not math.isinf(f.size)
    ]
    choices = _choices(best, facts)
    return Recommendation(
        target=best.id,
        ranking=[f.id for f in ordered],
        reason=_reason(best, ordered, close),
        choices=choices,
        close=[f.id for f in close],
    )


def _choices(best: _Facts, facts: list[_Facts]) -> list[ImageChoice]:
    working = [f for f in facts if f.report.complete]
    roles: dict[str, list[str]] = {best.id: ["recommended"]}
    simple = [f for f in working if not f.to_add and not target_summary(f.report)["unknown"]]
    if simple:
        simplest = min(simple, key=lambda f: (f.size, f.id))
        roles.setdefault(simplest.id, []).append("simplest")
    if working:
        smallest = min(working, key=lambda f: (f.size, f.id))
        roles.setdefault(smallest.id, []).append("smallest")
    by_id = {f.id: f for f in facts}
    return [_choice(by_id[target_id], tuple(names)) for target_id, names in roles.items()]


def _choice(f: _Facts, roles: tuple[str, ...]) -> ImageChoice:
    cost = f.report.cost
    seconds = cost.build_seconds_multi_stage if cost else None
    size = None if math.isinf(f.size) else int(f.size)
    return ImageChoice(
        target=f.id,
        roles=roles,
        build=f.build,
        image_bytes=size,
        build_seconds=seconds,
        source_builds=f.source_builds,
        packages_to_add=f.to_add,
        risks=f.risks,
        summary=_summary(f),
    )


def _summary(f: _Facts) -> str:
    """One line with the figures: final size, build time, source builds, what to add, risks."""
    if not f.report.complete:
        return f"{f.name}: pip fails ({f.unavailable} unavailable)"
    parts = [f"{f.name} {f.build} {megabytes(None if math.isinf(f.size) else f.size)}"]
    cost = f.report.cost
    if cost is not None and cost.build_seconds_multi_stage.likely:
        seconds = cost.build_seconds_multi_stage
        parts.append(f"build {duration(seconds.low, seconds.high)}")
    else:
        parts.append("nothing to build")
    if f.source_builds:
        parts.append(f"{f.source_builds} source build{'s' if f.source_builds > 1 else ''}")
    parts.append(_adds(f) or "no extra system packages")
    if f.risks:
        parts.append("risk: " + "; ".join(f.risks))
    return ", ".join(parts)


def _adds(f: _Facts) -> str:
    summary = target_summary(f.report)
    tool = "apk add" if f.report.target.family == "alpine" else "apt-get install"
    parts = []
    if summary["build"]:
        parts.append(f"build stage {tool} {_names(summary['build'])}")
    if summary["runtime"]:
        parts.append(f"runtime {tool} {_names(summary['runtime'])}")
    if summary["unknown"]:
        parts.append(f"system libraries unknown for {_names(summary['unknown'])}")
    return "; ".join(parts)


def _names(names: list[str], limit: int = 6) -> str:
    return " ".join(names[:limit]) + (" ..." if len(names) > limit else "")


def _reason(best: _Facts, ordered: list[_Facts], close: list[_Facts]) -> str:
    if len(ordered) == 1:
        return f"the only image checked: {_summary(best)}"
    if not best.report.complete:
        return (
            "pip fails on every image checked; this one fails on the fewest packages "
            f"({best.unavailable} unavailable)"
        )
    others = [f for f in ordered[1:] if f.report.complete]
    sizes = " and ".join(f"{megabytes(_finite(f.size))} for {f.name}" for f in others)
    text = f"{best.build} final image {megabytes(_finite(best.size))}"
    text += f" against {sizes}" if sizes else ""
    clauses = [text]
    riskier = [f for f in others if f.tier != best.tier and f.size < best.size]
    for f in riskier:
        clauses.append(
            f"{f.name} is smaller ({megabytes(_finite(f.size))}) but " + " and ".join(f.risks[:3])
        )
    for f in close:
        clauses.append(
            f"{f.name} is within the margin ({_gap(best, f)}): either will do; "
            + _why_first(best, f)
        )
    failing = [f.name for f in ordered if not f.report.complete]
    if failing:
        clauses.append(f"pip fails on {', '.join(failing)}")
    adds = _adds(best)
    if adds:
        clauses.append(f"needs {adds}")
    if best.risks:
        clauses.append("risk: " + "; ".join(best.risks))
    return "; ".join(clauses)


def _finite(size: float) -> float | None:
    return None if math.isinf(size) else size


def _gap(a: _Facts, b: _Facts) -> str:
    if math.isinf(a.size) or math.isinf(b.size):
        return "sizes unknown"
    return f"{megabytes(abs(a.size - b.size))} apart"


def _why_first(best: _Facts, other: _Facts) -> str:
    name = best.name
    if best.source_builds != other.source_builds:
        return (
            f"{name} has fewer source builds ({best.source_builds} against {other.source_builds})"
        )
    if best.build_likely != other.build_likely:
        ours, theirs = best.build_likely, other.build_likely
        return f"{name} builds faster (about {ours:.0f} s against {theirs:.0f} s)"
    if len(best.to_add) != len(other.to_add):
        return f"{name} adds fewer system packages ({len(best.to_add)} against {len(other.to_add)})"
    return f"{name} is listed first by size"
