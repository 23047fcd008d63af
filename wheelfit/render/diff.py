"""ReportDiff -> JSON, Markdown (a pull-request comment) and terminal text."""

from __future__ import annotations

from typing import Any

from rich.console import Group, RenderableType
from rich.text import Text

from ..models import __version__, short_target_id
from ..report.diff import ReportDiff, TargetDiff
from .markdown import MARKER, cell, code, megabytes, verdict

DIFF_SCHEMA_VERSION = 1


def diff_to_dict(diff: ReportDiff) -> dict[str, Any]:
    return {
        "schema_version": DIFF_SCHEMA_VERSION,
        "kind": "diff",
        "tool": {"name": "wheelfit", "version": __version__},
        "old_inputs": diff.old.inputs,
        "new_inputs": diff.new.inputs,
        "changed": diff.changed,
        "targets": [
            {
                "id": t.target,
                "changed": t.changed,
                "complete": {"before": t.complete_before, "after": t.complete_after},
                "packages": [change.__dict__ for change in t.packages],
                "build_packages": {"added": t.build_added, "removed": t.build_removed},
                "runtime_packages": {"added": t.runtime_added, "removed": t.runtime_removed},
                "image_bytes": {
                    "before": t.size_before,
                    "after": t.size_after,
                    "delta": t.size_delta,
                },
                "build_seconds": {
                    "before": round(t.build_seconds_before, 1),
                    "after": round(t.build_seconds_after, 1),
                    "delta": round(t.build_seconds_after - t.build_seconds_before, 1),
                },
            }
            for t in diff.targets
        ],
    }


def _signed_mb(delta: int | None) -> str:
    if delta is None:
        return "?"
    return f"{delta / 1e6:+.1f} MB" if abs(delta) < 10e6 else f"{delta / 1e6:+.0f} MB"


def _headline(target: TargetDiff) -> str:
    """One line per image: the changes that matter to whoever reviews the pull request."""
    if not target.changed:
        return "no change"
    parts = []
    if target.complete_before and not target.complete_after:
        parts.append("❌ pip now fails")
    elif not target.complete_before and target.complete_after:
        parts.append("✅ pip no longer fails")
    # a package that is added and compiles counts as much as one that starts compiling
    starts = [c.name for c in target.packages if c.compiles_after and not c.compiles_before]
    stops = [c.name for c in target.packages if c.compiles_before and not c.compiles_after]
    if starts:
        parts.append(f"⚠️ now compiles {', '.join(starts)}")
    if stops:
        parts.append(f"no longer compiles {', '.join(stops)}")
    if target.build_added or target.runtime_added:
        parts.append(f"needs {' '.join(target.build_added + target.runtime_added)}")
    if target.build_removed or target.runtime_removed:
        parts.append(f"no longer needs {' '.join(target.build_removed + target.runtime_removed)}")
    others = len(target.packages) - len(starts) - len(stops)
    if others:
        parts.append(f"{others} other package changes")
    return "; ".join(parts)


def render_diff_markdown(diff: ReportDiff) -> str:
    files = ", ".join(code(p) for p in diff.new.inputs)
    lines = [MARKER, f"### wheelfit: what this change to {files} does to each image", ""]
    if not diff.changed:
        lines += ["No change on any image.", ""]
    lines += ["| image | change | final image | build time | now |", "|---|---|---|---|---|"]
    news = {t.target.id: t for t in diff.new.targets}
    for target in diff.targets:
        delta = target.build_seconds_after - target.build_seconds_before
        build = f"{delta:+.0f} s" if abs(delta) >= 1 else "±0 s"
        size = (
            f"{_signed_mb(target.size_delta)} ({megabytes(target.size_after)})"
            if target.size_after is not None
            else "?"
        )
        now = verdict(news[target.target])
        image = code(short_target_id(target.target))
        lines.append(f"| {image} | {cell(_headline(target))} | {size} | {build} | {now} |")
    changes = [(t, c) for t in diff.targets for c in t.packages]
    if changes:
        lines += [
            "",
            "<details><summary>Package changes</summary>",
            "",
            "| image | package | change | before | after | why |",
            "|---|---|---|---|---|---|",
        ]
        for target, change in changes:
            name = change.name + (" (build)" if change.build_only else "")
            lines.append(
                f"| {code(short_target_id(target.target))} | {cell(name)} | {change.change} | "
                f"{cell(change.before or '')} | {cell(change.after or '')} | "
                f"{cell(change.reason)} |"
            )
        lines += ["", "</details>"]
    lines += ["", f"<sub>wheelfit {__version__}; sizes and build times are estimates</sub>"]
    return "\n".join(lines) + "\n"


def render_diff_table(diff: ReportDiff) -> RenderableType:
    parts: list[RenderableType] = [
        Text("wheelfit diff: what the change does to each image", style="bold")
    ]
    for target in diff.targets:
        line = Text(f"{short_target_id(target.target)}: ", style="bold")
        line.append(_headline(target))
        if target.size_after is not None:
            line.append(f"; final image {_signed_mb(target.size_delta)}", style="cyan")
        delta = target.build_seconds_after - target.build_seconds_before
        if abs(delta) >= 1:
            line.append(f"; build {delta:+.0f} s", style="cyan")
        parts.append(line)
        for change in target.packages:
            before = change.before or "-"
            after = change.after or "-"
            name = change.name + (" (build)" if change.build_only else "")
            parts.append(Text(f"    {name}: {change.change}: {before} -> {after}", style="dim"))
    return Group(*parts)
