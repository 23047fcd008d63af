"""--fail-on rules, [tool.wheelfit] configuration and the exit codes they lead to."""

from __future__ import annotations

from pathlib import Path

import pytest
from indexserver import IndexServer
from test_analyze import sdist, wheel

from wheelfit.cli import main
from wheelfit.errors import UserError
from wheelfit.inputs.config import load_config
from wheelfit.report.policy import Rule, parse_rules

SLIM = "python:3.12-slim-bookworm"
C_SETUP = {
    "setup.py": "from setuptools import setup, Extension\n"
    "setup(ext_modules=[Extension('big._big', ['src/big.c'])])\n"
}


def test_rules_parse_kinds_and_thresholds() -> None:
    rules = parse_rules(["native-build,size>1.5GB", "build-time>5min", "SYSDEPS"])
    assert rules == [
        Rule("native-build"),
        Rule("size", 1.5e9),
        Rule("build-time", 300),
        Rule("sysdeps"),
    ]
    assert str(Rule("size", 5e8)) == "size>500MB"
    for bad in ("native", "size>big", "size<5MB", "build-time>3 parsecs"):
        with pytest.raises(UserError, match="--fail-on"):
            parse_rules([bad])


@pytest.fixture
def project(fresh_server: IndexServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with a requirements file: one wheel, one package that compiles C."""
    fresh_server.add_project("plain", [wheel("plain", "1.0")])
    fresh_server.add_project("big", [sdist("big", "2.0", texts=C_SETUP, members=["src/big.c"])])
    (tmp_path / ".git").mkdir()  # the configuration search stops here
    (tmp_path / "requirements.txt").write_text("plain\nbig\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NO_COLOR", "1")
    return tmp_path


def wheelfit(server: IndexServer, *args: str) -> int:
    return main(
        ["requirements.txt", "--index-url", f"{server.url}/simple/", "--image", SLIM, *args]
    )


def test_exit_codes_follow_the_rules(
    fresh_server: IndexServer, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert wheelfit(fresh_server) == 0
    assert wheelfit(fresh_server, "--fail-on", "native-build") == 1
    assert "[native-build] python:3.12-slim-bookworm@amd64: big 2.0" in capsys.readouterr().err
    assert wheelfit(fresh_server, "--fail-on", "source-build") == 1
    assert wheelfit(fresh_server, "--fail-on", "sysdeps") == 1
    assert wheelfit(fresh_server, "--fail-on", "unavailable") == 0
    assert wheelfit(fresh_server, "--fail-on", "native-build", "--ignore", "BIG") == 0
    assert wheelfit(fresh_server, "--fail-on", "size>1MB") == 1
    assert wheelfit(fresh_server, "--fail-on", "size>100GB,build-time>10h") == 0
    assert wheelfit(fresh_server, "--fail-on", "nonsense") == 2
    assert "unknown rule 'nonsense'" in capsys.readouterr().err


def test_missing_package_is_a_finding_not_an_error(
    fresh_server: IndexServer, project: Path
) -> None:
    (project / "requirements.txt").write_text("plain\nno-such-project-anywhere\n")
    assert wheelfit(fresh_server) == 0
    assert wheelfit(fresh_server, "--fail-on", "unavailable") == 1


def test_unreadable_index_is_exit_2(
    fresh_server: IndexServer, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "requirements.txt",
            "--index-url",
            f"{fresh_server.url}/status/503/simple/",
            "--image",
            SLIM,
            "--no-cache",
        ]
    )
    assert code == 2
    assert "the index could not be read" in capsys.readouterr().err


def test_configuration_fills_in_and_the_command_line_wins(
    fresh_server: IndexServer, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "pyproject.toml").write_text(
        '[tool.wheelfit]\nfail-on = ["native-build"]\nignore = []\npython = "3.12"\n'
    )
    assert wheelfit(fresh_server) == 1
    assert wheelfit(fresh_server, "--fail-on", "unavailable") == 0
    assert wheelfit(fresh_server, "--no-config") == 0
    (project / "pyproject.toml").write_text('[tool.wheelfit]\nfail-on = "native-build"\n')
    assert wheelfit(fresh_server, "--ignore", "big") == 0
    (project / "pyproject.toml").write_text("[tool.wheelfit]\nfail_on = 1\n")
    assert wheelfit(fresh_server) == 2
    assert "[tool.wheelfit] fail_on: unknown setting" in capsys.readouterr().err


def test_configuration_is_found_upwards_until_the_repository_root(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.wheelfit]\nimages = ["alpine"]\n')
    inner = tmp_path / "repo" / "sub"
    inner.mkdir(parents=True)
    assert load_config(start=inner).get("images") == ["alpine"]
    (tmp_path / "repo" / ".git").mkdir()
    assert load_config(start=inner).path is None
    (tmp_path / "repo" / "pyproject.toml").write_text("[tool.wheelfit]\nbuild-time-factor = 0\n")
    with pytest.raises(UserError, match="positive number"):
        load_config(start=inner)
