"""The command's arguments: the parser, [tool.wheelfit] defaults, and the targets they name."""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..analyze import default_targets
from ..errors import UserError, redact_url
from ..inputs.config import Config, as_list, load_config
from ..models import Target, __version__
from ..targets.images import normalize_arch, target_from_image, target_from_platform
from ..targets.profile import target_from_profile


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


def apply_config(args: argparse.Namespace) -> None:
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


def build_time_factor(given: float | None) -> float:
    if given is not None:
        return given
    text = os.environ.get("WHEELFIT_BUILD_TIME_FACTOR", "")
    if not text:
        return 1.0
    try:
        return _positive_float(text)
    except argparse.ArgumentTypeError as exc:
        raise UserError(f"WHEELFIT_BUILD_TIME_FACTOR: {exc}") from None


def parse_date(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UserError(f"--exclude-newer: cannot read {text!r}; use YYYY-MM-DD") from None
    if value.tzinfo is None:
        # a bare date means the end of that day would be surprising: uv takes midnight UTC
        value = value.replace(tzinfo=timezone.utc)
    return value


def explicit_targets(args: argparse.Namespace, targets: list[Target] | None) -> list[Target] | None:
    """The targets when the user chose any, else None (analyze picks the defaults)."""
    chosen = args.image or args.platform or args.image_profile or args.arch or args.python
    return targets if chosen else None


def targets_from_args(args: argparse.Namespace, files: Sequence[str]) -> list[Target] | None:
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


def python_overridden(python: str | None, targets: Sequence[Target]) -> list[str]:
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
