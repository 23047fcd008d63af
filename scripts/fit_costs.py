"""Fit wheelfit's build-time and size model on the real builds in data/builds.

Reads the build rows that tools/buildcheck.py wrote (one TSV per run), inspects each built
sdist statically through wheelfit's own index client (nothing is built or run), and writes
data/costs/build_model.json:

* build seconds = base + sum of per-language weights x thousands of native source lines
  (+ a weight per crate of Cargo.lock for Rust), fitted by non-negative least squares on the
  relative error, with the spread of measured/predicted ratios for the ranges;
* apt install seconds = a + b x MB installed, by least squares;
* the measured build seconds per project (median of its runs), used before the model;
* compiled bytes per native source line, from the projects' own manylinux wheels (for a
  source build whose version has no wheel to measure).

Rows of the files given with --held-out are left out of every fit (they judge the model).

    python scripts/fit_costs.py [--held-out data/builds/bookworm-costs-2026-11-27.tsv]
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from wheelfit.costs.buildtime import FEATURES, native_features
from wheelfit.errors import ArchiveError, IndexFetchError
from wheelfit.index.cache import Cache, default_cache_dir
from wheelfit.index.client import IndexClient
from wheelfit.inspect.distinfo import load_sdist
from wheelfit.inspect.sdist import SdistInfo

REPO = Path(__file__).resolve().parent.parent
BUILDS = REPO / "data" / "builds"
OUT = REPO / "data" / "costs" / "build_model.json"


@dataclass
class Build:
    project: str
    version: str
    seconds: float
    apt_kib: int
    apt_seconds: float
    source: str


def read_rows(paths: list[Path]) -> list[Build]:
    builds = []
    for path in paths:
        with path.open(newline="") as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                if row.get("build_ok") != "yes" or not row.get("version_built"):
                    continue
                project, _, version = row["version_built"].rpartition("-")
                try:
                    Version(version)
                except InvalidVersion:
                    continue
                builds.append(
                    Build(
                        project=canonicalize_name(project),
                        version=version,
                        seconds=float(row["build_seconds"] or 0),
                        apt_kib=int(row.get("apt_kib_added") or 0),
                        apt_seconds=float(row.get("apt_install_seconds") or 0),
                        source=path.name,
                    )
                )
    return builds


def sdist_for(client: IndexClient, project: str, version: str) -> SdistInfo | None:
    try:
        page = client.get_project(project)
    except IndexFetchError:
        return None
    for dist in page.files:
        if not dist.is_wheel and str(dist.version) == str(Version(version)):
            try:
                return load_sdist(client, dist)
            except (IndexFetchError, ArchiveError):
                return None
    return None


def compiled_bytes(client: IndexClient, project: str, version: str) -> int | None:
    """Bytes of extension modules in the project's manylinux x86_64 wheel (vendored libs out)."""
    page = client.get_project(project)
    wheels = [
        f
        for f in page.files
        if f.is_wheel
        and str(f.version) == str(Version(version))
        and "manylinux" in f.filename
        and "x86_64" in f.filename
    ]
    wheels.sort(key=lambda f: ("cp311" not in f.filename, f.filename))
    for dist in wheels[:1]:
        members = client.get_wheel_members(dist)
        return sum(
            size
            for name, size in members
            if ".so" in name.rsplit("/", 1)[-1] and ".libs/" not in name
        )
    return None


def nnls(rows: list[list[float]], targets: list[float], weights: list[float]) -> list[float]:
    """Weighted least squares with every coefficient >= 0 (cyclic coordinate descent)."""
    width = len(rows[0])
    coef = [0.0] * width
    for _ in range(20000):
        moved = 0.0
        for j in range(width):
            num = den = 0.0
            for x, y, w in zip(rows, targets, weights, strict=True):
                rest = sum(coef[k] * x[k] for k in range(width) if k != j)
                num += w * x[j] * (y - rest)
                den += w * x[j] * x[j]
            new = max(0.0, num / den) if den else 0.0
            moved = max(moved, abs(new - coef[j]))
            coef[j] = new
        if moved < 1e-9:
            break
    return coef


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--held-out", type=Path, action="append", default=[])
    args = parser.parse_args(argv)
    held_out = {p.resolve() for p in args.held_out}
    paths = sorted(p for p in BUILDS.glob("*.tsv") if p.resolve() not in held_out)
    builds = read_rows(paths)
    client = IndexClient(cache=Cache(default_cache_dir()))

    by_project: dict[str, list[Build]] = {}
    for build in builds:
        by_project.setdefault(build.project, []).append(build)

    measured: dict[str, dict[str, object]] = {}
    samples: list[tuple[str, dict[str, float], float]] = []
    bytes_per_line: list[float] = []
    for project, runs in sorted(by_project.items()):
        seconds = statistics.median(r.seconds for r in runs)
        version = runs[0].version
        measured[project] = {
            "version": version,
            "seconds": round(seconds, 1),
            "runs": len(runs),
            "spread": [min(r.seconds for r in runs), max(r.seconds for r in runs)],
        }
        info = sdist_for(client, project, version)
        if info is None:
            print(f"  {project} {version}: no sdist to inspect, not fitted", file=sys.stderr)
            continue
        found = native_features(info)
        if not any(found.values()):
            print(f"  {project} {version}: no compiled source counted, not fitted", file=sys.stderr)
            continue
        samples.append((project, found, seconds))
        lines = sum(info.source_lines.get(k, 0) for k in ("C", "C++", "Cython"))
        so_bytes = compiled_bytes(client, project, version)
        if so_bytes and lines > 500:
            bytes_per_line.append(so_bytes / lines)

    rows = [[1.0, *(f[k] for k in FEATURES)] for _, f, _ in samples]
    targets = [s for _, _, s in samples]
    # Relative (log-like) error: weights 1/(measured x predicted), refitted a few times, so a
    # 3 s build counts as much as a 100 s one
    weights = [1 / (y * y) for y in targets]
    for _ in range(6):
        coef = nnls(rows, targets, weights)
        predicted = [sum(c * x for c, x in zip(coef, row, strict=True)) for row in rows]
        weights = [1 / (y * max(p, 0.1)) for y, p in zip(targets, predicted, strict=True)]
    ratios = [p / y for p, y in zip(predicted, targets, strict=True)]

    # Repeated runs of one project: how far apart two builds of the same thing land
    repeat = [
        max(r.seconds for r in runs) / min(r.seconds for r in runs)
        for runs in by_project.values()
        if len(runs) > 1 and min(r.seconds for r in runs) > 0
    ]
    apt = [(b.apt_kib / 1024, b.apt_seconds) for b in builds if b.apt_kib and b.apt_seconds]
    mean_x = statistics.fmean(x for x, _ in apt)
    mean_y = statistics.fmean(y for _, y in apt)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in apt) / sum(
        (x - mean_x) ** 2 for x, _ in apt
    )
    apt_ratios = [y / (mean_y - slope * mean_x + slope * x) for x, y in apt]

    model = {
        "about": "fitted by scripts/fit_costs.py on real builds (tools/buildcheck.py) in a "
        "Debian bookworm chroot; figures are for that machine",
        "machine": "x86_64, 2 cores (a shared build host)",
        "fitted_on": [p.name for p in paths],
        "projects": len(samples),
        "build": {
            "base_seconds": round(coef[0], 2),
            "seconds_per_kline": {k: round(c, 4) for k, c in zip(FEATURES, coef[1:], strict=True)},
            "fit_ratio_predicted_over_measured": {
                "median": round(statistics.median(ratios), 2),
                "p10": round(quantile(ratios, 0.1), 2),
                "p90": round(quantile(ratios, 0.9), 2),
                "min": round(min(ratios), 2),
                "max": round(max(ratios), 2),
            },
        },
        "repeat_ratio_max_over_min": {
            "median": round(statistics.median(repeat), 2),
            "p90": round(quantile(repeat, 0.9), 2),
            "projects": len(repeat),
        },
        "apt": {
            "base_seconds": round(mean_y - slope * mean_x, 2),
            "seconds_per_mb": round(slope, 4),
            "samples": len(apt),
            "ratio_p10": round(quantile(apt_ratios, 0.1), 2),
            "ratio_p90": round(quantile(apt_ratios, 0.9), 2),
        },
        "compiled_bytes_per_line": {
            "median": round(statistics.median(bytes_per_line), 1),
            "samples": len(bytes_per_line),
        },
        "measured": measured,
        "samples": {
            name: {"features": {k: round(v, 2) for k, v in f.items() if v}, "seconds": s}
            for name, f, s in samples
        },
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(model, indent=1, sort_keys=True) + "\n")
    print(
        f"{len(samples)} projects fitted: base {coef[0]:.1f} s, "
        + ", ".join(f"{k} {c:.3f}" for k, c in zip(FEATURES, coef[1:], strict=True))
        + f"; ratio median {statistics.median(ratios):.2f} "
        f"[{min(ratios):.2f}..{max(ratios):.2f}]; apt {mean_y - slope * mean_x:.1f} s + "
        f"{slope:.3f} s/MB; {len(bytes_per_line)} wheels: "
        f"{statistics.median(bytes_per_line):.0f} compiled bytes per line"
    )
    client.close()


if __name__ == "__main__":
    main()
