"""The version of every system package per image release: data/sysdeps/versions.tsv.gz.

Debian bookworm and trixie from the Packages tables in data/debian/ (scripts/debian_tables.py,
fetched from the archive on the date data/README.md gives); Alpine from the aports snapshot
gathered in the shared facts (alpine_package_index.tsv: apk name -> its origin's pkgver), whose
date is written beside the rows. wheelfit compares these with the library versions an sdist's
own guards and build files require (wheelfit/sysdeps/versions.py).

Columns: release, package, version (the upstream part: no epoch, Debian revision or repack
suffix, as the library's own version macros spell it), full (the distribution's version).

    python scripts/build_library_versions.py --alpine-index PATH/alpine_package_index.tsv
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
SUITES = ("bookworm", "trixie")
# aports master as synced in the gathered facts (data/README.md: between Alpine 3.22 and 3.23)
ALPINE_SNAPSHOT = "2025-07-16"
_REPACK = re.compile(r"[+~](?:dfsg|ds|repack|really|git|debian|nmu|deb)\w*.*$|\.dfsg.*$", re.I)


def upstream_version(debian_version: str) -> str:
    """2:1.2.3+dfsg-4+b1 -> 1.2.3 (Debian policy 5.6.12: [epoch:]upstream[-revision])."""
    version = debian_version.split(":", 1)[-1]
    if "-" in version:
        version = version.rsplit("-", 1)[0]
    return _REPACK.sub("", version)


def debian_rows(suite: str) -> list[tuple[str, str, str, str]]:
    path = DATA / "debian" / f"{suite}_amd64_packages.tsv.gz"
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        rows = {r["package"]: r["version"] for r in reader}
    return [(suite, p, upstream_version(v), v) for p, v in sorted(rows.items())]


def alpine_rows(index: Path) -> list[tuple[str, str, str, str]]:
    rows: dict[str, str] = {}
    with index.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            if row["kind"] != "provided-name" and row["origin_pkgver"]:
                rows.setdefault(row["apk_name"], row["origin_pkgver"])
    return [("alpine", p, v, v) for p, v in sorted(rows.items())]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--alpine-index", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=DATA / "sysdeps" / "versions.tsv.gz")
    args = parser.parse_args()
    rows = [r for suite in SUITES for r in debian_rows(suite)] + alpine_rows(args.alpine_index)
    text = io.StringIO()
    text.write(f"# alpine: aports snapshot {ALPINE_SNAPSHOT}; debian: see data/README.md\n")
    text.write("release\tpackage\tversion\tfull\n")
    text.writelines("\t".join(r) + "\n" for r in rows)
    # mtime=0: the same rows give the same bytes
    args.out.write_bytes(gzip.compress(text.getvalue().encode(), mtime=0))
    print(f"{args.out}: {len(rows)} packages")


if __name__ == "__main__":
    main()
