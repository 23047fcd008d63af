"""System library versions: what an sdist's own files require, what each image has, the verdict.

The sdists are the recorded ones (tests/data/index: confluent-kafka, pygit2, pyproj, psycopg2
with the C files that hold their version guards) or generated here.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import time
from pathlib import Path

import jsonschema
import pytest
from indexserver import IndexServer
from test_analyze import pkg, run, sdist

from wheelfit.cli import main
from wheelfit.inspect.guards import find_version_guards
from wheelfit.inspect.sdist import SdistInfo
from wheelfit.models import PackageResult, Status
from wheelfit.render.dockerfile import render_dockerfile
from wheelfit.render.markdown import render_markdown
from wheelfit.sysdeps import versions
from wheelfit.sysdeps.cexpr import CExpressionError, evaluate
from wheelfit.sysdeps.plan import plan_package
from wheelfit.targets.images import target_from_image

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((ROOT / "docs" / "schema.json").read_text())
BOOKWORM, TRIXIE, ALPINE = (
    "python:3.12-slim-bookworm",
    "python:3.12-slim-trixie",
    "python:3.12-alpine",
)


# ---------------------------------------------------------------- reading the sdist


def test_c_expressions_follow_c_precedence_and_refuse_unknown_names() -> None:
    values = {"V": 0x020002FF}
    defines = {"MIN": "0x021000ff", "TWICE": "(MIN)"}
    assert evaluate("V < MIN", values, defines, {}) == 1
    assert evaluate("V >= TWICE || 0", values, defines, {}) == 0
    assert evaluate("1 + 2 * 3 == 7 && !(4 >> 1 != 2)", {}, {}, {}) == 1
    assert evaluate("!defined(V) || V < 5", values, {}, {}) == 0
    assert evaluate("MAKE(2, 16, 0) > 0x02000000", {}, {}, {"MAKE": lambda a, b, c: a << 24}) == 0
    with pytest.raises(CExpressionError):
        evaluate("V < SOMETHING_ELSE", values, {}, {})
    with pytest.raises(CExpressionError):
        evaluate("V <", values, {}, {})


def test_guards_are_conditions_whose_branch_ends_in_error() -> None:
    text = "\n".join(
        [
            "#define MIN_FOO_VERSION 0x01020000",  # 1
            "#if FOO_VERSION < MIN_FOO_VERSION",  # 2
            "#ifdef __APPLE__",  # 3
            '#error "brew upgrade foo"',  # 4
            "#else",  # 5
            '#  error "needs foo 1.2"',  # 6
            "#endif",  # 7
            "#endif",  # 8
            "#if FOO_VERSION < 0x01000000",  # 9: a run-time fallback, no #error
            "int f(void) { return 0; }",
            "#endif",
            "#if FOO_VER_MAJOR >= 2",  # 12
            "#define HAVE_NEW 1",
            "#else",  # 14: the #else of a version test that errors
            "#error old foo",
            "#endif",
        ]
    )
    guards = find_version_guards("src/foo.h", text)
    assert [(g.line, g.condition) for g in guards] == [
        (2, "FOO_VERSION < MIN_FOO_VERSION"),
        (14, "!(FOO_VER_MAJOR >= 2)"),
    ]
    assert guards[0].defines == {"MIN_FOO_VERSION": "0x01020000"}
    assert guards[0].message == "brew upgrade foo"


def _info(filename: str = "x-1.0.tar.gz", **fields: object) -> SdistInfo:
    return SdistInfo(filename=filename, **fields)  # type: ignore[arg-type]


def test_a_guard_on_a_known_macro_becomes_a_located_version_need() -> None:
    guard = {
        "path": "src/k.h",
        "line": 161,
        "condition": "RD_KAFKA_VERSION < MIN_RD_KAFKA_VERSION",
        "message": "",
        "defines": {"MIN_RD_KAFKA_VERSION": "0x021000ff"},
    }
    band = {"path": "src/types.h", "line": 36, "message": "", "defines": {}}
    band["condition"] = "!(LIBGIT2_VER_MAJOR == 1 && LIBGIT2_VER_MINOR == 9)"
    unknown = {**band, "condition": "SOME_OTHER_VERSION < 3"}
    needs = versions.sdist_needs(_info(version_guards=[guard, band, unknown]))
    assert [(n.pkgconfig, n.text, n.evidence) for n in needs] == [
        ("rdkafka", ">=2.16.0", "src/k.h:161"),
        ("libgit2", ">=1.9.0,<1.10.0", "src/types.h:36"),
    ]
    assert needs[0].accepts((2, 16, 0)) and not needs[0].accepts((2, 11, 0))
    assert needs[1].accepts((1, 9, 1)) and not needs[1].accepts((1, 10, 0))


def test_a_guard_answered_by_a_bundled_copy_of_the_library_is_not_the_images() -> None:
    guard = {"path": "k.h", "line": 1, "message": "", "defines": {}}
    guard["condition"] = "RD_KAFKA_VERSION < 0x7f000000"
    bundled = _info(version_guards=[guard], headers=["vendor/librdkafka/rdkafka.h"])
    assert versions.sdist_needs(bundled) == []
    assert len(versions.sdist_needs(_info(version_guards=[guard]))) == 1


def test_build_files_state_minimums_with_their_line() -> None:
    texts = {
        "setup.py": "import x\nPROJ_MIN_VERSION = (9, 4, 0)\n"
        "subprocess.check_call(['pkg-config', '--atleast-version=1.6', 'libgit2'])\n",
        "meson.build": "project('p', 'c')\n\ndep = dependency('cairo', version: '>=1.15.10')\n"
        "opt = dependency('gtk4', version: '>=4', required: false)\n",
        "CMakeLists.txt": "pkg_check_modules(HEIF REQUIRED libheif>=1.17)\n"
        "find_package(GDAL 3.1 REQUIRED)\nfind_package(GEOS 3.9)\n",
    }
    found = {(n.pkgconfig, n.text, n.evidence) for n in versions.sdist_needs(_info(texts=texts))}
    assert found == {
        ("proj", ">=9.4.0", "setup.py:2"),
        ("libgit2", ">=1.6", "setup.py:3"),
        ("cairo", ">=1.15.10", "meson.build:3"),
        ("libheif", ">=1.17", "CMakeLists.txt:1"),
        ("gdal", ">=3.1", "CMakeLists.txt:2"),
    }


# ---------------------------------------------------------------- what each image has


def test_each_release_has_its_own_library_versions() -> None:
    assert versions.image_library("rdkafka", "bookworm") == ("librdkafka-dev", "2.0.2")
    assert versions.image_library("rdkafka", "trixie") == ("librdkafka-dev", "2.8.0")
    assert versions.image_library("rdkafka", "alpine") == ("librdkafka-dev", "2.11.0")
    assert versions.image_library("proj", "alpine") == ("proj-dev", "9.6.2")
    assert versions.image_library("no-such-library", "bookworm") is None
    assert versions.alpine_snapshot() == "2025-07-16"


def test_upstream_versions_drop_epoch_revision_and_repack_suffix() -> None:
    path = ROOT / "scripts" / "build_library_versions.py"
    spec = importlib.util.spec_from_file_location("build_library_versions", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    assert module.upstream_version("2.0.2-1") == "2.0.2"
    assert module.upstream_version("1.5.1+ds-1+deb12u2") == "1.5.1"
    assert module.upstream_version("1:2.5.13+dfsg-5") == "2.5.13"
    assert module.upstream_version("1.23.6-2~deb13u1") == "1.23.6"


# ---------------------------------------------------------------- the verdict, end to end


def test_confluent_kafka_needs_a_newer_librdkafka_than_any_image_has(
    index_url: str, tmp_path: Path
) -> None:
    """The issue's case: every image's librdkafka is older than 2.16.1's guard accepts."""
    req = tmp_path / "requirements.txt"
    req.write_text("confluent-kafka==2.16.1\npsycopg2==2.9.10\n")
    out = tmp_path / "report.json"
    images = ["--image", BOOKWORM, "--image", TRIXIE, "--image", ALPINE]
    argv = [str(req), "-i", index_url, "--no-binary", "confluent-kafka", *images]
    main([*argv, "--python", "3.12", "--format", "json", "-o", str(out)])
    document = json.loads(out.read_text())
    jsonschema.validate(document, SCHEMA)
    # the newest recorded release whose own guard accepts the image's librdkafka
    expected = {"bookworm": ("2.0.2", "2.0.2"), "trixie": ("2.8.0", "2.9.0")}
    expected["alpine3.24"] = ("2.11.0", "2.11.0")
    for target in document["targets"]:
        release = target["image"].rsplit("-", 1)[-1]
        have, fix = expected[release]
        packages = {p["name"]: p for p in target["packages"]}
        kafka = packages["confluent-kafka"]
        assert kafka["system_version_problems"] == [
            {
                "package": "librdkafka-dev",
                "library": "rdkafka",
                "have": have,
                "need": ">=2.16.0",
                "evidence": "src/confluent_kafka/src/confluent_kafka.h:161",
                "fix": f"confluent-kafka=={fix} is the newest release whose sdist accepts "
                f"librdkafka-dev {have}; or build librdkafka >=2.16.0 from source",
            }
        ]
        assert kafka["blocker"] and kafka["confidence"] != "high"
        assert f"librdkafka-dev {have} here, it needs >=2.16.0" in " ".join(
            target["resolution"]["problems"]
        )
        # psycopg2 has a guard too (libpq >= 9.1): every image's libpq passes it
        assert packages["psycopg2"]["system_version_problems"] == []
        assert not packages["psycopg2"]["blocker"]
    slim = document["targets"][0]["packages"]
    assert next(p for p in slim if p["name"] == "psycopg2")["confidence"] == "high"


def test_pygit2_points_to_an_older_release_and_to_the_images_that_fit(
    index_server: IndexServer, tmp_path: Path
) -> None:
    report = run(
        index_server, tmp_path, "pygit2==1.21.0\n", [BOOKWORM, TRIXIE, ALPINE], python="3.12"
    )
    bookworm, trixie, alpine = (pkg(t, "pygit2") for t in report.targets)
    assert bookworm.system and trixie.system and alpine.system
    [problem] = bookworm.system.version_problems
    assert (problem.have, problem.need) == ("1.5.1", ">=1.9.0,<1.10.0")
    assert problem.evidence == "src/types.h:36"
    assert problem.fix == (
        "pygit2==1.11.1 is the newest release whose sdist accepts libgit2-dev 1.5.1; "
        "an image whose library fits: Debian trixie has libgit2-dev 1.9.0, Alpine has "
        "libgit2-dev 1.9.1; or build libgit2 >=1.9.0,<1.10.0 from source"
    )
    assert bookworm.blocker
    assert trixie.system.version_problems == [] and not trixie.blocker
    assert alpine.system.version_problems == []


def test_pyproj_minimum_in_setup_py(index_server: IndexServer, tmp_path: Path) -> None:
    report = run(index_server, tmp_path, "pyproj==3.8.0\n", [BOOKWORM, TRIXIE], python="3.12")
    bookworm, trixie = (pkg(t, "pyproj") for t in report.targets)
    assert bookworm.system and trixie.system
    [problem] = bookworm.system.version_problems
    assert (problem.package, problem.have, problem.need) == ("libproj-dev", "9.1.1", ">=9.4.0")
    assert problem.evidence == "setup.py:11"
    assert problem.fix.startswith("pyproj==3.6.1 is the newest release whose sdist accepts")
    assert trixie.system.version_problems == []


def test_every_output_says_it_in_one_line(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = run(index_server, tmp_path, "pygit2==1.21.0\n", [BOOKWORM], python="3.12")
    problem = "libgit2-dev 1.5.1 here, the sdist needs >=1.9.0,<1.10.0 (src/types.h:36)"
    markdown = render_markdown(report)
    escaped = problem.replace("<", "&lt;")  # Markdown escapes "<" in cells and lines
    assert sum(escaped in line for line in markdown.splitlines()) == 1
    verdict = "❌ fails to build: pygit2 needs libgit2 >=1.9.0,&lt;1.10.0, the image has 1.5.1"
    assert verdict in markdown
    dockerfile = render_dockerfile(report.targets[0], [str(tmp_path / "requirements.txt")])
    [line] = [line for line in dockerfile.splitlines() if problem in line]
    assert line.startswith(f"#   the build fails here: {problem}; fix: pygit2==1.11.1 is")
    req = tmp_path / "requirements.txt"
    argv = [str(req), "-i", f"{index_server.url}/simple/", "--image", BOOKWORM]
    code = main([*argv, "--python", "3.12", "--fail-on", "sysdeps"])
    captured = capsys.readouterr()
    assert code == 1
    assert sum(problem in line for line in captured.err.splitlines()) == 1
    table = [line for line in captured.out.splitlines() if "fails to build" in line]
    assert len(table) >= 1 and "pygit2 1.21.0 fails to build" in table[0]


def test_a_generated_sdist_with_an_old_enough_guard_has_no_problem(
    fresh_server: IndexServer, tmp_path: Path
) -> None:
    header = "#if RD_KAFKA_VERSION < 0x010000ff\n#error too old\n#endif\n"
    setup = (
        "from setuptools import setup, Extension\nsetup(ext_modules=[Extension('m', ['m.c'])])\n"
    )
    texts = {"setup.py": setup, "src/k.h": header}
    fresh_server.add_project(
        "kafkaish", [sdist("kafkaish", "1.0", texts=texts, members=["kafkaish-1.0/m.c"])]
    )
    report = run(fresh_server, tmp_path, "kafkaish==1.0\n", [BOOKWORM], python="3.12")
    result = pkg(report.targets[0], "kafkaish")
    assert result.system is not None and result.system.version_problems == []


def test_an_old_pin_refuses_a_newer_library_and_the_fix_is_a_newer_release(
    index_server: IndexServer, tmp_path: Path
) -> None:
    report = run(index_server, tmp_path, "pygit2==1.11.1\n", [TRIXIE, BOOKWORM], python="3.12")
    trixie, bookworm = (pkg(t, "pygit2") for t in report.targets)
    assert trixie.system and bookworm.system
    [problem] = trixie.system.version_problems
    assert (problem.have, problem.need) == ("1.9.0", ">=1.5.0,<1.6.0")
    assert problem.fix == (
        "pygit2==1.21.0 is the newest release whose sdist accepts libgit2-dev 1.9.0; "
        "an image whose library fits: Debian bookworm has libgit2-dev 1.5.1; "
        "or build libgit2 >=1.5.0,<1.6.0 from source"
    )
    assert bookworm.system.version_problems == []


def test_scipy_builds_with_openblas_and_its_vendored_libraries() -> None:
    """SciPy's own build documentation, not Debian's Build-Depends (which link system copies of
    L-BFGS-B and SuiteSparse that a pip build does not use)."""
    result = PackageResult(name="scipy", version="1.18.1", status=Status.SDIST_NATIVE)  # type: ignore[arg-type]
    for image, build, runtime in [
        ("slim-bookworm", {"libopenblas-dev", "liblapack-dev", "pkg-config"}, {"libopenblas0"}),
        ("slim-trixie", {"libopenblas-dev", "liblapack-dev", "pkgconf"}, {"libopenblas0"}),
        ("alpine3.24", {"openblas-dev", "pkgconf"}, {"openblas"}),
    ]:
        needs = plan_package(result, target_from_image(image, "3.12"))
        assert needs is not None
        assert build <= set(needs.build_packages) and runtime <= set(needs.runtime_packages)
        assert not {"liblbfgsb-dev", "libsuitesparse-dev", "libblas-dev"} & set(
            needs.build_packages
        )
        assert "gfortran" in needs.build_packages


def test_a_documented_need_applies_to_each_release_without_downloading_it(
    fresh_server: IndexServer, tmp_path: Path
) -> None:
    """GDAL's bindings need libgdal >= their own version (its README; no check in 3.6's code)."""
    setup = (
        "from setuptools import setup, Extension\nsetup(ext_modules=[Extension('m', ['m.c'])])\n"
    )
    fresh_server.add_project(
        "gdal",
        [
            sdist("gdal", v, texts={"setup.py": setup}, members=[f"gdal-{v}/m.c"])
            for v in ("3.13.3", "3.10.3", "3.6.4", "3.6.2", "3.6.1")
        ],
    )
    report = run(fresh_server, tmp_path, "gdal==3.13.3\n", [BOOKWORM, TRIXIE], python="3.12")
    bookworm, trixie = (pkg(t, "gdal") for t in report.targets)
    assert bookworm.system and trixie.system
    [problem] = bookworm.system.version_problems
    assert (problem.have, problem.need) == ("3.6.2", ">=3.13.3")
    assert problem.evidence.startswith("documented: GDAL's README")
    assert problem.fix.startswith("gdal==3.6.2 is the newest release whose sdist accepts")
    assert trixie.system.version_problems[0].fix.startswith("gdal==3.10.3 is the newest")
    downloaded = {path for _, path, _ in fresh_server.requests if path.endswith(".tar.gz")}
    assert downloaded and all("gdal-3.13.3" in path for path in downloaded)


def test_a_release_that_states_nothing_is_offered_only_as_unchecked(
    fresh_server: IndexServer, tmp_path: Path
) -> None:
    """pillow-heif 1.4.0 states no libheif version and a real build showed it still fails:
    such a release is named, but never as one that accepts the library."""
    setup = (
        "from setuptools import setup, Extension\nsetup(ext_modules=[Extension('m', ['m.c'])])\n"
    )
    guard = "#if RD_KAFKA_VERSION < 0x7f0000ff\n#error too old\n#endif\n"
    guarded = {"setup.py": setup, "k.h": guard}
    files = [
        sdist("kafkaish", "2.0", texts=guarded, members=["kafkaish-2.0/m.c"]),
        sdist("kafkaish", "1.0", texts={"setup.py": setup}, members=["kafkaish-1.0/m.c"]),
    ]
    fresh_server.add_project("kafkaish", files)
    report = run(fresh_server, tmp_path, "kafkaish==2.0\n", [BOOKWORM], python="3.12")
    result = pkg(report.targets[0], "kafkaish")
    assert result.system is not None
    [problem] = result.system.version_problems
    assert problem.fix.startswith(
        "no release read (1) states that it accepts 2.0.2; "
        "kafkaish==1.0 is the newest whose sdist states no version (unchecked)"
    )


def test_a_need_proved_by_real_builds_applies_only_to_the_releases_built() -> None:
    built = versions.check(_info(filename="pyheif-0.8.0.tar.gz"), "bookworm")
    assert [(p.package, p.have, p.need) for p in built] == [("libheif-dev", "1.15.1", ">1.15.1")]
    assert built[0].evidence == "documented: real builds of pyheif 0.8.0 (2026-12-04)"
    assert versions.check(_info(filename="pyheif-0.8.0.tar.gz"), "trixie") == []
    assert versions.check(_info(filename="pyheif-0.7.1.tar.gz"), "bookworm") == []


@pytest.mark.parametrize(
    ("expression", "defines"),
    [
        ("RD_KAFKA_VERSION < (1 << 100000000)", {}),
        ("RD_KAFKA_VERSION < " + "(" * 900 + "1" + ")" * 900, {}),
        ("RD_KAFKA_VERSION < A", {"A": " + ".join(["B"] * 60), "B": " + ".join(["C"] * 60)}),
    ],
)
def test_hostile_guards_are_left_undecided_quickly(
    expression: str, defines: dict[str, str]
) -> None:
    """An sdist is untrusted: a huge shift, deep nesting or #defines that multiply must
    neither hang nor raise; the guard then decides nothing."""
    guard = {"path": "k.h", "line": 1, "message": "", "condition": expression, "defines": defines}
    started = time.perf_counter()
    [need] = versions.sdist_needs(_info(version_guards=[guard]))
    assert need.accepts((2, 0, 2)) is None
    assert need.text == "see the guard"
    assert time.perf_counter() - started < 5
    long_line = "#if FOO_VERSION < " + "1 + " * 400 + "1\n#error x\n#endif\n"
    assert find_version_guards("k.h", long_line) == []
