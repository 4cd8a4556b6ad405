"""Training losses. Images are in [-1, 1]; masks are 1 inside the hole."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .features import feature_net
from .metrics import ssim

# Output index of each named ReLU in torchvision's vgg16().features.
VGG16_LAYERS = {"relu1_2": 3, "relu2_2": 8, "relu3_3": 15, "relu4_3": 22, "relu5_3": 29}


def hole_l1(output, target, mask, hole_weight: float = 1.0, valid_weight: float = 0.0):
    """Mean absolute error inside the hole (and optionally outside), per element."""
    diff = (output - target).abs()
    hole = (diff * mask).sum() / (mask.sum() * diff.shape[1]).clamp_min(1)
    if not valid_weight:
        return hole_weight * hole
    valid = (diff * (1 - mask)).sum() / ((1 - mask).sum() * diff.shape[1]).clamp_min(1)
    return hole_weight * hole + valid_weight * valid


def ssim_loss(output, target):
    return 1 - ssim((output + 1) / 2, (target + 1) / 2)


class PerceptualLoss(nn.Module):
    """L1 between VGG16 ImageNet features of output and target.

    ``size`` runs VGG on a downscaled copy: on a CPU the full-resolution first
    layers dominate the training step.
    """

    def __init__(self, layers=("relu1_2", "relu2_2", "relu3_3"), size: int | None = None, net: nn.Module | None = None):
        super().__init__()
        last = max(VGG16_LAYERS[name] for name in layers)
        self.vgg = (net if net is not None else feature_net("vgg16"))[: last + 1]
        self.taps = {VGG16_LAYERS[name] for name in layers}
        self.size = size
        self.register_buffer("mean", torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1))

    def features(self, x):
        x = ((x + 1) / 2 - self.mean) / self.std
        if self.size and x.shape[-1] != self.size:
            x = F.interpolate(x, size=(self.size, self.size), mode="bilinear", align_corners=False, antialias=True)
        out = []
        for i, layer in enumerate(self.vgg):
            x = layer(x)
            if i in self.taps:
                out.append(x)
        return out

    def forward(self, output, target):
        with torch.no_grad():
            real = self.features(target)
        return sum(F.l1_loss(a, b) for a, b in zip(self.features(output), real)) / len(real)


class GANLoss:
    """Adversarial losses; the real/fake targets live here and nowhere else."""

    def __init__(self, kind: str = "hinge"):
        if kind not in ("hinge", "nonsat"):
            raise ValueError(f"unknown GAN loss {kind!r}; use 'hinge' or 'nonsat'")
        self.kind = kind

    def _real(self, logits):
        return F.relu(1 - logits) if self.kind == "hinge" else F.softplus(-logits)

    def _fake(self, logits):
        return F.relu(1 + logits) if self.kind == "hinge" else F.softplus(logits)

    def d_loss(self, real_logits, fake_logits, fake_mask=None):
        """With ``fake_mask`` (LaMa's "mask as fake target") only the filled cells of the fake are fake; the kept rest is real."""
        if fake_mask is None:
            return self._real(real_logits).mean() + self._fake(fake_logits).mean()
        m = logit_mask(fake_mask, fake_logits)
        return self._real(real_logits).mean() + (self._fake(fake_logits) * m + self._real(fake_logits) * (1 - m)).mean()

    def g_loss(self, fake_logits, fake_mask=None):
        """With ``fake_mask`` only the filled cells push the generator: the kept ones are the photo itself."""
        loss = -fake_logits if self.kind == "hinge" else F.softplus(-fake_logits)
        if fake_mask is None:
            return loss.mean()
        m = logit_mask(fake_mask, fake_logits)
        return (loss * m).sum() / m.sum().clamp_min(1)


def logit_mask(mask, logits):
    """The hole mask at the discriminator's logit resolution: a cell is fake when any of its pixels was filled."""
    return F.adaptive_max_pool2d(mask, logits.shape[-2:])


def feature_matching(fake_features, real_features):
    """L1 between discriminator features of the fill and of the real photo."""
    return sum(F.l1_loss(f, r.detach()) for f, r in zip(fake_features, real_features)) / len(real_features)


def r1_penalty(real_logits, real_images):
    """Gradient penalty on real images (Mescheder et al. 2018)."""
    (grad,) = torch.autograd.grad(real_logits.sum(), real_images, create_graph=True)
    return grad.pow(2).flatten(1).sum(1).mean()
