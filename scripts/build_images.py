"""Derive data/images.json (wheelfit's image profiles) from the gathered facts.

Source: ../shared/data/image_profiles.json, itself built from docker-library/python,
docker-library/buildpack-deps, docker-library/repo-info and the Debian archive (see its
README for dates). Only what resolution needs is kept: libc and its version, whether a C
compiler is present, the Python patch versions, and the default tags. Run from the repo root:

    python scripts/build_images.py [--source ../shared/data/image_profiles.json]
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--source", default="../shared/data/image_profiles.json")
    parser.add_argument("--out", default="data/images.json")
    args = parser.parse_args()
    source = json.loads(Path(args.source).read_text())
    variants = [variant_entry(image) for image in source["images"]]
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
        "variants": variants,
    }
    Path(args.out).write_text(json.dumps(document, indent=1) + "\n")
    print(f"wrote {args.out}: {len(variants)} variants")


if __name__ == "__main__":
    main()
