"""Report -> rich renderables: one row per package, one column per image, reasons as notes."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from ..models import PackageResult, Report, Status, TargetReport, short_target_id
from ..resolve.candidates import yanked_note
from ..sysdeps.plan import target_summary
from ..units import duration, megabytes

_STYLE = {
    Status.WHEEL: "green",
    Status.SDIST_PURE: "yellow",
    Status.SDIST_NATIVE: "bold red",
    Status.UNAVAILABLE: "bold white on red",
    Status.DIRECT: "cyan",
}
_LABEL = {
    Status.WHEEL: "wheel",
    Status.SDIST_PURE: "sdist (pure)",
    Status.SDIST_NATIVE: "compiles",
    Status.UNAVAILABLE: "unavailable",
    Status.DIRECT: "direct",
}


def _short_platform(tag: str | None) -> str:
    if not tag:
        return ""
    platform = tag.split("-")[-1]
    for arch in ("_x86_64", "_aarch64"):
        platform = platform.removesuffix(arch)
    return platform


def _cell(result: PackageResult | None, shared_version: str | None, note: int | None) -> Text:
    if result is None:
        return Text("—", style="dim")
    text = Text(_LABEL[result.status], style=_STYLE[result.status])
    if result.status is Status.WHEEL:
        text.append(f" {_short_platform(result.tag)}", style="dim")
        if result.blocker:  # installs, then fails at import
            text.append(" fails at import", style="bold red")
    elif result.languages and result.status is Status.SDIST_NATIVE:
        text.append(f" {'/'.join(result.languages)}")
    if result.cost is not None and result.cost.build_seconds is not None:
        seconds = result.cost.build_seconds
        text.append(f" {duration(seconds.low, seconds.high)}", style="dim")
    if result.optional_extension:
        text.append(" (optional)", style="dim")
    if result.version and result.version != shared_version:
        text.append(f" {result.version}", style="bold")
    if note is not None:
        text.append(f" [{note}]", style="dim")
    return text


def _key(result: PackageResult) -> tuple[str, bool]:
    return (result.name, result.build_only)


def render_report(report: Report) -> RenderableType:
    targets = report.targets
    table = Table(
        title="wheelfit: how each package installs",
        show_lines=False,
        header_style="bold",
        expand=False,
    )
    table.add_column("package", no_wrap=True)
    table.add_column("version")
    table.add_column("size", justify="right")
    for target in targets:
        table.add_column(target.target.id.replace("@", "\n"), overflow="fold")
    by_target = [{_key(p): p for p in t.packages} for t in targets]
    keys = sorted({k for m in by_target for k in m}, key=lambda k: (k[1], k[0]))
    # one note per distinct reason: the same gap on three images is said once
    notes: dict[tuple[str, str], tuple[int, list[str]]] = {}
    for key in keys:
        cells = [m.get(key) for m in by_target]
        versions = {c.version for c in cells if c is not None and c.version}
        shared = versions.pop() if len(versions) == 1 else None
        row: list[RenderableType] = [
            Text(key[0] + (" (build)" if key[1] else ""), style="dim" if key[1] else ""),
            shared or "",
            next((package_size(c) for c in cells if c is not None and package_size(c)), ""),
        ]
        for target, cell in zip(targets, cells, strict=True):
            number = None
            if (
                cell is not None
                and (cell.status is not Status.WHEEL or cell.blocker)
                and cell.reason
            ):
                slot = notes.setdefault((key[0], cell.reason), (len(notes) + 1, []))
                slot[1].append(target.target.short_id)
                number = slot[0]
            row.append(_cell(cell, shared, number))
        table.add_row(*row)
    totals: list[RenderableType] = ["total", "", ""]
    for target in targets:
        counts = target.totals()
        totals.append("\n".join(f"{n} {_LABEL[s]}" for s in Status if (n := counts[str(s)])))
    table.add_section()
    table.add_row(*totals, style="bold")
    note_lines = [
        f"[{number}] {name} on {', '.join(where)}: {reason}"
        for (name, reason), (number, where) in notes.items()
    ]
    parts: list[RenderableType] = [table]
    parts += _costs(targets, report.options.get("build_time_factor", 1.0))
    if report.recommendation is not None:
        best = short_target_id(report.recommendation.target)
        line = Text("recommended: ", style="bold")
        line.append(best, style="bold green")
        line.append(f": {report.recommendation.reason}")
        parts.append(line)
        for choice in report.recommendation.choices:
            parts.append(Text(f"  {' and '.join(choice.roles)}: {choice.summary}"))
    parts += _system_packages(targets)
    parts += _version_problems(targets)
    parts += _problems(targets)
    parts += _yanked(targets)
    if note_lines:
        parts.append(Text("\n".join(note_lines)))
    for item in report.input_errors:
        parts.append(Text(f"error: {item}", style="bold red"))
    for warning in report.warnings:
        parts.append(Text(f"note: {warning}", style="yellow"))
    return Group(*parts)


def _costs(targets: list[TargetReport], factor: object) -> list[RenderableType]:
    """One comparison line per image: final size (multi-stage) with a bar, and build time."""
    costed = [t for t in targets if t.cost is not None]
    if not costed:
        return []
    sizes = [t.cost.image_bytes_multi_stage or 0 for t in costed if t.cost]
    largest = max(sizes) or 1
    width = max(len(t.target.short_id) for t in costed)
    machine = "reference machine" if factor == 1.0 else f"reference machine x {factor}"
    lines: list[RenderableType] = [
        Text(f"final image, multi-stage | single-stage; build time ({machine}):")
    ]
    for target, size in zip(costed, sizes, strict=True):
        cost = target.cost
        assert cost is not None
        text = Text(f"{target.target.short_id:<{width}} ")
        bar = round(12 * size / largest) if size else 0
        text.append("█" * bar + "░" * (12 - bar), style="cyan")
        text.append(f" {megabytes(size or None)} | {megabytes(cost.image_bytes_single_stage)}")
        build = cost.build_seconds_multi_stage
        if build.likely:
            text.append(f"; {duration(build.low, build.high)}")
        else:
            text.append("; nothing to build", style="dim")
        if cost.unsized:
            text.append(f"; size unknown: {', '.join(cost.unsized)}", style="yellow")
        lines.append(text)
    # each distinct estimation note once, with the images it applies to
    notes: dict[str, list[str]] = {}
    for target in costed:
        for note in target.cost.notes if target.cost else []:
            notes.setdefault(note, []).append(target.target.short_id)
    for note, where in notes.items():
        scope = "" if len(where) == len(costed) else f" ({', '.join(where)})"
        lines.append(Text(f"  {note}{scope}", style="dim"))
    return lines


def package_size(result: PackageResult) -> str:
    if result.cost is None or result.cost.installed_bytes is None:
        return ""
    return megabytes(result.cost.installed_bytes)


def _system_packages(targets: list[TargetReport]) -> list[RenderableType]:
    """Per image, what to install: build stage, runtime stage, and what nobody knows."""
    lines: list[RenderableType] = []
    for target in targets:
        summary = target_summary(target)
        if not any(summary.values()):
            continue
        image = target.target
        text = Text(f"{image.short_id}: ", style="bold")
        tool = "apk add" if image.family == "alpine" else "apt-get install"
        if image.python_packages:
            text.append(f"its Python, {tool} {' '.join(image.python_packages)}; ")
        if summary["build"]:
            where = f" (in {image.build_image})" if image.final_stage_only else ""
            text.append(f"to build{where}, {tool} {' '.join(summary['build'])}")
        if summary["runtime"]:
            text.append("; " if summary["build"] else "")
            if image.final_stage_only:
                # no package manager: the Dockerfile copies these packages' libraries over
                text.append(f"to run, copy the libraries of {' '.join(summary['runtime'])}")
            else:
                text.append(f"to run, {tool} {' '.join(summary['runtime'])}")
        if summary["unknown"]:
            text.append(
                f"; system libraries unknown for {', '.join(summary['unknown'])}", style="yellow"
            )
        lines.append(text)
    if lines:
        lines.insert(0, Text("system packages (wheelfit dockerfile writes them out):"))
    return lines


def _yanked(targets: list[TargetReport]) -> list[RenderableType]:
    """pip warns when it installs a yanked file: so does the table, once per file."""
    grouped: dict[str, list[str]] = {}
    for target in targets:
        for package in target.packages:
            if package.yanked is not None:
                note = yanked_note(package.file or package.name, package.yanked)
                grouped.setdefault(f"{package.name} {package.version}: {note}", []).append(
                    target.target.short_id
                )
    return [
        Text(f"yanked on {', '.join(where)}: {text}", style="yellow")
        for text, where in grouped.items()
    ]


def _version_problems(targets: list[TargetReport]) -> list[RenderableType]:
    """One line per package, image and library whose version the sdist refuses."""
    lines: list[RenderableType] = []
    for target in targets:
        for package in target.packages:
            for problem in package.system.version_problems if package.system else []:
                text = f"{package.name} {package.version} fails to build: {problem.summary()}"
                lines.append(Text(f"{target.target.short_id}: {text}", style="red"))
    return lines


def _problems(targets: list[TargetReport]) -> list[RenderableType]:
    """Resolution failures and marker skips, each distinct text once with its images."""
    grouped: dict[str, list[str]] = {}
    for target in targets:
        for problem in target.problems if not target.complete else []:
            grouped.setdefault(f"pip would fail: {problem}", []).append(target.target.short_id)
        for skipped in target.skipped:
            text = f"skipped {skipped['name']} ({skipped['origin']}): {skipped['reason']}"
            grouped.setdefault(text, []).append(target.target.short_id)
    return [
        Text(f"{', '.join(where)}: {text}", style="dim" if text.startswith("skipped") else "red")
        for text, where in grouped.items()
    ]


def _python_span(row: dict[str, object]) -> str:
    versions = list(row["python_versions"])  # type: ignore[call-overload]
    pre = [f"{v} rc" for v in row.get("prerelease_pythons", [])]  # type: ignore[attr-defined]
    return f"{versions[0]}-{versions[-1]}" + (f" ({', '.join(pre)})" if pre else "")
