"""Cache writes behind the work that needs the data.

Each page and blob is a temporary file, a write and a rename: done inline, that was I/O on
the path of every fetch. One thread writes what the others fetched; a run waits for the
writes only when it stores its result, and a block that ends normally leaves them done.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor


class CacheWriter:
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled  # False for a cache that stores nothing (--no-cache)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="wf-write")
        self._pending: list[Future[None]] = []
        self._lock = threading.Lock()
        self.error: str | None = None  # the first write that failed, if any

    def submit(self, write: Callable[[], None]) -> None:
        """Run ``write`` on the writer thread. The cache is an aid: a write that fails (a full
        disk) leaves that entry out, and ``error`` says so once."""
        if not self.enabled:
            return
        with self._lock:
            self._pending = [p for p in self._pending if not p.done()]
            self._pending.append(self._pool.submit(self._guarded, write))

    def _guarded(self, write: Callable[[], None]) -> None:
        try:
            write()
        except OSError as exc:
            with self._lock:
                self.error = self.error or (
                    f"the cache folder could not be written ({exc.strerror or exc})"
                )

    def flush(self) -> None:
        """Wait for every write asked for so far."""
        with self._lock:
            pending, self._pending = self._pending, []
        for write in pending:
            write.exception()  # waits; _guarded raises nothing but a cancellation

    def stop(self) -> None:
        """Drop the writes not begun; one being written finishes (its rename is atomic)."""
        self._pool.shutdown(wait=False, cancel_futures=True)
