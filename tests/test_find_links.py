"""--find-links: a folder, a single file or an HTML page of links, as pip reads them."""

from __future__ import annotations

import html
import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest
from indexserver import IndexServer

from wheelfit import Settings, Status, analyze, target_from_image
from wheelfit.cli import main
from wheelfit.errors import IndexFetchError
from wheelfit.index.client import IndexClient
from wheelfit.index.simple import make_dist_file
from wheelfit.index.urls import DEFAULT_INDEX
from wheelfit.models import PackageResult, Report
from wheelfit.render.dockerfile import render_dockerfile

SLIM = "python:3.12-slim-bookworm"


def write_wheel(folder: Path, name: str, version: str, requires: tuple[str, ...] = ()) -> Path:
    path = folder / f"{name}-{version}-py3-none-any.whl"
    info = f"{name}-{version}.dist-info"
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    metadata += "".join(f"Requires-Dist: {r}\n" for r in requires)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"{name}/__init__.py", "")
        archive.writestr(f"{info}/METADATA", metadata)
        archive.writestr(f"{info}/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: true\n")
        archive.writestr(f"{info}/RECORD", "")
    return path


@pytest.fixture(scope="module")
def links_server() -> Iterator[IndexServer]:
    with IndexServer(None) as server:
        server.add_project("remote-only", [{"filename": "remote_only-2.0-py3-none-any.whl"}])
        server.add_project("six", [{"filename": "six-1.17.0-py2.py3-none-any.whl"}])
        yield server


def run(tmp_path: Path, text: str, **options: object) -> Report:
    req = tmp_path / "requirements.txt"
    req.write_text(text)
    settings = Settings(cache_dir=tmp_path / "cache", costs=False, **options)  # type: ignore[arg-type]
    return analyze([str(req)], [target_from_image(SLIM)], settings)


def row(report: Report, name: str) -> PackageResult:
    [match] = [p for p in report.targets[0].packages if p.name == name]
    return match


def test_a_folder_is_read_with_no_index(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    write_wheel(wheels, "inhouse", "1.0", ("helper>=2",))
    write_wheel(wheels, "inhouse", "1.1")
    write_wheel(wheels, "helper", "2.0")
    (wheels / "notes.txt").write_text("not a distribution")
    report = run(tmp_path, "inhouse==1.0\n", no_index=True, find_links=[str(wheels)])
    assert report.targets[0].complete, report.targets[0].problems
    assert (row(report, "inhouse").status, row(report, "inhouse").file) == (
        Status.WHEEL,
        "inhouse-1.0-py3-none-any.whl",
    )
    # its dependency was read from the wheel's METADATA on disk, and found in the folder too
    assert row(report, "helper").version == "2.0"
    assert report.options["index_url"] is None


def test_a_files_relative_folder_is_read_beside_the_file(tmp_path: Path) -> None:
    (tmp_path / "dist").mkdir()
    write_wheel(tmp_path / "dist", "inhouse", "3.0")
    report = run(tmp_path, "--no-index\n--find-links dist\ninhouse\n")
    assert row(report, "inhouse").version == "3.0"


def test_a_page_of_links_is_read(links_server: IndexServer, tmp_path: Path) -> None:
    # any HTML page of links will do: a project page of the local index is one
    page = f"{links_server.url}/simple/remote-only/"
    report = run(tmp_path, "remote-only\n", no_index=True, find_links=[page])
    assert (row(report, "remote-only").version, row(report, "remote-only").status) == (
        "2.0",
        Status.WHEEL,
    )


def test_a_url_of_one_file_is_that_file(links_server: IndexServer, tmp_path: Path) -> None:
    link = f"{links_server.url}/files/remote_only-2.0-py3-none-any.whl"
    report = run(tmp_path, "remote-only\n", no_index=True, find_links=[link])
    assert row(report, "remote-only").file == "remote_only-2.0-py3-none-any.whl"


def test_folder_files_join_the_indexes(links_server: IndexServer, tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    write_wheel(wheels, "six", "99.0")
    index = f"{links_server.url}/simple/"
    report = run(tmp_path, "six\n", index_url=index, find_links=[str(wheels)])
    assert row(report, "six").version == "99.0"
    without = run(tmp_path, "six\n", index_url=index)
    assert row(without, "six").version == "1.17.0"


def test_a_missing_folder_is_a_warning_not_a_failure(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    write_wheel(wheels, "inhouse", "1.0")
    missing = str(tmp_path / "nowhere")
    report = run(tmp_path, "inhouse\n", no_index=True, find_links=[missing, str(wheels)])
    assert row(report, "inhouse").version == "1.0"
    assert any("nowhere" in w and "ignored" in w for w in report.warnings)


def test_a_project_in_no_location_is_unavailable(tmp_path: Path) -> None:
    (tmp_path / "wheels").mkdir()
    report = run(tmp_path, "absent\n", no_index=True, find_links=[str(tmp_path / "wheels")])
    assert row(report, "absent").status is Status.UNAVAILABLE


def test_an_index_cannot_make_wheelfit_read_a_local_file(tmp_path: Path) -> None:
    secret = write_wheel(tmp_path, "secret", "1.0")
    dist = make_dist_file(secret.name, secret.as_uri(), "secret")  # type: ignore[arg-type]
    assert dist is not None
    with IndexClient([]) as client, pytest.raises(IndexFetchError, match="no --find-links"):
        client.get_wheel_metadata(dist)


def test_a_local_wheels_metadata_comes_from_the_file(tmp_path: Path) -> None:
    write_wheel(tmp_path, "inhouse", "1.0", ("helper",))
    with IndexClient([], find_links=[str(tmp_path)]) as client:
        [dist] = client.get_project("inhouse").files
        assert dist.url.startswith("file://") and dist.sha256 and dist.size
        assert b"Requires-Dist: helper" in client.get_wheel_metadata(dist)
        with client.download(dist) as copy, zipfile.ZipFile(io.BytesIO(copy.read())) as wheel:
            assert "inhouse/__init__.py" in wheel.namelist()


def test_the_command_line_follows_find_links(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    write_wheel(wheels, "inhouse", "2.0")
    (tmp_path / "r.txt").write_text("inhouse\n")
    out = tmp_path / "report.json"
    argv = [str(tmp_path / "r.txt"), "--no-index", "-f", str(wheels), "--image", SLIM]
    assert main([*argv, "--no-costs", "--format", "json", "-o", str(out)]) == 0
    document = json.loads(out.read_text())
    schema = json.loads((Path(__file__).parents[1] / "docs" / "schema.json").read_text())
    jsonschema.validate(document, schema)
    assert document["options"]["find_links"] == [str(wheels)]
    assert document["options"]["index_url"] is None
    [package] = document["targets"][0]["packages"]
    assert (package["name"], package["version"], package["status"]) == ("inhouse", "2.0", "wheel")


def test_the_dockerfile_gives_pip_the_same_locations(
    links_server: IndexServer, tmp_path: Path
) -> None:
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    write_wheel(wheels, "inhouse", "2.0")
    (tmp_path / "r.txt").write_text("inhouse\n")
    out = tmp_path / "Dockerfile"
    page = f"{links_server.url}/simple/six/"
    argv = ["dockerfile", str(tmp_path / "r.txt"), "--no-index", "-f", str(wheels), "-f", page]
    assert main([*argv, "--image", SLIM, "--no-costs", "-o", str(out)]) == 0
    text = out.read_text()
    assert "COPY wheels /find-links/wheels" in text
    assert (
        f"pip install --no-cache-dir --no-index --find-links /find-links/wheels "
        f"--find-links {page} -r r.txt" in text
    )


def test_the_dockerfile_gives_pip_the_same_indexes_and_choices_without_credentials(
    links_server: IndexServer, tmp_path: Path
) -> None:
    (tmp_path / "r.txt").write_text("six\n")
    out = tmp_path / "Dockerfile"
    index = f"{links_server.url}/simple/"
    extra = index.replace("http://", "http://deploy:s3cret@")
    argv = ["dockerfile", str(tmp_path / "r.txt"), "-i", index, "--extra-index-url", extra]
    argv += ["--pre", "--only-binary", ":all:", "--no-binary", "six"]
    assert main([*argv, "--image", SLIM, "--no-costs", "-o", str(out)]) == 0
    text = out.read_text()
    assert "s3cret" not in text and "deploy" not in text
    assert f"# --extra-index-url {index}: pip needs its credentials in the build" in text
    # :all: first, so that pip takes six back out of it: the sets the analysis used
    assert (
        f"pip install --no-cache-dir --index-url {index} --extra-index-url {index} --pre "
        "--only-binary :all: --no-binary six -r r.txt" in text
    )


def test_the_html_reports_dockerfile_is_the_one_the_command_writes(
    links_server: IndexServer, tmp_path: Path
) -> None:
    """The run's indexes and choices reach the HTML report's Dockerfiles too: without them,
    the image's pip would read PyPI and choose otherwise than the analysis did."""
    (tmp_path / "r.txt").write_text("-r base.txt\n")
    (tmp_path / "base.txt").write_text("six\n")
    index = f"{links_server.url}/simple/"
    argv = [str(tmp_path / "r.txt"), "-i", index, "--only-binary", ":all:", "--pre"]
    argv += ["--image", SLIM, "--no-costs", "--cache-dir", str(tmp_path / "cache")]
    assert main(["dockerfile", *argv, "-o", str(tmp_path / "Dockerfile")]) == 0
    assert main([*argv, "--format", "html", "-o", str(tmp_path / "report.html")]) == 0
    page = (tmp_path / "report.html").read_text()
    section = page.split('<section id="dockerfiles">')[1]
    shown = html.unescape(section.split("<pre><code>")[1].split("</code></pre>")[0])
    written = (tmp_path / "Dockerfile").read_text()
    assert f"--index-url {index} --pre --only-binary :all: -r r.txt" in written
    assert "COPY base.txt base.txt" in written
    assert shown == written


def test_the_dockerfile_names_no_index_pip_uses_by_default(
    links_server: IndexServer, tmp_path: Path
) -> None:
    report = run(tmp_path, "six\n", index_url=f"{links_server.url}/simple/")
    text = render_dockerfile(
        report.targets[0], ["r.txt"], options={**report.options, "index_url": DEFAULT_INDEX}
    )
    assert "pip install --no-cache-dir -r r.txt" in text


@pytest.mark.parametrize(
    ("only", "never", "written"),
    [
        ([":all:"], ["six"], "--only-binary :all: --no-binary six"),
        (["six"], [":all:"], "--no-binary :all: --only-binary six"),
        (["a", "b"], ["c"], "--only-binary a,b --no-binary c"),
    ],
)
def test_the_dockerfile_gives_pip_the_binary_sets_in_an_order_that_keeps_them(
    links_server: IndexServer, tmp_path: Path, only: list[str], never: list[str], written: str
) -> None:
    """pip empties the other set when it reads :all:, so that list goes first."""
    report = run(tmp_path, "six\n", index_url=f"{links_server.url}/simple/")
    options = {"index_url": DEFAULT_INDEX, "only_binary": only, "no_binary": never}
    text = render_dockerfile(report.targets[0], ["r.txt"], options=options)
    assert f"pip install --no-cache-dir {written} -r r.txt" in text


def test_the_dockerfile_copies_the_files_that_requirements_include(
    links_server: IndexServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pip reads -r/-c files relative to the including file: each is copied to the same place
    relative to the build context as on disk."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "reqs").mkdir()
    (tmp_path / "reqs" / "prod.txt").write_text("-r base.txt\n-c ../constraints.txt\n")
    (tmp_path / "reqs" / "base.txt").write_text("six\n")
    (tmp_path / "constraints.txt").write_text("six==1.17.0\n")
    index = f"{links_server.url}/simple/"
    argv = ["dockerfile", "reqs/prod.txt", "-i", index, "--image", SLIM, "--no-costs"]
    assert main([*argv, "-o", "Dockerfile"]) == 0
    text = (tmp_path / "Dockerfile").read_text()
    copies = [line for line in text.splitlines() if line.startswith("COPY")]
    assert copies == [
        "COPY reqs/prod.txt reqs/prod.txt",
        "COPY reqs/base.txt reqs/base.txt",
        "COPY constraints.txt constraints.txt",
    ]
    assert text.rstrip().endswith(f"--index-url {index} -r reqs/prod.txt")


def test_a_file_the_dockerfile_cannot_copy_is_said_in_it_and_on_stderr(
    links_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "reqs").mkdir()
    (tmp_path / "reqs" / "prod.txt").write_text("six\n-c ../constraints.txt\n")
    (tmp_path / "constraints.txt").write_text("six==1.17.0\n")
    out = tmp_path / "Dockerfile"
    index = f"{links_server.url}/simple/"
    argv = ["dockerfile", str(tmp_path / "reqs" / "prod.txt"), "-i", index, "--image", SLIM]
    assert main([*argv, "--no-costs", "-o", str(out)]) == 0
    text = out.read_text()
    assert "COPY prod.txt prod.txt" in text  # the first file's folder is the context
    assert "# ../constraints.txt, which pip reads through a -r/-c line, is outside" in text
    assert "warning: ../constraints.txt is outside the build context" in capsys.readouterr().err


def test_an_unreadable_file_in_a_folder_is_a_row_error(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    write_wheel(wheels, "inhouse", "1.0")
    with IndexClient([], find_links=[str(wheels)]) as client:
        assert client.get_project("other").files == ()  # the folder is listed once, here
        # the file goes away before it is hashed
        (wheels / "inhouse-1.0-py3-none-any.whl").unlink()
        with pytest.raises(IndexFetchError, match="--find-links"):
            client.get_project("inhouse")
