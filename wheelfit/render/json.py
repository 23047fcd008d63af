"""Report -> a JSON-ready dict with a schema_version (schema: docs/schema.json)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from ..models import (
    ImageCost,
    PackageResult,
    Recommendation,
    Report,
    Seconds,
    SystemNeeds,
    TargetReport,
    __version__,
)
from ..sysdeps import knowledge
from ..sysdeps.plan import target_summary

SCHEMA_VERSION = 1


def report_to_dict(report: Report) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "wheelfit", "version": __version__},
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "inputs": report.inputs,
        "options": report.options,
        "input_errors": [
            {"file": e.file, "line": e.line, "text": e.text, "message": e.message}
            for e in report.input_errors
        ],
        "warnings": report.warnings,
        "recommendation": _recommendation(report.recommendation),
        "targets": [_target(t) for t in report.targets],
    }


def _recommendation(choice: Recommendation | None) -> dict[str, Any] | None:
    if choice is None:
        return None
    return {
        "target": choice.target,
        "ranking": choice.ranking,
        "reason": choice.reason,
        "close": choice.close,
        "choices": [
            {
                "target": c.target,
                "roles": list(c.roles),
                "build": c.build,
                "image_bytes": c.image_bytes,
                "build_seconds": _seconds(c.build_seconds),
                "source_builds": c.source_builds,
                "packages_to_add": c.packages_to_add,
                "risks": c.risks,
                "summary": c.summary,
            }
            for c in choice.choices
        ],
    }


def _target(report: TargetReport) -> dict[str, Any]:
    target = report.target
    return {
        "id": target.id,
        "image": target.image,
        "distro": target.distro,
        "libc": str(target.libc),
        "libc_version": target.libc_version_str,
        "arch": target.arch,
        "machine": target.machine,
        "python": target.python,
        "python_full_version": target.python_full_version,
        "has_compiler": target.has_compiler,
        "profile": {
            "python_source": target.python_source,
            "python_packages": list(target.python_packages),
            "pep668": target.pep668,
            "pip": target.pip,
            "shell": target.shell,
            "final_stage_only": target.final_stage_only,
            "build_image": target.build_image,
            "package_manager": target.package_manager,
            "family": target.family,
            "package_names_known": knowledge.family_known(target.family)
            if target.family
            else False,
        },
        "resolution": {"complete": report.complete, "problems": report.problems},
        "totals": report.totals(),
        "skipped": report.skipped,
        "system_packages": target_summary(report),
        "costs": _image_cost(report.cost),
        "packages": [_package(p) for p in report.packages],
    }


def _package(p: PackageResult) -> dict[str, Any]:
    return {
        "name": p.name,
        "version": p.version,
        "status": str(p.status),
        "file": p.file,
        "tag": p.tag,
        "reason": p.reason,
        "required_by": p.required_by,
        "build_only": p.build_only,
        "blocker": p.blocker,
        "incomplete": p.incomplete,
        "languages": p.languages,
        "optional_extension": p.optional_extension,
        "metadata_source": p.metadata_source,
        "older_wheel": p.older_wheel,
        "url": p.url,
        "yanked": p.yanked,
        "notes": p.notes,
        **_system(p.system),
        "installed_bytes": p.cost.installed_bytes if p.cost else None,
        "installed_bytes_source": p.cost.installed_source if p.cost else None,
        "build_seconds": _seconds(p.cost.build_seconds) if p.cost else None,
    }


def _seconds(value: Seconds | None) -> dict[str, Any] | None:
    if value is None:
        return None
    return {
        "low": round(value.low, 1),
        "likely": round(value.likely, 1),
        "high": round(value.high, 1),
        "source": value.source,
    }


def _image_cost(cost: ImageCost | None) -> dict[str, Any] | None:
    """Per image: sizes in bytes and build times in seconds (ranges), single and multi-stage."""
    if cost is None:
        return None
    return {
        "image_bytes": {
            "single_stage": cost.image_bytes_single_stage,
            "multi_stage": cost.image_bytes_multi_stage,
        },
        "base_image_bytes": cost.base_bytes,
        "base_image_compressed_bytes": cost.base_compressed_bytes,
        "python_packages_bytes": cost.python_packages_bytes,
        "runtime_system_bytes": cost.runtime_system_bytes,
        "build_system_bytes": cost.build_system_bytes,
        "build_seconds": {
            "single_stage": _seconds(cost.build_seconds_single_stage),
            "multi_stage": _seconds(cost.build_seconds_multi_stage),
        },
        "system_install_seconds": _seconds(cost.system_install_seconds),
        "source_builds": cost.sources_builds,
        "unsized_packages": cost.unsized,
        "notes": cost.notes,
    }


def _system(needs: SystemNeeds | None) -> dict[str, Any]:
    """Per package: what the image must install for it (empty lists when nothing)."""
    if needs is None:
        return {
            "toolchains": [],
            "build_packages": [],
            "runtime_packages": [],
            "sysdeps_source": None,
            "confidence": None,
            "sysdeps": None,
            "system_version_problems": [],
        }
    return {
        "toolchains": needs.toolchains,
        "build_packages": needs.build_packages,
        "runtime_packages": needs.runtime_packages,
        "sysdeps_source": needs.source or None,
        "confidence": needs.confidence,
        "sysdeps": {
            "already_in_image": needs.already_in_image,
            "unknown": needs.unknown,
            "notes": needs.notes,
        },
        "system_version_problems": [
            {
                "package": v.package,
                "library": v.library,
                "have": v.have,
                "need": v.need,
                "evidence": v.evidence,
                "fix": v.fix,
            }
            for v in needs.version_problems
        ],
    }
