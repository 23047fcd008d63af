"""Giving freed memory back: glibc keeps freed blocks below the heap's top until trimmed."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

GLIBC = hasattr(os, "confstr") and bool(os.confstr("CS_GNU_LIBC_VERSION") or "")

_PROGRAM = """
from wheelfit.pipeline import give_back_freed_memory

def rss_mb():
    with open("/proc/self/status") as status:
        return next(int(l.split()[1]) for l in status if l.startswith("VmRSS")) // 1024

# 100 KB blocks come from malloc's heap (below its 128 KB mmap threshold); the last one,
# kept, holds the heap's top, so freeing the others leaves holes only a trim gives back
blocks = [bytearray(100_000) for _ in range(600)]
kept = blocks[-1]
del blocks
before = rss_mb()
print(give_back_freed_memory(), before, rss_mb())
"""


@pytest.mark.skipif(not GLIBC, reason="malloc_trim is glibc's")
def test_freed_heap_memory_goes_back_to_the_system() -> None:
    result = subprocess.run(
        [sys.executable, "-c", _PROGRAM], capture_output=True, text=True, check=True
    )
    done, before, after = result.stdout.split()
    assert done == "True"
    assert int(before) - int(after) >= 40, result.stdout  # 60 MB freed in the heap
