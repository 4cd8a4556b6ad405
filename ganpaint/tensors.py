"""Tensor plumbing shared by training and inference: uint8 photos to model tensors and back, and the device."""

from __future__ import annotations

import numpy as np
import torch


def to_tensor(images: np.ndarray) -> torch.Tensor:
    """uint8 (B, H, W, 3) -> float (B, 3, H, W) in [-1, 1]."""
    return torch.from_numpy(np.array(images)).permute(0, 3, 1, 2).float().div(127.5).sub(1)


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """float (B, 3, H, W) in [-1, 1] -> uint8 (B, H, W, 3); the inverse of ``to_tensor``."""
    return images.permute(0, 2, 3, 1).add(1).mul(127.5).round().clamp(0, 255).byte().cpu().numpy()


def pick_device(name: str | None = "auto") -> torch.device:
    """``auto`` (or None): CUDA when there is a GPU, else the CPU; anything else as given (``cpu``, ``cuda:1``)."""
    if name in (None, "", "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)
