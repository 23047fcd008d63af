"""Hostile and huge inputs through the command line: a located error or a degraded row, never
a hang, a traceback or a secret (issue 15, items 6, 10-16, 18, 19, 21)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from indexserver import IndexServer
from test_analyze import pkg, run, sdist, wheel

from wheelfit import cli
from wheelfit.costs.estimate import _capped
from wheelfit.index.simple import make_dist_file, parse_json_page
from wheelfit.inputs.config import load_config
from wheelfit.inspect.distinfo import setup_py_dependencies
from wheelfit.models import Status

SECRET = "S3cr3tT0ken"


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = cli.main([*argv, "--no-costs"])
    captured = capsys.readouterr()
    output = captured.out + captured.err
    assert "Traceback" not in output and SECRET not in output
    return code, captured.err


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_and_devices_are_refused_not_read(
    tmp_path: Path, index_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)  # reading it would block forever: no writer ever comes
    including = tmp_path / "main.txt"
    including.write_text("six\n-r pipe.txt\n-r /dev/zero\n")
    code, err = _cli(capsys, str(fifo), "-i", index_url)
    assert code == cli.EXIT_USAGE and "FIFO (named pipe), not a regular file" in err
    code, err = _cli(capsys, str(including), "-i", index_url)
    assert code == cli.EXIT_USAGE
    assert f"{including}:2: cannot read requirements file" in err
    assert f"{including}:3: cannot read requirements file /dev/zero: it is a character" in err


def test_a_folder_is_refused_as_the_kind_of_thing_it_is(
    tmp_path: Path, index_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "reqs").mkdir()
    including = tmp_path / "main.txt"
    including.write_text("six\n-r reqs\n")
    for given, where in ((tmp_path / "reqs", ""), (including, f"{including}:2: ")):
        code, err = _cli(capsys, str(given), "-i", index_url)
        assert code == cli.EXIT_USAGE
        assert f"{where}cannot read requirements file" in err
        assert "it is a folder, not a regular file; give a file" in err
    pyproject = tmp_path / "project" / "pyproject.toml"
    pyproject.mkdir(parents=True)
    code, err = _cli(capsys, str(pyproject), "-i", index_url)
    assert code == cli.EXIT_USAGE and "it is a folder, not a regular file" in err


def test_symlink_loop_and_long_path(
    tmp_path: Path, index_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    main = tmp_path / "main.txt"
    main.write_text("six\n-r a\n")
    code, err = _cli(capsys, str(main), "-i", index_url)
    assert code == cli.EXIT_USAGE and f"{main}:2: cannot read requirements file" in err
    code, err = _cli(capsys, str(tmp_path / ("x" * 5000)), "-i", index_url)
    assert code == cli.EXIT_USAGE and "cannot read requirements file" in err


def test_markers_pip_cannot_evaluate_are_located_errors(
    tmp_path: Path, index_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    req = tmp_path / "r.txt"
    req.write_text("six ; sys_platform ~= 'linux'\nidna ; '3.8' ~= ''\ncertifi\n")
    code, err = _cli(capsys, str(req), "-i", index_url)
    assert code == cli.EXIT_USAGE
    assert f"{req}:1: the marker cannot be evaluated" in err
    assert f"{req}:2: the marker names an unknown variable" in err


def test_numbers_too_long_for_python(
    tmp_path: Path, index_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    req = tmp_path / "r.txt"
    req.write_text(f"six=={'9' * 5000}\nidna!={'9' * 5000}\ncertifi\n")
    code, err = _cli(capsys, str(req), "-i", index_url)
    assert code == cli.EXIT_USAGE and err.count("more than 4300 digits") == 2
    lock = tmp_path / "uv.lock"
    lock.write_text(f"version = 1\nrevision = {'9' * 5000}\n")
    code, err = _cli(capsys, str(lock), "-i", index_url)
    assert code == cli.EXIT_USAGE and "invalid TOML" in err
    # the same on an index page: a file whose version cannot be compared is left out
    name = f"six-{'9' * 5000}-py3-none-any.whl"
    assert make_dist_file(name, "http://x/" + name, "six") is None  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://[::1", "Invalid IPv6 URL"),
        (f"http://u:{SECRET}@host:%%1/simple/", "port is not a number"),
        (f"http://u:{SECRET}\u20ac@host/simple/", "only Latin-1"),
        (f"http://u:{SECRET}\t@host/simple/", "a space or a control character"),
        (f"http://u#:{SECRET}@host/simple/", "no #fragment"),
    ],
)
def test_bad_index_urls(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], url: str, expected: str
) -> None:
    req = tmp_path / "r.txt"
    req.write_text("six\n")
    code, err = _cli(capsys, str(req), "-i", url)
    assert code == cli.EXIT_USAGE and expected in err
    if "\t" in url:
        return  # in a file, the tab ends the option's value
    req.write_text(f"--index-url {url}\nsix\n")
    code, err = _cli(capsys, str(req), "-i", "http://127.0.0.1:9/simple/", "--offline")
    assert code == cli.EXIT_USAGE and f"{req}:1: " in err and expected in err


def _nested(depth: int) -> str:
    return "x = " + "[" * depth + "]" * depth + "\n"


def test_hostile_toml_inputs_and_configuration(
    tmp_path: Path, index_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    deep = tmp_path / "deep" / "pyproject.toml"
    deep.parent.mkdir()
    deep.write_text(_nested(1000))
    code, err = _cli(capsys, str(deep), "-i", index_url)
    assert code == cli.EXIT_USAGE and "nested too deep" in err
    req = tmp_path / "r.txt"
    req.write_text("six\n")
    for text, expected in [
        (_nested(1000), "nested too deep"),
        ("tool = 3\n", "tool must be a table"),
        ("tool.wheelfit = 'slim'\n", "[tool.wheelfit] must be a table"),
    ]:
        config = tmp_path / "config.toml"
        config.write_text(text)
        code, err = _cli(capsys, str(req), "-i", index_url, "--config", str(config))
        assert code == cli.EXIT_USAGE and expected in err
    config.write_bytes("[tool.wheelfit]\npython = '3.12' # \xe9\n".encode("latin-1"))
    with pytest.raises(Exception, match="not UTF-8"):
        load_config(config)


@pytest.mark.parametrize("size", ["-5", str(2**63), str(10**30)])
def test_a_size_no_file_can_have_reads_as_absent(size: str) -> None:
    """Negative, or beyond what the packed form of a page holds (64 bits): the page still
    reads, its files with no size, the others' sizes kept."""
    body = (
        b'{"meta": {"api-version": "1.1"}, "name": "six", "files": ['
        b'{"filename": "six-1.0-py3-none-any.whl", "url": "six-1.0-py3-none-any.whl",'
        b' "size": ' + size.encode() + b"},"
        b' {"filename": "six-1.0.tar.gz", "url": "six-1.0.tar.gz", "size": 9223372036854775807}]}'
    )
    page = parse_json_page(body, "http://127.0.0.1/simple/six/", "six")
    assert [(d.filename, d.size) for d in page.files] == [
        ("six-1.0-py3-none-any.whl", None),
        ("six-1.0.tar.gz", 2**63 - 1),
    ]


def test_json_page_values_of_the_wrong_type_read_as_absent() -> None:
    body = (
        b'{"meta": {"api-version": "1.1"}, "name": "six", "files": ['
        b'{"filename": "six-1.0-py3-none-any.whl", "url": "six-1.0-py3-none-any.whl",'
        b' "size": "12", "hashes": {"sha256": 5}, "requires-python": 3, "upload-time": []},'
        b' {"filename": 7, "url": "x"}, "not a file"]}'
    )
    page = parse_json_page(body, "http://127.0.0.1/simple/six/", "six")
    (dist,) = page.files
    assert (dist.size, dist.sha256, dist.requires_python) == (None, None, None)


def test_hostile_sdist_degrades_its_row_only(fresh_server: IndexServer, tmp_path: Path) -> None:
    deep_setup = "x = " + "-" * 200_000 + "1\nsetup(install_requires=['six'])\n"
    fresh_server.add_project(
        "deepsetup", [sdist("deepsetup", "1.0", texts={"setup.py": deep_setup})]
    )
    nested = "[build-system]\nrequires = " + "[" * 5000 + "]" * 5000 + "\n"
    fresh_server.add_project(
        "nestedreq", [sdist("nestedreq", "1.0", texts={"pyproject.toml": nested})]
    )
    dynamic = "[project]\nname = 'dynthree'\nversion = '1.0'\ndynamic = 3\n"
    fresh_server.add_project(
        "dynthree", [sdist("dynthree", "1.0", texts={"pyproject.toml": dynamic})]
    )
    fresh_server.add_project("healthy", [wheel("healthy", "1.0", ["six"])])
    report = run(fresh_server, tmp_path, "deepsetup\nnestedreq\ndynthree\nhealthy\n")
    target = report.targets[0]
    assert pkg(target, "healthy").status is Status.WHEEL
    assert pkg(target, "six").status is Status.WHEEL
    for name in ("deepsetup", "nestedreq", "dynthree"):
        assert pkg(target, name).status in (Status.SDIST_PURE, Status.SDIST_NATIVE)
    assert setup_py_dependencies(deep_setup) is None


@pytest.mark.parametrize(
    ("metadata", "expected"),
    [
        (" \n", "METADATA is empty"),
        ("\x01\x02garbage\n", "no Metadata-Version or Name"),
        (
            "Metadata-Version: 2.1\nName: u16\nVersion: 1.0\nRequires-Dist: six\n".encode(
                "utf-16-le"
            ).decode("ascii"),
            "not UTF-8 (UTF-16?)",
        ),
    ],
)
def test_unreadable_metadata_is_noted_and_can_fail_the_run(
    fresh_server: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    metadata: str,
    expected: str,
) -> None:
    fresh_server.add_project(
        "odd", [{"filename": "odd-1.0-py3-none-any.whl", "metadata": metadata}]
    )
    row = pkg(run(fresh_server, tmp_path, "odd\n").targets[0], "odd")
    assert row.incomplete is not None and expected in row.incomplete
    assert any(expected in note for note in row.notes)
    req = tmp_path / "requirements.txt"
    argv = [str(req), "-i", f"{fresh_server.url}/simple/", "--image", "slim"]
    assert _cli(capsys, *argv)[0] == cli.EXIT_OK
    code, err = _cli(capsys, *argv, "--fail-on", "incomplete")
    assert code == cli.EXIT_FINDINGS and "[incomplete]" in err and expected in err


def test_wheel_size_claims_are_capped_by_the_archive() -> None:
    dist = make_dist_file(
        "big-1.0-py3-none-any.whl",
        "http://x/big-1.0-py3-none-any.whl",
        "big",
        size=10_000,  # type: ignore[arg-type]
    )
    assert dist is not None
    claimed = 2000 * 2**30
    installed, note = _capped(claimed, dist)
    assert installed == 10_000 * 1032 and "capped" in note and f"{claimed:,}" in note
    assert _capped(5_000_000, dist) == (5_000_000, "")


def test_bounds_on_large_valid_inputs(tmp_path: Path) -> None:
    from wheelfit.inputs import requirements as reader
    from wheelfit.inputs.markerexpr import MAX_EXTRAS, MAX_SPECIFIER_CLAUSES
    from wheelfit.inspect.metadata import MAX_DEPENDENCIES, parse_metadata

    many_lines = tmp_path / "many.txt"
    many_lines.write_text("".join(f"p{i}\n" for i in range(reader.MAX_FILE_LINES + 1)))
    long_line = tmp_path / "long.txt"
    long_line.write_text("six[" + ",".join(f"e{i}" for i in range(30_000)) + "]\n")
    clauses = tmp_path / "clauses.txt"
    clauses.write_text(
        "six[" + ",".join(f"e{i}" for i in range(MAX_EXTRAS + 1)) + "]\n"
        "idna" + ",".join(f"!=1.{i}" for i in range(MAX_SPECIFIER_CLAUSES + 1)) + "\n"
    )
    names = tmp_path / "names.txt"
    names.write_text("".join(f"n{i}\n" for i in range(reader.MAX_REQUIREMENTS + 5)))
    errors = {
        path.name: [str(e) for e in reader.read_requirements([str(path)]).errors]
        for path in (many_lines, long_line, clauses, names)
    }
    assert "20,001 lines, more than the 20,000" in errors["many.txt"][0]
    assert "more than the 100,000 wheelfit reads" in errors["long.txt"][0]
    extras, versions = errors["clauses.txt"]
    assert f"{MAX_EXTRAS + 1} extras, more than the {MAX_EXTRAS} wheelfit analyses" in extras
    assert f"{MAX_SPECIFIER_CLAUSES + 1} version clauses, more than the" in versions
    (bound,) = errors["names.txt"]
    assert bound.startswith(f"{names}:{reader.MAX_REQUIREMENTS + 1}: this and the 4 ")
    metadata = "Metadata-Version: 2.1\nName: big\nVersion: 1\n" + "".join(
        f"Requires-Dist: d{i}\n" for i in range(MAX_DEPENDENCIES + 10)
    )
    parsed = parse_metadata(metadata.encode())
    assert len(parsed.requires_dist) == MAX_DEPENDENCIES
    assert parsed.problem is not None and "only the first 1,000" in parsed.problem


def test_lock_values_are_redacted_and_bounded(
    tmp_path: Path, index_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    lock = tmp_path / "pylock.toml"
    lock.write_text(f'lock-version = "{"9" * 5000}"\ncreated-by = "x"\n')
    code, err = _cli(capsys, str(lock), "-i", index_url)
    assert code == cli.EXIT_USAGE and "pylock.toml" in err
    poetry = tmp_path / "poetry.lock"
    poetry.write_text(f'[metadata]\nlock-version = "http://u:{SECRET}@127.0.0.1/"\n')
    code, err = _cli(capsys, str(poetry), "-i", index_url)  # _cli asserts SECRET is not shown
    assert code == cli.EXIT_USAGE and "lock-version" in err
    config = tmp_path / "config.toml"
    config.write_text(f'[tool.wheelfit]\npython = ["http://u:{SECRET}@127.0.0.1/"]\n')
    req = tmp_path / "r.txt"
    req.write_text("six\n")
    code, err = _cli(capsys, str(req), "-i", index_url, "--config", str(config))
    assert code == cli.EXIT_USAGE and "expected a string" in err


def test_a_password_cut_at_a_space_never_reaches_the_row(tmp_path: Path) -> None:
    from wheelfit.inputs.requirements import read_requirements

    req = tmp_path / "r.txt"
    req.write_text(f"-e git+http://probe:{SECRET} x@127.0.0.1:9/simple/#egg=x\n")
    result = read_requirements([str(req)])
    shown = [str(e) for e in result.errors] + [
        f"{r.text} {r.direct_url}" for r in result.requirements
    ]
    assert shown and not any(SECRET in text for text in shown)
