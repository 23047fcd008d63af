"""Build data/sysdeps/releases.json: package names, inventories and toolchains of the releases
wheelfit knows through a Debian release's knowledge (Ubuntu noble and jammy, Debian bullseye).

The knowledge base (data/sysdeps/kb.json) names Debian bookworm and trixie packages. Ubuntu
builds its Python packages from the same Debian sources, so each derived release takes the
names of a *base* Debian release and checks every one of them in its own archive
(data/releases/<release>_amd64_packages.tsv.gz, written by
``scripts/debian_tables.py --packages-only``):

1. the same name exists in the release (or is provided by one of its packages): kept;
2. the 64-bit time_t rename (libfoo3t64 <-> libfoo3) exists: renamed;
3. a package of the release built from the same source with the same stem (libicu72 ->
   libicu74, libssl3 -> libssl1.1): renamed;
4. otherwise the name is missing there, and wheelfit says so instead of naming it.

Only names that change or are missing are written. The inventories of the images (what is
installed before any requirement) are closures over Depends + Pre-Depends, computed from the
same archive: Ubuntu's image is the minimal base (Priority: required, plus apt) with python3,
python3-venv and ca-certificates, which wheelfit's Dockerfiles install first; bullseye's
official python images are the bookworm ones' package sets carried over by name.

    python scripts/build_releases.py
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import json
import re
from pathlib import Path

from debian_tables import parse_relations  # scripts/ is on sys.path when this runs

REPO = Path(__file__).resolve().parent.parent
DEBIAN = REPO / "data" / "debian"
RELEASES_DIR = REPO / "data" / "releases"
SYSDEPS = REPO / "data" / "sysdeps"
SOURCES = REPO / "data" / "sources"
OUT = SYSDEPS / "releases.json"

DERIVED = {
    "noble": {"base": "trixie", "distro": "ubuntu 24.04", "archive": "archive.ubuntu.com"},
    "jammy": {"base": "bookworm", "distro": "ubuntu 22.04", "archive": "archive.ubuntu.com"},
    "bullseye": {"base": "bookworm", "distro": "debian bullseye", "archive": "deb.debian.org"},
}
# Installed first by every Dockerfile wheelfit writes for an image whose Python comes from apt.
DISTRO_PYTHON = ["python3", "python3-venv", "ca-certificates"]
# The official python images' slim layer (docker-library/python Dockerfiles).
SLIM_LAYER = ["ca-certificates", "netbase", "tzdata"]
ALTERNATIVE_NAMES = {"pkgconf": "pkg-config", "pkg-config": "pkgconf"}


def read_packages(path: Path) -> dict[str, dict[str, str]]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return {row["package"]: row for row in csv.DictReader(handle, delimiter="\t")}


def providers_of(packages: dict[str, dict[str, str]]) -> dict[str, list[str]]:
    providers: dict[str, list[str]] = {}
    for name, row in packages.items():
        for provided in filter(None, (p.strip() for p in row.get("provides", "").split(","))):
            providers.setdefault(re.split(r"[\s(]", provided, maxsplit=1)[0], []).append(name)
    return providers


def stem(name: str) -> str:
    """The name without versions: libicu72 -> libicu, libssl3t64 -> libssl, libssl1.1 ->
    libssl, libjpeg62-turbo-dev -> libjpeg-turbo-dev (libjpeg-turbo8-dev on Ubuntu)."""
    return re.sub(r"[\d.]+", "", name.removesuffix("t64"))


class Translator:
    def __init__(self, base: dict[str, dict[str, str]], release: dict[str, dict[str, str]]):
        self.base = base
        self.release = release
        self.provided = providers_of(release)
        self.by_source: dict[str, list[str]] = {}
        for name, row in release.items():
            self.by_source.setdefault(row["source"], []).append(name)

    def __call__(self, name: str) -> str | None:
        if name in self.release:
            return name
        if len(self.provided.get(name, [])) == 1:  # virtual here: name the one real package
            return self.provided[name][0]
        for other in (name.removesuffix("t64"), name + "t64", ALTERNATIVE_NAMES.get(name, "")):
            if other and other != name and other in self.release:
                return other
        row = self.base.get(name)
        if row is None:
            return None
        candidates = [
            p
            for p in self.by_source.get(row["source"], [])
            if stem(p) == stem(name) and p.endswith("-dev") == name.endswith("-dev")
        ]
        return candidates[0] if len(candidates) == 1 else None


def closure(packages: dict[str, dict[str, str]], seeds: list[str]) -> list[str]:
    """The seeds and what they depend on; an alternative already chosen satisfies a relation
    (mawk, required, provides the awk that base-files asks for as `mawk | awk`)."""
    providers = providers_of(packages)

    def real(name: str) -> str | None:
        return name if name in packages else (providers.get(name) or [None])[0]

    kept = {r for name in seeds if (r := real(name))}
    todo = sorted(kept)
    while todo:
        row = packages[todo.pop()]
        for field in ("pre_depends", "depends"):
            for relation in parse_relations(row.get(field, ""), "amd64"):
                options = [r for name in relation.names if (r := real(name))]
                if not options or any(
                    real(n) in kept or any(p in kept for p in providers.get(n, []))
                    for n in relation.names
                ):
                    continue
                kept.add(options[0])
                todo.append(options[0])
    return sorted(kept)


def minimal_base(packages: dict[str, dict[str, str]]) -> list[str]:
    """What debootstrap --variant=minbase installs: Priority required, plus apt."""
    return [n for n, row in packages.items() if row.get("priority") == "required"] + ["apt"]


def names_used(base: str) -> set[str]:
    """Every package name wheelfit may predict on the base release."""
    names: set[str] = set()
    for entry in json.loads((SYSDEPS / "kb.json").read_text())["projects"].values():
        for family in ("bookworm", "trixie"):
            table = entry.get(family) or {}
            names.update(table.get("build", []))
            names.update(table.get("runtime", []))
    toolchains = json.loads((SYSDEPS / "toolchains.json").read_text())["families"]
    for value in toolchains[base].values():
        names.update(value["build"] + value["runtime"])
    with gzip.open(SYSDEPS / f"{base}-files.tsv.gz", "rt", encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            if row["kind"] != "h":
                names.update(row["package"].split())
    return names


def image_sets() -> dict[str, list[str]]:
    sets: dict[str, list[str]] = {}
    with gzip.open(SOURCES / "image_package_sets.tsv.gz", "rt", encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            sets.setdefault(row["image_variant"], []).append(row["package"])
    return sets


def version_of(packages: dict[str, dict[str, str]], name: str) -> str:
    version = packages.get(name, {}).get("version", "")
    match = re.match(r"(?:\d+:)?(\d+\.\d+(?:\.\d+)?)", version)
    return match[1] if match else ""


def toolchains_for(
    base: str, packages: dict[str, dict[str, str]], translate: Translator
) -> dict[str, dict[str, object]]:
    result: dict[str, dict[str, object]] = {}
    for language, value in json.loads((SYSDEPS / "toolchains.json").read_text())["families"][
        base
    ].items():
        build = [translate(n) for n in value["build"]]
        runtime = [translate(n) for n in value["runtime"]]
        entry: dict[str, object] = {"build": build, "runtime": runtime}
        if language == "rust":
            if "rustc-web" in packages:
                entry = {
                    "build": ["gcc", "libc6-dev", "rustc-web", "cargo-web"],
                    "runtime": [],
                    "version": f"{version_of(packages, 'rustc-web')} (rustc-web); "
                    f"the default rustc is {version_of(packages, 'rustc')}",
                }
            else:
                # Ubuntu's versioned rustc-1.NN packages install rustc-1.NN, not rustc: a
                # build calls `cargo`, so only the default rustc counts.
                entry = {
                    "build": ["gcc", "libc6-dev", "rustc", "cargo"],
                    "runtime": [],
                    "version": version_of(packages, "rustc"),
                }
        elif language == "go":
            entry["version"] = version_of(packages, "golang-go").rsplit(".", 1)[0]
        if None in entry["build"] or None in entry["runtime"]:  # type: ignore[operator]
            continue
        result[language] = entry
    return result


def main() -> None:
    sets = image_sets()
    document: dict[str, object] = {
        "generated": dt.date.today().isoformat(),
        "generator": "scripts/build_releases.py",
        "about": __doc__.split("\n\n")[0] if __doc__ else "",
        "releases": {},
    }
    releases: dict[str, object] = {}
    for release, info in DERIVED.items():
        base = info["base"]
        base_packages = read_packages(DEBIAN / f"{base}_amd64_packages.tsv.gz")
        packages = read_packages(RELEASES_DIR / f"{release}_amd64_packages.tsv.gz")
        translate = Translator(base_packages, packages)
        names = sorted(names_used(base))
        renamed: dict[str, str | None] = {}
        for name in names:
            new = translate(name)
            if new != name:
                renamed[name] = new
        inventories: dict[str, list[str]] = {}
        if info["archive"] == "archive.ubuntu.com":
            inventories["ubuntu"] = closure(packages, minimal_base(packages) + DISTRO_PYTHON)
        else:
            for kind, key in (("python", "python-full"), ("slim", "python-slim")):
                carried = [translate(n) for n in sets[f"{base}_{key}"]]
                seeds = [n for n in carried if n] + minimal_base(packages) + SLIM_LAYER
                inventories[kind] = closure(packages, seeds)
        missing = sorted(n for n, v in renamed.items() if v is None)
        releases[release] = {
            "base": base,
            "distro": info["distro"],
            "archive": info["archive"],
            "libc_version": version_of(packages, "libc6"),
            "python3": version_of(
                packages, "python" + ".".join(version_of(packages, "python3").split(".")[:2])
            ),
            "checked_names": len(names),
            "renamed": {k: v for k, v in renamed.items() if v is not None},
            "missing": missing,
            "inventories": inventories,
            "toolchains": toolchains_for(base, packages, translate),
        }
        print(
            f"{release}: {len(names)} {base} names checked, "
            f"{len(renamed) - len(missing)} renamed, {len(missing)} missing; "
            + ", ".join(f"{k} {len(v)} packages" for k, v in inventories.items())
        )
    document["releases"] = releases
    OUT.write_text(json.dumps(document, separators=(",", ":"), sort_keys=True) + "\n")
    print(f"wrote {OUT.relative_to(REPO)} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
