"""Requirement files as they were at a git revision, for `wheelfit diff --base REF FILE...`.

The folders holding the files are exported with `git archive` into a temporary folder, so
`-r`/`-c` includes beside them resolve as they did at that revision; includes elsewhere in the
repository (`-r ../base.txt`) are then fetched one by one, following their own includes. A
file that did not exist there reads as empty (everything in it is new).
"""

from __future__ import annotations

import io
import posixpath
import re
import subprocess
import tarfile
from pathlib import Path

from ..errors import UserError


def _git(args: list[str], cwd: Path) -> bytes:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    except OSError as exc:
        raise UserError(f"--base needs git: {exc.strerror or exc}") from None
    if done.returncode:
        message = done.stderr.decode(errors="replace").strip().splitlines()
        raise UserError(f"git {' '.join(args)}: {message[-1] if message else 'failed'}")
    return done.stdout


def files_at_revision(revision: str, paths: list[str], into: Path) -> tuple[list[str], list[str]]:
    """(paths of the old copies, warnings) for ``paths`` as of ``revision``."""
    here = Path.cwd()
    top = Path(_git(["rev-parse", "--show-toplevel"], here).decode().strip())
    _git(["rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}"], top)
    relative = []
    for path in paths:
        try:
            relative.append(Path(path).resolve().relative_to(top.resolve()))
        except ValueError:
            raise UserError(f"{path} is not inside the git repository at {top}") from None
        except (OSError, RuntimeError) as exc:  # a symlink loop, a name too long
            raise UserError(f"{path}: cannot resolve the path ({exc})") from None
    for folder in sorted({str(r.parent) for r in relative}):
        try:
            archive = _git(["archive", "--format=tar", revision, "--", folder], top)
        except UserError:
            continue  # the folder did not exist then: its files read as empty below
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(into, filter="data")
    _fetch_includes(revision, top, into, [r.as_posix() for r in relative])
    copies, warnings = [], []
    for rel, shown in zip(relative, paths, strict=True):
        copy = into / rel
        if not copy.is_file():
            copy.parent.mkdir(parents=True, exist_ok=True)
            copy.write_text("")
            warnings.append(f"{shown} did not exist at {revision}: everything in it is new")
        copies.append(str(copy))
    return copies, warnings


# pip's include options, with the file as the next word or joined (-rbase.txt, --requirement=x)
_INCLUDE = re.compile(r"^\s*(?:-r|-c|--requirement|--constraint)(?:\s*=\s*|\s*)(\S+)", re.M)


def _fetch_includes(revision: str, top: Path, into: Path, roots: list[str]) -> None:
    """Export, as of ``revision``, the files the exported ones include that the folder
    export missed (and what those include in turn)."""
    queue, seen = list(roots), set(roots)
    while queue:
        path = queue.pop()
        copy = into / path
        if not copy.is_file():
            try:
                text = _git(["show", f"{revision}:{path}"], top)
            except UserError:
                continue  # not there at that revision: the reader reports it as missing
            copy.parent.mkdir(parents=True, exist_ok=True)
            copy.write_bytes(text)
        for target in _INCLUDE.findall(copy.read_text(encoding="utf-8", errors="replace")):
            if "://" in target or target.startswith("/"):
                continue  # a URL or an absolute path is read as it is, not from git
            included = posixpath.normpath(posixpath.join(posixpath.dirname(path), target))
            if included == ".." or included.startswith("../") or included in seen:
                continue  # outside the repository, or already queued
            seen.add(included)
            queue.append(included)
