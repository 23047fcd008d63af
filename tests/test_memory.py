"""What keeps a large run's memory bounded: packed file details, the compact header index,
spooled downloads, lean resolver states and one resolution at a time.

These check the structures, not figures: the figures are in benchmarks/ (docs/benchmarks.md).
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import resolvelib
from hypothesis import given, settings
from hypothesis import strategies as st
from indexserver import IndexServer
from packaging.version import Version
from resolvelib.structs import RequirementInformation

from wheelfit import Settings, analyze, target_from_image
from wheelfit.cli.process import GC_FIRST_THRESHOLD
from wheelfit.errors import IndexFetchError
from wheelfit.index import client as client_module
from wheelfit.index.cache import Cache
from wheelfit.index.client import IndexClient
from wheelfit.index.page import PackedReleases
from wheelfit.index.simple import parse_json_page
from wheelfit.inspect.sdist import inspect_sdist
from wheelfit.models import DistFile, ReleaseDetails
from wheelfit.resolve import resolver as resolve_module
from wheelfit.resolve.lean_resolver import CopyOnWriteDict, LeanResolver
from wheelfit.resolve.preference import PipPreference
from wheelfit.sysdeps.file_index import FileIndex
from wheelfit.sysdeps.header_index import HeaderIndex

PAGES = Path(__file__).parent / "data" / "index" / "pages"


def _pyyaml_page(sha256: str | None = None) -> Any:
    """A recorded page (its file URLs made absolute); ``sha256`` replaces the first file's."""
    document = json.loads((PAGES / "pyyaml.json").read_bytes())
    for entry in document["files"]:
        entry["url"] = f"http://h/files/{entry['filename']}"
    if sha256:
        document["files"][0]["hashes"] = {"sha256": sha256}
    return parse_json_page(json.dumps(document).encode(), "http://h/simple/pyyaml/", "PyYAML")


def _unpacked(dist: DistFile) -> bool:
    details = dist._details
    return not isinstance(details, ReleaseDetails) or details._unpacked is not None


# -- file details ----------------------------------------------------------------------------


def test_a_parsed_page_makes_a_release_s_files_when_asked_and_their_details_when_read() -> None:
    page = _pyyaml_page()
    (part,) = page._parts
    assert isinstance(part, PackedReleases)
    assert len(page.versions()) > 2
    assert part._made == {}  # nothing made yet

    release = page.files_of(Version("5.3.1"))
    assert release and set(part._made) == {Version("5.3.1")}
    # what choosing among files reads leaves the details packed
    assert {f.version for f in release if f.is_wheel and f.tags and not f.yanked}
    assert not any(_unpacked(f) for f in release)

    sdist = page.file_named("PyYAML-5.3.1.tar.gz", Version("5.3.1"))
    assert sdist is not None and sdist.url.endswith("/PyYAML-5.3.1.tar.gz")
    assert all(_unpacked(f) for f in release)  # one release unpacked together
    assert set(part._made) == {Version("5.3.1")}
    assert not any(_unpacked(f) for f in page.files if f.version != Version("5.3.1"))


def test_files_hash_without_unpacking_and_compare_by_value() -> None:
    first, second = _pyyaml_page(), _pyyaml_page()
    assert [hash(f) for f in first.files] == [hash(f) for f in second.files]
    assert not any(_unpacked(f) for f in first.files + second.files)
    assert first.files == second.files
    assert len(set(first.files) | set(second.files)) == len(first.files)

    changed = _pyyaml_page(sha256="0" * 64)
    assert changed.files[0] != first.files[0]
    assert changed.files[1:] == first.files[1:]


# -- the header index ------------------------------------------------------------------------


def test_header_index_answers_like_a_dict_of_paths() -> None:
    rows = {
        "zlib.h": "zlib1g-dev",
        "libxml2/libxml/parser.h": "libxml2-dev",
        "postgresql/libpq-fe.h": "libpq-dev",
        "a.h": "liba-dev",
        "x/a.h": "libxa-dev",
        "a.h2": "libah2-dev",
        "ab.h": "libab-dev",
        "sys/time.h": "-",
    }
    index = FileIndex.from_rows(("h", path, package) for path, package in rows.items()).headers
    assert len(index) == len(rows)
    for path, package in rows.items():
        assert index.get(path) == package
    assert index.get("libxml/parser.h") is None  # only exact paths
    assert index.get("b.h") is None
    assert sorted(index.named("a.h")) == [("a.h", "liba-dev"), ("x/a.h", "libxa-dev")]
    assert list(index.named("parser.h")) == [("libxml2/libxml/parser.h", "libxml2-dev")]
    assert list(index.named("nothing.h")) == []
    empty = HeaderIndex()
    assert len(empty) == 0 and empty.get("zlib.h") is None


@given(st.integers(0, 2**32 - 1), st.integers(300, 3000))
@settings(max_examples=15, deadline=None)
def test_header_blocks_answer_like_the_rows_they_hold(seed: int, count: int) -> None:
    """Header rows over many blocks (a block is ~4 KB): every path, folder and file name is
    answered as the rows say, including folders whose paths start in one block and go on in
    the next, and the other kinds' rows on either side of the header rows are all read."""
    import random

    pick = random.Random(seed)
    folders = ["", "a/", "a/b/", "ab/", "b/", "libxml2/libxml/", "zz/y/"]
    headers: dict[str, str] = {}
    while len(headers) < count:
        name = pick.choice(["x", "config", "ab", "a", "types", "z"]) + str(pick.randrange(600))
        headers[pick.choice(folders) + name + ".h"] = f"lib{pick.randrange(9)}-dev"
    others = [("dev", f"lib{i}.so", f"lib{i}-dev") for i in range(count // 3)]
    others += [("so", f"lib{i}.so.1", f"lib{i}") for i in range(count // 3)]
    index = FileIndex.from_rows([*others, *(("h", p, k) for p, k in headers.items())])
    found = index.headers
    assert len(found) == len(headers) and len(found._firsts) > 1
    assert all(found.get(path) == package for path, package in headers.items())
    assert all(found.get(path + "x") is None for path in list(headers)[:50])
    for folder in [*folders[1:], "a/b/c/", "c/", "libxml2/", "zz/", "0/"]:
        assert found.has_folder(folder) == any(p.startswith(folder) for p in headers), folder
    for name in {path.rsplit("/", 1)[-1] for path in headers} | {"none.h"}:
        expected = {(p, k) for p, k in headers.items() if p.rsplit("/", 1)[-1] == name}
        assert set(found.named(name)) == expected
    assert index.dev_libs == {name: package for kind, name, package in others if kind == "dev"}
    assert index.sonames == {name: package for kind, name, package in others if kind == "so"}


def test_a_file_index_that_does_not_match_its_blocks_is_refused() -> None:
    from wheelfit.sysdeps.file_index import pack_table

    rows = [("dev", "libz.so", "zlib1g-dev"), *(("h", f"h{i:05}.h", "x-dev") for i in range(999))]
    table, blocks = pack_table(rows)
    assert FileIndex(table, blocks).headers.get("h00500.h") == "x-dev"
    lines = blocks.splitlines(keepends=True)
    bad = {
        "no column names": "".join(lines[1:]),
        "no end row": "".join(lines[:-1]),
        "a row not numbers": "".join([*lines[:2], "x\t1\ta\n", *lines[3:]]),
        "an offset past the table": blocks.replace(lines[-1].split("\t")[0], str(len(table) + 9)),
    }
    for what, text in bad.items():
        with pytest.raises(ValueError):
            FileIndex(table, text)
        assert what
    with pytest.raises(ValueError, match="after other kinds"):
        pack_table([("h", "a.h", "a-dev"), ("ld", "x", "y"), ("h", "b.h", "b-dev")])


@given(
    st.sets(st.text(st.characters(blacklist_characters="\n"), max_size=12), max_size=60),
    st.lists(st.text(max_size=12), max_size=30),
)
@settings(max_examples=200, deadline=None)
def test_a_name_list_holds_what_a_set_of_the_names_holds(
    names: set[str], others: list[str]
) -> None:
    from wheelfit.sysdeps.name_list import NameList

    listed = NameList(names)
    assert len(listed) == len(names)
    assert all(name in listed for name in names)
    assert all((name in listed) == (name in names) for name in others)


# -- downloads -------------------------------------------------------------------------------


def _sdist_bytes(c_lines: int) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, text in {
            "big-1.0/setup.py": "from setuptools import setup, Extension\nsetup()\n",
            "big-1.0/src/a.c": "int x;\n" * c_lines,
        }.items():
            info = tarfile.TarInfo(name)
            info.size = len(text.encode())
            archive.addfile(info, io.BytesIO(text.encode()))
    return buffer.getvalue()


@pytest.fixture
def big_sdist(fresh_server: IndexServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[DistFile]:
    """An sdist served by the test index, larger than what a download keeps in memory."""
    monkeypatch.setattr(client_module, "ARCHIVE_IN_MEMORY_BYTES", 64)
    fresh_server.add_project(
        "big", [{"filename": "big-1.0.tar.gz", "members": [["src/a.c", 100_000]]}]
    )
    with IndexClient([f"{fresh_server.url}/simple/"], cache=Cache(None), timeout=5) as client:
        yield next(f for f in client.get_project("big").files)


def test_a_large_download_is_spooled_to_disk_and_checked(
    fresh_server: IndexServer, big_sdist: DistFile
) -> None:
    with IndexClient([f"{fresh_server.url}/simple/"], cache=Cache(None), timeout=5) as client:
        with client.download(big_sdist) as archive:
            served = fresh_server.file_bytes(big_sdist.filename)
            assert len(served) > 64
            assert archive._rolled  # type: ignore[attr-defined]
            assert archive.read() == served
        with pytest.raises(IndexFetchError, match="over the 100 limit"):
            client.download(big_sdist, limit=100)


def test_a_download_that_does_not_match_its_hash_is_refused(
    fresh_server: IndexServer, big_sdist: DistFile
) -> None:
    forged = DistFile(
        big_sdist.project,
        big_sdist.version,
        False,
        type(big_sdist.details)(**{**_fields(big_sdist), "sha256": "0" * 64}),
    )
    client = IndexClient([f"{fresh_server.url}/simple/"], cache=Cache(None), timeout=5)
    with client, pytest.raises(IndexFetchError, match="does not match"):
        client.download(forged)


def _fields(dist: DistFile) -> dict[str, Any]:
    details = dist.details
    return {name: getattr(details, name) for name in details.__dataclass_fields__}


def test_sources_are_line_counted_past_one_read() -> None:
    lines = 400_000  # 2.8 MB of C: several 1 MB chunks
    info = inspect_sdist("big-1.0.tar.gz", io.BytesIO(_sdist_bytes(lines)))
    assert info.source_lines["C"] == lines
    assert inspect_sdist("big-1.0.tar.gz", _sdist_bytes(lines)).source_lines["C"] == lines


# -- resolution ------------------------------------------------------------------------------


class _ToyProvider(resolvelib.AbstractProvider):  # type: ignore[type-arg]
    """Projects as {name: {version: [(dependency, allowed versions)]}}."""

    def __init__(self, index: dict[str, dict[int, list[tuple[str, set[int]]]]]) -> None:
        self.index = index

    def identify(self, requirement_or_candidate: Any) -> str:
        return str(requirement_or_candidate[0])

    def get_preference(self, identifier: str, *args: Any, **kwargs: Any) -> str:
        return identifier

    def find_matches(self, identifier: str, requirements: Any, incompatibilities: Any) -> Any:
        bad = {c[1] for c in incompatibilities[identifier]}
        allowed = set(self.index[identifier])
        for requirement in requirements[identifier]:
            allowed &= requirement[1]
        return [(identifier, v) for v in sorted(allowed - bad, reverse=True)]

    def is_satisfied_by(self, requirement: Any, candidate: Any) -> bool:
        return bool(candidate[1] in requirement[1])

    def get_dependencies(self, candidate: Any) -> Any:
        return self.index[candidate[0]][candidate[1]]


def test_lean_resolver_answers_like_resolvelib_when_it_backtracks() -> None:
    # a is pinned first and its newest needs c 1; b, pinned next, needs c 2: resolvelib must
    # go back and take the older a
    index = {
        "a": {2: [("c", {1})], 1: [("c", {1, 2})]},
        "b": {1: [("c", {2})]},
        "c": {2: [], 1: []},
        "d": {1: [("a", {1, 2}), ("b", {1, 2})]},
    }
    roots = [("d", {1})]
    plain = resolvelib.Resolver(_ToyProvider(index), resolvelib.BaseReporter()).resolve(roots)
    lean = LeanResolver(_ToyProvider(index), resolvelib.BaseReporter()).resolve(roots)
    assert list(lean.mapping.items()) == list(plain.mapping.items())
    assert {k: v[1] for k, v in lean.mapping.items()} == {"d": 1, "a": 1, "b": 1, "c": 2}


_PROJECTS = ["a", "b", "c", "d", "e"]
_VERSIONS = st.sets(st.integers(1, 3), min_size=1)
_DEPENDENCY = st.tuples(st.sampled_from(_PROJECTS), _VERSIONS)
_TOY_INDEX = st.fixed_dictionaries(
    {
        name: st.dictionaries(st.integers(1, 3), st.lists(_DEPENDENCY, max_size=2), min_size=1)
        for name in _PROJECTS
    }
)


def _outcome(resolver_class: Any, index: Any, roots: Any, **options: Any) -> Any:
    try:
        resolver = resolver_class(_ToyProvider(index), resolvelib.BaseReporter(), **options)
        result = resolver.resolve(roots, max_rounds=200)
    except (resolvelib.ResolutionError, RecursionError) as exc:
        return type(exc).__name__  # resolvelib itself recurses without end on some cycles
    return list(result.mapping.items())


@settings(max_examples=300, deadline=None)
@given(index=_TOY_INDEX, roots=st.lists(_DEPENDENCY, min_size=1, max_size=3))
def test_lean_resolver_answers_like_resolvelib_on_random_projects(index: Any, roots: Any) -> None:
    """Random five-project indexes with conflicts, cycles and missing versions."""
    expected = _outcome(resolvelib.Resolver, index, roots)
    assert _outcome(LeanResolver, index, roots) == expected
    # the lenient pass's walk to the requirements: the same pins, and never a RecursionError
    safe = _outcome(LeanResolver, index, roots, cycle_safe=True)
    assert safe == expected or (expected == "RecursionError" and isinstance(safe, list))


class _TuplePreference(PipPreference):
    """pip's key over toy requirements: one allowed version counts as a pin, a range
    without the newest version as an upper bound."""

    def _facts(self, requirement: Any) -> tuple[bool, bool, bool, bool]:
        allowed = requirement[1]
        return (False, True, len(allowed) == 1, 3 not in allowed)


class _PreferringToyProvider(_ToyProvider):
    """The toy index, with projects pinned in the order pip's key gives."""

    def __init__(self, index: dict[str, dict[int, list[tuple[str, set[int]]]]]) -> None:
        super().__init__(index)
        self.preference = _TuplePreference({})

    def get_preference(self, identifier: str, *args: Any, **kwargs: Any) -> Any:
        return self.preference.key(identifier, kwargs["information"][identifier])


@settings(max_examples=300, deadline=None)
@given(index=_TOY_INDEX, roots=st.lists(_DEPENDENCY, min_size=1, max_size=3))
def test_pip_s_preference_answers_alike_from_lists_and_from_iterators(
    index: Any, roots: Any
) -> None:
    """The lean resolver hands the preference each criterion's information list, whose key
    it remembers; resolvelib hands it iterators, never remembered."""

    def outcome(resolver_class: Any) -> Any:
        resolver = resolver_class(_PreferringToyProvider(index), resolvelib.BaseReporter())
        try:
            return list(resolver.resolve(roots, max_rounds=200).mapping.items())
        except (resolvelib.ResolutionError, RecursionError) as exc:
            return type(exc).__name__

    assert outcome(LeanResolver) == outcome(resolvelib.Resolver)


def test_pip_s_preference_remembers_a_list_s_key_and_not_another_s() -> None:
    preference = _TuplePreference({})
    pinned = [RequirementInformation(("a", {1}), None)]
    ranged = [RequirementInformation(("a", {1, 2}), None)]
    assert preference.key("a", pinned) == preference.key("a", iter(pinned))
    assert preference.key("a", pinned)[2] is False  # pinned: sorts first
    assert preference.key("a", ranged)[2] is True  # another list, its own answer
    assert preference.key("a", pinned)[2] is False


def test_copy_on_write_dict_copies_only_what_it_changes() -> None:
    original: CopyOnWriteDict[str, int] = CopyOnWriteDict({f"k{i}": i for i in range(500)})
    twin = original.copy()
    twin["k1"] = -1
    twin["new"] = 7
    del twin["k2"]
    assert original["k1"] == 1 and "new" not in original and original["k2"] == 2
    assert len(original) == 500 and len(twin) == 500
    assert dict(twin.items()) == {**{f"k{i}": i for i in range(500) if i != 2}, "k1": -1, "new": 7}
    # buckets neither side wrote are still the same objects
    shared = sum(a is b for a, b in zip(original._buckets, twin._buckets, strict=True))
    assert shared >= len(original._buckets) - 3
    original.update(twin)
    assert original["k1"] == -1 and original["new"] == 7 and original["k2"] == 2
    assert len(original) == 501
    for key, value in original.items():  # values replaced while iterating, as resolvelib does
        original[key] = value + 1
    assert original["k3"] == 4 and len(original) == 501
    with pytest.raises(KeyError):
        del twin["k2"]


def test_targets_resolve_one_at_a_time(
    index_server: IndexServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    active, most = 0, 0
    lock = threading.Lock()
    original = resolve_module._resolve

    def counting(*args: Any, **kwargs: Any) -> Any:
        nonlocal active, most
        with lock:
            active += 1
            most = max(most, active)
        try:
            return original(*args, **kwargs)
        finally:
            with lock:
                active -= 1

    monkeypatch.setattr(resolve_module, "_resolve", counting)
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("requests==2.32.3\nsix\n")
    images = ["python:3.12-bookworm", "python:3.12-slim-bookworm", "python:3.12-alpine"]
    settings = Settings(index_url=f"{index_server.url}/simple/", cache_dir=tmp_path / "c")
    report = analyze([str(requirements)], [target_from_image(i) for i in images], settings)
    assert [t.complete for t in report.targets] == [True, True, True]
    assert most == 1


# -- the command's allocator setting ---------------------------------------------------------


@pytest.mark.skipif(sys.platform != "linux", reason="glibc only")
def test_one_malloc_arena_is_set_unless_the_environment_says_otherwise() -> None:
    import platform

    code = "from wheelfit.cli import use_one_malloc_arena as f; print(f())"
    applied = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env={}
    ).stdout.strip()
    assert applied == str(platform.libc_ver()[0] == "glibc")
    kept = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"MALLOC_ARENA_MAX": "4"},
    ).stdout.strip()
    assert kept == "False"


def test_the_command_runs_the_collector_less_often_and_keeps_its_older_generations() -> None:
    code = (
        "import atexit, gc, sys; before = gc.get_threshold();"
        " atexit.register(lambda: print(before, gc.get_threshold()));"
        " sys.argv = ['wheelfit', '--version']; from wheelfit.cli import entrypoint; entrypoint()"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    before, after = done.stdout.strip().splitlines()[-1].split(") (")
    assert after.startswith(f"{GC_FIRST_THRESHOLD}, ")  # raised from 700
    assert before.split(", ", 1)[1] == after.split(", ", 1)[1].rstrip(")")  # the rest kept


def test_what_is_read_in_a_setup_py_is_remembered_without_keeping_the_source() -> None:
    """The stages ask the same question of the same setup.py once per image: it is answered
    once, and the answer is kept by the source's digest, never by the source itself."""
    import sys

    from wheelfit.inspect.pysource import remembered_by_source

    calls: list[int] = []

    @remembered_by_source
    def length(source: str) -> int:
        calls.append(1)
        return len(source)

    source = "x = 1\n" * 100_000 + str(id(calls))  # a new string object
    references = sys.getrefcount(source)
    assert length(source) == length("" + source) == len(source)
    assert len(calls) == 1
    assert sys.getrefcount(source) == references  # not kept by the cache
    for n in range(300):  # bounded: an old answer may be forgotten, never wrong
        assert length(f"y = {n}\n") == len(f"y = {n}\n")
    assert length(source) == len(source)
