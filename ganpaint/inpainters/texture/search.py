"""The patch search and the votes: PatchMatch (Barnes et al. 2009) inside a patch EM (Wexler et al. 2007)."""

from __future__ import annotations

import cv2
import numba as nb
import numpy as np

from .pyramid import low_pass
from .rows import spread
from .settings import TextureSettings


def source_reach(inside: np.ndarray, cfg: TextureSettings) -> float:
    """How far from the hole sources may lie, in pixels of the full level (inf: anywhere); ``inside``: each hole
    pixel's distance to the nearest kept one."""
    if not cfg.reach:
        return np.inf
    thickness = 2 * float(inside.max())
    return max(cfg.reach * thickness, cfg.reach_min)


def far_sources(hole: np.ndarray, reach: float) -> np.ndarray:
    """Source centres beyond ``reach`` px of the hole (none where that would leave too few to choose from)."""
    if not np.isfinite(reach):
        return np.zeros(hole.shape, bool)
    far = cv2.distanceTransform((~hole).astype(np.uint8), cv2.DIST_L2, 3) > reach
    near = (~far & ~hole).sum()
    return far if near >= 4 * hole.sum() or near >= (~hole).sum() // 2 else np.zeros(hole.shape, bool)


def guide_targets(levels, filled, hole, search_top, guide_scale, cfg: TextureSettings) -> dict:
    """For each level above the finest searched one: adds the low-pass channels to the level (a source's: the
    known pixels' mask-normalised blur) and returns, by level, a function of the estimate giving the hole's
    (the guide's low-pass where it is trusted, the estimate's own further out)."""
    wgt = np.float32(np.sqrt(cfg.guide_term / cfg.features))  # extra channels count ``features`` times in the patch distance
    targets = {}
    for k in range(search_top + 1, len(levels)):
        src, m = levels[k]
        sigma = max(cfg.guide_sigma * max(m.shape), 0.5)
        known = (~m).astype(np.float32)
        src_lp = low_pass(src[..., :3] * known[..., None], sigma) / np.maximum(low_pass(known, sigma), 1e-6)[..., None]
        levels[k] = (np.concatenate([src, wgt * src_lp], axis=2), m)
        tgt = wgt * low_pass(cv2.resize(filled, (m.shape[1], m.shape[0]), interpolation=cv2.INTER_AREA), sigma)
        px = max(hole.shape) / max(m.shape)  # full-size pixels per pixel of this level
        dist = cv2.distanceTransform(m.astype(np.uint8), cv2.DIST_L2, 3)
        trust = np.exp(-dist * px / (cfg.guide_trust * guide_scale))[..., None].astype(np.float32)
        targets[k] = lambda est, tgt=tgt, trust=trust, sigma=sigma: (
            trust * tgt + (1 - trust) * (wgt * low_pass(np.ascontiguousarray(est[..., :3]), sigma)))
    return targets


@nb.njit(cache=True, parallel=True)
def upsample_field(nnf, h, w):
    """The coarser field at (h, w): each pixel matches twice its parent's match, plus its own offset within the
    parent (so a coherent copy stays coherent), clipped to the image."""
    out = np.empty((2, h, w), np.int32)
    ph, pw = nnf.shape[1], nnf.shape[2]
    for y in nb.prange(h):
        py = min(y // 2, ph - 1)
        for x in range(w):
            px = min(x // 2, pw - 1)
            out[0, y, x] = min(max(2 * nnf[0, py, px] + y - 2 * py, 0), h - 1)
            out[1, y, x] = min(max(2 * nnf[1, py, px] + x - 2 * px, 0), w - 1)
    return out


@nb.njit(cache=True, inline="always")
def _similarity(d, table):
    t = d * 100.0
    j = int(t)
    if j >= len(table) - 2:
        return 0.0
    return table[j] + (t - j) * (table[j + 1] - table[j])


@nb.njit(cache=True, inline="always")
def patch_distance(t, ty, tx, s, hole, far, sy, sx, best, kn):
    """Mean over the 7x7 patch of the per-pixel distance in [0, 1] between the estimate at (ty, tx) and the photo
    at (sy, sx); a pixel off the image's interior or in the hole costs 1; plus the cost of the offset (``dy_term``,
    ``dx_term``). Stops once it exceeds ``best``. ``kn``: the settings' ``kernel()``."""
    h, w = hole.shape
    if far[sy, sx]:
        return 1.0
    R = kn.r
    n = (2 * R + 1) * (2 * R + 1)
    limit = best * n
    d = 0.0
    if kn.dy_term or kn.dx_term:
        d = (kn.dy_term * ((ty - sy) / h) ** 2 + kn.dx_term * ((tx - sx) / w) ** 2) * n
    for dy in range(-R, R + 1):
        y1, y2 = ty + dy, sy + dy
        for dx in range(-R, R + 1):
            x1, x2 = tx + dx, sx + dx
            if y1 <= 0 or y1 >= h - 1 or x1 <= 0 or x1 >= w - 1 or y2 <= 0 or y2 >= h - 1 or x2 <= 0 or x2 >= w - 1 \
                    or hole[y2, x2]:
                d += 1.0
                continue
            e = 0.0
            for c in range(3):
                f = t[y1, x1, c] - s[y2, x2, c]
                e += f * f
            for c in range(3, t.shape[2]):
                f = t[y1, x1, c] - s[y2, x2, c]
                e += kn.features * f * f
            d += min(1.0, e / kn.ssd_scale)
        if d >= limit:
            return min(1.0, d / n)
    return d / n


@nb.njit(cache=True, inline="always")
def _next(state):
    """xorshift64*: a small, seedable generator that each band owns (numba's global one is shared by threads)."""
    state ^= state >> np.uint64(12)
    state ^= state << np.uint64(25)
    state ^= state >> np.uint64(27)
    return state, (state * np.uint64(2685821657736338717)) >> np.uint64(33)


@nb.njit(cache=True, parallel=True)
def costs(t, s, hole, far, active, nnf, seed, kn):
    """Distances of the current field (0 and the identity outside ``active``); a match at the largest distance
    gets random retries (each row its own generator, so rows run in parallel)."""
    h, w = active.shape
    cost = np.zeros((h, w), np.float64)
    order = spread(h)
    for i in nb.prange(h):
        y = order[i]
        state = np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(y + 7)
        for x in range(w):
            if not active[y, x]:
                nnf[0, y, x], nnf[1, y, x] = y, x
                continue
            d = patch_distance(t, y, x, s, hole, far, nnf[0, y, x], nnf[1, y, x], 1.0, kn)
            for _ in range(kn.retries):
                if d < 1.0:
                    break
                state, r1 = _next(state)
                state, r2 = _next(state)
                cy, cx = np.int64(r1 % np.uint64(h)), np.int64(r2 % np.uint64(w))
                d2 = patch_distance(t, y, x, s, hole, far, cy, cx, 1.0, kn)
                if d2 < d:
                    d, nnf[0, y, x], nnf[1, y, x] = d2, cy, cx
            cost[y, x] = max(d, 1e-9)  # 0 is kept for the identity outside the hole
    return cost


@nb.njit(cache=True, parallel=True)
def minimize(t, s, hole, far, active, nnf, cost, passes, seed, reach, kn):
    """PatchMatch passes over ``active``: propagation from the previous pixel and row (within a band, so bands run in
    parallel and the result does not depend on timing), then random search in windows halving from ``reach`` px
    around the best match. Every other pass
    runs backwards with the bands shifted by half a band, so matches propagate across every row."""
    h, w = active.shape
    bands = kn.bands
    rows = (h + bands - 1) // bands
    for p in range(2 * passes):
        reverse = p % 2 == 1
        shift = rows // 2 if reverse else 0
        step = -1 if reverse else 1
        for k in nb.prange(bands + 1):
            band = 2 * np.int64(k) % (bands + 1) if bands % 2 == 0 else np.int64(k)  # evens, then odds: a spread each
            y0, y1 = max(0, band * rows - shift), min(h, (band + 1) * rows - shift)
            state = np.uint64(seed + p) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(band + 1)
            for i in range(max(0, y1 - y0)):
                y = y1 - 1 - i if reverse else y0 + i
                for j in range(w):
                    x = w - 1 - j if reverse else j
                    if not active[y, x] or cost[y, x] <= 0:
                        continue
                    best, by, bx = cost[y, x], nnf[0, y, x], nnf[1, y, x]
                    for ny, nx, oy, ox in ((y - step, x, step, 0), (y, x - step, 0, step)):
                        if ny < y0 or ny >= y1 or nx < 0 or nx >= w:
                            continue
                        cy, cx = nnf[0, ny, nx] + oy, nnf[1, ny, nx] + ox
                        if 0 <= cy < h and 0 <= cx < w:
                            d = patch_distance(t, y, x, s, hole, far, cy, cx, best, kn)
                            if d < best:
                                best, by, bx = d, cy, cx
                    radius = reach
                    while radius > 0:
                        state, r1 = _next(state)
                        state, r2 = _next(state)
                        cy = min(max(by + np.int64(r1 % np.uint64(2 * radius + 1)) - radius, 0), h - 1)
                        cx = min(max(bx + np.int64(r2 % np.uint64(2 * radius + 1)) - radius, 0), w - 1)
                        d = patch_distance(t, y, x, s, hole, far, cy, cx, best, kn)
                        if d < best:
                            best, by, bx = d, cy, cx
                        radius //= 2
                    nnf[0, y, x], nnf[1, y, x], cost[y, x] = by, bx, best


@nb.njit(cache=True, parallel=True)
def vote(src, hole, nnf, cost, up, out, best, top, edge, kn):
    """Each hole pixel of ``src``'s level (``up`` times the field's) becomes the similarity-weighted mean of what
    the patches covering it copy there from ``src``, mixed with weight ``best`` with what the closest of them copies
    (1: that copy alone, so texture finer than a patch, such as grain or foliage, is not averaged away); where only
    distant patches cover it, what the closest copies (``far_vote``; else it keeps its value, which above the finest
    level is a coarser level's block). With ``edge`` (the final vote), a pixel no patch can copy to takes what the
    closest covering patch copies to its own centre: on the photo's outer rows and columns the patch distance does not
    compare pixels, the search may align them with sources in the hole, and they kept the guide's raw colour.
    The up x up pixels of a field pixel share its covering patches and their weights: found once, voted per pixel."""
    H, W = hole.shape
    h, w = nnf.shape[1], nnf.shape[2]
    R = kn.r
    n = (2 * R + 1) * (2 * R + 1)
    sim = np.empty((h, w))  # each patch's vote weight, once (not once for each of the pixels it covers)
    for ty in nb.prange(h):
        for tx in range(w):
            sim[ty, tx] = _similarity(cost[ty, tx], kn.similarity)
    order = spread(h)  # the hole's rows shared evenly between the threads
    for i in nb.prange(h):
        ty = order[i]
        acc = np.zeros(max(src.shape[2] - 3, 1))  # channels past RGB (scalars for RGB: the full-size vote is costly)
        patches = np.empty((n, 4), np.int64)  # covering patch centre (py, px; py = -1: off the field), source base
        weights = np.empty((n, 2))  # the patch's distance and vote weight
        edges = np.empty((4, 3))  # _vote_block's fallback copies
        for tx in range(w):
            if not _any_hole(hole, up, ty, tx):
                continue
            _covering_patches(nnf, cost, sim, up, ty, tx, R, patches, weights)
            if up == 2 and src.shape[2] == 3 and _whole_block(hole, 2 * ty, 2 * tx):
                _vote_block(src, hole, nnf, out, best, top, edge, kn, 2 * ty, 2 * tx, patches, weights, edges, acc)
                continue
            for uy in range(up):
                for ux in range(up):
                    Y, X = up * ty + uy, up * tx + ux
                    if Y < H and X < W and hole[Y, X]:
                        _vote_pixel(src, hole, nnf, cost, up, out, best, top, edge, kn, Y, X, uy, ux, patches,
                                    weights, acc)


@nb.njit(cache=True, inline="always")
def _any_hole(hole, up, ty, tx):
    H, W = hole.shape
    for Y in range(up * ty, min(up * ty + up, H)):
        for X in range(up * tx, min(up * tx + up, W)):
            if hole[Y, X]:
                return True
    return False


@nb.njit(cache=True, inline="always")
def _whole_block(hole, Y, X):
    H, W = hole.shape
    return Y + 1 < H and X + 1 < W and hole[Y, X] and hole[Y, X + 1] and hole[Y + 1, X] and hole[Y + 1, X + 1]


@nb.njit(cache=True, inline="always")
def _vote_block(src, hole, nnf, out, best, top, edge, kn, Y, X, patches, weights, edges, acc):
    """_vote_pixel for the 2x2 hole pixels of one field pixel at once (RGB, ``up`` = 2): each covering patch is read
    once for the four, whose running votes stay in registers (a quarter faster at 2048²; the same sums in the same
    order, so the same fills)."""
    s0 = s1 = s2 = s3 = (0.0, 0.0, 0.0, 0.0, np.inf, np.int64(-1), np.int64(-1))
    for j in range(4):
        edges[j, 0], edges[j, 1], edges[j, 2] = np.inf, -1, -1
    for i in range(patches.shape[0]):
        py = patches[i, 0]
        if py < 0:
            continue
        px, by, bx = patches[i, 1], patches[i, 2], patches[i, 3]
        d, k = weights[i, 0], weights[i, 1]
        s0, ok = _take(src, hole, by, bx, d, k, best, s0)
        if edge and not ok:
            _edge_copy(nnf, hole, py, px, 0, 0, d, edges, 0)
        s1, ok = _take(src, hole, by, bx + 1, d, k, best, s1)
        if edge and not ok:
            _edge_copy(nnf, hole, py, px, 0, 1, d, edges, 1)
        s2, ok = _take(src, hole, by + 1, bx, d, k, best, s2)
        if edge and not ok:
            _edge_copy(nnf, hole, py, px, 1, 0, d, edges, 2)
        s3, ok = _take(src, hole, by + 1, bx + 1, d, k, best, s3)
        if edge and not ok:
            _edge_copy(nnf, hole, py, px, 1, 1, d, edges, 3)
    _write_vote(src, out, top, best, kn, Y, X, s0, acc, np.int64(edges[0, 1]), np.int64(edges[0, 2]))
    _write_vote(src, out, top, best, kn, Y, X + 1, s1, acc, np.int64(edges[1, 1]), np.int64(edges[1, 2]))
    _write_vote(src, out, top, best, kn, Y + 1, X, s2, acc, np.int64(edges[2, 1]), np.int64(edges[2, 2]))
    _write_vote(src, out, top, best, kn, Y + 1, X + 1, s3, acc, np.int64(edges[3, 1]), np.int64(edges[3, 2]))


@nb.njit(cache=True, inline="always")
def _edge_copy(nnf, hole, py, px, uy, ux, d, edges, j):
    """The final vote's fallback for pixel ``j`` where the patch cannot copy to it: what the patch copies to its own
    centre, if the patch is the closest so far."""
    if d < edges[j, 0]:
        cy, cx = 2 * nnf[0, py, px] + uy, 2 * nnf[1, py, px] + ux
        if 0 <= cy < hole.shape[0] and 0 <= cx < hole.shape[1] and not hole[cy, cx]:
            edges[j, 0], edges[j, 1], edges[j, 2] = d, cy, cx


@nb.njit(cache=True, inline="always")
def _take(src, hole, sy, sx, d, k, best, st):
    """One covering patch's copy into a pixel's running vote ``st`` (a0, a1, a2, weights, closest: distance, y, x);
    False where it copies from off the photo or from the hole."""
    a0, a1, a2, n, top_cost, top_y, top_x = st
    if sy < 0 or sy >= hole.shape[0] or sx < 0 or sx >= hole.shape[1] or hole[sy, sx]:
        return st, False
    if d < top_cost:
        top_cost, top_y, top_x = d, sy, sx
    if best < 1.0:
        a0 += k * src[sy, sx, 0]
        a1 += k * src[sy, sx, 1]
        a2 += k * src[sy, sx, 2]
        n += k
    return (a0, a1, a2, n, top_cost, top_y, top_x), True


@nb.njit(cache=True, inline="always")
def _write_vote(src, out, top, best, kn, Y, X, st, acc, edge_y, edge_x):
    """A pixel's vote from its running sums ``st`` (a0, a1, a2, weights, closest: distance, y, x) and ``acc`` (the
    channels past RGB); (edge_y, edge_x): its fallback copy (-1: none)."""
    nc = src.shape[2]
    a0, a1, a2, n, _, top_y, top_x = st
    if top.shape[0] == out.shape[0]:
        top[Y, X, 0], top[Y, X, 1] = top_y, top_x
    if n > 0:
        m = 1.0 - best
        out[Y, X, 0] = best * src[top_y, top_x, 0] + m * a0 / n
        out[Y, X, 1] = best * src[top_y, top_x, 1] + m * a1 / n
        out[Y, X, 2] = best * src[top_y, top_x, 2] + m * a2 / n
        for c in range(3, nc):
            out[Y, X, c] = best * src[top_y, top_x, c] + m * acc[c - 3] / n
    elif (best > 0.0 or kn.far_vote) and top_y >= 0:
        for c in range(nc):
            out[Y, X, c] = src[top_y, top_x, c]
    elif edge_y >= 0:
        for c in range(nc):
            out[Y, X, c] = src[edge_y, edge_x, c]


@nb.njit(cache=True, inline="always")
def _covering_patches(nnf, cost, sim, up, ty, tx, R, patches, weights):
    """The patches covering the field's pixel (ty, tx), in vote order: centre, the source its offset maps to (less
    the sub-pixel), distance and vote weight."""
    h, w = nnf.shape[1], nnf.shape[2]
    i = 0
    for dy in range(-R, R + 1):
        for dx in range(-R, R + 1):
            py, px = ty - dy, tx - dx
            if py < 0 or py >= h or px < 0 or px >= w:
                patches[i, 0] = -1
            else:
                patches[i, 0], patches[i, 1] = py, px
                patches[i, 2], patches[i, 3] = up * (nnf[0, py, px] + dy), up * (nnf[1, py, px] + dx)
                weights[i, 0] = cost[py, px]
                weights[i, 1] = sim[py, px]
            i += 1


@nb.njit(cache=True, inline="always")
def _vote_pixel(src, hole, nnf, cost, up, out, best, top, edge, kn, Y, X, uy, ux, patches, weights, acc):
    H, W = hole.shape
    nc = src.shape[2]
    acc[:] = 0.0
    a0 = a1 = a2 = n = 0.0
    top_cost, top_y, top_x = np.inf, -1, -1
    edge_cost, edge_y, edge_x = np.inf, -1, -1
    for i in range(patches.shape[0]):
        py = patches[i, 0]
        if py < 0:
            continue
        px = patches[i, 1]
        sy, sx = patches[i, 2] + uy, patches[i, 3] + ux
        if sy < 0 or sy >= H or sx < 0 or sx >= W or hole[sy, sx]:
            if edge and weights[i, 0] < edge_cost:
                cy, cx = up * nnf[0, py, px] + uy, up * nnf[1, py, px] + ux
                if 0 <= cy < H and 0 <= cx < W and not hole[cy, cx]:
                    edge_cost, edge_y, edge_x = weights[i, 0], cy, cx
            continue
        d = weights[i, 0]
        if d < top_cost:  # the closest patch (the most similar: similarity falls with distance)
            top_cost, top_y, top_x = d, sy, sx
        if best < 1.0:
            k = weights[i, 1]
            a0 += k * src[sy, sx, 0]
            a1 += k * src[sy, sx, 1]
            a2 += k * src[sy, sx, 2]
            for c in range(3, nc):
                acc[c - 3] += k * src[sy, sx, c]
            n += k
    _write_vote(src, out, top, best, kn, Y, X, (a0, a1, a2, n, top_cost, top_y, top_x), acc, edge_y, edge_x)
