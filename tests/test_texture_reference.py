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


# Settings the numba kernels read (as module constants they were frozen when the kernels compiled: setting one at run
# time changed nothing). Each is now an argument: another value gives another fill in the same process, and the
# defaults give the saved fill again afterwards.
KERNEL_SETTINGS = {"patch_radius": 2, "features": 1.0, "ssd_scale": 255.0 * 64, "dy_term": 0.5, "dx_term": 0.2,
                   "retries": 0, "bands": 5, "far_vote": False, "similarity": (1.0,) * 10 + (0.0, 0.0), "palette": 3.0,
                   "seam_limit": 5.0}


def test_every_setting_the_kernels_read_can_be_changed_per_call():
    from dataclasses import replace

    from ganpaint.inpainters.texture import DEFAULT

    img = scene(256, seed=256)
    hole = mask("hard", 256, seed=256)
    guide = guide_for(img, hole)
    base = texture_near_hole(img, hole, guide)
    same = [name for name, value in KERNEL_SETTINGS.items()
            if np.array_equal(texture_near_hole(img, hole, guide, 1.0, replace(DEFAULT, **{name: value})), base)]
    assert same == []
    assert digest(texture_near_hole(img, hole, guide)) == digest(base) == json.loads(REFERENCE.read_text())["hard_256"]


def test_texture_settings_parse_from_the_command_line():
    from ganpaint.inpainters.texture import DEFAULT, parse

    s = parse(["guide_term=0.5", "seams=0", "lift_veil=false", "bands=4"])
    assert (s.guide_term, s.seams, s.lift_veil, s.bands) == (0.5, 0.0, False, 4) and s.low_alpha == DEFAULT.low_alpha
    for bad in (["guide_termm=1"], ["guide_term"], ["lift_veil=maybe"], ["bands=two"]):
        with pytest.raises(ValueError):
            parse(bad)
