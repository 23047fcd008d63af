"""Report -> GitHub-flavoured Markdown for a pull-request comment or a job summary.

A verdict line per image, a table of what needs attention, everything else folded in
<details>, and a hidden marker (an HTML comment GitHub does not show) so a bot can find its
own comment and update it instead of adding another.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .. import units
from ..models import PackageResult, Report, Status, TargetReport, __version__, short_target_id
from ..resolve.candidates import yanked_note
from ..sysdeps.plan import packages_to_add, target_summary
from ..sysdeps.versions import display_name
from ..units import duration

MARKER = "<!-- wheelfit-report -->"
_LABEL = {
    Status.WHEEL: "wheel",
    Status.SDIST_PURE: "builds from source (no compiler)",
    Status.SDIST_NATIVE: "compiles",
    Status.UNAVAILABLE: "unavailable",
    Status.DIRECT: "direct reference",
}
MAX_CELL = 300


def cell(text: str, limit: int = MAX_CELL) -> str:
    """Text that cannot break a table row: pipes escaped, newlines and excess length cut."""
    flat = " ".join(str(text).split())
    if len(flat) > limit:
        flat = flat[: limit - 1] + "…"
    return flat.replace("|", "\\|").replace("<", "&lt;")


def code(text: str) -> str:
    return f"`{text.replace('`', '')}`"


def megabytes(value: int | None) -> str:
    """As elsewhere, but a package of a few kB reads "<0.1 MB" rather than "0.0 MB"."""
    if value is not None and value < 0.1e6:
        return "<0.1 MB"
    return units.megabytes(value)


def install_line(target: TargetReport, packages: Iterable[str]) -> str:
    names = " ".join(packages)
    image = target.target
    tool = "apk add" if image.family == "alpine" else "apt-get install"
    if image.final_stage_only:
        # no package manager in the image: installed in the build image, libraries copied
        return f"{code(f'{tool} {names}')} in {image.build_image}"
    return code(f"{tool} {names}")


def verdict(target: TargetReport) -> str:
    """One line: does it install, and what has to be added."""
    # a library version the sdist refuses is the most telling failure: said first
    refused = [
        f"{p.name} needs {display_name(v.library)} {v.need}, the image has {v.have}"
        for p in target.packages
        for v in (p.system.version_problems if p.system else [])
    ]
    if refused:
        return f"❌ fails to build: {cell('; '.join(refused), 300)}"
    if not target.complete:
        first = target.problems[0] if target.problems else "see the details"
        return f"❌ pip would fail: {cell(first, 200)}"
    installed = [p for p in target.packages if not p.build_only]
    compiling = [p for p in installed if p.status is Status.SDIST_NATIVE]
    summary = target_summary(target)
    needs = packages_to_add(summary)
    if needs:
        return f"⚠️ {len(compiling)} compile; needs {install_line(target, needs)}"
    if summary["unknown"]:
        unknown = ", ".join(summary["unknown"])
        return f"⚠️ {len(compiling)} compile; system libraries unknown for {unknown}"
    if compiling:
        return f"✅ {len(compiling)} compile with what the image has"
    pure = [p for p in installed if p.status is Status.SDIST_PURE]
    if pure:
        return f"✅ installs; {len(pure)} build from source without a compiler"
    return "✅ installs from wheels"


def render_markdown(report: Report, title: str | None = None) -> str:
    names = ", ".join(code(p) for p in report.inputs)
    lines = [MARKER, f"### {title or f'wheelfit: how {names} installs'}", ""]
    if report.recommendation is not None:
        best = short_target_id(report.recommendation.target)
        lines += [f"**Recommended: {code(best)}**: {cell(report.recommendation.reason)}", ""]
        lines += [
            f"- {' and '.join(c.roles)}: {cell(c.summary)}" for c in report.recommendation.choices
        ]
        lines += [""] if report.recommendation.choices else []
    lines += _verdicts(report.targets)
    lines += _attention(report.targets)
    lines += _version_problems(report.targets)
    for error in report.input_errors:
        where = f"{error.file}:{error.line}" if error.line else error.file
        lines.append(f"- ❗ {code(where)}: {cell(error.message)}")
    lines += ["", *_details(report.targets)]
    lines += [
        "",
        f"<sub>wheelfit {__version__}; sizes and build times are estimates, see "
        "docs/costs.md</sub>",
    ]
    return "\n".join(lines) + "\n"


def _verdicts(targets: list[TargetReport]) -> list[str]:
    rows = ["| image | verdict | final image | build time |", "|---|---|---|---|"]
    for target in targets:
        cost = target.cost
        size = build = ""
        if cost is not None:
            size = megabytes(cost.image_bytes_multi_stage)
            if cost.build_system_bytes:
                size += f" (single-stage {megabytes(cost.image_bytes_single_stage)})"
            seconds = cost.build_seconds_multi_stage
            build = duration(seconds.low, seconds.high) if seconds.likely else "none"
        rows.append(f"| {code(target.target.short_id)} | {verdict(target)} | {size} | {build} |")
    return [*rows, ""]


def _attention(targets: list[TargetReport]) -> list[str]:
    """Every package that is not a plain wheel somewhere, once per distinct reason."""
    grouped: dict[tuple[str, str, str], list[str]] = {}
    for target in targets:
        for package in target.packages:
            yanked = package.yanked is not None
            if package.status is Status.WHEEL and not package.blocker and not yanked:
                continue
            if package.build_only and package.status is not Status.SDIST_NATIVE and not yanked:
                continue
            reason = "; ".join(filter(None, [_gap(package.reason), _yanked(package)]))
            status = _status(package) + (", yanked" if yanked else "")
            key = (_name(package), status, reason)
            grouped.setdefault(key, []).append(target.target.short_id)
    if not grouped:
        return []
    rows = ["#### Needs attention", "", "| package | images | what | why |", "|---|---|---|---|"]
    for (name, status, reason), where in grouped.items():
        images = "all" if len(where) == len(targets) > 1 else ", ".join(where)
        rows.append(f"| {cell(name)} | {cell(images)} | {status} | {cell(reason)} |")
    return [*rows, ""]


def _version_problems(targets: list[TargetReport]) -> list[str]:
    """One line per package, image and library whose version the sdist refuses."""
    lines = []
    for target in targets:
        for package in target.packages:
            for problem in package.system.version_problems if package.system else []:
                where = code(target.target.short_id)
                what = f"{package.name} {package.version}: {problem.summary()}"
                lines.append(f"- ❌ {where}: {cell(what, 600)}")
    return [*lines, ""] if lines else []


# The compiler clause differs per image and the verdict line already says what to install.
_COMPILER_CLAUSE = re.compile(
    r"; (the image has a C compiler|this image has no compiler.*|without a compiler.*)$"
)


def _yanked(package: PackageResult) -> str:
    if package.yanked is None:
        return ""
    return yanked_note(package.file or package.name, package.yanked)


def _gap(reason: str) -> str:
    return _COMPILER_CLAUSE.sub("", reason)


def _name(package: PackageResult) -> str:
    build = " (build)" if package.build_only else ""
    return f"{package.name} {package.version or ''}".strip() + build


def _status(package: PackageResult) -> str:
    text = _LABEL[package.status]
    if package.status is Status.SDIST_NATIVE and package.languages:
        text += f" {'/'.join(package.languages)}"
    if package.cost is not None and package.cost.build_seconds is not None:
        seconds = package.cost.build_seconds
        text += f", {duration(seconds.low, seconds.high)}"
    return text


def _details(targets: list[TargetReport]) -> list[str]:
    keys = sorted({(p.name, p.build_only) for t in targets for p in t.packages})
    by_target = [{(p.name, p.build_only): p for p in t.packages} for t in targets]
    header = "| package | " + " | ".join(code(t.target.short_id) for t in targets) + " |"
    rows = [
        f"<details><summary>All {len(keys)} packages on {len(targets)} images</summary>",
        "",
        header,
        "|---|" + "---|" * len(targets),
    ]
    for key in keys:
        cells = []
        for packages in by_target:
            package = packages.get(key)
            if package is None:
                cells.append("")
                continue
            text = f"{package.version or ''} {_LABEL[package.status]}".strip()
            if package.cost is not None and package.cost.installed_bytes:
                text += f", {megabytes(package.cost.installed_bytes)}"
            cells.append(cell(text))
        name = key[0] + (" (build)" if key[1] else "")
        rows.append(f"| {cell(name)} | " + " | ".join(cells) + " |")
    for target in targets:
        summary = target_summary(target)
        for stage, part in (("to build", "build"), ("to run", "runtime")):
            if summary[part]:
                line = install_line(target, summary[part])
                rows += ["", f"{code(target.target.short_id)} {stage}: {line}"]
    return [*rows, "", "</details>"]
