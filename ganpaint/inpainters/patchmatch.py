"""PatchMatch (Barnes et al. 2009) through PyPatchMatch: the classical exemplar method, the bar for texture."""

from __future__ import annotations

import numpy as np

from .base import Inpainter


class PatchMatchInpainter(Inpainter):
    name = "patchmatch"
    label = "PatchMatch"
    pad_multiple = 1
    max_side = 4096  # runs at any size; no need to downscale

    def __init__(self, patch_size: int = 3, seed: int = 0):
        """``patch_size`` is PyPatchMatch's patch radius (3: 7x7 patches, as in its examples and IOPaint)."""
        self.patch_size = patch_size
        self.seed = seed

    @classmethod
    def available(cls) -> tuple[bool, str]:
        try:
            import patchmatch
        except ImportError:
            return False, "PyPatchMatch is not installed: pip install pypatchmatch"
        if not patchmatch.patchmatch_available:
            return False, "PyPatchMatch's native library failed to load (see its warning); reinstall pypatchmatch"
        return True, ""

    def forward(self, image: np.ndarray, mask: np.ndarray, **options) -> np.ndarray:
        import patchmatch

        patchmatch.set_random_seed(self.seed)  # its search is random: the same input gives the same fill
        return patchmatch.inpaint(image, mask, patch_size=self.patch_size)
