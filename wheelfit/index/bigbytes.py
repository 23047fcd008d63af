"""Large transient bytes (project pages, up to tens of MB) kept out of malloc's heaps.

glibc's malloc serves a block of 128 KB or more with its own mmap, and gives it back when
it is freed; but freeing one raises that threshold to the block's size. After the first
large page is freed, every block up to its size comes from malloc's heaps (one per thread),
and each page freed there leaves a hole the process keeps. The 714-pin file through the
library peaked at 315 MB offline and 358 MB cold; 272 MB and 321 MB once pages were read as
here and a release's file index inflated a piece at a time (now kb.inflate_pieces).

So a large page is read into memory mapped for it alone (``mmap`` of no file), handed on as
a memoryview, and given back to the system when the last view of it goes. Whoever takes a
body of this module reads it through the buffer protocol (msgspec, hashlib, file writes,
``str(body, "utf-8")``), never as ``bytes`` methods. Small bodies stay ``bytes``.
"""

from __future__ import annotations

import mmap
from collections.abc import Iterable
from io import BufferedReader

# glibc's initial mmap threshold: below it, malloc's heaps are where bytes belong anyway
LARGE = 128 * 1024

Bytes = bytes | memoryview  # a body: small ones bytes, large ones a view of their own mapping


def joined(chunks: Iterable[bytes]) -> Bytes:
    """The chunks as one body (each chunk is at most a few hundred KB)."""
    parts = list(chunks)
    size = sum(map(len, parts))
    if size < LARGE:
        return b"".join(parts)
    mapped = mmap.mmap(-1, size)
    for part in parts:
        mapped.write(part)
    return memoryview(mapped)


def read_rest(handle: BufferedReader, size: int) -> Bytes:
    """What is left of an open file, ``size`` bytes by its length when opened.

    Copied into a mapping of no file rather than mapping the file itself: a file truncated
    by another process while mapped would kill this one with SIGBUS.
    """
    if size < LARGE:
        return handle.read()
    mapped = mmap.mmap(-1, size)
    view = memoryview(mapped)
    got = handle.readinto(view) or 0
    # a file that changed since it was measured reads short or cut: its checksum refuses it
    return view if got == size else view[:got]
