"""The subcommands beside the report: images, probe, diff and dockerfile."""

from __future__ import annotations

import argparse
import json
import tempfile
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console

from ..analyze import Settings, default_targets
from ..errors import UserError
from ..inputs.gitref import files_at_revision
from ..inputs.secrets import holds_credentials
from ..models import Report, Target
from ..render.diff import diff_to_dict, render_diff_markdown, render_diff_table
from ..render.dockerfile import included_files, outside_build_context, report_dockerfile
from ..render.html import render_diff_html
from ..render.images import images_document, images_table
from ..report.diff import diff_reports, introduced_findings
from ..report.policy import Rule
from ..targets.images import list_images
from ..targets.profile import probe_text
from .arguments import explicit_targets
from .output import exit_code, plain_text, report_findings, run_analysis, write_text
from .process import EXIT_OK, EXIT_USAGE


def print_images(console: Console, argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="wheelfit images", description="the image profiles")
    parser.add_argument("--format", choices=["table", "json"], default="table")
    args = parser.parse_args(argv)
    if args.format == "json":
        text = json.dumps(images_document(list_images()), indent=1)
        console.print(text, markup=False, highlight=False, soft_wrap=True)
    else:
        console.print(images_table(list_images()))
    return EXIT_OK


def probe(console: Console, argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="wheelfit probe",
        description="describe this machine (or image) as an image profile for --image-profile",
    )
    parser.add_argument("-o", "--output", metavar="FILE", help="write the profile to FILE")
    which = parser.add_mutually_exclusive_group()
    which.add_argument(
        "--script", action="store_true", help="print the probe (Python, standard library only)"
    )
    which.add_argument("--sh", action="store_true", help="print the POSIX sh probe")
    args = parser.parse_args(argv)
    text = probe_text("sh" if args.sh else "script" if args.script else "profile")
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        console.file.write(text)
    return EXIT_OK


def run_diff(
    args: argparse.Namespace,
    files: list[str],
    targets: list[Target] | None,
    settings: Settings,
    rules: list[Rule],
    console: Console,
    errors: Console,
) -> int:
    """wheelfit diff OLD NEW, or wheelfit diff --base REF FILE...: the same targets for both."""
    with tempfile.TemporaryDirectory(prefix="wheelfit-base-") as tmp:
        if args.base:
            new_files = files
            old_files, notes = files_at_revision(args.base, files, Path(tmp))
            for note in notes:
                errors.print(f"wheelfit: note: {note}", markup=False)
        elif len(files) == 2:
            old_files, new_files = files[:1], files[1:]
        else:
            raise UserError("wheelfit diff takes OLD NEW, or --base REF and the files to compare")
        # the default targets follow the new files (their declared Python)
        chosen = explicit_targets(args, targets) or default_targets(new_files, None)[0]
        old = run_analysis(old_files, chosen, settings, errors)
        new = run_analysis(new_files, chosen, settings, errors)
    if args.base:
        old.inputs = [f"{f}@{args.base}" for f in files]
    result = diff_reports(old, new)
    if args.format == "json":
        write_text(json.dumps(diff_to_dict(result), indent=2) + "\n", args.output)
    elif args.format == "markdown":
        write_text(render_diff_markdown(result), args.output)
    elif args.format == "html":
        write_text(render_diff_html(result), args.output)
    elif args.format == "sarif":
        raise UserError("wheelfit diff writes table, json or markdown, not sarif")
    elif args.output:
        write_text(plain_text(render_diff_table(result)), args.output)
    else:
        console.print(render_diff_table(result))
    findings = introduced_findings(rules, old, new, args.ignore)
    return exit_code(new, [], args.ignore, errors) or report_findings(findings, errors)


def write_dockerfile(report: Report, files: list[str], output: Path | None, errors: Console) -> int:
    target = report.targets[0]
    included = included_files(report, files)
    with_credentials = [f for f in [*files, *included] if holds_credentials(Path(f))]
    write_text(report_dockerfile(report, target, files, with_credentials), output)
    for path in with_credentials:
        errors.print(
            f"wheelfit: warning: {path} writes credentials out in a URL, and the Dockerfile "
            "copies it into the image: write ${VAR} in their place and give the build the "
            "variable as a secret",
            markup=False,
        )
    for path in outside_build_context(files, included):
        errors.print(
            f"wheelfit: warning: {path} is outside the build context the Dockerfile takes "
            "its files from: COPY cannot reach it; give the files from a folder that holds "
            "every one of them",
            markup=False,
        )
    for problem in target.problems if not target.complete else []:
        errors.print(f"wheelfit: warning: pip would fail: {problem}", markup=False)
    for item in report.input_errors:
        errors.print(f"wheelfit: error: {item}", markup=False, highlight=False)
    return EXIT_USAGE if report.input_errors else EXIT_OK
