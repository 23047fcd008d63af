"""Report -> one self-contained HTML page: inline CSS and SVG, no script, nothing fetched.

It must work offline and as a CI artifact, so nothing is linked from outside the file. Every
text goes through ``_text`` (credentials redacted, then escaped). Status is said in words and
a symbol as well as in colour, and reasons sit in <details>, which a keyboard opens (Tab,
Enter) and a hover shows through the cell's title.
"""

from __future__ import annotations

import html
from collections.abc import Iterable

from ..errors import redact_url
from ..models import ImageCost, PackageResult, Report, Status, TargetReport, __version__
from ..report.diff import ReportDiff, TargetDiff
from ..sysdeps.plan import packages_to_add, target_summary
from ..units import duration, megabytes
from .dockerfile import report_dockerfile

_LABEL = {
    Status.WHEEL: ("✓", "wheel"),
    Status.SDIST_PURE: ("◐", "builds from source, no compiler"),
    Status.SDIST_NATIVE: ("⚙", "compiles"),
    Status.UNAVAILABLE: ("✗", "unavailable"),
    Status.DIRECT: ("→", "direct reference"),
}
# base image, Python packages, runtime system packages, build packages (single-stage only)
_PARTS = (
    ("base", "base image", "#8a9bb0"),
    ("python", "Python packages", "#3b7dd8"),
    ("runtime", "system packages (runtime)", "#e0a030"),
    ("build", "build packages (single-stage only)", "#c0504d"),
)

_CSS = """
:root { color-scheme: light; --ok: #1e7b34; --warn: #9a6700; --bad: #b42318; }
body { font: 15px/1.45 system-ui, sans-serif; margin: 0; color: #1b1f24; background: #fff; }
main { max-width: 1200px; margin: 0 auto; padding: 1rem 1.5rem 3rem; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 2rem; }
code, pre { font-family: ui-monospace, monospace; font-size: 0.9em; }
pre { background: #f4f6f8; padding: 0.75rem; overflow-x: auto; border: 1px solid #d0d7de; }
.recommend { border: 2px solid var(--ok); padding: 0.75rem 1rem; border-radius: 6px; }
.recommend p { margin: 0.3rem 0; }
table { border-collapse: collapse; margin: 0.5rem 0; }
th, td { border: 1px solid #d0d7de; padding: 0.3rem 0.5rem; text-align: left;
  vertical-align: top; }
th { background: #f4f6f8; }
td.wheel { background: #e6f4ea; } td.sdist-pure { background: #fff4d6; }
td.sdist-native { background: #fde2cf; } td.unavailable { background: #f9d0cc; }
td.direct { background: #e3ecfa; } td.absent { color: #57606a; }
details > summary { cursor: pointer; }
summary:focus-visible, a:focus-visible { outline: 3px solid #0969da; outline-offset: 2px; }
.reason { max-width: 32rem; font-size: 0.9em; }
.charts { display: flex; flex-wrap: wrap; gap: 1.5rem; }
figure { margin: 0; width: 370px; } figcaption { font-weight: 600; }
figure table { width: 100%; } figure td { white-space: nowrap; }
.legend span { display: inline-block; margin-right: 1rem; }
.swatch { display: inline-block; width: 0.9em; height: 0.9em; vertical-align: -0.1em;
  border: 1px solid #1b1f24; margin-right: 0.3em; }
.muted { color: #57606a; } .bad { color: var(--bad); font-weight: 600; }
.added { color: var(--bad); } .removed { color: var(--ok); }
"""


def _text(value: object) -> str:
    return html.escape(redact_url(str(value)))


def _page(title: str, body: list[str]) -> str:
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            '<head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{_text(title)}</title>",
            f"<style>{_CSS}</style></head>",
            "<body><main>",
            *body,
            f'<footer class="muted"><p>wheelfit {_text(__version__)}; sizes and build times'
            " are estimates (docs/costs.md).</p></footer>",
            "</main></body></html>",
            "",
        ]
    )


def render_html(report: Report) -> str:
    names = ", ".join(report.inputs)
    body = [f"<h1>wheelfit: how {_text(names)} installs</h1>"]
    body += _recommendation(report)
    body += _verdicts(report.targets)
    body += _charts(report.targets)
    body += _matrix(report.targets)
    body += _system_packages(report.targets)
    body += _dockerfiles(report)
    body += _notes(report)
    return _page(f"wheelfit: {names}", body)


def _recommendation(report: Report) -> list[str]:
    choice = report.recommendation
    if choice is None:
        return []
    short = choice.target.removesuffix("@amd64")
    lines = [
        '<section class="recommend" id="recommendation" aria-labelledby="rec-title">',
        f'<h2 id="rec-title">Recommended: <code>{_text(short)}</code></h2>',
        f"<p>{_text(choice.reason)}</p>",
        "<ul>",
    ]
    for item in choice.choices:
        roles = " and ".join(item.roles)
        lines.append(f"<li><strong>{_text(roles)}</strong>: {_text(item.summary)}</li>")
    lines.append("</ul>")
    if choice.close:
        close = ", ".join(c.removesuffix("@amd64") for c in choice.close)
        lines.append(f"<p>Within the margin (as good a choice): {_text(close)}</p>")
    ranking = "".join(f"<li>{_text(t.removesuffix('@amd64'))}</li>" for t in choice.ranking)
    lines += [f'<p class="muted">Ranking, best first:</p><ol class="muted">{ranking}</ol>']
    lines.append("</section>")
    return lines


def _verdict(target: TargetReport) -> str:
    """One sentence: does pip succeed, and what has to be added."""
    if not target.complete:
        first = target.problems[0] if target.problems else "see the details"
        return f"✗ pip would fail: {first}"
    compiling = [p for p in target.packages if not p.build_only and p.status is Status.SDIST_NATIVE]
    summary = target_summary(target)
    needs = packages_to_add(summary)
    tool = "apk add" if target.target.family == "alpine" else "apt-get install"
    if needs:
        return f"⚠ {len(compiling)} compile; needs {tool} {' '.join(needs)}"
    if summary["unknown"]:
        return f"⚠ {len(compiling)} compile; system libraries unknown for " + ", ".join(
            summary["unknown"]
        )
    if compiling:
        return f"✓ {len(compiling)} compile with what the image has"
    return "✓ installs from wheels" + (
        "" if all(p.status is Status.WHEEL for p in target.packages) else " and pure sources"
    )


def _verdicts(targets: list[TargetReport]) -> list[str]:
    rows = [
        '<section id="verdicts"><h2>Verdict per image</h2>',
        "<table><thead><tr><th scope='col'>image</th><th scope='col'>verdict</th>"
        "<th scope='col'>final image (multi-stage)</th><th scope='col'>single-stage</th>"
        "<th scope='col'>build time</th></tr></thead><tbody>",
    ]
    for target in targets:
        cost = target.cost
        multi = single = build = "?"
        if cost is not None:
            multi = megabytes(cost.image_bytes_multi_stage)
            single = megabytes(cost.image_bytes_single_stage)
            seconds = cost.build_seconds_multi_stage
            build = duration(seconds.low, seconds.high) if seconds.likely else "nothing to build"
        rows.append(
            f'<tr data-target="{_text(target.target.id)}"><th scope="row">'
            f"<code>{_text(target.target.short_id)}</code></th><td>{_text(_verdict(target))}</td>"
            f"<td>{_text(multi)}</td><td>{_text(single)}</td><td>{_text(build)}</td></tr>"
        )
    return [*rows, "</tbody></table></section>"]


def _parts(cost: ImageCost) -> dict[str, int]:
    return {
        "base": cost.base_bytes or 0,
        "python": cost.python_packages_bytes,
        "runtime": cost.runtime_system_bytes,
        "build": cost.build_system_bytes,
    }


def _charts(targets: list[TargetReport]) -> list[str]:
    costed = [t for t in targets if t.cost is not None]
    if not costed:
        return []
    largest = max(sum(_parts(t.cost).values()) for t in costed if t.cost) or 1
    legend = "".join(
        f'<span><i class="swatch" style="background:{colour}"></i>{_text(label)}</span>'
        for _, label, colour in _PARTS
    )
    lines = [
        '<section id="sizes"><h2>Final image size and build time</h2>',
        f'<p class="legend">{legend}</p><div class="charts">',
    ]
    for target in costed:
        assert target.cost is not None
        lines += _chart(target, target.cost, largest)
    return [*lines, "</div></section>"]


def _chart(target: TargetReport, cost: ImageCost, largest: int) -> list[str]:
    """Two stacked bars (multi-stage, single-stage) on a scale shared by all images, with
    the figures in a table under it: the chart is never the only place a number is."""
    parts = _parts(cost)
    width, bar = 360, 22
    rows = []
    for row, (stage, kept) in enumerate(
        (("multi-stage", ("base", "python", "runtime")), ("single-stage", tuple(parts)))
    ):
        y = 8 + row * (bar + 26)
        total = sum(parts[k] for k in kept)
        rows.append(f'<text x="0" y="{y + 15}" font-size="12">{_text(stage)}</text>')
        x = 90.0
        for key, label, colour in _PARTS:
            if key not in kept or not parts[key]:
                continue
            span = (width - 90) * parts[key] / largest
            rows.append(
                f'<rect class="part-{key}" x="{x:.1f}" y="{y}" width="{max(span, 1):.1f}" '
                f'height="{bar}" fill="{colour}" stroke="#1b1f24" stroke-width="0.5">'
                f"<title>{_text(stage)}: {_text(label)} {_text(megabytes(parts[key]))}</title>"
                "</rect>"
            )
            x += span
        rows.append(
            f'<text x="90" y="{y + bar + 14}" font-size="12">{_text(megabytes(total))}</text>'
        )
    seconds = cost.build_seconds_multi_stage
    build = duration(seconds.low, seconds.high) if seconds.likely else "nothing to build"
    label = (
        f"{target.target.short_id}: multi-stage {megabytes(cost.image_bytes_multi_stage)}, "
        f"single-stage {megabytes(cost.image_bytes_single_stage)}, build time {build}"
    )
    figures = "".join(
        f"<tr><th scope='row'>{_text(name)}</th><td>{_text(megabytes(parts[key]))}</td></tr>"
        for key, name, _ in _PARTS
    )
    return [
        f'<figure class="size-chart" data-target="{_text(target.target.id)}">',
        f"<figcaption><code>{_text(target.target.short_id)}</code></figcaption>",
        f'<svg role="img" aria-label="{_text(label)}" width="{width}" height="{2 * bar + 60}" '
        f'viewBox="0 0 {width} {2 * bar + 60}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{_text(label)}</title>",
        *rows,
        "</svg>",
        f"<p>build time (multi-stage): {_text(build)}</p>",
        f"<table class='figures'>{figures}</table>",
        "</figure>",
    ]


def _matrix(targets: list[TargetReport]) -> list[str]:
    keys = sorted({(p.name, p.build_only) for t in targets for p in t.packages}, key=_order)
    by_target = [{(p.name, p.build_only): p for p in t.packages} for t in targets]
    header = "".join(
        f'<th scope="col" data-target="{_text(t.target.id)}"><code>'
        f"{_text(t.target.short_id)}</code></th>"
        for t in targets
    )
    lines = [
        '<section id="packages"><h2>How each package installs</h2>',
        '<p class="muted">✓ wheel · ◐ builds from source, no compiler · ⚙ compiles · '
        "✗ unavailable · → direct reference. Open a cell (Enter) for the reason.</p>",
        f'<table class="matrix"><thead><tr><th scope="col">package</th>{header}</tr></thead>',
        "<tbody>",
    ]
    for key in keys:
        name = key[0] + (" (build)" if key[1] else "")
        cells = "".join(_cell(packages.get(key)) for packages in by_target)
        lines.append(
            f'<tr data-package="{_text(key[0])}"><th scope="row">{_text(name)}</th>{cells}</tr>'
        )
    return [*lines, "</tbody></table></section>"]


def _order(key: tuple[str, bool]) -> tuple[bool, str]:
    return (key[1], key[0])


def _cell(package: PackageResult | None) -> str:
    if package is None:
        return '<td class="absent">— not needed</td>'
    symbol, label = _LABEL[package.status]
    text = f"{symbol} {label} {package.version or ''}".strip()
    if package.cost is not None and package.cost.build_seconds is not None:
        seconds = package.cost.build_seconds
        text += f", {duration(seconds.low, seconds.high)}"
    why = [package.reason] if package.reason else []
    if package.file:
        why.append(f"file: {package.file}")
    if package.system is not None:
        needs = package.system
        if needs.build_packages:
            why.append("to build: " + " ".join(needs.build_packages))
        if needs.runtime_packages:
            why.append("to run: " + " ".join(needs.runtime_packages))
        if needs.unknown:
            why.append("system libraries unknown")
    why += package.notes
    status = str(package.status)
    if not why:
        return f'<td class="{status}">{_text(text)}</td>'
    items = "".join(f"<li>{_text(w)}</li>" for w in why)
    return (
        f'<td class="{status}" title="{_text(" · ".join(why))}"><details>'
        f'<summary>{_text(text)}</summary><ul class="reason">{items}</ul></details></td>'
    )


def _system_packages(targets: list[TargetReport]) -> list[str]:
    lines = ['<section id="system"><h2>System packages per image</h2>', "<dl>"]
    for target in targets:
        summary = target_summary(target)
        tool = "apk add" if target.target.family == "alpine" else "apt-get install"
        lines.append(f"<dt><code>{_text(target.target.short_id)}</code></dt>")
        if not any(summary.values()):
            lines.append("<dd>nothing to add</dd>")
        for part, what in (("build", "build stage"), ("runtime", "final stage (to run)")):
            if summary[part]:
                names = " ".join(summary[part])
                lines.append(f"<dd>{_text(what)}: <code>{_text(f'{tool} {names}')}</code></dd>")
        if summary["unknown"]:
            unknown = ", ".join(summary["unknown"])
            lines.append(f'<dd class="bad">system libraries unknown for {_text(unknown)}</dd>')
    return [*lines, "</dl></section>"]


def _dockerfiles(report: Report) -> list[str]:
    lines = ['<section id="dockerfiles"><h2>Dockerfile per image</h2>']
    for target in report.targets:
        if target.target.image is None or target.target.family is None:
            continue  # a raw platform has no image to write a Dockerfile for
        text = report_dockerfile(report, target)  # with the run's indexes and choices
        lines.append(
            f'<details data-target="{_text(target.target.id)}"><summary>Dockerfile for '
            f"<code>{_text(target.target.short_id)}</code></summary>"
            f"<pre><code>{_text(text)}</code></pre></details>"
        )
    return [*lines, "</section>"]


def _notes(report: Report) -> list[str]:
    grouped: dict[str, list[str]] = {}  # each distinct note once, with its images
    for target in report.targets:
        texts = [f"pip would fail: {p}" for p in target.problems] if not target.complete else []
        texts += target.cost.notes if target.cost is not None else []
        for text in texts:
            grouped.setdefault(text, []).append(target.target.short_id)
    items = [
        text if len(where) == len(report.targets) > 1 else f"{', '.join(where)}: {text}"
        for text, where in grouped.items()
    ]
    items += [f"error: {error}" for error in report.input_errors]
    items += [f"note: {warning}" for warning in report.warnings]
    if not items:
        return []
    return ['<section id="notes"><h2>Notes</h2><ul>', *_items(items), "</ul></section>"]


def _items(texts: Iterable[str]) -> list[str]:
    return [f"<li>{_text(t)}</li>" for t in texts]


def render_diff_html(diff: ReportDiff) -> str:
    """Before and after, per image: changed packages, system packages, size and build time."""
    old, new = ", ".join(diff.old.inputs), ", ".join(diff.new.inputs)
    body = [f"<h1>wheelfit diff: {_text(old)} → {_text(new)}</h1>"]
    before, after = diff.old.recommendation, diff.new.recommendation
    if before is not None and after is not None:
        was, now = (r.target.removesuffix("@amd64") for r in (before, after))
        said = (
            f"stays <code>{_text(now)}</code>"
            if was == now
            else (f"was <code>{_text(was)}</code>, is now <code>{_text(now)}</code>")
        )
        body.append(f'<p id="recommendation-change">The recommended image {said}.</p>')
    if not diff.changed:
        body.append("<p>No change on any image.</p>")
    for target in diff.targets:
        body += _diff_target(target)
    body += _recommendation(diff.new)
    return _page(f"wheelfit diff: {new}", body)


def _diff_target(target: TargetDiff) -> list[str]:
    short = target.target.removesuffix("@amd64")
    lines = [
        f'<section class="diff-target" data-target="{_text(target.target)}">',
        f"<h2><code>{_text(short)}</code></h2>",
        "<table><thead><tr><th scope='col'></th><th scope='col'>before</th>"
        "<th scope='col'>after</th></tr></thead><tbody>",
        f"<tr><th scope='row'>pip succeeds</th><td>{_yes(target.complete_before)}</td>"
        f"<td>{_yes(target.complete_after)}</td></tr>",
        f"<tr><th scope='row'>final image (multi-stage)</th>"
        f"<td>{_text(megabytes(target.size_before))}</td>"
        f"<td>{_text(megabytes(target.size_after))}</td></tr>",
        f"<tr><th scope='row'>build time (likely)</th>"
        f"<td>{target.build_seconds_before:.0f} s</td>"
        f"<td>{target.build_seconds_after:.0f} s</td></tr>",
        "</tbody></table>",
    ]
    if target.packages:
        lines.append(
            "<table><thead><tr><th scope='col'>package</th><th scope='col'>change</th>"
            "<th scope='col'>before</th><th scope='col'>after</th><th scope='col'>why</th>"
            "</tr></thead><tbody>"
        )
        for change in target.packages:
            name = change.name + (" (build)" if change.build_only else "")
            lines.append(
                f'<tr data-package="{_text(change.name)}"><th scope="row">{_text(name)}</th>'
                f"<td>{_text(change.change)}</td><td>{_text(change.before or '—')}</td>"
                f"<td>{_text(change.after or '—')}</td>"
                f'<td class="reason">{_text(change.reason)}</td></tr>'
            )
        lines.append("</tbody></table>")
    for label, names, css in (
        ("build packages added", target.build_added, "added"),
        ("build packages removed", target.build_removed, "removed"),
        ("runtime packages added", target.runtime_added, "added"),
        ("runtime packages removed", target.runtime_removed, "removed"),
    ):
        if names:
            lines.append(
                f'<p class="{css}">{_text(label)}: <code>{_text(" ".join(names))}</code></p>'
            )
    if not target.changed:
        lines.append("<p>No change.</p>")
    return [*lines, "</section>"]


def _yes(value: bool) -> str:
    return "yes" if value else '<span class="bad">no</span>'
