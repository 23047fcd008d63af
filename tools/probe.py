"""The hostile-input probe: generate inputs, run them through wheelfit, count what went wrong.

    python tools/probe.py                       # the full run: 10,000+ inputs, a few minutes
    python tools/probe.py --scale 0.05 --seed 7 # a quick sample
    python tools/probe.py --json out.json       # the figures and every failure, as JSON

Each input is one case of a kind: requirements lines, markers, index URLs, TOML inputs
(pyproject.toml, uv.lock, pylock.toml, poetry.lock), [tool.wheelfit] configuration, command
lines, index pages, core metadata, sdist archives, and whole runs against a local hostile
index (tools/probe_server.py: status codes, resets, drips, stalls, bombs, wrong types, hostile
archives; canary credentials in every index URL). Cases run in a forked worker with a per-case
deadline; a case past it is a hang, the worker is killed and a new one takes the next case.

Counted per kind: tracebacks (an exception escaping, or the command's last-guard "internal
error"), hangs, secrets printed (the canary in any output, file or message), files written
outside the case's folders, and wrong markings (a fault's row not saying what happened).
Failures in faults another part of the work owns are listed with their item
(probe_server.OWNED_ELSEWHERE), never hidden.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import multiprocessing
import os
import random
import re
import resource
import shutil
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from probe_server import FAULTS, OWNED_ELSEWHERE, HostileIndex

from wheelfit.index.client import DEFAULT_DEADLINE
from wheelfit.index.http import STALL_BOUND

CANARY = "C4nary-5ecret"
CANARY_URL = f"http://probe:{CANARY}@127.0.0.1:9/simple/"
LAYER_DEADLINE = 20.0  # seconds for one in-process case
# A whole run against the hostile index must end within the bounds docs/robustness.md
# documents, plus start-up and the healthy work: a stalled server costs a request at most
# STALL_BOUND (two read timeouts), a dripping one at most the request's total deadline.
START_MARGIN = 15.0
RUN_DEADLINE = STALL_BOUND + START_MARGIN
DRIP_RUN_DEADLINE = DEFAULT_DEADLINE + START_MARGIN
# Secrets shown in error messages depend on wheelfit.errors.redact_url and on the echo of an
# invalid line, which items 1-3 of issue 15 rewrite: such a leak is listed under them.
REDACTION_OWNER = "items 1-3 (redaction of messages and echoed lines)"

Outcome = dict[str, Any]

# -- generators: each returns one case's input from a Random ---------------------------------

NAMES = ["six", "idna", "requests", "a", "A_b.c-d", "x" * 300, "ünïcode", "", "-bad", "1"]
SPECS = [
    "",
    "==1.0",
    ">=1,<2",
    "!=1.*",
    "~=1.2",
    "===weird",
    "==" + "9" * 5000,
    "!=" + "9" * 4000,
    ",".join(f"!=1.{i}" for i in range(150)),
    "==1.0.post1.dev2+local",
    ">",
    "==1..0",
]
MARKERS = [
    "",
    'python_version >= "3.8"',
    'sys_platform ~= "linux"',
    "'3.8' ~= ''",
    'platform_release ~= "5"',
    'os_name == "posix" and extra == "x"',
    'python_version < "' + "9" * 5000 + '"',
    "implementation_name in 'cpython pypy'",
    "unknown_var == '1'",
    "python_version >>> '3'",
    "(" * 200 + "python_version > '3'" + ")" * 200,
    'platform_machine === "x86_64"',
]
URLS = [
    CANARY_URL,
    f"http://probe:{CANARY}@@127.0.0.1:9/simple/",
    f"http://probe:{CANARY}/x@127.0.0.1:9/simple/",
    f"http://probe:{CANARY} x@127.0.0.1:9/simple/",
    f"http://{CANARY}@127.0.0.1:9/simple/",
    "http://[::1",
    f"http://u:{CANARY}@host:%%1/",
    f"http://u:{CANARY}\u20ac@127.0.0.1:9/",
    "ftp://x/",
    "http://",
    "file:///nonexistent/simple/",
    f"https://u:{CANARY}@127.0.0.1:9/" + "a" * 5000,
]
OPTIONS = [
    "--index-url {url}",
    "--extra-index-url {url}",
    "-i {url}",
    "--pre",
    "--bogus",
    "-r /dev/zero",
    "-r nonexistent.txt",
    "-c /dev/null",
    "--hash=sha256:" + "0" * 64,
    "--only-binary :all:",
    "--no-binary=six",
    "-e git+{url}#egg=x==1",
    "${{PROBE_UNSET}}",
]
NOISE = ["\x00", "\ufeff", "\u202e", "\\", "#", ";", "@", "[", "]", " " * 3, "\t", "\r", "é"]


def _requirement_line(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.2:
        return rng.choice(OPTIONS).format(url=rng.choice(URLS))
    if roll < 0.3:
        return f"{rng.choice(NAMES)} @ {rng.choice(URLS)}x.whl"
    name = rng.choice(NAMES)
    extras = ""
    if rng.random() < 0.2:
        count = rng.choice([1, 3, 400])
        extras = "[" + ",".join(f"e{i}" for i in range(count)) + "]"
    marker = rng.choice(MARKERS)
    line = f"{name}{extras}{rng.choice(SPECS)}" + (f" ; {marker}" if marker else "")
    if rng.random() < 0.2:
        position = rng.randrange(len(line) + 1)
        line = line[:position] + rng.choice(NOISE) + line[position:]
    return line


def gen_requirements(rng: random.Random) -> dict[str, Any]:
    return {"lines": [_requirement_line(rng) for _ in range(rng.randint(1, 6))]}


def gen_marker(rng: random.Random) -> dict[str, Any]:
    parts = [rng.choice(MARKERS[1:]) for _ in range(rng.randint(1, 3))]
    return {"marker": rng.choice([" and ", " or "]).join(parts)}


def gen_url(rng: random.Random) -> dict[str, Any]:
    url = rng.choice(URLS)
    if rng.random() < 0.5:
        position = rng.randrange(len(url) + 1)
        url = url[:position] + rng.choice([*NOISE, "@", "/", ":", "%"]) + url[position:]
    return {"url": url}


_TOML_VALUES = [
    '"six>=1"',
    "3",
    "true",
    "[1, 2]",
    "{a = 1}",
    '"' + "x" * 1000 + '"',
    "9" * 5000,
    "[" * 1200 + "]" * 1200,
    "[" * 40 + "]" * 40,
    '"\\u0000"',
    f'"{CANARY_URL}"',
    '["six", 3, {x = 1}]',
]


_LOCK_VERSION = '"1.0"'


def gen_toml(rng: random.Random) -> dict[str, Any]:
    kind = rng.choice(["pyproject.toml", "uv.lock", "pylock.toml", "poetry.lock"])
    value = lambda: rng.choice(_TOML_VALUES)  # noqa: E731
    if kind == "pyproject.toml":
        text = (
            f"[project]\nname = {value()}\nversion = {value()}\ndependencies = {value()}\n"
            f"dynamic = {value()}\nrequires-python = {value()}\n"
            f"[project.optional-dependencies]\nx = {value()}\n"
            f"[dependency-groups]\ndev = {value()}\n"
        )
    elif kind == "uv.lock":
        text = (
            f"version = {rng.choice(['1', value()])}\nrequires-python = {value()}\n"
            f"[[package]]\nname = {value()}\nversion = {value()}\nsource = {value()}\n"
            f"dependencies = {value()}\n"
        )
    elif kind == "pylock.toml":
        text = (
            f"lock-version = {rng.choice([_LOCK_VERSION, value()])}\ncreated-by = 'x'\n"
            f"requires-python = {value()}\nenvironments = {value()}\n"
            f"[[packages]]\nname = {value()}\nversion = {value()}\nmarker = {value()}\n"
            f"index = {value()}\n"
        )
    else:
        text = (
            f"[[package]]\nname = {value()}\nversion = {value()}\noptional = {value()}\n"
            f"[package.dependencies]\nsix = {value()}\n[metadata]\nlock-version = {value()}\n"
        )
    if rng.random() < 0.1:
        text = text.encode("utf-16").decode("latin-1")
    return {"name": kind, "text": text}


def gen_config(rng: random.Random) -> dict[str, Any]:
    keys = ["images", "python", "arch", "fail-on", "ignore", "build-time-factor", "bogus"]
    lines = [f"{rng.choice(keys)} = {rng.choice(_TOML_VALUES)}" for _ in range(rng.randint(0, 3))]
    header = rng.choice(["[tool.wheelfit]", "[tool]\nwheelfit = 3", "tool = 3", "[tool.wheelfit]"])
    return {"text": header + "\n" + "\n".join(dict.fromkeys(lines)) + "\n"}


_ARGUMENTS = [
    ["--image", "python"],
    ["--image", "nosuch:image"],
    ["--python", "3.99"],
    ["--python", "x" * 3000],
    ["--arch", "sparc"],
    ["--platform", "manylinux_9_99_x86_64"],
    ["--exclude-newer", "not-a-date"],
    ["--fail-on", "size>9ZB"],
    ["--fail-on", "incomplete,unavailable"],
    ["--build-time-factor", "nan"],
    ["--format", "sarif"],
    ["-o", "/dev/full"],
    ["-o", "."],
    ["-o", "missing/out.json"],
    ["--cache-dir", "/dev/null"],
    ["--extra", "x" * 500],
    ["--index-url", "http://[::1"],
    ["--extra-index-url", f"http://u:{CANARY}\u20ac@127.0.0.1:9/"],
    ["--config", "/dev/zero"],
    ["--no-config"],
    ["--debug"],
    ["-r", "/dev/zero"],
]


def gen_cli(rng: random.Random) -> dict[str, Any]:
    argv: list[str] = []
    for _ in range(rng.randint(0, 3)):
        argv += rng.choice(_ARGUMENTS)
    if rng.random() < 0.2:
        argv = [rng.choice(["diff", "dockerfile", "images"]), *argv]
    return {"argv": argv, "lines": [_requirement_line(rng) for _ in range(rng.randint(0, 2))]}


def gen_page(rng: random.Random) -> dict[str, Any]:
    value = lambda: rng.choice(  # noqa: E731
        [None, 3, "x", [], {}, True, -1, "9" * 5000, {"sha256": 5}, "six-1.0-py3-none-any.whl"]
    )
    files = []
    for _ in range(rng.randint(0, 4)):
        entry = {
            "filename": rng.choice(
                ["six-1.0-py3-none-any.whl", "six-1.0.tar.gz", f"six-{'9' * 5000}.tar.gz", value()]
            ),
            "url": rng.choice(["six.whl", "http://h/x", value()]),
        }
        for key in ("hashes", "size", "requires-python", "yanked", "upload-time", "core-metadata"):
            if rng.random() < 0.6:
                entry[key] = value()
        files.append(entry)
    document: Any = {"meta": {"api-version": "1.1"}, "name": "six", "files": files}
    if rng.random() < 0.1:
        document = rng.choice([[], "x", {"files": "x"}, {"files": [1, 2]}])
    body = json.dumps(document).encode()
    if rng.random() < 0.2:
        body = bytes(rng.randrange(256) for _ in range(rng.randint(0, 300)))
        return {"body": body.hex(), "type": "text/html"}
    return {"body": body.hex(), "type": "application/vnd.pypi.simple.v1+json"}


def gen_metadata(rng: random.Random) -> dict[str, Any]:
    lines = ["Metadata-Version: 2.1", "Name: x", "Version: 1.0"]
    for _ in range(rng.randint(0, 5)):
        lines.append(f"Requires-Dist: {_requirement_line(rng)}")
    data = "\n".join(lines).encode()
    roll = rng.random()
    if roll < 0.15:
        data = "\n".join(lines).encode("utf-16")
    elif roll < 0.3:
        data = bytes(rng.randrange(256) for _ in range(rng.randint(0, 200)))
    elif roll < 0.35:
        data = b""
    return {"data": data.hex()}


def gen_archive(rng: random.Random) -> dict[str, Any]:
    import tarfile

    buffer = io.BytesIO()
    texts = {
        "setup.py": rng.choice(
            [
                "from setuptools import setup\nsetup(install_requires=['six'])\n",
                "x = " + "-" * 100_000 + "1\n",
                "x = " + "(" * 5000 + ")" * 5000 + "\n",
                "setup(install_requires=" + "[" * 3000 + "]" * 3000 + ")\n",
                "\x00\xff",
            ]
        ),
        "pyproject.toml": rng.choice(
            [
                "[build-system]\nrequires = " + "[" * 5000 + "]" * 5000 + "\n",
                "[project]\nname='x'\nversion='1'\ndynamic = 3\ndependencies = 3\n",
                "[build-system]\nrequires = ['setuptools', 3, {a=1}]\nbuild-backend = 3\n",
                "[tool.setuptools]\next-modules = 3\n",
                "not toml [[[",
            ]
        ),
        "PKG-INFO": rng.choice(["Metadata-Version: 2.2\nName: x\n", "\x00garbage"]),
    }
    names = [
        "pkg-1.0/",
        "../escape/",
        "/abs/",
        "pkg-1.0/a/../../../",
        "pkg-1.0/" + "d/" * 200,
    ]
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for member, text in texts.items():
            if rng.random() < 0.8:
                info = tarfile.TarInfo(rng.choice(names) + member)
                data = text.encode("utf-8", "surrogateescape")
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
        if rng.random() < 0.3:
            link = tarfile.TarInfo("pkg-1.0/link.c")
            link.type = rng.choice([tarfile.SYMTYPE, tarfile.LNKTYPE, tarfile.FIFOTYPE])
            link.linkname = rng.choice(["/etc/passwd", "../../x", "pkg-1.0/setup.py"])
            archive.addfile(link)
    data = buffer.getvalue()
    if rng.random() < 0.2:
        cut = rng.randrange(len(data) + 1)
        data = data[:cut] + bytes(rng.randrange(256) for _ in range(rng.randint(0, 50)))
    return {"data": data.hex(), "filename": "pkg-1.0.tar.gz"}


def gen_run(rng: random.Random) -> dict[str, Any]:
    faults = rng.sample(sorted(FAULTS), rng.randint(1, 3))
    return {
        "projects": [f"{fault}-{rng.randrange(1000)}" for fault in faults],
        "format": rng.choice(["json", "json", "markdown", "table", "sarif"]),
        "costs": rng.random() < 0.5,
    }


GENERATORS: dict[str, Callable[[random.Random], dict[str, Any]]] = {
    "requirements": gen_requirements,
    "marker": gen_marker,
    "url": gen_url,
    "toml": gen_toml,
    "config": gen_config,
    "cli": gen_cli,
    "page": gen_page,
    "metadata": gen_metadata,
    "archive": gen_archive,
    "run": gen_run,
}
# cases per kind in a full run (--scale 1): 10,400 in all
COUNTS = {
    "requirements": 2400,
    "marker": 1500,
    "url": 1500,
    "toml": 1200,
    "config": 800,
    "cli": 600,
    "page": 1200,
    "metadata": 800,
    "archive": 500,
    "run": 100,
}
DRIP_AND_RETRY_RUNS = 2  # runs that take a drip or a Retry-After: each waits out its deadline

# -- checks: each runs one case in the worker and returns its outcome ------------------------


# A reference redactor, deliberately blunt: everything from a scheme to the last "@" of the
# line. A leak it removes is one a correct wheelfit.errors.redact_url applied to that message
# removes (items 1-3); a leak it leaves is counted against this work ("here").
_REFERENCE_REDACTION = re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*:/*)[^\n]*@")


def _leak(*texts: object) -> Outcome:
    shown = [str(text) for text in texts]
    if not any(CANARY in text for text in shown):
        return {}
    redacted = [_REFERENCE_REDACTION.sub(r"\1***@", text) for text in shown]
    return {"secret": True, "redaction": not any(CANARY in text for text in redacted)}


def check_requirements(case: dict[str, Any], folder: Path) -> Outcome:
    from wheelfit.inputs.requirements import read_requirements

    path = folder / "requirements.txt"
    path.write_text("\n".join(case["lines"]) + "\n", encoding="utf-8", errors="surrogatepass")
    result = read_requirements([str(path)])
    shown = [str(e) for e in result.errors] + result.warnings
    shown += [f"{r.text} {r.direct_url}" for r in result.requirements]
    shown += [str(result.options.index_url)]
    return _leak(*shown[:-1])


def check_marker(case: dict[str, Any], folder: Path) -> Outcome:
    from packaging.requirements import InvalidRequirement, Requirement

    from wheelfit.inputs.markerexpr import requirement_problem
    from wheelfit.resolve.candidates import evaluate_marker
    from wheelfit.targets.images import target_from_image
    from wheelfit.targets.tags import marker_environment

    try:
        requirement = Requirement(f"x ; {case['marker']}")
    except InvalidRequirement:
        return {}
    if requirement_problem(requirement) is None:
        for image in ("python", "alpine"):
            problems: list[str] = []
            env = marker_environment(target_from_image(image))
            evaluate_marker(requirement.marker, env, ("x",), problems)
    return {}


def check_url(case: dict[str, Any], folder: Path) -> Outcome:
    from wheelfit.errors import redact_url
    from wheelfit.index.urls import strip_credentials
    from wheelfit.inputs.paths import index_url_problem

    url = case["url"]
    problem = index_url_problem(url)
    if problem is not None:  # refused before any request; the message never holds the URL
        return _leak(problem)
    strip_credentials(url)
    # an accepted URL appears in messages only through redact_url
    return _leak(redact_url(f"{url}six/: HTTP 401 Unauthorized"))


def check_toml(case: dict[str, Any], folder: Path) -> Outcome:
    from wheelfit.inputs.requirements import read_requirements

    path = folder / case["name"]
    path.write_text(case["text"], encoding="utf-8", errors="surrogatepass")
    result = read_requirements([str(path)])
    shown = [str(e) for e in result.errors] + result.warnings
    shown += [f"{r.text} {r.direct_url}" for r in result.requirements]
    return _leak(*shown)


def check_config(case: dict[str, Any], folder: Path) -> Outcome:
    from wheelfit.errors import UserError
    from wheelfit.inputs.config import load_config

    path = folder / "pyproject.toml"
    path.write_text(case["text"], encoding="utf-8", errors="surrogatepass")
    try:
        load_config(path)
    except UserError as exc:
        return _leak(exc)
    return {}


def _cli(argv: list[str]) -> tuple[int, str]:
    from wheelfit import cli

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = cli.main(argv)
        except SystemExit as stop:  # argparse's usage errors
            code = int(stop.code or 0)
    return code, out.getvalue() + err.getvalue()


def _unexpected(output: str) -> bool:
    return "Traceback" in output or "internal error" in output


def check_cli(case: dict[str, Any], folder: Path) -> Outcome:
    path = folder / "requirements.txt"
    path.write_text("\n".join(case["lines"]) + "\n", encoding="utf-8", errors="surrogatepass")
    argv = [str(path), *case["argv"], "--offline", "--cache-dir", str(folder / "cache")]
    argv += ["-i", CANARY_URL, "--no-costs"]
    code, output = _cli(argv)
    return {
        "traceback": _unexpected(output) or code not in (0, 1, 2),
        **_leak(output, *_texts_under(folder)),
    }


def check_page(case: dict[str, Any], folder: Path) -> Outcome:
    from wheelfit.index.simple import parse_page

    try:
        page = parse_page(bytes.fromhex(case["body"]), case["type"], "http://h/simple/six/", "six")
    except (ValueError, TypeError, AttributeError, KeyError, RecursionError):
        return {}  # what the client catches: "not a valid project page"
    wrong = [
        f
        for f in page.files
        if not (f.size is None or isinstance(f.size, int))
        or not (f.sha256 is None or isinstance(f.sha256, str))
    ]
    return {"wrong": bool(wrong)}


def check_metadata(case: dict[str, Any], folder: Path) -> Outcome:
    from wheelfit.inspect.metadata import parse_metadata

    data = bytes.fromhex(case["data"])
    parsed = parse_metadata(data)
    readable = data.startswith(b"Metadata-Version") and b"\x00" not in data
    # an unreadable METADATA must say so: read as "no dependencies" it would be a false answer
    return {"wrong": not readable and not parsed.requires_dist and parsed.problem is None}


def check_archive(case: dict[str, Any], folder: Path) -> Outcome:
    from wheelfit.errors import ArchiveError
    from wheelfit.inspect.distinfo import setup_py_dependencies
    from wheelfit.inspect.sdist import inspect_sdist

    try:
        info = inspect_sdist(case["filename"], bytes.fromhex(case["data"]))
    except ArchiveError:
        return {}
    info.build_requires()
    info.native()
    info.build_programs()
    setup_py_dependencies(info.texts.get("setup.py", ""))
    return {}


def check_run(case: dict[str, Any], folder: Path, index_url: str) -> Outcome:
    credentialed = index_url.replace("http://", f"http://probe:{CANARY}@")
    requirements = folder / "requirements.txt"
    requirements.write_text("\n".join([*case["projects"], "ok-0"]) + "\n")
    output = folder / "out"
    argv = [str(requirements), "-i", credentialed, "--image", "slim", "--cache-dir"]
    argv += [str(folder / "cache"), "--format", case["format"], "-o", str(output)]
    argv += [] if case["costs"] else ["--no-costs"]
    code, printed = _cli(argv)
    outcome: Outcome = {
        "traceback": _unexpected(printed) or code not in (0, 1, 2),
        **_leak(printed, *_texts_under(folder)),
        "exit": code,
    }
    if case["format"] == "json" and output.exists():
        outcome["wrong_faults"] = _wrong_markings(json.loads(output.read_text()), case, code)
    return outcome


def _wrong_markings(report: dict[str, Any], case: dict[str, Any], code: int) -> list[str]:
    rows = {p["name"]: p for p in report["targets"][0]["packages"] if not p["build_only"]}
    wrong = []
    for project in case["projects"]:
        fault = project.rsplit("-", 1)[0]
        expected, row = FAULTS[fault], rows.get(project)
        if not _marked(fault, expected, row, code):
            wrong.append(fault)
    if "ok-0" not in rows or rows["ok-0"]["status"] != "wheel":
        wrong.append("healthy row lost")
    return wrong


def _marked(fault: str, expected: str, row: dict[str, Any] | None, code: int) -> bool:
    """Whether a fault's row says what happened."""
    if row is None:
        return False
    if expected == "read-error":
        return "could not be read" in row["reason"] and code == 2
    if expected == "absent":
        return "not found" in row["reason"]
    if expected == "incomplete":
        return row["incomplete"] is not None
    if fault == "lyingzip":  # 50 members claiming 1 GiB each in a wheel of a few KB
        return (row["installed_bytes"] or 0) < 1032 * 100_000
    return True


def _texts_under(folder: Path) -> Iterator[str]:
    """What wheelfit wrote in a case's folder (its cache and its -o file), not the inputs."""
    for path in [folder / "out", *(folder / "cache").rglob("*")]:
        if path.is_file() and path.stat().st_size < 20_000_000:
            yield path.read_bytes().decode("latin-1")


# -- the worker and the runner ---------------------------------------------------------------

CHECKS: dict[str, Callable[..., Outcome]] = {
    "requirements": check_requirements,
    "marker": check_marker,
    "url": check_url,
    "toml": check_toml,
    "config": check_config,
    "cli": check_cli,
    "page": check_page,
    "metadata": check_metadata,
    "archive": check_archive,
}


def run_case(kind: str, case: dict[str, Any], folder: Path, index_url: str) -> Outcome:
    """One case, in this process; an exception escaping is a traceback."""
    inputs = {p.name for p in folder.iterdir()}
    try:
        if kind == "run":
            outcome = check_run(case, folder, index_url)
        else:
            outcome = CHECKS[kind](case, folder)
    except Exception as exc:  # the probe counts what wheelfit let escape
        return {"traceback": True, "error": "".join(traceback.format_exception(exc))[-2000:]}
    # wheelfit may write its cache, the -o file and the inputs the probe wrote; nothing else
    allowed = {"cache", "out", "requirements.txt", "pyproject.toml", *inputs, case.get("name")}
    stray = sorted(p.name for p in folder.iterdir() if p.name not in allowed)
    if stray:
        outcome["outside"] = True
        outcome["error"] = f"written: {stray}"
    return outcome


def _worker(connection: Connection, index_url: str, sandbox: str) -> None:
    os.environ["WHEELFIT_CACHE_DIR"] = os.path.join(sandbox, "default-cache")
    os.environ["HOME"] = sandbox
    os.environ["TMPDIR"] = tempfile.tempdir = os.path.join(sandbox, "tmp")
    os.makedirs(tempfile.tempdir, exist_ok=True)
    while True:
        job = connection.recv()
        if job is None:
            return
        number, kind, case = job
        folder = Path(sandbox, f"case-{number}")
        folder.mkdir()
        os.chdir(folder)
        outcome = run_case(kind, case, folder, index_url)
        outcome["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        connection.send(outcome)


def _cases(scale: float, seed: int) -> list[tuple[str, dict[str, Any]]]:
    rng = random.Random(seed)
    cases = []
    for kind, count in COUNTS.items():
        for _ in range(max(1, round(count * scale))):
            cases.append((kind, GENERATORS[kind](rng)))
    slow = [c for c in cases if c[0] == "run" and {"drip", "retryafter", "stall"} & _faults(c[1])]
    for _kind, case in slow[DRIP_AND_RETRY_RUNS:]:  # bound the probe's own time
        case["projects"] = [p for p in case["projects"] if p.rsplit("-", 1)[0] not in _SLOW]
        if not case["projects"]:
            case["projects"] = ["ok-1"]
    return cases


_SLOW = {"drip", "retryafter", "stall"}


def _deadline(kind: str, case: dict[str, Any]) -> float:
    if kind != "run":
        return LAYER_DEADLINE
    return DRIP_RUN_DEADLINE if "drip" in _faults(case) else RUN_DEADLINE


def _faults(case: dict[str, Any]) -> set[str]:
    return {p.rsplit("-", 1)[0] for p in case["projects"]}


def probe(scale: float, seed: int) -> dict[str, Any]:
    cases = _cases(scale, seed)
    sandbox = Path(tempfile.mkdtemp(prefix="wheelfit-probe-"))
    canary_file = sandbox / "CANARY-RAN"
    tally: dict[str, Counter[str]] = {kind: Counter() for kind in COUNTS}
    failures: list[dict[str, Any]] = []
    kind_seconds: dict[str, float] = {}
    peak_rss_mb = 0  # the largest worker's peak resident memory
    started = time.monotonic()
    context = multiprocessing.get_context("fork")
    with HostileIndex(str(canary_file)) as index:
        worker, connection = _start(context, index.url, sandbox)
        for number, (kind, case) in enumerate(cases):
            case_started = time.monotonic()
            connection.send((number, kind, case))
            deadline = _deadline(kind, case)
            if connection.poll(deadline):
                outcome = connection.recv()
            else:
                outcome = {"hang": True}
                worker.kill()
                worker.join()
                worker, connection = _start(context, index.url, sandbox)
            _count(kind, case, outcome, tally[kind], failures)
            peak_rss_mb = max(peak_rss_mb, outcome.get("rss_mb", 0))
            kind_seconds[kind] = kind_seconds.get(kind, 0.0) + time.monotonic() - case_started
        connection.send(None)
        worker.join(10)
    # the sandbox holds the case folders, the default cache and the workers' temporary folder,
    # which must be empty at the end: a temporary file left behind is a file written outside
    expected = {"tmp", "default-cache", "CANARY-RAN"}
    written_outside = sorted(
        str(p)
        for p in sandbox.iterdir()
        if not p.name.startswith("case-") and p.name not in expected
    )
    written_outside += sorted(
        str(p) for p in (sandbox / "tmp").iterdir() if not p.name.startswith("pymp-")
    )
    seconds = time.monotonic() - started
    canary_ran = canary_file.exists()
    shutil.rmtree(sandbox, ignore_errors=True)
    totals = sum((c for c in tally.values()), Counter())
    return {
        "seed": seed,
        "scale": scale,
        "cases": len(cases),
        "seconds": round(seconds, 1),
        "per_kind": {kind: dict(counter) for kind, counter in tally.items()},
        "seconds_per_kind": {kind: round(t, 1) for kind, t in kind_seconds.items()},
        "totals": dict(totals),
        "canary_code_ran": canary_ran,
        "peak_worker_rss_mb": peak_rss_mb,
        "written_outside": written_outside,
        "failures": failures,
    }


def _start(
    context: Any, index_url: str, sandbox: Path
) -> tuple[multiprocessing.process.BaseProcess, Connection]:
    parent, child = context.Pipe()
    worker = context.Process(target=_worker, args=(child, index_url, str(sandbox)), daemon=True)
    worker.start()
    return worker, parent


def _count(
    kind: str,
    case: dict[str, Any],
    outcome: Outcome,
    counter: Counter[str],
    failures: list[dict[str, Any]],
) -> None:
    counter["cases"] += 1
    problems = [k for k in ("traceback", "hang", "secret", "outside", "wrong") if outcome.get(k)]
    wrong_faults = outcome.get("wrong_faults") or []
    if wrong_faults:
        problems.append("wrong")
    for problem in dict.fromkeys(problems):
        counter[problem] += 1
    if problems:
        owned = sorted(
            {OWNED_ELSEWHERE[f] for f in _faults(case) if f in OWNED_ELSEWHERE}
            if kind == "run"
            else set()
        )
        if problems == ["secret"] and outcome.get("redaction"):
            owned.append(REDACTION_OWNER)
        failures.append(
            {
                "kind": kind,
                "problems": problems,
                "wrong_faults": wrong_faults,
                "owned_elsewhere": owned,
                "case": _short(case),
                "error": outcome.get("error", ""),
            }
        )


def _short(case: dict[str, Any]) -> Any:
    text = json.dumps(case)
    return text if len(text) < 400 else text[:400] + "..."


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the full run")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--json", type=Path, help="write the figures and failures here")
    args = parser.parse_args()
    result = probe(args.scale, args.seed)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    print(f"{result['cases']} cases in {result['seconds']} s (seed {result['seed']})")
    for kind, counts in result["per_kind"].items():
        print(f"  {kind:13} {counts} in {result['seconds_per_kind'].get(kind)} s")
    print(f"  totals        {result['totals']}")
    print(f"  code from a distribution ran: {result['canary_code_ran']}")
    print(f"  peak memory of a worker: {result['peak_worker_rss_mb']} MB")
    print(f"  files written outside: {result['written_outside'] or 'none'}")
    by_owner = Counter(o for f in result["failures"] for o in f["owned_elsewhere"] or ["here"])
    print(f"  failures by owner: {dict(by_owner)}")
    bad = result["totals"].keys() & {"traceback", "hang", "secret", "outside", "wrong"}
    return 1 if bad or result["canary_code_ran"] or result["written_outside"] else 0


if __name__ == "__main__":
    sys.exit(main())
