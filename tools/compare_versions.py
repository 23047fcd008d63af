"""Compare wheelfit's library-version verdicts with real builds (data/builds/*-versions-*.tsv).

For every row (tools/buildcheck.py run tools/buildcheck_versions_<release>.tsv), wheelfit
analyses the same requirement with wheels forbidden for the image the chroot stands for
(python:3.11-slim-bookworm: the bookworm chroot's Python; python:3.13-slim-trixie), and:
- a predicted `system_version_problems` entry should meet a failed build (reproduced), and a
  build that succeeded with no entry is a fit confirmed;
- the release each problem's fix names should build where the table has a row for it.
Prints one line per case and the totals; --json writes them.

    python tools/compare_versions.py data/builds/bookworm-versions-2026-12-04.tsv \
        --image python:3.11-slim-bookworm
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from compare_builds import requirement  # noqa: E402

from wheelfit import Settings, analyze, target_from_image  # noqa: E402

_FIX = re.compile(r"^(\S+)==(\S+) is the newest release")


def verdict(spec: str, image: str, settings: Settings) -> tuple[list[dict[str, str]], str]:
    """(the package's system_version_problems as dicts, the version wheelfit resolved)."""
    line, name = requirement(spec)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "requirements.txt")
        path.write_text(f"--no-binary {name}\n{line}\n")
        report = analyze([str(path)], [target_from_image(image)], settings)
    package = next((p for p in report.targets[0].packages if p.name == name), None)
    if package is None or package.system is None:
        return [], (package.version or "") if package else ""
    problems = [dict(vars(v)) for v in package.system.version_problems]
    return problems, package.version or ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("table", type=Path)
    parser.add_argument("--image", required=True)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    settings = Settings()
    rows = list(csv.DictReader(args.table.open(), delimiter="\t"))
    results: list[dict[str, Any]] = []
    fixes: dict[tuple[str, str], str] = {}  # (project, version) -> the case that named it
    for row in rows:
        problems, version = verdict(row["spec"], args.image, settings)
        built = row["build_ok"] == "yes"
        if not version:
            outcome = "not installable here (e.g. Requires-Python)"
        elif problems:
            outcome = "reproduced" if not built else "FALSE ALARM"
        else:
            outcome = "fits, built" if built else "NOT PREDICTED"
        for problem in problems:
            match = _FIX.match(problem["fix"])
            if match:
                fixes[(match[1], match[2])] = row["name"]
        results.append(
            {
                "name": row["name"],
                "version": version,
                "built": built,
                "build_error": row["build_error"][:160],
                "problems": problems,
                "outcome": outcome,
            }
        )
    for result in results:
        project = requirement(next(r["spec"] for r in rows if r["name"] == result["name"]))[1]
        named_by = fixes.get((project, str(result["version"])))
        result["fix_for"] = named_by
        if named_by:
            result["outcome"] += "; the fix " + ("builds" if result["built"] else "FAILS")
        need = "; ".join(f"{p['have']} vs {p['need']}" for p in result["problems"])
        print(f"{result['name']:28} {result['outcome']:34} {need}")
    counts: dict[str, int] = {}
    for result in results:
        counts[str(result["outcome"])] = counts.get(str(result["outcome"]), 0) + 1
    print("totals:", ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())))
    if args.json:
        args.json.write_text(json.dumps({"image": args.image, "cases": results}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
