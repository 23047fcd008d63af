"""Hostile archives: refused with a reason, or read within fixed memory and bounded reads.

The sdist reader streams members and reads only capped prefixes of text and source files,
so a bomb costs its header checks, not its expanded size. Each case measures peak Python
memory (tracemalloc) and wall time around the inspection.
"""

from __future__ import annotations

import gzip
import io
import tarfile
import tracemalloc
import zipfile
from collections.abc import Callable

import pytest

from wheelfit.errors import ArchiveError
from wheelfit.inspect import sdist as sdist_module
from wheelfit.inspect.sdist import SdistInfo, inspect_sdist

MAX_PEAK_BYTES = 80 * 1024 * 1024


def tar_gz(members: list[tuple[tarfile.TarInfo, bytes | None]]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", compresslevel=1) as archive:
        for info, data in members:
            archive.addfile(info, io.BytesIO(data) if data is not None else None)
    return buffer.getvalue()


def member(
    name: str, data: bytes = b"", kind: bytes = tarfile.REGTYPE, link: str = ""
) -> tuple[tarfile.TarInfo, bytes | None]:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = link
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    return info, data if kind == tarfile.REGTYPE else None


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def bounded(work: Callable[[], object]) -> object:
    """Run ``work`` and check its peak memory; returns its result or exception."""
    tracemalloc.start()
    try:
        outcome: object = work()
    except ArchiveError as exc:
        outcome = exc
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert peak < MAX_PEAK_BYTES, f"peak {peak / 1e6:.0f} MB"
    return outcome


SETUP = b"from setuptools import setup, Extension\nsetup(ext_modules=[Extension('a', [])])\n"
HUGE = 300 * 1024 * 1024  # what each bomb would expand to


def _refusals() -> list[tuple[str, str, bytes, str]]:
    zeros = b"\0" * (HUGE // 30)  # compressed to a few hundred KB; tarfile writes it as given
    return [
        ("tar: traversal", "p-1.tar.gz", tar_gz([member("p-1/../../etc/x", b"x")]), "unsafe"),
        ("tar: absolute path", "p-1.tar.gz", tar_gz([member("/etc/cron.d/x", b"x")]), "unsafe"),
        (
            "tar: symlink out",
            "p-1.tar.gz",
            tar_gz([member("p-1/l", kind=tarfile.SYMTYPE, link="../../../etc/passwd")]),
            "outside",
        ),
        (
            "tar: absolute symlink",
            "p-1.tar.gz",
            tar_gz([member("p-1/l", kind=tarfile.SYMTYPE, link="/etc/passwd")]),
            "outside",
        ),
        (
            "tar: hard link out",
            "p-1.tar.gz",
            tar_gz([member("p-1/h", kind=tarfile.LNKTYPE, link="../../etc/shadow")]),
            "outside",
        ),
        (
            "tar: member over the unpacked limit",
            "p-1.tar.gz",
            tar_gz([member("p-1/setup.py", SETUP), member("p-1/big.bin", zeros)]),
            "unpacks to more than",
        ),
        (
            "tar: too many members",
            "p-1.tar.gz",
            tar_gz([member(f"p-1/f{i}.py") for i in range(2001)]),
            "members",
        ),
        ("zip: traversal", "p-1.zip", zip_bytes({"../evil.py": b"x"}), "unsafe"),
        ("zip: absolute path", "p-1.zip", zip_bytes({"/tmp/evil.py": b"x"}), "unsafe"),
        (
            "zip: member over the unpacked limit",
            "p-1.zip",
            zip_bytes({"p-1/setup.py": SETUP, "p-1/big.bin": zeros}),
            "unpacks to more than",
        ),
        ("gzip: garbage stream", "p-1.tar.gz", b"\x1f\x8b\x08\x00" + b"\xff" * 64, "archive"),
        (
            "gzip: cut in half",
            "p-1.tar.gz",
            tar_gz([member("p-1/setup.py", SETUP * 2000)])[:400],
            "archive",
        ),
        ("tar: not an archive", "p-1.tar.gz", gzip.compress(b"hello" * 100), "archive"),
        ("zip: not a zip", "p-1.zip", b"PK\x03\x04" + b"\0" * 40, "archive"),
        (
            "zip: central directory cut",
            "p-1.zip",
            zip_bytes({"p-1/setup.py": SETUP})[:-30],
            "archive",
        ),
    ]


@pytest.mark.parametrize(
    ("case", "filename", "data", "says"), _refusals(), ids=[c[0] for c in _refusals()]
)
def test_hostile_archives_are_refused_with_a_reason(
    case: str, filename: str, data: bytes, says: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # limits scaled down so the bombs stay small on disk: the checks are the same
    monkeypatch.setattr(sdist_module, "MAX_UNPACKED_BYTES", 8 * 1024 * 1024)
    monkeypatch.setattr(sdist_module, "MAX_MEMBERS", 2000)
    outcome = bounded(lambda: inspect_sdist(filename, data))
    assert isinstance(outcome, ArchiveError), f"{case}: accepted"
    assert says in str(outcome), f"{case}: {outcome}"


def test_huge_members_are_read_only_in_capped_prefixes(monkeypatch: pytest.MonkeyPatch) -> None:
    """A 300 MB setup.py and a 300 MB C file: inspected, reading only capped prefixes."""
    taken: dict[str, list[int]] = {}  # the sizes of the reads made of each member taken
    take = sdist_module._take

    def counting(info: SdistInfo, wanted: str, read: Callable[[int], bytes]) -> None:
        sizes = taken.setdefault(wanted, [])

        def counted(size: int) -> bytes:
            data = read(size)
            sizes.append(len(data))
            return data

        take(info, wanted, counted)

    monkeypatch.setattr(sdist_module, "_take", counting)
    zeros = b" " * HUGE
    data = tar_gz(
        [
            member("p-1/setup.py", SETUP + zeros),
            member("p-1/src/a.c", b"int x;\n" + zeros),
            member("p-1/dev", kind=tarfile.CHRTYPE),
            member("p-1/fifo", kind=tarfile.FIFOTYPE),
        ]
    )
    info = bounded(lambda: inspect_sdist("p-1.tar.gz", data))
    assert isinstance(info, SdistInfo)
    assert len(info.texts["setup.py"]) <= sdist_module.MAX_TEXT_BYTES
    assert info.native()[0] is True
    assert info.source_lines["C"] == 1  # counted in the first 16 MB only
    # two members read (not the device, not the FIFO), each only up to its cap, 1 MB at most
    # a read for a source file
    setup, source = taken.pop("setup.py"), taken.pop("<source>C:src/a.c")
    assert not taken
    assert sum(setup) <= sdist_module.MAX_TEXT_BYTES
    assert sum(source) == sdist_module.MAX_SOURCE_COUNT_BYTES
    assert max(source[1:]) <= 1 << 20
