"""Compare wheelfit's system-package predictions with real builds (data/builds/*.tsv).

For every ground-truth row that built (tools/buildcheck.py without --predict), wheelfit
analyses the same requirement for python:3.11-slim-bookworm (the chroot's Python) with wheels
forbidden, and its predicted build and runtime packages are compared with what the build
needed: the packages installed minus those --drop-one found unneeded (toolchain packages and
the chroot's python3-dev stand-in left out on both sides), and the runtime packages found by
ldd. Prints one line per case and the totals; --json writes them.

    python tools/compare_builds.py data/builds/bookworm-2026-11-27.tsv
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from wheelfit import Settings, analyze, target_from_image  # noqa: E402

TOOLCHAIN = {"gcc", "g++", "gfortran", "libc6-dev", "python3-dev", "make"}
# The chroot's python3-dev depends on these: drop-one cannot tell whether a build needs them,
# so they are compared on neither side.
HIDDEN_BY_STAND_IN = {"zlib1g-dev", "libexpat1-dev"}
IMAGE = "python:3.11-slim-bookworm"


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def needed_build(row: dict[str, str]) -> set[str]:
    unneeded = set(row["unneeded"].split())
    return {
        p
        for p in row["apt_build"].split()
        if p not in TOOLCHAIN | HIDDEN_BY_STAND_IN and p not in unneeded
    }


def requirement(spec: str) -> tuple[str, str]:
    """'X=1 lxml==6 --no-binary lxml' -> ('lxml==6', 'lxml'): env settings and flags dropped."""
    words = [w for w in spec.split() if "=" not in w or "==" in w]
    words = [
        w
        for i, w in enumerate(words)
        if not w.startswith("--") and not (i > 0 and words[i - 1].startswith("--"))
    ]
    first = words[0]
    return first, normalize(re.split(r"[=<>!~\[]", first)[0])


def predict(spec: str, settings: Settings) -> tuple[set[str], set[str], str] | None:
    line, name = requirement(spec)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "requirements.txt")
        path.write_text(f"--no-binary {name}\n{line}\n")
        report = analyze([str(path)], [target_from_image(IMAGE)], settings)
    package = next((p for p in report.targets[0].packages if p.name == name), None)
    if package is None or package.system is None:
        return None
    needs = package.system
    build = {p for p in needs.build_packages if p not in TOOLCHAIN | HIDDEN_BY_STAND_IN}
    return build, set(needs.runtime_packages), needs.confidence


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("tables", nargs="+", type=Path)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    settings = Settings()
    results = []
    for table in args.tables:
        with table.open(encoding="utf-8") as handle:
            # a case run again replaces its earlier row
            rows = {r["name"]: r for r in csv.DictReader(handle, delimiter="\t")}
        for row in rows.values():
            if row["build_ok"] != "yes" or row["mode"] != "groundtruth":
                continue
            if re.match(r"^[A-Z0-9_]+=", row["spec"]):  # a non-default build (SODIUM_INSTALL=...)
                continue
            if row["spec"].count("==") > 1:  # two projects built together: not one prediction
                continue
            predicted = predict(row["spec"], settings)
            if predicted is None:
                results.append({"name": row["name"], "outcome": "no prediction"})
                continue
            build, runtime, confidence = predicted
            need = needed_build(row)
            runtime_found = {r.removesuffix("(dlopen)") for r in row["runtime_found"].split()}
            outcome = {
                "name": row["name"],
                "confidence": confidence,
                "missing_build": sorted(need - build),
                "extra_build": sorted(build - need),
                "missing_runtime": sorted(runtime_found - runtime),
                "extra_runtime": sorted(runtime - runtime_found),
            }
            exact = not any(outcome[k] for k in list(outcome)[2:])
            outcome["outcome"] = "exact" if exact else "differs"
            results.append(outcome)
            print(json.dumps(outcome))
    counts = {k: sum(r["outcome"] == k for r in results) for k in ("exact", "differs")}
    counts["no prediction"] = sum(r["outcome"] == "no prediction" for r in results)
    counts["missing build packages"] = sum(len(r.get("missing_build", [])) for r in results)
    counts["extra build packages"] = sum(len(r.get("extra_build", [])) for r in results)
    print(json.dumps(counts), file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps({"totals": counts, "cases": results}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
