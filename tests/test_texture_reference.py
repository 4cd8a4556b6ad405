"""The texture stage's fills, bit for bit, against fills saved from the stage before it was laid out as steps
(tests/data/texture_fills.json: a SHA-256 of each fill). A change that alters any fill fails here; one meant to
should be measured on val_xsrc first, then the hashes rewritten with ``python tests/test_texture_reference.py``."""

import hashlib
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from ganpaint.inpainters.base import texture_near_hole
from ganpaint.masks import bridge_layout, difficulty_mask, outpaint_border

REFERENCE = Path(__file__).parent / "data" / "texture_fills.json"


def scene(size: int, seed: int = 0) -> np.ndarray:
    """Sky gradient, a wavy ridge, grass of fine noise and a striped field: structure at every scale."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size] / size
    img = np.zeros((size, size, 3), np.float32)
    img[:] = np.stack([90 + 60 * y, 140 + 40 * y, 220 - 30 * x], -1)
    ridge = 0.45 + 0.06 * np.sin(9 * x + seed) + 0.02 * np.sin(31 * x)
    ground = np.stack([70 + 30 * np.sin(60 * y), 120 + 25 * np.sin(45 * x + 80 * y), 50 + 0 * x], -1)
    ground += rng.normal(0, 14, ground.shape)
    img = np.where((y > ridge)[..., None], ground, img)
    img[(y > 0.8) & (np.sin(90 * x) > 0)] *= 0.6
    return np.clip(img, 0, 255).astype(np.uint8)


def guide_for(img: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """A smooth fill of the right layout, as a network gives: the photo blurred, a little off in colour."""
    s = img.shape[0]
    g = cv2.resize(cv2.resize(img, (s // 16, s // 16), interpolation=cv2.INTER_AREA), (s, s), interpolation=cv2.INTER_CUBIC)
    g = np.clip(g.astype(np.int16) + np.array([6, -4, 3], np.int16), 0, 255).astype(np.uint8)
    return np.where(hole[..., None], g, img)


def mask(kind: str, size: int, seed: int) -> np.ndarray:
    if kind in ("medium", "hard"):
        return difficulty_mask(size, size, kind, seed).astype(bool)
    if kind == "outpaint":
        b = size // 5
        return outpaint_border(size, size, left=b, right=b).astype(bool)
    return bridge_layout(size, size, "diagonal" if kind == "bridge_diag" else "horizontal").astype(bool)


CASES = [("medium", 256, 1.0), ("hard", 256, 1.0), ("outpaint", 256, 1.0), ("bridge", 256, 1.0),
         ("bridge_diag", 256, 1.0), ("hard", 512, 512 / 384), ("outpaint", 512, 512 / 384), ("medium", 768, 2.0),
         ("bridge", 1024, 1024 / 384)]


def fill(kind: str, size: int, scale: float) -> np.ndarray:
    img = scene(size, seed=size)
    hole = mask(kind, size, seed=size)
    return texture_near_hole(img, hole, guide_for(img, hole), scale)


def digest(a: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()


@pytest.mark.parametrize("kind, size, scale", CASES)
def test_the_texture_stage_gives_the_saved_fills_bit_for_bit(kind, size, scale):
    expected = json.loads(REFERENCE.read_text())[f"{kind}_{size}"]
    assert digest(fill(kind, size, scale)) == expected


if __name__ == "__main__":  # rewrite the reference (only for a change measured no worse)
    REFERENCE.write_text(json.dumps({f"{k}_{s}": digest(fill(k, s, sc)) for k, s, sc in CASES}, indent=1) + "\n")
    print(REFERENCE.read_text())
