"""How wheelfit's time and peak memory grow with the size of a requirements file.

Cuts the file into its first quarter, half and all of its requirement lines, then runs
bench_resolve.py on the slices (wheelfit only: cold and warm, one and three images)::

    python benchmarks/bench_growth.py
    python benchmarks/bench_growth.py --file ../shared/corpus/awx.txt --fractions 0.5 1
"""

from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_FILE = REPO / "benchmarks" / "data" / "ha_requirements_all_2020.bench.txt"


def requirement_lines(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip() and not line.lstrip().startswith("#")]


def write_slices(path: Path, fractions: list[float], folder: Path) -> list[Path]:
    lines = requirement_lines(path)
    slices = []
    for fraction in fractions:
        count = max(1, round(len(lines) * fraction))
        out = folder / f"{path.stem}.first{count}.txt"
        out.write_text("\n".join(lines[:count]) + "\n", encoding="utf-8")
        slices.append(out)
    return slices


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE)
    parser.add_argument("--fractions", type=float, nargs="+", default=[0.25, 0.5, 1.0])
    today = dt.date.today().isoformat()
    parser.add_argument(
        "--out", type=Path, default=REPO / "benchmarks" / "results" / f"{today}-growth.json"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="wheelfit-growth-") as folder:
        slices = write_slices(args.file, args.fractions, Path(folder))
        command = [
            sys.executable,
            str(REPO / "benchmarks" / "bench_resolve.py"),
            "--skip-uv",
            "--out",
            str(args.out),
            "--files",
            *map(str, slices),
        ]
        return subprocess.run(command, cwd=REPO, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
