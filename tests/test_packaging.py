"""The built wheel carries the knowledge base, and an installed copy finds it."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_ships_data_and_installed_copy_loads_it(tmp_path: Path) -> None:
    build = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import hatchling.build as b; print(b.build_wheel({str(tmp_path)!r}))",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    wheel = tmp_path / build.stdout.strip().splitlines()[-1]
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        archive.extractall(tmp_path / "site")
    assert "wheelfit/data/images.json" in names
    assert "wheelfit/data/sysdeps/kb.json" in names
    assert not any(n.startswith("wheelfit/data/sources/") for n in names)
    assert "wheelfit/cli/__init__.py" in names
    # an installed (non-editable) copy must find its data inside the package
    check = subprocess.run(
        [
            sys.executable,
            "-c",
            "import wheelfit.kb as kb; print(kb._data_dir()); "
            "print(len(kb.image_profiles()['variants'])); "
            "from wheelfit.sysdeps import knowledge, infer; "
            "print(knowledge.project_facts('psycopg2').families['bookworm'].build[0]); "
            "print(infer._files('bookworm').headers.get('zlib.h'))",
        ],
        cwd=tmp_path,
        env={"PYTHONPATH": str(tmp_path / "site")},
        capture_output=True,
        text=True,
        check=True,
    )
    data_dir, count, libpq, zlib = check.stdout.split()
    assert Path(data_dir) == tmp_path / "site" / "wheelfit" / "data"
    assert int(count) >= 6
    assert (libpq, zlib) == ("libpq-dev", "zlib1g-dev")
