"""Training and validation data: any folder of photos, random resized crops, fixed val set."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps

from .masks import TRAINING_MIX, difficulty_mask, training_mask
from .tensors import to_tensor, to_uint8  # noqa: F401  (also imported from here by training code)

CROP_SCALE = (0.35, 1.0)  # a training crop's side as a share of the photo's short side

IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".webp"}


def list_images(root) -> list[Path]:
    """Photos under ``root`` (recursive), sorted so every run sees the same order."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"image folder not found: {root}")
    files = sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_EXTENSIONS and p.is_file())
    if not files:
        raise FileNotFoundError(f"no .jpg/.png/.webp photos under {root}")
    return files


def load_rgb(path, max_short_side: int | None = None) -> np.ndarray:
    """An upright RGB uint8 array; optionally shrunk so its short side is at most ``max_short_side``."""
    with Image.open(path) as im:
        im = ImageOps.exif_transpose(im).convert("RGB")
        if max_short_side and min(im.size) > max_short_side:
            scale = max_short_side / min(im.size)
            im = im.resize((round(im.width * scale), round(im.height * scale)), Image.Resampling.LANCZOS)
        return np.asarray(im).copy()


def center_square(img: np.ndarray, size: int) -> np.ndarray:
    h, w = img.shape[:2]
    s = min(h, w)
    y, x = (h - s) // 2, (w - s) // 2
    crop = Image.fromarray(img[y : y + s, x : x + s])
    return np.asarray(crop.resize((size, size), Image.Resampling.BICUBIC))


def color_jitter(img: np.ndarray, rng: np.random.Generator, strength: float) -> np.ndarray:
    """Brightness, contrast, saturation and white balance each moved by up to ``strength``:
    other cameras and light than the 476 training photos'."""
    x = img.astype(np.float32)
    gray = x @ np.float32([0.299, 0.587, 0.114])
    s, c, b = rng.uniform(1 - strength, 1 + strength, 3)
    x = gray[..., None] + s * (x - gray[..., None])  # saturation
    x = gray.mean() + c * (x - gray.mean())  # contrast
    x = x * b * rng.uniform(1 - strength / 4, 1 + strength / 4, 3).astype(np.float32)  # brightness, white balance
    return np.clip(x + 0.5, 0, 255).astype(np.uint8)


class TrainSet(torch.utils.data.Dataset):
    """Random resized square crops with flips and a training mask.

    Sample ``i`` depends only on ``(seed, i)``, so a resumed run sees exactly the
    batches the uninterrupted run would have seen.
    """

    def __init__(self, root, size: int = 256, seed: int = 0, scale=CROP_SCALE, length: int = 10**9,
                 mask_mix=TRAINING_MIX, jitter: float = 0.0):
        self.files = list_images(root)
        self.size, self.seed, self.scale, self.length, self.mask_mix = size, seed, scale, length, tuple(mask_mix)
        self.jitter = jitter
        # Photos are kept in memory at most twice the crop size on the short side: cheap crops, same scale.
        self.images = [load_rgb(p, max_short_side=max(2 * size, 256)) for p in self.files]

    def __len__(self):
        return self.length

    def __getitem__(self, i):
        rng = np.random.default_rng([self.seed, i])
        img = self.images[int(rng.integers(len(self.images)))]
        h, w = img.shape[:2]
        s = int(rng.uniform(*self.scale) * min(h, w))
        y, x = int(rng.integers(0, h - s + 1)), int(rng.integers(0, w - s + 1))
        crop = Image.fromarray(img[y : y + s, x : x + s]).resize((self.size, self.size), Image.Resampling.BILINEAR)
        crop = np.asarray(crop)
        if rng.random() < 0.5:
            crop = crop[:, ::-1]
        mask = training_mask(self.size, self.size, rng, self.mask_mix)
        if self.jitter:  # drawn after the mask, so jitter 0 gives the very batches it always did
            crop = color_jitter(crop, rng, self.jitter)
        return to_tensor(crop[None])[0], torch.from_numpy(mask).float()[None]


def batches(dataset: TrainSet, batch_size: int, start_step: int = 0, num_workers: int = 0, rank: int = 0, world: int = 1):
    """Endless iterator of (images, masks) batches beginning at ``start_step``.

    With ``world`` processes, step ``s`` of process ``rank`` gets samples ``((s * world + rank) * batch_size, ...)``:
    its own shard, and the same samples after a resume. One process sees exactly the batches it always did.
    """
    sampler = (i for s in itertools.count(start_step) for i in range((s * world + rank) * batch_size,
                                                                     (s * world + rank + 1) * batch_size))
    loader = torch.utils.data.DataLoader(
        dataset, batch_size=batch_size, sampler=sampler, num_workers=num_workers,
        persistent_workers=num_workers > 0, drop_last=True,
    )
    yield from loader


def validation_set(root, size: int = 256, n: int | None = None, seed: int = 0, difficulties=("easy", "medium", "hard")):
    """A fixed validation set: centre crops with one fixed mask per photo, difficulties cycled.

    Returns images (N, 3, S, S) in [-1, 1] and masks (N, 1, S, S).
    """
    files = list_images(root)[:n]
    images = np.stack([center_square(load_rgb(p), size) for p in files])
    masks = np.stack([difficulty_mask(size, size, difficulties[i % len(difficulties)], seed + i) for i in range(len(files))])
    return to_tensor(images), torch.from_numpy(masks).float()[:, None]
