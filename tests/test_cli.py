"""The command line, called in-process through main(argv)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from indexserver import IndexServer

from wheelfit.cli import main

SCHEMA = json.loads((Path(__file__).parents[1] / "docs" / "schema.json").read_text())


@pytest.fixture
def req(tmp_path: Path) -> Path:
    path = tmp_path / "requirements.txt"
    path.write_text("requests==2.32.3\npyyaml==5.3.1\n")
    return path


def test_json_output_validates_against_the_published_schema(
    index_url: str, req: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            str(req),
            "-i",
            index_url,
            "--image",
            "python:3.12-slim-bookworm",
            "--image",
            "alpine",
            "--python",
            "3.12",
            "--format",
            "json",
        ]
    )
    assert code == 0
    document = json.loads(capsys.readouterr().out)
    jsonschema.validate(document, SCHEMA)
    recommendation = document["recommendation"]
    assert recommendation["choices"][0]["target"] == recommendation["target"]
    assert "recommended" in recommendation["choices"][0]["roles"]
    slim, alpine = document["targets"]
    assert slim["id"] == "python:3.12-slim-bookworm@amd64" and slim["libc"] == "glibc"
    assert alpine["libc"] == "musl" and alpine["libc_version"] == "1.2"
    pyyaml = next(p for p in slim["packages"] if p["name"] == "pyyaml" and not p["build_only"])
    assert pyyaml["status"] == "sdist-native" and pyyaml["file"] == "PyYAML-5.3.1.tar.gz"
    assert slim["totals"]["wheel"] >= 5


def test_table_output_fits_and_has_no_colour_codes(
    index_url: str, req: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "120")
    assert main([str(req), "-i", index_url, "--image", "slim", "--python", "3.12"]) == 0
    out = capsys.readouterr().out
    assert "\x1b[" not in out
    assert "requests" in out and "compiles" in out and "total" in out
    assert "pyyaml on python:3.12-slim-trixie:" in out  # the reason, as a note
    assert max(len(line) for line in out.splitlines()) <= 120


def test_output_file(
    index_url: str, req: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report.json"
    assert (
        main([str(req), "-i", index_url, "--image", "slim", "--format", "json", "-o", str(out)])
        == 0
    )
    assert capsys.readouterr().out == ""
    assert json.loads(out.read_text())["schema_version"] == 1


def test_a_python_the_image_tag_overrides_is_a_warning(
    index_url: str, req: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    images = ["--image", "python:3.12-slim-bookworm", "--image", "alpine"]
    assert main([str(req), "-i", index_url, *images, "--python", "3.11", "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert [t["python"] for t in document["targets"]] == ["3.12", "3.11"]
    overridden = [w for w in document["warnings"] if "asked for" in w]
    assert overridden == [
        "Python 3.11 was asked for, but python:3.12-slim-bookworm names Python 3.12 in its "
        "tag: that image is analysed with Python 3.12"
    ]


def test_bad_line_is_located_and_the_rest_reported(
    index_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text("six\nthis is ! not valid\n")
    code = main([str(path), "-i", index_url, "--image", "slim", "--format", "json"])
    captured = capsys.readouterr()
    assert code == 2
    assert f"{path}:2" in captured.err and "Traceback" not in captured.err
    document = json.loads(captured.out)
    assert document["input_errors"][0]["line"] == 2
    assert [p["name"] for p in document["targets"][0]["packages"]] == ["six"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--image", "python:3.12-busybox"], "unknown image variant"),
        (["--platform", "linux_x86_64"], "cannot read platform"),
        (["--exclude-newer", "yesterday"], "--exclude-newer"),
        (["--arch", "sparc"], "unknown architecture"),
    ],
)
def test_usage_errors_exit_2_without_traceback(
    req: Path, argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([str(req), *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_missing_file_is_a_located_error(
    index_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([str(tmp_path / "nope.txt"), "-i", index_url, "--image", "slim"]) == 2
    err = capsys.readouterr().err
    assert "nope.txt" in err and "No such file" in err


def test_images_lists_the_profiles(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["images"]) == 0
    out = capsys.readouterr().out
    for word in ("slim-bookworm", "alpine3.24", "trixie", "musl 1.2", "glibc 2.36"):
        assert word in out


def test_project_python_version_is_the_default(
    index_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".python-version").write_text("3.11\n")
    path = tmp_path / "requirements.txt"
    path.write_text("six\n")
    assert main([str(path), "-i", index_url, "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert [t["id"] for t in document["targets"]] == [
        "python:3.11-trixie@amd64",
        "python:3.11-slim-trixie@amd64",
        "python:3.11-alpine3.24@amd64",
    ]
    assert any(".python-version" in w for w in document["warnings"])


def test_credentials_never_reach_output_or_cache(
    fresh_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = "hunter2-secret"
    path = tmp_path / "requirements.txt"
    path.write_text(
        f"--index-url http://alice:{secret}@127.0.0.1:{fresh_server.port}"
        f"/auth/alice:{secret}/simple/\nsix\n"
    )
    cache = tmp_path / "cache"
    for fmt in ("json", "table"):
        assert main([str(path), "--image", "slim", "--format", fmt, "--cache-dir", str(cache)]) == 0
        captured = capsys.readouterr()
        shown = captured.out.replace(f"/auth/alice:{secret}/", "/auth/PATH/")
        assert secret not in shown and secret not in captured.err
    for file in cache.rglob("*"):
        if file.is_file():
            assert secret.encode() not in file.read_bytes().replace(
                f"/auth/alice:{secret}/".encode(), b""
            ), file


def test_offline_replays_from_cache(
    fresh_server: IndexServer, req: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [
        str(req),
        "-i",
        f"{fresh_server.url}/simple/",
        "--image",
        "slim",
        "--format",
        "json",
        "--cache-dir",
        str(tmp_path / "c"),
    ]
    assert main(args) == 0
    online = json.loads(capsys.readouterr().out)
    fresh_server.reset()
    assert main([*args, "--offline"]) == 0
    offline = json.loads(capsys.readouterr().out)
    assert fresh_server.requests == []
    strip = lambda d: [(p["name"], p["version"], p["status"]) for p in d["targets"][0]["packages"]]  # noqa: E731
    assert strip(online) == strip(offline)


def test_a_console_is_made_when_first_used_and_answers_as_rich_does() -> None:
    import io

    from wheelfit.cli.terminal import lazy_console

    stream = io.StringIO()
    console = lazy_console(stream, no_color=True, soft_wrap=True)
    assert console.is_terminal is False  # a StringIO is no terminal: rich is not asked
    assert console._console is None  # type: ignore[attr-defined]
    console.print("wheelfit: error: one line", markup=False)
    assert stream.getvalue() == "wheelfit: error: one line\n"
    assert console.is_terminal is False  # now rich's own answer


def test_a_forced_terminal_is_rich_s_to_decide(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from wheelfit.cli.terminal import lazy_console

    monkeypatch.setenv("FORCE_COLOR", "1")
    assert lazy_console(io.StringIO()).is_terminal is True


def test_the_command_exits_with_its_output_and_cache_written(
    index_url: str, req: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The command ends without tearing the interpreter down (cli/process.py): the file it
    wrote, what it printed and the cache it filled are complete when the process is gone."""
    import os
    import subprocess
    import sys

    cache, out = tmp_path / "own-cache", tmp_path / "report.json"
    common = [sys.executable, "-m", "wheelfit", str(req), "-i", index_url, "--python", "3.12"]
    common += ["--image", "python:3.12-slim-bookworm", "--cache-dir", str(cache)]
    to_file = subprocess.run(
        [*common, "--format", "json", "-o", str(out)], capture_output=True, text=True, timeout=120
    )
    assert to_file.returncode in (0, 1), to_file.stderr
    (target,) = json.loads(out.read_text())["targets"]
    assert {p["name"] for p in target["packages"]} >= {"requests", "pyyaml"}
    pages = sorted(p.name for p in (cache / "pages").iterdir())
    assert len(pages) >= 2 and not [p for p in pages if p.startswith(".tmp-")], pages
    buffered = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    printed = subprocess.run(
        [*common, "--format", "markdown"], capture_output=True, text=True, timeout=120, env=buffered
    )
    assert printed.returncode == to_file.returncode, printed.stderr
    capsys.readouterr()
    assert main([*common[3:], "--format", "markdown"]) == to_file.returncode
    assert "requests" in printed.stdout
    assert printed.stdout == capsys.readouterr().out  # all of it, as main wrote it
