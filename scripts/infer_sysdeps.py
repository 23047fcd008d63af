"""Static inference for covered projects that neither Debian nor Alpine packages.

For each name in data/sysdeps/coverage.tsv without a knowledge-base entry, the latest sdist
is inspected the way wheelfit inspects any sdist (nothing is run), together with the library
files its manylinux wheel vendors, and the result is stored in data/sysdeps/inferred.json with
confidence "low". scripts/build_sysdeps.py merges it. Projects whose sdist compiles nothing are
stored with empty lists: the knowledge base then knows they need no system package.

    python scripts/infer_sysdeps.py && python scripts/build_sysdeps.py
"""

from __future__ import annotations

import csv
import json
import sys
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from packaging.utils import canonicalize_name  # noqa: E402

from wheelfit.analyze import Settings, make_client  # noqa: E402
from wheelfit.errors import WheelfitError  # noqa: E402
from wheelfit.inputs.requirements import IndexOptions  # noqa: E402
from wheelfit.inspect.distinfo import load_sdist  # noqa: E402
from wheelfit.sysdeps import knowledge  # noqa: E402
from wheelfit.sysdeps.infer import infer_facts, vendored_libraries  # noqa: E402

FAMILIES = ("bookworm", "trixie", "alpine")


def main() -> int:
    with (ROOT / "data" / "sysdeps" / "coverage.tsv").open(encoding="utf-8") as handle:
        names = [row["name"] for row in csv.DictReader(handle, delimiter="\t")]
    missing = [n for n in names if _not_known(n)]
    client = make_client(IndexOptions(), Settings())
    projects: dict[str, dict[str, object]] = {}
    skipped: dict[str, str] = {}
    for name in missing:
        try:
            entry = _infer(client, name)
        except WheelfitError as exc:
            skipped[name] = str(exc)
            continue
        if isinstance(entry, str):
            skipped[name] = entry
        else:
            projects[name] = entry
    client.close()
    document = {
        "generated": date.today().isoformat(),
        "generator": "scripts/infer_sysdeps.py",
        "projects": projects,
        "skipped": skipped,
    }
    path = ROOT / "data" / "sysdeps" / "inferred.json"
    path.write_text(json.dumps(document, indent=1, sort_keys=True) + "\n")
    print(f"{len(projects)} inferred, {len(skipped)} skipped", file=sys.stderr)
    return 0


def _not_known(name: str) -> bool:
    """No entry, or only one this script wrote before (it is redone)."""
    facts = knowledge.project_facts(name)
    return (
        facts is None
        or facts.source.startswith("inferred from")
        or ("compiles nothing" in facts.source)
    )


def _infer(client, name: str) -> dict[str, object] | str:  # type: ignore[no-untyped-def]
    page = client.get_project(name)
    releases = sorted(
        {f.version for f in page.files if not f.yanked and not f.version.is_prerelease}
    )
    if not releases:
        return "no release"
    latest = releases[-1]
    files = [f for f in page.files if f.version == latest]
    sdist = next((f for f in files if not f.is_wheel), None)
    if sdist is None:
        return f"{latest} has no sdist: it never builds from source"
    info = load_sdist(client, sdist)
    needs_compiler, languages, optional = info.native()
    wheels = sorted(
        (f for f in files if f.is_wheel and "manylinux" in f.filename),
        key=lambda f: ("x86_64" not in f.filename, f.filename),
    )
    vendored = []
    if wheels:
        vendored = vendored_libraries(n for n, _ in client.get_wheel_members(wheels[0]))
    entry: dict[str, object] = {
        "toolchains": sorted(
            {t for lang in languages if (t := knowledge.language_toolchain(lang))}
        ),
        "confidence": "low",
        "optional_extension": optional,
        "source": f"inferred from {sdist.filename} ({date.today().isoformat()})",
    }
    if not needs_compiler:
        entry["source"] = f"{sdist.filename} compiles nothing ({date.today().isoformat()})"
    for family in FAMILIES:
        facts = infer_facts(canonicalize_name(name), info, family, vendored)
        packages = facts.families.get(family) if facts else None
        entry[family] = {
            "build": list(packages.build) if packages and needs_compiler else [],
            "runtime": list(packages.runtime) if packages and needs_compiler else [],
        }
        if facts and facts.rust_version:
            entry["rust_version"] = facts.rust_version
        if facts and needs_compiler and family == "bookworm":
            entry["source"] = facts.source + f" ({date.today().isoformat()})"
    return entry


if __name__ == "__main__":
    sys.exit(main())
