"""--fail-on: which findings make wheelfit exit 1, for CI and pre-commit.

A rule is a finding kind (``source-build``, ``native-build``, ``unavailable``, ``sysdeps``,
``incomplete``: a row partly assumed because a file could not be read)
or a threshold (``size>500MB`` on the multi-stage final image, ``build-time>300`` seconds on
the likely build time). Findings are checked per target; packages the user ignores
(``--ignore`` / ``[tool.wheelfit] ignore``) never match.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from packaging.utils import canonicalize_name

from ..errors import UserError
from ..models import PackageResult, Status, TargetReport

KINDS = ("source-build", "native-build", "unavailable", "sysdeps", "incomplete")
_THRESHOLD = re.compile(r"^(size|build-time)\s*>\s*([\d.]+)\s*([a-z]*)$", re.I)
_SIZE_UNITS = {
    "": 1,
    "b": 1,
    "kb": 10**3,
    "mb": 10**6,
    "gb": 10**9,
    "kib": 2**10,
    "mib": 2**20,
    "gib": 2**30,
}
_TIME_UNITS = {"": 1, "s": 1, "min": 60, "m": 60, "h": 3600}


@dataclass(frozen=True)
class Rule:
    kind: str  # one of KINDS, or "size" / "build-time"
    limit: float = 0.0  # bytes or seconds, for thresholds

    def __str__(self) -> str:
        if self.kind == "size":
            return f"size>{self.limit / 1e6:g}MB"
        if self.kind == "build-time":
            return f"build-time>{self.limit:g}s"
        return self.kind


@dataclass(frozen=True)
class Finding:
    rule: Rule
    target: str
    package: str | None  # None for image-wide findings (size, build time)
    message: str


def parse_rules(values: Iterable[str]) -> list[Rule]:
    """Comma-separated or repeated values; an unknown rule is a usage error."""
    rules = []
    for value in values:
        for word in filter(None, (w.strip() for w in value.split(","))):
            rules.append(_parse_rule(word))
    return rules


def _parse_rule(word: str) -> Rule:
    if word.lower() in KINDS:
        return Rule(word.lower())
    match = _THRESHOLD.match(word.replace(" ", ""))
    if match:
        kind, number, unit = match.group(1).lower(), float(match.group(2)), match.group(3).lower()
        units = _SIZE_UNITS if kind == "size" else _TIME_UNITS
        if unit in units:
            return Rule(kind, number * units[unit])
    raise UserError(
        f"--fail-on: unknown rule {word!r}; use {', '.join(KINDS)}, size>SIZE (e.g. "
        "size>500MB) or build-time>SECONDS (e.g. build-time>300)"
    )


def evaluate(
    rules: Iterable[Rule], targets: Iterable[TargetReport], ignored: Iterable[str] = ()
) -> list[Finding]:
    ignore: set[str] = {canonicalize_name(n) for n in ignored}
    findings: list[Finding] = []
    for rule in rules:
        for target in targets:
            findings += _check(rule, target, ignore)
    return findings


def _check(rule: Rule, target: TargetReport, ignore: set[str]) -> list[Finding]:
    where = target.target.id
    packages = [p for p in target.packages if canonicalize_name(p.name) not in ignore]
    if rule.kind in ("source-build", "native-build", "unavailable", "incomplete"):
        return [
            Finding(rule, where, p.name, f"{p.name} {p.version or ''}: {_why(rule, p)}".strip())
            for p in packages
            if _matches(rule.kind, p)
        ]
    if rule.kind == "sysdeps":
        found = []
        for package in packages:
            needs = package.system
            if needs and (needs.build_packages or needs.runtime_packages or needs.unknown):
                wanted = needs.build_packages + needs.runtime_packages
                what = ", ".join(wanted) if wanted else "unknown system libraries"
                found.append(Finding(rule, where, package.name, f"{package.name} needs {what}"))
            for problem in needs.version_problems if needs else []:
                text = f"{package.name} {package.version}: the build fails: {problem.summary()}"
                found.append(Finding(rule, where, package.name, text))
        return found
    cost = target.cost
    if cost is None:
        return []
    size_bytes = cost.image_bytes_multi_stage
    if rule.kind == "size" and size_bytes is not None and size_bytes > rule.limit:
        size = size_bytes / 1e6
        return [Finding(rule, where, None, f"final image {size:.0f} MB is over the limit")]
    if rule.kind == "build-time" and cost.build_seconds_multi_stage.likely > rule.limit:
        seconds = cost.build_seconds_multi_stage.likely
        return [Finding(rule, where, None, f"build takes about {seconds:.0f} s, over the limit")]
    return []


def _matches(kind: str, package: PackageResult) -> bool:
    if kind == "incomplete":
        return package.incomplete is not None
    if kind == "unavailable":
        return package.status is Status.UNAVAILABLE or package.blocker
    if kind == "native-build":
        return package.status is Status.SDIST_NATIVE
    return package.status in (Status.SDIST_NATIVE, Status.SDIST_PURE)


def _why(rule: Rule, package: PackageResult) -> str:
    if rule.kind == "incomplete":
        return f"not fully read: {package.incomplete}"
    return package.reason
