"""Running the analysis for the command and writing what it found: text, findings, exit code."""

from __future__ import annotations

import io
import json
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from ..analyze import Settings, analyze
from ..errors import redact_url
from ..models import Report, Target
from ..render.json import report_to_dict
from ..render.output import write_output
from ..report.policy import Finding, Rule, evaluate
from .process import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE

if TYPE_CHECKING:
    from rich.console import Console


class Progress:
    """Counts fetches for the spinner; the client calls it from many threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.network = 0
        self.cached = 0
        self.last = ""

    def fetched(self, kind: str, what: str, from_cache: bool) -> None:
        with self.lock:
            if from_cache:
                self.cached += 1
            else:
                self.network += 1
            self.last = redact_url(what).rstrip("/").rsplit("/", 1)[-1]

    def line(self) -> str:
        return f"resolving: {self.network} fetched, {self.cached} from cache  {self.last}"


def plain_text(renderable: object) -> str:
    from rich.console import Console

    buffer = io.StringIO()
    Console(file=buffer, width=160, no_color=True).print(renderable)
    return buffer.getvalue()


def render_text(form: str, report: Report, rules: list[Rule], ignore: list[str]) -> str:
    # each format's module is imported when asked for: start-up counts on a warm run
    if form == "markdown":
        from ..render.markdown import render_markdown

        return render_markdown(report)
    if form == "html":
        from ..render.html import render_html

        return render_html(report)
    if form == "sarif":
        from ..render.sarif import render_sarif

        return json.dumps(render_sarif(report, rules, ignore), indent=2) + "\n"
    return json.dumps(report_to_dict(report), indent=2) + "\n"


def write_text(text: str, output: Path | None) -> None:
    text = redact_url(text)
    if output:
        write_output(output, text)
    else:
        sys.stdout.write(text)


def exit_code(report: Report, rules: list[Rule], ignore: list[str], errors: Console) -> int:
    """2 for input or network errors, else 1 when a --fail-on rule matches, else 0."""
    if report.input_errors:
        for item in report.input_errors:
            errors.print(f"wheelfit: error: {item}", markup=False, highlight=False)
        errors.print("fix or remove the lines above; the report covers the rest", markup=False)
        return EXIT_USAGE
    unreadable = {name: why for t in report.targets for name, why in t.fetch_errors.items()}
    if unreadable:
        for name, why in sorted(unreadable.items()):
            errors.print(f"wheelfit: error: {name}: {why}", markup=False, highlight=False)
        errors.print("the index could not be read for these; the report covers the rest")
        return EXIT_USAGE
    return report_findings(evaluate(rules, report.targets, ignore), errors)


def report_findings(findings: list[Finding], errors: Console) -> int:
    if findings:
        count = "1 finding matches" if len(findings) == 1 else f"{len(findings)} findings match"
        errors.print(f"wheelfit: {count} --fail-on:", markup=False)
        for finding in findings[:20]:
            errors.print(
                f"  [{finding.rule}] {finding.target}: {finding.message}",
                markup=False,
                highlight=False,
            )
        if len(findings) > 20:
            errors.print(f"  ... and {len(findings) - 20} more", markup=False)
        return EXIT_FINDINGS
    return EXIT_OK


def run_analysis(
    files: list[str], targets: list[Target] | None, settings: Settings, errors: Console
) -> Report:
    """analyze(), with a progress line on stderr when it is a terminal."""
    if not errors.is_terminal:
        return analyze(files, targets, settings)
    progress = Progress()
    with errors.status(progress.line()) as status:
        stop = threading.Event()

        def tick() -> None:
            while not stop.wait(0.2):
                status.update(progress.line())

        ticker = threading.Thread(target=tick, daemon=True)
        ticker.start()
        try:
            return analyze(files, targets, settings, observer=progress)
        finally:
            stop.set()
