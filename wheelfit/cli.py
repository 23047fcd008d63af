"""The command line: the only module that prints or exits."""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import io
import json
import os
import platform
import sys
import tempfile
import threading
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, NoReturn

from rich.console import Console

from .analyze import Settings, analyze, default_targets
from .errors import KnowledgeBaseError, UserError, WheelfitError, describe_unexpected, redact_url
from .inputs.config import Config, as_list, load_config
from .inputs.gitref import files_at_revision
from .inputs.paths import check_cache_dir, index_url_problem
from .models import Report, Target, __version__
from .render.diff import diff_to_dict, render_diff_markdown, render_diff_table
from .render.dockerfile import render_dockerfile
from .render.html import render_diff_html, render_html
from .render.images import images_document, images_table
from .render.json import report_to_dict
from .render.markdown import render_markdown
from .render.output import check_output_path, write_output
from .render.output import redacted as _redacted
from .render.sarif import render_sarif
from .render.table import render_report
from .report.diff import diff_reports, introduced_findings
from .report.policy import Finding, Rule, evaluate, parse_rules
from .targets.images import list_images, normalize_arch, target_from_image, target_from_platform
from .targets.profile import probe_text, target_from_profile

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it


class _Parser(argparse.ArgumentParser):
    def _print_message(self, message: str, file: Any = None) -> None:
        # argparse echoes bad values (an --index-url among them) in its errors
        super()._print_message(redact_url(message), file)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="wheelfit",
        description="Predict how each package of a requirements file installs on python, "
        "python:slim and python:alpine images: wheel, build from source, or not at all.",
        epilog="Also: 'wheelfit images' lists the known image profiles; 'wheelfit dockerfile "
        "FILE --image NAME' writes a Dockerfile for one image; 'wheelfit diff OLD NEW' or "
        "'wheelfit diff --base REF FILE' shows what a change does to each image.",
    )
    parser.add_argument(
        "files",
        nargs="*",
        metavar="FILE",
        help="requirements files, pyproject.toml, pylock.toml, uv.lock or poetry.lock",
    )
    parser.add_argument(
        "-r",
        "--requirement",
        action="append",
        default=[],
        metavar="FILE",
        help="a requirements file (as in pip; repeatable)",
    )
    target = parser.add_argument_group("targets (default: python, slim and alpine, amd64)")
    target.add_argument(
        "--image",
        action="append",
        default=[],
        metavar="NAME",
        help="python, slim, alpine, ubuntu, distroless, or a tag like python:3.12-slim-bookworm "
        "or ubuntu:22.04 (repeatable)",
    )
    target.add_argument(
        "--image-profile",
        action="append",
        default=[],
        metavar="FILE",
        help="an image profile written by `wheelfit probe` in your own image (repeatable)",
    )
    target.add_argument(
        "--python",
        metavar="X.Y",
        help="Python version (default: the project's, else the images' default)",
    )
    target.add_argument(
        "--arch",
        action="append",
        default=[],
        metavar="ARCH",
        help="amd64 or arm64 (repeatable; default amd64)",
    )
    target.add_argument(
        "--platform",
        action="append",
        default=[],
        metavar="TAG",
        help="a raw target such as manylinux_2_28_x86_64 or musllinux_1_2_aarch64",
    )
    index = parser.add_argument_group("index (as in pip)")
    index.add_argument(
        "-i",
        "--index-url",
        metavar="URL",
        help="base URL of the simple index (default: PyPI); credentials allowed",
    )
    index.add_argument(
        "--extra-index-url",
        action="append",
        default=[],
        metavar="URL",
        help="another index to read as well (repeatable)",
    )
    index.add_argument(
        "--no-index",
        action="store_true",
        help="read no index, only the --find-links locations",
    )
    index.add_argument(
        "-f",
        "--find-links",
        action="append",
        default=[],
        metavar="DIR|URL",
        help="a folder of wheels and sdists, or an HTML page of links to them (repeatable)",
    )
    index.add_argument("--pre", action="store_true", help="allow pre-releases")
    # one list in the order given: pip applies them in order, and :all: clears earlier ones
    index.add_argument(
        "--only-binary",
        action=_FormatStep,
        dest="format_steps",
        default=[],
        metavar="NAMES",
        help="never build these (comma-separated, :all: or :none:)",
    )
    index.add_argument(
        "--no-binary",
        action=_FormatStep,
        dest="format_steps",
        default=[],
        metavar="NAMES",
        help="never use wheels of these (comma-separated, :all: or :none:)",
    )
    index.add_argument(
        "--prefer-binary",
        action="store_true",
        help="prefer an older version with a wheel to a newer sdist",
    )
    index.add_argument(
        "--exclude-newer",
        metavar="DATE",
        help="ignore files uploaded after DATE (YYYY-MM-DD or RFC 3339)",
    )
    index.add_argument(
        "--cache-dir",
        type=Path,
        metavar="DIR",
        help="cache folder (default: the user cache dir, or $WHEELFIT_CACHE_DIR)",
    )
    index.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    index.add_argument("--offline", action="store_true", help="use only what is cached")
    output = parser.add_argument_group("output")
    output.add_argument(
        "--format",
        choices=["table", "json", "markdown", "sarif", "html"],
        default="table",
        help="table for people (default), json for programs, markdown for a pull-request "
        "comment, sarif for code scanning, html for a self-contained page",
    )
    output.add_argument("-o", "--output", type=Path, metavar="FILE", help="write to FILE")
    output.add_argument(
        "--no-build-deps",
        action="store_true",
        help="do not resolve the build requirements of sdists",
    )
    inputs = parser.add_argument_group("pyproject.toml and lock files")
    inputs.add_argument(
        "--extra", action="append", default=[], metavar="NAME", help="include this extra"
    )
    inputs.add_argument(
        "--group", action="append", default=[], metavar="NAME", help="include this group"
    )
    inputs.add_argument("--all-extras", action="store_true", help="include every extra")
    costs = parser.add_argument_group("costs")
    costs.add_argument(
        "--no-costs",
        action="store_true",
        help="skip image sizes and build times (fewer requests: no wheel file lists)",
    )
    costs.add_argument(
        "--build-time-factor",
        type=_positive_float,
        default=None,
        metavar="X",
        help="multiply build times by X for your machine (default 1.0 = the reference "
        "machine, or $WHEELFIT_BUILD_TIME_FACTOR); see docs/costs.md to measure X",
    )
    policy = parser.add_argument_group("exit policy and configuration")
    policy.add_argument(
        "--fail-on",
        action="append",
        default=[],
        metavar="RULE",
        help="exit 1 when a finding matches: source-build, native-build, unavailable, sysdeps, "
        "incomplete, "
        "size>SIZE (final image, e.g. size>500MB), build-time>SECONDS; repeat or comma-separate",
    )
    policy.add_argument(
        "--ignore",
        action="append",
        default=[],
        metavar="NAME",
        help="a package that never counts for --fail-on (still in the report)",
    )
    policy.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="pyproject.toml with a [tool.wheelfit] table (default: the nearest one)",
    )
    policy.add_argument("--no-config", action="store_true", help="ignore [tool.wheelfit] settings")
    policy.add_argument(
        "--base",
        metavar="REF",
        help="wheelfit diff only: compare the files with their version at this git revision",
    )
    parser.add_argument(
        "--debug", action="store_true", help="on an internal error, show the traceback"
    )
    parser.add_argument("--version", action="version", version=f"wheelfit {__version__}")
    return parser


class _FormatStep(argparse.Action):
    """Keeps --only-binary and --no-binary values in one list, in the order given."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: object,
        option_string: str | None = None,
    ) -> None:
        steps = list(getattr(namespace, self.dest, None) or [])
        steps.append((self.option_strings[-1].lstrip("-"), str(values)))
        setattr(namespace, self.dest, steps)


def _apply_config(args: argparse.Namespace) -> None:
    """[tool.wheelfit] fills what the command line left unset; the command line wins."""
    config = Config() if args.no_config else load_config(args.config)
    if not args.image and not args.platform and not args.image_profile:
        args.image = as_list(config.get("images"))
        folder = config.path.parent if config.path else Path.cwd()
        args.image_profile = [str(folder / p) for p in as_list(config.get("image-profiles"))]
    if args.python is None:
        args.python = config.get("python")
    if not args.arch:
        args.arch = as_list(config.get("arch"))
    if not args.fail_on:
        args.fail_on = as_list(config.get("fail-on"))
    if not args.ignore:
        args.ignore = as_list(config.get("ignore"))
    if args.build_time_factor is None and not os.environ.get("WHEELFIT_BUILD_TIME_FACTOR"):
        args.build_time_factor = config.get("build-time-factor")


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 < value < 1000:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1000, not {text}")
    return value


def _build_time_factor(given: float | None) -> float:
    if given is not None:
        return given
    text = os.environ.get("WHEELFIT_BUILD_TIME_FACTOR", "")
    if not text:
        return 1.0
    try:
        return _positive_float(text)
    except argparse.ArgumentTypeError as exc:
        raise UserError(f"WHEELFIT_BUILD_TIME_FACTOR: {exc}") from None


def _parse_date(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UserError(f"--exclude-newer: cannot read {text!r}; use YYYY-MM-DD") from None
    if value.tzinfo is None:
        # a bare date means the end of that day would be surprising: uv takes midnight UTC
        value = value.replace(tzinfo=timezone.utc)
    return value


def _explicit(args: argparse.Namespace, targets: list[Target] | None) -> list[Target] | None:
    """The targets when the user chose any, else None (analyze picks the defaults)."""
    chosen = args.image or args.platform or args.image_profile or args.arch or args.python
    return targets if chosen else None


def _targets(args: argparse.Namespace, files: Sequence[str]) -> list[Target] | None:
    arches: list[str | None] = [normalize_arch(a) for a in args.arch] or [None]
    targets: list[Target] = []
    for raw_platform in args.platform:
        targets.append(target_from_platform(raw_platform, args.python))
    for image in args.image:
        for arch in arches:
            targets.append(target_from_image(image, args.python, arch))
    targets += [target_from_profile(Path(path)) for path in args.image_profile]
    if not targets:
        for arch in arches:
            defaults, _ = default_targets(files, args.python, arch)
            targets += defaults
    return targets


def _python_overridden(python: str | None, targets: Sequence[Target]) -> list[str]:
    """A warning for each image whose tag names another Python than the one asked for: the
    tag wins, and the user should not read the report as being about their version."""
    return [
        f"Python {python} was asked for, but {t.image} "
        + ("ships" if t.python_source != "official" else "names")
        + f" Python {t.python}"
        + (" in its tag" if t.python_source == "official" else "")
        + f": that image is analysed with Python {t.python}"
        for t in targets
        if python and t.image and t.python != python
    ]


class _Progress:
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


def _print_images(console: Console, argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="wheelfit images", description="the image profiles")
    parser.add_argument("--format", choices=["table", "json"], default="table")
    args = parser.parse_args(argv)
    if args.format == "json":
        text = json.dumps(images_document(list_images()), indent=1)
        console.print(text, markup=False, highlight=False, soft_wrap=True)
    else:
        console.print(images_table(list_images()))
    return EXIT_OK


def _probe(console: Console, argv: Sequence[str]) -> int:
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


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    no_color = bool(os.environ.get("NO_COLOR")) or None
    # soft_wrap: an error line stays whole, so file:line can be copied or grepped
    errors = Console(file=_redacted(sys.stderr), no_color=no_color, soft_wrap=True)
    try:
        return _main(argv, errors)
    except Exception as exc:  # the last guard: a bug must not dump a traceback with secrets
        errors.print(describe_unexpected(exc, "--debug" in argv), markup=False, highlight=False)
        return EXIT_INTERNAL


def _main(argv: list[str], errors: Console) -> int:
    no_color = bool(os.environ.get("NO_COLOR")) or None
    console = Console(file=_redacted(sys.stdout), no_color=no_color)
    if argv[:1] == ["images"] and not Path("images").exists():
        return _print_images(console, argv[1:])
    if argv[:1] == ["probe"] and not Path("probe").exists():
        try:
            return _probe(console, argv[1:])
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
        _apply_config(args)
        rules = parse_rules(args.fail_on)
        if args.output is not None:
            check_output_path(args.output)
        if args.cache_dir is not None and not args.no_cache:
            check_cache_dir(args.cache_dir)
        for option, url in [("--index-url", args.index_url)] + [
            ("--extra-index-url", u) for u in args.extra_index_url
        ]:
            if url is not None and (problem := index_url_problem(url)):
                raise UserError(f"{option}: {problem}")
        targets = _targets(args, files)
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
            exclude_newer=_parse_date(args.exclude_newer) if args.exclude_newer else None,
            cache_dir=args.cache_dir,
            no_cache=args.no_cache,
            offline=args.offline,
            build_requirements=not args.no_build_deps,
            costs=not args.no_costs,
            build_speed_factor=_build_time_factor(args.build_time_factor),
            extras=args.extra,
            groups=args.group,
            all_extras=args.all_extras,
        )
        if diff:
            return _run_diff(args, files, targets, settings, rules, console, errors)
        report = _analyze(files, _explicit(args, targets), settings, errors)
        report.warnings += _python_overridden(args.python, targets or [])
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
            return _write_dockerfile(report, files, args.output, errors)
        if args.format in ("json", "markdown", "sarif", "html"):
            _write_text(_render_text(args.format, report, rules, args.ignore), args.output)
        elif args.output:
            _write_text(_plain_text(render_report(report)), args.output)
        else:
            console.print(render_report(report))
    except UserError as exc:
        errors.print(f"wheelfit: error: {exc}", markup=False, highlight=False)
        return EXIT_USAGE
    return _exit_code(report, rules, args.ignore, errors)


def _plain_text(renderable: object) -> str:
    buffer = io.StringIO()
    Console(file=buffer, width=160, no_color=True).print(renderable)
    return buffer.getvalue()


def _render_text(form: str, report: Report, rules: list[Rule], ignore: list[str]) -> str:
    if form == "markdown":
        return render_markdown(report)
    if form == "html":
        return render_html(report)
    if form == "sarif":
        return json.dumps(render_sarif(report, rules, ignore), indent=2) + "\n"
    return json.dumps(report_to_dict(report), indent=2) + "\n"


def _write_text(text: str, output: Path | None) -> None:
    text = redact_url(text)
    if output:
        write_output(output, text)
    else:
        sys.stdout.write(text)


def _exit_code(report: Report, rules: list[Rule], ignore: list[str], errors: Console) -> int:
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
    return _report_findings(evaluate(rules, report.targets, ignore), errors)


def _report_findings(findings: list[Finding], errors: Console) -> int:
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


def _analyze(
    files: list[str], targets: list[Target] | None, settings: Settings, errors: Console
) -> Report:
    """analyze(), with a progress line on stderr when it is a terminal."""
    if not errors.is_terminal:
        return analyze(files, targets, settings)
    progress = _Progress()
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


def _run_diff(
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
        chosen = _explicit(args, targets) or default_targets(new_files, None)[0]
        old = _analyze(old_files, chosen, settings, errors)
        new = _analyze(new_files, chosen, settings, errors)
    if args.base:
        old.inputs = [f"{f}@{args.base}" for f in files]
    result = diff_reports(old, new)
    if args.format == "json":
        _write_text(json.dumps(diff_to_dict(result), indent=2) + "\n", args.output)
    elif args.format == "markdown":
        _write_text(render_diff_markdown(result), args.output)
    elif args.format == "html":
        _write_text(render_diff_html(result), args.output)
    elif args.format == "sarif":
        raise UserError("wheelfit diff writes table, json or markdown, not sarif")
    elif args.output:
        _write_text(_plain_text(render_diff_table(result)), args.output)
    else:
        console.print(render_diff_table(result))
    findings = introduced_findings(rules, old, new, args.ignore)
    return _exit_code(new, [], args.ignore, errors) or _report_findings(findings, errors)


def _write_dockerfile(
    report: Report, files: list[str], output: Path | None, errors: Console
) -> int:
    target = report.targets[0]
    find_links = [str(link) for link in report.options.get("find_links", [])]  # type: ignore[attr-defined]
    no_index = report.options.get("index_url") is None
    _write_text(render_dockerfile(target, files, find_links, no_index), output)
    for problem in target.problems if not target.complete else []:
        errors.print(f"wheelfit: warning: pip would fail: {problem}", markup=False)
    for item in report.input_errors:
        errors.print(f"wheelfit: error: {item}", markup=False, highlight=False)
    return EXIT_USAGE if report.input_errors else EXIT_OK


# A malloc setting for the wheelfit command; the library API leaves the process alone.
#
# glibc gives each thread that allocates concurrently a malloc arena of its own (up to eight
# per core). wheelfit's fetch and parse threads each leave freed memory behind in theirs, and
# one resolution's freed state is not reused by the next target's thread: on a 1,000-package
# file for three images the peak RSS was 487 MB with live Python objects peaking at 270 MB,
# and 313 MB with a single arena, for the same time (tracemalloc and /usr/bin/time, see
# docs/benchmarks.md).

_M_ARENA_MAX = -8  # from glibc's malloc.h


def use_one_malloc_arena() -> bool:
    """Limit glibc to one malloc arena, unless MALLOC_ARENA_MAX says otherwise.

    Must run before the threads start. Returns whether the setting was applied; elsewhere
    (musl, macOS, Windows) it does nothing.
    """
    if platform.system() != "Linux" or "MALLOC_ARENA_MAX" in os.environ:
        return False
    if platform.libc_ver()[0] != "glibc":
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(_M_ARENA_MAX, 1))


def entrypoint() -> None:
    use_one_malloc_arena()
    try:
        code = main()
    except KeyboardInterrupt:
        interrupted()
    sys.exit(code)


def interrupted() -> NoReturn:
    """Ctrl-C: a short message and exit 130 now. Threads still computing a resolution
    would hold a normal exit until they finish; their network work is already stopped."""
    with contextlib.suppress(Exception):
        sys.stdout.flush()
    with contextlib.suppress(Exception):
        sys.stderr.write("wheelfit: interrupted\n")
        sys.stderr.flush()
    os._exit(EXIT_INTERRUPTED)
