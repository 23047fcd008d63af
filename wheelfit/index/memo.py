"""Work done once per (kind, key) for every thread that asks: pages, METADATA, file lists."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


class Memo:
    def __init__(self) -> None:
        self._futures: dict[tuple[str, str], Future[Any]] = {}
        self._lock = threading.Lock()

    def __contains__(self, kind_key: object) -> bool:
        return kind_key in self._futures

    def once(
        self,
        kind: str,
        key: str,
        work: Callable[[], T],
        pool: ThreadPoolExecutor,
        *,
        keep: bool = True,
    ) -> Future[T]:
        """``work`` run on ``pool`` once for all who ask while it runs; also for those who
        ask after it is done when ``keep``, else it is forgotten then."""
        with self._lock:
            known: Future[T] | None = self._futures.get((kind, key))
            if known is not None:
                return known
            future = pool.submit(work)
            self._futures[(kind, key)] = future
        if not keep:  # outside the lock: a future already done calls back right here
            future.add_done_callback(lambda done: self._forget((kind, key), done))
        return future

    def remember(self, kind: str, key: str, value: object) -> None:
        """An answer found on the way (a wheel's file list, read for its METADATA)."""
        known: Future[object] = Future()
        known.set_result(value)
        with self._lock:
            self._futures.setdefault((kind, key), known)

    def _forget(self, kind_key: tuple[str, str], future: Future[Any]) -> None:
        with self._lock:
            if self._futures.get(kind_key) is future:
                del self._futures[kind_key]
