"""Large buffers kept in glibc's heap between fills."""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
import platform

# glibc gives a freed buffer of over 32 MB back to the kernel, and a 2048² fill makes dozens: each fill then paid about
# 25 000 page faults (0.1-0.5 s on 2 cores). Kept in the heap (until more than HEAP_KEEP bytes are free at its top),
# the next fill reuses them. Process-wide; GANPAINT_MALLOC=system leaves malloc as it is.
HEAP_KEEP = 2 * 2**30


@functools.cache
def keep_freed_memory() -> bool:
    """Large buffers from glibc's heap, kept there once freed (``HEAP_KEEP``); False where that is not glibc or the
    environment says ``GANPAINT_MALLOC=system``."""
    if os.environ.get("GANPAINT_MALLOC") == "system" or platform.system() != "Linux" or \
            platform.libc_ver()[0] != "glibc":
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return False
    m_trim_threshold, m_mmap_max = -1, -4  # malloc.h
    return bool(libc.mallopt(m_mmap_max, 0)) and bool(libc.mallopt(m_trim_threshold, HEAP_KEEP))

