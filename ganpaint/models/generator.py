"""The inpainting generator: a compact U-Net with a dilated + Fourier bottleneck."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from huggingface_hub import PyTorchModelHubMixin
from torch import nn


def known_edges(image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Sobel edge magnitude of the *known* pixels only.

    Zeroed inside the hole grown by one pixel, so neither hidden pixels nor the
    artificial hole border leak into the map.
    """
    gray = image.mean(1, keepdim=True) * (1 - mask)
    kx = torch.tensor([[-1.0, 0, 1], [-2, 0, 2], [-1, 0, 1]], device=image.device, dtype=image.dtype)
    k = torch.stack([kx, kx.t()])[:, None] / 4
    g = F.conv2d(F.pad(gray, (1, 1, 1, 1), mode="replicate"), k)
    edges = g.pow(2).sum(1, keepdim=True).add(1e-8).sqrt()
    grown = F.max_pool2d(mask, 3, stride=1, padding=1)
    return (edges * (1 - grown)).clamp(0, 1)


class FourierUnit(nn.Module):
    """Global mixing in the frequency domain (after LaMa's fast Fourier convolution)."""

    def __init__(self, channels: int):
        super().__init__()
        self.conv = nn.Conv2d(2 * channels, 2 * channels, 1)

    def forward(self, x):
        h, w = x.shape[-2:]
        f = torch.fft.rfft2(x.float(), norm="ortho")
        f = self.conv(torch.cat([f.real, f.imag], 1).to(x.dtype)).float()
        re, im = f.chunk(2, 1)
        return torch.fft.irfft2(torch.complex(re, im), s=(h, w), norm="ortho").to(x.dtype)


class Block(nn.Module):
    """Residual block: a dilated 3x3 local branch, plus a global Fourier branch when ``fourier``."""

    def __init__(self, channels: int, dilation: int = 1, fourier: bool = False):
        super().__init__()
        # Zero padding: reflection needs the map to be larger than the dilation, which fails on small inputs.
        self.local = nn.Conv2d(channels, channels, 3, padding=dilation, dilation=dilation)
        self.fourier = FourierUnit(channels) if fourier else None
        self.out = nn.Conv2d(channels, channels, 3, padding=1)
        nn.init.zeros_(self.out.weight)  # starts as identity: deep stacks train without normalisation
        nn.init.zeros_(self.out.bias)

    def forward(self, x):
        y = self.local(x)
        if self.fourier is not None:
            y = y + self.fourier(x)
        return x + self.out(F.leaky_relu(y, 0.2))


IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


class AlexNetContext(nn.Module):
    """ImageNet AlexNet's convolutions (conv1 to conv5) on the known pixels, frozen: what the photo shows, from
    features learned on a million photos, which 476 training photos cannot teach. Its weights are saved with the
    generator's; ``load_imagenet`` sets them at the start of training."""

    channels = 256
    min_side = 64  # smaller inputs are upscaled: AlexNet's pooling needs at least this

    def __init__(self):
        super().__init__()
        import torchvision

        self.net = torchvision.models.alexnet().features[:12]  # to conv5's ReLU, stride 16, 256 channels
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), persistent=False)
        self.requires_grad_(False)

    def load_imagenet(self):
        from ..features import feature_net

        self.net.load_state_dict(feature_net("alexnet")[:12].state_dict())

    def forward(self, known: torch.Tensor) -> torch.Tensor:
        x = ((known + 1) / 2 - self.mean.to(known.dtype)) / self.std.to(known.dtype)
        h, w = x.shape[-2:]
        if min(h, w) < self.min_side:
            scale = self.min_side / min(h, w)
            x = F.interpolate(x, size=(round(h * scale), round(w * scale)), mode="bilinear", align_corners=False)
        return self.net(x)


CONTEXTS = {"": None, "alexnet": AlexNetContext}


def conv(cin, cout, stride=1):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, padding_mode="reflect"), nn.LeakyReLU(0.2))


class Generator(nn.Module, PyTorchModelHubMixin, library_name="ganpaint", tags=["inpainting", "gan", "image-to-image"]):
    """U-Net generator for inpainting.

    Input: the photo in [-1, 1] and the mask (1 = fill). The network sees the
    masked photo, the mask and, with ``use_edges``, an edge map of the known
    region. It works at half resolution (pixel unshuffle) for speed; the output
    is composited so known pixels are kept exactly.
    """

    def __init__(
        self,
        channels: tuple = (24, 48, 96, 160),
        decoder_channels: tuple = (96, 48, 24),
        dilations: tuple = (1, 2, 4, 8, 1, 2),
        fourier_every: int = 2,
        use_edges: bool = False,
        upsample: str = "nearest",
        train_size: int = 0,
        context: str = "",
    ):
        super().__init__()
        if upsample not in ("nearest", "bilinear"):
            raise ValueError(f"upsample must be 'nearest' or 'bilinear', not {upsample!r}")
        if context not in CONTEXTS:
            raise ValueError(f"context must be one of {sorted(CONTEXTS)}, not {context!r}")
        self.use_edges, self.upsample = use_edges, upsample
        # The crop side it was trained at, saved in config.json with the weights (0: unknown): inference's
        # working resolution follows from it, also for a Hub download that has no training.json.
        self.train_size = train_size
        c0, c1, c2, c3 = channels
        cin = (5 if use_edges else 4) * 4
        self.enc = nn.ModuleList([conv(cin, c0), conv(c0, c1, 2), conv(c1, c2, 2), conv(c2, c3, 2)])
        # With ``context``, a pretrained feature net's view of the photo joins the bottleneck through a 1x1 convolution
        # that starts at zero, so a trained generator given one starts as it was.
        self.context = CONTEXTS[context]() if context else None
        if self.context is not None:
            self.from_context = nn.Conv2d(self.context.channels, c3, 1)
            nn.init.zeros_(self.from_context.weight)
            nn.init.zeros_(self.from_context.bias)
        self.blocks = nn.Sequential(
            *[Block(c3, d, fourier=fourier_every > 0 and i % fourier_every == fourier_every - 1) for i, d in enumerate(dilations)]
        )
        d2, d1, d0 = decoder_channels
        self.dec = nn.ModuleList([conv(c3 + c2, d2), conv(d2 + c1, d1), conv(d1 + c0, d0)])
        self.to_rgb = nn.Conv2d(d0, 12, 3, padding=1, padding_mode="reflect")

    # Height and width must be multiples of this (half resolution, then three stride-2 steps).
    pad_multiple = 16

    def forward(self, image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        known = image * (1 - mask)
        parts = [known, mask] + ([known_edges(image, mask)] if self.use_edges else [])
        x = F.pixel_unshuffle(torch.cat(parts, 1), 2)
        skips = []
        for layer in self.enc:
            x = layer(x)
            skips.append(x)
        x = skips.pop()
        if self.context is not None:
            seen = F.interpolate(self.context(known), size=x.shape[-2:], mode="bilinear", align_corners=False)
            x = x + self.from_context(seen)
        x = self.blocks(x)
        for layer in self.dec:
            # Nearest upsampling copies each bottleneck cell into a 16-px block; bilinear does not.
            x = F.interpolate(x, scale_factor=2, mode=self.upsample, **({"align_corners": False} if self.upsample == "bilinear" else {}))
            x = layer(torch.cat([x, skips.pop()], 1))
        fill = torch.tanh(F.pixel_shuffle(self.to_rgb(x), 2))
        return known + fill * mask
