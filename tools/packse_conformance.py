#!/usr/bin/env python3
"""wheelfit against pip on packse's scenarios (uv's public resolver test suite).

Builds every scenario of packse's sdist into a static index, serves it on 127.0.0.1, and
for each scenario runs real pip (through tools/pip_oracle.py's shim: the scenario's Python
version, manylinux x86_64 tags, the target's markers) and wheelfit, then reports where they
agree: both fail, or both install the same versions from the same kind of file (wheel or
sdist). packse's own expectation is uv's answer; where pip's differs, the scenario is a known
pip-versus-uv difference and is listed as such, not as a wheelfit miss.

    python tools/packse_conformance.py                       # all scenarios
    python tools/packse_conformance.py --only fork --out /tmp/packse.json

Needs a CPython 3.12 or newer to run packse (found on PATH or in pyenv, or --packse-python)
and the network (PyPI) once, for packse, its dependencies and pip. The built index is kept
in --work (tools/.packse-cache/ by default; building takes minutes) and reused.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pip_oracle

from wheelfit import Settings, analyze
from wheelfit.models import Status, TargetReport
from wheelfit.targets.images import target_from_platform

HERE = Path(__file__).resolve().parent
DEFAULT_WORK = HERE / ".packse-cache"
PACKSE_VERSION = "0.3.59"
GLIBC = "2.36"  # bookworm's: both sides resolve for manylinux x86_64 up to 2.36
MACHINE = "x86_64"
PIP_TIMEOUT_S = 300.0


# --------------------------------------------------------------------------- packse


def find_packse_python(given: str | None) -> Path:
    if given:
        return Path(given)
    for minor in ("3.12", "3.13", "3.14"):
        found = pip_oracle.find_interpreter(minor)
        if found is not None:
            return found
    raise SystemExit("packse needs CPython 3.12 or newer: give one with --packse-python")


def packse_source(work: Path, version: str) -> Path:
    """packse's sdist, downloaded with pip and unpacked: it carries scenarios/ and vendor/."""
    source = work / f"packse-{version}"
    if (source / "scenarios").is_dir():
        return source
    work.mkdir(parents=True, exist_ok=True)
    download = [sys.executable, "-m", "pip", "download", "--isolated", "--no-deps"]
    download += ["--no-binary", ":all:", "--python-version", "3.12"]
    download += ["--index-url", pip_oracle.PYPI_SIMPLE, "-d", str(work), f"packse=={version}"]
    subprocess.run(download, check=True, env=pip_oracle.clean_env())
    with tarfile.open(work / f"packse-{version}.tar.gz") as archive:
        archive.extractall(work, filter="data")
    return source


def packse_venv(work: Path, source: Path, python: Path) -> Path:
    venv = work / "packse-venv"
    if not (venv / "bin" / "packse").exists():
        subprocess.run([str(python), "-m", "venv", str(venv)], check=True)
        install = [str(venv / "bin" / "python"), "-m", "pip", "install", "--isolated", "--quiet"]
        install += ["--index-url", pip_oracle.PYPI_SIMPLE, f"{source}[index]"]
        subprocess.run(install, check=True, env=pip_oracle.clean_env())
    return venv


def run_packse(venv: Path, source: Path, *args: str) -> str:
    """packse from its unpacked sdist (its vendor/ folder is found beside src/)."""
    env = pip_oracle.clean_env()
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"  # it calls hatchling
    env["PYTHONPATH"] = str(source / "src")
    command = [str(venv / "bin" / "python"), "-m", "packse", *args]
    done = subprocess.run(command, cwd=source, env=env, check=True, capture_output=True, text=True)
    return done.stdout


def build_index(work: Path, venv: Path, source: Path) -> Path:
    index = work / "index"
    stamp = index / ".complete"
    if not stamp.exists():
        print("building packse's scenarios (several minutes, once)...", file=sys.stderr)
        run_packse(venv, source, "index", "build", "scenarios", "--index-dir", str(index))
        stamp.write_text(PACKSE_VERSION + "\n")
    return index


@contextmanager
def serve(folder: Path) -> Iterator[str]:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


# --------------------------------------------------------------------------- one scenario


def scenario_python(scenario: dict[str, Any]) -> str:
    return str(scenario["resolver_options"].get("python") or scenario["environment"]["python"])


def platform_of(scenario: dict[str, Any]) -> str:
    """The scenario's platform as one manylinux tag (packse names a few, x86_64 only)."""
    named = scenario["resolver_options"].get("python_platform") or ""
    if named == "x86_64-manylinux2014":
        return "manylinux_2_17_x86_64"
    return f"manylinux_{GLIBC.replace('.', '_')}_{MACHINE}"


def option_args(scenario: dict[str, Any]) -> list[str]:
    options = scenario["resolver_options"]
    args = ["--pre"] if options.get("prereleases") else []
    for name in options.get("no_build") or []:
        args += ["--only-binary", name]
    for name in options.get("no_binary") or []:
        args += ["--no-binary", name]
    return args


def run_pip(
    scenario: dict[str, Any], requirements: Path, base: str, pip_python: Path, tmp: Path
) -> dict[str, Any]:
    python = scenario_python(scenario)
    platform = platform_of(scenario)
    glibc = platform.split("_")[1] + "." + platform.split("_")[2]
    report = tmp / "pip-report.json"
    args = ["install", "--isolated", "--dry-run", "--ignore-installed", "--quiet"]
    args += ["--report", str(report), "--no-cache-dir"]
    args += ["--index-url", f"{base}/simple-html/", "--find-links", f"{base}/vendor/"]
    args += ["--python-version", python, "--implementation", "cp"]
    for abi in pip_oracle.abi_tags(python):
        args += ["--abi", abi]
    for tag in pip_oracle.glibc_platforms(glibc, MACHINE):
        args += ["--platform", tag]
    args += [*option_args(scenario), "-r", str(requirements)]
    marker_env = pip_oracle.target_marker_env(python, MACHINE)
    code, output = pip_oracle.run_pip(pip_python, args, marker_env, PIP_TIMEOUT_S, False, tmp)
    if code == 0 and report.exists():
        found = pip_oracle.packages_from_report(json.loads(report.read_text()))
        return {"ok": True, "packages": {n: [p["version"], p["kind"]] for n, p in found.items()}}
    return {"ok": False, "error": pip_oracle.summarize_error(output, 2000)}


def run_wheelfit(
    scenario: dict[str, Any], requirements: Path, base: str, cache: Path
) -> dict[str, Any]:
    target = target_from_platform(platform_of(scenario), scenario_python(scenario))
    options = scenario["resolver_options"]
    steps = [("only-binary", name) for name in options.get("no_build") or []]
    steps += [("no-binary", name) for name in options.get("no_binary") or []]
    settings = Settings(
        index_url=f"{base}/simple-html/",
        find_links=[f"{base}/vendor/"],
        pre=bool(options.get("prereleases")),
        format_steps=steps,
        cache_dir=cache,
        no_cache=True,
        costs=False,
    )
    report = analyze([str(requirements)], [target], settings)
    result: TargetReport = report.targets[0]
    packages = {
        p.name: [p.version, "wheel" if p.status is Status.WHEEL else "sdist"]
        for p in result.packages
        if not p.build_only and p.status is not Status.UNAVAILABLE
    }
    return {"ok": result.complete, "packages": packages, "problems": result.problems}


def compare(scenario: dict[str, Any], base: str, pip_python: Path, work: Path) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="packse-") as folder:
        tmp = Path(folder)
        requirements = tmp / "requirements.txt"
        lines = [r["requirement"] for r in scenario["root"]["requires"]]
        requirements.write_text("".join(f"{line}\n" for line in lines))
        pip = run_pip(scenario, requirements, base, pip_python, tmp)
        wheelfit = run_wheelfit(scenario, requirements, base, work / "wheelfit-cache")
    expected = scenario["expected"]
    uv_packages = {
        pip_oracle.canonical(p["name"]): p["version"] for p in expected.get("packages") or []
    }
    pip_versions = {n: v[0] for n, v in pip.get("packages", {}).items()}
    if pip["ok"] != wheelfit["ok"]:
        agree = False
    else:
        agree = not pip["ok"] or pip["packages"] == wheelfit["packages"]
    uv_differs = bool(expected["satisfiable"]) != pip["ok"] or (
        pip["ok"] and bool(uv_packages) and uv_packages != pip_versions
    )
    return {
        "name": scenario["name"],
        "source": scenario["source"],
        "universal": bool(scenario["resolver_options"].get("universal")),
        "python": scenario_python(scenario),
        "requirements": lines,
        "pip": pip,
        "wheelfit": wheelfit,
        "agree": agree,
        "uv_expected": {"satisfiable": expected["satisfiable"], "packages": uv_packages},
        "pip_differs_from_uv": uv_differs,
    }


# --------------------------------------------------------------------------- report


def summary(results: list[dict[str, Any]], pip_version: str) -> str:
    agree = [r for r in results if r["agree"]]
    lines = [
        f"packse {PACKSE_VERSION}: {len(results)} scenarios; pip {pip_version}; "
        f"manylinux x86_64 (glibc {GLIBC} unless the scenario names a platform)",
        f"wheelfit agrees with pip on {len(agree)} of {len(results)}",
    ]
    both_fail = [r for r in results if r["agree"] and not r["pip"]["ok"]]
    named = [r for r in both_fail if _same_package_named(r)]
    lines.append(
        f"  {len(results) - len(both_fail)} where pip installs (same versions and kinds of "
        f"file), {len(both_fail)} where both fail ({len(named)} name a package in common)"
    )
    uv = [r for r in results if r["pip_differs_from_uv"]]
    lines.append(f"pip's answer differs from packse's expectation (uv's) on {len(uv)}:")
    lines += [f"  {r['name']}{' (universal)' if r['universal'] else ''}" for r in uv]
    missed = [r for r in results if not r["agree"]]
    lines.append(f"disagreements with pip: {len(missed)}")
    for r in missed:
        pip, wheelfit = r["pip"], r["wheelfit"]
        lines.append(f"  {r['name']} ({r['source']}, Python {r['python']})")
        lines.append(f"    pip:      {_outcome(pip)}")
        lines.append(f"    wheelfit: {_outcome(wheelfit)}")
    return "\n".join(lines)


_SCENARIO_NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*-[0-9a-f]{8}")


def _same_package_named(result: dict[str, Any]) -> bool:
    """Whether pip's error and wheelfit's problems name a package in common."""
    from_pip = set(_SCENARIO_NAME.findall(result["pip"].get("error") or ""))
    return bool(from_pip & set(_SCENARIO_NAME.findall(" ".join(result["wheelfit"]["problems"]))))


def _outcome(side: dict[str, Any]) -> str:
    if side["ok"]:
        return ", ".join(f"{n} {v} ({k})" for n, (v, k) in sorted(side["packages"].items()))
    why = side.get("error") or "; ".join(side.get("problems", []))
    return "fails: " + " ".join(str(why).split())[:300]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK)
    parser.add_argument("--packse-python", help="CPython 3.12+ to run packse with")
    parser.add_argument("--only", help="only scenarios whose name contains this")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", type=Path, help="write every result as JSON here")
    args = parser.parse_args(argv)
    work = args.work.resolve()
    source = packse_source(work, PACKSE_VERSION)
    venv = packse_venv(work, source, find_packse_python(args.packse_python))
    index = build_index(work, venv, source)
    scenarios = json.loads(run_packse(venv, source, "inspect", "scenarios"))["scenarios"]
    if args.only:
        scenarios = [s for s in scenarios if args.only in s["name"]]
    pip_python = pip_oracle.ensure_pip_venv(work / "pip", Path(sys.executable))
    pip_version = pip_oracle.pip_version(pip_python)
    with serve(index) as base, ThreadPoolExecutor(args.jobs) as pool:
        results = list(pool.map(lambda s: compare(s, base, pip_python, work), scenarios))
    results.sort(key=lambda r: r["name"])
    if args.out:
        args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(summary(results, pip_version))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
