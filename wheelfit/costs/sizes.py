"""Installed sizes: wheels from their zip directory, source builds by estimate.

A wheel's members are listed with their uncompressed sizes in the zip's central directory
(read by range requests, see index.client); pip copies them and compiles every .py file to
bytecode, which adds about 1.2 times the source's size (measured by
tools/measure_installs.py, see docs/costs.md).
"""

from __future__ import annotations

import gzip
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache, cached_property, lru_cache
from typing import Any

from .. import kb
from ..inspect.sdist import SdistInfo

# .pyc bytes per .py byte pip adds (CPython 3.11): median over 29 wheels with over 50 kB of
# .py, every other row of data/builds/installs-2026-11-27.tsv (tools/measure_installs.py)
BYTECODE_RATIO = 1.23


def is_vendored_library(member: str) -> bool:
    """auditwheel's folder of bundled shared libraries: <name>.libs/ at the wheel's top."""
    top = member.split("/", 1)[0]
    return top.endswith(".libs") and "/" in member


def split_members(members: Iterable[tuple[str, int]]) -> tuple[int, int, int]:
    """(bytes of .py files, bytes of vendored libraries, bytes of everything else)."""
    python = vendored = other = 0
    for name, size in members:
        if name.endswith(".py"):
            python += size
        elif is_vendored_library(name):
            vendored += size
        else:
            other += size
    return python, vendored, other


def installed_bytes(python_bytes: int, other_bytes: int) -> int:
    """What pip adds: the files themselves, plus the bytecode it compiles from the .py ones."""
    return round(python_bytes * (1 + BYTECODE_RATIO)) + other_bytes


def wheel_installed_bytes(members: Iterable[tuple[str, int]]) -> int:
    """What pip adds to site-packages for this wheel, bytecode included."""
    py, vendored, other = split_members(members)
    return installed_bytes(py, vendored + other)


# -- system packages ----------------------------------------------------------------------


@dataclass(frozen=True)
class DebianPackage:
    installed_kib: int
    depends_line: str  # as the table has it: a run follows a few hundred of 4,700 packages

    @cached_property
    def depends(self) -> tuple[tuple[str, ...], ...]:
        """Groups of alternatives."""
        groups = self.depends_line.split(",")
        return tuple(tuple(map(str.strip, group.split("|"))) for group in groups if group.strip())


@kb.loaded_once
def debian_table(release: str) -> tuple[dict[str, DebianPackage], dict[str, tuple[str, ...]]]:
    """Packages of a Debian release (those wheelfit may install and their dependencies)."""
    packages: dict[str, DebianPackage] = {}
    providers: dict[str, list[str]] = {}
    text = gzip.decompress(kb.read_bytes(f"costs/debian-{release}.tsv.gz")).decode()
    lines = text.splitlines()
    # plain splits (the file has no quoting), not csv.DictReader: bookworm's table loads in
    # 0.026 s against 0.034 s, once or twice in every run, on the GIL
    columns = lines[0].split("\t")
    at = [columns.index(name) for name in ("package", "installed_kib", "depends", "provides")]
    for line in lines[1:]:
        cells = line.split("\t")
        if len(cells) < len(columns):
            continue
        name, kib, depends, provides = (cells[i] for i in at)
        packages[name] = DebianPackage(int(kib or 0), depends)
        for provided in filter(None, map(str.strip, provides.split(","))):
            providers.setdefault(provided, []).append(name)
    return packages, {k: tuple(v) for k, v in providers.items()}


@dataclass
class Closure:
    """What apt would add: packages, their Installed-Size, and names it could not size."""

    packages: list[str] = field(default_factory=list)
    kib: int = 0
    unknown: list[str] = field(default_factory=list)


@lru_cache(maxsize=64)
def _present(release: str, installed: frozenset[str]) -> frozenset[str]:
    """The installed packages and the names they provide: the same few images' lists are
    asked about for every package (it was a scan of every provided name per package)."""
    providers = debian_table(release)[1]
    return installed | {name for name, by in providers.items() if not installed.isdisjoint(by)}


def apt_closure(release: str, wanted: Iterable[str], installed: Iterable[str]) -> Closure:
    """The packages ``apt-get install --no-install-recommends wanted`` adds to an image.

    Depends and Pre-Depends are followed; of a group of alternatives the first one present
    counts, else the first that exists (or provides the name), as apt picks by default.
    """
    packages, providers = debian_table(release)
    present = set(_present(release, frozenset(installed)))
    result = Closure()
    todo = list(wanted)
    while todo:
        name = todo.pop(0)
        if name in present:
            continue
        real = name if name in packages else next(iter(providers.get(name, ())), None)
        if real is None:
            result.unknown.append(name)
            present.add(name)
            continue
        present.update({name, real})
        result.packages.append(real)
        result.kib += packages[real].installed_kib
        for group in packages[real].depends:
            if not any(alt in present for alt in group):
                todo.append(group[0])
    return result


@cache
def alpine_factor() -> float:
    return float(kb.load_json("costs/alpine_sizes.json")["factor"])


@cache
def _alpine_to_debian() -> dict[str, str]:
    table = kb.load_json("sysdeps/debian_to_alpine.json")
    reverse: dict[str, str] = {}
    for section in ("build", "runtime"):
        for debian, apks in table.get(section, {}).items():
            for apk in apks:
                reverse.setdefault(apk, debian)
    return reverse


def apk_closure_estimate(wanted: Iterable[str], debian_installed: Iterable[str]) -> Closure:
    """apk sizes are not published: the Debian trixie counterparts' closure x a fitted factor."""
    reverse = _alpine_to_debian()
    counterparts, unknown = [], []
    for name in wanted:
        if name in reverse:
            counterparts.append(reverse[name])
        else:
            unknown.append(name)
    closure = apt_closure("trixie", counterparts, debian_installed)
    return Closure(list(wanted), round(closure.kib * alpine_factor()), unknown + closure.unknown)


def estimated_base_bytes(release: str, packages: Iterable[str]) -> int | None:
    """An image with no published size: the Installed-Size of its packages (an upper bound
    of sorts: the images drop documentation). None when a package is not in the table."""
    table, _ = debian_table(release)
    names = list(packages)
    if not names or any(name not in table for name in names):
        return None
    return sum(table[name].installed_kib for name in names) * 1024


@cache
def base_image(kind: str, release: str) -> dict[str, Any] | None:
    entry = kb.load_json("costs/base_images.json")["images"].get(f"{kind}:{release}")
    return entry if isinstance(entry, dict) else None


def sdist_installed_bytes(info: SdistInfo) -> int:
    """A source build with no wheel to compare: its Python files plus compiled code.

    Compiled size per line of native source is the median over the measured projects' own
    wheels (data/costs/build_model.json); Cython lines expand to about ten lines of C.
    """
    needs_compiler, languages, _ = info.native()
    if not needs_compiler:
        return installed_bytes(info.python_bytes, 0)
    lines = sum(info.source_lines.get(x, 0) for x in ("C", "C++", "Fortran") if x in languages)
    if "Cython" in languages:
        lines += 10 * info.untranslated_cython_lines
    per_line = float(kb.load_json("costs/build_model.json")["compiled_bytes_per_line"]["median"])
    return installed_bytes(info.python_bytes, round(lines * per_line))
