"""Texture from the photo for a fill whose layout comes from a network (or any smooth fill: the *guide*).

A network predicts the mean of what could be behind the hole: the right layout and colours, but smooth. Exemplar
methods copy real texture from the photo. This stage is an exemplar method seeded and steered by the guide;
``add_texture`` runs its steps in order (docs/texture.md explains each, and what its settings trade):

1. ``pyramid``: a mask-aware pyramid of the photo, with busyness features and the guide's low frequencies.
2. ``search_and_vote``: coarse to fine, a patch EM (PatchMatch, then votes), started at the coarsest level from
   the guide; a level's last vote copies from the next finer level, so texture is copied at full resolution.
3. ``pull``: the fill's low frequencies pulled toward the guide's, kept to the photo's palette.
4. ``fade``: the copies' grain and structure faded away from the border, undone where that makes a veil.
5. ``seams``: the steps between copies replaced by steps the sources have, spread by a screened Poisson solve.

Hole pixels of the photo are never read. Deterministic: the random search has seeded generators per band of rows,
and the bands are fixed, so fills do not depend on the thread count.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ... import timing
from .memory import keep_freed_memory
from .pull import add_pull, fade_colour, lift_veil, palette_density, soften
from .pyramid import gradients, low_pass, paste, pyramid, split_photo, telea
from .search import costs, far_sources, guide_targets, minimize, source_reach, upsample_field, vote
from .seams import seam_correction
from .settings import DEFAULT, TextureSettings, parse

__all__ = ["DEFAULT", "TextureSettings", "add_texture", "parse"]


def add_texture(rgb: np.ndarray, hole: np.ndarray, guide: np.ndarray, seed: int | None = None,
                guide_scale: float = 1.0, settings: TextureSettings = DEFAULT) -> np.ndarray:
    """``rgb`` uint8 HxWx3 (its hole pixels are never read), ``hole`` bool HxW, ``guide`` uint8 HxWx3 (a fill of
    the hole). Returns the guide with its hole pixels replaced by texture voted from the photo's known patches;
    ``seed`` (default ``settings.seed``) drives the random search; ``guide_scale`` is the factor by which the guide
    was made smaller than the photo and upscaled (1: at full size), which sets how far from the border it is trusted."""
    if hole.all() or not hole.any():
        return guide.copy()
    cfg = settings
    keep_freed_memory()
    inside = cv2.distanceTransform(hole.astype(np.uint8), cv2.DIST_L2, 3)  # px to the nearest kept pixel
    with timing.stage("texture: pyramid"):
        p = Pyramid.build(rgb, hole, guide, guide_scale, cfg)
    with timing.stage("texture: search and vote"):
        est, top = search_and_vote(p, hole, guide, inside, seed, cfg)
    with timing.stage("texture: pull"):
        out, est, dens = pull(p, rgb, hole, est, inside, guide_scale, cfg)
    with timing.stage("texture: fades"):
        fade(out, est, p, rgb, hole, dens, inside, guide_scale, cfg)
    with timing.stage("texture: seams"):
        if cfg.seams:
            out += seam_correction(out, rgb, p.known, hole, top, cfg)
    np.clip(np.round(out, out=out), 0, 255, out=out)
    result = guide.copy()
    paste(result, out, hole, True)  # exact: out is rounded and clipped
    return result


@dataclass
class Pyramid:
    """Step 1: the photo's levels and what the search needs of them."""

    known: np.ndarray  # the photo as float32, 0 in the hole
    filled: np.ndarray  # the photo with the guide in the hole (one buffer, reused by the fades)
    levels: list  # (image, hole) from the full size down; channels: RGB, guide low-pass (some), busyness (some)
    targets: dict  # by level: the estimate -> the hole's low-pass target (the guide term)
    search_top: int  # the finest level searched fully
    full: bool  # the full size gets one local search pass after the level above's last vote
    last: int  # the finest level voted into (1 when the level above writes an unsearched full size)

    @classmethod
    def build(cls, rgb, hole, guide, guide_scale, cfg: TextureSettings) -> Pyramid:
        # Whole-crop masked copies go through numba kernels, not boolean indexing or np.where: on a stroke across a
        # 12 MP photo those passes cost more than the texture itself.
        known, filled = split_photo(rgb, guide, hole)
        levels = pyramid(known, hole, cfg, whole=True)
        search_top = next((k for k, (_, m) in enumerate(levels) if max(m.shape) <= cfg.search_side), len(levels) - 1)
        full = search_top > 0 and max(hole.shape) <= cfg.full_search
        plain = search_top - 1 if full and cfg.full_features else search_top  # levels above it: features, guide term
        targets = guide_targets(levels, filled, hole, plain, guide_scale, cfg) if cfg.guide_term and cfg.features else {}
        if cfg.features and plain < len(levels) - 1:
            grads = pyramid(gradients(known, hole, guide), hole, cfg)
            for k in range(plain + 1, len(levels)):
                scale = np.float32(cfg.features_growth ** ((k - plain - 1) / 2))
                levels[k] = (np.concatenate([levels[k][0], scale * grads[k][0]], axis=2), levels[k][1])
        last = 1 if search_top > 0 and not full else 0
        return cls(known, filled, levels, targets, search_top, full, last)


def search_and_vote(p: Pyramid, hole, guide, inside, seed, cfg: TextureSettings) -> tuple[np.ndarray, np.ndarray]:
    """Step 2: the patch EM, coarse to fine. Returns the full-size estimate and each hole pixel's source in the final
    vote (for the seams; a 1x1 stand-in when there are none)."""
    rng = np.random.default_rng(cfg.seed if seed is None else seed)
    reach = source_reach(inside, cfg)
    top = np.full(hole.shape + (2,), -1, np.int32) if cfg.seams else np.zeros((1, 1, 2), np.int32)
    est = nnf = None
    for k in range(len(p.levels) - 1, p.last - 1, -1):
        est, nnf = _search_level(k, est, nnf, p, hole, guide, reach, rng, top, cfg)
    return est, top


def _search_level(k, est, nnf, p: Pyramid, hole, guide, reach, rng, top, cfg: TextureSettings):
    """Level ``k``'s EM iterations: search (random and propagated), then vote; the last vote writes level k - 1."""
    src, m = p.levels[k]
    h, w = m.shape
    r = cfg.patch_radius
    active = cv2.dilate(m.astype(np.uint8), np.ones((2 * r + 1, 2 * r + 1), np.uint8)) > 0
    far = far_sources(m, reach * h / hole.shape[0])
    if est is None:
        est, nnf = _coarsest(src, m, guide, k in p.targets, rng, cfg)
    else:
        nnf = upsample_field(nnf, h, w)
    above = max(k - p.search_top, 0)
    iters = 1 + cfg.em_step * above if k != p.search_top else cfg.fine_iters
    passes = min(cfg.nnf_max, 1 + above) if k >= p.search_top else 1 if p.full else 0
    radius = cfg.full_radius if k < p.search_top else (min(h, w) - 1) // 2
    kn = cfg.kernel()
    for it in range(iters):
        if k in p.targets:  # a hole pixel's low-pass channels are the target's again (the last vote copied sources')
            est[m, 3:6] = p.targets[k](est)[m]
        seed_it = int(rng.integers(1, 2**31))
        cost = costs(est, src, m, far, active, nnf, seed_it, kn)
        if passes:
            minimize(est, src, m, far, active, nnf, cost, passes, seed_it, radius, kn)
        est = _vote_level(k, it == iters - 1, passes, est, p, nnf, cost, top, cfg)
    return est, nnf


def _coarsest(src, m, guide, with_targets: bool, rng, cfg: TextureSettings):
    """The coarsest level's start: the guide (``guide=False``: Telea) fills the hole, the field is random."""
    h, w = m.shape
    est = src.copy()
    start = cv2.resize(guide.astype(np.float32), (w, h), interpolation=cv2.INTER_AREA) if cfg.guide else \
        telea(src[..., :3], m)
    est[m, :3] = start[m]
    f0 = 6 if with_targets else 3  # past RGB (and the low-pass channels, set by the iterations): the features
    if src.shape[2] > f0:  # the hole's expected texture diffuses in from its border: the guide's is too smooth
        est[m, f0:] = telea(src[..., f0:], m)[m]
    nnf = np.stack([rng.integers(0, h, (h, w)), rng.integers(0, w, (h, w))]).astype(np.int32)
    return est, nnf


def _vote_level(k, last_it: bool, passes: int, est, p: Pyramid, nnf, cost, top, cfg: TextureSettings):
    """One vote of level ``k``: its last one copies from the next finer level (texture at full resolution); the
    others vote each pixel from the closest patch (grain finer than a patch is not averaged away)."""
    src, m = p.levels[k]
    kn = cfg.kernel()
    tops = top if k == p.last else np.zeros((1, 1, 2), np.int32)
    if k > 0 and last_it:
        fine, fm = p.levels[k - 1]
        new = cv2.resize(np.ascontiguousarray(est[..., : fine.shape[2]]), (fm.shape[1], fm.shape[0]),
                         interpolation=cv2.INTER_NEAREST)
        vote(fine, fm, nnf, cost, 2, new, cfg.final_closest if k == 1 else 0.0, tops, k == p.last, kn)
        paste(new, fine, fm, False)
        return new
    new = est.copy()
    closest = cfg.final_closest if k == 0 else 1.0 if cfg.closest_vote and passes > 0 else 0.0
    vote(src, m, nnf, cost, 1, new, closest, tops, k == p.last and last_it, kn)
    return new


def pull(p: Pyramid, rgb, hole, est, inside, guide_scale, cfg: TextureSettings):
    """Step 3: the fill's low frequencies moved ``low_alpha`` of the way to the guide's, the colour of that pull
    fading from the border, and kept to the photo's palette. Returns the result, the copies (RGB) and the palette."""
    # In place where it can be: on a 12 MP crop each fresh full-size buffer costs tens of ms in page faults alone.
    est = est[..., :3]
    p.filled -= est
    out = low_pass(p.filled, max(cfg.low_sigma * max(hole.shape), 0.5))
    if cfg.chroma_trust:
        fade_colour(out, inside, hole, np.float32(cfg.chroma_trust * guide_scale))
    dens = palette_density(rgb, hole, cfg) if cfg.palette or cfg.lift_veil else None
    add_pull(out, est, hole, np.float32(cfg.low_alpha), dens if cfg.palette else np.ones((2, 2, 2), np.float32),
             float(cfg.palette))
    return out, est, dens


def fade(out, est, p: Pyramid, rgb, hole, dens, inside, guide_scale, cfg: TextureSettings):
    """Step 4, in place: the copies' grain and structure fade away from the border; where that takes a region to
    colours the photo lacks (a veil), it is undone. ``est`` is not read again: it keeps the copies before the fades."""
    if cfg.texture_gain != 1 or cfg.seams:
        paste(out, rgb, hole, False)  # the kept pixels' own grain sets the border's, and their steps the seams'
    if cfg.texture_gain == 1 and cfg.band_gain == 1:
        return
    if cfg.lift_veil:
        np.copyto(est, out)
    low = low_pass(out, cfg.texture_sigma * guide_scale, dst=p.filled)
    wide = low_pass(out, cfg.band_sigma * guide_scale) if cfg.band_gain != 1 else low
    soften(out, low, wide, inside, hole, cfg.texture_gain, cfg.texture_near * guide_scale, cfg.band_gain,
           cfg.band_far * guide_scale)
    if cfg.lift_veil:
        lift_veil(out, est, hole, dens, cfg.veil_sigma * guide_scale, cfg)
