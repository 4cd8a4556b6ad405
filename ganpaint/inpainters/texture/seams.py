"""Seams between copies: the step there becomes one a source has (Perez et al. 2003), spread by a screened Poisson solve."""

from __future__ import annotations

import cv2
import numba as nb
import numpy as np

from .pyramid import paste
from .rows import spread
from .settings import TextureSettings

STEPS = np.array([[0, 1], [0, -1], [1, 0], [-1, 0]])  # a pixel's four neighbours (a constant, not a setting)


def seam_correction(out, rgb, known, hole, top, cfg: TextureSettings) -> np.ndarray:
    """The change the seams ask for (0 outside the hole): a step like the photo's own edges blended where it is, the
    rest spread far."""
    far, near, where = _seam_steps(out, known, hole, top, _edge_steps(rgb, hole, cfg), cfg.seam_limit)
    c = poisson(far, hole, cfg.seams, cfg.seam_cycles, cfg.seam_sweeps)
    if where.any():  # a photo without such edges (a sky) skips the second solve
        # It spreads a few pixels: Gauss-Seidel sweeps reach that far, and the full multigrid cost 140 ms at 2048².
        # A red-black sweep moves a change at most 2 px, so farther from where ``near`` is not 0 the solution stays
        # 0: the sweeps skip those pixels (two thirds of the hole on a 2048² photo with a hard mask), and only the
        # pixels they update or read are zeroed first (a whole 2048² buffer zeroed cost 11 ms).
        reach = 2 * cfg.seam_local_sweeps
        read = cv2.dilate(where, np.ones((2 * reach + 3,) * 2, np.uint8)).view(np.bool_)
        update = cv2.dilate(where, np.ones((2 * reach + 1,) * 2, np.uint8)).view(np.bool_) & hole
        local = np.empty_like(near)
        paste(local, np.zeros((1, 1, 3), np.float32), read, True)
        _smooth(local, near, hole, np.float32(cfg.seam_local), cfg.seam_local_sweeps, update)
        _add_where(c, local, update)
    return c


def _edge_steps(rgb: np.ndarray, hole: np.ndarray, cfg: TextureSettings) -> np.ndarray:
    """How large a step the photo has near each kept pixel: the largest range (max minus min, summed over RGB) of a
    3x3 window of kept pixels within ``seam_near`` px, less ``seam_floor`` (uint16; uint8 morphology is the fast one:
    a 2048² photo in about 30 ms)."""
    window = np.ones((3, 3), np.uint8)
    high, low = rgb.copy(), rgb.copy()
    paste(high, np.zeros((1, 1, 3), np.uint8), hole, True)  # hole pixels raise no max ...
    paste(low, np.full((1, 1, 3), 255, np.uint8), hole, True)  # ... and lower no min
    r, g, b = cv2.split(cv2.subtract(cv2.dilate(high, window), cv2.erode(low, window)))  # saturates: 0 if all hole
    span = cv2.add(cv2.add(r, g, dtype=cv2.CV_16U), b, dtype=cv2.CV_16U)
    span = cv2.dilate(span, np.ones((2 * cfg.seam_near + 1,) * 2, np.uint8))
    return cv2.subtract(span, int(cfg.seam_floor))


@nb.njit(cache=True, inline="always")
def _misfit(known, out, ay, ax, by, bx, qy, qx, y, x):
    """How far the photo's step known[a] - known[b] is from the fill's out[q] - out[p], summed over RGB."""
    e = 0.0
    for c in range(3):
        e += abs(known[ay, ax, c] - known[by, bx, c] - (out[qy, qx, c] - out[y, x, c]))
    return e


@nb.njit(cache=True, parallel=True)
def _seam_steps(out, known, hole, top, edges, limit):
    """Each hole pixel's right-hand side of the seam correction: the sum over its four neighbours q of how much the
    step out[q] - out[p] should change, which is 0 inside one copy (q copies from p's source's neighbour) and at a
    seam the step one of the two sources has there minus the step in ``out``: of the two (p's source and its
    neighbour, q's source and its neighbour), the one closer to the step as it is, so a seam between two copies of
    sky loses its step, but a seam where one source goes on into a branch the fill did not copy is left alone.
    Returned in two parts, spread far and spread near: the part of each change (its size summed over RGB) that
    ``edges`` at the two sources covers goes to the second (both undefined outside the hole); and where that second
    part is not 0 (uint8)."""
    h, w = hole.shape
    # Set in the hole only, where the solves read them: zeroing two whole 2048² buffers cost 20 ms
    b = np.empty((h, w, 3), np.float32)
    b_near = np.empty((h, w, 3), np.float32)
    where = np.zeros((h, w), np.uint8)  # 1 where b_near is not 0
    order = spread(h)
    for i in nb.prange(h):
        y = order[i]
        for x in range(w):
            if not hole[y, x]:
                continue
            for c in range(3):
                b[y, x, c] = b_near[y, x, c] = 0
            if top[y, x, 0] < 0:
                continue
            sy, sx = top[y, x, 0], top[y, x, 1]
            for d in range(4):
                dy, dx = STEPS[d, 0], STEPS[d, 1]
                qy, qx = y + dy, x + dx
                if qy < 0 or qy >= h or qx < 0 or qx >= w:
                    continue
                ty, tx = (top[qy, qx, 0], top[qy, qx, 1]) if hole[qy, qx] else (qy, qx)  # q's source
                if ty < 0 or (ty == sy + dy and tx == sx + dx):
                    continue  # q has none, or p and q are one copy
                ok1 = 0 <= sy + dy < h and 0 <= sx + dx < w and not hole[sy + dy, sx + dx]
                ok2 = 0 <= ty - dy < h and 0 <= tx - dx < w and not hole[ty - dy, tx - dx]
                if not (ok1 or ok2):
                    continue
                e1 = _misfit(known, out, sy + dy, sx + dx, sy, sx, qy, qx, y, x) if ok1 else np.inf
                e2 = _misfit(known, out, ty, tx, ty - dy, tx - dx, qy, qx, y, x) if ok2 else np.inf
                e = min(e1, e2)
                edge = np.float32(max(edges[sy, sx], edges[ty, tx]))
                near = min(edge, e - limit) / e if e > limit else 0.0
                for c in range(3):
                    g1 = known[sy + dy, sx + dx, c] - known[sy, sx, c] if ok1 else 0.0
                    g2 = known[ty, tx, c] - known[ty - dy, tx - dx, c] if ok2 else 0.0
                    g = g1 if e1 < e2 else g2 if e2 < e1 else (g1 + g2) / 2  # a tie: the mean (symmetric in p, q)
                    change = g - (out[qy, qx, c] - out[y, x, c])
                    b[y, x, c] -= (1 - near) * change
                    b_near[y, x, c] -= near * change
                    if b_near[y, x, c] != 0:
                        where[y, x] = 1
    return b, b_near, where


def poisson(b: np.ndarray, hole: np.ndarray, lam: float, cycles: int, sweeps: int = 2) -> np.ndarray:
    """The correction c (0 outside the hole) solving lam c_p + sum over neighbours q (c_p - c_q) = b_p in the hole:
    full multigrid, the coarser problem solved first and its solution refined by V-cycles (a direct solve on a 12 MP
    hole would take minutes, Gauss-Seidel alone thousands of sweeps for a correction that spreads far at a small
    ``lam``)."""
    c = np.zeros_like(b)
    lam = np.float32(lam)
    if min(hole.shape) > 4:
        rc, mc = _restrict(c, b, hole, lam, False)  # c = 0: the residual is b
        _prolong(c, poisson(rc, mc, 4 * lam, cycles, sweeps), hole, mc)
    for _ in range(cycles):
        _v_cycle(c, b, hole, lam, sweeps)
    return c


def _v_cycle(c, b, m, lam, sweeps):
    _smooth(c, b, m, lam, sweeps, m)
    if min(m.shape) <= 4:
        _smooth(c, b, m, lam, 30, m)
        return
    rc, mc = _restrict(c, b, m, lam, True)  # the residual's block sums: the coarse equation's right-hand side ...
    e = np.zeros_like(rc)
    _v_cycle(e, rc, mc, np.float32(4 * lam), sweeps)  # ... with the weight 4x (a coarse pixel is four fine ones)
    _prolong(c, e, m, mc)
    _smooth(c, b, m, lam, sweeps, m)


@nb.njit(cache=True, parallel=True)
def _smooth(c, b, m, lam, sweeps, where):
    """Red-black Gauss-Seidel sweeps of the pixels ``where`` (in the hole ``m``; deterministic in parallel: a colour
    reads only the other)."""
    h, w = m.shape
    order = spread(h)
    for _ in range(sweeps):
        for colour in range(2):
            for i in nb.prange(h):
                y = order[i]
                for x in range((y + colour) % 2, w, 2):
                    if not where[y, x]:
                        continue
                    deg, a0, a1, a2 = _gather(c, b, m, lam, y, x)
                    c[y, x, 0], c[y, x, 1], c[y, x, 2] = a0 / deg, a1 / deg, a2 / deg


@nb.njit(cache=True, parallel=True)
def _add_where(c, d, where):
    """c += d at the pixels ``where`` (d is 0 elsewhere)."""
    order = spread(where.shape[0])
    for i in nb.prange(where.shape[0]):
        y = order[i]
        for x in range(where.shape[1]):
            if where[y, x]:
                for k in range(3):
                    c[y, x, k] += d[y, x, k]


@nb.njit(cache=True, inline="always")
def _gather(c, b, m, lam, y, x):
    """For the hole pixel (y, x): its diagonal lam + its neighbours in the image, and b plus the neighbours' c (a
    kept neighbour's is 0: every caller's c is 0 outside the hole, so inside the image no neighbour is asked)."""
    h, w = m.shape
    if 0 < y < h - 1 and 0 < x < w - 1:  # the common case, a third faster; the sums in the same order
        return (np.float64(lam) + 4.0,
                b[y, x, 0] + c[y, x + 1, 0] + c[y, x - 1, 0] + c[y + 1, x, 0] + c[y - 1, x, 0],
                b[y, x, 1] + c[y, x + 1, 1] + c[y, x - 1, 1] + c[y + 1, x, 1] + c[y - 1, x, 1],
                b[y, x, 2] + c[y, x + 1, 2] + c[y, x - 1, 2] + c[y + 1, x, 2] + c[y - 1, x, 2])
    deg = np.float64(lam)
    a0, a1, a2 = b[y, x, 0], b[y, x, 1], b[y, x, 2]
    for d in range(4):
        qy, qx = y + STEPS[d, 0], x + STEPS[d, 1]
        if 0 <= qy < h and 0 <= qx < w:
            deg += 1
            if m[qy, qx]:
                a0 += c[qy, qx, 0]
                a1 += c[qy, qx, 1]
                a2 += c[qy, qx, 2]
    return deg, a0, a1, a2


@nb.njit(cache=True, parallel=True)
def _restrict(c, b, m, lam, residual):
    """The residual b - A c summed over 2x2 blocks, and the coarse hole (blocks wholly in the hole: a coarse pixel
    that is partly kept would carry the correction into the kept pixels' fixed zero, and the cycles diverged).
    ``residual=False`` when c is 0: b's block sums, the same numbers without reading c."""
    h, w = m.shape
    H, W = (h + 1) // 2, (w + 1) // 2
    rc = np.zeros((H, W, 3), np.float32)
    mc = np.zeros((H, W), np.bool_)
    order = spread(H)
    for i in nb.prange(H):
        Y = order[i]
        for X in range(W):
            whole = True
            for y in range(2 * Y, 2 * Y + 2):
                for x in range(2 * X, 2 * X + 2):
                    if y >= h or x >= w or not m[y, x]:
                        whole = False
                        continue
                    if not residual:
                        rc[Y, X, 0] += b[y, x, 0]
                        rc[Y, X, 1] += b[y, x, 1]
                        rc[Y, X, 2] += b[y, x, 2]
                        continue
                    deg, a0, a1, a2 = _gather(c, b, m, lam, y, x)
                    rc[Y, X, 0] += a0 - deg * c[y, x, 0]
                    rc[Y, X, 1] += a1 - deg * c[y, x, 1]
                    rc[Y, X, 2] += a2 - deg * c[y, x, 2]
            mc[Y, X] = whole
    return rc, mc


@nb.njit(cache=True, parallel=True)
def _prolong(c, e, m, mc):
    """c += the coarse correction e interpolated bilinearly (cell-centred; coarse pixels outside the hole count 0)."""
    h, w = m.shape
    H, W = mc.shape
    order = spread(h)
    for i in nb.prange(h):
        y = order[i]
        iy, jy = y // 2, min(max(y // 2 + (1 if y % 2 else -1), 0), H - 1)
        for x in range(w):
            if not m[y, x]:
                continue
            ix, jx = x // 2, min(max(x // 2 + (1 if x % 2 else -1), 0), W - 1)
            v0 = v1 = v2 = 0.0  # the taps in the same order for each channel, each tap's hole test once
            for py, wy in ((iy, 0.75), (jy, 0.25)):
                for px, wx in ((ix, 0.75), (jx, 0.25)):
                    if mc[py, px]:
                        v0 += wy * wx * e[py, px, 0]
                        v1 += wy * wx * e[py, px, 1]
                        v2 += wy * wx * e[py, px, 2]
            c[y, x, 0] += v0
            c[y, x, 1] += v1
            c[y, x, 2] += v2

