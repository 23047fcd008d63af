"""Compare wheelfit's resolution with pip's on random small indexes served on 127.0.0.1.

Each seed makes 3-6 projects of pure wheels with random versions, dependencies (pins,
bounds, exclusions, extras) and Requires-Python, and a requirements file; the index is served
by the tests' server, pip runs ``install --dry-run --ignore-installed --report -`` against it,
and wheelfit resolves the same file for ``python:X.Y-slim-bookworm`` where X.Y is the Python
pip runs on. Prints each seed where the two differ (versions, or one fails and not the other).

    python tools/compare_pip_random.py --pip /path/to/venv/bin/pip --seeds 1000:1040 --hard
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from indexserver import IndexServer

from wheelfit import Settings, analyze, target_from_image

VERSIONS = ["1.0", "1.1", "2.0", "2.1", "3.0"]
NAMES = ["pa", "pb", "pc", "pd", "pe", "pf"]


def specifier(rng: random.Random, hard: bool, versions: list[str]) -> str:
    v = rng.choice(versions)
    if hard:  # pins and upper bounds: conflicts and several answers
        return rng.choice(["", f"=={v}", f"=={v}", f"<{v}", f"<={v}", f"!={v}", f">={v}"])
    operators = ["", f"=={v}", f">={v}", f"<{v}", f"<={v}", f"!={v}", f"~={v}", "==1.*"]
    return rng.choice([*operators, ">=1.0"])


def make_case(seed: int, hard: bool) -> tuple[dict[str, list[dict[str, Any]]], str]:
    rng = random.Random(seed)
    names = NAMES[: rng.randint(4, 6) if hard else rng.randint(3, 6)]
    projects: dict[str, list[dict[str, Any]]] = {}
    for name in names:
        files = []
        for version in rng.sample(VERSIONS, rng.randint(2, 5)):
            requires = []
            others = [n for n in names if n != name]
            for dep in rng.sample(others, rng.randint(1, min(3, len(others)))):
                extra = "[x]" if rng.random() < 0.15 else ""
                requires.append(f"{dep}{extra}{specifier(rng, hard, VERSIONS)}")
            if rng.random() < 0.2:
                dep = rng.choice(names)
                requires.append(f"{dep}{specifier(rng, hard, ['1.0', '2.0'])} ; extra == 'x'")
            python = rng.choice([None, None, None, ">=3.8", ">=3.12"])
            metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
            metadata += "Provides-Extra: x\n" + (f"Requires-Python: {python}\n" if python else "")
            metadata += "".join(f"Requires-Dist: {r}\n" for r in requires)
            entry: dict[str, Any] = {"filename": f"{name}-{version}-py3-none-any.whl"}
            entry["metadata"] = metadata
            if python:
                entry["requires_python"] = python
            files.append(entry)
        projects[name] = files
    lines = []
    for name in rng.sample(names, rng.randint(1, min(4, len(names)))):
        extra = "[x]" if rng.random() < 0.15 else ""
        bare = hard and rng.random() < 0.6
        lines.append(
            f"{name}{extra}{'' if bare else specifier(rng, hard, ['1.0', '2.0', '2.1'])}\n"
        )
    return projects, "".join(lines)


def pip_answer(pip: str, url: str, requirements: Path) -> list[tuple[str, str]] | None:
    command = [pip, "install", "--dry-run", "--ignore-installed", "--quiet", "--report", "-"]
    command += ["--no-cache-dir", "--isolated", "-i", url, "-r", str(requirements)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode:
        return None
    report = json.loads(done.stdout)
    return sorted((i["metadata"]["name"], i["metadata"]["version"]) for i in report["install"])


def wheelfit_answer(
    url: str, requirements: Path, image: str, cache: Path
) -> list[tuple[str, str]] | None:
    settings = Settings(index_url=url, cache_dir=cache, costs=False, build_requirements=False)
    target = analyze([str(requirements)], [target_from_image(image)], settings).targets[0]
    if not target.complete:
        return None
    return sorted((p.name, p.version or "") for p in target.packages)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pip", required=True, help="the pip to compare with")
    parser.add_argument("--seeds", default="0:40", help="START:STOP")
    parser.add_argument("--hard", action="store_true", help="more pins and upper bounds")
    args = parser.parse_args()
    version = subprocess.run(
        [args.pip, "--version"], capture_output=True, text=True, check=True
    ).stdout
    python = version.rsplit("(python ", 1)[1].rstrip(")\n")
    image = f"python:{python}-slim-bookworm"
    start, stop = (int(x) for x in args.seeds.split(":"))
    differ = 0
    for seed in range(start, stop):
        projects, text = make_case(seed, args.hard)
        with (
            IndexServer(None) as server,
            tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as tmp,
        ):
            for name, files in projects.items():
                server.add_project(name, files)
            url = f"{server.url}/simple/"
            requirements = Path(tmp) / "requirements.txt"
            requirements.write_text(text)
            theirs = pip_answer(args.pip, url, requirements)
            ours = wheelfit_answer(url, requirements, image, Path(tmp) / "cache")
        if theirs != ours:
            differ += 1
            print(f"seed {seed} {text!r}: pip {theirs or 'fails'}, wheelfit {ours or 'fails'}")
    print(f"{version.split(' from ')[0]}: {stop - start} seeds, {differ} differ")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
