"""Loads wheelfit's shipped data (the knowledge base) and checks it on load."""

from __future__ import annotations

import codecs
import functools
import json
import os
import threading
from collections.abc import Callable
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from .errors import KnowledgeBaseError

if TYPE_CHECKING:
    from zlib import _Decompress as Decompress

T = TypeVar("T")


def _data_dir() -> Path:
    # WHEELFIT_DATA_DIR: another copy of the knowledge base (to measure a variant of it).
    # An installed wheel carries the data as wheelfit/data (hatch force-include); a source
    # checkout keeps it at the top level, beside the package.
    override = os.environ.get("WHEELFIT_DATA_DIR")
    if override:
        return Path(override)
    packaged = Path(str(resources.files("wheelfit"))) / "data"
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parent.parent / "data"
    if checkout.is_dir():
        return checkout
    raise KnowledgeBaseError("wheelfit's data folder is missing: reinstall wheelfit")


def loaded_once(load: Callable[[str], T]) -> Callable[[str], T]:
    """Cache a table loader so that targets analysed in parallel threads load it once.

    functools.cache lets every thread that arrives before the first result compute it too:
    with three targets, the large tables were parsed up to three times.
    """
    lock = threading.Lock()
    results: dict[str, T] = {}

    @functools.wraps(load)
    def wrapper(name: str) -> T:
        with lock:
            if name not in results:
                results[name] = load(name)
            return results[name]

    return wrapper


def data_dir() -> Path:
    """Where the knowledge base in use lives (the wheel's copy, a checkout's, or an override)."""
    return _data_dir()


@loaded_once
def load_json(name: str) -> Any:
    path = _data_dir() / name
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise KnowledgeBaseError(f"cannot read {path}: {exc}") from exc


def read_bytes(name: str) -> bytes:
    path = _data_dir() / name
    try:
        return path.read_bytes()
    except OSError as exc:
        raise KnowledgeBaseError(f"cannot read {path}: {exc}") from exc


def inflate_pieces(inflate: Decompress, data: bytes | memoryview) -> list[str]:
    """Deflated UTF-8 text, inflated by ``inflate`` and decoded a piece at a time: a
    release's file index inflated at once is a bytes object of megabytes freed right away,
    which raises malloc's mmap threshold for the rest of the run (index/bigbytes.py says why
    that costs; the caller joins the pieces once). Raises zlib.error or UnicodeDecodeError
    on bad data; the caller checks ``inflate.eof`` when the data should end the stream."""
    decode = codecs.getincrementaldecoder("utf-8")()
    pieces = []
    while data and not inflate.eof:  # at the end, what follows the stream stays unread
        pieces.append(decode.decode(inflate.decompress(data, _PIECE)))
        data = inflate.unconsumed_tail
    pieces.append(decode.decode(inflate.flush(), final=True))
    return pieces


_PIECE = 64 * 1024


@cache
def image_profiles() -> dict[str, Any]:
    document = load_json("images.json")
    if not isinstance(document, dict):
        raise KnowledgeBaseError("images.json: expected an object")
    for key in ("defaults", "variants"):
        if key not in document:
            raise KnowledgeBaseError(f"images.json: missing {key!r}")
    for variant in document["variants"]:
        for key in ("suffix", "kind", "libc", "libc_version", "has_compiler", "python_versions"):
            if key not in variant:
                raise KnowledgeBaseError(f"images.json: variant lacks {key!r}: {variant}")
    return document
