"""Mask generators. Convention everywhere: 1 (white) = fill, 0 (black) = keep.

Every generator takes an explicit ``numpy.random.Generator`` (or a seed) so the
same seed always gives the same mask.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

# Masked share of the image for each difficulty preset.
DIFFICULTY = {"easy": (0.10, 0.20), "medium": (0.25, 0.35), "hard": (0.40, 0.50)}

# Stroke widths as a share of the image side, after large-mask inpainting (LaMa).
STROKE_WIDTH = {"thin": (0.02, 0.05), "medium": (0.05, 0.10), "thick": (0.10, 0.18)}


def _rng(seed) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def coverage(mask: np.ndarray) -> float:
    return float((mask > 0).mean())


def strokes(h: int, w: int, rng, width: str = "medium", n: int | None = None) -> np.ndarray:
    """Free-form brush strokes: random walks drawn with a round brush."""
    rng = _rng(rng)
    mask = np.zeros((h, w), np.uint8)
    side = min(h, w)
    lo, hi = STROKE_WIDTH[width]
    for _ in range(n if n is not None else int(rng.integers(1, 4))):
        x, y = rng.integers(0, w), rng.integers(0, h)
        angle = rng.uniform(0, 2 * math.pi)
        thickness = max(1, int(rng.uniform(lo, hi) * side))
        for _ in range(int(rng.integers(2, 7))):
            angle += rng.uniform(-math.pi / 3, math.pi / 3)
            length = rng.uniform(0.1, 0.35) * side
            nx = int(np.clip(x + length * math.cos(angle), 0, w - 1))
            ny = int(np.clip(y + length * math.sin(angle), 0, h - 1))
            cv2.line(mask, (int(x), int(y)), (nx, ny), 1, thickness)
            cv2.circle(mask, (nx, ny), thickness // 2, 1, -1)
            x, y = nx, ny
    return mask


def boxes(h: int, w: int, rng, n: int | None = None, max_side: float = 0.5) -> np.ndarray:
    """Axis-aligned rectangles of random size and position."""
    rng = _rng(rng)
    mask = np.zeros((h, w), np.uint8)
    for _ in range(n if n is not None else int(rng.integers(1, 3))):
        bw = int(rng.uniform(0.1, max_side) * w)
        bh = int(rng.uniform(0.1, max_side) * h)
        x, y = int(rng.integers(0, w - bw + 1)), int(rng.integers(0, h - bh + 1))
        mask[y : y + bh, x : x + bw] = 1
    return mask


def outpaint_border(h: int, w: int, left=0, right=0, top=0, bottom=0) -> np.ndarray:
    """Mask of the border bands to extend (sizes in pixels)."""
    mask = np.zeros((h, w), np.uint8)
    if left:
        mask[:, :left] = 1
    if right:
        mask[:, w - right :] = 1
    if top:
        mask[:top] = 1
    if bottom:
        mask[h - bottom :] = 1
    return mask


def bridge_layout(h: int, w: int, layout: str = "horizontal", gap: float = 0.3, flip: bool = False) -> np.ndarray:
    """Masks of the two-photo layouts.

    ``horizontal``: left and right kept, a vertical band of ``gap`` (share of the width) filled.
    ``diagonal``: two opposite quadrants kept, the other two filled.
    """
    mask = np.zeros((h, w), np.uint8)
    if layout == "horizontal":
        g = int(round(gap * w))
        x0 = (w - g) // 2
        mask[:, x0 : x0 + g] = 1
    elif layout == "diagonal":
        mask[: h // 2, w // 2 :] = 1
        mask[h // 2 :, : w // 2] = 1
        if flip:
            mask = 1 - mask
    else:
        raise ValueError(f"unknown bridge layout {layout!r}; use 'horizontal' or 'diagonal'")
    return mask


def random_mask(h: int, w: int, rng, lo: float, hi: float, kinds=("thin", "medium", "thick", "box")) -> np.ndarray:
    """Strokes and boxes added until the masked share lies in [lo, hi]."""
    rng = _rng(rng)
    for _ in range(100):
        mask = np.zeros((h, w), np.uint8)
        for _ in range(50):
            kind = kinds[int(rng.integers(len(kinds)))]
            shape = boxes(h, w, rng, n=1) if kind == "box" else strokes(h, w, rng, kind, n=1)
            candidate = mask | shape
            c = coverage(candidate)
            if c > hi:
                continue  # this shape overshoots; try another
            mask = candidate
            if c >= lo:
                return mask
    raise RuntimeError(f"could not draw a mask with coverage in [{lo}, {hi}] for {h}x{w}")


def difficulty_mask(h: int, w: int, difficulty: str, seed) -> np.ndarray:
    """A free-form mask whose masked share lies in the preset's range."""
    if difficulty not in DIFFICULTY:
        raise ValueError(f"unknown difficulty {difficulty!r}; use one of {list(DIFFICULTY)}")
    return random_mask(h, w, seed, *DIFFICULTY[difficulty])


# The training mix's shares: free-form strokes and boxes, outpainting borders, vertical bridges, diagonal bridges.
TRAINING_MIX = (0.75, 0.15, 0.05, 0.05)


def training_mask(h: int, w: int, rng, mix=TRAINING_MIX) -> np.ndarray:
    """The training mix: mostly large free-form masks, some outpainting and bridge layouts (``mix``: the four shares,
    in TRAINING_MIX's order; they need not sum to 1)."""
    rng = _rng(rng)
    shares = np.asarray(mix, dtype=float)
    if shares.shape != (4,) or (shares < 0).any() or shares.sum() <= 0:
        raise ValueError(f"mask mix: four shares >= 0 (strokes, outpaint, bridge, bridge_diag), not {tuple(mix)}")
    # The default's thresholds are written out so its masks stay those the committed weights were trained on.
    cut = (0.75, 0.9, 0.95) if tuple(mix) == TRAINING_MIX else tuple(np.cumsum(shares)[:3] / shares.sum())
    r = rng.random()
    if r < cut[0]:
        lo = rng.uniform(0.05, 0.5)
        return random_mask(h, w, rng, lo, min(lo + 0.1, 0.6))
    if r < cut[1]:
        sides = rng.random(4) < 0.5
        if not sides.any():
            sides[int(rng.integers(4))] = True
        left, right, top, bottom = (int(s * rng.uniform(0.1, 0.35) * n) for s, n in zip(sides, (w, w, h, h)))
        return outpaint_border(h, w, left, right, top, bottom)
    if r < cut[2]:
        return bridge_layout(h, w, "horizontal", gap=rng.uniform(0.1, 0.4))
    return bridge_layout(h, w, "diagonal", flip=bool(rng.random() < 0.5))
