"""Derive data/images.json (wheelfit's image profiles) from the gathered facts.

Source: ../shared/data/image_profiles.json, itself built from docker-library/python,
docker-library/buildpack-deps, docker-library/repo-info and the Debian archive (see its
README for dates). Only what resolution needs is kept: libc and its version, whether a C
compiler is present, the Python patch versions, and the default tags. Run from the repo root:

    python scripts/build_images.py [--source ../shared/data/image_profiles.json]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# docker-library builds every python variant for these (and more) architectures; wheelfit
# models the two that matter for wheels on PyPI.
ARCHES = ["amd64", "arm64"]


def variant_entry(image: dict) -> dict:
    tag_pattern = image["image"]  # e.g. "python:3.X-slim-bookworm"
    suffix = tag_pattern.split("3.X-", 1)[1]
    kind = (
        "slim"
        if suffix.startswith("slim")
        else "alpine"
        if suffix.startswith("alpine")
        else "python"
    )
    release = suffix.removeprefix("slim-")
    libc_version = re.match(r"\d+\.\d+", image["libc_version"]).group(0)
    versions = image["python_versions_in_docker_library_snapshot"]
    return {
        "suffix": suffix,
        "kind": kind,
        "release": release,
        "distro": f"{image['distro']} {image.get('distro_codename') or image['distro_version']}",
        "libc": image["libc"],
        "libc_version": libc_version,
        "has_compiler": bool(image["c_compiler_present"]),
        "arches": ARCHES,
        "python_versions": {k.removesuffix("-rc"): v for k, v in versions.items()},
        "prerelease_pythons": [k.removesuffix("-rc") for k in versions if k.endswith("-rc")],
    }


def archive_version(table: str, package: str) -> str:
    """X.Y(.Z) of a package in an archive table (data/debian/<suite>_amd64_packages.tsv.gz or
    data/releases/<release>_amd64_packages.tsv.gz, written by scripts/debian_tables.py)."""
    folder, release = table.split("/")
    path = REPO / "data" / folder / f"{release}_amd64_packages.tsv.gz"
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            if row["package"] == package:
                match = re.match(r"(?:\d+:)?(\d+\.\d+(?:\.\d+)?)", row["version"])
                if match:
                    return match[1]
    raise SystemExit(f"{path}: no version for {package}")


def more_variant(image: dict) -> dict:
    """A profile from data/sources/more_images.json, with versions read from its archive."""
    table = image["archive_table"]
    entry = {
        "suffix": image["suffix"],
        "repository": image["repository"],
        "kind": image["kind"],
        "release": image["release"],
        "libc": "glibc",
        "libc_version": archive_version(table, "libc6").rsplit(".", 1)[0]
        if archive_version(table, "libc6").count(".") == 2
        else archive_version(table, "libc6"),
        "has_compiler": bool(image.get("has_compiler", False)),
        "arches": image["arches"],
        "python": image["python"],
        "pip": image["pip"],
        "shell": image["shell"],
        "package_manager": image["package_manager"],
        "source": image["source"],
    }
    if image["kind"] == "ubuntu":
        entry["distro"] = f"ubuntu {image['suffix']}"
        entry["tags"] = image["tags"]
    else:
        number = {"bullseye": "11", "bookworm": "12", "trixie": "13"}[image["release"]]
        entry["distro"] = f"debian {image['release']}"
        entry["debian_version"] = number
    if image["python"] == "distribution":
        python3 = archive_version(table, "python3")
        minor = ".".join(python3.split(".")[:2])
        entry["python_versions"] = {minor: archive_version(table, f"python{minor}")}
        entry["python_prefix"] = image["python_prefix"]
        entry["pep668"] = image["pep668"]
    else:
        entry["python_versions"] = image["python_versions"]
    entry["prerelease_pythons"] = []
    for key in ("python_packages", "final_stage_only", "build_image", "packages", "note", "latest"):
        if key in image:
            entry[key] = image[key]
    return entry


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--source", default="../shared/data/image_profiles.json")
    parser.add_argument("--more", default="data/sources/more_images.json")
    parser.add_argument("--out", default="data/images.json")
    args = parser.parse_args()
    source = json.loads(Path(args.source).read_text())
    variants = [variant_entry(image) for image in source["images"]]
    more = json.loads(Path(args.more).read_text())
    first = variants[0]
    stable = [v for v in first["python_versions"] if v not in first["prerelease_pythons"]]
    document = {
        "generated_from": "shared/data/image_profiles.json",
        "provenance": source["provenance"],
        "defaults": {
            # python:3 and python:latest point at the newest stable CPython; the bare variant
            # names (python:3.14, -slim, -alpine) at the newest Debian and Alpine releases.
            "python": max(stable, key=lambda v: tuple(map(int, v.split(".")))),
            "release": {"python": "trixie", "slim": "trixie", "alpine": "alpine3.24"},
        },
        "musl_version_by_alpine_release": source["musl_version_by_alpine_release"],
        "variants": variants + [more_variant(image) for image in more["images"]],
    }
    document["provenance"]["more_images"] = (
        f"data/sources/more_images.json (gathered {more['gathered']}); libc and Python versions "
        "from the archive tables in data/releases/ (archive.ubuntu.com and deb.debian.org, "
        "fetched 2026-12-04) and data/debian/"
    )
    Path(args.out).write_text(json.dumps(document, indent=1) + "\n")
    print(f"wrote {args.out}: {len(document['variants'])} variants")


if __name__ == "__main__":
    main()
