"""Which image to choose: rank the targets and say in one line why the first wins.

Order: pip succeeds; then installs without extra system packages (no compiler, no -dev or
runtime library to add); then the smaller final image (multi-stage); then the shorter build.
"""

from __future__ import annotations

import math

from ..models import Recommendation, TargetReport
from ..sysdeps.plan import packages_to_add, target_summary
from ..units import megabytes


def _needs(report: TargetReport) -> list[str]:
    return packages_to_add(target_summary(report))


def _works_as_is(report: TargetReport) -> bool:
    summary = target_summary(report)
    return report.complete and not (summary["build"] or summary["runtime"] or summary["unknown"])


def _size(report: TargetReport) -> float:
    cost = report.cost
    if cost is None or cost.image_bytes_multi_stage is None:
        return math.inf
    return float(cost.image_bytes_multi_stage)


def _build(report: TargetReport) -> float:
    return report.cost.build_seconds_multi_stage.likely if report.cost else 0.0


def _key(report: TargetReport) -> tuple[bool, bool, float, float]:
    return (not report.complete, not _works_as_is(report), _size(report), _build(report))


def recommend(targets: list[TargetReport]) -> Recommendation | None:
    if not targets:
        return None
    ranked = sorted(targets, key=_key)
    best = ranked[0]
    ranking = [t.target.id for t in ranked]
    if len(ranked) == 1:
        return Recommendation(best.target.id, ranking, "the only image checked")
    second = ranked[1]
    if not best.complete:
        reason = "pip fails on every image checked; this one fails on the fewest packages"
    elif not second.complete:
        reason = f"pip fails on {second.target.short_id}"
    elif _works_as_is(best) and not _works_as_is(second):
        needed = _needs(second)
        what = ", ".join(needed[:6]) + (" ..." if len(needed) > 6 else "")
        lacks = f"needs {what}" if needed else "has unknown ones"
        reason = f"installs with no extra system packages; {second.target.short_id} {lacks}"
    elif _size(best) < _size(second):
        reason = (
            f"smallest final image: {megabytes(_size(best))} against "
            f"{megabytes(_size(second))} for {second.target.short_id}"
        )
    elif _build(best) < _build(second):
        reason = f"shortest build: about {_build(best):.0f} s against {_build(second):.0f} s"
    else:
        reason = f"as good as {second.target.short_id} on every count; listed first"
    if best.complete and not _works_as_is(best):
        needed = _needs(best)
        if needed:
            reason += f" (it needs {', '.join(needed[:6])}{' ...' if len(needed) > 6 else ''})"
    return Recommendation(best.target.id, ranking, reason)
