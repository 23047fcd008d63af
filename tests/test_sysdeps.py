"""System packages per image: knowledge base, image contents, inference, Dockerfile."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from indexserver import IndexServer
from test_analyze import pkg, run, sdist, wheel

from wheelfit.cli import main
from wheelfit.inspect.sdist import inspect_sdist
from wheelfit.models import PackageResult, Status, Target
from wheelfit.render.dockerfile import render_dockerfile
from wheelfit.sysdeps import infer, knowledge
from wheelfit.sysdeps.plan import plan_package
from wheelfit.targets.images import target_from_image

ROOT = Path(__file__).resolve().parents[1]
SETUP_NATIVE = (
    "from setuptools import setup, Extension\nsetup(ext_modules=[Extension('m', ['m.c'])])\n"
)


def _psycopg2_sdist() -> dict[str, object]:
    return sdist("psycopg2", "2.9.10", texts={"setup.py": SETUP_NATIVE})


def _native(name: str, languages: list[str] | None = None) -> PackageResult:
    return PackageResult(
        name=name,  # type: ignore[arg-type]
        version="1.0",
        status=Status.SDIST_NATIVE,
        languages=languages or ["C"],
    )


def _target(image: str) -> Target:
    return target_from_image(image, "3.12")


def test_known_project_gets_each_images_own_names_minus_what_it_has() -> None:
    slim = plan_package(_native("psycopg2"), _target("slim-bookworm"))
    full = plan_package(_native("psycopg2"), _target("bookworm"))
    alpine = plan_package(_native("psycopg2"), _target("alpine3.24"))
    assert slim and full and alpine
    assert slim.build_packages == ["gcc", "libc6-dev", "libpq-dev"]
    assert slim.runtime_packages == ["libpq5"]
    assert slim.confidence == "high"
    # the full image has gcc, libpq-dev and libpq5 already: nothing to install
    assert full.build_packages == [] and full.runtime_packages == []
    assert set(full.already_in_image) >= {"gcc", "libpq-dev", "libpq5"}
    assert alpine.build_packages == ["gcc", "musl-dev", "libpq-dev"]
    assert alpine.runtime_packages == ["libpq"]


def test_cpp_on_alpine_keeps_libstdcxx_at_runtime() -> None:
    needs = plan_package(_native("nosuchproject-xyz", ["C++"]), _target("alpine3.24"))
    assert needs is not None
    assert "g++" in needs.build_packages
    # `apk del` of the build packages takes libstdc++ with g++: the final stage needs it
    assert needs.runtime_packages == ["libstdc++", "libgcc"]
    assert needs.unknown and needs.confidence == "unknown"
    slim = plan_package(_native("nosuchproject-xyz", ["C++"]), _target("slim-bookworm"))
    assert slim is not None and slim.runtime_packages == []  # libstdc++6 is in slim


def test_library_loaded_at_run_time_is_needed_even_from_a_wheel() -> None:
    result = PackageResult(name="python-magic", version="0.4.27", status=Status.WHEEL)  # type: ignore[arg-type]
    slim = plan_package(result, _target("slim-trixie"))
    alpine = plan_package(result, _target("alpine3.24"))
    assert slim is not None and slim.runtime_packages == ["libmagic1t64"]
    assert slim.build_packages == []
    assert alpine is not None and alpine.runtime_packages == ["libmagic"]
    # an ordinary wheel needs nothing
    plain = PackageResult(name="requests", version="2", status=Status.WHEEL)  # type: ignore[arg-type]
    assert plan_package(plain, _target("slim-trixie")) is None


def test_raw_platform_targets_get_no_package_names() -> None:
    from wheelfit.targets.images import target_from_platform

    target = target_from_platform("manylinux_2_28_x86_64", "3.12")
    assert plan_package(_native("psycopg2"), target) is None


def test_rust_newer_than_the_packaged_one_asks_for_rustup() -> None:
    bookworm = plan_package(_native("orjson", ["C", "Rust"]), _target("slim-bookworm"))
    alpine = plan_package(_native("orjson", ["C", "Rust"]), _target("alpine3.24"))
    assert bookworm is not None and alpine is not None
    # rustc-web 1.96 is new enough; Alpine's rust 1.88 is not (orjson needs 1.95)
    assert "rustc-web" in bookworm.build_packages and not bookworm.rustup
    assert alpine.rustup and "rust" not in alpine.build_packages
    assert "curl" in alpine.build_packages
    assert any("rustup" in note for note in alpine.notes)


def _tar_sdist(files: dict[str, str], name: str = "demo-1.0") -> bytes:
    import io
    import tarfile

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for path, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"{name}/{path}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_sdist_scan_keeps_includes_that_the_sdist_does_not_ship() -> None:
    data = _tar_sdist(
        {
            "setup.py": SETUP_NATIVE,
            "src/m.c": '#include <Python.h>\n#include "local.h"\n#include <zlib.h>\n'
            "# include <libxml/parser.h>\n",
            "src/local.h": "#include <sub/inner.h>\n",
            "src/sub/inner.h": "",
            "src/w.pyx": 'cdef extern from "yaml.h":\n    pass\n',
            "tests/t.c": "#include <never.h>\n",
        }
    )
    info = inspect_sdist("demo-1.0.tar.gz", data)
    assert info.includes == ["Python.h", "libxml/parser.h", "yaml.h", "zlib.h"]


def test_inference_reads_probes_pkg_config_libraries_and_includes() -> None:
    data = _tar_sdist(
        {
            "setup.py": SETUP_NATIVE
            + "import subprocess\nsubprocess.check_output(['pg_config', '--includedir'])\n"
            "subprocess.check_output(['pkg-config', '--cflags', 'libxml-2.0'])\n"
            "Extension('n', ['n.c'], libraries=['yaml', 'm'])\n",
            "m.c": "#include <Python.h>\n#include <stdio.h>\n#include <zlib.h>\n"
            "#include <windows.h>\n",
        }
    )
    info = inspect_sdist("demo-1.0.tar.gz", data)
    evidence = infer.collect_evidence(info, "bookworm")
    assert evidence.packages == {
        "libpq-dev": "runs pg_config",
        "libxml2-dev": "pkg-config libxml-2.0",
        "libyaml-dev": "links -lyaml",
        "zlib1g-dev": "#include <zlib.h>",
    }
    assert evidence.pkg_config
    facts = infer.infer_facts("demo", info, "bookworm")
    assert facts is not None and facts.confidence == "low"
    bookworm = facts.families["bookworm"]
    assert "pkg-config" in bookworm.build
    assert {"libpq5", "libxml2", "libyaml-0-2", "zlib1g"} <= set(bookworm.runtime)
    alpine = infer.infer_facts("demo", info, "alpine")
    assert alpine is not None
    assert set(alpine.families["alpine"].build) == {
        "libpq-dev",
        "libxml2-dev",
        "yaml-dev",
        "zlib-dev",
        "pkgconf",
    }


def test_unknown_project_is_inferred_end_to_end(fresh_server: IndexServer, tmp_path: Path) -> None:
    fresh_server.add_project(
        "pgthing",
        [
            sdist(
                "pgthing",
                "1.0",
                texts={
                    "setup.py": SETUP_NATIVE + "import os\nos.popen('pg_config --libdir')\n",
                    "pgthing.c": "#include <libpq-fe.h>\n",
                },
            )
        ],
    )
    report = run(fresh_server, tmp_path, "pgthing\n", ["slim-bookworm", "alpine3.24"])
    slim, alpine = (pkg(t, "pgthing") for t in report.targets)
    assert slim.status is Status.SDIST_NATIVE
    assert slim.system is not None and alpine.system is not None
    assert slim.system.build_packages == ["gcc", "libc6-dev", "libpq-dev"]
    assert slim.system.runtime_packages == ["libpq5"]
    assert slim.system.confidence == "low"
    assert "runs pg_config" in slim.system.source
    assert alpine.system.build_packages == ["gcc", "musl-dev", "libpq-dev"]
    assert alpine.system.runtime_packages == ["libpq"]


def test_native_sdist_with_nothing_to_go_on_is_unknown_not_silent(
    fresh_server: IndexServer, tmp_path: Path
) -> None:
    fresh_server.add_project(
        "zzopaquething", [sdist("zzopaquething", "1.0", texts={"setup.py": SETUP_NATIVE})]
    )
    report = run(fresh_server, tmp_path, "zzopaquething\n", ["slim-bookworm"])
    needs = pkg(report.targets[0], "zzopaquething").system
    assert needs is not None
    # no sources to read: the compiler is certain, the libraries are not known
    assert needs.unknown and needs.build_packages == ["gcc", "libc6-dev"]


def test_json_has_the_fields_per_package_and_per_target(
    fresh_server: IndexServer, tmp_path: Path
) -> None:
    fresh_server.add_project(
        "psycopg2", [sdist("psycopg2", "2.9.10", texts={"setup.py": SETUP_NATIVE})]
    )
    req = tmp_path / "r.txt"
    req.write_text("psycopg2\n")
    out = tmp_path / "o.json"
    code = main(
        [
            str(req),
            "--image",
            "slim-bookworm",
            "--python",
            "3.12",
            "--format",
            "json",
            "-o",
            str(out),
            "-i",
            f"{fresh_server.url}/simple/",
        ]
    )
    assert code == 0
    target = json.loads(out.read_text())["targets"][0]
    row = next(p for p in target["packages"] if p["name"] == "psycopg2")
    assert row["toolchains"] == ["c"]
    assert row["build_packages"] == ["gcc", "libc6-dev", "libpq-dev"]
    assert row["runtime_packages"] == ["libpq5"]
    assert row["confidence"] == "high" and "real build" in row["sysdeps_source"]
    assert target["system_packages"]["build"] == ["gcc", "libc6-dev", "libpq-dev"]
    assert target["system_packages"]["runtime"] == ["libpq5"]


def _report_for(server: IndexServer, tmp_path: Path, text: str, image: str):  # type: ignore[no-untyped-def]
    return run(server, tmp_path, text, [image], python="3.12").targets[0]


def _fresh_dir(path: Path) -> Path:
    path.mkdir()
    return path


def test_dockerfile_is_multi_stage_only_when_something_compiles(
    fresh_server: IndexServer, tmp_path: Path
) -> None:
    fresh_server.add_project(
        "psycopg2", [sdist("psycopg2", "2.9.10", texts={"setup.py": SETUP_NATIVE})]
    )
    fresh_server.add_project("python-magic", [wheel("python_magic", "0.4.27")])
    native = render_dockerfile(
        _report_for(fresh_server, tmp_path, "psycopg2\npython-magic\n", "slim-bookworm"),
        ["requirements.txt"],
    )
    stages = [line for line in native.splitlines() if line.startswith("FROM ")]
    assert stages == ["FROM python:3.12-slim-bookworm AS build", "FROM python:3.12-slim-bookworm"]
    build, final = native.split("\nFROM python:3.12-slim-bookworm\n")
    assert "apt-get install -y --no-install-recommends" in build
    assert all(f"\t\t{p} \\" in build for p in ("gcc", "libc6-dev", "libpq-dev"))
    assert "pip wheel --no-cache-dir --wheel-dir /wheels -r requirements.txt" in build
    assert "\t\tlibpq5 \\" in final and "\t\tlibmagic1 \\" in final
    assert "gcc" not in final and "-dev" not in final
    assert "rm -rf /var/lib/apt/lists/*" in final
    plain = render_dockerfile(
        _report_for(fresh_server, _fresh_dir(tmp_path / "b"), "python-magic\n", "alpine3.24"),
        ["requirements.txt"],
    )
    assert [line for line in plain.splitlines() if line.startswith("FROM ")] == [
        "FROM python:3.12-alpine3.24"
    ]
    assert "apk add --no-cache \\\n\t\tlibmagic \\" in plain


def test_dockerfile_command_needs_exactly_one_image(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    req = tmp_path / "r.txt"
    req.write_text("x\n")
    assert main(["dockerfile", str(req), "--image", "slim", "--image", "alpine"]) == 2
    assert "exactly one --image" in capsys.readouterr().err


def test_knowledge_base_alpine_names_exist_in_aports() -> None:
    names = infer._alpine_names()
    missing = []
    for project in ("psycopg2", "lxml", "pillow", "mysqlclient", "cffi", "pyyaml"):
        facts = knowledge.project_facts(project)
        assert facts is not None
        alpine = facts.families["alpine"]
        missing += [n for n in alpine.build + alpine.runtime if n not in names]
    assert missing == []


def test_vendored_libraries_of_a_manylinux_wheel_name_the_dev_packages() -> None:
    members = [
        "psycopg2/_psycopg.cpython-312-x86_64-linux-gnu.so",
        "psycopg2_binary.libs/libpq-9b38f5e3.so.5.17",
        "psycopg2_binary.libs/libssl-81ffa89e.so.3",
        "psycopg2_binary.libs/libcrypto-43e21b1e.so.3",
        "psycopg2_binary.libs/libldap-2-5-0b0b5e3f.so.0.2.20",
        "psycopg2_binary.libs/libgssapi_krb5-497db0c6.so.2.2",
        "psycopg2_binary.libs/libselinux-0922c95c.so.1",
        "psycopg2_binary.libs/libz-a1b2c3d4.so.1.2.13",
    ]
    vendored = infer.vendored_libraries(members)
    assert "libpq.so.5.17" in vendored and "libz.so.1.2.13" not in vendored
    evidence = infer.Evidence()
    infer.add_vendored_evidence(evidence, vendored, "bookworm")
    # libssl, libldap, gssapi come with libpq5 (its Depends); libselinux is in every image
    assert evidence.packages == {"libpq-dev": "its manylinux wheel vendors libpq.so.5.17"}


def test_headers_of_libc_and_other_systems_name_nothing() -> None:
    files = infer._files("bookworm")
    assert files.header_package("sys/time.h") is None
    assert files.header_package("arpa/inet.h") is None
    assert files.header_package("winsock2.h") is None
    assert files.header_package("libpq-fe.h") == "libpq-dev"  # postgresql/libpq-fe.h
    assert files.header_package("libxml/parser.h") == "libxml2-dev"


def test_every_shipped_name_exists_in_its_distribution() -> None:
    """Alpine names against the aports index; Debian names against the packages tables."""
    import csv
    import gzip

    kb = json.loads((ROOT / "data" / "sysdeps" / "kb.json").read_text())["projects"]
    apks = infer._alpine_names()
    bad = [
        (project, name)
        for project, entry in kb.items()
        for name in entry.get("alpine", {}).get("build", [])
        + entry.get("alpine", {}).get("runtime", [])
        if name not in apks
    ]
    assert bad == []
    for suite in ("bookworm", "trixie"):
        table = ROOT / "data" / "debian" / f"{suite}_amd64_packages.tsv.gz"
        known: set[str] = set()
        with gzip.open(table, "rt") as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                known.add(row["package"])
                known.update(p.split()[0] for p in row["provides"].split(", ") if p)
        missing = [
            (project, name)
            for project, entry in kb.items()
            for name in entry.get(suite, {}).get("build", [])
            + entry.get(suite, {}).get("runtime", [])
            if name not in known
        ]
        assert missing == [], suite


def test_wrapper_needs_no_library_when_its_binary_build_is_installed(
    fresh_server: IndexServer, tmp_path: Path
) -> None:
    fresh_server.add_project(
        "psycopg", [wheel("psycopg", "3.2.3", ['psycopg-binary==3.2.3; extra == "binary"'])]
    )
    fresh_server.add_project(
        "psycopg-binary",
        [wheel("psycopg_binary", "3.2.3", plat="cp312-cp312-manylinux_2_17_x86_64")],
    )
    plain = pkg(run(fresh_server, tmp_path, "psycopg\n", ["slim-bookworm"]).targets[0], "psycopg")
    assert plain.system is not None and plain.system.runtime_packages == ["libpq5"]
    other = _fresh_dir(tmp_path / "b")
    report = run(fresh_server, other, "psycopg[binary]\n", ["slim-bookworm"], python="3.12")
    binary = pkg(report.targets[0], "psycopg")
    assert binary.system is None
    assert "psycopg-binary brings its own" in " ".join(binary.notes)


def test_meson_and_cmake_count_only_required_dependencies() -> None:
    data = _tar_sdist(
        {
            "pyproject.toml": '[build-system]\nbuild-backend = "mesonpy"\n',
            "meson.build": "dep = dependency('libxml-2.0')\n"
            "opt = dependency('yaml-0.1', required: false)\n",
            "CMakeLists.txt": "find_package(ZLIB REQUIRED)\nfind_package(PNG)\n"
            "find_package(Python REQUIRED COMPONENTS Interpreter)\n",
            "src/m.c": "",
        }
    )
    evidence = infer.collect_evidence(inspect_sdist("demo-1.0.tar.gz", data), "bookworm")
    assert evidence.packages == {
        "libxml2-dev": "pkg-config libxml-2.0",
        "zlib1g-dev": "find_package(ZLIB REQUIRED)",
    }


def test_rust_version_from_cargo_toml() -> None:
    assert (
        infer.cargo_rust_version('[package]\nrust-version = "1.95"\nedition = "2024"\n') == "1.95"
    )
    assert infer.cargo_rust_version('[package]\nedition = "2024"\n') == "1.85"
    assert infer.cargo_rust_version("[package]\nname = 'x'\n") is None


def test_sources_of_tests_and_vendored_build_tools_are_not_languages() -> None:
    data = _tar_sdist(
        {
            "pyproject.toml": '[build-system]\nbuild-backend = "mesonpy"\n',
            "numpy/core/src/a.c": "",
            "numpy/core/src/b.cpp": "",
            "vendored-meson/meson/test cases/fortran/1 basic/simple.f90": "",
            "numpy/f2py/tests/src/x.f": "",
        }
    )
    assert inspect_sdist("numpy-9.tar.gz", data).native()[1] == ["C", "C++"]


def test_languages_declared_by_cmake_and_meson_count() -> None:
    cmake = _tar_sdist(
        {
            "pyproject.toml": '[build-system]\nbuild-backend = "scikit_build_core.build"\n',
            "CMakeLists.txt": "project(${SKBUILD_PROJECT_NAME} LANGUAGES C CXX)\n",
            "zmq/backend/cython/_zmq.c": "",
        }
    )
    assert inspect_sdist("pyzmq-27.tar.gz", cmake).native()[1] == ["C", "C++"]
    meson = _tar_sdist(
        {
            "pyproject.toml": '[build-system]\nbuild-backend = "mesonpy"\n',
            "meson.build": "project('scipy', 'c', 'cpp', 'cython')\nadd_languages('fortran')\n",
        }
    )
    assert inspect_sdist("scipy-2.tar.gz", meson).native()[1] == ["C", "C++", "Cython", "Fortran"]


def test_bundled_libraries_and_build_programs() -> None:
    data = _tar_sdist(
        {
            "setup.py": SETUP_NATIVE
            + "import subprocess\nsubprocess.check_call(['make', '-C', 'x'])\n",
            "zstd/lib/zstd.h": "",
            "zstd/lib/zdict.h": "",
            "gmpy2/gmp.h": "",
            "c-ext/m.c": "#include <zstd.h>\n",
        }
    )
    info = inspect_sdist("zstandard-9.tar.gz", data)
    assert info.build_programs() == ["make"]
    # two of libzstd-dev's headers: bundled; a lone copy of gmp.h (gmpy2) is not
    assert infer.bundled_packages(info, "bookworm") == {"libzstd-dev"}
    result = _native("zstandard")
    needs = plan_package(result, _target("slim-bookworm"), info)
    assert needs is not None
    assert "libzstd-dev" not in needs.build_packages and "make" in needs.build_packages
    cmake = _tar_sdist({"setup.py": SETUP_NATIVE + "os.system('cmake -S . -B build')\n"})
    assert inspect_sdist("x-1.tar.gz", cmake).build_programs() == ["cmake", "make"]


def test_computed_optional_extension_is_recognised() -> None:
    data = _tar_sdist(
        {
            "setup.py": "import setuptools\nsetuptools.setup(ext_modules=[setuptools.Extension("
            "'w', sources=['w.c'], optional=not force)])\n",
            "w.c": "",
        }
    )
    assert inspect_sdist("wrapt-9.tar.gz", data).native() == (True, ["C"], True)


def test_a_cpp_header_alone_is_not_cpp() -> None:
    data = _tar_sdist({"setup.py": SETUP_NATIVE, "src/m.c": "", "third-party/lua/lua.hpp": ""})
    assert inspect_sdist("lupa-9.tar.gz", data).native()[1] == ["C"]


def test_make_in_a_comment_is_not_run_and_curated_toolchains_win() -> None:
    data = _tar_sdist({"setup.py": SETUP_NATIVE + "# see `make install-pydeps-test`\n"})
    assert inspect_sdist("psutil-9.tar.gz", data).build_programs() == []
    uwsgi = plan_package(_native("uwsgi", ["C", "C++"]), _target("slim-bookworm"))
    assert uwsgi is not None and uwsgi.build_packages == ["gcc", "libc6-dev"]


@pytest.mark.parametrize("suite", ["bookworm", "trixie"])
def test_shipped_header_rows_are_one_block_sorted_by_path(suite: str) -> None:
    """HeaderIndex searches the header rows block by block as the file ships them: a binary
    search on unsorted rows, or a list of blocks that does not match the table, would miss
    headers without an error. Every row is looked up (each block inflates on its own)."""
    import gzip

    from wheelfit import kb

    text = gzip.decompress(kb.read_bytes(f"sysdeps/{suite}-files.tsv.gz")).decode("utf-8")
    kinds = [line.split("\t", 1)[0] for line in text.splitlines()[1:]]
    first, last = kinds.index("h"), len(kinds) - kinds[::-1].index("h")
    assert set(kinds[first:last]) == {"h"} and "h" not in kinds[:first] + kinds[last:]
    rows = [line.split("\t")[1:3] for line in text.splitlines()[1:][first:last]]
    paths = [path for path, _ in rows]
    assert paths == sorted(paths) and len(set(paths)) == len(paths)
    index = infer._files(suite).headers
    assert len(index) == len(paths)
    assert all(index.get(path) == package for path, package in rows)
    for path, package in rows[:: len(rows) // 2000] + rows[-1:]:
        assert index.get(path + "~") is None and index.get(path[:-1]) in (None, package)
    by_name: dict[str, set[tuple[str, str]]] = {}
    for path, package in rows:
        by_name.setdefault(path.rsplit("/", 1)[-1], set()).add((path, package))
    for name in [*sorted(by_name)[:: len(by_name) // 500], "config.h", "types.h"]:
        assert set(index.named(name)) == by_name[name]
    assert list(index.named("no-such-header.h")) == []


def test_headers_under_folders_debian_lacks_are_not_looked_up_and_answers_stay() -> None:
    """_bundled skips a path whose folder no Debian header path starts with: the same
    packages as looking up every trailing part of every path."""
    index = infer._files("bookworm").headers

    def longest_known(header: str) -> tuple[str, str] | None:
        """(package, path) of the header's longest trailing part Debian ships, looked up
        part by part with no folder check."""
        parts = header.split("/")
        trailing = ("/".join(parts[start:]) for start in range(len(parts)))
        found = ((index.get(path), path) for path in trailing)
        return next(((p, path) for p, path in found if p and p != "-"), None)

    def every_part(headers: list[str]) -> frozenset[str]:
        known = [hit for hit in map(longest_known, headers) if hit]
        packages = {p for p, _ in known}
        return frozenset(p for p in packages if len({path for q, path in known if q == p}) >= 2)

    assert index.has_folder("zstd/") is False and index.has_folder("openssl/") is True
    assert index.has_folder("opensslx/") is False
    vendored = [
        "third_party/zstd/lib/zstd.h",
        "third_party/zstd/lib/zdict.h",
        "third_party/boringssl/include/openssl/ssl.h",
        "third_party/boringssl/include/openssl/evp.h",
        "src/core/lib/iomgr/port.h",
        "include/grpc/grpc.h",
        "include/grpc/status.h",
        "absl/base/config.h",
        "vendor/absl/strings/str_cat.h",
        "zlib.h",
        "a/b/c/zconf.h",
    ]
    expected = every_part(vendored)
    assert {"libzstd-dev", "libssl-dev"} <= expected
    assert infer._bundled(vendored, "bookworm") == expected


def test_file_index_makes_each_kind_s_table_from_its_rows() -> None:
    from wheelfit.sysdeps.file_index import FileIndex, pack_table

    text = (
        "kind\tname\tpackage\n"
        "dev\tlibz.so\tzlib1g-dev\n"
        "h\tzlib.h\tzlib1g-dev\n"
        "h\tzstd.h\tlibzstd-dev\n"
        "ld\tlibssl3\tlibc6\n"
        "pc\tzlib\tzlib1g-dev\n"
        "pc\tzlib\tother-dev\n"
        "rt\tlibssl-dev\tlibssl3\n"
        "rt\tlibssl-dev\tlibcrypto3\n"
        "so\tlibz.so.1\tzlib1g\n"
        "rt\tlibpq-dev\tlibpq5\n"  # out of order: still its kind's, the so row between not
        "py\tlibffi-dev\tlibffi-dev\n"
    )
    rows = [line.split("\t") for line in text.splitlines()[1:]]
    index = FileIndex(*pack_table((kind, name, package) for kind, name, package in rows))
    assert index.headers.get("zstd.h") == "libzstd-dev" and len(index.headers) == 2
    assert index.pkgconfig == {"zlib": "zlib1g-dev"}  # the first row of a name wins
    assert index.runtime == {"libssl-dev": ["libssl3", "libcrypto3"], "libpq-dev": ["libpq5"]}
    assert index.sonames == {"libz.so.1": "zlib1g"} and index.dev_libs == {"libz.so": "zlib1g-dev"}
    assert index.library_deps == {"libssl3": ["libc6"]}
    assert index.python_build_libraries == {"libffi-dev"}
    assert index.library_package("libz.so.1.2.13") == "zlib1g"


def test_each_project_of_the_knowledge_base_reads_as_its_json_says() -> None:
    """Entries are decoded when first asked: each one the same as the whole file read."""
    from wheelfit.sysdeps import knowledge

    whole = json.loads((ROOT / "data" / "sysdeps" / "kb.json").read_text())
    assert all(knowledge._project(name) == entry for name, entry in whole["projects"].items())
    assert knowledge._project("no-such-project") is None
    assert knowledge.knowledge_date() == str(whole["generated"])


def test_a_knowledge_base_without_projects_is_a_located_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from wheelfit.errors import KnowledgeBaseError
    from wheelfit.sysdeps import knowledge

    (tmp_path / "sysdeps").mkdir()
    (tmp_path / "sysdeps" / "kb.json").write_text('{"generated": "2026-12-04"}')
    monkeypatch.setenv("WHEELFIT_DATA_DIR", str(tmp_path))
    knowledge._document.cache_clear()
    try:
        with pytest.raises(KnowledgeBaseError, match=r"kb\.json: expected an object"):
            knowledge._document()
    finally:
        knowledge._document.cache_clear()
