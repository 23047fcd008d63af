"""What a change to the requirements does to each image: two reports, only the differences.

Packages that appear, disappear, change version or change how they install (start or stop
compiling, become unavailable), system packages added or removed, and the size and
build-time deltas. Targets are matched by id; both reports come from the same targets.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..models import PackageResult, Report, Status, TargetReport
from ..sysdeps.plan import target_summary
from .policy import Finding, Rule, evaluate


@dataclass(frozen=True)
class PackageChange:
    name: str
    build_only: bool
    change: str  # added, removed, version, starts compiling, stops compiling, becomes ..., ...
    before: str | None  # "1.0 (wheel)"
    after: str | None
    reason: str  # the new reason (the old one when removed)
    compiles_before: bool = False
    compiles_after: bool = False


@dataclass
class TargetDiff:
    target: str
    packages: list[PackageChange] = field(default_factory=list)
    build_added: list[str] = field(default_factory=list)
    build_removed: list[str] = field(default_factory=list)
    runtime_added: list[str] = field(default_factory=list)
    runtime_removed: list[str] = field(default_factory=list)
    complete_before: bool = True
    complete_after: bool = True
    size_before: int | None = None  # multi-stage final image, bytes
    size_after: int | None = None
    build_seconds_before: float = 0.0  # likely, multi-stage
    build_seconds_after: float = 0.0

    @property
    def size_delta(self) -> int | None:
        if self.size_before is None or self.size_after is None:
            return None
        return self.size_after - self.size_before

    @property
    def changed(self) -> bool:
        return bool(
            self.packages
            or self.build_added
            or self.build_removed
            or self.runtime_added
            or self.runtime_removed
            or self.complete_before != self.complete_after
            or self.size_delta
        )


@dataclass
class ReportDiff:
    old: Report
    new: Report
    targets: list[TargetDiff]

    @property
    def changed(self) -> bool:
        return any(t.changed for t in self.targets)


def _describe(package: PackageResult) -> str:
    return f"{package.version or '?'} ({package.status})"


def _change(before: PackageResult | None, after: PackageResult | None) -> str | None:
    if before is None:
        return "added"
    if after is None:
        return "removed"
    compiles = (before.status is Status.SDIST_NATIVE, after.status is Status.SDIST_NATIVE)
    if compiles == (False, True):
        return "starts compiling"
    if compiles == (True, False):
        return "stops compiling"
    if before.status != after.status:
        return f"becomes {after.status}"
    if before.version != after.version:
        return "version"
    return None


def diff_target(old: TargetReport, new: TargetReport) -> TargetDiff:
    result = TargetDiff(new.target.id, complete_before=old.complete, complete_after=new.complete)
    before = {(p.name, p.build_only): p for p in old.packages}
    after = {(p.name, p.build_only): p for p in new.packages}
    for key in sorted(set(before) | set(after)):
        was, now = before.get(key), after.get(key)
        change = _change(was, now)
        if change is None:
            continue
        shown = now or was
        assert shown is not None
        result.packages.append(
            PackageChange(
                name=key[0],
                build_only=key[1],
                change=change,
                before=_describe(was) if was else None,
                after=_describe(now) if now else None,
                reason=shown.reason,
                compiles_before=was is not None and was.status is Status.SDIST_NATIVE,
                compiles_after=now is not None and now.status is Status.SDIST_NATIVE,
            )
        )
    old_summary, new_summary = target_summary(old), target_summary(new)
    result.build_added = [p for p in new_summary["build"] if p not in old_summary["build"]]
    result.build_removed = [p for p in old_summary["build"] if p not in new_summary["build"]]
    result.runtime_added = [p for p in new_summary["runtime"] if p not in old_summary["runtime"]]
    result.runtime_removed = [p for p in old_summary["runtime"] if p not in new_summary["runtime"]]
    if old.cost is not None and new.cost is not None:
        result.size_before = old.cost.image_bytes_multi_stage
        result.size_after = new.cost.image_bytes_multi_stage
        result.build_seconds_before = old.cost.build_seconds_multi_stage.likely
        result.build_seconds_after = new.cost.build_seconds_multi_stage.likely
    return result


def diff_reports(old: Report, new: Report) -> ReportDiff:
    olds = {t.target.id: t for t in old.targets}
    targets = [diff_target(olds[t.target.id], t) for t in new.targets if t.target.id in olds]
    return ReportDiff(old, new, targets)


def introduced_findings(
    rules: list[Rule], old: Report, new: Report, ignore: list[str]
) -> list[Finding]:
    """--fail-on in diff mode: only what the new files bring; what was there already passes."""
    before = {(f.rule, f.target, f.package) for f in evaluate(rules, old.targets, ignore)}
    return [
        f
        for f in evaluate(rules, new.targets, ignore)
        if (f.rule, f.target, f.package) not in before
    ]
