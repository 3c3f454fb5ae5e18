"""Fewer glibc malloc arenas for the API process: the same traffic, a flatter RSS.

glibc gives threads their own arenas (up to 8 per core). The API's routes run in a thread pool, and a large block
(a response body, a dict's table) freed in one thread's arena is reused only by threads on that arena: over a long
run each arena grows to its own peak and the free space in all of them stays resident. In process, under
bench/load.py's mix (bench/api_heap.py), glibc's free bytes went from ~9 to ~18 MiB over 24 rounds with the default,
and stayed at ~4-5 MiB with two arenas. Python objects of up to 512 bytes come from pymalloc, which is not affected.
"""

from __future__ import annotations

import ctypes
import os
import platform

ARENAS = 2
_M_ARENA_MAX = -8  # mallopt's parameter number in glibc's malloc.h


def limit_malloc_arenas(arenas: int = ARENAS) -> bool:
    """Cap glibc's arenas for threads started from now on, unless MALLOC_ARENA_MAX already says how many (glibc
    reads it itself). Returns whether the cap was set; a no-op off glibc."""
    if "MALLOC_ARENA_MAX" in os.environ or platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        libc = ctypes.CDLL(None)
        return bool(libc.mallopt(_M_ARENA_MAX, arenas))
    except (OSError, AttributeError):
        return False
