"""Static sdist inspection: limits, unsafe archives, native detection, static metadata."""

from __future__ import annotations

import io
import tarfile
import zipfile

import pytest
import setup_texts
from hypothesis import given
from hypothesis import strategies as st

from wheelfit.errors import ArchiveError
from wheelfit.inspect import sdist as sdist_module
from wheelfit.inspect.distinfo import setup_py_dependencies
from wheelfit.inspect.sdist import inspect_sdist


def make_tar(members: dict[str, str], links: dict[str, str] | None = None) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, text in members.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            archive.addfile(info)
    return buffer.getvalue()


def test_reads_texts_and_counts_sources_outside_tests() -> None:
    data = make_tar(
        {
            "pkg-1.0/setup.py": "from setuptools import setup, Extension\nsetup(ext_modules=[])\n",
            "pkg-1.0/src/a.c": "",
            "pkg-1.0/src/b.pyx": "",
            "pkg-1.0/tests/t.cpp": "",
            "pkg-1.0/docs/example.f90": "",
        }
    )
    info = inspect_sdist("pkg-1.0.tar.gz", data)
    assert "setup.py" in info.texts
    assert info.source_files == {"C": 1, "Cython": 1}
    assert info.native() == (True, ["C", "Cython"], False)


@pytest.mark.parametrize("name", ["../evil.txt", "/etc/passwd", "pkg-1.0/../../x"])
def test_path_traversal_is_refused(name: str) -> None:
    with pytest.raises(ArchiveError, match="unsafe"):
        inspect_sdist("pkg-1.0.tar.gz", make_tar({name: "x"}))


def test_links_out_of_the_archive_are_refused() -> None:
    data = make_tar({"pkg-1.0/setup.py": ""}, links={"pkg-1.0/passwd": "../../../etc/passwd"})
    with pytest.raises(ArchiveError, match="outside"):
        inspect_sdist("pkg-1.0.tar.gz", data)
    inside = make_tar({"pkg-1.0/a.py": ""}, links={"pkg-1.0/b.py": "a.py"})
    assert inspect_sdist("pkg-1.0.tar.gz", inside).members == 2


def test_member_and_size_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sdist_module, "MAX_MEMBERS", 5)
    with pytest.raises(ArchiveError, match="more than 5 members"):
        inspect_sdist("p-1.tar.gz", make_tar({f"p-1/f{i}.py": "" for i in range(10)}))
    monkeypatch.setattr(sdist_module, "MAX_MEMBERS", 100)
    monkeypatch.setattr(sdist_module, "MAX_UNPACKED_BYTES", 1000)
    with pytest.raises(ArchiveError, match="unpacks to more than"):
        inspect_sdist("p-1.tar.gz", make_tar({"p-1/big.txt": "x" * 5000}))


def test_garbage_is_a_clear_error() -> None:
    with pytest.raises(ArchiveError, match="cannot read the archive"):
        inspect_sdist("p-1.tar.gz", b"\x1f\x8b\x08\x00garbage")
    with pytest.raises(ArchiveError):
        inspect_sdist("p-1.zip", b"PK\x03\x04 not a zip")


def test_zip_sdists_are_read() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "p-1.0/pyproject.toml",
            "[build-system]\nrequires=['maturin>=1']\nbuild-backend='maturin'\n",
        )
        archive.writestr("p-1.0/Cargo.toml", "")
        archive.writestr("p-1.0/src/lib.rs", "")
    info = inspect_sdist("p-1.0.zip", buffer.getvalue())
    assert info.native() == (True, ["Rust"], False)
    assert [str(r) for r in info.build_requires()[0]] == ["maturin>=1"]


def test_default_build_requirements_are_pips() -> None:
    info = inspect_sdist(
        "p-1.tar.gz", make_tar({"p-1/setup.py": "from setuptools import setup\nsetup()\n"})
    )
    assert [str(r) for r in info.build_requires()[0]] == ["setuptools>=40.8.0"]
    assert info.native() == (False, [], False)


@pytest.mark.parametrize(
    ("setup_py", "optional"),
    [
        ("setup(ext_modules=[Extension('m', ['m.c'], optional=True)])", True),
        ("class BuildFailed(Exception): pass\nsetup(ext_modules=[Extension('m', ['m.c'])])", True),
        # catching CompileError to re-raise it (psycopg2) is not a fallback
        (
            "from distutils.errors import CompileError\n"
            "setup(ext_modules=[Extension('m', ['m.c'])])",
            False,
        ),
    ],
)
def test_optional_extensions(setup_py: str, optional: bool) -> None:
    info = inspect_sdist(
        "p-1.tar.gz",
        make_tar(
            {
                "p-1/setup.py": setup_py,
                "p-1/m.c": "",
                "p-1/setup.cfg": "[mypy]\nno_implicit_optional = True\n",
            }
        ),
    )
    assert info.native()[2] is optional


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("setup(install_requires=['a>=1', 'b'])", ["a>=1", "b"]),
        ("REQS = ['a']\nsetup(install_requires=REQS)", ["a"]),
        (
            "setup(install_requires=['a'], extras_require={'x': ['b; python_version > \"3\"']})",
            ["a", 'b; python_version > "3" and extra == "x"'],
        ),
        ("setup(name='p')", []),
        ("setup(install_requires=compute())", None),
        ("setup(**kwargs)", None),
        ("setup(install_requires=['a'], extras_require={':python_version<\"3\"': ['b']})", None),
        ("this is not python (", None),
    ],
)
def test_setup_py_literals(text: str, expected: list[str] | None) -> None:
    result = setup_py_dependencies(text)
    if expected is None:
        assert result is None
    else:
        assert result is not None
        assert [str(r) for r in result] == [
            str(type(r)(e)) for r, e in zip(result, expected, strict=True)
        ]
        assert len(result) == len(expected)


def test_native_sources_are_counted_in_lines() -> None:
    generated = "/* Generated by Cython 3.1.2 */\n" + "x;\n" * 99
    info = inspect_sdist(
        "p-1.tar.gz",
        make_tar(
            {
                "p-1/setup.py": "from setuptools import Extension\next_modules=[Extension('a')]",
                "p-1/src/a.c": "int a;\n" * 40,
                "p-1/src/b.c": generated,
                "p-1/src/b.pyx": "def f():\n    pass\n",
                "p-1/src/c.pyx": "cdef int x\n" * 7,  # no C beside it: Cython must run
                "p-1/src/lib.h": "#define A 1\n" * 5,
                "p-1/tests/t.c": "int t;\n" * 1000,  # tests are not built
                "p-1/p/__init__.py": "x = 1\n",
                "p-1/Cargo.lock": '[[package]]\nname = "a"\n[[package]]\nname = "b"\n',
            }
        ),
    )
    assert info.source_lines == {"C": 140, "Cython": 9}
    assert info.generated_lines == 100
    assert info.untranslated_cython_lines == 7
    assert info.cython_modules == 1
    assert info.header_lines == 5
    assert info.python_bytes == len("x = 1\n")
    assert info.cargo_lock_packages == 2


def test_cython_language_directive_means_cplusplus() -> None:
    """frozenlist 1.8: the .pyx asks for C++, and the build fails without g++."""
    info = inspect_sdist(
        "p-1.tar.gz",
        make_tar(
            {
                "p-1/pyproject.toml": "[build-system]\nrequires=['setuptools','cython']\n",
                "p-1/setup.py": "from Cython.Build import cythonize\n"
                "ext_modules=cythonize('*.pyx')",
                "p-1/p/_x.pyx": "# distutils: language = c++\ncdef int x\n",
            }
        ),
    )
    assert info.native()[1] == ["C++", "Cython"]


def test_extension_language_cplusplus_needs_gplusplus() -> None:
    """cymem and preshed: Extension(..., language="c++") on .pyx files, built by g++."""
    setup = (
        "from setuptools import setup, Extension\n"
        "setup(ext_modules=[Extension('c', ['c.pyx'], language=\"c++\")])\n"
        "# language='c++' in a comment does not count\n"
    )
    info = inspect_sdist("p-1.tar.gz", make_tar({"p-1/setup.py": setup, "p-1/c.pyx": "x\n"}))
    assert info.native()[1] == ["C++", "Cython"]
    comment_only = setup.replace('language="c++"', "")
    info = inspect_sdist("p-1.tar.gz", make_tar({"p-1/setup.py": comment_only, "p-1/c.pyx": "x\n"}))
    assert info.native()[1] == ["Cython"]


def test_extensions_declared_in_pyproject_compile() -> None:
    """mmh3 5: setuptools >= 74 reads [tool.setuptools] ext-modules; there is no setup.py."""
    pyproject = (
        "[build-system]\nrequires=['setuptools>=74.1']\nbuild-backend='setuptools.build_meta'\n"
        "[[tool.setuptools.ext-modules]]\nname='mmh3._mmh3'\nsources=['src/mmh3/m.c']\n"
    )
    info = inspect_sdist(
        "p-1.tar.gz",
        make_tar({"p-1/pyproject.toml": pyproject, "p-1/src/mmh3/m.c": "int x;\n"}),
    )
    assert info.native()[:2] == (True, ["C"])
    without = inspect_sdist(
        "p-1.tar.gz",
        make_tar({"p-1/pyproject.toml": pyproject.split("[[tool")[0], "p-1/m.c": "int x;\n"}),
    )
    assert without.native()[0] is False


def test_setup_helper_modules_count_for_the_programs_a_build_runs() -> None:
    """gevent: _setuplibev.py runs the bundled libev's ./configure, setup.py only imports it."""
    setup = "from setuptools import setup, Extension\nimport _setuplibev\nsetup(ext_modules=[])\n"
    helper = "cmd = 'cd deps/libev && sh ./configure -C > configure-output.txt'\n"
    info = inspect_sdist(
        "g-1.tar.gz", make_tar({"g-1/setup.py": setup, "g-1/_setuplibev.py": helper})
    )
    assert "_setuplibev.py" in info.texts
    assert info.build_programs() == ["make"]
    nested = inspect_sdist(
        "g-1.tar.gz", make_tar({"g-1/setup.py": setup, "g-1/src/_setuplibev.py": helper})
    )
    assert nested.build_programs() == []


def test_templated_sources_count_as_their_language() -> None:
    """statsmodels ships .pyx.in files that Tempita turns into .pyx at build time."""
    info = inspect_sdist(
        "s-1.tar.gz",
        make_tar(
            {
                "s-1/pyproject.toml": "[build-system]\nbuild-backend='mesonpy'\nrequires=['x']\n",
                "s-1/s/_a.pyx.in": "cdef int a\n" * 30,
                "s-1/s/_b.pyx": "cdef int b\n" * 10,
                "s-1/s/_c.c.src": "int c;\n" * 5,
            }
        ),
    )
    assert info.source_lines == {"Cython": 40, "C": 5}
    assert info.cython_modules == 2


def test_cmake_projects_compile_only_the_languages_they_declare() -> None:
    """rapidfuzz: Fortran files of a vendored library lie in the sdist; CMake builds C/C++."""
    cmake = "cmake_minimum_required(VERSION 3.15)\nproject(rf LANGUAGES C CXX)\n"
    pyproject = (
        "[build-system]\nrequires=['scikit-build-core']\nbuild-backend='scikit_build_core.build'\n"
    )
    info = inspect_sdist(
        "r-1.tar.gz",
        make_tar(
            {
                "r-1/pyproject.toml": pyproject,
                "r-1/CMakeLists.txt": cmake,
                "r-1/src/a.cpp": "int a;\n",
                "r-1/src/b.pyx": "x = 1\n",
                "r-1/extern/lib/blas.f": "      END\n",
            }
        ),
    )
    assert info.native()[1] == ["C", "C++", "Cython"]
    undeclared = inspect_sdist(
        "r-1.tar.gz",
        make_tar({"r-1/pyproject.toml": pyproject, "r-1/src/a.f90": "end\n"}),
    )
    assert undeclared.native()[1] == ["Fortran"]


@pytest.mark.parametrize(
    ("setup_py", "optional", "switches"),
    [
        (setup_texts.SWALLOWS, True, []),
        (setup_texts.RERAISES_UNLESS_SWITCH, False, ["PURE_PYTHON"]),
        (setup_texts.SWITCH_ONLY, False, ["MULTIDICT_NO_EXTENSIONS"]),
        (setup_texts.EXPLAINS_AND_RERAISES, False, []),
        (setup_texts.SETS_A_SWITCH_FOR_OTHERS, False, []),
        (setup_texts.SWALLOWS_AROUND_RUN, True, []),
        ("setup(ext_modules=[Extension('m', ['m.c'])])\nnot python (", False, []),
    ],
)
def test_a_fallback_to_pure_python_is_read_from_setup_py(
    setup_py: str, optional: bool, switches: list[str]
) -> None:
    info = inspect_sdist("p-1.tar.gz", make_tar({"p-1/setup.py": setup_py, "p-1/m.c": ""}))
    assert info.native() == (True, ["C"], optional)
    assert info.pure_python_switches() == switches


def test_python_sources_are_parsed_one_thread_at_a_time() -> None:
    """CPython 3.11's AST converter shares a recursion counter between threads: two parses
    at once, with a garbage collection switching threads mid-parse, raised SystemError (26
    of these 400 parses on 4 threads without the lock); analyze() reads setup.py files on
    several threads."""
    import threading

    from wheelfit.inspect.pysource import parse_python

    source = (
        "setup(\n" + "".join(f"    x{i}=[{i}, ({i}, {{'k': {i}}})],\n" for i in range(100)) + ")\n"
    )
    failures: list[BaseException] = []

    class Finalized:
        def __del__(self) -> None:
            sum(range(50))  # Python code run by the garbage collector, on whichever thread

    def parse_many() -> None:
        for _ in range(100):
            junk = [Finalized() for _ in range(5)]
            for item in junk:
                item.cycle = item  # type: ignore[attr-defined]
            del junk
            try:
                assert parse_python(source) is not None
            except BaseException as exc:
                failures.append(exc)

    threads = [threading.Thread(target=parse_many) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert parse_python("def (") is None and parse_python("(" * 10_000) is None


def test_include_search_finds_what_the_anchored_pattern_finds() -> None:
    """The fast search for #include lines (a '#' found, then the line's start looked at)
    gives the same names in the same order as the pattern anchored at each line's start."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from wheelfit.inspect.sdist import _INCLUDE, _include_names

    pieces = ["#", "include", " ", "\t", "\n", "\r", "<", ">", "a.h", "x", "/", '"',
              "cdef extern from ", "#include <b.h>\n", "  # include <c/d.h>"]  # fmt: skip

    @settings(max_examples=500, deadline=None)
    @given(st.lists(st.sampled_from(pieces), max_size=40))
    def check(parts: list[str]) -> None:
        text = "".join(parts).encode()
        expected = [match[1] or match[2] for match in _INCLUDE.finditer(text)]
        assert list(_include_names(text)) == expected

    check()


@given(st.binary().map(lambda b: bytes(b"#\t \n\rerox"[c % 9] for c in b)))
def test_an_error_line_is_found_as_the_anchored_pattern_finds_it(data: bytes) -> None:
    """_has_error_line searches from each "#" instead of trying a line-anchored pattern at
    every byte: the same answer on any text made of the characters that matter."""
    import re

    from wheelfit.inspect.sdist import _has_error_line

    anchored = re.compile(rb"^[ \t]*#[ \t]*error", re.M)
    assert _has_error_line(data) == bool(anchored.search(data))
    assert _has_error_line(b"x\n  #  error no\n") and not _has_error_line(b"x #error\n")
