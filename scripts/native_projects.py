"""List the PyPI projects the system-package knowledge base must cover.

1. The most-downloaded projects that ship native code: download ranks come from the top-15000
   list carried in data/sources (column pypi_download_rank; only names Debian or Alpine also
   package have one). Walking the ranks in order, a project counts as native when its latest
   release on PyPI has a platform-specific wheel (not ``none-any``); the first --top are kept.
2. Every native package of the requirement files in --corpus: resolved by wheelfit for
   python:3.12-slim-bookworm and python:3.12-alpine, native when it compiles there or installs
   from a platform wheel.

Writes data/sysdeps/coverage.tsv: name, rank, why it is listed, and whether the latest release
has an sdist (a project without one never builds from source).

    python scripts/native_projects.py --corpus ../shared/corpus
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from wheelfit import Settings, analyze, target_from_image  # noqa: E402
from wheelfit.models import Status  # noqa: E402

RANK_FILES = (
    "data/sources/alpine_py3_packages.tsv",
    "data/sources/top_native_packages_crossref.tsv",
    "data/debian/bookworm_python_builddeps.tsv",
    "data/debian/trixie_python_builddeps.tsv",
    "../shared/data/debian_bookworm_python_builddeps.tsv",
)


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def download_ranks() -> dict[str, int]:
    ranks: dict[str, int] = {}
    for relative in RANK_FILES:
        path = ROOT / relative
        if not path.exists():
            continue
        with path.open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                if row.get("pypi_download_rank") and row.get("pypi_name"):
                    ranks[normalize(row["pypi_name"])] = int(row["pypi_download_rank"])
    return ranks


def latest_files(session: requests.Session, name: str) -> tuple[str, list[str]] | None:
    response = session.get(f"https://pypi.org/pypi/{name}/json", timeout=60)
    if response.status_code != 200:
        return None
    document = response.json()
    return document["info"]["version"], [f["filename"] for f in document["urls"]]


def is_native(filenames: list[str]) -> bool:
    return any(f.endswith(".whl") and not f.endswith("-any.whl") for f in filenames)


def has_sdist(filenames: list[str]) -> bool:
    return any(f.endswith((".tar.gz", ".zip", ".tar.bz2")) for f in filenames)


def top_native(ranks: dict[str, int], top: int) -> list[dict[str, str]]:
    ordered = sorted(ranks, key=ranks.__getitem__)
    session = requests.Session()
    rows: list[dict[str, str]] = []
    batch = 64
    for start in range(0, len(ordered), batch):
        names = ordered[start : start + batch]
        with ThreadPoolExecutor(max_workers=8) as pool:
            answers = list(pool.map(lambda n: latest_files(session, n), names))
        for name, answer in zip(names, answers, strict=True):
            if answer is None or not is_native(answer[1]):
                continue
            rows.append(
                {
                    "name": name,
                    "rank": str(ranks[name]),
                    "listed_for": f"top {top} native",
                    "latest": answer[0],
                    "has_sdist": "yes" if has_sdist(answer[1]) else "no",
                }
            )
            if len(rows) == top:
                return rows
        print(f"checked {start + len(names)} ranked names, {len(rows)} native", file=sys.stderr)
    return rows


def corpus_native(corpus: Path) -> dict[str, str]:
    """name -> first corpus file it is native in."""
    found: dict[str, str] = {}
    targets = [target_from_image(i, "3.12") for i in ("slim-bookworm", "alpine3.23")]
    for path in sorted(corpus.glob("*.txt")):
        report = analyze([str(path)], targets, Settings())
        for target in report.targets:
            for package in target.packages:
                native = package.status is Status.SDIST_NATIVE or (
                    package.status is Status.WHEEL
                    and package.tag is not None
                    and not package.tag.endswith("-any")
                )
                if native and not package.build_only:
                    found.setdefault(package.name, path.name)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--top", type=int, default=300)
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "sysdeps" / "coverage.tsv")
    args = parser.parse_args(argv)
    ranks = download_ranks()
    rows = top_native(ranks, args.top)
    listed = {row["name"] for row in rows}
    session = requests.Session()
    for name, origin in sorted(corpus_native(args.corpus).items()):
        if name in listed:
            continue
        answer = latest_files(session, name)
        rows.append(
            {
                "name": name,
                "rank": str(ranks.get(name, "")),
                "listed_for": f"corpus {origin}",
                "latest": answer[0] if answer else "",
                "has_sdist": "yes" if answer and has_sdist(answer[1]) else "no",
            }
        )
    with args.out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, list(rows[0]), delimiter="\t", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(json.dumps({"top_native": len(listed), "all": len(rows)}), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
