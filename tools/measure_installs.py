"""Measure what installing a wheel really adds to a venv, beside wheelfit's prediction.

For each pinned requirement: a fresh venv (Python 3.11, this machine), `pip install --no-deps
--no-cache-dir` of the exact wheel pip picks, then the bytes added (sum of file sizes, what
an image layer stores) and wheelfit's installed_bytes for the same file (central directory
sums plus its bytecode estimate). Installs wheels only; nothing is built.

    python tools/measure_installs.py names.txt --out data/builds/installs-DATE.tsv
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from buildcheck import apparent_bytes  # tools/ is on sys.path when this script runs

from wheelfit.costs.sizes import split_members, wheel_installed_bytes
from wheelfit.index.cache import Cache, default_cache_dir
from wheelfit.index.client import IndexClient


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", type=Path, help="one requirement per line (name==version)")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    client = IndexClient(cache=Cache(default_cache_dir()))
    rows = []
    for line in args.names.read_text().split():
        with tempfile.TemporaryDirectory() as tmp:
            venv = Path(tmp, "venv")
            # an empty venv (no pip, no setuptools), filled by this interpreter's pip
            subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
            site = next(venv.glob("lib/python*/site-packages"))
            before = apparent_bytes(venv)
            proc = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "--python",
                    str(venv / "bin/python"),
                    "--isolated",
                    "install",
                    "--no-deps",
                    "--no-cache-dir",
                    "--index-url",
                    "https://pypi.org/simple",
                    "--only-binary",
                    ":all:",
                    "-v",
                    line,
                ],
                capture_output=True,
                text=True,
                check=False,
                env={**os.environ, "PIP_CONFIG_FILE": os.devnull},
            )
            if proc.returncode:
                print(f"  {line}: pip failed", file=sys.stderr)
                continue
            added = apparent_bytes(venv) - before
            # the wheel pip chose: the tags its WHEEL file records, matched on the index page
            name, version = line.split("==")
            wheel_file = next(site.glob("*.dist-info/WHEEL"))
            tags = set(re.findall(r"^Tag: (\S+)", wheel_file.read_text(), re.M))
            page = client.get_project(name)
            dist = next(
                (
                    f
                    for f in page.files
                    if f.is_wheel and str(f.version) == version and tags == {str(t) for t in f.tags}
                ),
                None,
            )
            if dist is None:
                print(f"  {line}: no index file with tags {sorted(tags)}", file=sys.stderr)
                continue
            filename = dist.filename
            members = client.get_wheel_members(dist)
            predicted = wheel_installed_bytes(members)
            py, vendored, other = split_members(members)
            rows.append(
                {
                    "requirement": line,
                    "wheel": filename,
                    "measured_bytes": added,
                    "predicted_bytes": predicted,
                    "py_bytes": py,
                    "other_bytes": vendored + other,
                    "ratio": round(predicted / added, 3),
                    "site_packages": str(site.relative_to(venv)),
                }
            )
            print(f"{line:35} measured {added / 1e6:8.2f} MB predicted {predicted / 1e6:8.2f} MB")
    with args.out.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), delimiter="\t")
        writer.writeheader()
        writer.writerows(rows)
    client.close()


if __name__ == "__main__":
    main()
