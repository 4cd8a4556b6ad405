"""ImageNet feature extractors (VGG16 for the perceptual loss, AlexNet for LPIPS), usable offline.

Looks for a local safetensors file first (an environment variable, then the
shared folder next to the project), and only then asks torchvision to download.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch
from safetensors.torch import load_file

from . import paths

_FILES = {
    "vgg16": ("GANPAINT_VGG16_WEIGHTS", ["vgg16_imagenet_features.safetensors", "vgg16_imagenet_features.fp16.safetensors"]),
    "alexnet": ("GANPAINT_ALEXNET_WEIGHTS", ["alexnet_imagenet_features.safetensors"]),
}


def local_weights(name: str) -> Path | None:
    env, files = _FILES[name]
    if os.environ.get(env):
        path = Path(os.environ[env])
        if not path.is_file():
            raise FileNotFoundError(f"{env}={path} does not exist")
        return path
    for folder in paths.shared_weights_dirs():
        for f in files:
            if (folder / f).is_file():
                return folder / f
    return None


def feature_net(name: str) -> torch.nn.Sequential:
    """The convolutional part of an ImageNet ``vgg16`` or ``alexnet``, frozen, in eval mode."""
    import torchvision

    env, files = _FILES[name]
    build = getattr(torchvision.models, name)
    path = local_weights(name)
    if path is not None:
        net = build().features
        net.load_state_dict({k: v.float() for k, v in load_file(str(path)).items()})
    else:
        try:
            net = build(weights="DEFAULT").features
        except Exception as e:  # offline, or no disk
            raise RuntimeError(
                f"could not load ImageNet {name} weights: {e}. Offline, point {env} at a local "
                f"{files[0]} (torchvision.models.{name}().features state dict)."
            ) from e
    for p in net.parameters():
        p.requires_grad_(False)
    return net.eval()
