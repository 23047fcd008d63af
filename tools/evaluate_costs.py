"""Compare wheelfit's cost estimates with real builds it was not fitted on.

For every successful row of the given buildcheck TSVs (tools/buildcheck.py): wheelfit is run
for the same project and version on python:3.11-slim-bookworm (Debian's Python 3.11 in the
chroot), with --no-binary for the project as the build was made, and its figures are set
beside the measured ones:

* build seconds: the sum of wheelfit's likely build times for the tree vs pip's wall time;
* venv bytes: the sum of installed_bytes vs the bytes the install added to the venv;
* apt KiB: wheelfit's closure of the installed build set, over the chroot's own base packages
  (data/builds/chroot-base-bookworm.txt), vs the Installed-Size dpkg recorded.

Writes a TSV and prints the median ratio, the worst case and how many fall within 2x (time)
and within 20 % (venv + apt).

    python tools/evaluate_costs.py data/builds/bookworm-costs-2026-11-27.tsv \
        --out data/builds/evaluation-costs-2026-11-27.tsv
"""

from __future__ import annotations

import argparse
import csv
import statistics
import tempfile
from pathlib import Path

from wheelfit import Settings, analyze, target_from_image
from wheelfit.costs import sizes

REPO = Path(__file__).resolve().parent.parent
CHROOT_BASE = REPO / "data" / "builds" / "chroot-base-bookworm.txt"


def predict(project: str, version: str) -> tuple[float, str, int, int]:
    """(likely build seconds, their sources, venv bytes, packages without a size)."""
    with tempfile.TemporaryDirectory() as tmp:
        req = Path(tmp, "requirements.txt")
        req.write_text(f"{project}=={version}\n")
        target = target_from_image("python:3.11-slim-bookworm")
        report = analyze([str(req)], [target], Settings(no_binary=[project]))
    packages = report.targets[0].packages
    seconds = sum(p.cost.build_seconds.likely for p in packages if p.cost and p.cost.build_seconds)
    sources = "; ".join(
        f"{p.name}: {p.cost.build_seconds.source}"
        for p in packages
        if p.cost and p.cost.build_seconds and not p.build_only
    )
    in_venv = [p for p in packages if not p.build_only]
    venv = sum(p.cost.installed_bytes or 0 for p in in_venv if p.cost)
    unsized = sum(1 for p in in_venv if not p.cost or p.cost.installed_bytes is None)
    return seconds, sources, venv, unsized


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("builds", type=Path, nargs="+")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    base = CHROOT_BASE.read_text().split()
    rows = []
    for path in args.builds:
        with path.open(newline="") as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                if row.get("build_ok") != "yes" or not row.get("venv_bytes_added"):
                    continue
                project, _, version = row["version_built"].rpartition("-")
                seconds, sources, venv, unsized = predict(project, version)
                apt = sizes.apt_closure("bookworm", row["apt_build"].split(), base)
                measured_size = int(row["venv_bytes_added"]) + int(row["apt_kib_added"]) * 1024
                predicted_size = venv + apt.kib * 1024
                rows.append(
                    {
                        "project": project,
                        "version": version,
                        "build_seconds": row["build_seconds"],
                        "predicted_seconds": round(seconds, 1),
                        "time_ratio": round(seconds / float(row["build_seconds"]), 2),
                        "venv_bytes": row["venv_bytes_added"],
                        "predicted_venv_bytes": venv,
                        "venv_ratio": round(venv / int(row["venv_bytes_added"]), 2),
                        "apt_kib": row["apt_kib_added"],
                        "predicted_apt_kib": apt.kib,
                        "size_ratio": round(predicted_size / measured_size, 3),
                        "unsized_packages": unsized,
                        "time_source": sources,
                    }
                )
                print(
                    f"{project:18} time {rows[-1]['time_ratio']:5}  venv "
                    f"{rows[-1]['venv_ratio']:5}  venv+apt {rows[-1]['size_ratio']:6}"
                )
    with args.out.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), delimiter="\t")
        writer.writeheader()
        writer.writerows(rows)
    time = [float(r["time_ratio"]) for r in rows]
    size = [float(r["size_ratio"]) for r in rows]
    venv_only = [float(r["venv_ratio"]) for r in rows]
    print(
        f"{len(rows)} builds. time predicted/measured: median {statistics.median(time):.2f}, "
        f"range {min(time):.2f}..{max(time):.2f}, within 2x: "
        f"{sum(0.5 <= t <= 2 for t in time)}/{len(time)}"
    )
    print(
        f"venv+apt predicted/measured: median {statistics.median(size):.3f}, range "
        f"{min(size):.3f}..{max(size):.3f}, within 20 %: "
        f"{sum(0.8 <= s <= 1.2 for s in size)}/{len(size)}; venv alone: median "
        f"{statistics.median(venv_only):.2f}, range {min(venv_only):.2f}..{max(venv_only):.2f}"
    )


if __name__ == "__main__":
    main()
