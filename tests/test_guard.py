"""Paths and the last guard: -o, --cache-dir and unexpected exceptions never give a traceback."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from wheelfit import cli
from wheelfit.ci import github
from wheelfit.cli import output as cli_output

CANARY = "http://canary-user:S3cr3tT0ken@127.0.0.1:9/simple/"


def _requirements(tmp_path: Path) -> Path:
    path = tmp_path / "requirements.txt"
    path.write_text("six\n")
    return path


@pytest.mark.parametrize(
    ("where", "expected"),
    [("folder", "is a folder"), ("missing/report.json", "does not exist")],
)
def test_output_path_checked_before_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], where: str, expected: str
) -> None:
    output = tmp_path / where
    (tmp_path / "folder").mkdir()
    # an unreachable index: the check must come first, so nothing is fetched
    argv = [str(_requirements(tmp_path)), "-i", CANARY, "-o", str(output), "--format", "json"]
    assert cli.main(argv) == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_output_on_a_full_device_is_a_located_error(
    tmp_path: Path, index_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [str(_requirements(tmp_path)), "-i", index_url, "--no-costs", "--format", "json"]
    assert cli.main([*argv, "-o", "/dev/full"]) == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert "No space left on device" in err and "Traceback" not in err


def test_output_is_replaced_whole(tmp_path: Path, index_url: str) -> None:
    output = tmp_path / "report.json"
    output.write_text("old")
    argv = [str(_requirements(tmp_path)), "-i", index_url, "--no-costs", "--format", "json"]
    assert cli.main([*argv, "-o", str(output)]) == cli.EXIT_OK
    assert output.read_text().startswith("{")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".report")] == []


@pytest.mark.parametrize("kind", ["file", "devnull"])
def test_cache_dir_that_is_not_a_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    cache = Path(os.devnull) if kind == "devnull" else _requirements(tmp_path)
    argv = [str(_requirements(tmp_path)), "-i", CANARY, "--cache-dir", str(cache)]
    assert cli.main(argv) == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert "is not a folder" in err and "--no-cache" in err


def _explode(*args: object, **kwargs: object) -> object:
    raise RuntimeError(f"boom while reading {CANARY}")


def test_unexpected_exception_is_a_short_redacted_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cli_output, "analyze", _explode)
    argv = [str(_requirements(tmp_path)), "--no-costs"]
    assert cli.main(argv) == cli.EXIT_INTERNAL
    err = capsys.readouterr().err
    assert "internal error: RuntimeError: boom" in err and "please report it" in err
    assert "Traceback" not in err and "S3cr3tT0ken" not in err
    assert cli.main([*argv, "--debug"]) == cli.EXIT_INTERNAL
    err = capsys.readouterr().err
    assert "Traceback" in err and "_explode" in err and "S3cr3tT0ken" not in err


def test_action_guard(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(github, "run", _explode)
    assert github.main() == 3
    err = capsys.readouterr().err
    assert err.startswith("::error::wheelfit: internal error") and "S3cr3tT0ken" not in err
