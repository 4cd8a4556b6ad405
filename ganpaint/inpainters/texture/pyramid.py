"""The photo's levels: a mask-aware pyramid, busyness features, and the small image helpers the steps share."""

from __future__ import annotations

import cv2
import numba as nb
import numpy as np

from .rows import spread
from .settings import TextureSettings


@nb.njit(cache=True, parallel=True)
def paste(dst, src, mask, where):
    """``dst[y, x] = src[y, x]`` where ``mask[y, x] == where`` (a 1x1 ``src``: that value everywhere); about 4x faster
    than ``np.copyto(where=mask[..., None])`` on a 2048² crop (11-13 against 46 ms), which does not vectorise the
    broadcast mask."""
    step = 0 if src.shape[0] == 1 and src.shape[1] == 1 else 1
    order = spread(mask.shape[0])
    for i in nb.prange(mask.shape[0]):
        y = order[i]
        for x in range(mask.shape[1]):
            if mask[y, x] == where:
                for c in range(dst.shape[2]):
                    dst[y, x, c] = src[y * step, x * step, c]


@nb.njit(cache=True, parallel=True)
def split_photo(rgb, guide, hole):
    """As float32: the photo with 0 in the hole (``known``) and with the guide there (``filled``), in one pass."""
    h, w = hole.shape
    known = np.empty((h, w, 3), np.float32)
    filled = np.empty((h, w, 3), np.float32)
    order = spread(h)
    for i in nb.prange(h):
        y = order[i]
        for x in range(w):
            for c in range(3):
                if hole[y, x]:
                    known[y, x, c] = 0
                    filled[y, x, c] = guide[y, x, c]
                else:
                    known[y, x, c] = filled[y, x, c] = rgb[y, x, c]
    return known, filled


def pyramid(img: np.ndarray, hole: np.ndarray, cfg: TextureSettings,
            whole: bool = False) -> list[tuple[np.ndarray, np.ndarray]]:
    """Levels (image, hole) from the full size down to about 1/``coarse_fraction`` of the long side. ``whole``: the
    image holds whole numbers of 8 bits (the photo), so its first halving, the costly one, runs separably."""
    stop = max(cfg.coarse_min, max(hole.shape) / cfg.coarse_fraction)
    levels = [(img, hole)]
    while max(levels[-1][1].shape) > stop and min(levels[-1][1].shape) >= 2 * (2 * cfg.patch_radius + 1):
        levels.append((downsample_whole if whole and len(levels) == 1 else downsample)(*levels[-1]))
    return levels


@nb.njit(cache=True, parallel=True)
def downsample(img, hole):
    """Half size; each pixel the binomial-weighted (1 5 10 10 5 1) mean of the known pixels under it, a hole where
    there are none."""
    h, w = hole.shape
    nh, nw, nc = h // 2, w // 2, img.shape[2]
    out = np.zeros((nh, nw, nc), np.float32)
    small = np.ones((nh, nw), np.bool_)
    k = np.array([1.0, 5.0, 10.0, 10.0, 5.0, 1.0])
    # Up to three channels in scalars (the full-size level is the costly one), more in ``acc``. The scalar path once
    # read and wrote a third channel the two texture features do not have, a row's last pixel racing with the next
    # row's first one (fills changed from run to run under load): each scalar now stands for a channel that exists.
    first = min(nc, 3)
    order = spread(nh)
    for i in nb.prange(nh):
        y = order[i]
        acc = np.zeros(max(nc - first, 1))
        for x in range(nw):
            acc[:] = 0.0
            a0 = a1 = a2 = s = 0.0
            for dy in range(-2, 4):
                yy = 2 * y + dy
                if yy < 0 or yy >= h:
                    continue
                for dx in range(-2, 4):
                    xx = 2 * x + dx
                    if xx < 0 or xx >= w or hole[yy, xx]:
                        continue
                    kk = k[dy + 2] * k[dx + 2]
                    a0 += kk * img[yy, xx, 0]
                    if first > 1:
                        a1 += kk * img[yy, xx, 1]
                    if first > 2:
                        a2 += kk * img[yy, xx, 2]
                    for c in range(first, nc):
                        acc[c - first] += kk * img[yy, xx, c]
                    s += kk
            if s > 0:
                out[y, x, 0] = a0 / s
                if first > 1:
                    out[y, x, 1] = a1 / s
                if first > 2:
                    out[y, x, 2] = a2 / s
                for c in range(first, nc):
                    out[y, x, c] = acc[c - first] / s
                small[y, x] = False
    return out, small


@nb.njit(cache=True, parallel=True)
def downsample_whole(img, hole):
    """``downsample`` of an image of whole numbers of 8 bits, the same numbers a third faster: the 6 x 6 weights are
    the product of two 6-tap ones, so each row is summed once for the three output rows that use it. The sums of
    whole numbers are exact in float64 in any order, so the result does not change."""
    h, w = hole.shape
    nh, nw, nc = h // 2, w // 2, img.shape[2]
    out = np.zeros((nh, nw, nc), np.float32)
    small = np.ones((nh, nw), np.bool_)
    k = np.array([1.0, 5.0, 10.0, 10.0, 5.0, 1.0])
    block = 16  # output rows a thread takes at a time, with the 2 x 16 + 4 rows they read
    for b in nb.prange((nh + block - 1) // block):
        y0, y1 = b * block, min(nh, (b + 1) * block)
        rows = np.zeros((2 * (y1 - y0) + 4, nw, nc + 1))  # the row sums (channels, then the weight) of 2 y0 - 2 on
        for r in range(rows.shape[0]):
            yy = 2 * y0 - 2 + r
            if yy < 0 or yy >= h:
                continue
            for x in range(nw):
                for dx in range(-2, 4):
                    xx = 2 * x + dx
                    if xx < 0 or xx >= w or hole[yy, xx]:
                        continue
                    for c in range(nc):
                        rows[r, x, c] += k[dx + 2] * img[yy, xx, c]
                    rows[r, x, nc] += k[dx + 2]
        for y in range(y0, y1):
            r = 2 * (y - y0)
            for x in range(nw):
                s = 0.0
                for dy in range(6):
                    s += k[dy] * rows[r + dy, x, nc]
                if s > 0:
                    for c in range(nc):
                        a = 0.0
                        for dy in range(6):
                            a += k[dy] * rows[r + dy, x, c]
                        out[y, x, c] = a / s
                    small[y, x] = False
    return out, small


@nb.njit(cache=True, parallel=True)
def gradients(known, hole, guide):
    """|d/dx| and |d/dy| of the photo's grey level (the mean of RGB), the guide standing in for the hole (the pyramid
    then averages them over ever larger windows: how busy the texture is at each level, which a coarse colour
    cannot tell)."""
    h, w = hole.shape
    out = np.empty((h, w, 2), np.float32)  # each pixel written once (zeroing it first cost 5 ms at 2048²)
    for y in nb.prange(h):
        for x in range(w):
            g = _grey(known, hole, guide, y, x)
            out[y, x, 0] = abs(g - _grey(known, hole, guide, y, x - 1)) if x > 0 else np.float32(0)
            out[y, x, 1] = abs(g - _grey(known, hole, guide, y - 1, x)) if y > 0 else np.float32(0)
    return out


@nb.njit(cache=True, inline="always")
def _grey(known, hole, guide, y, x):
    if hole[y, x]:
        return (np.float32(guide[y, x, 0]) + np.float32(guide[y, x, 1]) + np.float32(guide[y, x, 2])) / np.float32(3)
    return (known[y, x, 0] + known[y, x, 1] + known[y, x, 2]) / np.float32(3)


def telea(img: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """OpenCV Telea per channel (it takes 8-bit images) of a float image in [0, 255]."""
    hole8 = hole.astype(np.uint8)
    return np.stack([cv2.inpaint(np.clip(img[..., c], 0, 255).astype(np.uint8), hole8, 3, cv2.INPAINT_TELEA)
                     for c in range(img.shape[2])], axis=2).astype(np.float32)


def low_pass(img: np.ndarray, sigma: float, dst: np.ndarray | None = None) -> np.ndarray:
    """Gaussian blur of width ``sigma``; a wide one runs at a fraction of the size, which loses nothing below its
    cut-off and keeps a blur a hundred pixels wide from dominating the stage on large photos."""
    f = max(1, int(sigma // 2))
    if f == 1:
        return cv2.GaussianBlur(img, (0, 0), sigma, dst=dst)
    h, w = img.shape[:2]
    small = cv2.resize(img, (max(1, w // f), max(1, h // f)), interpolation=cv2.INTER_AREA)
    return cv2.resize(cv2.GaussianBlur(small, (0, 0), sigma / f), (w, h), dst=dst, interpolation=cv2.INTER_LINEAR)


def low_pass_each(img: np.ndarray, sigma: float) -> list[np.ndarray]:
    """``low_pass`` of each channel of ``img``, the same numbers: the downscale, the costly step (on a 2048² photo a
    factor that does not divide the side costs 12 ms a pass), runs once for them all; the upscale per channel, as
    OpenCV's upscale of several channels rounds differently from one's."""
    f = max(1, int(sigma // 2))
    h, w = img.shape[:2]
    small = img if f == 1 else cv2.resize(img, (max(1, w // f), max(1, h // f)), interpolation=cv2.INTER_AREA)
    out = []
    for c in range(img.shape[2]):
        one = cv2.GaussianBlur(np.ascontiguousarray(small[..., c]), (0, 0), sigma / f)
        out.append(one if f == 1 else cv2.resize(one, (w, h), interpolation=cv2.INTER_LINEAR))
    return out
