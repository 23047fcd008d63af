from __future__ import annotations

from pathlib import Path

import pytest

from wheelfit.inputs.requirements import FormatControl, read_requirements

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_nested_requirements_and_constraints_keep_file_and_line(tmp_path: Path) -> None:
    write(tmp_path / "sub" / "base.txt", "six==1.16.0\n")
    write(tmp_path / "cons.txt", "# pins\nnumpy<2\n")
    main = write(tmp_path / "req.txt", "-r sub/base.txt\n-c cons.txt\nrequests[socks]>=2\n")
    parsed = read_requirements([str(main)])
    assert not parsed.errors
    by_name = {r.name: r for r in parsed.requirements}
    assert by_name["six"].origin == f"{tmp_path / 'sub' / 'base.txt'}:1"
    assert by_name["numpy"].constraint and by_name["numpy"].line == 2
    assert not by_name["requests"].constraint
    assert by_name["requests"].requirement is not None
    assert by_name["requests"].requirement.extras == {"socks"}
    assert [r.name for r in parsed.installs] == ["requests", "six"] or {
        r.name for r in parsed.installs
    } == {"requests", "six"}


def test_bad_lines_are_located_errors_and_the_rest_is_kept(tmp_path: Path) -> None:
    main = write(tmp_path / "req.txt", "six\nthis is not valid !!\nidna==3.7\n-r missing.txt\n")
    parsed = read_requirements([str(main)])
    assert {r.name for r in parsed.requirements} == {"six", "idna"}
    lines = sorted((e.line, e.message) for e in parsed.errors)
    assert lines[0][0] == 2 and "not a valid requirement" in lines[0][1]
    assert lines[1][0] == 4 and "missing.txt" in lines[1][1] and "check the path" in lines[1][1]


def test_environment_variables_expand_like_pip(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PKG_VERSION", "1.16.0")
    monkeypatch.delenv("UNSET_VAR", raising=False)
    main = write(tmp_path / "req.txt", "six==${PKG_VERSION}\nidna\n${UNSET_VAR}foo\n")
    parsed = read_requirements([str(main)])
    assert str(parsed.requirements[0].requirement) == "six==1.16.0"
    # an unset variable stays as written, so the line is an error pointing at it
    assert [e.line for e in parsed.errors] == [3]


def test_index_options_hashes_and_direct_references(tmp_path: Path) -> None:
    main = write(
        tmp_path / "req.txt",
        "\n".join(
            [
                "--index-url https://user:s3cret@private.example/simple",
                "--extra-index-url https://other.example/simple",
                "--pre",
                "--prefer-binary",
                "--only-binary :all:",
                "--no-binary psycopg2",
                "--find-links /somewhere",
                "pkg==1.0 --hash=sha256:aa --hash=sha256:bb",
                "foo @ https://tok@files.example/foo-1.0-py3-none-any.whl",
                "git+https://github.com/x/y.git@v1#egg=yname",
                "./local/dir",
            ]
        )
        + "\n",
    )
    parsed = read_requirements([str(main)])
    options = parsed.options
    assert options.index_url == "https://user:s3cret@private.example/simple"
    assert options.extra_index_urls == ["https://other.example/simple"]
    assert options.pre and options.prefer_binary
    assert not options.format_control.allows_sdists("numpy")
    assert options.format_control.allows_sdists("psycopg2")
    assert not options.format_control.allows_wheels("psycopg2")
    assert options.find_links == ["/somewhere"]
    reqs = {r.line: r for r in parsed.requirements}
    assert reqs[8].hashes == ("sha256:aa", "sha256:bb")
    assert reqs[9].direct_url == "https://***@files.example/foo-1.0-py3-none-any.whl"
    assert "tok@" not in reqs[9].text
    assert reqs[10].name == "yname" and reqs[10].direct_url.startswith("git+https://")
    assert reqs[11].requirement is None and reqs[11].direct_url == "./local/dir"


@pytest.mark.parametrize(
    ("calls", "name", "expected"),
    [
        ([("only", ":all:")], "x", {"binary"}),
        ([("only", ":all:"), ("no", "x")], "x", {"source"}),
        ([("no", ":all:"), ("only", "x")], "x", {"binary"}),
        ([("no", ":all:"), ("only", "x")], "y", {"source"}),
        ([("only", ":all:"), ("only", ":none:")], "x", {"binary", "source"}),
        ([("no", "x"), ("only", ":all:")], "x", {"binary"}),
    ],
)
def test_format_control_follows_pip(
    calls: list[tuple[str, str]], name: str, expected: set[str]
) -> None:
    control = FormatControl()
    for kind, value in calls:
        (control.add_only_binary if kind == "only" else control.add_no_binary)(value)
    assert control.allowed_formats(name) == expected


@pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not beside the project")
def test_every_corpus_file_parses_without_dropping_lines() -> None:
    files = [
        *sorted(CORPUS.glob("*.txt")),
        CORPUS / "kiwi" / "mariadb.txt",
        CORPUS / "hand_constraints" / "req.txt",
    ]
    for path in files:
        parsed = read_requirements([str(path)])
        if path.name == "zulip_2018_prod.txt":
            # six VCS lines with '#egg=name==version': pip 25+ refuses them, and so do we,
            # while keeping each as a direct reference in the report
            assert len(parsed.errors) == 6
            assert all("pip refuses the fragment" in e.message for e in parsed.errors)
            assert sum(1 for r in parsed.requirements if r.direct_url) == 6
        else:
            assert not parsed.errors, (path, parsed.errors)
        assert parsed.requirements, path
    hashed = read_requirements([str(CORPUS / "derived_healthchecks_hashed.txt")])
    assert all(r.hashes for r in hashed.requirements)
    constrained = read_requirements([str(CORPUS / "hand_constraints" / "req.txt")])
    numpy = [r for r in constrained.requirements if r.name == "numpy"]
    assert numpy and all(r.constraint for r in numpy)
