"""pip's --find-links: a folder of distribution files, one file, or an HTML page of links.

pip reads every location for every project and keeps the files whose names are that
project's (PackageFinder's "non-project-specific" sources); their files join the indexes'.
A local file gets a ``file://`` URL; the client reads those from disk (``local_path``).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from urllib.parse import unquote, urlsplit

from packaging.utils import NormalizedName

from ..errors import IndexFetchError
from ..models import DistFile
from .page import ProjectPage
from .simple import make_dist_file, parse_html_page

_HASH_CHUNK = 1 << 20


@dataclass(frozen=True)
class LocalFile:
    name: str
    path: Path
    size: int


def list_folder(path: Path) -> list[LocalFile]:
    """The regular files of a folder (not its subfolders, as pip), or the file itself."""
    if path.is_file():
        return [LocalFile(path.name, path.resolve(), path.stat().st_size)]
    files = []
    with os.scandir(path) as entries:
        for entry in entries:
            if entry.is_file():
                path = Path(entry.path).resolve()
                files.append(LocalFile(entry.name, path, entry.stat().st_size))
    return sorted(files, key=lambda f: f.name)


def folder_page(files: list[LocalFile], project: NormalizedName) -> ProjectPage:
    """The project's files among a folder's, each hashed: cached facts are keyed by content."""
    dists: list[DistFile] = []
    for local in files:
        if make_dist_file(local.name, local.path.as_uri(), project) is None:
            continue  # another project's file, or a name pip would not read: not hashed
        made = make_dist_file(
            local.name,
            local.path.as_uri(),
            project,
            sha256=_sha256(local.path),
            size=local.size,
        )
        if made is not None:
            dists.append(made)
    return ProjectPage(project, dists)


def is_archive_link(location: str) -> bool:
    """A --find-links URL naming one distribution file (pip takes it as that file's link)."""
    path = urlsplit(location).path.lower()
    return path.endswith((".whl", ".tar.gz", ".zip"))


def archive_link_page(location: str, project: NormalizedName) -> ProjectPage:
    filename = unquote(urlsplit(location).path.rsplit("/", 1)[-1])
    made = make_dist_file(filename, location.split("#", 1)[0], project)
    return ProjectPage(project, [made] if made is not None else [])


def links_page(body: bytes, page_url: str, project: NormalizedName) -> ProjectPage:
    """The project's files among the links of an HTML page (pip reads any page of anchors)."""
    return parse_html_page(body, page_url, project)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def copy_local(path: Path, filename: str, limit: int, in_memory: int) -> IO[bytes]:
    """A --find-links file, copied as a download would be (the caller closes it)."""
    archive = tempfile.SpooledTemporaryFile(max_size=in_memory)  # noqa: SIM115
    try:
        with path.open("rb") as source:
            while chunk := source.read(_HASH_CHUNK):
                if archive.tell() + len(chunk) > limit:
                    raise IndexFetchError(f"{filename} is over the {limit} byte limit")
                archive.write(chunk)
    except OSError as exc:
        archive.close()
        raise IndexFetchError(f"{filename}: {exc.strerror or exc}") from None
    except BaseException:
        archive.close()
        raise
    archive.seek(0)
    return archive
