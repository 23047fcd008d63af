"""What a wheel's compiled files need from the system: read with auditwheel, never loaded.

This is the only module that imports auditwheel. auditwheel has no stable Python API
(pypa/auditwheel#555), so pyproject.toml pins the release whose functions are called here
(``elf_file_filter``, ``elf_read_dt_needed``, ``elf_find_versioned_symbols``) and
tests/test_binaries.py checks them on shared objects compiled at test time.

Each ELF member is copied (at most ``MAX_MEMBER_BYTES``, counted as decompressed) to a file
named by its position in a private temporary folder, never by its path in the archive, and
parsed there; nothing is executed or imported.
"""

from __future__ import annotations

import json
import re
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from ..errors import ArchiveError
from ..index.client import MAX_ARCHIVE_BYTES, IndexClient, file_identity
from ..models import DistFile

AUDITWHEEL_VERSION = "6.8.2"  # the release whose functions are called here (see pyproject)
MAX_MEMBER_BYTES = 256 * 1024 * 1024
MAX_ELF_MEMBERS = 500
_ELF_MAGIC = b"\x7fELF"
_GLIBC_VERSION = re.compile(r"^GLIBC_(\d+)\.(\d+)")
# glibc's own libraries: the image's libc provides them (or, on musl, cannot)
GLIBC_LIBRARIES = re.compile(
    r"^(libc\.so\.6|libm\.so\.6|libpthread\.so\.0|libdl\.so\.2|librt\.so\.1|libutil\.so\.1"
    r"|libresolv\.so\.2|libcrypt\.so\.1|ld-linux[-\w.]*\.so\.\d)$"
)
_MUSL_LIBRARIES = re.compile(r"^(libc\.musl-[\w]+\.so\.1|ld-musl-[\w]+\.so\.1)$")


@dataclass(frozen=True)
class ElfObject:
    """One compiled file of a wheel: the libraries it loads and the glibc it asks for."""

    member: str
    needed: tuple[str, ...]  # DT_NEEDED sonames
    glibc: tuple[int, int] | None  # the newest GLIBC_x.y symbol version it requires

    @property
    def libc(self) -> str | None:
        """Which C library it was linked against: "glibc", "musl", or None if it tells not."""
        if any(_MUSL_LIBRARIES.match(n) for n in self.needed):
            return "musl"
        if self.glibc is not None or "libc.so.6" in self.needed:
            return "glibc"
        return None


@dataclass(frozen=True)
class WheelBinaries:
    objects: tuple[ElfObject, ...]
    members: frozenset[str]  # base names of every file: libraries the wheel ships itself
    skipped: tuple[str, ...] = ()  # ELF members too large (or too broken) to read

    FORMAT = 1

    @property
    def glibc(self) -> tuple[int, int] | None:
        versions = [o.glibc for o in self.objects if o.glibc is not None]
        return max(versions) if versions else None

    @property
    def libc(self) -> str | None:
        kinds = {o.libc for o in self.objects} - {None}
        return "musl" if "musl" in kinds else ("glibc" if kinds else None)

    def system_libraries(self) -> list[str]:
        """Sonames the wheel loads and does not ship, libc's own left out."""
        needed = {n for o in self.objects for n in o.needed}
        return sorted(
            n
            for n in needed
            if n not in self.members
            and not GLIBC_LIBRARIES.match(n)
            and not _MUSL_LIBRARIES.match(n)
            and not n.startswith("libpython")
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "objects": [[o.member, list(o.needed), o.glibc] for o in self.objects],
            "members": sorted(self.members),
            "skipped": list(self.skipped),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> WheelBinaries:
        objects = tuple(
            ElfObject(str(m), tuple(map(str, n)), (int(g[0]), int(g[1])) if g else None)
            for m, n, g in data["objects"]
        )
        return cls(objects, frozenset(map(str, data["members"])), tuple(data["skipped"]))


def inspect_binaries(archive: IO[bytes]) -> WheelBinaries:
    """The ELF files of a wheel (a zip), read statically within size limits."""
    objects: list[ElfObject] = []
    skipped: list[str] = []
    try:
        with zipfile.ZipFile(archive) as wheel, tempfile.TemporaryDirectory() as folder:
            infos = [i for i in wheel.infolist() if not i.is_dir()]
            members = frozenset(i.filename.rsplit("/", 1)[-1] for i in infos)
            for position, info in enumerate(infos):
                if len(objects) >= MAX_ELF_MEMBERS or not _is_elf(wheel, info):
                    continue
                if info.file_size > MAX_MEMBER_BYTES:
                    skipped.append(info.filename)
                    continue
                copy = Path(folder) / f"{position}.elf"
                if not _copy_member(wheel, info, copy):
                    skipped.append(info.filename)
                    continue
                try:
                    parsed = _read_elf(info.filename, copy)
                except Exception:  # pyelftools raises many kinds on a broken file
                    skipped.append(info.filename)
                    parsed = None
                if parsed is not None:
                    objects.append(parsed)
                copy.unlink()
    except (
        zipfile.BadZipFile,
        EOFError,
        OSError,
        ValueError,
        NotImplementedError,
        RuntimeError,
    ) as exc:
        # NotImplementedError: a compression zipfile lacks; RuntimeError: an encrypted member
        raise ArchiveError(f"cannot read the wheel's files ({exc})") from exc
    return WheelBinaries(tuple(objects), members, tuple(skipped))


def _is_elf(wheel: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    if info.file_size < 64 or info.filename.endswith((".py", ".pyi", ".txt", ".json")):
        return False
    with wheel.open(info) as member:
        return member.read(4) == _ELF_MAGIC


def _copy_member(wheel: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path) -> bool:
    """Copy at most MAX_MEMBER_BYTES: a member's declared size can lie (a zip bomb)."""
    written = 0
    with wheel.open(info) as source, path.open("wb") as target:
        while chunk := source.read(1 << 20):
            written += len(chunk)
            if written > MAX_MEMBER_BYTES:
                return False
            target.write(chunk)
    return True


def _read_elf(member: str, path: Path) -> ElfObject | None:
    # imported here: auditwheel and pyelftools are a tenth of the start-up of a run that
    # reads no wheel (stored results)
    from auditwheel.elfutils import elf_file_filter, elf_find_versioned_symbols, elf_read_dt_needed

    try:
        needed = tuple(elf_read_dt_needed(path))
    except ValueError:
        return None  # no dynamic section: a static object or a stray ELF file
    newest: tuple[int, int] | None = None
    for _, elf in elf_file_filter([path]):
        for _library, version in elf_find_versioned_symbols(elf):
            match = _GLIBC_VERSION.match(version)
            if match:
                found = (int(match[1]), int(match[2]))
                newest = found if newest is None else max(newest, found)
    return ElfObject(member, needed, newest)


def wheel_binaries(client: IndexClient, dist: DistFile) -> WheelBinaries:
    """The wheel's ELF facts: downloaded once, cached by the file's identity."""
    return client.submit("binaries", dist.url, lambda: _load(client, dist)).result()


def _load(client: IndexClient, dist: DistFile) -> WheelBinaries:
    identity = file_identity(dist)
    kind = f"binaries-v{WheelBinaries.FORMAT}"
    cached = client.cache.load_blob(kind, identity)
    if cached is not None:
        try:
            return WheelBinaries.from_json(json.loads(cached))
        except (ValueError, TypeError, KeyError, IndexError):
            pass  # an entry from another version of wheelfit: read the wheel again
    with client.download(dist, MAX_ARCHIVE_BYTES) as archive:
        binaries = inspect_binaries(archive)
    data = json.dumps(binaries.to_json()).encode()
    client.writer.submit(lambda: client.cache.store_blob(kind, identity, data))
    return binaries
