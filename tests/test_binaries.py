"""Wheels nobody repaired: their ELF files, read with auditwheel, decide where they load.

The shared objects are compiled here with gcc, so the checks run on real ELF files: an
extension linking a stand-in ``libpq.so.5`` (only its soname matters) and calling glibc's
``getrandom`` (symbol version GLIBC_2.25).
"""

from __future__ import annotations

import functools
import http.server
import importlib.metadata
import platform
import shutil
import subprocess
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from wheelfit import Settings, Status, analyze, target_from_image
from wheelfit.inspect.elf import AUDITWHEEL_VERSION, inspect_binaries
from wheelfit.models import PackageResult, Report, Target
from wheelfit.sysdeps.binaries import tag_glibc
from wheelfit.targets.images import target_from_platform

pytestmark = pytest.mark.skipif(
    shutil.which("gcc") is None or platform.machine() != "x86_64",
    reason="needs gcc on x86_64 to compile the test extension",
)

SLIM = "python:3.12-slim-bookworm"
ALPINE = "python:3.12-alpine"
LIBPQ_STUB = "int PQlibVersion(void) { return 170000; }\n"
EXTENSION = """
#include <sys/random.h>
extern int PQlibVersion(void);
int wheelfit_probe(void) {
    char buffer[4];
    getrandom(buffer, sizeof buffer, 0);
    return PQlibVersion() + buffer[0];
}
"""


def compile_extension(folder: Path) -> Path:
    (folder / "libpq.c").write_text(LIBPQ_STUB)
    (folder / "probe.c").write_text(EXTENSION)
    gcc = ["gcc", "-shared", "-fPIC", "-O0"]
    subprocess.run(
        [*gcc, "-Wl,-soname,libpq.so.5", "-o", "libpq.so.5", "libpq.c"], cwd=folder, check=True
    )
    output = "_probe.cpython-312-x86_64-linux-gnu.so"
    subprocess.run(
        [*gcc, "-o", output, "probe.c", "-Wl,--no-as-needed", "-L.", "-l:libpq.so.5"],
        cwd=folder,
        check=True,
    )
    return folder / output


def compile_musl_like(folder: Path) -> bytes:
    """An extension that links a library named like musl's libc and no glibc at all."""
    (folder / "musl.c").write_text("int musl_marker(void) { return 1; }\n")
    (folder / "ext.c").write_text(
        "extern int musl_marker(void);\nextern int PQlibVersion(void);\n"
        "int probe(void) { return musl_marker() + PQlibVersion(); }\n"
    )
    gcc = ["gcc", "-shared", "-fPIC", "-O0", "-nostdlib"]
    soname = "libc.musl-x86_64.so.1"
    subprocess.run([*gcc, f"-Wl,-soname,{soname}", "-o", soname, "musl.c"], cwd=folder, check=True)
    libs = ["-Wl,--no-as-needed", "-L.", f"-l:{soname}", "-l:libpq.so.5"]
    subprocess.run([*gcc, "-o", "ext.so", "ext.c", *libs], cwd=folder, check=True)
    return (folder / "ext.so").read_bytes()


def build_wheel(folder: Path, name: str, tag: str, files: dict[str, bytes]) -> Path:
    path = folder / f"{name}-1.0-{tag}.whl"
    info = f"{name}-1.0.dist-info"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as wheel:
        wheel.writestr(f"{name}/__init__.py", "")
        for member, data in files.items():
            wheel.writestr(member, data)
        wheel.writestr(f"{info}/METADATA", f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
        wheel.writestr(f"{info}/WHEEL", f"Wheel-Version: 1.0\nRoot-Is-Purelib: false\nTag: {tag}\n")
        wheel.writestr(f"{info}/RECORD", "")
    return path


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    build = tmp_path_factory.mktemp("build")
    extension = compile_extension(build).read_bytes()
    libpq = (build / "libpq.so.5").read_bytes()
    house = tmp_path_factory.mktemp("wheelhouse")
    build_wheel(house, "pgprobe", "cp312-cp312-linux_x86_64", {"pgprobe/_probe.so": extension})
    build_wheel(
        house, "mistagged", "cp312-cp312-manylinux_2_17_x86_64", {"mistagged/_p.so": extension}
    )
    build_wheel(
        house,
        "bundled",
        "cp312-cp312-linux_x86_64",
        {"bundled/_probe.so": extension, "bundled.libs/libpq.so.5": libpq},
    )
    build_wheel(
        house,
        "muslprobe",
        "cp312-cp312-linux_x86_64",
        {"muslprobe/_p.so": compile_musl_like(build)},
    )
    return house


@pytest.fixture(scope="module")
def served(wheelhouse: Path) -> Iterator[str]:
    """The wheelhouse as a page of links: the standard library's folder listing."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(wheelhouse))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def run(tmp_path: Path, text: str, targets: list[Target], location: str) -> Report:
    req = tmp_path / "requirements.txt"
    req.write_text(text)
    settings = Settings(
        no_index=True, find_links=[location], cache_dir=tmp_path / "cache", costs=False
    )
    return analyze([str(req)], targets, settings)


def row(report: Report, index: int, name: str) -> PackageResult:
    [match] = [p for p in report.targets[index].packages if p.name == name]
    return match


def test_the_pinned_auditwheel_is_installed() -> None:
    assert importlib.metadata.version("auditwheel") == AUDITWHEEL_VERSION


def test_elf_facts_of_a_compiled_extension(wheelhouse: Path) -> None:
    with (wheelhouse / "pgprobe-1.0-cp312-cp312-linux_x86_64.whl").open("rb") as wheel:
        binaries = inspect_binaries(wheel)
    [extension] = binaries.objects
    assert extension.member == "pgprobe/_probe.so"
    assert {"libpq.so.5", "libc.so.6"} <= set(extension.needed)
    assert binaries.libc == "glibc"
    assert binaries.glibc is not None and binaries.glibc >= (2, 25)  # getrandom
    assert binaries.system_libraries() == ["libpq.so.5"]


def test_a_library_the_wheel_ships_is_not_asked_of_the_image(wheelhouse: Path) -> None:
    with (wheelhouse / "bundled-1.0-cp312-cp312-linux_x86_64.whl").open("rb") as wheel:
        binaries = inspect_binaries(wheel)
    assert len(binaries.objects) == 2  # the extension and the library it ships
    assert binaries.system_libraries() == []


@pytest.mark.parametrize("how", ["folder", "url"])
def test_linux_wheel_needs_libpq5_on_slim_and_fails_on_alpine(
    wheelhouse: Path, served: str, tmp_path: Path, how: str
) -> None:
    location = str(wheelhouse) if how == "folder" else served
    targets = [target_from_image(SLIM), target_from_image(ALPINE)]
    report = run(tmp_path, "pgprobe\n", targets, location)
    slim, alpine = row(report, 0, "pgprobe"), row(report, 1, "pgprobe")
    assert slim.status is Status.WHEEL and slim.tag == "cp312-cp312-linux_x86_64"
    assert not slim.blocker
    assert slim.system is not None and slim.system.runtime_packages == ["libpq5"]
    assert report.targets[0].complete
    # pip installs it on Alpine too (linux_x86_64 is among musl's tags); the import fails
    assert alpine.status is Status.WHEEL and alpine.blocker
    assert "built for glibc" in alpine.reason
    assert not report.targets[1].complete
    assert any("pgprobe" in p and "glibc" in p for p in report.targets[1].problems)


def test_a_bundled_library_needs_no_package(wheelhouse: Path, tmp_path: Path) -> None:
    report = run(tmp_path, "bundled\n", [target_from_image(SLIM)], str(wheelhouse))
    package = row(report, 0, "bundled")
    assert not package.blocker
    assert package.system is None or package.system.runtime_packages == []


def test_glibc_older_than_the_symbols_fails_at_import(wheelhouse: Path, tmp_path: Path) -> None:
    old = target_from_platform("manylinux_2_17_x86_64", "3.12")
    report = run(tmp_path, "pgprobe\n", [old], str(wheelhouse))
    package = row(report, 0, "pgprobe")
    assert package.blocker and "needs glibc 2." in package.reason
    assert "has 2.17" in package.reason


def test_a_mistagged_manylinux_wheel(wheelhouse: Path, tmp_path: Path) -> None:
    targets = [target_from_image(SLIM), target_from_platform("manylinux_2_17_x86_64", "3.12")]
    report = run(tmp_path, "mistagged\n", targets, str(wheelhouse))
    on_slim, on_old = row(report, 0, "mistagged"), row(report, 1, "mistagged")
    assert any("mis-tagged" in note for note in on_slim.notes)
    assert not on_slim.blocker  # bookworm's glibc 2.36 has the symbols
    assert on_old.status is Status.WHEEL and on_old.blocker  # the tag lets pip take it


def test_tag_glibc() -> None:
    assert tag_glibc("cp312-cp312-manylinux_2_28_x86_64") == (2, 28)
    assert tag_glibc("cp312-cp312-manylinux2014_x86_64") == (2, 17)
    assert tag_glibc("cp312-cp312-linux_x86_64") is None


def test_a_wheel_built_for_musl_loads_on_alpine_only(wheelhouse: Path, tmp_path: Path) -> None:
    targets = [target_from_image(SLIM), target_from_image(ALPINE)]
    report = run(tmp_path, "muslprobe\n", targets, str(wheelhouse))
    slim, alpine = row(report, 0, "muslprobe"), row(report, 1, "muslprobe")
    assert slim.blocker and "built for musl" in slim.reason
    assert not alpine.blocker
    # Alpine's name for the library package, through the Debian-to-Alpine map
    assert alpine.system is not None and alpine.system.runtime_packages == ["libpq"]


def test_a_broken_elf_file_is_skipped_not_fatal(tmp_path: Path) -> None:
    broken = b"\x7fELF" + bytes(range(256)) * 4
    path = build_wheel(tmp_path, "broken", "cp312-cp312-linux_x86_64", {"broken/_x.so": broken})
    with path.open("rb") as wheel:
        binaries = inspect_binaries(wheel)
    assert binaries.objects == () and binaries.skipped == ("broken/_x.so",)
