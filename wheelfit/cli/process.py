"""What the command does to its own process: exit codes, the malloc arena, the collector."""

from __future__ import annotations

import ctypes
import gc
import os
import platform
import sys
from typing import NoReturn

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it


# A malloc setting for the wheelfit command; the library API leaves the process alone.
#
# glibc gives each thread that allocates concurrently a malloc arena of its own (up to eight
# per core). wheelfit's fetch and parse threads each leave freed memory behind in theirs, and
# one resolution's freed state is not reused by the next target's thread: on a 1,000-package
# file for three images the peak RSS was 487 MB with live Python objects peaking at 270 MB,
# and 313 MB with a single arena, for the same time (tracemalloc and /usr/bin/time, see
# docs/benchmarks.md).

_M_ARENA_MAX = -8  # from glibc's malloc.h


def use_one_malloc_arena() -> bool:
    """Limit glibc to one malloc arena, unless MALLOC_ARENA_MAX says otherwise.

    Must run before the threads start. Returns whether the setting was applied; elsewhere
    (musl, macOS, Windows) it does nothing.
    """
    if platform.system() != "Linux" or "MALLOC_ARENA_MAX" in os.environ:
        return False
    if platform.libc_ver()[0] != "glibc":
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(_M_ARENA_MAX, 1))


# A garbage collector setting for the wheelfit command, too. Parsing pages makes millions of
# short-lived tuples, and the collector's default first threshold (700 allocations) runs it
# over and over: awx on three images from a warm cache (offline, stored results removed),
# 5 alternated runs, 2.54 s against 2.19 s with 10,000, the same peak memory; the 714-pin
# file's peak did not move either. A cold run waits on the index and gained nothing measurable.
GC_FIRST_THRESHOLD = 10_000


def collect_garbage_less_often() -> None:
    """Raise the collector's first threshold (the older generations' are kept)."""
    _, second, third = gc.get_threshold()
    gc.set_threshold(GC_FIRST_THRESHOLD, second, third)


def exit_at_once(code: int) -> NoReturn:
    """Exit without taking the interpreter down object by object.

    When the command returns, its output is written and closed and analyze() has waited
    for the cache writes; what is left is freeing the run's objects one by one and joining
    idle pool threads: 70 ms of a 3 s cold run of awx. A standard stream that cannot be
    flushed (a closed pipe) takes the normal exit, which reports it as before.
    """
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except Exception:  # whatever it is, the normal exit reports it
        sys.exit(code)
    os._exit(code)
