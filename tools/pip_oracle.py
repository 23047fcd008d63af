#!/usr/bin/env python3
"""Ask real pip what it would install from a requirements file on a *foreign* target.

Dev-only ground truth for wheelfit: the answer comes from pip itself (latest pip from
PyPI, in a venv under a cache dir), run as ``pip install --dry-run --report`` with the
target's interpreter/platform tags.  See tools/README.md for the caveats.

Usage:
    python tools/pip_oracle.py REQFILE --python 3.12 --glibc 2.36 --arch x86_64 -o out.json
    python tools/pip_oracle.py REQFILE --python 3.12 --musl 1.2 --arch aarch64

Two deliberate deviations from a plain ``pip install --platform ...`` (both done by the
in-process shim at the bottom of this file, which otherwise runs pip's normal ``main``):

1. pip refuses ``--platform``/``--python-version`` unless sdists are ruled out
   (``check_dist_restriction``).  pip inside the real image *would* fall back to an
   sdist, so the shim disables only that guard.
2. pip evaluates environment markers against the *host* interpreter, not against the
   ``--python-version``/``--platform`` target (e.g. ``platform_machine != "aarch64"`` is
   true on this x86_64 host even for an aarch64 target).  The shim swaps the marker
   environment for the target's, as pip running inside the image would see it.

The top level imports only the standard library: the shim half runs under the oracle
venv's interpreter, the driver half under whatever Python runs this file.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

PYPI_SIMPLE = "https://pypi.org/simple"
DEFAULT_CACHE = Path(__file__).resolve().parent / ".oracle-cache"
SHIM_FLAG = "--run-pip-shim"
# Env var carrying the target marker environment from the driver to the shim.
MARKER_ENV_VAR = "WHEELFIT_ORACLE_MARKER_ENV"
# Env var asking the shim to borrow PyPI metadata for sdists whose metadata build fails.
BORROW_ENV_VAR = "WHEELFIT_ORACLE_BORROW_METADATA"
# Lines the shim prints on stderr for the driver to read.
FAILED_MARK = "pip-oracle: metadata-build-failed"
BORROWED_MARK = "pip-oracle: borrowed-metadata"
DEFAULT_TIMEOUT_S = 1800.0
# Build pins for the fallback attempts (see next_attempt).
LEGACY_BUILD_PINS = ("setuptools<81",)

# Legacy manylinux aliases: PEP 600 tag -> older PEP 513/571/599 spelling.
LEGACY_MANYLINUX = {(2, 17): "manylinux2014", (2, 12): "manylinux2010", (2, 5): "manylinux1"}
# Oldest glibc for which manylinux wheels exist per arch (aarch64 started with 2014 = 2.17).
OLDEST_GLIBC_MINOR = {"x86_64": 5, "aarch64": 17}


# --------------------------------------------------------------------------- tags


def parse_version_pair(text: str) -> tuple[int, int]:
    """'3.12' / '3.12.4' / '2.36' -> (major, minor)."""
    parts = text.split(".")
    return int(parts[0]), int(parts[1]) if len(parts) > 1 else 0


def glibc_platforms(glibc: str, arch: str) -> list[str]:
    """manylinux tags a glibc `glibc` system accepts, newest first.

    pip's ``--platform`` takes tags literally (no expansion to older glibc), so the
    full list must be spelled out, legacy aliases included, ending with linux_<arch>.
    """
    major, newest = parse_version_pair(glibc)
    if major != 2:
        raise ValueError(f"unexpected glibc version {glibc!r}")
    tags: list[str] = []
    for minor in range(newest, OLDEST_GLIBC_MINOR[arch] - 1, -1):
        tags.append(f"manylinux_2_{minor}_{arch}")
        legacy = LEGACY_MANYLINUX.get((2, minor))
        if legacy:  # loop for aarch64 stops at 2.17, so only the 2014 alias applies
            tags.append(f"{legacy}_{arch}")
    tags.append(f"linux_{arch}")
    return tags


def musl_platforms(musl: str, arch: str) -> list[str]:
    """musllinux tags a musl `musl` system accepts, newest first, then linux_<arch>."""
    major, newest = parse_version_pair(musl)
    tags = [f"musllinux_{major}_{minor}_{arch}" for minor in range(newest, -1, -1)]
    tags.append(f"linux_{arch}")
    return tags


def target_marker_env(python: str, machine: str) -> dict[str, str]:
    """PEP 508 marker values of CPython `python` on Linux/`machine` (as seen in the image).

    ``python`` "3.12" means 3.12.0 - the same reading pip gives ``--python-version 3.12``
    for Requires-Python.  platform_release/platform_version are the kernel's, which a
    container shares with its host, so the host values are kept.
    """
    parts = python.split(".")
    full = ".".join([*parts, "0", "0"][:3])
    uname = os.uname()
    return {
        "implementation_name": "cpython",
        "implementation_version": full,
        "os_name": "posix",
        "platform_machine": machine,
        "platform_release": uname.release,
        "platform_system": "Linux",
        "platform_version": uname.version,
        "python_full_version": full,
        "platform_python_implementation": "CPython",
        "python_version": ".".join(parts[:2]),
        "sys_platform": "linux",
    }


def abi_tags(python: str) -> list[str]:
    major, minor = parse_version_pair(python)
    return [f"cp{major}{minor}", "abi3", "none"]


# --------------------------------------------------------------------------- pip venv


def clean_env() -> dict[str, str]:
    """Environment without any pip configuration of this machine.

    PIP_* variables (find-links, certs, timeouts) and config files (extra file://
    indexes, a constraints file) would change pip's answer; PIP_CONFIG_FILE=/dev/null
    makes pip skip every config file, also in the build-env subprocesses that
    ``--isolated`` does not reach.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env["PIP_CONFIG_FILE"] = os.devnull
    env["GIT_TERMINAL_PROMPT"] = "0"  # a VCS line must fail, not wait for a password
    return env


def interpreter_version(python: Path | str) -> str | None:
    try:
        out = subprocess.run(
            [str(python), "-c", "import sys; print(*sys.version_info[:3], sep='.')"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def find_interpreter(python: str) -> Path | None:
    """A local CPython X.Y matching the target, so sdist metadata is built as in the image.

    Looks at pyenv's versions first (this machine has them), then PATH.
    """
    minor = ".".join(python.split(".")[:2])
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates = sorted(pyenv_root.glob(f"versions/{minor}.*/bin/python{minor}"), reverse=True)
    on_path = shutil.which(f"python{minor}")
    candidates += [Path(on_path)] if on_path else []
    for candidate in candidates:
        found = interpreter_version(candidate)
        if found and found.startswith(minor + "."):
            return candidate
    return None


_UPGRADED: set[Path] = set()  # venvs already upgraded by this process


def ensure_pip_venv(cache_dir: Path, base: Path, upgrade: bool = False) -> Path:
    """Create (once per interpreter X.Y) a venv with the latest pip and packaging from PyPI."""
    version = interpreter_version(base) or "unknown"
    venv = cache_dir / ("venv-py" + ".".join(version.split(".")[:2]))
    python = venv / "bin" / "python"
    stamp = venv / ".pip-upgraded"
    if python.exists() and stamp.exists() and not (upgrade and venv not in _UPGRADED):
        return python
    cache_dir.mkdir(parents=True, exist_ok=True)
    if not python.exists():
        subprocess.run([str(base), "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--isolated",
            "--quiet",
            "--upgrade",
            "--index-url",
            PYPI_SIMPLE,
            "pip",
            "packaging",
        ],
        check=True,
        env=clean_env(),
    )
    stamp.write_text(time.strftime("%Y-%m-%dT%H:%M:%S\n"))
    _UPGRADED.add(venv)
    return python


def pip_version(python: Path) -> str:
    out = subprocess.run(
        [str(python), "-c", "import pip; print(pip.__version__)"],
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip()


# --------------------------------------------------------------------------- running pip


def pip_args(
    reqfile: Path,
    python: str,
    platforms: Sequence[str],
    report: Path,
    cache_dir: Path,
    build_constraint: Path | None,
) -> list[str]:
    args = [
        "install",
        "--isolated",
        "--dry-run",
        "--ignore-installed",
        "--quiet",
        "--report",
        str(report),
        "--index-url",
        PYPI_SIMPLE,
        # A cache of our own: never reuse wheels this host built for other purposes.
        "--cache-dir",
        str(cache_dir / "pip-cache"),
        "--python-version",
        python,
        "--implementation",
        "cp",
    ]
    for abi in abi_tags(python):
        args += ["--abi", abi]
    for platform in platforms:
        args += ["--platform", platform]
    if build_constraint:
        args += ["--build-constraint", str(build_constraint)]
    return [*args, "-r", str(reqfile)]


def run_pip(
    python_exe: Path,
    args: list[str],
    marker_env: dict[str, str],
    timeout: float,
    borrow_metadata: bool,
    tmp: Path,
) -> tuple[int, str]:
    """Run pip through the shim below; return (exit code, stderr+stdout text)."""
    env = clean_env()
    env["TMPDIR"] = str(tmp)  # pip's build dirs and borrowed metadata go away with `tmp`
    env[MARKER_ENV_VAR] = json.dumps(marker_env)
    env[BORROW_ENV_VAR] = "1" if borrow_metadata else "0"
    cmd = [str(python_exe), str(Path(__file__).resolve()), SHIM_FLAG, *args]
    try:
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        out = (exc.stderr or b"") if isinstance(exc.stderr, bytes) else (exc.stderr or "")
        text = out.decode(errors="replace") if isinstance(out, bytes) else out
        return -1, f"{text}\nERROR: pip timed out after {timeout:.0f}s"
    return proc.returncode, proc.stderr + proc.stdout


# --------------------------------------------------------------------------- reading results


def canonical(name: str) -> str:
    try:
        from packaging.utils import canonicalize_name
    except ImportError:  # same rule (PEP 503), for a driver Python without packaging
        return re.sub(r"[-_.]+", "-", name).lower()
    return str(canonicalize_name(name))


def packages_from_report(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    packages: dict[str, dict[str, Any]] = {}
    for item in report.get("install", []):
        url: str = item["download_info"]["url"]
        file = url.split("#", 1)[0].rstrip("/").rsplit("/", 1)[-1]
        packages[canonical(item["metadata"]["name"])] = {
            "version": item["metadata"]["version"],
            "kind": "wheel" if file.endswith(".whl") else "sdist",
            "file": file,
            "requested": bool(item.get("requested")),
            # Direct URL / VCS requirement: "file" is then the URL's last segment.
            "direct": bool(item.get("is_direct")),
        }
    return dict(sorted(packages.items()))


# pip's decoration characters (box drawing, the "\u00d7" cross) on otherwise empty lines.
_NOISE = re.compile("^\\s*(\\[notice\\]|note: |hint: |[\u2502\u2570\u256d\u00d7]?\\s*$)")


def _without_traceback(block: list[str]) -> list[str]:
    """Drop traceback frames ('File ...' lines, their deeper-indented source, '^^^')."""
    kept: list[str] = []
    frame_indent = None  # indentation of the last 'File ...' line
    for raw in block:
        line = raw.strip()
        indent = len(raw) - len(raw.lstrip())
        if frame_indent is not None and indent > frame_indent:
            continue  # the frame's source line or its ^^^ markers
        frame_indent = indent if line.startswith('File "') else None
        if frame_indent is None and line and not line.startswith("Traceback"):
            kept.append(line)
    return kept


_VERSION_LIST = re.compile(r"\(from versions: ([^)]*)\)")


def _shorten_versions(match: re.Match[str]) -> str:
    """pip lists every release it saw; the newest few are enough to read the failure."""
    versions = [v.strip() for v in match.group(1).split(",") if v.strip()]
    if len(versions) <= 6:
        return match.group(0)
    return f"(from versions: {len(versions)} in all, newest: {', '.join(versions[-5:])})"


def summarize_error(output: str, max_chars: int = 2000) -> str:
    """The lines that say why pip failed: ERROR lines plus the tail of a build log."""
    lines = [ln.rstrip() for ln in output.splitlines() if not ln.startswith("pip-oracle: ")]
    errors = [ln for ln in lines if ln.startswith("ERROR:")]
    tail: list[str] = []
    if "[end of output]" in output:
        # A build backend failed: its last lines usually name the missing tool/header.
        end = max(i for i, ln in enumerate(lines) if "[end of output]" in ln)
        start = max(
            (i for i, ln in enumerate(lines[:end]) if "lines of output]" in ln),
            default=max(0, end - 30),
        )
        tail = _without_traceback(lines[start + 1 : end])[-3:]
    picked = tail + errors if errors else tail or [ln for ln in lines if not _NOISE.match(ln)][-8:]
    text = _VERSION_LIST.sub(_shorten_versions, "\n".join(picked).strip())
    return text if len(text) <= max_chars else "..." + text[-max_chars:]


_FAILED_PACKAGE = [
    re.compile(r"Failed to build '([^']+)'"),
    re.compile(r"Failed to build ([A-Za-z0-9._-]+)"),
    re.compile(r"No matching distribution found for ([A-Za-z0-9._-]+)"),
    re.compile(r"Could not find a version that satisfies the requirement ([A-Za-z0-9._-]+)"),
    re.compile(r"Package '([^']+)' requires a different Python"),
    re.compile(r"Cannot install ([A-Za-z0-9._-]+)"),
]


def classify_error(output: str) -> tuple[str, str | None]:
    """(kind, package): kind is resolution | build | direct | other.

    'build' = pip chose an sdist but its metadata build failed (the shim names it);
    'direct' = a direct URL / VCS line could not be fetched or was rejected.
    """
    package = None
    failed = marked(output, FAILED_MARK)
    if failed:
        package = canonical(failed[0].split()[0])
    for pattern in _FAILED_PACKAGE:
        match = pattern.search(output) if package is None else None
        if match:
            package = canonical(match.group(1))
    if (
        "git clone" in output
        or "invalid-egg-fragment" in output
        or ("Cannot find command 'git'" in output)
    ):
        return "direct", package
    if failed or "metadata-generation-failed" in output or "Failed to build" in output:
        return "build", package
    if (
        "ResolutionImpossible" in output
        or "No matching distribution" in output
        or "requires a different Python" in output
    ):
        return "resolution", package
    return "other", package


# --------------------------------------------------------------------------- driver


@dataclass(frozen=True)
class Attempt:
    """One way of running pip (the first is the faithful one; see next_attempt)."""

    base_python: Path
    build_constraints: tuple[str, ...] = ()
    borrow_metadata: bool = False
    skip_direct: bool = False

    def label(self) -> str:
        version = interpreter_version(self.base_python) or "?"
        extras = [f"build-constraint {c}" for c in self.build_constraints]
        extras += ["PyPI metadata for sdists whose metadata build fails"] * self.borrow_metadata
        extras += ["direct URL/VCS lines skipped"] * self.skip_direct
        return f"pip on CPython {version}" + "".join(f" + {e}" for e in extras)


def first_attempt(python: str) -> Attempt:
    """Faithful: pip under a local CPython of the target's X.Y when there is one, so
    sdists whose metadata cannot be built on that Python fail as in the image."""
    return Attempt(find_interpreter(python) or Path(sys.executable))


def next_attempt(current: Attempt, error_kind: str | None) -> Attempt | None:
    """The fallback after a failed attempt, or None to stop.

    A failed metadata build or an unusable direct URL/VCS line stops pip's whole
    resolution and hides every other choice.  The faithful failure stays recorded as
    pip's answer; the fallbacks only recover the *file choices*, which do not depend on it:
    - direct: this sandbox reaches package registries only, so such lines are skipped;
    - build: pin setuptools below 81 for sdist builds (81 removed pkg_resources, which
      many old setup.py import) and, where a metadata build still fails, take that
      release's dependencies from PyPI's JSON API.
    """
    if error_kind == "direct" and not current.skip_direct:
        return replace(current, skip_direct=True)
    if error_kind == "build" and not current.borrow_metadata:
        return replace(current, build_constraints=LEGACY_BUILD_PINS, borrow_metadata=True)
    return None


# A requirement line that names a direct URL or VCS source rather than an index project.
_DIRECT_LINE = re.compile(
    r"^\s*(?:(?:-e|--editable)\s+)?(?:(?:git|hg|svn|bzr)\+|[a-z]+://|file:"
    r"|[A-Za-z0-9][A-Za-z0-9._-]*\s*(?:\[[^\]]*\])?\s*@\s*\S)"
)
_INCLUDE_LINE = re.compile(r"^(\s*(?:-r|--requirement|-c|--constraint)(?:\s+|=))(\S+)(.*)$")


def direct_name(line: str) -> str:
    """Project name of a direct line: 'name @ url' or the URL's #egg= fragment."""
    named = re.match(
        r"^\s*(?:(?:-e|--editable)\s+)?([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*@", line
    )
    if named and "://" not in named.group(1):
        return canonical(named.group(1))
    egg = re.search(r"#egg=([A-Za-z0-9._-]+?)(?:==|&|$|\s)", line)
    url = line.split()[-1]
    return canonical(egg.group(1)) if egg else url.rstrip("/").rsplit("/", 1)[-1]


def strip_direct_lines(reqfile: Path, dest: Path) -> tuple[Path, dict[str, str]]:
    """Copy `reqfile` to `dest` without its direct URL/VCS lines; return {name: line}.

    Includes (-r/-c) are made absolute so they still resolve from the copy's new folder.
    Only the top-level file is filtered.
    """
    kept, skipped = [], {}
    for line in reqfile.read_text().splitlines():
        include = _INCLUDE_LINE.match(line)
        if include:
            target = (reqfile.resolve().parent / include.group(2)).resolve()
            line = f"{include.group(1)}{target}{include.group(3)}"
        elif _DIRECT_LINE.match(line):
            skipped[direct_name(line)] = line.strip()
            line = "# skipped by pip_oracle: " + line
        kept.append(line)
    dest.write_text("\n".join(kept) + "\n")
    return dest, skipped


def run_attempt(
    attempt: Attempt,
    reqfile: Path,
    python: str,
    platforms: Sequence[str],
    machine: str,
    cache_dir: Path,
    timeout: float,
    upgrade_pip: bool,
) -> dict[str, Any]:
    python_exe = ensure_pip_venv(cache_dir, attempt.base_python, upgrade=upgrade_pip)
    result: dict[str, Any] = {
        "how": attempt.label(),
        "pip_version": pip_version(python_exe),
        "ok": False,
        "error": None,
        "error_kind": None,
        "error_package": None,
        "packages": {},
    }
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="pip-oracle-") as tmp:
        report_path = Path(tmp) / "report.json"
        constraint_path = None
        if attempt.build_constraints:
            constraint_path = Path(tmp) / "build-constraints.txt"
            constraint_path.write_text("\n".join(attempt.build_constraints) + "\n")
        skipped: dict[str, str] = {}
        if attempt.skip_direct:
            reqfile, skipped = strip_direct_lines(reqfile, Path(tmp) / "requirements.txt")
        args = pip_args(
            reqfile.resolve(), python, platforms, report_path, cache_dir, constraint_path
        )
        code, output = run_pip(
            python_exe,
            args,
            target_marker_env(python, machine),
            timeout,
            attempt.borrow_metadata,
            Path(tmp),
        )
        result["metadata_build_failed"] = marked(output, FAILED_MARK)
        result["metadata_borrowed"] = marked(output, BORROWED_MARK)
        if code == 0 and report_path.exists():
            result["ok"] = True
            result["packages"] = packages_from_report(json.loads(report_path.read_text()))
            result["packages"].update(unfetched_entries(skipped))
        else:
            result["error"] = summarize_error(output) or f"pip exited with {code}"
            result["error_kind"], result["error_package"] = classify_error(output)
    result["seconds"] = round(time.monotonic() - started, 1)
    return result


def marked(output: str, mark: str) -> list[str]:
    """'name version' of each shim line carrying `mark`, in order, without duplicates."""
    found = [" ".join(ln.split()[2:4]) for ln in output.splitlines() if ln.startswith(mark)]
    return list(dict.fromkeys(found))


def unfetched_entries(skipped: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Placeholders for direct lines pip could not fetch here: kind 'direct', no version."""
    return {
        name: {
            "version": None,
            "kind": "direct",
            "file": line,
            "requested": True,
            "direct": True,
            "fetched": False,
        }
        for name, line in skipped.items()
    }


def run_oracle(
    reqfile: Path,
    python: str,
    platforms: Sequence[str],
    machine: str,
    cache_dir: Path = DEFAULT_CACHE,
    timeout: float = DEFAULT_TIMEOUT_S,
    upgrade_pip: bool = False,
) -> dict[str, Any]:
    """Run pip for one requirements file and target; return the oracle JSON document.

    Top-level ok/error are pip's faithful answer.  When that failed while building sdist
    metadata, ``packages`` may still come from a fallback attempt; ``packages_from`` says
    which, and ``attempts`` keeps every try.
    """
    attempts: list[dict[str, Any]] = []
    attempt: Attempt | None = first_attempt(python)
    while attempt is not None:
        outcome = run_attempt(
            attempt, reqfile, python, platforms, machine, cache_dir, timeout, upgrade_pip
        )
        attempts.append(outcome)
        attempt = None if outcome["ok"] else next_attempt(attempt, outcome["error_kind"])
    faithful, last = attempts[0], attempts[-1]
    return {
        "requirements": str(reqfile),
        "python": python,
        "machine": machine,
        "platforms": list(platforms),
        "pip_version": faithful["pip_version"],
        "ok": faithful["ok"],
        "error": faithful["error"],
        "error_kind": faithful["error_kind"],
        "error_package": faithful["error_package"],
        "packages_from": last["how"] if last["ok"] else None,
        "fallback": last["ok"] and not faithful["ok"],
        "seconds": round(sum(a["seconds"] for a in attempts), 1),
        "packages": last["packages"] if last["ok"] else {},
        # sdists pip chose whose metadata could not be built here (faithful run), and
        # those whose dependencies the fallback took from PyPI instead.
        "metadata_build_failed": list(
            dict.fromkeys(name for a in attempts for name in a["metadata_build_failed"])
        ),
        "metadata_borrowed": last["metadata_borrowed"],
        "attempts": [{k: v for k, v in a.items() if k != "packages"} for a in attempts],
    }


def platforms_from_args(args: argparse.Namespace) -> list[str]:
    if args.platform:
        return list(args.platform)
    if args.glibc:
        return glibc_platforms(args.glibc, args.arch)
    if args.musl:
        return musl_platforms(args.musl, args.arch)
    raise SystemExit("give --glibc, --musl or --platform")


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("reqfile", type=Path)
    parser.add_argument("--python", default="3.12", help="target CPython X.Y (or X.Y.Z)")
    libc = parser.add_mutually_exclusive_group()
    libc.add_argument("--glibc", help="target glibc version, e.g. 2.36")
    libc.add_argument("--musl", help="target musl version, e.g. 1.2")
    parser.add_argument("--arch", choices=sorted(OLDEST_GLIBC_MINOR), default="x86_64")
    parser.add_argument(
        "--platform",
        action="append",
        help="explicit platform tag (repeatable; overrides --glibc/--musl)",
    )
    parser.add_argument("-o", "--output", type=Path, help="write JSON here (default: stdout)")
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S)
    parser.add_argument(
        "--upgrade-pip", action="store_true", help="re-fetch the latest pip into the oracle venv"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    result = run_oracle(
        args.reqfile,
        args.python,
        platforms_from_args(args),
        args.arch,
        args.cache_dir,
        args.timeout,
        args.upgrade_pip,
    )
    text = json.dumps(result, indent=2) + "\n"
    if args.output:
        args.output.write_text(text)
    else:
        sys.stdout.write(text)
    return 0 if result["ok"] else 1


# --------------------------------------------------------------------------- shim


def shim_main(pip_argv: list[str]) -> int:
    """Runs under the oracle venv's Python: pip's own main with the patches described at
    the top, plus the metadata watcher below."""
    from pip._internal.cli import cmdoptions
    from pip._internal.cli.main import main as pip_main
    from pip._internal.models import installation_report
    from pip._vendor.packaging import markers

    target = json.loads(os.environ[MARKER_ENV_VAR])

    def target_environment() -> dict[str, str]:
        return dict(target)  # a fresh copy, callers mutate it

    def allow_sdists(options: Any, check_target: bool = False) -> None:
        return None  # pip in the image may build sdists: keep that choice visible

    cmdoptions.check_dist_restriction = allow_sdists
    # Marker.evaluate() looks default_environment up in its module at call time.
    markers.default_environment = target_environment
    installation_report.default_environment = target_environment  # type: ignore[attr-defined]
    _watch_sdist_metadata(borrow=os.environ.get(BORROW_ENV_VAR) == "1")
    return int(pip_main(pip_argv))


def _watch_sdist_metadata(borrow: bool) -> None:
    """Report (on stderr) each sdist whose metadata build fails; if `borrow`, carry on
    with that release's metadata from PyPI's JSON API instead of failing."""
    from pip._internal.distributions.sdist import SourceDistribution
    from pip._internal.exceptions import PipError

    original = SourceDistribution.prepare_distribution_metadata

    def prepare(self: Any, *args: Any, **kwargs: Any) -> None:
        try:
            original(self, *args, **kwargs)
        except PipError:
            name, version = _sdist_name_version(self.req.link.filename)
            print(f"{FAILED_MARK} {name} {version} {self.req.link.filename}", file=sys.stderr)
            directory = _borrowed_metadata(name, version, self.req.source_dir) if borrow else None
            if directory is None:
                raise
            print(f"{BORROWED_MARK} {name} {version}", file=sys.stderr)
            self.req.metadata_directory = directory

    SourceDistribution.prepare_distribution_metadata = prepare  # type: ignore[method-assign]


def _sdist_name_version(filename: str) -> tuple[str, str]:
    stem = re.sub(r"\.(tar\.gz|tar\.bz2|tar\.xz|tgz|zip|tar)$", "", filename)
    name, _, version = stem.rpartition("-")
    return name, version


def _borrowed_metadata(name: str, version: str, source_dir: str | None) -> str | None:
    """Write a .dist-info/METADATA for a release whose sdist metadata build failed; return
    its folder, or None when nothing usable is found.

    Only dependencies matter here (pip already chose the file).  Sources, best first: the
    METADATA of any wheel of the same release (PEP 658 file, else the wheel itself), then
    the sdist's own PKG-INFO plus its *.egg-info/requires.txt (what setuptools wrote when
    the sdist was made).
    """
    text = _wheel_metadata(name, version)
    if text is None and source_dir:
        text = _sdist_static_metadata(Path(source_dir))
    if text is None:
        return None
    folder = Path(tempfile.mkdtemp(prefix="pip-oracle-meta-")) / f"{name}-{version}.dist-info"
    folder.mkdir()
    (folder / "METADATA").write_text(text)
    return str(folder)


def _fetch(url: str, accept: str | None = None) -> bytes | None:
    import urllib.request

    request = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return bytes(response.read())
    except Exception:  # any network/HTTP problem: the caller tries the next source
        return None


def _wheel_metadata(name: str, version: str) -> str | None:
    import io
    import zipfile

    listing = _fetch(f"{PYPI_SIMPLE}/{canonical(name)}/", "application/vnd.pypi.simple.v1+json")
    if listing is None:
        return None
    wheels = [
        f
        for f in json.loads(listing)["files"]
        if f["filename"].endswith(".whl") and f["filename"].split("-")[1] == version
    ]
    for wheel in sorted(wheels, key=lambda f: f.get("size") or 0):
        data = _fetch(wheel["url"] + ".metadata")  # PEP 658, a few KB
        if data is None:
            data = _fetch(wheel["url"])
            if data is None:
                continue
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                member = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
                data = archive.read(member)
        return data.decode("utf-8", errors="replace")
    return None


def _sdist_static_metadata(source_dir: Path) -> str | None:
    pkg_info = source_dir / "PKG-INFO"
    if not pkg_info.exists():
        return None
    headers = pkg_info.read_text(errors="replace").split("\n\n", 1)[0].splitlines()
    keep = ("Name:", "Version:", "Requires-Python:", "Requires-Dist:", "Provides-Extra:")
    lines = ["Metadata-Version: 2.1"] + [h for h in headers if h.startswith(keep)]
    for requires in sorted(source_dir.glob("*.egg-info/requires.txt"))[:1]:
        lines += _requires_txt_to_metadata(requires.read_text(errors="replace"))
    return "\n".join(lines) + "\n"


def _requires_txt_to_metadata(text: str) -> list[str]:
    """setuptools' requires.txt ('[extra:marker]' sections) -> Requires-Dist lines."""
    lines: list[str] = []
    marker = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("["):
            extra, _, condition = line.strip("[]").partition(":")
            parts = [f"({condition})"] if condition else []
            if extra:
                parts.append(f'extra == "{extra}"')
                lines.append(f"Provides-Extra: {extra}")
            marker = " and ".join(parts)
            continue
        lines.append(f"Requires-Dist: {line}" + (f"; {marker}" if marker else ""))
    return lines


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == SHIM_FLAG:
        sys.exit(shim_main(sys.argv[2:]))
    sys.exit(main(sys.argv[1:]))
