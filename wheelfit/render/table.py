"""Report -> rich renderables: one row per package, one column per image, reasons as notes."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from ..models import PackageResult, Report, Status, TargetReport

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
    elif result.languages and result.status is Status.SDIST_NATIVE:
        text.append(f" {'/'.join(result.languages)}")
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
    table = Table(title="wheelfit: how each package installs", show_lines=False,
                  header_style="bold", expand=False)
    table.add_column("package", no_wrap=True)
    table.add_column("version")
    for target in targets:
        table.add_column(target.target.id.replace("@", "\n"), overflow="fold")
    by_target = [{_key(p): p for p in t.packages} for t in targets]
    keys = sorted({k for m in by_target for k in m}, key=lambda k: (k[1], k[0]))
    notes: list[str] = []
    for key in keys:
        cells = [m.get(key) for m in by_target]
        versions = {c.version for c in cells if c is not None and c.version}
        shared = versions.pop() if len(versions) == 1 else None
        row: list[RenderableType] = [
            Text(key[0] + (" (build)" if key[1] else ""), style="dim" if key[1] else ""),
            shared or "",
        ]
        for target, cell in zip(targets, cells):
            note = None
            if cell is not None and cell.status is not Status.WHEEL and cell.reason:
                notes.append(f"[{len(notes) + 1}] {key[0]} on {target.target.id}: {cell.reason}")
                note = len(notes)
            row.append(_cell(cell, shared, note))
        table.add_row(*row)
    totals = ["total", ""]
    for target in targets:
        counts = target.totals()
        totals.append(", ".join(f"{n} {_LABEL[s]}" for s in Status if (n := counts[str(s)])))
    table.add_section()
    table.add_row(*totals, style="bold")
    parts: list[RenderableType] = [table]
    parts += _problems(targets)
    if notes:
        parts.append(Text("\n".join(notes)))
    for item in report.input_errors:
        parts.append(Text(f"error: {item}", style="bold red"))
    for warning in report.warnings:
        parts.append(Text(f"note: {warning}", style="yellow"))
    return Group(*parts)


def _problems(targets: list[TargetReport]) -> list[RenderableType]:
    out: list[RenderableType] = []
    for target in targets:
        if not target.complete:
            lines = "\n".join(f"  - {p}" for p in target.problems)
            out.append(Text(f"{target.target.id}: pip would fail here:\n{lines}", style="red"))
        for skipped in target.skipped:
            out.append(Text(f"{target.target.id}: {skipped['name']} ({skipped['origin']}) "
                            f"skipped: {skipped['reason']}", style="dim"))
    return out
