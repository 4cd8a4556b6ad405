"""Every setting of the texture stage, in one frozen dataclass: ``add_texture(..., settings=replace(DEFAULT, ...))``
changes any of them for one call (the numba kernels take theirs as an argument, ``kernel``). What each trades is in
docs/texture.md."""

from __future__ import annotations

import dataclasses
import functools
from collections import namedtuple

import numpy as np


@dataclasses.dataclass(frozen=True)
class TextureSettings:
    # 1. the pyramid
    patch_radius: int = 3  # 7x7 patches
    coarse_fraction: int = 16  # the coarsest level, which the guide fills, is about 1/16 of the long side ...
    coarse_min: int = 16  # ... but at least 16 px
    search_side: int = 384  # larger levels only upsample the field and vote
    full_search: int = 512  # a full size up to this is searched once more, locally ...
    full_radius: int = 1  # ... within this many px of the upsampled match
    full_features: bool = True  # ... and the level above it compares busyness and the guide term too
    # 2. the search and the votes
    em_step: int = 2  # a level k above the finest searched runs 1 + em_step * k EM iterations ...
    nnf_max: int = 7  # ... of min(nnf_max, 1 + k) PatchMatch passes
    fine_iters: int = 1  # ... and the finest searched level this many
    guide: bool = True  # the coarsest level starts from the guide (False: from OpenCV Telea)
    closest_vote: bool = True  # searched levels vote each pixel from its closest patch
    final_closest: float = 0.75  # votes into the full size: this share the closest copy, the rest the weighted mean
    far_vote: bool = True  # a pixel only distant patches cover takes the closest copy, not its upsampled value
    features: float = 5.0  # weight of busyness (local mean |gradient|) in the patch distance ...
    features_growth: float = 2.0  # ... times this at each coarser level
    guide_term: float = 0.75  # weight of the guide's low frequencies in the patch distance
    guide_sigma: float = 4 / 256  # ... below this Gaussian sigma (fraction of the level's side)
    guide_trust: float = 76.8  # ... trusted as exp(-px from the kept pixels / this x the guide's upscale)
    reach: float = 3.0  # sources lie within reach x the hole's thickness of it ...
    reach_min: float = 48.0  # ... and at least this many px
    dy_term: float = 0.05  # a source dy rows off costs dy_term (dy / height)² ...
    dx_term: float = 0.01  # ... and dx columns off dx_term (dx / width)²
    ssd_scale: float = 255.0 * 255.0  # per-pixel distance: RGB SSD / this, at most 1
    similarity: tuple = (1.0, 0.99, 0.96, 0.83, 0.38, 0.11, 0.02, 0.005, 0.0006, 0.0001, 0.0, 0.0)  # vote weight by distance x 100
    retries: int = 20  # random tries for a patch whose match is at the largest distance
    bands: int = 8  # row bands searched in parallel; fixed, so fills do not depend on the thread count
    seed: int = 0  # the random search's default seed
    # 3. the pull to the guide's low frequencies
    low_alpha: float = 0.5  # how far the fill's low frequencies move to the guide's ...
    low_sigma: float = 4 / 256  # ... below this Gaussian sigma (fraction of the long side)
    chroma_trust: float = 32.0  # the pull's colour fades as exp(-px from the kept pixels / this)
    palette: float = 1.0  # a pull toward a colour rarer in the photo than the copy's is scaled by the ratio^this ...
    palette_bin: int = 8  # ... in a histogram of 256 / palette_bin levels per channel ...
    palette_blur: int = 2  # ... blurred this many times by [1, 2, 1]
    # 4. the fades away from the border
    texture_gain: float = 0.6  # the copies' grain falls to this share ...
    texture_sigma: float = 2.0  # ... (finer than this Gaussian sigma, px of the guide) ...
    texture_near: float = 16.0  # ... over this many px from the border
    band_gain: float = 0.4  # the copies' structure (texture_sigma to band_sigma) falls to this share ...
    band_sigma: float = 24.0
    band_far: float = 64.0  # ... linearly over this many px
    lift_veil: bool = True  # fades that take a region to colours the photo lacks are undone ...
    veil_low: float = 0.3  # ... from this mean off-palette share ...
    veil_high: float = 0.5  # ... wholly at this one ...
    veil_sigma: float = 32.0  # ... over a Gaussian of this many px
    # 5. the seams between copies
    seams: float = 0.001  # weight on staying put in the screened Poisson solve (0: no seam correction)
    seam_limit: float = 30.0  # a seam's change past this (summed over RGB) ...
    seam_near: int = 4  # ... as large as the photo's steps within this many px of its sources ...
    seam_floor: int = 30  # ... less this ...
    seam_local: float = 0.1  # ... is blended locally, with this weight on staying put ...
    seam_local_sweeps: int = 6  # ... over this many Gauss-Seidel sweeps
    seam_cycles: int = 1  # V-cycles at each level of the full multigrid solve ...
    seam_sweeps: int = 2  # ... each with this many sweeps before and after the coarser level's correction

    def kernel(self) -> tuple:
        """The settings the numba kernels read, as a typed tuple they take as an argument."""
        return _kernel(self)


DEFAULT = TextureSettings()

# What the numba kernels of the search and votes read (fixed types: one compiled version serves every value).
Kernel = namedtuple("Kernel", "r features ssd_scale dy_term dx_term retries bands far_vote similarity")


@functools.lru_cache(maxsize=32)
def _kernel(s: TextureSettings) -> Kernel:
    return Kernel(int(s.patch_radius), float(s.features), float(s.ssd_scale), float(s.dy_term), float(s.dx_term),
                  int(s.retries), int(s.bands), bool(s.far_vote), np.array(s.similarity, np.float64))


def parse(pairs: list[str], base: TextureSettings = DEFAULT) -> TextureSettings:
    """``["guide_term=0.5", "seams=0"]`` as settings; an unknown name or a value of the wrong type is an error."""
    fields = {f.name: f for f in dataclasses.fields(TextureSettings)}
    changes = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or name not in fields:
            raise ValueError(f"unknown texture setting {pair!r}; known: {', '.join(fields)}")
        kind = type(getattr(base, name))
        if kind is bool:
            if value.lower() not in ("true", "false", "1", "0"):
                raise ValueError(f"{name} takes true or false, not {value!r}")
            changes[name] = value.lower() in ("true", "1")
        elif kind is tuple:
            changes[name] = tuple(float(v) for v in value.split(","))
        else:
            changes[name] = kind(float(value)) if kind is int and float(value).is_integer() else kind(value)
    return dataclasses.replace(base, **changes)
