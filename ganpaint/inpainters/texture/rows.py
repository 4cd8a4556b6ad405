"""Row orders for numba's ``prange``, which hands each thread one contiguous run of the iterations: over rows that
gives one thread the hole's upper part and the other its lower, and a hole that is mostly in one half keeps one core
idle for much of the kernel. ``for i in nb.prange(spread(h)): y = spread_row(i, h)`` visits every row once (skip
``y >= h``), in blocks of up to 16 rows drawn in turn from ``BANDS`` bands, so each thread's run takes a share of
every band and a block's rows stay together in the cache. Results never depend on the order: only kernels whose rows
are independent use it."""

from __future__ import annotations

import numba as nb

BANDS = 16  # bands of the image each thread's run draws from


@nb.njit(cache=True, inline="always")
def _block(h):
    return max(1, min(16, h // (4 * BANDS)))  # rows a thread takes at a time: 16 from 1024 rows, fewer below


@nb.njit(cache=True, inline="always")
def _blocks_per_band(h):
    return ((h + _block(h) - 1) // _block(h) + BANDS - 1) // BANDS


@nb.njit(cache=True, inline="always")
def spread(h):
    """How many iterations cover ``h`` rows (a few more than h; the extra ones map past the last row)."""
    return BANDS * _blocks_per_band(h) * _block(h)


@nb.njit(cache=True, inline="always")
def spread_row(i, h):
    """The row of iteration ``i`` (h or more: none)."""
    per, block = _blocks_per_band(h), _block(h)
    p = i // block
    return ((p % BANDS) * per + p // BANDS) * block + i % block
