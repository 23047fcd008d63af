#!/usr/bin/env python3
"""Time wheelfit (three images) against uv (one platform) on the same requirements files.

Each run is a child process: wall time by time.perf_counter() around it, peak RSS and CPU
time from the child's own rusage (/usr/bin/time when present, else os.wait4). Cold runs use
a fresh, empty cache folder; warm runs repeat the same command on the folder the cold run
filled. See benchmarks/README.md for what the figures mean and their caveats.

    python benchmarks/bench_resolve.py                   # both default files, once
    python benchmarks/bench_resolve.py --repeat 3 --files ../shared/corpus/awx.txt
    python benchmarks/bench_resolve.py --skip-uv
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import glob
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DEFAULT_FILES = ["../shared/corpus/healthchecks.txt", "../shared/corpus/awx.txt"]
IMAGES = ["python:3.12-bookworm", "python:3.12-slim-bookworm", "python:3.12-alpine"]
SINGLE_IMAGE = "python:3.12-slim-bookworm"  # the image matching uv's x86_64-manylinux_2_36
UV_PLATFORM = "x86_64-manylinux_2_36"  # glibc 2.36 = Debian bookworm
PY = "3.12"
INDEX = "https://pypi.org/simple"
TIME_BIN = "/usr/bin/time"
# A requirement line that names a URL (PEP 508 "name @ url", or a bare VCS/URL line).
DIRECT_URL_RE = re.compile(
    r"^\s*(?:[A-Za-z0-9][A-Za-z0-9._-]*(?:\[[^\]]*\])?\s*@\s*\S|(?:git|hg|svn|bzr)\+|https?://)"
)


@dataclass
class Run:
    file: str
    tool: str  # "wheelfit" or "uv"
    variant: str  # what differs from the plain command: "", "--no-build-deps", "--no-build", ...
    targets: str  # "3 images", "1 image", "1 platform"
    cache: str  # "cold" or "warm"
    repeat: int
    command: list[str]
    seconds: float = 0.0
    peak_rss_mb: float | None = None
    cpu_user_s: float | None = None
    cpu_sys_s: float | None = None
    exit_status: int | str = 0  # an int, or "timeout"
    error_tail: str = ""
    notes: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.exit_status == 0

    @property
    def label(self) -> str:
        return f"{self.tool} {self.variant}".strip()


# -- running one child ---------------------------------------------------------------------


def run_child(cmd: list[str], env: dict[str, str], timeout: float, cwd: Path) -> dict[str, Any]:
    """Wall seconds, peak RSS (KiB), CPU seconds, exit status and stderr of one command."""
    fd, stderr_path = tempfile.mkstemp(prefix="bench-err-")
    os.close(fd)
    use_time = os.access(TIME_BIN, os.X_OK)
    time_out = None
    full = cmd
    if use_time:
        fd, time_out = tempfile.mkstemp(prefix="bench-time-")
        os.close(fd)
        # -o keeps time's line out of the child's own stderr
        full = [TIME_BIN, "-o", time_out, "-f", "%M %U %S", *cmd]
    with open(stderr_path, "wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            full,
            stdout=subprocess.DEVNULL,
            stderr=err,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=cwd,
            start_new_session=True,  # its own process group, so a timeout kills builds too
        )
        status: int | str
        rusage = None
        deadline = start + timeout
        while True:
            pid, wait_status, rusage = os.wait4(proc.pid, os.WNOHANG)
            if pid == proc.pid:
                seconds = time.perf_counter() - start
                status = os.waitstatus_to_exitcode(wait_status)
                break
            if time.perf_counter() > deadline:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                _, _, rusage = os.wait4(proc.pid, 0)
                seconds = time.perf_counter() - start
                status = "timeout"
                break
            time.sleep(0.01)
        proc.returncode = -1  # reaped above; keep Popen from waiting again
    stderr = Path(stderr_path).read_text(errors="replace")
    os.unlink(stderr_path)
    peak_kib = cpu_user = cpu_sys = None
    if time_out is not None:
        text = Path(time_out).read_text().strip().splitlines()
        os.unlink(time_out)
        # a non-zero exit makes time print "Command exited with non-zero status N" first
        last = text[-1].split() if text else []
        if len(last) == 3:
            with contextlib.suppress(ValueError):
                peak_kib, cpu_user, cpu_sys = int(last[0]), float(last[1]), float(last[2])
        if isinstance(status, int) and text and "non-zero status" in text[0]:
            status = int(text[0].rsplit(" ", 1)[-1])
    if status == "timeout":
        peak_kib = cpu_user = cpu_sys = None  # the tree was killed: its rusage is not the run's
    elif peak_kib is None and rusage is not None:
        # os.wait4 rusage of the child (and its waited-for descendants); Linux gives KiB
        peak_kib, cpu_user, cpu_sys = rusage.ru_maxrss, rusage.ru_utime, rusage.ru_stime
    return {
        "seconds": seconds,
        "peak_kib": peak_kib,
        "cpu_user": cpu_user,
        "cpu_sys": cpu_sys,
        "status": status,
        "stderr": stderr,
    }


def last_error_line(stderr: str) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for line in reversed(lines):
        if line.lower().startswith(
            ("error", "fatal", "\u00d7", "\u2570\u2500\u25b6", "caused by", "wheelfit: error")
        ):
            return line[:300]
    return lines[-1][:300] if lines else ""


# -- the tools -----------------------------------------------------------------------------


def wheelfit_cmd(
    python: str, file: Path, images: list[str], cache: Path, out: Path, extra: list[str]
) -> list[str]:
    cmd = [python, "-m", "wheelfit", str(file)]
    for image in images:
        cmd += ["--image", image]
    return [*cmd, "--format", "json", "-o", str(out), "--cache-dir", str(cache), *extra]


def uv_cmd(uv: str, file: Path, cache: Path, uv_python: str | None, extra: list[str]) -> list[str]:
    cmd = [uv, "pip", "compile", str(file)]
    if uv_python:
        cmd += ["--python", uv_python]  # interpreter for builds only; the target is below
    return [
        *cmd,
        *("--python-platform", UV_PLATFORM, "--python-version", PY, "--no-header"),
        *("-o", os.devnull, "--index-url", INDEX, "--cache-dir", str(cache)),
        *extra,
    ]


def wheelfit_details(out: Path) -> dict[str, Any]:
    """Per-target totals from wheelfit's JSON report: proof the run did the work."""
    try:
        report = json.loads(out.read_text())
    except (OSError, ValueError):
        return {}
    targets = {}
    for target in report.get("targets", []):
        targets[target["id"]] = {
            "totals": target.get("totals"),
            "complete": target.get("resolution", {}).get("complete"),
            "problems": len(target.get("resolution", {}).get("problems", [])),
        }
    return {"targets": targets, "input_errors": len(report.get("input_errors", []))}


def uv_details(stderr: str, cache: Path) -> dict[str, Any]:
    details: dict[str, Any] = {}
    match = re.search(r"Resolved (\d+) packages? in ([\d.]+m?s)", stderr)
    if match:
        details["resolved"] = int(match[1])
        details["uv_reported_time"] = match[2]
    # uv keeps each sdist it had to download (to build its metadata) under sdists-v*/
    built = sorted({Path(p).name for p in glob.glob(str(cache / "sdists-v*" / "pypi" / "*"))})
    details["sdists_in_cache"] = built
    if "will be used to build dependencies instead" in stderr:
        details["build_python_mismatch"] = True
    return details


def find_python312() -> str | None:
    """A working 3.12 interpreter for uv's builds, so uv does not try to download one."""
    candidates = [shutil.which("python3.12") or ""]
    candidates += sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.12*/bin/python3.12")))
    candidates += ["/usr/bin/python3.12", "/usr/local/bin/python3.12"]
    for candidate in candidates:
        if not candidate or not os.access(candidate, os.X_OK):
            continue
        try:
            out = subprocess.run(
                [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                capture_output=True,
                text=True,
                timeout=20,
            )
        except (OSError, subprocess.TimeoutExpired):
            continue
        if out.returncode == 0 and out.stdout.strip() == PY:
            return candidate
    return None


def version_of(cmd: list[str]) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=60, cwd=REPO)
        return (out.stdout or out.stderr).strip().splitlines()[0]
    except (OSError, subprocess.TimeoutExpired, IndexError):
        return "unknown"


def registry_only_copy(file: Path, dest_dir: Path) -> tuple[Path, list[str]] | None:
    """The file without its direct-URL lines (uv must clone/download those; wheelfit only
    reports them), or None when it has none."""
    lines = file.read_text().splitlines(keepends=True)
    dropped = [line.strip() for line in lines if DIRECT_URL_RE.match(line)]
    if not dropped:
        return None
    copy = dest_dir / f"{file.stem}.registry-only{file.suffix}"
    copy.write_text("".join(line for line in lines if not DIRECT_URL_RE.match(line)))
    return copy, dropped


def git_state() -> dict[str, Any]:
    """The commit, and the tracked files that differ from it where wheelfit's code lives: the
    code under test (the dev venv installs it editable, so edits count from the next run)."""
    status = subprocess.run(
        [
            "git",
            "status",
            "--porcelain",
            "--untracked-files=no",
            "--",
            "wheelfit",
            "pyproject.toml",
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
    ).stdout
    return {
        "commit": version_of(["git", "rev-parse", "HEAD"]),
        "dirty": [line[3:] for line in status.splitlines() if line.strip()],
    }


def index_cache_headers() -> dict[str, str | None]:
    """The caching headers the index sends for one project page: they decide what 'warm'
    means (a page without Cache-Control or ETag is refetched by uv on every run)."""
    request = urllib.request.Request(
        f"{INDEX}/pip/", headers={"Accept": "application/vnd.pypi.simple.v1+json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            names = ("cache-control", "etag", "last-modified", "age")
            return {name: response.headers.get(name) for name in names}
    except OSError as exc:
        return {"error": str(exc)}


# -- the plan ------------------------------------------------------------------------------


class Bench:
    def __init__(self, args: argparse.Namespace, work: Path) -> None:
        self.args = args
        self.work = work
        self.runs: list[Run] = []
        self.env_wheelfit = dict(os.environ, NO_COLOR="1")
        self.env_uv = dict(
            os.environ,
            UV_NO_CONFIG="1",
            UV_PYTHON_DOWNLOADS="never",  # this machine cannot download Pythons: fail fast
            NO_COLOR="1",
        )
        self.counter = 0

    def fresh_dir(self, tag: str) -> Path:
        self.counter += 1
        path = self.work / f"{self.counter:03d}-{tag}"
        path.mkdir()
        return path

    def execute(self, run: Run, *, cache_dir: Path, out: Path | None = None) -> Run:
        sys.stderr.write(f"  {run.file:<18} {run.label:<28} {run.targets:<10} {run.cache:<4} ... ")
        sys.stderr.flush()
        env = self.env_uv if run.tool == "uv" else self.env_wheelfit
        result = run_child(run.command, env, self.args.timeout, REPO)
        run.seconds = round(result["seconds"], 3)
        if result["peak_kib"] is not None:
            run.peak_rss_mb = round(result["peak_kib"] / 1024, 1)
        run.cpu_user_s, run.cpu_sys_s = result["cpu_user"], result["cpu_sys"]
        run.exit_status = result["status"]
        if not run.ok:
            run.error_tail = last_error_line(result["stderr"])
            hints = [
                x.strip() for x in result["stderr"].splitlines() if x.strip().startswith("hint:")
            ]
            if hints:
                run.error_tail += " | " + hints[-1][:300]
            run.details["stderr_tail"] = result["stderr"].strip().splitlines()[-15:]
        if run.tool == "wheelfit" and out is not None:
            run.details.update(wheelfit_details(out))
        if run.tool == "uv":
            run.details.update(uv_details(result["stderr"], cache_dir))
        self.runs.append(run)
        sys.stderr.write(
            f"{run.seconds:8.2f} s  {run.peak_rss_mb or 0:7.1f} MB  exit {run.exit_status}\n"
        )
        if not run.ok:
            sys.stderr.write(f"      {run.error_tail}\n")
        return run

    def wheelfit_pair(
        self, name: str, file: Path, rep: int, images: list[str], variant: list[str], warm: bool
    ) -> None:
        targets = f"{len(images)} image" + ("s" if len(images) > 1 else "")
        cache = self.fresh_dir("wheelfit-cache")
        for kind in ("cold", "warm") if warm else ("cold",):
            out = self.work / f"{self.counter:03d}-wheelfit-{kind}.json"
            cmd = wheelfit_cmd(self.args.wheelfit_python, file, images, cache, out, variant)
            self.execute(
                Run(name, "wheelfit", " ".join(variant), targets, kind, rep, cmd),
                cache_dir=cache,
                out=out,
            )

    def uv_pair(
        self, name: str, file: Path, rep: int, variant: list[str], label: str, warm: bool
    ) -> list[Run]:
        cache = self.fresh_dir("uv-cache")
        runs = []
        for kind in ("cold", "warm") if warm else ("cold",):
            cmd = uv_cmd(self.args.uv, file, cache, self.uv_python, variant)
            run = Run(name, "uv", label, "1 platform", kind, rep, cmd)
            if self.uv_python is None:
                run.notes.append("no Python 3.12 found: uv builds metadata with another Python")
            runs.append(self.execute(run, cache_dir=cache))
            if kind == "cold" and not runs[-1].ok and "--no-build" not in variant:
                # a failed cold run leaves a half-filled cache: a warm run measures nothing useful
                break
        return runs

    def run_file(self, file_arg: str, rep: int) -> None:
        file = (REPO / file_arg).resolve() if not Path(file_arg).is_absolute() else Path(file_arg)
        name = file.name
        # Alternate the tools so that a slow spell of the network hits both.
        self.wheelfit_pair(name, file, rep, IMAGES, [], warm=True)
        if not self.args.skip_uv:
            raw = self.uv_pair(name, file, rep, [], "", warm=True)
            uv_input = file
            copy = registry_only_copy(file, self.work)
            if copy is not None and raw and not raw[0].ok:
                uv_input, dropped = copy
                for run in raw:
                    run.notes.append(f"direct-URL lines in the file: {dropped}")
                runs = self.uv_pair(name, uv_input, rep, [], "(registry-only copy)", warm=True)
                for run in runs:
                    run.notes.append(f"input without its direct-URL lines {dropped}")
        if self.args.quick:
            return
        self.wheelfit_pair(name, file, rep, IMAGES, ["--no-build-deps"], warm=False)
        if not self.args.no_single_image:
            self.wheelfit_pair(name, file, rep, [SINGLE_IMAGE], [], warm=True)
        if not self.args.skip_uv:
            label = "--no-build" + (" (registry-only copy)" if uv_input != file else "")
            self.uv_pair(name, uv_input, rep, ["--no-build"], label, warm=False)

    def main(self) -> None:
        self.uv_python = None if self.args.skip_uv else (self.args.uv_python or find_python312())
        for rep in range(1, self.args.repeat + 1):
            sys.stderr.write(f"repeat {rep}/{self.args.repeat}\n")
            for file_arg in self.args.files:
                self.run_file(file_arg, rep)


# -- reporting -----------------------------------------------------------------------------


def summarize(runs: list[Run]) -> list[dict[str, Any]]:
    """One row per (file, tool, variant, targets, cache): median over repeats."""
    groups: dict[tuple[str, ...], list[Run]] = {}
    for run in runs:
        groups.setdefault((run.file, run.label, run.targets, run.cache), []).append(run)
    rows = []
    for (file, label, targets, cache), items in groups.items():
        secs = [r.seconds for r in items]
        rss = [r.peak_rss_mb for r in items if r.peak_rss_mb is not None]
        cpu = [
            r.cpu_user_s + r.cpu_sys_s
            for r in items
            if r.cpu_user_s is not None and r.cpu_sys_s is not None
        ]
        statuses = sorted({str(r.exit_status) for r in items})
        rows.append(
            {
                "file": file,
                "tool": label,
                "targets": targets,
                "cache": cache,
                "n": len(items),
                "seconds": round(statistics.median(secs), 2),
                "seconds_min": round(min(secs), 2),
                "seconds_max": round(max(secs), 2),
                "cpu_seconds": round(statistics.median(cpu), 2) if cpu else None,
                "peak_mb": round(max(rss), 1) if rss else None,
                "exit": ",".join(statuses),
                "ok": all(r.ok for r in items),
                "error": next((r.error_tail for r in items if r.error_tail), ""),
            }
        )
    return rows


def ratios(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """wheelfit (3 images) over uv (1 platform), cold/cold and warm/warm, per file."""
    out = []
    for file in dict.fromkeys(r["file"] for r in rows):
        for cache in ("cold", "warm"):
            wf = _row(rows, file, "wheelfit", "3 images", cache)
            uv = _row(rows, file, "uv", "1 platform", cache) or _row(
                rows, file, "uv (registry-only copy)", "1 platform", cache
            )
            if wf is None or uv is None:
                continue
            out.append(
                {
                    "file": file,
                    "cache": cache,
                    "wheelfit_seconds": wf["seconds"],
                    "uv_tool": uv["tool"],
                    "uv_seconds": uv["seconds"],
                    "ratio": round(wf["seconds"] / uv["seconds"], 2) if uv["seconds"] else None,
                }
            )
    return out


def _row(
    rows: list[dict[str, Any]], file: str, tool: str, targets: str, cache: str
) -> dict[str, Any] | None:
    for row in rows:
        if (row["file"], row["tool"], row["targets"], row["cache"]) == (
            file,
            tool,
            targets,
            cache,
        ) and row["ok"]:
            return row
    return None


def table(rows: list[dict[str, Any]]) -> str:
    head = ["file", "tool", "images", "cache", "n", "seconds", "cpu s", "peak MB", "exit"]
    body = [
        [
            r["file"],
            r["tool"],
            r["targets"],
            r["cache"],
            str(r["n"]),
            f"{r['seconds']:.2f}"
            + (f" ({r['seconds_min']:.2f}-{r['seconds_max']:.2f})" if r["n"] > 1 else ""),
            "" if r["cpu_seconds"] is None else f"{r['cpu_seconds']:.2f}",
            "" if r["peak_mb"] is None else f"{r['peak_mb']:.0f}",
            r["exit"],
        ]
        for r in rows
    ]
    widths = [max(len(x) for x in col) for col in zip(head, *body, strict=False)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(head, widths, strict=False))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)) for row in body]
    return "\n".join(lines)


def markdown(
    meta: dict[str, Any],
    rows: list[dict[str, Any]],
    rats: list[dict[str, Any]],
    runs: list[Run],
    profiles: dict[str, list[tuple[float, str]]] | None = None,
) -> str:
    md = [f"# Resolve benchmark, {meta['date']}", ""]
    commits_differ = meta["git_start"]["commit"] != meta["git_end"]["commit"]
    md.append(
        f"{meta['wheelfit_version']} (git {meta['git_commit'][:10]}"
        f"{', wheelfit/ edited' if meta['git_dirty'] else ''}"
        f"{', commit changed during the run' if commits_differ else ''}), {meta['uv_version']}, "
        f"Python {meta['python']}, {meta['machine']} with {meta['cpus']} CPUs. "
        f"Repeats: {meta['repeat']} (median shown; min-max in brackets). "
        f"Load average (1/5/15 min) at start {meta['loadavg_start']}, at end "
        f"{meta['loadavg_end']}: other work on the machine slows both tools."
    )
    md.append("")
    md.append(
        "wheelfit resolves for three images ("
        + ", ".join(IMAGES)
        + f", amd64); uv for one platform ({UV_PLATFORM}, "
        f"Python {PY}). Cold = fresh empty cache folder, warm = the same folder again. "
        "Peak MB is the largest process of the run's tree (uv's build subprocesses included)."
    )
    md += [
        "",
        "| file | tool | images | cache | n | seconds | cpu s | peak MB | exit |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        span = f" ({r['seconds_min']:.2f}-{r['seconds_max']:.2f})" if r["n"] > 1 else ""
        cpu = "" if r["cpu_seconds"] is None else r["cpu_seconds"]
        peak = "" if r["peak_mb"] is None else round(r["peak_mb"])
        md.append(
            f"| {r['file']} | {r['tool']} | {r['targets']} | {r['cache']} | {r['n']} "
            f"| {r['seconds']:.2f}{span} | {cpu} | {peak} | {r['exit']} |"
        )
    if rats:
        md += ["", "Ratios, wheelfit 3 images / uv 1 platform:", ""]
        for r in rats:
            md.append(
                f"- {r['file']}, {r['cache']}: {r['wheelfit_seconds']:.2f} s / "
                f"{r['uv_seconds']:.2f} s ({r['uv_tool']}) = **{r['ratio']}x**"
            )
    failures: dict[tuple[str, str, str, str, str], list[Run]] = {}
    for run in runs:
        if not run.ok:
            key = (run.file, run.label, run.cache, str(run.exit_status), run.error_tail)
            failures.setdefault(key, []).append(run)
    notes = sorted({(r.file, r.label, n) for r in runs for n in r.notes})
    uv_built = sorted(
        {
            (r.file, r.label, tuple(r.details.get("sdists_in_cache", [])))
            for r in runs
            if r.tool == "uv" and r.cache == "cold" and r.details.get("sdists_in_cache")
        }
    )
    headers = meta.get("index_cache_headers") or {}
    no_validators = bool(headers) and not any(
        headers.get(k) for k in ("error", "cache-control", "etag")
    )
    if failures or notes or uv_built or no_validators:
        md += ["", "## Notes", ""]
    for (file, label, cache, status, error), failed in failures.items():
        secs = ", ".join(f"{run.seconds:.1f}" for run in failed)
        md.append(
            f"- {file}, {label}, {cache}: exit {status} in repeat "
            f"{', '.join(str(run.repeat) for run in failed)} (after {secs} s): `` {error} ``"
        )
    if no_validators:
        md.append(
            f"- The index sent neither Cache-Control nor ETag ({INDEX}/pip/): uv then treats "
            "every cached page as stale and fetches it again on a warm run (and prepares "
            "sdist metadata again); wheelfit keeps a page without Cache-Control fresh for "
            "its default max-age, so its warm run does not touch the network."
        )
    for file, label, n in notes:
        md.append(f"- {file}, {label}: {n}")
    for file, label, names in uv_built:
        md.append(
            f"- {file}, {label}: uv downloaded {len(names)} sdists to build their "
            f"metadata: {', '.join(names)}"
        )
    for file_arg, hottest in (profiles or {}).items():
        md += ["", f"## Hottest functions of one more cold run, {file_arg}", ""]
        md.append("Self samples of the thread holding the GIL (py-spy `--gil`):")
        md.append("")
        md += [f"- {share:.1f}% `{where}`" for share, where in hottest]
    md.append("")
    return "\n".join(md)


def hottest_functions(
    args: argparse.Namespace, work_root: Path, file_arg: str, top: int = 10
) -> list[tuple[float, str]]:
    """The functions most often on top of the stack of the thread holding the GIL in a cold
    three-image run (the run is CPU-bound; threads waiting for the GIL or the network would
    otherwise fill the list). py-spy's raw output: one line per distinct stack, frames
    joined by ';', then the sample count."""
    py_spy = shutil.which("py-spy") or str(Path(args.wheelfit_python).with_name("py-spy"))
    raw = work_root / "profile.txt"
    cmd = wheelfit_cmd(
        args.wheelfit_python, REPO / file_arg, IMAGES, work_root / "cache", work_root / "o.json", []
    )
    try:
        subprocess.run(
            [
                py_spy,
                "record",
                "--gil",
                "--format",
                "raw",
                "--rate",
                "100",
                "-o",
                str(raw),
                "--",
                *cmd,
            ],
            cwd=REPO,
            capture_output=True,
            timeout=args.timeout,
            check=False,
        )
        lines = raw.read_text().splitlines()
    except (OSError, subprocess.SubprocessError) as exc:
        return [(0.0, f"py-spy failed: {exc}")]
    finally:
        shutil.rmtree(work_root, ignore_errors=True)
    counts: dict[str, int] = {}
    for line in lines:
        stack, _, number = line.rpartition(" ")
        if not number.isdigit():
            continue
        leaf = stack.split(";")[-1]
        counts[leaf] = counts.get(leaf, 0) + int(number)
    total = sum(counts.values()) or 1
    ranked = sorted(counts.items(), key=lambda item: -item[1])[:top]
    return [(round(100 * n / total, 1), where) for where, n in ranked]


def compile_bytecode(python: str) -> None:
    """Bring the bytecode of the wheelfit being timed up to date, as installing a wheel does.

    A checkout installed in editable mode compiles its changed modules again on every run
    when PYTHONDONTWRITEBYTECODE is set (it is on some machines): with every module changed,
    importing the pipeline took 0.39 s against 0.29 s, a cost an installed copy never pays.
    """
    code = "import os, wheelfit; print(os.path.dirname(wheelfit.__file__))"
    where = subprocess.run([python, "-c", code], capture_output=True, text=True, cwd=REPO)
    if where.returncode == 0:
        subprocess.run([python, "-m", "compileall", "-q", where.stdout.strip()], check=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--files",
        nargs="+",
        default=DEFAULT_FILES,
        help="requirements files (relative to the repo root)",
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="repeat the whole plan N times (default 1)"
    )
    today = dt.date.today().isoformat()
    parser.add_argument(
        "--out",
        type=Path,
        default=REPO / "benchmarks" / "results" / f"{today}.json",
        help="JSON results (a .md summary is written beside it)",
    )
    parser.add_argument("--skip-uv", action="store_true", help="time wheelfit only")
    parser.add_argument(
        "--uv", default=shutil.which("uv"), help="the uv binary (default: uv on PATH)"
    )
    parser.add_argument(
        "--uv-python", help="a Python 3.12 for uv's sdist builds (default: looked for)"
    )
    parser.add_argument(
        "--wheelfit-python", default=sys.executable, help="the Python that runs -m wheelfit"
    )
    parser.add_argument(
        "--no-single-image", action="store_true", help="skip the wheelfit one-image rows"
    )
    parser.add_argument(
        "--timeout", type=float, default=1800, help="seconds before a run is killed"
    )
    parser.add_argument(
        "--keep-caches", action="store_true", help="keep the cache folders (printed)"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="only wheelfit three images and uv, cold and warm (no variants)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="then one more cold run per file under py-spy: the ten hottest functions",
    )
    args = parser.parse_args(argv)
    if not args.skip_uv and not args.uv:
        parser.error("uv not found: put it on PATH, pass --uv PATH, or use --skip-uv")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    probe = subprocess.run(
        [args.wheelfit_python, "-c", "import wheelfit"], capture_output=True, text=True, cwd=REPO
    )
    if probe.returncode != 0:
        parser.error(
            f"{args.wheelfit_python} cannot import wheelfit: use the dev venv or --wheelfit-python"
        )
    compile_bytecode(args.wheelfit_python)
    for file_arg in args.files:
        path = REPO / file_arg
        if not path.is_file():
            parser.error(f"no such file: {path}")

    work = Path(tempfile.mkdtemp(prefix="wheelfit-bench-"))
    bench = Bench(args, work)
    started = dt.datetime.now(dt.timezone.utc)
    git_start = git_state()
    load_start = os.getloadavg()
    try:
        bench.main()
    finally:
        if args.keep_caches:
            sys.stderr.write(f"caches kept in {work}\n")
        else:
            shutil.rmtree(work, ignore_errors=True)

    git_end = git_state()
    meta = {
        "date": today,
        "started_at": started.isoformat(timespec="seconds"),
        "finished_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "wheelfit_version": version_of([args.wheelfit_python, "-m", "wheelfit", "--version"]),
        "uv_version": "uv skipped" if args.skip_uv else version_of([args.uv, "--version"]),
        "uv_build_python": bench.uv_python,
        "git_commit": git_end["commit"],
        "git_dirty": bool(git_start["dirty"] or git_end["dirty"]),
        "git_start": git_start,
        "git_end": git_end,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "repeat": args.repeat,
        "files": args.files,
        "images": IMAGES,
        "uv_platform": UV_PLATFORM,
        "loadavg_start": [round(x, 2) for x in load_start],
        "loadavg_end": [round(x, 2) for x in os.getloadavg()],
        "index_cache_headers": index_cache_headers(),
        "rss_source": TIME_BIN if os.access(TIME_BIN, os.X_OK) else "os.wait4",
    }
    rows = summarize(bench.runs)
    rats = ratios(rows)
    print(table(rows))
    if rats:
        print()
        print("wheelfit 3 images / uv 1 platform:")
        for r in rats:
            print(
                f"  {r['file']:<18} {r['cache']}: {r['wheelfit_seconds']:.2f} / "
                f"{r['uv_seconds']:.2f} ({r['uv_tool']}) = {r['ratio']}x"
            )
    profiles = {}
    if args.profile:
        for file_arg in args.files:
            profiles[file_arg] = hottest_functions(
                args, work_root=Path(tempfile.mkdtemp()), file_arg=file_arg
            )
            print(f"\nhottest functions of a cold run, {file_arg} (self samples, GIL holder):")
            for share, where in profiles[file_arg]:
                print(f"  {share:5.1f}%  {where}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "profiles": profiles,
        "meta": meta,
        "summary": rows,
        "ratios": rats,
        "runs": [asdict(r) for r in bench.runs],
    }
    args.out.write_text(json.dumps(payload, indent=2) + "\n")
    args.out.with_suffix(".md").write_text(markdown(meta, rows, rats, bench.runs, profiles))
    print(f"\nwrote {args.out} and {args.out.with_suffix('.md')}")
    return 0 if all(r.ok for r in bench.runs if r.tool == "wheelfit") else 1


if __name__ == "__main__":
    sys.exit(main())
