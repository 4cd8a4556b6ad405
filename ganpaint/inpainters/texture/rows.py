"""Row orders for numba's ``prange``, which hands each thread one contiguous run of the iterations: over rows that
gives one thread the hole's upper part and the other its lower, and a hole that is mostly in one half keeps one core
idle for much of the kernel. ``order = spread(h)``, then ``for i in nb.prange(h): y = order[i]``: every row once, in
blocks of up to 16 rows drawn in turn from ``BANDS`` bands, so each thread's run takes a share of every band and a
block's rows stay together in the cache. Only kernels whose rows are independent use it, so fills never depend on it."""

from __future__ import annotations

import numba as nb
import numpy as np

BANDS = 16  # bands of the image each thread's run draws from


@nb.njit(cache=True)
def spread(h):
    """The rows 0 .. h - 1 in that order."""
    block = max(1, min(16, h // (4 * BANDS)))  # rows a thread takes at a time: 16 from 1024 rows, fewer below
    per = ((h + block - 1) // block + BANDS - 1) // BANDS  # blocks in a band
    order = np.empty(h, np.int64)
    n = 0
    for p in range(BANDS * per):
        start = ((p % BANDS) * per + p // BANDS) * block
        for y in range(start, min(start + block, h)):
            order[n] = y
            n += 1
    return order
