"""Report -> SARIF 2.1.0, so code scanning annotates the requirement lines that cause findings.

One result per package and kind of finding, its images listed in the message, located at the
requirements-file line that brings the package in (for a dependency, the top-level line it
comes through). A finding that matches a --fail-on rule is an error; otherwise unavailable
packages are errors, compiling ones warnings, the rest notes.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from typing import Any

from packaging.utils import canonicalize_name

from ..models import PackageResult, Report, Status, __version__
from ..report.policy import KINDS, Rule, evaluate

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_RULES = {
    "unavailable": ("error", "pip cannot install the package on this image"),
    "native-build": ("warning", "the package compiles from source on this image"),
    "source-build": ("note", "the package builds from source (no compiler needed)"),
    "sysdeps": ("note", "the package needs system packages on this image"),
    "incomplete": ("warning", "part of the package's row is assumed: a file could not be read"),
}
_ORIGIN = re.compile(r"^(?P<file>.+):(?P<line>\d+)$")


def render_sarif(
    report: Report, rules: Iterable[Rule] = (), ignore: Iterable[str] = ()
) -> dict[str, Any]:
    ignore = list(ignore)
    failing = {(f.rule.kind, f.target, f.package) for f in evaluate(rules, report.targets, ignore)}
    grouped: dict[tuple[str, str], dict[str, Any]] = {}
    for target in report.targets:
        by_name: dict[str, PackageResult] = {str(p.name): p for p in target.packages}
        for finding in evaluate([Rule(kind) for kind in KINDS], [target], ignore):
            kind = finding.rule.kind
            if finding.package is None:
                continue
            if kind == "source-build" and by_name[finding.package].status is Status.SDIST_NATIVE:
                continue  # said once, as native-build
            entry = grouped.setdefault(
                (kind, finding.package),
                {
                    "images": [],
                    "message": finding.message,
                    "error": False,
                    "origins": _origins(by_name[finding.package], by_name),
                },
            )
            entry["images"].append(target.target.id)
            entry["error"] |= (kind, target.target.id, finding.package) in failing
    results = [_result(kind, name, entry) for (kind, name), entry in grouped.items()]
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "wheelfit",
                        "version": __version__,
                        "informationUri": "https://pypi.org/project/wheelfit/",
                        "rules": [
                            {
                                "id": kind,
                                "shortDescription": {"text": text},
                                "defaultConfiguration": {"level": level},
                            }
                            for kind, (level, text) in _RULES.items()
                        ],
                    }
                },
                "results": results,
            }
        ],
    }


def _result(kind: str, name: str, entry: dict[str, Any]) -> dict[str, Any]:
    level = "error" if entry["error"] else _RULES[kind][0]
    images = ", ".join(entry["images"])
    origins: list[tuple[str, int, str]] = entry["origins"]
    via = {parent for _, _, parent in origins if parent != name}
    message = f"{entry['message']} [{images}]"
    if via:
        message += f" (comes in through {', '.join(sorted(via))})"
    locations = [
        {
            "physicalLocation": {
                "artifactLocation": {"uri": file, "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": line},
            }
        }
        for file, line, _ in origins[:5]
    ]
    result: dict[str, Any] = {
        "ruleId": kind,
        "ruleIndex": list(_RULES).index(kind),
        "level": level,
        "message": {"text": message},
        "partialFingerprints": {
            "wheelfit/v1": hashlib.sha256(f"{kind}:{name}".encode()).hexdigest()[:32]
        },
    }
    if locations:
        result["locations"] = locations
    return result


def _origins(
    package: PackageResult, by_name: dict[str, PackageResult]
) -> list[tuple[str, int, str]]:
    """(file, line, top-level name) of the input lines this package comes in through."""
    found: list[tuple[str, int, str]] = []
    seen: set[str] = set()
    queue = [package]
    while queue:
        current = queue.pop(0)
        if current.name in seen:
            continue
        seen.add(current.name)
        for parent in current.required_by:
            match = _ORIGIN.match(parent)
            if match:
                found.append((match["file"], int(match["line"]), current.name))
                continue
            words = parent.removeprefix("build of ").split()
            name = canonicalize_name(words[0].split("[")[0]) if words else ""
            if name in by_name:
                queue.append(by_name[name])
    return found
