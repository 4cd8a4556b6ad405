"""Image quality metrics on [0, 1] tensors of shape (B, 3, H, W)."""

from __future__ import annotations

import functools

import torch
import torch.nn.functional as F


def psnr(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Per-image PSNR in dB."""
    mse = (a - b).pow(2).flatten(1).mean(1).clamp_min(1e-10)
    return 10 * torch.log10(1 / mse)


def _gaussian(size=11, sigma=1.5, device=None, dtype=None):
    x = torch.arange(size, device=device, dtype=dtype) - size // 2
    g = torch.exp(-(x**2) / (2 * sigma**2))
    return g / g.sum()


def ssim(a: torch.Tensor, b: torch.Tensor, reduce: bool = True) -> torch.Tensor:
    """SSIM with an 11x11 Gaussian window (Wang et al. 2004), per image unless ``reduce``."""
    c = a.shape[1]
    g = _gaussian(device=a.device, dtype=a.dtype)
    kx = g.view(1, 1, 1, -1).repeat(c, 1, 1, 1)
    ky = g.view(1, 1, -1, 1).repeat(c, 1, 1, 1)

    def blur(x):
        return F.conv2d(F.conv2d(x, kx, groups=c), ky, groups=c)

    mu_a, mu_b = blur(a), blur(b)
    var_a = blur(a * a) - mu_a**2
    var_b = blur(b * b) - mu_b**2
    cov = blur(a * b) - mu_a * mu_b
    c1, c2 = 0.01**2, 0.03**2
    s = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2))
    per_image = s.flatten(1).mean(1)
    return per_image.mean() if reduce else per_image


@functools.lru_cache(maxsize=2)
def _lpips_model(device: str = "cpu"):
    import warnings

    import lpips

    from .features import feature_net, local_weights

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # pnet_rand skips torchvision's download; the AlexNet features are loaded just below.
        model = lpips.LPIPS(net="alex", pretrained=True, pnet_rand=local_weights("alexnet") is not None, verbose=False)
    if local_weights("alexnet") is not None:
        features = feature_net("alexnet")
        slices = [model.net.slice1, model.net.slice2, model.net.slice3, model.net.slice4, model.net.slice5]
        # lpips splits alexnet.features into five slices that keep the original layer indices.
        for s in slices:
            for name, module in s.named_children():
                module.load_state_dict(features[int(name)].state_dict())
    return model.eval().to(device)


def lpips(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Per-image LPIPS (AlexNet, v0.1)."""
    model = _lpips_model(str(a.device))
    with torch.no_grad():
        return model(a * 2 - 1, b * 2 - 1).flatten()
