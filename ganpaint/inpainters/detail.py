"""Fine detail for a fill that was made at a lower resolution and upscaled.

A method that fills at ``max_side`` and is upscaled to a larger photo leaves the hole smoother than the rest of
the picture. Like contextual residual aggregation (Yi et al., CVPR 2020, "HiFill"), the missing band of
frequencies is taken from the photo itself: each cell of the hole gets the high-frequency residual of the known
cell whose low-pass surroundings look most alike. No learning; the cost is one similarity matrix over cells.
"""

from __future__ import annotations

import cv2
import numpy as np

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
    low = np.pad(coarse, pad + ((0, 0),), mode="edge")
    target = cells(np.pad(hole, pad, constant_values=False)[..., None], c).any(1)
    # A source must be wholly known and inside the photo: padding would give it a made-up residual.
    source = np.flatnonzero(~cells(np.pad(hole, pad, constant_values=True)[..., None], c).any(1))
    if not target.any() or not source.size:
        return coarse

    # Features: the low-pass picture over each cell and its 8 neighbours, SAMPLES² points per cell.
    k = SAMPLES
    small = cv2.resize(low, (gw * k, gh * k), interpolation=cv2.INTER_AREA).astype(np.float32)
    small = np.pad(small, ((k, k), (k, k), (0, 0)), mode="edge")
    feats = np.concatenate([small[dy:dy + gh * k, dx:dx + gw * k] for dy in (0, k, 2 * k) for dx in (0, k, 2 * k)], 2)
    feats = cells(feats, k)
    feats -= feats.mean(0)
    feats /= np.linalg.norm(feats, axis=1, keepdims=True) + 1e-6
    best = source[np.argmax(feats[target] @ feats[source].T, axis=1)]

    # Residuals only where needed (large photos: most cells are neither a target nor a chosen source).
    photo, low_cells = cells(np.pad(rgb, pad + ((0, 0),), mode="edge"), c), cells(low, c)

    def residual(rows):
        return photo[rows].astype(np.float32) - low_cells[rows]

    sample = source[np.linspace(0, source.size - 1, min(source.size, 64)).astype(int)]
    tau = float(np.percentile(np.abs(residual(sample)).ravel()[::7], CLIP_PERCENTILE))  # a float keeps float32 math
    fill = np.clip(residual(best), -tau, tau)
    fill += low_cells[target]
    fill += 0.5  # rounds; separate, or uint8 + 0.5 would make a float64 copy
    out = low_cells.copy()
    out[target] = np.clip(fill, 0, 255).astype(np.uint8)
    return uncells(out, gh, gw, c)[:h, :w]


def cells(a: np.ndarray, c: int) -> np.ndarray:
    """(gh*c, gw*c, ch) -> (gh*gw, c*c*ch): one row per c x c cell."""
    gh, gw, ch = a.shape[0] // c, a.shape[1] // c, a.shape[2]
    return a.reshape(gh, c, gw, c, ch).transpose(0, 2, 1, 3, 4).reshape(gh * gw, c * c * ch)


def uncells(rows: np.ndarray, gh: int, gw: int, c: int) -> np.ndarray:
    return rows.reshape(gh, gw, c, c, -1).transpose(0, 2, 1, 3, 4).reshape(gh * c, gw * c, -1)
