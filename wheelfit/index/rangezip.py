"""A read-only, seekable file over HTTP range requests, so zipfile can read one member.

zipfile reads the end-of-central-directory record, then the central directory, then the
member's local header and data; each read becomes one range request for the bytes not yet
held. For a wheel that is typically two or three small requests instead of the whole file.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable

from ..errors import IndexFetchError

# Fetches bytes [start, end] inclusive; returns them and whether the server honoured the
# range (False means it sent the whole file instead).
RangeFetcher = Callable[[int, int], tuple[bytes, bool]]

# The first request takes the tail of the file: the central directory of a wheel with a
# few hundred members fits in it, so most wheels need just one more request for METADATA.
TAIL_BYTES = 64 * 1024
MIN_REQUEST = 16 * 1024


class RangeFile(io.RawIOBase):
    def __init__(self, size: int, fetch: RangeFetcher, max_bytes: int) -> None:
        super().__init__()
        self._size = size
        self._fetch = fetch
        self._max_bytes = max_bytes
        self._pos = 0
        self._chunks: list[tuple[int, bytes]] = []  # (start, data), non-overlapping enough
        self._whole: bytes | None = None
        self.requests = 0
        self.bytes_fetched = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET:
            self._pos = offset
        elif whence == io.SEEK_CUR:
            self._pos += offset
        else:
            self._pos = self._size + offset
        self._pos = max(0, min(self._pos, self._size))
        return self._pos

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        length = min(len(buffer), self._size - self._pos)
        if length <= 0:
            return 0
        data = self._read_range(self._pos, self._pos + length)
        buffer[:length] = data
        self._pos += length
        return length

    def _held(self, start: int, end: int) -> bytes | None:
        if self._whole is not None:
            return self._whole[start:end]
        for chunk_start, data in self._chunks:
            if chunk_start <= start and end <= chunk_start + len(data):
                return data[start - chunk_start : end - chunk_start]
        return None

    def _read_range(self, start: int, end: int) -> bytes:
        held = self._held(start, end)
        if held is not None:
            return held
        if not self._chunks and self._whole is None:
            # first touch: zipfile starts at the end, so take a generous tail
            fetch_start = max(0, min(start, self._size - TAIL_BYTES))
            fetch_end = self._size
        else:
            fetch_start = start
            fetch_end = min(self._size, max(end, start + MIN_REQUEST))
        if self.bytes_fetched + (fetch_end - fetch_start) > self._max_bytes:
            raise IndexFetchError(
                f"reading this archive would take more than {self._max_bytes} bytes"
            )
        data, partial = self._fetch(fetch_start, fetch_end - 1)
        self.requests += 1
        self.bytes_fetched += len(data)
        if not partial:
            if len(data) > self._max_bytes:
                raise IndexFetchError("server ignored the range request and the file is too large")
            self._whole = data
            self._size = len(data)
        else:
            if len(data) != fetch_end - fetch_start:
                raise IndexFetchError("server sent a short range response")
            self._chunks.append((fetch_start, data))
        held = self._held(start, end)
        if held is None:
            raise IndexFetchError("range response did not cover the requested bytes")
        return held


def read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """A member's bytes, inflated a chunk at a time: ``ZipFile.read`` inflates the whole
    stream in one call, so a member declaring 61 bytes could take a gigabyte before zipfile
    cuts it to its declared size. Reading past the declared size fails its CRC check."""
    parts, total = [], 0
    with archive.open(info) as handle:
        while chunk := handle.read(1 << 16):
            total += len(chunk)
            if total > info.file_size:
                raise zipfile.BadZipFile(f"{info.filename} is larger than it says")
            parts.append(chunk)
    return b"".join(parts)


def metadata_member(archive: zipfile.ZipFile, filename: str) -> str:
    """The METADATA of the wheel's .dist-info folder (exactly one, at the top level)."""
    candidates = [
        name
        for name in archive.namelist()
        if name.count("/") == 1 and name.endswith(".dist-info/METADATA")
    ]
    if len(candidates) != 1:
        raise IndexFetchError(
            f"{filename}: expected one .dist-info/METADATA, found {len(candidates)}"
        )
    return candidates[0]
