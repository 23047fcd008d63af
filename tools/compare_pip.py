#!/usr/bin/env python3
"""Compare wheelfit's predictions with real pip's choices (tools/pip_oracle.py).

For every requirements file of the corpus and every target image, run the pip oracle
(cached on disk) and wheelfit, then report per file x target how many packages agree
and list every disagreement.  It is a report: the exit code is 0 unless this script
itself breaks.

    python tools/compare_pip.py                       # whole default corpus, 4 targets
    python tools/compare_pip.py --only hand_ --out /tmp/cmp.json
    python tools/compare_pip.py --pip-only            # just fill the oracle cache
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pip_oracle

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus"
RESULT_CACHE = pip_oracle.DEFAULT_CACHE / "results"
# Bump when the oracle's output format or method changes: old cache entries go stale.
ORACLE_FORMAT = 3
WHEELFIT_TIMEOUT_S = 1800.0

DEFAULT_TARGETS = (
    "python:3.12-slim-bookworm@amd64",
    "python:3.12-slim-bookworm@arm64",
    "python:3.12-alpine@amd64",
    "python:3.12-alpine@arm64",
)
DOCKER_ARCH_TO_MACHINE = {"amd64": "x86_64", "arm64": "aarch64"}
# Debian release -> glibc; the official python images follow these.
DEBIAN_GLIBC = {"buster": "2.28", "bullseye": "2.31", "bookworm": "2.36", "trixie": "2.41"}
ALPINE_MUSL = "1.2"  # every Alpine since 3.13
SDIST_STATUSES = {"sdist-pure", "sdist-native"}


# --------------------------------------------------------------------------- targets & files


@dataclass(frozen=True)
class Target:
    image: str
    arch: str  # Docker's name: amd64 / arm64
    python: str
    libc: str  # glibc / musl
    libc_version: str

    @property
    def id(self) -> str:
        return f"{self.image}@{self.arch}"

    @property
    def machine(self) -> str:
        return DOCKER_ARCH_TO_MACHINE[self.arch]

    def platforms(self) -> list[str]:
        if self.libc == "musl":
            return pip_oracle.musl_platforms(self.libc_version, self.machine)
        return pip_oracle.glibc_platforms(self.libc_version, self.machine)


def parse_target(spec: str) -> Target:
    """'python:3.12-alpine@arm64' -> Target (libc from the tag's distro name)."""
    image, _, arch = spec.partition("@")
    arch = arch or "amd64"
    if arch not in DOCKER_ARCH_TO_MACHINE:
        raise SystemExit(f"unknown arch {arch!r} in {spec!r} (amd64 or arm64)")
    match = re.match(r"python:(\d+\.\d+)", image)
    if not match:
        raise SystemExit(f"cannot read the Python version from {image!r}")
    if "alpine" in image:
        return Target(image, arch, match.group(1), "musl", ALPINE_MUSL)
    for release, glibc in DEBIAN_GLIBC.items():
        if release in image:
            return Target(image, arch, match.group(1), "glibc", glibc)
    raise SystemExit(f"cannot tell the libc of {image!r}: name alpine or a Debian release")


def corpus_files(corpus: Path) -> list[Path]:
    """Top-level *.txt plus the two entry points that live in sub-folders (not large/)."""
    files = sorted(corpus.glob("*.txt"))
    for extra in ("kiwi/mariadb.txt", "hand_constraints/req.txt"):
        if (corpus / extra).exists():
            files.append(corpus / extra)
    return files


_INCLUDE = re.compile(r"^\s*(?:-r|--requirement|-c|--constraint)(?:\s+|=)(\S+)")


def content_key(reqfile: Path, seen: set[Path] | None = None) -> str:
    """Hash of a requirements file and, recursively, the -r/-c files it pulls in."""
    seen = seen if seen is not None else set()
    path = reqfile.resolve()
    if path in seen or not path.exists():
        return ""
    seen.add(path)
    text = path.read_text(errors="replace")
    digest = hashlib.sha256(text.encode())
    for line in text.splitlines():
        match = _INCLUDE.match(line)
        if match:
            digest.update(content_key(path.parent / match.group(1), seen).encode())
    return digest.hexdigest()


def display_name(reqfile: Path, corpus: Path) -> str:
    try:
        return str(reqfile.resolve().relative_to(corpus.resolve()))
    except ValueError:
        return str(reqfile)


# --------------------------------------------------------------------------- pip side


def oracle_cache_path(reqfile: Path, target: Target) -> Path:
    key = hashlib.sha256(
        json.dumps(
            [ORACLE_FORMAT, content_key(reqfile), target.python, target.machine, target.platforms()]
        ).encode()
    ).hexdigest()[:16]
    slug = re.sub(r"[^A-Za-z0-9.]+", "_", target.id)
    return RESULT_CACHE / f"{reqfile.stem}__{slug}__{key}.json"


def pip_answer(reqfile: Path, target: Target, refresh: bool) -> dict[str, Any]:
    """The oracle's JSON for (file, target), from the cache unless refresh is asked."""
    cached = oracle_cache_path(reqfile, target)
    if cached.exists() and not refresh:
        return dict(json.loads(cached.read_text()))
    result = pip_oracle.run_oracle(reqfile, target.python, target.platforms(), target.machine)
    cached.parent.mkdir(parents=True, exist_ok=True)
    cached.write_text(json.dumps(result, indent=2) + "\n")
    return result


def prepare_venvs(targets: Iterable[Target]) -> None:
    """Create the oracle venvs up front, so parallel workers never race to build one."""
    for python in sorted({t.python for t in targets}):
        for base in (pip_oracle.first_attempt(python).base_python, Path(sys.executable)):
            pip_oracle.ensure_pip_venv(pip_oracle.DEFAULT_CACHE, base)


# --------------------------------------------------------------------------- wheelfit side


def wheelfit_answer(command: Sequence[str], reqfile: Path, target: Target) -> dict[str, Any]:
    """wheelfit's target entry for (file, target), or {'error': ...} if it did not run."""
    with tempfile.TemporaryDirectory(prefix="compare-wheelfit-") as tmp:
        out = Path(tmp) / "out.json"
        cmd = [
            *command,
            str(reqfile.resolve()),
            "--image",
            target.image,
            "--arch",
            target.arch,
            "--format",
            "json",
            "-o",
            str(out),
        ]
        try:
            proc = subprocess.run(
                cmd, cwd=REPO, capture_output=True, text=True, timeout=WHEELFIT_TIMEOUT_S
            )
        except subprocess.TimeoutExpired:
            return {"error": f"wheelfit timed out after {WHEELFIT_TIMEOUT_S:.0f}s"}
        if not out.exists():
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-6:]
            return {"error": f"wheelfit exited {proc.returncode}: " + "\n".join(tail)}
        document = json.loads(out.read_text())
    return pick_target(document, target)


def pick_target(document: dict[str, Any], target: Target) -> dict[str, Any]:
    entries = document.get("targets", [])
    for entry in entries:
        if entry.get("id") == target.id:
            return dict(entry)
    for entry in entries:
        if entry.get("image") == target.image and entry.get("arch") == target.arch:
            return dict(entry)
    if len(entries) == 1:
        return dict(entries[0])
    return {"error": f"no target {target.id} in wheelfit output"}


# --------------------------------------------------------------------------- comparison


def same_version(a: str | None, b: str | None) -> bool:
    if a is None or b is None:
        return a == b
    try:
        from packaging.version import InvalidVersion, Version
    except ImportError:
        return a == b
    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a == b


def pip_view(package: dict[str, Any] | None) -> dict[str, Any] | None:
    if package is None:
        return None
    return {k: package.get(k) for k in ("version", "kind", "file", "direct")}


def wheelfit_view(package: dict[str, Any] | None) -> dict[str, Any] | None:
    if package is None:
        return None
    return {k: package.get(k) for k in ("version", "status", "file", "reason")}


def mismatch(pip_pkg: dict[str, Any] | None, wf_pkg: dict[str, Any] | None) -> str | None:
    """Why pip's and wheelfit's answers for one package differ (None = they agree)."""
    if pip_pkg is None:
        return "only wheelfit has it"
    if wf_pkg is None:
        return "only pip has it"
    status = wf_pkg.get("status")
    if pip_pkg.get("direct") or status == "direct":
        # A direct URL/VCS requirement: pip fetched it as given; wheelfit should say so.
        return None if status == "direct" else f"pip took a direct URL, wheelfit says {status}"
    kind_ok = (pip_pkg["kind"] == "wheel" and status == "wheel") or (
        pip_pkg["kind"] == "sdist" and status in SDIST_STATUSES
    )
    version_ok = same_version(pip_pkg["version"], wf_pkg.get("version"))
    if kind_ok and version_ok:
        return None
    if not kind_ok and not version_ok:
        return "version and kind differ"
    return "kind differs" if not kind_ok else "version differs"


def wheelfit_packages(entry: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        pip_oracle.canonical(p["name"]): p
        for p in entry.get("packages", [])
        if not p.get("build_only", False)
    }


def compare_packages(
    pip_pkgs: dict[str, dict[str, Any]], wf_pkgs: dict[str, dict[str, Any]]
) -> tuple[int, list[dict[str, Any]]]:
    agree, differences = 0, []
    for name in sorted(set(pip_pkgs) | set(wf_pkgs)):
        why = mismatch(pip_pkgs.get(name), wf_pkgs.get(name))
        if why is None:
            agree += 1
        else:
            differences.append(
                {
                    "name": name,
                    "why": why,
                    "pip": pip_view(pip_pkgs.get(name)),
                    "wheelfit": wheelfit_view(wf_pkgs.get(name)),
                }
            )
    return agree, differences


def judge_pip_failure(
    pip: dict[str, Any], wf: dict[str, Any], wf_pkgs: dict[str, dict[str, Any]]
) -> tuple[bool | None, str]:
    """Does wheelfit's answer fit pip's failure? (None = cannot tell.)"""
    kind, blocker = pip["error_kind"], pip["error_package"]
    blocked = wf_pkgs.get(blocker or "")
    status = blocked.get("status") if blocked else None
    complete = wf.get("resolution", {}).get("complete", True)
    if kind == "resolution":
        # Nothing installable for the blocker: wheelfit must give up on it too.
        fits = complete is False and (blocker is None or status == "unavailable")
        return fits, (
            f"pip cannot resolve {blocker}; wheelfit: complete={complete}, {blocker}={status}"
        )
    if kind == "build":
        # pip *chose* the blocker's sdist, then its build backend failed on metadata.
        fits = status in SDIST_STATUSES
        return (
            fits,
            f"pip chose the sdist of {blocker} but could not build its metadata; "
            f"wheelfit: {blocker}={status}",
        )
    return None, f"pip failed ({kind}); see the error"


def compare_one(
    name: str, target: Target, pip: dict[str, Any], wf: dict[str, Any]
) -> dict[str, Any]:
    """One file x target row of the report."""
    row: dict[str, Any] = {
        "file": name,
        "target": target.id,
        "pip_ok": pip["ok"],
        "pip_error": pip["error"],
        "pip_error_kind": pip["error_kind"],
        "pip_fallback": pip.get("fallback", False),
        "pip_packages_from": pip.get("packages_from"),
        "pip_metadata_borrowed": pip.get("metadata_borrowed", []),
        "pip_wheels": sum(p["kind"] == "wheel" for p in pip["packages"].values()),
        "pip_sdists": sum(p["kind"] == "sdist" for p in pip["packages"].values()),
        "wheelfit_error": wf.get("error"),
        "wheelfit_complete": wf.get("resolution", {}).get("complete"),
        "wheelfit_problems": wf.get("resolution", {}).get("problems", []),
        "agree": 0,
        "disagree": 0,
        "failure_fits": None,
        "failure_note": None,
        "differences": [],
    }
    if "error" in wf:
        row["verdict"] = "wheelfit-error"
        return row
    wf_pkgs = wheelfit_packages(wf)
    if not pip["ok"]:
        row["failure_fits"], row["failure_note"] = judge_pip_failure(pip, wf, wf_pkgs)
    if pip["packages"]:  # pip's faithful answer, or a fallback that recovered the choices
        row["agree"], row["differences"] = compare_packages(pip["packages"], wf_pkgs)
        row["disagree"] = len(row["differences"])
    row["verdict"] = verdict(row)
    return row


def verdict(row: dict[str, Any]) -> str:
    """agree / disagree / pip-error (pip failed and left nothing to compare)."""
    if row["failure_fits"] is False:
        return "disagree"
    if row["pip_ok"] or row["pip_fallback"] or row["failure_fits"]:
        return "agree" if row["disagree"] == 0 else "disagree"
    return "pip-error"


# --------------------------------------------------------------------------- output


def pip_cell(row: dict[str, Any]) -> str:
    status = "ok" if row["pip_ok"] else f"FAIL:{row['pip_error_kind']}"
    if row["pip_fallback"]:
        status += "+fallback"
    return status


def print_table(rows: list[dict[str, Any]]) -> None:
    header = (
        "file",
        "target",
        "pip",
        "whl",
        "sdist",
        "wf complete",
        "agree",
        "disagree",
        "verdict",
    )
    lines = [header] + [
        (
            r["file"],
            r["target"],
            pip_cell(r),
            str(r["pip_wheels"]),
            str(r["pip_sdists"]),
            "ERROR" if r["wheelfit_error"] else str(r["wheelfit_complete"]),
            str(r["agree"]),
            str(r["disagree"]),
            r["verdict"],
        )
        for r in rows
    ]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for line in lines:
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)))


def describe(side: dict[str, Any] | None, keys: Sequence[str]) -> str:
    if side is None:
        return "-"
    return " ".join(str(side.get(k)) for k in keys if side.get(k) is not None)


def print_details(rows: list[dict[str, Any]]) -> None:
    for row in rows:
        notes = []
        if row["wheelfit_error"]:
            notes.append(f"  wheelfit error: {row['wheelfit_error']}")
        if not row["pip_ok"]:
            notes.append(
                f"  pip error ({row['pip_error_kind']}): "
                + (row["pip_error"] or "").replace("\n", "\n    ")
            )
            if row["failure_note"]:
                notes.append(f"  -> {row['failure_note']}")
            if row["wheelfit_problems"]:
                notes.append("  wheelfit problems: " + "; ".join(row["wheelfit_problems"]))
            if row["pip_fallback"]:
                notes.append(f"  pip's choices recovered by: {row['pip_packages_from']}")
                if row["pip_metadata_borrowed"]:
                    notes.append(
                        "  (dependencies taken from PyPI metadata for: "
                        + ", ".join(row["pip_metadata_borrowed"])
                        + ")"
                    )
        for diff in row["differences"]:
            notes.append(
                f"  {diff['name']}: {diff['why']}\n"
                f"      pip:      {describe(diff['pip'], ('version', 'kind', 'file'))}\n"
                f"      wheelfit: {describe(diff['wheelfit'], ('version', 'status', 'file'))}"
                + (
                    f"\n                reason: {diff['wheelfit']['reason']}"
                    if diff["wheelfit"] and diff["wheelfit"].get("reason")
                    else ""
                )
            )
        if notes:
            print(f"\n== {row['file']} @ {row['target']}: {row['verdict']}")
            print("\n".join(notes))


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    verdicts: dict[str, int] = {}
    for row in rows:
        verdicts[row["verdict"]] = verdicts.get(row["verdict"], 0) + 1
    return {
        "rows": len(rows),
        "verdicts": verdicts,
        "packages_agree": sum(r["agree"] for r in rows),
        "packages_disagree": sum(r["disagree"] for r in rows),
    }


# --------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--targets", nargs="+", default=list(DEFAULT_TARGETS), metavar="IMAGE@ARCH")
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        help="keep files whose path contains this text (repeatable)",
    )
    parser.add_argument("--out", type=Path, help="write the full report as JSON")
    parser.add_argument(
        "--wheelfit",
        default=f"{shlex.quote(sys.executable)} -m wheelfit",
        help="command prefix that runs wheelfit (default: %(default)s)",
    )
    parser.add_argument("--jobs", type=int, default=2, help="parallel pip oracle runs")
    parser.add_argument("--refresh-pip", action="store_true", help="ignore the oracle cache")
    parser.add_argument(
        "--pip-only",
        action="store_true",
        help="only run/cache the pip oracle and print its answers",
    )
    return parser.parse_args(argv)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_pip_side(jobs: list[tuple[Path, Target]], workers: int, refresh: bool) -> PipFutures:
    pool = ThreadPoolExecutor(max_workers=max(1, workers))

    def task(reqfile: Path, target: Target) -> dict[str, Any]:
        started = time.monotonic()
        result = pip_answer(reqfile, target, refresh)
        status = "ok" if result["ok"] else f"FAIL:{result['error_kind']}"
        status += "+fallback" if result.get("fallback") else ""
        log(f"pip   {reqfile.name} @ {target.id}: {status} ({time.monotonic() - started:.0f}s)")
        return result

    futures = {job: pool.submit(task, *job) for job in jobs}
    pool.shutdown(wait=False)
    return futures


PipFutures = dict[tuple[Path, Target], Future[dict[str, Any]]]


def pip_only_rows(
    names: dict[Path, str], jobs: list[tuple[Path, Target]], futures: PipFutures
) -> list[dict[str, Any]]:
    rows = []
    for reqfile, target in jobs:
        pip = futures[(reqfile, target)].result()
        rows.append(
            compare_one(names[reqfile], target, pip, {"error": "not run (--pip-only)"})
            | {"verdict": "pip-only", "wheelfit_error": None, "pip_seconds": pip.get("seconds")}
        )
    return rows


def main(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    targets = [parse_target(spec) for spec in args.targets]
    files = [
        f
        for f in corpus_files(args.corpus)
        if not args.only or any(text in str(f) for text in args.only)
    ]
    names = {f: display_name(f, args.corpus) for f in files}
    jobs = [(f, t) for f in files for t in targets]
    started = time.monotonic()
    prepare_venvs(targets)
    futures = run_pip_side(jobs, args.jobs, args.refresh_pip)
    if args.pip_only:
        rows = pip_only_rows(names, jobs, futures)
    else:
        command = shlex.split(args.wheelfit)
        rows = []
        for reqfile, target in jobs:  # wheelfit runs here while pip runs in the pool
            wf = wheelfit_answer(command, reqfile, target)
            log(f"wheelfit {reqfile.name} @ {target.id}: {'ERROR' if 'error' in wf else 'ok'}")
            rows.append(
                compare_one(names[reqfile], target, futures[(reqfile, target)].result(), wf)
            )
    print_table(rows)
    print_details(rows)
    report = {
        "summary": summary(rows),
        "seconds": round(time.monotonic() - started, 1),
        "targets": [t.id for t in targets],
        "rows": rows,
    }
    print("\nsummary:", json.dumps(report["summary"]))
    if args.out:
        args.out.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
