"""Build data/costs/debian-<release>.tsv.gz and data/costs/alpine_sizes.json.

* The Debian tables keep, for every package wheelfit may ask apt to install (the knowledge
  base's build and runtime packages, the toolchains, the image inventories) and everything
  they depend on, the Installed-Size, Depends + Pre-Depends (versions dropped, alternatives
  kept) and Provides, from data/debian/<release>_amd64_packages.tsv.gz (scripts/debian_tables.py,
  regenerated from deb.debian.org). Recommends are left out: the Dockerfiles install with
  --no-install-recommends.
* Alpine has no installed sizes in any reachable source but the 28 packages of the
  python:3.13-alpine3.23 image (docker-library/repo-info, copied in data/sources/README.md).
  Their ratio to the same libraries' Debian trixie sizes gives the factor wheelfit applies
  to a Debian counterpart's size to estimate an apk package's.

    python scripts/build_costs.py
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import statistics
from pathlib import Path

from debian_tables import parse_relations  # scripts/ is on sys.path when this runs

REPO = Path(__file__).resolve().parent.parent
DEBIAN = REPO / "data" / "debian"
SYSDEPS = REPO / "data" / "sysdeps"
OUT = REPO / "data" / "costs"
RELEASES = ("bookworm", "trixie")
# Releases whose names come from a Debian release's (data/sysdeps/releases.json, written by
# scripts/build_releases.py); their archive tables are in data/releases/.
DERIVED_DIR = REPO / "data" / "releases"

# (apk packages, their KiB in python:3.13-alpine3.23 per repo-info, Debian trixie counterparts)
ALPINE_PAIRS = [
    (("libcrypto3", "libssl3"), 5091 + 819, ("libssl3t64",)),
    (("sqlite-libs",), 1577, ("libsqlite3-0",)),
    (("zlib",), 105, ("zlib1g",)),
    (("xz-libs",), 221, ("liblzma5",)),
    (("libffi",), 38, ("libffi8",)),
    (("readline",), 292, ("libreadline8t64",)),
    (("libncursesw",), 334, ("libncursesw6",)),
    (("gdbm",), 71, ("libgdbm6t64",)),
    (("libbz2",), 76, ("libbz2-1.0",)),
    (("libuuid",), 29, ("libuuid1",)),
    (("ca-certificates",), 207, ("ca-certificates",)),
    (("tzdata",), 433, ("tzdata",)),
]


def derived_releases() -> dict[str, dict[str, object]]:
    releases: dict[str, dict[str, object]] = json.loads((SYSDEPS / "releases.json").read_text())[
        "releases"
    ]
    return releases


def read_packages(release: str) -> dict[str, dict[str, str]]:
    folder = DERIVED_DIR if release in derived_releases() else DEBIAN
    path = folder / f"{release}_amd64_packages.tsv.gz"
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return {row["package"]: row for row in csv.DictReader(handle, delimiter="\t")}


def dependency_groups(row: dict[str, str]) -> list[list[str]]:
    """Depends + Pre-Depends as groups of alternatives, without versions or arch qualifiers."""
    return [
        list(relation.names)
        for field in ("pre_depends", "depends")
        for relation in parse_relations(row.get(field, ""), "amd64")
    ]


def seeds(release: str) -> set[str]:
    derived = derived_releases().get(release)
    if derived is not None:
        renamed: dict[str, str] = derived["renamed"]  # type: ignore[assignment]
        missing = set(derived["missing"])  # type: ignore[call-overload]
        base = seeds(str(derived["base"]))
        found = {renamed.get(n, n) for n in base if n not in missing}
        for inventory in derived["inventories"].values():  # type: ignore[attr-defined]
            found.update(inventory)
        for chain in derived["toolchains"].values():  # type: ignore[attr-defined]
            found.update(chain["build"] + chain["runtime"])
        found.update(["python3", "python3-venv", "python3-dev"])
        return found
    found: set[str] = set()
    projects = json.loads((SYSDEPS / "kb.json").read_text())["projects"]
    for entry in projects.values():
        table = entry.get(release) or {}
        found.update(table.get("build", []))
        found.update(table.get("runtime", []))
    toolchains = json.loads((SYSDEPS / "toolchains.json").read_text())
    for value in toolchains["families"].get(release, {}).values():
        found.update(value["build"])
        found.update(value["runtime"])
    images = json.loads((SYSDEPS / "image_packages.json").read_text())["images"]
    for key, names in images.items():
        if key.startswith(release):
            found.update(names)
    # images whose packages come from this release's archive (distroless), and what the
    # Dockerfile's build stage installs for them
    profiles = json.loads((REPO / "data" / "images.json").read_text())["variants"]
    for variant in profiles:
        if variant.get("release") == release and "packages" in variant:
            found.update(variant["packages"])
    found.update(["pkg-config", "pkgconf", "make", "cmake", "python3-dev", "python3-venv"])
    return found


def closure_rows(release: str) -> list[list[str]]:
    packages = read_packages(release)
    providers: dict[str, list[str]] = {}
    for name, row in packages.items():
        for provided in filter(None, (p.strip() for p in row.get("provides", "").split(","))):
            providers.setdefault(re.split(r"[\s(]", provided, maxsplit=1)[0], []).append(name)
    todo = sorted(seeds(release))
    kept: set[str] = set()
    while todo:
        name = todo.pop()
        if name in kept:
            continue
        candidates = [name] if name in packages else providers.get(name, [])
        for real in candidates:
            if real not in kept:
                kept.add(real)
                todo += [alt for group in dependency_groups(packages[real]) for alt in group]
    rows = []
    for name in sorted(kept):
        row = packages[name]
        provides = [
            re.split(r"[\s(]", p.strip(), maxsplit=1)[0]
            for p in row.get("provides", "").split(",")
            if p.strip()
        ]
        depends = ", ".join(" | ".join(group) for group in dependency_groups(row))
        rows.append([name, row["installed_size_kib"] or "0", depends, ", ".join(provides)])
    return rows


def write_tsv_gz(path: Path, header: list[str], rows: list[list[str]]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter="\t", lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    # mtime=0: the same input gives byte-identical output
    path.write_bytes(gzip.compress(buffer.getvalue().encode(), mtime=0))


def alpine_factor() -> dict[str, object]:
    trixie = read_packages("trixie")
    ratios = []
    pairs = []
    for apk, kib, debs in ALPINE_PAIRS:
        deb_kib = sum(int(trixie[d]["installed_size_kib"]) for d in debs)
        ratios.append(kib / deb_kib)
        pairs.append(
            {"apk": list(apk), "apk_kib": kib, "debian": list(debs), "debian_kib": deb_kib}
        )
    return {
        "about": "apk installed size ~= factor x the Debian trixie counterpart's Installed-Size. "
        "Only the packages of python:3.13-alpine3.23 have known apk sizes (docker-library/"
        "repo-info, 2026-07..09); the factor is the median ratio over those libraries.",
        "factor": round(statistics.median(ratios), 3),
        "range": [round(min(ratios), 3), round(max(ratios), 3)],
        "pairs": pairs,
    }


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for release in RELEASES + tuple(derived_releases()):
        rows = closure_rows(release)
        write_tsv_gz(
            OUT / f"debian-{release}.tsv.gz",
            ["package", "installed_kib", "depends", "provides"],
            rows,
        )
        print(f"{release}: {len(rows)} packages")
    factor = alpine_factor()
    (OUT / "alpine_sizes.json").write_text(json.dumps(factor, indent=1) + "\n")
    print(f"alpine factor {factor['factor']} (range {factor['range']})")


if __name__ == "__main__":
    main()
