"""uint8 photos to model tensors and back: shared by training and inference (which must not import training data code)."""

from __future__ import annotations

import numpy as np
import torch


def to_tensor(images: np.ndarray) -> torch.Tensor:
    """uint8 (B, H, W, 3) -> float (B, 3, H, W) in [-1, 1]."""
    return torch.from_numpy(np.array(images)).permute(0, 3, 1, 2).float().div(127.5).sub(1)


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """float (B, 3, H, W) in [-1, 1] -> uint8 (B, H, W, 3); the inverse of ``to_tensor``."""
    return images.permute(0, 2, 3, 1).add(1).mul(127.5).round().clamp(0, 255).byte().cpu().numpy()
