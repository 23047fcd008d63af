"""Input files -> requirements with their file and line, plus pip's index options.

``read_requirements`` picks the reader by file name: pyproject.toml (pyproject.py), lock
files (lockfiles/), and pip requirements files, which are read here and are the default.

Parsing is pip-requirements-parser's job (it keeps every line, flags constraints, keeps
hashes and options, and returns packaging Requirements). This module adds what a planning
tool needs on top: nested files followed by hand so one missing file is one located error,
``${VAR}`` expansion as pip does it, and pip's own semantics for --only-binary/--no-binary.
Markers are kept, never evaluated here: they are evaluated once per target.
"""

from __future__ import annotations

import os
import re
import shlex
import tempfile
from collections.abc import Sequence
from pathlib import Path

import pip_requirements_parser as rp
from packaging.requirements import InvalidRequirement, Requirement

from ..errors import redact_url
from ..models import InputError
from . import lockfiles
from . import pyproject as pyproject_inputs
from .markerexpr import requirement_problem
from .parsed import FormatControl, IndexOptions, InputRequirement, ParsedInputs, Selection
from .paths import InputFileError, describe_os_error, index_url_problem, read_input_bytes

# The value types live in parsed.py, shared by every reader; importing them from here still works.
__all__ = [
    "FormatControl",
    "IndexOptions",
    "InputRequirement",
    "ParsedInputs",
    "read_requirements",
]

# pip expands only this form, and only for variables that are set (pip's req_file.py).
_ENV_VAR_RE = re.compile(r"\$\{([A-Z0-9_]+)\}")
_URL_LINE_RE = re.compile(r"^(?:-e\s+|--editable\s+)?(?:(?:git|hg|svn|bzr)\+)?[a-z]+://", re.I)


# Options that pip accepts in a file but wheelfit cannot honour: said aloud, never dropped.
_IGNORED_OPTIONS = {
    "trusted_hosts": "--trusted-host has no effect on wheelfit (it only reads the index)",
    "use_feature": "--use-feature has no effect on wheelfit",
}


def read_requirements(
    paths: Sequence[str],
    *,
    extras: Sequence[str] = (),
    groups: Sequence[str] = (),
    all_extras: bool = False,
    options: IndexOptions | None = None,
) -> ParsedInputs:
    """Read input files, each by its name: pyproject.toml, a lock file, else a requirements file.

    ``extras``, ``groups`` and ``all_extras`` choose what pyproject.toml and lock files
    include (requirements files have neither). ``options`` are the command line's index and
    format options: the files' own options change them in reading order, as in pip. Every
    problem becomes a located InputError.
    """
    result = ParsedInputs(options=options.copy() if options else IndexOptions())
    selection = Selection.from_names(extras, groups, all_extras)
    selectable = False
    for path in map(Path, paths):
        if pyproject_inputs.is_pyproject(path):
            pyproject_inputs.read_pyproject(path, selection, result)
            selectable = True
        elif lockfiles.is_lockfile(path):
            lockfiles.read_lockfile(path, selection, result)
            selectable = True
        else:
            _read_file(path, constraint=False, result=result, seen=set(), origin=None)
    _refuse_unusable(result)
    if not selection.empty and not selectable:
        result.warnings.append(
            "extras and dependency groups were asked for, but only pyproject.toml and lock "
            "files have them and none was given: they were not used"
        )
    return result


# What one run analyses. The resolver (resolvelib, as in pip) weighs every open requirement
# at every round, so its time grows with the square of the requirements: 1,000 unknown names
# took 17 s per image, 2,000 took 70 s. The largest real files are about 1,000 projects.
MAX_REQUIREMENTS = 2000
# pip-requirements-parser spends about 1 ms per line: 20,000 lines take 20 s to read.
MAX_FILE_LINES = 20_000
MAX_LINE_CHARS = 100_000


def _refuse_unusable(result: ParsedInputs) -> None:
    """Move requirements pip could not use (whatever file they came from) to the errors, and
    those past the run's bound, said in one error at the first of them."""
    kept = []
    for item in result.requirements:
        problem = requirement_problem(item.requirement) if item.requirement else None
        if problem is None:
            kept.append(item)
        else:
            result.errors.append(InputError(item.file, item.line or None, item.text, problem))
    if len(kept) > MAX_REQUIREMENTS:
        first = kept[MAX_REQUIREMENTS]
        result.errors.append(
            InputError(
                first.file,
                first.line or None,
                first.text,
                f"this and the {len(kept) - MAX_REQUIREMENTS - 1:,} requirements after it are "
                f"not analysed: wheelfit analyses at most {MAX_REQUIREMENTS:,} requirements in "
                "one run (resolution time grows with their square); split the input",
            )
        )
        kept = kept[:MAX_REQUIREMENTS]
    result.requirements = kept


def _too_large(raw: bytes) -> str | None:
    """Why a requirements file is beyond what wheelfit reads, or None."""
    lines = raw.count(b"\n") + (not raw.endswith(b"\n"))
    if lines > MAX_FILE_LINES:
        return (
            f"{lines:,} lines, more than the {MAX_FILE_LINES:,} wheelfit reads in one "
            "requirements file; split it"
        )
    longest = max(map(len, raw.splitlines()), default=0)
    if longest > MAX_LINE_CHARS:
        return (
            f"a line of {longest:,} characters, more than the {MAX_LINE_CHARS:,} wheelfit "
            "reads; check the file"
        )
    return None


def _read_file(
    path: Path,
    *,
    constraint: bool,
    result: ParsedInputs,
    seen: set[Path],
    origin: tuple[str, int, str] | None,
) -> None:
    shown = str(path)
    file, line, text = origin if origin else (shown, 0, "")
    what = "constraints" if constraint else "requirements"
    try:
        resolved = path.resolve()
        raw = read_input_bytes(path)
    except (OSError, RuntimeError, InputFileError) as exc:
        reason = describe_os_error(exc) if isinstance(exc, OSError) else str(exc)
        message = f"cannot read {what} file {shown}: {reason}"
        if "give a file" not in reason:
            message += "; check the path"
        result.errors.append(InputError(file, line or None, text, message))
        return
    if resolved in seen:
        # pip follows includes until Python's recursion limit stops it
        result.errors.append(
            InputError(
                file,
                line or None,
                text,
                f"{shown} is already being read: the -r/-c includes form a cycle, which pip "
                "follows until it fails; remove one of them",
            )
        )
        return
    seen = seen | {resolved}
    if too_large := _too_large(raw):
        message = f"{shown}: {too_large}" if origin else too_large
        result.errors.append(InputError(file, line or None, text, message))
        return
    if not _decodes(raw, shown, result):
        return
    if shown not in result.files:
        result.files.append(shown)
    parsed = _parse_with_env(path, raw, result)
    if parsed is None:
        return
    for req in parsed.requirements:
        _add_requirement(req, shown, constraint or bool(req.is_constraint), result)
    for invalid in parsed.invalid_lines:
        line = invalid.line.strip()
        if _URL_LINE_RE.match(line):
            _add_unparsed_url(line, shown, invalid.line_number, constraint, result)
            continue
        result.errors.append(
            InputError(shown, invalid.line_number, line, _invalid_line_message(invalid))
        )
    for option in parsed.options:
        _apply_option(option, path, constraint, result, seen)


def _decodes(raw: bytes, shown: str, result: ParsedInputs) -> bool:
    """Whether the file decodes as pip will read it; else a located error, not a traceback."""
    try:
        rp.auto_decode(raw)
        return True
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        result.errors.append(
            InputError(
                shown,
                line,
                "",
                f"not valid {exc.encoding.upper()} (byte 0x{raw[exc.start]:02x} at column "
                f"{column}); save the file as UTF-8, as pip expects",
            )
        )
        return False


_INVALID_PREFIX = re.compile(r"^(Invalid requirement:\s*:?\s*)", re.I)


def _invalid_line_message(invalid: object) -> str:
    detail = str(getattr(invalid, "error_message", "")).strip().splitlines()
    text = detail[0] if detail else "cannot be read"
    option = re.search(r"no such option: (\S+)", text)
    if option:
        return (
            f"unknown option {option[1]}: pip refuses it too; remove it "
            "(pip install --help lists the options a requirements file may use)"
        )
    if _INVALID_PREFIX.match(text) or "option" not in text.lower():
        reason = _INVALID_PREFIX.sub("", text)
        return (
            f"not a valid requirement ({reason}); write name, name==1.0, "
            "name[extra]>=1.0; marker, or name @ URL"
        )
    return text


def _parse_with_env(path: Path, raw: bytes, result: ParsedInputs) -> rp.RequirementsFile | None:
    text = rp.auto_decode(raw)
    expanded = _ENV_VAR_RE.sub(lambda m: os.environ.get(m[1], m[0]), text)
    try:
        if expanded == text:
            return rp.RequirementsFile.from_file(str(path), include_nested=False)
        # The parser reads from a path: give it the expanded text at the same line numbers.
        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp) / path.name
            copy.write_text(expanded, encoding="utf-8")
            return rp.RequirementsFile.from_file(str(copy), include_nested=False)
    except Exception as exc:  # the parser raises bare pip exceptions for broken files
        result.errors.append(InputError(str(path), None, "", f"cannot parse file: {exc}"))
        return None


def _add_requirement(req: object, file: str, constraint: bool, result: ParsedInputs) -> None:
    line = int(getattr(req, "line_number", 0) or 0)
    text = str(getattr(req, "line", "") or "").strip()
    link = getattr(req, "link", None)
    hashes = tuple(getattr(req, "hash_options", None) or ())
    editable = bool(getattr(req, "is_editable", False))
    requirement: Requirement | None = None
    if getattr(req, "req", None) is not None:
        # the parser keeps the marker beside the requirement, not inside it
        marker = getattr(req, "marker", None)
        spelled = str(req.req) + (f" ; {marker}" if marker else "")  # type: ignore[attr-defined]
        try:
            requirement = Requirement(spelled)
        except InvalidRequirement as exc:
            result.errors.append(InputError(file, line, text, f"invalid requirement: {exc}"))
            return
    direct = _shown_url(link.url) if link is not None else None
    if requirement is None and direct is None:
        result.errors.append(InputError(file, line, text, "no package name or location found"))
        return
    if requirement is not None and requirement.url and direct is None:
        direct = _shown_url(requirement.url)
    if link is not None and (problem := _egg_problem(link.url)):
        result.errors.append(InputError(file, line, text, problem))
    if constraint and direct is not None:
        result.errors.append(
            InputError(
                file, line, text, "a constraint must name a package without a URL (pip refuses it)"
            )
        )
        return
    result.requirements.append(
        InputRequirement(
            file=file,
            line=line,
            text=redact_url(text),
            requirement=requirement,
            constraint=constraint,
            hashes=hashes,
            direct_url=direct,
            editable=editable,
        )
    )


# "scheme://user:secret" with no "@" left: the parser cut the URL at a space inside the password
_CUT_USERINFO_RE = re.compile(
    r"^(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<authority>[^/?#@]*:[^/?#@]*)(?=[/?#]|$)"
)


def _shown_url(url: str) -> str:
    """The URL as reports show it: redacted, and an authority whose "port" is no number
    (what is left of ``user:pass word@host`` once the parser cut it at the space) hidden."""
    shown = redact_url(url)
    match = _CUT_USERINFO_RE.match(shown)
    if match and not match["authority"].rpartition(":")[2].isdigit():
        return f"{match['scheme']}***{shown[match.end() :]}"
    return shown


_EGG_RE = re.compile(r"[#&]egg=([^&]*)")
_PROJECT_NAME_RE = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$")


def _egg_problem(url: str) -> str | None:
    """pip (25 and later) refuses an #egg= fragment that is not a bare project name."""
    match = _EGG_RE.search(url)
    if match is None or _PROJECT_NAME_RE.match(match[1]):
        return None
    return (
        f"pip refuses the fragment '#egg={match[1]}': it must be a project name only; "
        "write 'name @ URL' instead"
    )


def _add_unparsed_url(
    line: str, file: str, number: int, constraint: bool, result: ParsedInputs
) -> None:
    """A URL or VCS line whose #egg= fragment the parser could not read.

    The row is kept as the direct reference it is, so the rest of the report can name it,
    and the line is also an input error: pip refuses such fragments (see _egg_problem).
    """
    url = line.split()[0]
    egg = _EGG_RE.search(url)
    name_match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", egg[1]) if egg else None
    requirement = None
    if name_match:
        try:
            requirement = Requirement(re.split(r"[=<>!~]", name_match[0])[0])
        except InvalidRequirement:
            requirement = None
    result.errors.append(
        InputError(file, number, line, _egg_problem(url) or "the #egg= fragment cannot be read")
    )
    result.requirements.append(
        InputRequirement(
            file=file,
            line=number,
            text=redact_url(line),
            requirement=requirement,
            constraint=constraint,
            direct_url=redact_url(url),
        )
    )


_REMOTE_INCLUDE_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]{1,31}://")


def _apply_option(
    option: object, path: Path, constraint: bool, result: ParsedInputs, seen: set[Path]
) -> None:
    values: dict[str, object] = dict(getattr(option, "options", {}) or {})
    line = int(getattr(option, "line_number", 0) or 0)
    raw_text = str(getattr(option, "line", "")).strip()
    text = redact_url(raw_text)
    opts = result.options
    # pip's handle_option_line: --no-index, then --index-url, then --extra-index-url, whatever
    # their order on the line
    if values.pop("no_index", False):
        opts.drop_indexes()
    urls = [("index_url", str(values.pop("index_url")))] if "index_url" in values else []
    urls += [("extra", str(v)) for v in values.pop("extra_index_urls", [])]  # type: ignore[attr-defined]
    for kind, url in urls:
        if problem := index_url_problem(url):
            # not echoed: a URL this broken may hide credentials from any redaction
            result.errors.append(InputError(str(path), line, "", problem))
        elif kind == "index_url":
            opts.replace_index(url)
        else:
            opts.add_extra_indexes([url])
    if "only_binary" in values or "no_binary" in values:
        for kind, names in _format_steps(raw_text, values):
            opts.format_control.apply(kind, names)
        values.pop("only_binary", None)
        values.pop("no_binary", None)
    for key, value in values.items():
        if key in ("requirements", "constraints"):
            nested_constraint = key == "constraints" or constraint
            for nested in value:  # type: ignore[attr-defined]
                if _REMOTE_INCLUDE_RE.match(str(nested)):
                    # joined to a path, "//" would fold to "/" and hide the URL's credentials
                    result.errors.append(
                        InputError(
                            str(path),
                            line or None,
                            text,
                            f"{redact_url(str(nested))}: wheelfit reads -r/-c files from disk "
                            "only; download the file and give its path",
                        )
                    )
                    continue
                _read_file(
                    path.parent / str(nested),
                    constraint=nested_constraint,
                    result=result,
                    seen=seen,
                    origin=(str(path), line, text),
                )
        elif key == "find_links":
            # pip takes the first location of a line and ignores the others
            first, *others = [str(v) for v in value]  # type: ignore[attr-defined]
            if "://" in first and (problem := index_url_problem(first)):
                result.errors.append(InputError(str(path), line, "", f"--find-links: {problem}"))
                continue
            opts.find_links.append(_find_link(first, path))
            if others:
                result.warnings.append(
                    f"{path}:{line}: pip reads only the first --find-links of a line; "
                    f"{', '.join(map(redact_url, others))} not read: give each its own line"
                )
        elif key == "pre":
            opts.pre = opts.pre or bool(value)
        elif key == "prefer_binary":
            opts.prefer_binary = opts.prefer_binary or bool(value)
        elif key == "require_hashes":
            opts.require_hashes = opts.require_hashes or bool(value)
        elif key in _IGNORED_OPTIONS:
            result.warnings.append(f"{path}:{line}: {_IGNORED_OPTIONS[key]}")
        else:
            result.warnings.append(f"{path}:{line}: option not used by wheelfit: {text}")


_FORMAT_FLAGS = {"--only-binary": "only-binary", "--no-binary": "no-binary"}


def _format_steps(line: str, values: dict[str, object]) -> list[tuple[str, str]]:
    """The line's --only-binary/--no-binary values in the order written (pip applies them so).

    The parser returns one list per option, which loses their order on a shared line; the
    tokens of the line give it back. Should the line not split, the parser's lists are used.
    """
    steps: list[tuple[str, str]] = []
    try:
        tokens = shlex.split(line, comments=True)
    except ValueError:
        tokens = []
    for position, token in enumerate(tokens):
        flag, equals, attached = token.partition("=")
        if flag not in _FORMAT_FLAGS:
            continue
        if equals:
            steps.append((_FORMAT_FLAGS[flag], attached))
        elif position + 1 < len(tokens):
            steps.append((_FORMAT_FLAGS[flag], tokens[position + 1]))
    expected = [("only-binary", str(v)) for v in values.get("only_binary", [])]  # type: ignore[attr-defined]
    expected += [("no-binary", str(v)) for v in values.get("no_binary", [])]  # type: ignore[attr-defined]
    return steps if sorted(steps) == sorted(expected) else expected


def _find_link(value: str, path: Path) -> str:
    """pip reads a file's relative --find-links folder from the file's own folder if it exists."""
    if "://" in value:
        return value
    beside = path.parent / value
    return str(beside) if beside.exists() else value
