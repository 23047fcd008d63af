"""Offline tests of scripts/debian_tables.py on tiny inline fixtures (no network)."""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import io
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "debian_tables.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("debian_tables", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["debian_tables"] = module  # dataclasses resolve annotations through it
    spec.loader.exec_module(module)
    return module


dt = _load()


# --------------------------------------------------------------------------- versions

# Ascending, from policy 5.6.12 and dpkg's own test cases.
ORDERED = [
    "1.0~~",
    "1.0~~a",
    "1.0~",
    "1.0",
    "1.0a",
    "1.0+",
    "1.0.0",
    "1.0.1",
    "1.2",
    "1.10",
    "1:0.1",
    "2:0~rc1",
]


@pytest.mark.parametrize("index", range(len(ORDERED) - 1))
def test_version_order_is_strict(index: int) -> None:
    low, high = ORDERED[index], ORDERED[index + 1]
    assert dt.debian_version_compare(low, high) == -1
    assert dt.debian_version_compare(high, low) == 1


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("1.0-1", "1.0-1", 0),
        ("0:1.0", "1.0", 0),
        ("1.0-1", "1.0-1+deb12u1", -1),
        ("1.0-1+b1", "1.0-1", 1),
        ("3.0.22-1~deb12u2", "3.0.22-1", -1),
        ("2.0-1-2", "2.0-1-10", -1),  # the revision is after the LAST hyphen
        ("1.0-a", "1.0-B", 1),  # letters compare by ASCII
    ],
)
def test_version_pairs(a: str, b: str, expected: int) -> None:
    assert dt.debian_version_compare(a, b) == expected


# --------------------------------------------------------------------------- deb822 + merge

PACKAGES_MAIN = """\
Package: libfoo1
Source: foo (1.0-1)
Version: 1.0-1+b1
Architecture: amd64
Installed-Size: 10
Size: 2048
Section: libs
Priority: optional
Multi-Arch: same
Depends: libc6 (>= 2.34),
 zlib1g (>= 1:1.2)

Package: python3-foo
Source: foo
Version: 1.0-1
Architecture: amd64
Section: python
Depends: python3 (<< 3.12), python3:any, libfoo1 (>= 1.0), libblas3 | libblas.so.3, tzdata

Package: librust-serde-dev
Version: 1.0-1
Architecture: amd64
Section: rust
"""

PACKAGES_SECURITY = """\
Package: libfoo1
Source: foo (1.0-1+deb12u1)
Version: 1.0-1+deb12u1
Architecture: amd64
Section: libs
"""


def _records(text: str, origin: str) -> list[dict[str, str]]:
    return [dt.package_record(s, origin) for s in dt.iter_stanzas(io.StringIO(text))]


def test_iter_stanzas_joins_continuation_lines() -> None:
    stanzas = list(dt.iter_stanzas(io.StringIO(PACKAGES_MAIN)))
    assert [s["Package"] for s in stanzas] == ["libfoo1", "python3-foo", "librust-serde-dev"]
    assert dt.one_line(stanzas[0]["Depends"]) == "libc6 (>= 2.34), zlib1g (>= 1:1.2)"


def test_package_record_strips_binnmu_source_version() -> None:
    record = _records(PACKAGES_MAIN, "main")[0]
    assert record["source"] == "foo"
    assert record["essential"] == "no"
    assert record["depends"] == "libc6 (>= 2.34), zlib1g (>= 1:1.2)"
    assert list(record) == dt.PACKAGE_COLUMNS


def test_newest_by_prefers_security_update() -> None:
    records = _records(PACKAGES_MAIN, "main") + _records(PACKAGES_SECURITY, "security")
    merged = dt.newest_by(records, "package")
    assert merged["libfoo1"]["version"] == "1.0-1+deb12u1"
    assert merged["libfoo1"]["origin"] == "security"
    assert merged["python3-foo"]["origin"] == "main"


def test_newest_by_keeps_higher_main_version() -> None:
    older = {"package": "x", "version": "2.0-1~deb12u1", "origin": "security"}
    newer = {"package": "x", "version": "2.0-1", "origin": "main"}
    assert dt.newest_by([newer, older], "package")["x"]["origin"] == "main"


def test_package_rows_drop_rust_crates() -> None:
    merged = dt.newest_by(_records(PACKAGES_MAIN, "main"), "package")
    assert [row[0] for row in dt.package_rows(merged)] == ["libfoo1", "python3-foo"]


def test_parse_release_reads_sha256_block() -> None:
    text = (
        "Origin: Debian\nVersion: 12.15\nDate: Sat, 11 Jul 2026 10:16:37 UTC\n"
        "MD5Sum:\n 00 1 main/Contents-all.gz\n"
        "SHA256:\n abc 12 main/Contents-all.gz\n def 34 main/binary-amd64/Packages.xz\n"
    )
    release = dt.parse_release(text)
    assert release.fields["Version"] == "12.15"
    assert release.sha256 == {
        "main/Contents-all.gz": ("abc", 12),
        "main/binary-amd64/Packages.xz": ("def", 34),
    }


# --------------------------------------------------------------------------- Contents

CONTENTS = """\
usr/include/foo.h                                       libdevel/libfoo-dev
usr/include/x86_64-linux-gnu/foo.h                      libdevel/libfoo-dev,devel/foo-extra-dev
usr/include/x86_64-linux-gnu/foo/config.h               libdevel/libfoo-dev
usr/include/doc helper.h                                science/foo-tools
usr/lib/x86_64-linux-gnu/pkgconfig/foo.pc               libdevel/libfoo-dev
lib/pkgconfig/bar.pc                                    admin/bar
usr/lib/x86_64-linux-gnu/libfoo.so                      libdevel/libfoo-dev
usr/lib/x86_64-linux-gnu/libfoo.so.1                    libs/libfoo1
usr/lib/x86_64-linux-gnu/libfoo.a                       libdevel/libfoo-dev
usr/lib/x86_64-linux-gnu/foo/libplugin.so               libs/libfoo1
usr/lib/python3/dist-packages/Foo_Bar-1.0.dist-info/METADATA  python/python3-foo
usr/lib/python3/dist-packages/Foo_Bar-1.0.dist-info/RECORD    python/python3-foo
usr/lib/python3/dist-packages/foo_extra-0.1.egg-info          python/python3-foo
usr/lib/python3/dist-packages/foo/__init__.py                 python/python3-foo
"""


def _facts() -> object:
    facts = dt.ContentsFacts("x86_64-linux-gnu")
    dt.scan_contents(io.StringIO(CONTENTS), facts)
    return facts


def test_parse_contents_line_handles_spaces_and_owners() -> None:
    parsed = dt.parse_contents_line("usr/include/doc helper.h   science/a,contrib/libs/b\n")
    assert parsed == ("usr/include/doc helper.h", [("science", "a"), ("libs", "b")])


def test_headers_strip_multiarch_and_keep_dev_owners_only() -> None:
    facts = _facts()
    rows = dt.header_rows(facts, {})
    assert rows == [
        ["foo.h", "foo-extra-dev,libfoo-dev", "devel,libdevel", "yes"],
        ["foo/config.h", "libfoo-dev", "libdevel", "yes"],
    ]


def test_pkgconfig_and_libs() -> None:
    facts = _facts()
    assert dt.pkgconfig_rows(facts) == [
        ["bar", "lib/pkgconfig/bar.pc", "bar"],
        ["foo", "usr/lib/x86_64-linux-gnu/pkgconfig/foo.pc", "libfoo-dev"],
    ]
    kinds = {row[0]: row[1] for row in dt.lib_rows(facts)}
    assert kinds == {
        "libfoo.a": "static",
        "libfoo.so": "dev_symlink",
        "libfoo.so.1": "soname_or_real",
    }


def test_dist_names_from_metadata_dirs() -> None:
    facts = _facts()
    assert facts.dists == {"python3-foo": {"Foo_Bar-1.0.dist-info", "foo_extra-0.1.egg-info"}}
    assert dt.dist_name("foo_extra-0.1-py3.11.egg-info") == "foo_extra"
    assert dt.dist_name("foo.egg-info") == "foo"
    assert dt.normalize_name("Foo_Bar.baz") == "foo-bar-baz"


# --------------------------------------------------------------------------- relations

BUILD_DEPENDS = (
    "debhelper-compat (= 13), dh-python, python3-all-dev, python3-setuptools, cython3, "
    "libfoo-dev (>= 1.0) [linux-any], libkvm-dev [kfreebsd-any], libarm-dev [!amd64], "
    "pkg-config, cargo, librust-serde-dev (>= 1), python3-pytest <!nocheck>, xvfb <!nocheck>, "
    "python3-sphinx <!nodoc>, gcc-mingw-w64 <cross>, libgl-dev | libgl1-mesa-dev"
)


def test_parse_relations_evaluates_arch_and_profiles() -> None:
    texts = [r.text for r in dt.parse_relations(BUILD_DEPENDS, "amd64")]
    assert "libfoo-dev" in texts
    assert "libkvm-dev" not in texts
    assert "libarm-dev" not in texts
    assert "gcc-mingw-w64" not in texts
    assert "libgl-dev|libgl1-mesa-dev" in texts


def test_split_build_deps() -> None:
    source = {
        "package": "foo",
        "version": "1.0-1",
        "build_depends": BUILD_DEPENDS,
        "build_depends_arch": "libbar-dev, libgtest-dev",
        "build_depends_indep": "python3-sphinx-rtd-theme, doxygen",
    }
    deps = dt.split_build_deps(source, "amd64")
    assert deps.system == [
        "libfoo-dev",
        "pkg-config",
        "cargo",
        "libgl-dev|libgl1-mesa-dev",
        "libbar-dev",
    ]
    assert deps.python == ["dh-python", "python3-all-dev", "python3-setuptools", "cython3"]
    assert deps.other == ["debhelper-compat"]
    assert deps.check_only == ["python3-pytest"]
    assert deps.test_tool == ["xvfb", "libgtest-dev"]  # a test framework even unmarked
    assert deps.indep == ["python3-sphinx", "python3-sphinx-rtd-theme", "doxygen"]
    assert deps.rust_crates == 1
    assert deps.needs_python_dev and deps.uses_rust


def test_split_runtime_depends() -> None:
    depends = "python3 (<< 3.12), python3:any, libfoo1 (>= 1.0), libblas3 | libblas.so.3, tzdata"
    libs, other = dt.split_runtime_depends(depends, "amd64")
    assert libs == ["libfoo1", "libblas3|libblas.so.3"]
    assert other == ["tzdata"]


# --------------------------------------------------------------------------- end to end


def test_builddeps_and_summary_rows() -> None:
    facts = _facts()
    packages = dt.newest_by(_records(PACKAGES_MAIN, "main"), "package")
    sources = {
        "foo": {
            "package": "foo",
            "version": "1.0-1",
            "build_depends": "python3-all-dev, libfoo-dev",
            "build_depends_arch": "",
            "build_depends_indep": "",
        }
    }
    pypi = {"foo-bar": dt.PypiInfo("yes", "42")}
    rows = dt.builddeps_rows(facts, packages, sources, pypi, "amd64")
    assert len(rows) == 1
    row = rows[0]
    assert (row["pypi_name"], row["pypi_name_raw"], row["pypi_name_source"]) == (
        "foo-bar",
        "Foo_Bar",
        "dist-info",
    )
    assert row["all_dist_names"] == "Foo_Bar, foo_extra"
    assert (row["pypi_exists"], row["pypi_download_rank"]) == ("yes", "42")
    assert row["is_compiled"] == "yes" and row["needs_python_dev"] == "yes"
    assert row["system_build_deps"] == "libfoo-dev"
    assert row["runtime_lib_depends"] == "libfoo1, libblas3|libblas.so.3"
    summary = dt.summary_rows(rows)
    assert len(summary) == 1 and len(summary[0]) == len(dt.SUMMARY_COLUMNS)
    assert summary[0][:8] == [
        "foo-bar",
        "yes",
        "42",
        "foo",
        "1.0-1",
        "python3-foo",
        "python3-foo",
        "yes",
    ]


def test_write_tsv_gz_is_reproducible(tmp_path: Path) -> None:
    first, second = tmp_path / "a.tsv.gz", tmp_path / "b.tsv.gz"
    for path in (first, second):
        assert dt.write_tsv(path, ["x", "y"], [["1", "a\tb"]]) == 1
    assert first.read_bytes() == second.read_bytes()
    assert gzip.decompress(first.read_bytes()) == b"x\ty\n1\ta b\n"


def test_fetch_index_verifies_sha256(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    payload = b"Package: a\n"
    digest = hashlib.sha256(payload).hexdigest()
    release = dt.Release({}, {"main/x": (digest, len(payload))})
    repo = dt.Repo("http://mirror.invalid/debian", "bookworm", "main")
    served = {"bytes": payload}

    def fake_get(url: str, dest: Path, attempts: int = 3) -> None:
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(served["bytes"])

    monkeypatch.setattr(dt, "http_get", fake_get)
    fetched = dt.fetch_index(repo, release, "main/x", tmp_path, allow_unverified=False)
    assert fetched.verified and fetched.path.read_bytes() == payload

    other = dt.Release({}, {"main/x": ("0" * 64, 1)})
    with pytest.raises(SystemExit, match="SHA256 mismatch"):
        dt.fetch_index(repo, other, "main/x", tmp_path, allow_unverified=False)
    kept = dt.fetch_index(repo, other, "main/x", tmp_path, allow_unverified=True)
    assert not kept.verified and kept.sha256 == digest


def test_strip_clearsign_and_unsigned_fallback(tmp_path: Path) -> None:
    signed = (
        "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\n"
        "Origin: Debian\nVersion: 13.8\n- -dash escaped\n"
        "-----BEGIN PGP SIGNATURE-----\nabc\n-----END PGP SIGNATURE-----\n"
    )
    assert dt.strip_clearsign(signed) == "Origin: Debian\nVersion: 13.8\n-dash escaped"
    path = tmp_path / "InRelease"
    path.write_text(signed, encoding="utf-8")
    text, how = dt.verify_inrelease(path, None)  # no keyring: parse, but say it was not checked
    assert dt.parse_release(text).fields["Version"] == "13.8"
    assert how == "signature not checked"
