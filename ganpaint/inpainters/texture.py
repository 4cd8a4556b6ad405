"""Texture from the photo for a fill whose structure comes from a network.

A network predicts the mean of what could be behind the hole: the right layout and colours, but smooth. Exemplar
methods (PatchMatch) copy real texture but lose structure over large holes. This stage does both: a multi-scale
patch EM (Wexler et al. 2007) whose nearest-neighbour field is found with PatchMatch (Barnes et al. 2009:
propagation and random search), where each hole patch is matched against a blend of the current estimate and the
network's fill (the *guide*), so the structure stays the network's while every pixel is the photo's own texture.

Coarse to fine: the field found at one level is doubled to seed the next; above ``SEARCH_SIDE`` the field is only
upsampled and voted, so large photos cost little more than a vote. Hole pixels of the photo are never read (each
level is built from the photo with the guide in the hole, and a source patch must lie wholly in known pixels).
Deterministic: the random search uses its own seeded generator per band of rows.
"""

from __future__ import annotations

import cv2
import numba as nb
import numpy as np

R = 3  # patch radius: 7x7 patches
COARSE_SIDE = 64  # the coarsest level's long side
SEARCH_SIDE = 384  # levels larger than this only upsample the field and vote
ITERS_COARSE, ITERS_FINE = 8, 3  # EM iterations at the coarsest level, and at each finer level that searches
GUIDE = 4.0  # weight of the guide against the current estimate in the patch distance, at the coarsest level
BLUR = 1.5  # sigma of the low-pass the guide is compared through, in pixels of each level
GUIDE_DECAY = 0.5  # ... times this at each finer level: the network's structure, the photo's texture
VOTE_SHARPNESS = 8.0  # vote weight exp(-sharpness * cost / 75th percentile of costs); 0: plain mean
BANDS = 8  # row bands searched in parallel; fixed, so results do not depend on the thread count
# Sources lie within REACH x the hole's thickness (at least REACH_MIN px) of it. Patch distances favour smooth
# sources (a textured patch is nearer to a flat one than to another texture it is not aligned with), so a far
# smooth region (a lake's reflections) won over the rock around a thin stroke (results/gan/thin_stroke).
REACH, REACH_MIN = 3.0, 48.0


def add_texture(rgb: np.ndarray, hole: np.ndarray, guide: np.ndarray, seed: int = 0) -> np.ndarray:
    """``rgb`` uint8 HxWx3 (its hole pixels are never read), ``hole`` bool HxW, ``guide`` uint8 HxWx3 (a fill of
    the hole). Returns the guide with its hole pixels replaced by texture voted from the photo's known patches."""
    composite = np.where(hole[..., None], guide, rgb).astype(np.float32)
    reach = _reach(hole)
    levels = [(composite, hole)]
    while max(levels[-1][1].shape) > COARSE_SIDE and min(levels[-1][1].shape) >= 4 * (2 * R + 1):
        img, m = levels[-1]
        size = ((m.shape[1] + 1) // 2, (m.shape[0] + 1) // 2)
        small = cv2.resize(img, size, interpolation=cv2.INTER_AREA)
        # Any hole in a 2x2 block makes the coarse pixel a hole: known pixels stay pure photo.
        levels.append((small, cv2.resize(m.astype(np.float32), size, interpolation=cv2.INTER_AREA) > 0))
    levels.reverse()

    nnf, est = None, composite
    for k, (img, m) in enumerate(levels):
        valid = _valid_sources(m, reach * m.shape[0] / hole.shape[0])
        if not valid.any():
            return guide
        targets = cv2.dilate(m.astype(np.uint8), np.ones((2 * R + 1, 2 * R + 1), np.uint8)) > 0
        rng = np.random.default_rng([seed, k])
        vy, vx = np.nonzero(valid)
        est = img.copy()  # coarsest level: the guide is the first estimate
        if nnf is None:  # ... and the field is random
            pick = rng.integers(0, vy.size, size=m.shape)
            nnf = np.stack([vy[pick], vx[pick]]).astype(np.int32)
        else:  # finer levels: the coarser field, doubled, voted with this level's pixels
            nnf = _upsample_field(nnf, m.shape, valid, vy.astype(np.int32), vx.astype(np.int32),
                                  int(rng.integers(1, 2**31)))
            _vote(img, m, targets, nnf, np.ones(m.shape, np.float32), est)
        searches = 0 if max(m.shape) > SEARCH_SIDE else ITERS_COARSE if k == 0 else ITERS_FINE
        if not searches:
            continue
        cost = np.zeros(m.shape, np.float32)
        g = np.float32(GUIDE * GUIDE_DECAY**k)
        # The guide is compared with the sources' low-pass only: it says what the region looks like from afar,
        # not that it is smooth (matching a smooth guide directly picks smooth sources and keeps the blur).
        # One low-pass serves both sides: in the hole it is the guide's, at a source the photo's.
        low = cv2.GaussianBlur(img, (0, 0), BLUR)
        for it in range(searches):
            _search(est, img, low, low, g, valid, targets, nnf, cost, int(rng.integers(1, 2**31)), it % 2 == 1)
            est = img.copy()
            _vote(img, m, targets, nnf, _weights(cost, targets), est)
    return np.where(hole[..., None], np.clip(np.round(est), 0, 255), guide).astype(np.uint8)


def _weights(cost: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Vote weights: a patch that matched well counts more (Wexler et al.), scaled by the typical match cost."""
    if VOTE_SHARPNESS == 0:
        return np.ones(cost.shape, np.float32)
    scale = np.percentile(cost[targets], 75) + 1e-6
    return np.exp(-VOTE_SHARPNESS * cost / scale).astype(np.float32) + np.float32(1e-12)


def _reach(hole: np.ndarray) -> float:
    """How far from the hole sources may lie, in pixels of the full level (inf: anywhere)."""
    if not REACH:
        return np.inf
    thickness = 2 * float(cv2.distanceTransform(hole.astype(np.uint8), cv2.DIST_L2, 3).max())
    return max(REACH * thickness, REACH_MIN)


def _valid_sources(hole: np.ndarray, reach: float = np.inf) -> np.ndarray:
    """Centres of patches that lie wholly inside the image and wholly in known pixels, within ``reach`` px of the
    hole (all of them where that leaves too few to choose from)."""
    known = (~hole).astype(np.uint8)
    valid = cv2.erode(known, np.ones((2 * R + 1, 2 * R + 1), np.uint8), borderType=cv2.BORDER_CONSTANT,
                      borderValue=0) > 0
    if np.isfinite(reach):
        near = valid & (cv2.distanceTransform(known, cv2.DIST_L2, 3) <= reach)
        if near.sum() >= 4 * hole.sum() or near.sum() >= valid.sum() // 2:
            valid = near
    return valid


@nb.njit(cache=True)
def _next(state):
    """xorshift64*: a small, seedable generator that each band owns (numba's global one is shared by threads)."""
    state ^= state >> np.uint64(12)
    state ^= state << np.uint64(25)
    state ^= state >> np.uint64(27)
    return state, (state * np.uint64(2685821657736338717)) >> np.uint64(33)


@nb.njit(cache=True, inline="always")
def _dist(t, s, gt, gs, g, py, px, qy, qx, best):
    """Sum of squared differences of the target patch at (py, px) (clipped to the image) and the source at (qy, qx),
    plus ``g`` times that of their low-passes ``gt`` (the guide's) and ``gs``; stops once it exceeds ``best``."""
    h, w = t.shape[0], t.shape[1]
    d = 0.0
    for dy in range(-R, R + 1):
        ty = py + dy
        if ty < 0 or ty >= h:
            continue
        for dx in range(-R, R + 1):
            tx = px + dx
            if tx < 0 or tx >= w:
                continue
            for c in range(3):
                e = t[ty, tx, c] - s[qy + dy, qx + dx, c]
                f = gt[ty, tx, c] - gs[qy + dy, qx + dx, c]
                d += e * e + g * f * f
        if d >= best:
            return d
    return d


@nb.njit(cache=True, parallel=True)
def _search(t, s, gt, gs, g, valid, targets, nnf, cost, seed, reverse):
    """One PatchMatch pass over ``targets``: propagation from the previous pixel and row (within a band, so bands
    run in parallel and the result does not depend on timing), then random search in shrinking windows. A reverse
    pass shifts the bands by half a band, so matches propagate across every row over two passes."""
    h, w = targets.shape
    rows = (h + BANDS - 1) // BANDS
    shift = rows // 2 if reverse else 0
    for b in nb.prange(BANDS + 1):
        y0, y1 = max(0, b * rows - shift), min(h, (b + 1) * rows - shift)
        state = np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(b + 1)
        for i in range(y1 - y0):
            y = y1 - 1 - i if reverse else y0 + i
            step = -1 if reverse else 1
            for j in range(w):
                x = w - 1 - j if reverse else j
                if y0 >= y1 or not targets[y, x]:
                    continue
                by, bx = nnf[0, y, x], nnf[1, y, x]
                best = _dist(t, s, gt, gs, g, y, x, by, bx, np.inf)
                # Propagation: the neighbour's match, shifted by one.
                for ny, nx in ((y, x - step), (y - step, x)):
                    if ny < y0 or ny >= y1 or nx < 0 or nx >= w or not targets[ny, nx]:
                        continue
                    cy, cx = nnf[0, ny, nx] + (y - ny), nnf[1, ny, nx] + (x - nx)
                    if 0 <= cy < h and 0 <= cx < w and valid[cy, cx]:
                        d = _dist(t, s, gt, gs, g, y, x, cy, cx, best)
                        if d < best:
                            best, by, bx = d, cy, cx
                # Random search around the best match, the window halving down to one pixel.
                radius = max(h, w)
                while radius >= 1:
                    state, r1 = _next(state)
                    state, r2 = _next(state)
                    cy = by + np.int64(r1 % np.uint64(2 * radius + 1)) - radius
                    cx = bx + np.int64(r2 % np.uint64(2 * radius + 1)) - radius
                    if 0 <= cy < h and 0 <= cx < w and valid[cy, cx]:
                        d = _dist(t, s, gt, gs, g, y, x, cy, cx, best)
                        if d < best:
                            best, by, bx = d, cy, cx
                    radius //= 2
                nnf[0, y, x], nnf[1, y, x] = by, bx
                cost[y, x] = best


@nb.njit(cache=True, parallel=True)
def _vote(s, hole, targets, nnf, weight, out):
    """Each hole pixel becomes the mean of what the patches covering it copy there (where the field is coherent,
    all of them copy the same source pixel, so texture stays sharp)."""
    h, w = hole.shape
    for y in nb.prange(h):
        for x in range(w):
            if not hole[y, x]:
                continue
            a0 = a1 = a2 = 0.0
            n = 0.0
            for dy in range(-R, R + 1):
                py = y - dy
                if py < 0 or py >= h:
                    continue
                for dx in range(-R, R + 1):
                    px = x - dx
                    if px < 0 or px >= w or not targets[py, px]:
                        continue
                    qy, qx = nnf[0, py, px] + dy, nnf[1, py, px] + dx
                    k = weight[py, px]
                    a0 += k * s[qy, qx, 0]
                    a1 += k * s[qy, qx, 1]
                    a2 += k * s[qy, qx, 2]
                    n += k
            out[y, x, 0], out[y, x, 1], out[y, x, 2] = a0 / n, a1 / n, a2 / n


@nb.njit(cache=True)
def _upsample_field(nnf, shape, valid, vy, vx, seed):
    """The coarser level's field at twice the size: each pixel keeps its coarse parent's offset, doubled; where
    that lands on no valid source, a random valid one."""
    h, w = shape
    ch, cw = nnf.shape[1], nnf.shape[2]
    out = np.empty((2, h, w), np.int32)
    state = np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(1)
    for y in range(h):
        for x in range(w):
            py, px = min(y // 2, ch - 1), min(x // 2, cw - 1)
            cy = y + 2 * (nnf[0, py, px] - py)
            cx = x + 2 * (nnf[1, py, px] - px)
            if 0 <= cy < h and 0 <= cx < w and valid[cy, cx]:
                out[0, y, x], out[1, y, x] = cy, cx
            else:
                state, r = _next(state)
                k = np.int64(r % np.uint64(vy.size))
                out[0, y, x], out[1, y, x] = vy[k], vx[k]
    return out
