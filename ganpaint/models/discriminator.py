"""70x70 PatchGAN discriminator with spectral norm (after pix2pix)."""

from __future__ import annotations

import torch
from huggingface_hub import PyTorchModelHubMixin
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm


class PatchDiscriminator(nn.Module, PyTorchModelHubMixin, library_name="ganpaint"):
    """Sees the photo and the mask; returns a logit map and its intermediate features.

    With ``n_layers=3`` each logit looks at a 70x70 patch.
    """

    def __init__(self, base: int = 64, n_layers: int = 3, in_channels: int = 4):
        super().__init__()
        layers, c = [], in_channels
        for i in range(n_layers + 1):
            cout = base * min(2**i, 8)
            stride = 2 if i < n_layers else 1
            layers.append(nn.Sequential(spectral_norm(nn.Conv2d(c, cout, 4, stride, 1)), nn.LeakyReLU(0.2)))
            c = cout
        self.layers = nn.ModuleList(layers)
        self.head = spectral_norm(nn.Conv2d(c, 1, 4, 1, 1))

    def forward(self, image: torch.Tensor, mask: torch.Tensor):
        x = torch.cat([image, mask], 1)
        features = []
        for layer in self.layers:
            x = layer(x)
            features.append(x)
        return self.head(x), features
