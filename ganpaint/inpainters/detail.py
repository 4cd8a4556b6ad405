"""Fine detail for a fill that was made at a lower resolution and upscaled.

A method that fills at ``max_side`` and is upscaled to a larger photo leaves the hole smoother than the rest of
the picture. Like contextual residual aggregation (Yi et al., CVPR 2020, "HiFill"), the missing band of
frequencies is taken from the photo itself: each cell of the hole gets the high-frequency residual of the known
cell whose low-pass surroundings look most alike. No learning; the cost is one similarity matrix over cells.
"""

from __future__ import annotations

import cv2
import numpy as np
import torch

# Measured on train/ photos at 1024² (12 photos, medium + hard, GAN filling at 384 px): 16 px cells of the
# fill's resolution beat 4, 8, 24 and 32; the single best match beat a softmax blend (it averages texture
# away); clipping at the 97th percentile of the known residuals (sampled) removes copied bright edges for
# ~0.001 LPIPS.
CELL = 16  # cell side in pixels of the fill's resolution
SAMPLES = 4  # samples per cell side in the matching features
CLIP_PERCENTILE = 97


def add_detail(rgb: np.ndarray, hole: np.ndarray, coarse: np.ndarray, scale: float) -> np.ndarray:
    """``coarse``: the fill upscaled to ``rgb``'s size (known pixels the low-passed photo), made at ``scale`` (< 1)
    of it. Returns ``coarse`` with, in each cell that has hole pixels, the residual (photo minus low-pass) of its
    best-matching fully known cell added. Hole pixels of ``rgb`` are never read."""
    h, w = hole.shape
    c = max(2, round(CELL / scale))
    gh, gw = -(-h // c), -(-w // c)
    pad = ((0, gh * c - h), (0, gw * c - w))
    target = np.flatnonzero(cells(np.pad(hole, pad, constant_values=False), c).any((2, 3)))
    # A source must be wholly known and inside the photo: padding would give it a made-up residual.
    source = np.flatnonzero(~cells(np.pad(hole, pad, constant_values=True), c).any((2, 3)))
    if not target.size or not source.size:
        return coarse
    out = np.pad(coarse, pad + ((0, 0),), mode="edge")  # the low-pass picture, then the result

    # Features: the low-pass picture over each cell and its 8 neighbours, SAMPLES² points per cell.
    k = SAMPLES
    small = cv2.resize(out, (gw * k, gh * k), interpolation=cv2.INTER_AREA).astype(np.float32)
    small = np.pad(small, ((k, k), (k, k), (0, 0)), mode="edge")
    feats = np.concatenate([small[dy:dy + gh * k, dx:dx + gw * k] for dy in (0, k, 2 * k) for dx in (0, k, 2 * k)], 2)
    feats = cells(feats, k).reshape(gh * gw, -1)
    feats -= feats.mean(0)
    feats /= np.linalg.norm(feats, axis=1, keepdims=True) + 1e-6
    # torch, not numpy: numpy's BLAS threads spin after the product and slow the next model call on a small CPU.
    sim = torch.from_numpy(feats[target]) @ torch.from_numpy(feats[source]).T
    best = source[sim.argmax(1).numpy()]

    # Cell views, no copies: on large photos most cells are neither a target nor a chosen source.
    photo, low = cells(np.pad(rgb, pad + ((0, 0),), mode="edge"), c), cells(out, c)

    def residual(rows):  # int16 in place: large photos move tens of MB here
        at = np.divmod(rows, gw)
        r = photo[at].astype(np.int16)
        r -= low[at]
        return r

    sample = source[np.linspace(0, source.size - 1, min(source.size, 64)).astype(int)]
    tau = int(np.percentile(np.abs(residual(sample)).ravel()[::7], CLIP_PERCENTILE))
    fill = residual(best)
    np.clip(fill, -tau, tau, out=fill)
    at = np.divmod(target, gw)
    fill += low[at]
    np.clip(fill, 0, 255, out=fill)
    low[at] = fill  # writes through the view into ``out``
    return out[:h, :w]


def cells(a: np.ndarray, c: int) -> np.ndarray:
    """A view of (gh*c, gw*c, ...) as (gh, gw, c, c, ...): cell (i, j) is ``[i, j]``."""
    return a.reshape(a.shape[0] // c, c, a.shape[1] // c, c, *a.shape[2:]).swapaxes(1, 2)
