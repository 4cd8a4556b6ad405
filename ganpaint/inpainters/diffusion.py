"""The scratch diffusion baseline behind the common interface.

A diffusers ``UNet2DModel`` trained by ``python train.py diffusion`` to predict the
velocity v (or the noise: the saved scheduler says which), seeing the noisy image, the
masked photo and the mask (7 input channels). Sampling uses DDIM or DPM-Solver with a
configurable number of steps.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from .. import paths
from ..tensors import pick_device, to_tensor, to_uint8
from .base import Inpainter, side_for

SAMPLERS = ("ddim", "dpm")


def default_weights() -> str:
    return paths.weights("diffusion")


def make_sampler(name: str, train_config: dict):
    from diffusers import DDIMScheduler, DPMSolverMultistepScheduler

    if name == "ddim":
        return DDIMScheduler.from_config(train_config, clip_sample=True)
    if name == "dpm":
        return DPMSolverMultistepScheduler.from_config(train_config)
    raise ValueError(f"unknown sampler {name!r}; use one of {SAMPLERS}")


@torch.no_grad()
def sample(unet, scheduler, image: torch.Tensor, mask: torch.Tensor, steps: int, generator=None, progress=None):
    """Denoise from pure noise, conditioned on the masked photo and the mask; images in [-1, 1]."""
    known = image * (1 - mask)
    x = torch.randn(image.shape, generator=generator, device="cpu").to(image.device, image.dtype)
    scheduler.set_timesteps(steps)
    x = x * scheduler.init_noise_sigma
    for i, t in enumerate(scheduler.timesteps):
        eps = unet(torch.cat([scheduler.scale_model_input(x, t), known, mask], 1), t).sample
        x = scheduler.step(eps, t, x).prev_sample
        if progress:
            progress((i + 1) / steps, f"denoising step {i + 1}/{steps}")
    return (known + x.clamp(-1, 1) * mask)


class DiffusionInpainter(Inpainter):
    name = "diffusion"
    label = "Diffusion (trained from scratch)"
    options = ("steps", "seed")
    pad_multiple = 8
    max_side = 256  # set from the weights: side_for(the crop it was trained on)

    def __init__(self, weights: str | None = None, device: str | None = None, steps: int = 25, sampler: str = "ddim",
                 seed: int = 0):
        from diffusers import DDPMScheduler, UNet2DModel

        self.weights_path = weights or default_weights()
        self.device = pick_device(device)
        # Stored in fp16 to halve the download; computed in fp32 (CPUs have no fast fp16).
        self.unet = UNet2DModel.from_pretrained(self.weights_path, subfolder="unet", torch_dtype=torch.float32)
        self.unet = self.unet.eval().to(self.device)
        train_scheduler = DDPMScheduler.from_pretrained(self.weights_path, subfolder="scheduler")
        self.scheduler = make_sampler(sampler, train_scheduler.config)
        self.pad_multiple = 2 ** (len(self.unet.config.block_out_channels) - 1)
        # At its training scale, like the GAN: on val_xsrc at 512² (10 photos, medium) filling at 128/192/256 px gave
        # LPIPS 0.227/0.222/0.213 at 2.7/5.7/10 s a photo; 512 px: 0.326 at 63 s (diffusion card, *Fill size*).
        self.max_side = side_for(self.unet.config.sample_size)
        self.steps, self.seed = steps, seed

    @classmethod
    def available(cls) -> tuple[bool, str]:
        w = Path(default_weights())
        if (w / "unet" / "diffusion_pytorch_model.safetensors").is_file():
            return True, ""
        return False, paths.missing_weights("diffusion", "diffusion", "python train.py diffusion")

    def warmup(self):
        pass  # one denoising step costs more than any one-time setup: nothing to gain

    @property
    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.unet.parameters())

    def forward(self, image: np.ndarray, mask: np.ndarray, progress=None, steps: int | None = None,
                seed: int | None = None, **options) -> np.ndarray:
        x = to_tensor(image[None]).to(self.device)
        m = torch.from_numpy(mask).to(self.device)[None, None].float()
        g = torch.Generator().manual_seed(self.seed if seed is None else seed)
        y = sample(self.unet, self.scheduler, x, m, steps or self.steps, generator=g, progress=progress)
        return to_uint8(y)[0]
