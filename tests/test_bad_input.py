"""Bad input of every kind: one located message (file:line, what is wrong, what to do), exit 2,
never a traceback; the rest of the input is still reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from wheelfit.cli import main

OFFLINE = ["--offline", "--no-costs", "--image", "python:3.12-slim-bookworm", "-o", "out.txt"]

# (case, files to write, command-line arguments, what stderr must say)
CASES: list[tuple[str, dict[str, bytes], list[str], str]] = [
    ("malformed requirement", {"r.txt": b"six\nsix==\n"}, ["r.txt"], "r.txt:2: not a valid"),
    ("bad marker", {"r.txt": b"six; python_version >>> '3'\n"}, ["r.txt"], "r.txt:1: not a valid"),
    ("unknown option", {"r.txt": b"six\n--frobnicate yes\n"}, ["r.txt"], "r.txt:2: unknown option"),
    ("missing -r file", {"r.txt": b"-r nothere.txt\nsix\n"}, ["r.txt"], "r.txt:1: cannot read"),
    ("missing -c file", {"r.txt": b"-c nothere.txt\n"}, ["r.txt"], "r.txt:1: cannot read"),
    (
        "include cycle",
        {"a.txt": b"-r b.txt\nsix\n", "b.txt": b"idna\n-r a.txt\n"},
        ["a.txt"],
        "b.txt:2: a.txt is already being read",
    ),
    ("self include", {"a.txt": b"-r a.txt\n"}, ["a.txt"], "a.txt:1: a.txt is already being read"),
    ("bad encoding", {"r.txt": b"six\nid\xffna\n"}, ["r.txt"], "r.txt:2: not valid UTF-8"),
    ("binary file", {"r.txt": b"\x00\x01\x02\x03"}, ["r.txt"], "r.txt:1: not a valid"),
    ("missing file", {}, ["absent.txt"], "cannot read requirements file absent.txt"),
    ("folder as file", {"d/x": b""}, ["d"], "cannot read requirements file d"),
    (
        "egg fragment with version",
        {"r.txt": b"git+https://h.invalid/r.git#egg=a==1\n"},
        ["r.txt"],
        "r.txt:1:",
    ),
    ("bad pyproject", {"pyproject.toml": b"[project\n"}, ["pyproject.toml"], "not valid TOML"),
    ("lock of unknown version", {"uv.lock": b"version = 99\n"}, ["uv.lock"], "uv.lock"),
    ("unknown image", {"r.txt": b"six\n"}, ["r.txt", "--image", "nope"], "unknown image"),
    (
        "unknown platform",
        {"r.txt": b"six\n"},
        ["r.txt", "--platform", "manylinux_9"],
        "cannot read platform",
    ),
    ("bad python", {"r.txt": b"six\n"}, ["r.txt", "--python", "3.x"], "--python '3.x'"),
    ("bad arch", {"r.txt": b"six\n"}, ["r.txt", "--arch", "sparc"], "sparc"),
    ("bad date", {"r.txt": b"six\n"}, ["r.txt", "--exclude-newer", "yesterday"], "YYYY-MM-DD"),
    ("bad rule", {"r.txt": b"six\n"}, ["r.txt", "--fail-on", "slow"], "unknown rule"),
    (
        "bad config",
        {"r.txt": b"six\n", "pyproject.toml": b"[tool.wheelfit]\nfast = 1\n"},
        ["r.txt"],
        "[tool.wheelfit] fast: unknown setting",
    ),
    ("bad factor", {"r.txt": b"six\n"}, ["r.txt", "--build-time-factor", "-1"], "between 0"),
    ("no file", {}, [], "give at least one"),
]


@pytest.mark.parametrize(("case", "files", "args", "says"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_a_located_error_and_exit_2(
    case: str,
    files: dict[str, bytes],
    args: list[str],
    says: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".git").mkdir()  # the configuration search stops here
    for name, data in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(data)
    try:
        code = main([*args, *OFFLINE] if args else [])
    except SystemExit as stop:  # argparse's own usage errors
        code = int(stop.code or 0)
    err = capsys.readouterr().err
    assert code == 2, f"{case}: exit {code}\n{err}"
    assert says in err, f"{case}: {err}"
    assert "Traceback" not in err
