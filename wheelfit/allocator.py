"""Giving memory the process has freed back to the system, where the C library allows it.

glibc keeps what a thread frees in that thread's malloc arena, as holes the process goes on
holding. A run's fetch and parse threads free most of what they make (page bodies, decoded
chunks, parse structures) before its last stages make the run's last data (the Debian file
indexes, sdist inspections, wheel file lists), which is where its memory peaks; the holes
left by then are counted in that peak. malloc_trim hands back every whole free page of
every arena without changing how the allocator works for the rest of the process (the
library must leave the host's settings alone; the wheelfit command also limits glibc to one
arena, cli/process.py).
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Callable
from functools import cache


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's malloc_trim, or None elsewhere (musl, macOS, Windows)."""
    try:
        if not os.confstr("CS_GNU_LIBC_VERSION"):
            return None
        trim: Callable[[int], int] = ctypes.CDLL(None).malloc_trim
    except (AttributeError, OSError, ValueError):  # no confstr, no such name, no symbol
        return None
    return trim


def give_back_freed_memory() -> bool:
    """Return the free pages of glibc's arenas to the system; whether it could."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
