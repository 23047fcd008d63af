"""The command line: with ci/, the only code that prints or exits."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from ..analyze import Settings
from ..errors import KnowledgeBaseError, UserError, WheelfitError, describe_unexpected
from ..inputs.paths import check_cache_dir, index_url_problem
from ..render.output import check_output_path
from ..render.output import redacted as _redacted
from ..report.policy import parse_rules
from .arguments import (
    apply_config,
    build_parser,
    build_time_factor,
    explicit_targets,
    parse_date,
    python_overridden,
    targets_from_args,
)
from .output import exit_code, plain_text, render_text, run_analysis, write_text
from .process import (
    EXIT_FINDINGS,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    collect_garbage_less_often,
    exit_at_once,
    use_one_malloc_arena,
)
from .terminal import lazy_console

if TYPE_CHECKING:
    from rich.console import Console

__all__ = [
    "EXIT_FINDINGS",
    "EXIT_INTERNAL",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "build_parser",
    "entrypoint",
    "main",
    "use_one_malloc_arena",
]


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    no_color = bool(os.environ.get("NO_COLOR")) or None
    # soft_wrap: an error line stays whole, so file:line can be copied or grepped
    errors = lazy_console(_redacted(sys.stderr), no_color=no_color, soft_wrap=True)
    try:
        return _main(argv, errors)
    except Exception as exc:  # the last guard: a bug must not dump a traceback with secrets
        errors.print(describe_unexpected(exc, "--debug" in argv), markup=False, highlight=False)
        return EXIT_INTERNAL


def _main(argv: list[str], errors: Console) -> int:
    no_color = bool(os.environ.get("NO_COLOR")) or None
    console = lazy_console(_redacted(sys.stdout), no_color=no_color)
    # the subcommands and the table are imported when used: start-up is most of a run
    # answered from stored results
    if argv[:1] == ["images"] and not Path("images").exists():
        from .commands import print_images

        return print_images(console, argv[1:])
    if argv[:1] == ["probe"] and not Path("probe").exists():
        from .commands import probe

        try:
            return probe(console, argv[1:])
        except OSError as exc:
            errors.print(f"wheelfit: error: {exc}", markup=False)
            return EXIT_USAGE
    # a subcommand only when no file of that name is meant
    dockerfile = argv[:1] == ["dockerfile"] and not Path("dockerfile").exists()
    diff = argv[:1] == ["diff"] and not Path("diff").exists()
    if dockerfile or diff:
        argv = argv[1:]
    parser = build_parser()
    args = parser.parse_args(argv)
    files = list(args.files) + list(args.requirement)
    if not files:
        parser.print_usage(sys.stderr)
        errors.print("wheelfit: error: give at least one requirements file")
        return EXIT_USAGE
    try:
        apply_config(args)
        rules = parse_rules(args.fail_on)
        if args.output is not None:
            check_output_path(args.output)
        if args.cache_dir is not None and not args.no_cache:
            check_cache_dir(args.cache_dir)
        for option, url in [
            ("--index-url", args.index_url),
            *(("--extra-index-url", u) for u in args.extra_index_url),
            *(("--find-links", u) for u in args.find_links if "://" in u),
        ]:
            if url is not None and (problem := index_url_problem(url)):
                raise UserError(f"{option}: {problem}")
        targets = targets_from_args(args, files)
        images = len(args.image) + len(args.image_profile)
        if dockerfile and (images != 1 or args.platform or len(args.arch) > 1):
            raise UserError(
                "wheelfit dockerfile writes one Dockerfile: give exactly one --image "
                "(e.g. --image alpine) or --image-profile, and at most one --arch"
            )
        if dockerfile and targets and targets[0].package_manager not in ("apt", "apk"):
            raise UserError(
                f"wheelfit dockerfile writes apt and apk lines only: {targets[0].image} has "
                f"{targets[0].package_manager or 'no package manager'}"
            )
        settings = Settings(
            index_url=args.index_url,
            extra_index_urls=args.extra_index_url,
            pre=args.pre,
            prefer_binary=args.prefer_binary,
            no_index=args.no_index,
            find_links=args.find_links,
            format_steps=args.format_steps,
            exclude_newer=parse_date(args.exclude_newer) if args.exclude_newer else None,
            cache_dir=args.cache_dir,
            no_cache=args.no_cache,
            offline=args.offline,
            build_requirements=not args.no_build_deps,
            costs=not args.no_costs,
            build_speed_factor=build_time_factor(args.build_time_factor),
            extras=args.extra,
            groups=args.group,
            all_extras=args.all_extras,
        )
        if diff:
            from .commands import run_diff

            return run_diff(args, files, targets, settings, rules, console, errors)
        report = run_analysis(files, explicit_targets(args, targets), settings, errors)
        report.warnings += python_overridden(args.python, targets or [])
    except UserError as exc:
        errors.print(f"wheelfit: error: {exc}", markup=False, highlight=False)
        return EXIT_USAGE
    except KnowledgeBaseError as exc:
        errors.print(f"wheelfit: internal error: {exc}", markup=False)
        return EXIT_INTERNAL
    except WheelfitError as exc:
        errors.print(f"wheelfit: error: {exc}", markup=False)
        return EXIT_INTERNAL
    try:
        if dockerfile:
            from .commands import write_dockerfile

            return write_dockerfile(report, files, args.output, errors)
        if args.format in ("json", "markdown", "sarif", "html"):
            write_text(render_text(args.format, report, rules, args.ignore), args.output)
        else:
            from ..render.table import render_report

            if args.output:
                write_text(plain_text(render_report(report)), args.output)
            else:
                console.print(render_report(report))
    except UserError as exc:
        errors.print(f"wheelfit: error: {exc}", markup=False, highlight=False)
        return EXIT_USAGE
    return exit_code(report, rules, args.ignore, errors)


def entrypoint() -> None:
    use_one_malloc_arena()
    collect_garbage_less_often()
    try:
        code = main()
    except KeyboardInterrupt:
        interrupted()
    exit_at_once(code)


def interrupted() -> NoReturn:
    """Ctrl-C: a short message and exit 130 now. Threads still computing a resolution
    would hold a normal exit until they finish; their network work is already stopped."""
    with contextlib.suppress(Exception):
        sys.stdout.flush()
    with contextlib.suppress(Exception):
        sys.stderr.write("wheelfit: interrupted\n")
        sys.stderr.flush()
    os._exit(EXIT_INTERRUPTED)
