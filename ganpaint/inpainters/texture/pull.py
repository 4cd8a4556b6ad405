"""The pull to the guide's low frequencies, kept to the photo's palette, and the fades of the copies away from the border."""

from __future__ import annotations

import numba as nb
import numpy as np

from .pyramid import low_pass_each
from .rows import spread
from .settings import TextureSettings


@nb.njit(cache=True, parallel=True)
def fade_colour(pull, dist, hole, trust):
    """In the hole, in place: the pull's colour (each channel minus the pixels' grey) times exp(-dist / trust)."""
    order = spread(hole.shape[0])
    for i in nb.prange(hole.shape[0]):
        y = order[i]
        for x in range(hole.shape[1]):
            if hole[y, x]:
                t = np.float32(np.exp(-dist[y, x] / trust))
                g = (pull[y, x, 0] + pull[y, x, 1] + pull[y, x, 2]) / np.float32(3)
                for c in range(3):
                    pull[y, x, c] = g + t * (pull[y, x, c] - g)


def palette_density(rgb: np.ndarray, hole: np.ndarray, cfg: TextureSettings) -> np.ndarray:
    """The kept pixels' colour density: a histogram of ``palette_bin`` levels per channel, blurred, its peak 1."""
    hist = _histogram(rgb, hole, 256 // cfg.palette_bin)
    n = hist.shape[0]
    for _ in range(cfg.palette_blur):
        for axis in range(3):
            pad = np.pad(hist, [(1, 1) if a == axis else (0, 0) for a in range(3)])
            hist = 0.25 * pad.take(range(n), axis) + 0.5 * pad.take(range(1, n + 1), axis) + \
                0.25 * pad.take(range(2, n + 2), axis)
    return (hist / max(hist.max(), 1e-12)).astype(np.float32)


@nb.njit(cache=True, parallel=True)
def _histogram(rgb, hole, n):
    """The kept pixels' counts (float32: exact, as a photo has at most 2^24 pixels), counted in parts in parallel."""
    h = hole.shape[0]
    parts = 8
    counts = np.zeros((parts, n, n, n), np.int32)
    step = 256 // n
    for k in nb.prange(parts):
        for y in range(k * h // parts, (k + 1) * h // parts):
            for x in range(hole.shape[1]):
                if not hole[y, x]:
                    counts[k, rgb[y, x, 0] // step, rgb[y, x, 1] // step, rgb[y, x, 2] // step] += 1
    return counts.sum(axis=0).astype(np.float32)


@nb.njit(cache=True, inline="always")
def _cell(v, n):
    """The lower of the two bins around ``v`` (bin centres at (i + 0.5) x 256 / n) and the weight of the upper."""
    c = min(max(v / np.float32(256 / n) - np.float32(0.5), np.float32(0)), np.float32(n - 1))
    i = min(int(c), n - 2)
    return i, np.float32(c - i)


@nb.njit(cache=True, inline="always")
def _density(d, r, g, b):
    """``d`` at the colour (r, g, b), trilinear between bin centres (scalars only: it runs twice per hole pixel)."""
    n = d.shape[0]
    i, fi = _cell(r, n)
    j, fj = _cell(g, n)
    k, fk = _cell(b, n)
    out = np.float32(0)
    for di in range(2):
        for dj in range(2):
            for dk in range(2):
                out += d[i + di, j + dj, k + dk] * (fi if di else 1 - fi) * (fj if dj else 1 - fj) * \
                    (fk if dk else 1 - fk)
    return out


@nb.njit(cache=True, inline="always")
def _rarer(d, r0, g0, b0, r1, g1, b1):
    """How common (r1, g1, b1) is against (r0, g0, b0) in the density ``d``: their ratio, at most 1."""
    tiny = np.float32(1e-6)
    return min((_density(d, r1, g1, b1) + tiny) / (_density(d, r0, g0, b0) + tiny), np.float32(1))


@nb.njit(cache=True, parallel=True)
def add_pull(pull, est, hole, alpha, dens, power):
    """In place, one pass: ``pull`` becomes ``est`` plus ``alpha`` times the pull, which in the hole is first kept to
    the palette (``power`` > 0): times (density of est + pull / density of est)^``power`` where that is below 1."""
    order = spread(hole.shape[0])
    for i in nb.prange(hole.shape[0]):
        y = order[i]
        for x in range(hole.shape[1]):
            p0, p1, p2 = pull[y, x, 0] * alpha, pull[y, x, 1] * alpha, pull[y, x, 2] * alpha
            if power > 0 and hole[y, x]:
                ratio = _rarer(dens, est[y, x, 0], est[y, x, 1], est[y, x, 2], est[y, x, 0] + p0, est[y, x, 1] + p1,
                               est[y, x, 2] + p2)
                if ratio < 1:
                    g = np.float32(ratio if power == 1 else ratio ** power)  # pow was a third of the kernel's time
                    p0, p1, p2 = p0 * g, p1 * g, p2 * g
            pull[y, x, 0], pull[y, x, 1], pull[y, x, 2] = est[y, x, 0] + p0, est[y, x, 1] + p1, est[y, x, 2] + p2


@nb.njit(cache=True, parallel=True)
def soften(out, low, wide, dist, hole, gain, near, band_gain, far):
    """In the hole, in place: the grain (``out`` minus its low-pass ``low``) times a gain falling from 1 at the border
    to ``gain`` over ``near`` px, and the band between ``low`` and the wider low-pass ``wide`` times one falling
    linearly to ``band_gain`` at ``far`` px (one pass, no full-size temporaries: on a 12 MP crop those cost more than
    the rest)."""
    h, w = hole.shape
    order = spread(h)
    for i in nb.prange(h):
        y = order[i]
        for x in range(w):
            if hole[y, x]:
                g = np.float32(1 - (1 - gain) * (1 - np.exp(-dist[y, x] / near)))
                b = np.float32(1 - (1 - band_gain) * min(dist[y, x] / far, 1.0))
                for c in range(3):
                    out[y, x, c] = wide[y, x, c] + b * (low[y, x, c] - wide[y, x, c]) + g * (out[y, x, c] - low[y, x, c])


def lift_veil(out, copied, hole, dens, sigma, cfg: TextureSettings):
    """In the hole, in place: the fades' change (``copied`` to ``out``) undone where, over a Gaussian of ``sigma`` px,
    the hole's pixels were faded to colours rarer (in the density ``dens``) than their copies' by a mean share past
    ``veil_low``, wholly past ``veil_high``."""
    both = np.empty(hole.shape + (2,), np.float32)
    _off_palette(out, copied, hole, dens, both)
    _undo(out, copied, hole, *low_pass_each(both, sigma), np.float32(cfg.veil_low),
          np.float32(cfg.veil_high - cfg.veil_low))


@nb.njit(cache=True, parallel=True)
def _off_palette(out, copied, hole, dens, both):
    """``both[..., 0]``: 1 - (density of ``out`` / density of ``copied``) in the hole, 0 where ``out`` is as common
    and outside; ``both[..., 1]``: the hole as 1 and 0."""
    order = spread(hole.shape[0])
    for i in nb.prange(hole.shape[0]):
        y = order[i]
        for x in range(hole.shape[1]):
            both[y, x, 0] = both[y, x, 1] = 0
            if hole[y, x]:
                both[y, x, 0] = 1 - _rarer(dens, copied[y, x, 0], copied[y, x, 1], copied[y, x, 2], out[y, x, 0],
                                           out[y, x, 1], out[y, x, 2])
                both[y, x, 1] = 1


@nb.njit(cache=True, parallel=True)
def _undo(out, copied, hole, off, near, low, span):
    """In the hole, in place: ``out`` moved back to ``copied`` by the share ``off / near`` past ``low``, over ``span``
    (clipped to 0 .. 1; in float32, one pass without full-size temporaries)."""
    order = spread(hole.shape[0])
    for i in nb.prange(hole.shape[0]):
        y = order[i]
        for x in range(hole.shape[1]):
            if hole[y, x]:
                share = off[y, x] / max(near[y, x], np.float32(1e-6))
                amount = min(max((share - low) / span, np.float32(0)), np.float32(1))
                if amount > 0:
                    for c in range(3):
                        out[y, x, c] += amount * (copied[y, x, c] - out[y, x, c])

