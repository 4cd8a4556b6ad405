"""Texture from the photo for a fill whose layout comes from a network (or any smooth fill: the *guide*).

A network predicts the mean of what could be behind the hole: the right layout and colours, but smooth. Exemplar
methods copy real texture from the photo. This stage is an exemplar method seeded and steered by the guide:

1. A mask-aware pyramid of the photo (each coarser pixel a binomial mean of the known pixels under it; the hole
   shrinks level by level). At the coarsest level, about 1/16 of the photo's side, the guide fills what is left of
   the hole: the network decides the layout there, where patches are too coarse to find it.
2. Coarse to fine, a patch EM (Wexler et al. 2007): a nearest-neighbour field from every patch touching the hole to
   the photo's patches, found with PatchMatch (Barnes et al. 2009: propagation and random search), then each hole
   pixel the similarity-weighted vote of what the patches covering it copy there. A level's last vote reads its
   sources from the next finer level, so texture is copied at full resolution, never upsampled (a full size of up to
   ``FULL_SEARCH`` px is then searched once more, locally, so copies land at the pixel); the other votes of
   a searched level take each pixel from the closest patch only, so grain finer than a patch is not averaged away;
   votes into the full size mix that copy (three quarters, ``FINAL_CLOSEST``) with the mean: the closest alone put
   copies side by side whose grain did not join (less so once the seams are corrected, step 4).
   Sources lie near the hole (``REACH``), so a thin stroke takes the texture around it. Above the finest searched
   level (and at it, when a full size is searched once more: ``FULL_FEATURES``) a patch is also compared by how
   busy it is (``FEATURES``, weighted more at coarser levels: the mean |gradient| of the full-size photo under each
   pixel, Newson et al. 2014), which a coarse colour cannot tell: a
   smooth guide otherwise matches smooth sources best and a hole in frost or foliage got a flat block. In the hole
   these features start from the border (Telea), not from the guide. There a patch is also compared by its low
   frequencies against the guide's (``GUIDE_TERM``), trusted near the kept pixels only (``GUIDE_TRUST``): the search
   picks copies that agree with the network's layout where the network is reliable. A copy from far off the
   target's rows costs a little more (``DY_TERM``; scenery is layered in rows), and one from far off its columns a
   little (``DX_TERM``).
3. The result's low frequencies are pulled halfway to the guide's (``LOW_ALPHA``): colours and gradients stay the
   network's where the copies drift, the texture stays the photo's. Far from the border only the grey level is
   pulled (the colour's pull fades over ``CHROMA_TRUST``): there a network drifts into tints, a purple or green cast
   in a sky, and the copies' own colours are the photo's. Nor does the pull take a pixel to a colour the photo has
   less of than the copy's (``PALETTE``): over orange flowers among navy leaves the network's mean is a brown the
   photo has nowhere. The copies' finest grain is softened away from the border (``TEXTURE_GAIN``), where it no
   longer continues the kept pixels, and their structure (up to ``BAND_SIGMA``) fades to ``BAND_GAIN`` far from it,
   where a copied branch is rarely where the photo had one. Where the fades take a whole region to colours the photo
   lacks (flowers and leaves blended into a brown veil), they are undone (``LIFT_VEIL``); settings measured in
   results/gan/texture_tuning.
4. Seams (``SEAMS``): where two neighbouring pixels copy from places that are not neighbours, the step between them
   becomes a step one of the two sources has there (Poisson image editing, Perez et al. 2003, kept to the seams), the
   change spread by a screened Poisson solve (full multigrid) that leaves the kept pixels as they are: copies of a sky
   from two places no longer meet in a visible step. A large step like the edges the photo has near the two sources
   (a flower against a leaf) is blended over a few pixels instead (``SEAM_LOCAL``): spread far, it tinted the texture
   around it.

Hole pixels of the photo are never read: the pyramid averages known pixels only, a source pixel in the hole costs
the most in a patch distance and never votes. Deterministic: the random search uses seeded generators per band of
rows, and the bands are fixed, so results do not depend on the thread count.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
import platform

import cv2
import numba as nb
import numpy as np

R = 3  # patch radius: 7x7 patches
COARSE_FRACTION = 16  # the guide initialises the level at about 1/16 of the long side ...
COARSE_MIN = 16  # ... but at least 16 px, and the pyramid ends there
SEARCH_SIDE = 384  # levels larger than this only upsample the field and vote (large photos cost little more)
# A full size above SEARCH_SIDE but at most FULL_SEARCH px is searched too: one pass of propagation, its random search
# within FULL_RADIUS px of the upsampled match (copies land at the pixel, not at the level above's 2 px). At 512² it
# costs about 55 ms of the 400 and gives 1.5-2.3 % LPIPS on val_xsrc and hires (texture_tuning, twenty-first step).
FULL_SEARCH = 512
FULL_RADIUS = 1
# ... and then the level above it, the last one it searches fully, compares patches by how busy they are and by the
# guide's low frequencies too (FEATURES, GUIDE_TERM), as the levels above it do: another 0.9 % LPIPS at 512² for
# about 60 ms (texture_tuning, twenty-first step).
FULL_FEATURES = True
EM_STEP = 2  # a level k above the finest searched one runs 1 + 2k EM iterations ...
NNF_MAX = 7  # ... of min(7, 1 + k) passes
FINE_ITERS = 1  # ... and the finest searched one this many
LOW_ALPHA = 0.5  # how far the fill's low frequencies move to the guide's
LOW_SIGMA = 4 / 256  # ... below this Gaussian sigma, as a fraction of the long side
# The pull's colour (its RGB minus its grey level) fades as exp(-px from the kept pixels / CHROMA_TRUST px of the
# guide): near the border the network's colours are the best guess, far out its tints are not (texture_tuning,
# seventeenth step).
CHROMA_TRUST = 32.0
# The pull keeps to the photo's palette: where the pulled colour is rarer among the kept pixels than the copy's own
# (densities of a histogram of PALETTE_BIN levels per channel, blurred PALETTE_BLUR times by [1, 2, 1] per axis), the
# pull is scaled by (pulled / copy's density)^PALETTE. Over orange flowers among navy leaves the network's mean is a
# brown the photo has nowhere, and the pull laid it over the leaves as a veil (texture_tuning, nineteenth step).
PALETTE = 1.0
PALETTE_BIN = 8
PALETTE_BLUR = 2
# The copies' grain (finer than a Gaussian sigma of TEXTURE_SIGMA px of the guide's own resolution) keeps its full
# contrast at the border, where it continues the kept pixels' grain, and falls to TEXTURE_GAIN of it over
# TEXTURE_NEAR px (of the guide) from there: further out it is uncorrelated with the truth, and at full strength it
# costs PSNR and reads as too busy (texture_tuning, the texture's gain; 0.7 until the veil was lifted, twentieth step).
TEXTURE_GAIN = 0.6
TEXTURE_SIGMA = 2.0
TEXTURE_NEAR = 16.0
# The copies' structure (the band between Gaussian sigmas of TEXTURE_SIGMA and BAND_SIGMA px of the guide) falls
# linearly from full contrast at the border to BAND_GAIN of it at BAND_FAR px: far out a copied branch or ridge is
# rarely where the photo had one, and this band is most of what such a copy costs in PSNR (texture_tuning, sixteenth
# step; 0.5 until the twentieth); the grain finer than it keeps what TEXTURE_GAIN leaves it.
BAND_GAIN = 0.4
BAND_SIGMA = 24.0
BAND_FAR = 64.0
# The fades blend a copy toward its local mean; over orange flowers among navy leaves that mean is a brown the photo
# has nowhere, and a whole region faded to it reads as a veil. Each hole pixel the fades take to a colour rarer among
# the kept pixels than its copy's counts 1 - (faded / copy's density) (the pull's palette); where the mean of that over
# a Gaussian of VEIL_SIGMA px of the guide passes VEIL_LOW, the fades are undone, wholly at VEIL_HIGH. A few off-palette
# pixels among many (a branch's edge against a sky) keep their fade (texture_tuning, twentieth step).
LIFT_VEIL = True
VEIL_LOW = 0.3
VEIL_HIGH = 0.5
VEIL_SIGMA = 32.0
BANDS = 8  # row bands searched in parallel; fixed, so results do not depend on the thread count
# Sources lie within REACH x the hole's thickness (at least REACH_MIN px) of it: patch distances favour smooth
# sources, so a thin stroke through rock took a far lake's flat colour (results/gan/thin_stroke).
REACH = 3.0
REACH_MIN = 48.0
GUIDE = True  # False: the coarsest level's hole starts from OpenCV Telea, not the guide (what the network is worth)
CLOSEST_VOTE = True  # searched levels vote each pixel from its closest patch (a last, upscaled vote: the mean)
FINAL_CLOSEST = 0.75  # votes into the full size: this much the closest patch's copy, the rest the mean (texture_tuning)
FAR_VOTE = True  # a pixel only distant patches cover takes the closest one's copy, not its upsampled blocky value
FEATURES = 5.0  # weight of texture features (local mean |gradient|) in the patch distance; 0: RGB only ...
FEATURES_GROWTH = 2.0  # ... at the level above the finest searched one, times this at each coarser level
# Above the finest searched level a patch is also compared by its low frequencies (Gaussian sigma GUIDE_SIGMA x the
# level's side) against the guide's with weight GUIDE_TERM: the search then picks copies that agree with the network's
# layout, not only the pull afterwards. The guide is trusted near the kept pixels: its weight against the estimate's
# own low-pass falls as exp(-distance / (GUIDE_TRUST px x the factor the guide was upscaled by)); far out a network
# working below the photo's size is streaky (texture_tuning, the guide in the patch distance). Raised from 0.25 and
# 51.2 px with the outpainting-weighted weights: a better guide is worth trusting further (twenty-third step).
GUIDE_TERM = 0.75
GUIDE_SIGMA = 4 / 256
GUIDE_TRUST = 76.8
# Where neighbouring hole pixels copy from sources that are not neighbours (a seam between two copies, or between a
# copy and the kept pixels), the step between them is replaced by a gradient one of the two sources has there, and
# the change spread by a screened Poisson solve that is 0 at the kept pixels, with this weight on staying put
# (0: no seam correction; texture_tuning, eleventh step).
SEAMS = 0.001
# A seam's step may be an edge of the texture, a flower against a leaf. Of a seam's change (its size summed over RGB),
# the first SEAM_LIMIT levels are spread far as above; past them, as much as the steps the photo has near the two
# sources (the largest range of a 3x3 window within SEAM_NEAR px of either, less SEAM_FLOOR, which a sky's gradient
# does not reach) is spread over a few pixels only, with SEAM_LOCAL on staying put. Spread as far as a sky's, such a
# change was a glow of orange over the dark leaves around it (texture_tuning, eighteenth step).
SEAM_LIMIT = 30.0
SEAM_NEAR = 4
SEAM_FLOOR = 30
SEAM_LOCAL = 0.1
SEAM_LOCAL_SWEEPS = 6
SEAM_CYCLES = 1  # V-cycles at each level of the full multigrid solve ...
SEAM_SWEEPS = 2  # ... each with this many Gauss-Seidel sweeps before and after the coarser level's correction
STEPS = np.array([[0, 1], [0, -1], [1, 0], [-1, 0]])  # a pixel's four neighbours
SEED = 0  # the random search's default seed (a rerun with another measures the noise floor)
RETRIES = 20  # random tries for a patch whose match is at the largest distance
# Vote weight of a patch by its mean per-pixel distance (x 100), linearly interpolated: a close match counts, one
# beyond 0.1 does not (Wexler et al.'s similarity, in the table PyPatchMatch uses).
SIMILARITY = np.array([1.0, 0.99, 0.96, 0.83, 0.38, 0.11, 0.02, 0.005, 0.0006, 0.0001, 0.0, 0.0])
SSD_SCALE = 255.0 * 255.0  # per-pixel distance: RGB SSD / this (sharper vote weights than 9x: texture_tuning)
# A source (dy, dx) away from the target adds DY_TERM (dy / height)² + DX_TERM (dx / width)² to the patch distance:
# scenery is layered in rows (sky brightening to the horizon, shore, ground), so among equally good copies one from
# the target's own rows is likelier right (texture_tuning, fourteenth step). A weak column term continues the border
# as Telea's diffusion does (outpainting's PSNR +0.1 dB at 256²); at 0.05 it cost LPIPS at 512² (+0.8 %).
DY_TERM = 0.05
DX_TERM = 0.01
# glibc gives a freed buffer of over 32 MB back to the kernel, and a 2048² fill makes dozens: each fill then paid about
# 25 000 page faults, 0.1-0.5 s of kernel time on the 2-core CPU and most of its run-to-run spread. Served from the
# heap and kept there (until more than HEAP_KEEP bytes are free at its top), the next fill reuses them. Process-wide;
# GANPAINT_MALLOC=system leaves malloc as it is.
HEAP_KEEP = 2 * 2**30


def add_texture(rgb: np.ndarray, hole: np.ndarray, guide: np.ndarray, seed: int | None = None,
                guide_scale: float = 1.0) -> np.ndarray:
    """``rgb`` uint8 HxWx3 (its hole pixels are never read), ``hole`` bool HxW, ``guide`` uint8 HxWx3 (a fill of
    the hole). Returns the guide with its hole pixels replaced by texture voted from the photo's known patches;
    ``seed`` (default ``SEED``) drives the random search; ``guide_scale`` is the factor by which the guide was made
    smaller than the photo and upscaled (1: at full size), which sets how far from the border it is trusted."""
    if hole.all() or not hole.any():
        return guide.copy()
    keep_freed_memory()
    # Whole-crop masked copies go through _paste, not boolean indexing, np.where or copyto(where=): on a stroke
    # across a 12 MP photo the crop has millions of pixels and those passes cost more than the texture itself.
    known = rgb.astype(np.float32)
    _paste(known, np.zeros((1, 1, 3), np.float32), hole, True)
    levels = _pyramid(known, hole)
    search_top = next((k for k, (_, m) in enumerate(levels) if max(m.shape) <= SEARCH_SIDE), len(levels) - 1)
    full = search_top > 0 and max(hole.shape) <= FULL_SEARCH
    plain = search_top - 1 if full and FULL_FEATURES else search_top  # levels above it: features, guide term
    filled = rgb.astype(np.float32)  # the photo with the guide in the hole (one buffer, reused at the end)
    _paste(filled, guide, hole, True)
    targets = _guide_targets(levels, filled, hole, plain, guide_scale) if GUIDE_TERM and FEATURES else {}
    if FEATURES and plain < len(levels) - 1:  # only above the finest (fully) searched level: texture_tuning
        grads = _pyramid(_gradients(known, hole, guide), hole)
        for k in range(plain + 1, len(levels)):
            scale = np.float32(FEATURES_GROWTH ** ((k - plain - 1) / 2))
            levels[k] = (np.concatenate([levels[k][0], scale * grads[k][0]], axis=2), levels[k][1])
    rng = np.random.default_rng(SEED if seed is None else seed)
    inside = cv2.distanceTransform(hole.astype(np.uint8), cv2.DIST_L2, 3)  # px to the nearest kept pixel
    reach = _reach(inside)
    est = nnf = None
    # Each hole pixel's source in the final vote, for the seams (a 1x1 stand-in makes the other votes skip it)
    top = np.full(hole.shape + (2,), -1, np.int32) if SEAMS else np.zeros((1, 1, 2), np.int32)
    nothing = np.zeros((1, 1, 2), np.int32)
    # An unsearched full size is written by the level above's last vote alone: voting it again from the upsampled
    # field cost 0.3 s of a 2048² fill for PSNR 0.02-0.06 dB lower at 512² (texture_tuning, tenth step). Up to
    # FULL_SEARCH it is searched locally, then voted.
    last = 1 if search_top > 0 and not full else 0
    for k in range(len(levels) - 1, last - 1, -1):
        src, m = levels[k]
        h, w = m.shape
        active = cv2.dilate(m.astype(np.uint8), np.ones((2 * R + 1, 2 * R + 1), np.uint8)) > 0
        far = _far(m, reach * h / hole.shape[0])
        if est is None:  # the coarsest level: the guide (GUIDE=False: Telea) fills the hole, the field starts random
            est = src.copy()
            start = cv2.resize(guide.astype(np.float32), (w, h), interpolation=cv2.INTER_AREA) if GUIDE else \
                _telea(src[..., :3], m)
            est[m, :3] = start[m]
            f0 = 6 if k in targets else 3  # past RGB (and the low-pass channels, set below): the features
            if src.shape[2] > f0:  # the hole's expected texture diffuses in from its border: the guide's is too smooth
                est[m, f0:] = _telea(src[..., f0:], m)[m]
            nnf = np.stack([rng.integers(0, h, (h, w)), rng.integers(0, w, (h, w))]).astype(np.int32)
        else:
            nnf = _upsample_field(nnf, h, w)
        above = max(k - search_top, 0)
        iters = 1 + EM_STEP * above if k != search_top else FINE_ITERS
        passes = min(NNF_MAX, 1 + above) if k >= search_top else 1 if full else 0
        for it in range(iters):
            if k in targets:  # a hole pixel's low-pass channels are the target's again (the last vote copied sources')
                est[m, 3:6] = targets[k](est)[m]
            seed_it = int(rng.integers(1, 2**31))
            cost = _costs(est, src, m, far, active, nnf, seed_it)
            if passes:
                _minimize(est, src, m, far, active, nnf, cost, passes, seed_it,
                          FULL_RADIUS if k < search_top else (min(h, w) - 1) // 2)
            if k > 0 and it == iters - 1:  # the level's last vote copies from the next finer level
                fine, fm = levels[k - 1]
                new = cv2.resize(np.ascontiguousarray(est[..., : fine.shape[2]]), (fm.shape[1], fm.shape[0]),
                                 interpolation=cv2.INTER_NEAREST)
                _vote(fine, fm, nnf, cost, 2, new, FINAL_CLOSEST if k == 1 else 0.0, top if k == last else nothing,
                      k == last)
                _paste(new, fine, fm, False)
            else:
                new = est.copy()
                closest = FINAL_CLOSEST if k == 0 else 1.0 if CLOSEST_VOTE and passes > 0 else 0.0
                _vote(src, m, nnf, cost, 1, new, closest, top if k == last else nothing,
                      k == last and it == iters - 1)
            est = new
    # In place where it can be: on a 12 MP crop each fresh full-size buffer costs tens of ms in page faults alone.
    est = est[..., :3]
    filled -= est
    out = _low_pass(filled, max(LOW_SIGMA * max(hole.shape), 0.5))
    if CHROMA_TRUST:
        _fade_colour(out, inside, hole, np.float32(CHROMA_TRUST * guide_scale))
    out *= LOW_ALPHA
    dens = _palette(rgb, hole) if PALETTE or LIFT_VEIL else None
    if PALETTE:
        _keep_to_palette(out, est, hole, dens)
    out += est
    if TEXTURE_GAIN != 1 or SEAMS:
        _paste(out, rgb, hole, False)  # the kept pixels' own grain sets the border's, and their steps the seams'
    if TEXTURE_GAIN != 1 or BAND_GAIN != 1:
        if LIFT_VEIL:  # est is not read again: its buffer keeps the copies as they are before the fades
            np.copyto(est, out)
        low = _low_pass(out, TEXTURE_SIGMA * guide_scale, dst=filled)
        wide = _low_pass(out, BAND_SIGMA * guide_scale) if BAND_GAIN != 1 else low
        _soften(out, low, wide, inside, hole, TEXTURE_GAIN, TEXTURE_NEAR * guide_scale, BAND_GAIN,
                BAND_FAR * guide_scale)
        if LIFT_VEIL:
            _lift_veil(out, est, hole, dens, VEIL_SIGMA * guide_scale)
    if SEAMS:
        out += _seam_correction(out, rgb, known, hole, top)
    np.clip(np.round(out, out=out), 0, 255, out=out)
    result = guide.copy()
    _paste(result, out, hole, True)  # exact: out is rounded and clipped
    return result


@functools.cache
def keep_freed_memory() -> bool:
    """Large buffers from glibc's heap, kept there once freed (``HEAP_KEEP``); False where that is not glibc or the
    environment says ``GANPAINT_MALLOC=system``."""
    if os.environ.get("GANPAINT_MALLOC") == "system" or platform.system() != "Linux" or \
            platform.libc_ver()[0] != "glibc":
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return False
    m_trim_threshold, m_mmap_max = -1, -4  # malloc.h
    return bool(libc.mallopt(m_mmap_max, 0)) and bool(libc.mallopt(m_trim_threshold, HEAP_KEEP))


@nb.njit(cache=True, parallel=True)
def _paste(dst, src, mask, where):
    """``dst[y, x] = src[y, x]`` where ``mask[y, x] == where`` (a 1x1 ``src``: that value everywhere); about 4x faster
    than ``np.copyto(where=mask[..., None])`` on a 2048² crop (11-13 against 46 ms), which does not vectorise the
    broadcast mask."""
    step = 0 if src.shape[0] == 1 and src.shape[1] == 1 else 1
    for y in nb.prange(mask.shape[0]):
        for x in range(mask.shape[1]):
            if mask[y, x] == where:
                for c in range(dst.shape[2]):
                    dst[y, x, c] = src[y * step, x * step, c]


def _guide_targets(levels, filled, hole, search_top, guide_scale) -> dict:
    """For each level above the finest searched one: adds the low-pass channels to the level (a source's: the
    known pixels' mask-normalised blur) and returns, by level, a function of the estimate giving the hole's
    (the guide's low-pass where it is trusted, the estimate's own further out)."""
    wgt = np.float32(np.sqrt(GUIDE_TERM / FEATURES))  # extra channels count FEATURES times in the patch distance
    targets = {}
    for k in range(search_top + 1, len(levels)):
        src, m = levels[k]
        sigma = max(GUIDE_SIGMA * max(m.shape), 0.5)
        known = (~m).astype(np.float32)
        src_lp = _low_pass(src[..., :3] * known[..., None], sigma) / np.maximum(_low_pass(known, sigma), 1e-6)[..., None]
        levels[k] = (np.concatenate([src, wgt * src_lp], axis=2), m)
        tgt = wgt * _low_pass(cv2.resize(filled, (m.shape[1], m.shape[0]), interpolation=cv2.INTER_AREA), sigma)
        px = max(hole.shape) / max(m.shape)  # full-size pixels per pixel of this level
        dist = cv2.distanceTransform(m.astype(np.uint8), cv2.DIST_L2, 3)
        trust = np.exp(-dist * px / (GUIDE_TRUST * guide_scale))[..., None].astype(np.float32)
        targets[k] = lambda est, tgt=tgt, trust=trust, sigma=sigma: (
            trust * tgt + (1 - trust) * (wgt * _low_pass(np.ascontiguousarray(est[..., :3]), sigma)))
    return targets


@nb.njit(cache=True, parallel=True)
def _soften(out, low, wide, dist, hole, gain, near, band_gain, far):
    """In the hole, in place: the grain (``out`` minus its low-pass ``low``) times a gain falling from 1 at the border
    to ``gain`` over ``near`` px, and the band between ``low`` and the wider low-pass ``wide`` times one falling
    linearly to ``band_gain`` at ``far`` px (one pass, no full-size temporaries: on a 12 MP crop those cost more than
    the rest)."""
    h, w = hole.shape
    for y in nb.prange(h):
        for x in range(w):
            if hole[y, x]:
                g = np.float32(1 - (1 - gain) * (1 - np.exp(-dist[y, x] / near)))
                b = np.float32(1 - (1 - band_gain) * min(dist[y, x] / far, 1.0))
                for c in range(3):
                    out[y, x, c] = wide[y, x, c] + b * (low[y, x, c] - wide[y, x, c]) + g * (out[y, x, c] - low[y, x, c])


@nb.njit(cache=True, parallel=True)
def _fade_colour(pull, dist, hole, trust):
    """In the hole, in place: the pull's colour (each channel minus the pixels' grey) times exp(-dist / trust)."""
    for y in nb.prange(hole.shape[0]):
        for x in range(hole.shape[1]):
            if hole[y, x]:
                t = np.float32(np.exp(-dist[y, x] / trust))
                g = (pull[y, x, 0] + pull[y, x, 1] + pull[y, x, 2]) / np.float32(3)
                for c in range(3):
                    pull[y, x, c] = g + t * (pull[y, x, c] - g)


def _palette(rgb: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """The kept pixels' colour density: a histogram of PALETTE_BIN levels per channel, blurred, its peak 1."""
    hist = _histogram(rgb, hole, 256 // PALETTE_BIN)
    n = hist.shape[0]
    for _ in range(PALETTE_BLUR):
        for axis in range(3):
            pad = np.pad(hist, [(1, 1) if a == axis else (0, 0) for a in range(3)])
            hist = 0.25 * pad.take(range(n), axis) + 0.5 * pad.take(range(1, n + 1), axis) + \
                0.25 * pad.take(range(2, n + 2), axis)
    return (hist / max(hist.max(), 1e-12)).astype(np.float32)


@nb.njit(cache=True)
def _histogram(rgb, hole, n):
    hist = np.zeros((n, n, n), np.float32)
    step = 256 // n
    for y in range(hole.shape[0]):
        for x in range(hole.shape[1]):
            if not hole[y, x]:
                hist[rgb[y, x, 0] // step, rgb[y, x, 1] // step, rgb[y, x, 2] // step] += 1
    return hist


@nb.njit(cache=True, inline="always")
def _cell(v, n):
    """The lower of the two bins around ``v`` (bin centres at (i + 0.5) x 256 / n) and the weight of the upper."""
    c = min(max(v / np.float32(256 / n) - np.float32(0.5), np.float32(0)), np.float32(n - 1))
    i = min(int(c), n - 2)
    return i, np.float32(c - i)


@nb.njit(cache=True, inline="always")
def _density(d, r, g, b):
    """``d`` at the colour (r, g, b), trilinear between bin centres (scalars only: it runs twice per hole pixel)."""
    n = d.shape[0]
    i, fi = _cell(r, n)
    j, fj = _cell(g, n)
    k, fk = _cell(b, n)
    out = np.float32(0)
    for di in range(2):
        for dj in range(2):
            for dk in range(2):
                out += d[i + di, j + dj, k + dk] * (fi if di else 1 - fi) * (fj if dj else 1 - fj) * \
                    (fk if dk else 1 - fk)
    return out


@nb.njit(cache=True, inline="always")
def _rarer(d, r0, g0, b0, r1, g1, b1):
    """How common (r1, g1, b1) is against (r0, g0, b0) in the density ``d``: their ratio, at most 1."""
    tiny = np.float32(1e-6)
    return min((_density(d, r1, g1, b1) + tiny) / (_density(d, r0, g0, b0) + tiny), np.float32(1))


@nb.njit(cache=True, parallel=True)
def _keep_to_palette(pull, est, hole, dens):
    """In the hole, in place: the pull times (density of est + pull / density of est)^PALETTE where that is below 1."""
    for y in nb.prange(hole.shape[0]):
        for x in range(hole.shape[1]):
            if hole[y, x]:
                ratio = _rarer(dens, est[y, x, 0], est[y, x, 1], est[y, x, 2], est[y, x, 0] + pull[y, x, 0],
                               est[y, x, 1] + pull[y, x, 1], est[y, x, 2] + pull[y, x, 2])
                if ratio < 1:
                    g = np.float32(ratio ** PALETTE)
                    for ch in range(3):
                        pull[y, x, ch] *= g


def _lift_veil(out, copied, hole, dens, sigma):
    """In the hole, in place: the fades' change (``copied`` to ``out``) undone where, over a Gaussian of ``sigma`` px,
    the hole's pixels were faded to colours rarer (in the density ``dens``) than their copies' by a mean share past
    VEIL_LOW, wholly past VEIL_HIGH."""
    off = np.zeros(hole.shape, np.float32)
    _off_palette(out, copied, hole, dens, off)
    share = _low_pass(off, sigma) / np.maximum(_low_pass(hole.astype(np.float32), sigma), np.float32(1e-6))
    _undo(out, copied, hole, np.clip((share - VEIL_LOW) / (VEIL_HIGH - VEIL_LOW), 0, 1).astype(np.float32))


@nb.njit(cache=True, parallel=True)
def _off_palette(out, copied, hole, dens, off):
    """``off`` in the hole: 1 - (density of ``out`` / density of ``copied``), 0 where ``out`` is as common."""
    for y in nb.prange(hole.shape[0]):
        for x in range(hole.shape[1]):
            if hole[y, x]:
                off[y, x] = 1 - _rarer(dens, copied[y, x, 0], copied[y, x, 1], copied[y, x, 2], out[y, x, 0],
                                       out[y, x, 1], out[y, x, 2])


@nb.njit(cache=True, parallel=True)
def _undo(out, copied, hole, amount):
    """In the hole, in place: ``out`` moved back to ``copied`` by ``amount`` (0 to 1)."""
    for y in nb.prange(hole.shape[0]):
        for x in range(hole.shape[1]):
            if hole[y, x] and amount[y, x] > 0:
                for c in range(3):
                    out[y, x, c] += amount[y, x] * (copied[y, x, c] - out[y, x, c])


@nb.njit(cache=True, parallel=True)
def _gradients(known, hole, guide):
    """|d/dx| and |d/dy| of the photo's grey level (the mean of RGB), the guide standing in for the hole (the pyramid
    then averages them over ever larger windows: how busy the texture is at each level, which a coarse colour
    cannot tell)."""
    h, w = hole.shape
    out = np.zeros((h, w, 2), np.float32)
    for y in nb.prange(h):
        for x in range(w):
            g = _grey(known, hole, guide, y, x)
            if x > 0:
                out[y, x, 0] = abs(g - _grey(known, hole, guide, y, x - 1))
            if y > 0:
                out[y, x, 1] = abs(g - _grey(known, hole, guide, y - 1, x))
    return out


@nb.njit(cache=True, inline="always")
def _grey(known, hole, guide, y, x):
    if hole[y, x]:
        return (np.float32(guide[y, x, 0]) + np.float32(guide[y, x, 1]) + np.float32(guide[y, x, 2])) / np.float32(3)
    return (known[y, x, 0] + known[y, x, 1] + known[y, x, 2]) / np.float32(3)


def _telea(img: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """OpenCV Telea per channel (it takes 8-bit images) of a float image in [0, 255]."""
    hole8 = hole.astype(np.uint8)
    return np.stack([cv2.inpaint(np.clip(img[..., c], 0, 255).astype(np.uint8), hole8, 3, cv2.INPAINT_TELEA)
                     for c in range(img.shape[2])], axis=2).astype(np.float32)


def _low_pass(img: np.ndarray, sigma: float, dst: np.ndarray | None = None) -> np.ndarray:
    """Gaussian blur of width ``sigma``; a wide one runs at a fraction of the size, which loses nothing below its
    cut-off and keeps a blur a hundred pixels wide from dominating the stage on large photos."""
    f = max(1, int(sigma // 2))
    if f == 1:
        return cv2.GaussianBlur(img, (0, 0), sigma, dst=dst)
    h, w = img.shape[:2]
    small = cv2.resize(img, (max(1, w // f), max(1, h // f)), interpolation=cv2.INTER_AREA)
    return cv2.resize(cv2.GaussianBlur(small, (0, 0), sigma / f), (w, h), dst=dst, interpolation=cv2.INTER_LINEAR)


def _reach(inside: np.ndarray) -> float:
    """How far from the hole sources may lie, in pixels of the full level (inf: anywhere); ``inside``: each hole
    pixel's distance to the nearest kept one."""
    if not REACH:
        return np.inf
    thickness = 2 * float(inside.max())
    return max(REACH * thickness, REACH_MIN)


def _far(hole: np.ndarray, reach: float) -> np.ndarray:
    """Source centres beyond ``reach`` px of the hole (none where that would leave too few to choose from)."""
    if not np.isfinite(reach):
        return np.zeros(hole.shape, bool)
    far = cv2.distanceTransform((~hole).astype(np.uint8), cv2.DIST_L2, 3) > reach
    near = (~far & ~hole).sum()
    return far if near >= 4 * hole.sum() or near >= (~hole).sum() // 2 else np.zeros(hole.shape, bool)


def _pyramid(img: np.ndarray, hole: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Levels (image, hole) from the full size down to about 1/COARSE_FRACTION of the long side."""
    stop = max(COARSE_MIN, max(hole.shape) / COARSE_FRACTION)
    levels = [(img, hole)]
    while max(levels[-1][1].shape) > stop and min(levels[-1][1].shape) >= 2 * (2 * R + 1):
        levels.append(_downsample(*levels[-1]))
    return levels


@nb.njit(cache=True, parallel=True)
def _downsample(img, hole):
    """Half size; each pixel the binomial-weighted (1 5 10 10 5 1) mean of the known pixels under it, a hole where
    there are none."""
    h, w = hole.shape
    nh, nw, nc = h // 2, w // 2, img.shape[2]
    out = np.zeros((nh, nw, nc), np.float32)
    small = np.ones((nh, nw), np.bool_)
    k = np.array([1.0, 5.0, 10.0, 10.0, 5.0, 1.0])
    # Up to three channels in scalars (the full-size level is the costly one), more in ``acc``. The scalar path once
    # read and wrote a third channel the two texture features do not have, a row's last pixel racing with the next
    # row's first one (fills changed from run to run under load): each scalar now stands for a channel that exists.
    first = min(nc, 3)
    for y in nb.prange(nh):
        acc = np.zeros(max(nc - first, 1))
        for x in range(nw):
            acc[:] = 0.0
            a0 = a1 = a2 = s = 0.0
            for dy in range(-2, 4):
                yy = 2 * y + dy
                if yy < 0 or yy >= h:
                    continue
                for dx in range(-2, 4):
                    xx = 2 * x + dx
                    if xx < 0 or xx >= w or hole[yy, xx]:
                        continue
                    kk = k[dy + 2] * k[dx + 2]
                    a0 += kk * img[yy, xx, 0]
                    if first > 1:
                        a1 += kk * img[yy, xx, 1]
                    if first > 2:
                        a2 += kk * img[yy, xx, 2]
                    for c in range(first, nc):
                        acc[c - first] += kk * img[yy, xx, c]
                    s += kk
            if s > 0:
                out[y, x, 0] = a0 / s
                if first > 1:
                    out[y, x, 1] = a1 / s
                if first > 2:
                    out[y, x, 2] = a2 / s
                for c in range(first, nc):
                    out[y, x, c] = acc[c - first] / s
                small[y, x] = False
    return out, small


@nb.njit(cache=True, inline="always")
def _similarity(d):
    t = d * 100.0
    j = int(t)
    if j >= 10:
        return 0.0
    return SIMILARITY[j] + (t - j) * (SIMILARITY[j + 1] - SIMILARITY[j])


@nb.njit(cache=True, inline="always")
def _dist(t, ty, tx, s, hole, far, sy, sx, best):
    """Mean over the 7x7 patch of the per-pixel distance in [0, 1] between the estimate at (ty, tx) and the photo
    at (sy, sx); a pixel off the image's interior or in the hole costs 1; plus the cost of the offset (``DY_TERM``,
    ``DX_TERM``). Stops once it exceeds ``best``."""
    h, w = hole.shape
    if far[sy, sx]:
        return 1.0
    n = (2 * R + 1) * (2 * R + 1)
    limit = best * n
    d = 0.0
    if DY_TERM or DX_TERM:
        d = (DY_TERM * ((ty - sy) / h) ** 2 + DX_TERM * ((tx - sx) / w) ** 2) * n
    for dy in range(-R, R + 1):
        y1, y2 = ty + dy, sy + dy
        for dx in range(-R, R + 1):
            x1, x2 = tx + dx, sx + dx
            if y1 <= 0 or y1 >= h - 1 or x1 <= 0 or x1 >= w - 1 or y2 <= 0 or y2 >= h - 1 or x2 <= 0 or x2 >= w - 1 \
                    or hole[y2, x2]:
                d += 1.0
                continue
            e = 0.0
            for c in range(3):
                f = t[y1, x1, c] - s[y2, x2, c]
                e += f * f
            for c in range(3, t.shape[2]):
                f = t[y1, x1, c] - s[y2, x2, c]
                e += FEATURES * f * f
            d += min(1.0, e / SSD_SCALE)
        if d >= limit:
            return min(1.0, d / n)
    return d / n


@nb.njit(cache=True, inline="always")
def _next(state):
    """xorshift64*: a small, seedable generator that each band owns (numba's global one is shared by threads)."""
    state ^= state >> np.uint64(12)
    state ^= state << np.uint64(25)
    state ^= state >> np.uint64(27)
    return state, (state * np.uint64(2685821657736338717)) >> np.uint64(33)


@nb.njit(cache=True, parallel=True)
def _costs(t, s, hole, far, active, nnf, seed):
    """Distances of the current field (0 and the identity outside ``active``); a match at the largest distance
    gets random retries (each row its own generator, so rows run in parallel)."""
    h, w = active.shape
    cost = np.zeros((h, w), np.float64)
    for y in nb.prange(h):
        state = np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(y + 7)
        for x in range(w):
            if not active[y, x]:
                nnf[0, y, x], nnf[1, y, x] = y, x
                continue
            d = _dist(t, y, x, s, hole, far, nnf[0, y, x], nnf[1, y, x], 1.0)
            for _ in range(RETRIES):
                if d < 1.0:
                    break
                state, r1 = _next(state)
                state, r2 = _next(state)
                cy, cx = np.int64(r1 % np.uint64(h)), np.int64(r2 % np.uint64(w))
                d2 = _dist(t, y, x, s, hole, far, cy, cx, 1.0)
                if d2 < d:
                    d, nnf[0, y, x], nnf[1, y, x] = d2, cy, cx
            cost[y, x] = max(d, 1e-9)  # 0 is kept for the identity outside the hole
    return cost


@nb.njit(cache=True, parallel=True)
def _minimize(t, s, hole, far, active, nnf, cost, passes, seed, reach):
    """PatchMatch passes over ``active``: propagation from the previous pixel and row (within a band, so bands run in
    parallel and the result does not depend on timing), then random search in windows halving from ``reach`` px
    around the best match. Every other pass
    runs backwards with the bands shifted by half a band, so matches propagate across every row."""
    h, w = active.shape
    rows = (h + BANDS - 1) // BANDS
    for p in range(2 * passes):
        reverse = p % 2 == 1
        shift = rows // 2 if reverse else 0
        step = -1 if reverse else 1
        for band in nb.prange(BANDS + 1):
            y0, y1 = max(0, band * rows - shift), min(h, (band + 1) * rows - shift)
            state = np.uint64(seed + p) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(band + 1)
            for i in range(max(0, y1 - y0)):
                y = y1 - 1 - i if reverse else y0 + i
                for j in range(w):
                    x = w - 1 - j if reverse else j
                    if not active[y, x] or cost[y, x] <= 0:
                        continue
                    best, by, bx = cost[y, x], nnf[0, y, x], nnf[1, y, x]
                    for ny, nx, oy, ox in ((y - step, x, step, 0), (y, x - step, 0, step)):
                        if ny < y0 or ny >= y1 or nx < 0 or nx >= w:
                            continue
                        cy, cx = nnf[0, ny, nx] + oy, nnf[1, ny, nx] + ox
                        if 0 <= cy < h and 0 <= cx < w:
                            d = _dist(t, y, x, s, hole, far, cy, cx, best)
                            if d < best:
                                best, by, bx = d, cy, cx
                    radius = reach
                    while radius > 0:
                        state, r1 = _next(state)
                        state, r2 = _next(state)
                        cy = min(max(by + np.int64(r1 % np.uint64(2 * radius + 1)) - radius, 0), h - 1)
                        cx = min(max(bx + np.int64(r2 % np.uint64(2 * radius + 1)) - radius, 0), w - 1)
                        d = _dist(t, y, x, s, hole, far, cy, cx, best)
                        if d < best:
                            best, by, bx = d, cy, cx
                        radius //= 2
                    nnf[0, y, x], nnf[1, y, x], cost[y, x] = by, bx, best


@nb.njit(cache=True, parallel=True)
def _vote(src, hole, nnf, cost, up, out, best, top, edge):
    """Each hole pixel of ``src``'s level (``up`` times the field's) becomes the similarity-weighted mean of what
    the patches covering it copy there from ``src``, mixed with weight ``best`` with what the closest of them copies
    (1: that copy alone, so texture finer than a patch, such as grain or foliage, is not averaged away); where only
    distant patches cover it, what the closest copies (FAR_VOTE; else it keeps its value, which above the finest
    level is a coarser level's block). With ``edge`` (the final vote), a pixel no patch can copy to takes what the
    closest covering patch copies to its own centre: on the photo's outer rows and columns the patch distance does not
    compare pixels, the search may align them with sources in the hole, and they kept the guide's raw colour (at
    every vote this cost LPIPS: texture_tuning, seventeenth step)."""
    H, W = hole.shape
    h, w, nc = nnf.shape[1], nnf.shape[2], src.shape[2]
    for Y in nb.prange(H):
        acc = np.zeros(max(nc - 3, 1))  # channels past RGB (scalars for RGB: the full-size vote is the costly one)
        for X in range(W):
            if not hole[Y, X]:
                continue
            ty, tx, uy, ux = Y // up, X // up, Y % up, X % up
            if ty >= h or tx >= w:
                continue
            acc[:] = 0.0
            a0 = a1 = a2 = n = 0.0
            top_cost, top_y, top_x = np.inf, -1, -1
            edge_cost, edge_y, edge_x = np.inf, -1, -1
            for dy in range(-R, R + 1):
                for dx in range(-R, R + 1):
                    py, px, sy, sx = _covering(hole, nnf, up, ty, tx, uy, ux, dy, dx)
                    if sy < 0:
                        if edge and 0 <= py < h and 0 <= px < w and cost[py, px] < edge_cost:
                            cy, cx = up * nnf[0, py, px] + uy, up * nnf[1, py, px] + ux
                            if 0 <= cy < H and 0 <= cx < W and not hole[cy, cx]:
                                edge_cost, edge_y, edge_x = cost[py, px], cy, cx
                        continue
                    d = cost[py, px]
                    if d < top_cost:  # the closest patch (the most similar: similarity falls with distance)
                        top_cost, top_y, top_x = d, sy, sx
                    if best < 1.0:
                        k = _similarity(d)
                        a0 += k * src[sy, sx, 0]
                        a1 += k * src[sy, sx, 1]
                        a2 += k * src[sy, sx, 2]
                        for c in range(3, nc):
                            acc[c - 3] += k * src[sy, sx, c]
                        n += k
            if top.shape[0] == H:
                top[Y, X, 0], top[Y, X, 1] = top_y, top_x
            if n > 0:
                m = 1.0 - best
                out[Y, X, 0] = best * src[top_y, top_x, 0] + m * a0 / n
                out[Y, X, 1] = best * src[top_y, top_x, 1] + m * a1 / n
                out[Y, X, 2] = best * src[top_y, top_x, 2] + m * a2 / n
                for c in range(3, nc):
                    out[Y, X, c] = best * src[top_y, top_x, c] + m * acc[c - 3] / n
            elif (best > 0.0 or FAR_VOTE) and top_y >= 0:
                for c in range(nc):
                    out[Y, X, c] = src[top_y, top_x, c]
            elif edge_y >= 0:
                for c in range(nc):
                    out[Y, X, c] = src[edge_y, edge_x, c]


@nb.njit(cache=True, inline="always")
def _covering(hole, nnf, up, ty, tx, uy, ux, dy, dx):
    """The patch covering the field's pixel (ty, tx) at offset (dy, dx), centred at (py, px), and where it copies
    the level's pixel (up * ty + uy, up * tx + ux) from, (sy, sx); sy = -1 where that patch or source is off the
    image or the source is in the hole."""
    H, W = hole.shape
    py, px = ty - dy, tx - dx
    if py < 0 or py >= nnf.shape[1] or px < 0 or px >= nnf.shape[2]:
        return py, px, -1, -1
    sy, sx = up * (nnf[0, py, px] + dy) + uy, up * (nnf[1, py, px] + dx) + ux
    if sy < 0 or sy >= H or sx < 0 or sx >= W or hole[sy, sx]:
        return py, px, -1, -1
    return py, px, sy, sx


@nb.njit(cache=True, parallel=True)
def _upsample_field(nnf, h, w):
    """The coarser field at (h, w): each pixel matches twice its parent's match, plus its own offset within the
    parent (so a coherent copy stays coherent), clipped to the image."""
    out = np.empty((2, h, w), np.int32)
    ph, pw = nnf.shape[1], nnf.shape[2]
    for y in nb.prange(h):
        py = min(y // 2, ph - 1)
        for x in range(w):
            px = min(x // 2, pw - 1)
            out[0, y, x] = min(max(2 * nnf[0, py, px] + y - 2 * py, 0), h - 1)
            out[1, y, x] = min(max(2 * nnf[1, py, px] + x - 2 * px, 0), w - 1)
    return out


def _seam_correction(out, rgb, known, hole, top, cycles: int = SEAM_CYCLES) -> np.ndarray:
    """The change the seams ask for (0 outside the hole): a step like the photo's own edges blended where it is, the
    rest spread far."""
    far, near = _seam_steps(out, known, hole, top, _edge_steps(rgb, hole))
    c = _poisson(far, hole, SEAMS, cycles)
    if near.any():  # a photo without such edges (a sky) skips the second solve
        # It spreads a few pixels: Gauss-Seidel sweeps reach that far, and the full multigrid cost 140 ms at 2048²
        local = np.zeros_like(near)
        _smooth(local, near, hole, np.float32(SEAM_LOCAL), SEAM_LOCAL_SWEEPS)
        c += local
    return c


def _edge_steps(rgb: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """How large a step the photo has near each kept pixel: the largest range (max minus min, summed over RGB) of a
    3x3 window of kept pixels within ``SEAM_NEAR`` px, less ``SEAM_FLOOR`` (uint16; uint8 morphology is the fast one:
    a 2048² photo in about 30 ms)."""
    window = np.ones((3, 3), np.uint8)
    high, low = rgb.copy(), rgb.copy()
    _paste(high, np.zeros((1, 1, 3), np.uint8), hole, True)  # hole pixels raise no max ...
    _paste(low, np.full((1, 1, 3), 255, np.uint8), hole, True)  # ... and lower no min
    r, g, b = cv2.split(cv2.subtract(cv2.dilate(high, window), cv2.erode(low, window)))  # saturates: 0 if all hole
    span = cv2.add(cv2.add(r, g, dtype=cv2.CV_16U), b, dtype=cv2.CV_16U)
    span = cv2.dilate(span, np.ones((2 * SEAM_NEAR + 1,) * 2, np.uint8))
    return cv2.subtract(span, int(SEAM_FLOOR))


@nb.njit(cache=True, parallel=True)
def _seam_steps(out, known, hole, top, edges):
    """Each hole pixel's right-hand side of the seam correction: the sum over its four neighbours q of how much the
    step out[q] - out[p] should change, which is 0 inside one copy (q copies from p's source's neighbour) and at a
    seam the step one of the two sources has there minus the step in ``out``: of the two (p's source and its
    neighbour, q's source and its neighbour), the one closer to the step as it is, so a seam between two copies of
    sky loses its step, but a seam where one source goes on into a branch the fill did not copy is left alone.
    Returned in two parts, spread far and spread near: the part of each change (its size summed over RGB) that
    ``edges`` at the two sources covers goes to the second."""
    h, w = hole.shape
    b = np.zeros((h, w, 3), np.float32)
    b_near = np.zeros((h, w, 3), np.float32)
    for y in nb.prange(h):
        for x in range(w):
            if not hole[y, x] or top[y, x, 0] < 0:
                continue
            sy, sx = top[y, x, 0], top[y, x, 1]
            for d in range(4):
                dy, dx = STEPS[d, 0], STEPS[d, 1]
                qy, qx = y + dy, x + dx
                if qy < 0 or qy >= h or qx < 0 or qx >= w:
                    continue
                if hole[qy, qx]:
                    ty, tx = top[qy, qx, 0], top[qy, qx, 1]
                    if ty < 0:
                        continue
                else:
                    ty, tx = qy, qx
                if ty == sy + dy and tx == sx + dx:
                    continue  # one copy
                ok1 = 0 <= sy + dy < h and 0 <= sx + dx < w and not hole[sy + dy, sx + dx]
                ok2 = 0 <= ty - dy < h and 0 <= tx - dx < w and not hole[ty - dy, tx - dx]
                e1 = e2 = np.inf
                if ok1:
                    e1 = 0.0
                    for c in range(3):
                        e1 += abs(known[sy + dy, sx + dx, c] - known[sy, sx, c] - (out[qy, qx, c] - out[y, x, c]))
                if ok2:
                    e2 = 0.0
                    for c in range(3):
                        e2 += abs(known[ty, tx, c] - known[ty - dy, tx - dx, c] - (out[qy, qx, c] - out[y, x, c]))
                if not (ok1 or ok2):
                    continue
                e = min(e1, e2)
                edge = np.float32(max(edges[sy, sx], edges[ty, tx]))
                near = min(edge, e - SEAM_LIMIT) / e if e > SEAM_LIMIT else 0.0
                for c in range(3):
                    g1 = known[sy + dy, sx + dx, c] - known[sy, sx, c] if ok1 else 0.0
                    g2 = known[ty, tx, c] - known[ty - dy, tx - dx, c] if ok2 else 0.0
                    g = g1 if e1 < e2 else g2 if e2 < e1 else (g1 + g2) / 2  # a tie: the mean (symmetric in p, q)
                    change = g - (out[qy, qx, c] - out[y, x, c])
                    b[y, x, c] -= (1 - near) * change
                    b_near[y, x, c] -= near * change
    return b, b_near


def _poisson(b: np.ndarray, hole: np.ndarray, lam: float, cycles: int) -> np.ndarray:
    """The correction c (0 outside the hole) solving lam c_p + sum over neighbours q (c_p - c_q) = b_p in the hole:
    full multigrid, the coarser problem solved first and its solution refined by V-cycles (a direct solve on a 12 MP
    hole would take minutes, Gauss-Seidel alone thousands of sweeps for a correction that spreads far at a small
    ``lam``)."""
    c = np.zeros_like(b)
    lam = np.float32(lam)
    if min(hole.shape) > 4:
        rc, mc = _restrict(c, b, hole, lam)
        _prolong(c, _poisson(rc, mc, 4 * lam, cycles), hole, mc)
    for _ in range(cycles):
        _v_cycle(c, b, hole, lam)
    return c


def _v_cycle(c, b, m, lam):
    _smooth(c, b, m, lam, SEAM_SWEEPS)
    if min(m.shape) <= 4:
        _smooth(c, b, m, lam, 30)
        return
    rc, mc = _restrict(c, b, m, lam)  # the residual's block sums: the coarse equation's right-hand side ...
    e = np.zeros_like(rc)
    _v_cycle(e, rc, mc, np.float32(4 * lam))  # ... with the weight 4x (a coarse pixel is four fine ones)
    _prolong(c, e, m, mc)
    _smooth(c, b, m, lam, SEAM_SWEEPS)


@nb.njit(cache=True, parallel=True)
def _smooth(c, b, m, lam, sweeps):
    """Red-black Gauss-Seidel sweeps in the hole (deterministic in parallel: a colour reads only the other)."""
    h, w = m.shape
    for _ in range(sweeps):
        for colour in range(2):
            for y in nb.prange(h):
                for x in range((y + colour) % 2, w, 2):
                    if not m[y, x]:
                        continue
                    deg, a0, a1, a2 = _gather(c, b, m, lam, y, x)
                    c[y, x, 0], c[y, x, 1], c[y, x, 2] = a0 / deg, a1 / deg, a2 / deg


@nb.njit(cache=True, inline="always")
def _gather(c, b, m, lam, y, x):
    """For the hole pixel (y, x): its diagonal lam + its neighbours in the image, and b plus the neighbours' c (a
    kept neighbour's is 0)."""
    h, w = m.shape
    deg = lam
    a0, a1, a2 = b[y, x, 0], b[y, x, 1], b[y, x, 2]
    for d in range(4):
        qy, qx = y + STEPS[d, 0], x + STEPS[d, 1]
        if 0 <= qy < h and 0 <= qx < w:
            deg += 1
            if m[qy, qx]:
                a0 += c[qy, qx, 0]
                a1 += c[qy, qx, 1]
                a2 += c[qy, qx, 2]
    return deg, a0, a1, a2


@nb.njit(cache=True, parallel=True)
def _restrict(c, b, m, lam):
    """The residual b - A c summed over 2x2 blocks, and the coarse hole (blocks wholly in the hole: a coarse pixel
    that is partly kept would carry the correction into the kept pixels' fixed zero, and the cycles diverged)."""
    h, w = m.shape
    H, W = (h + 1) // 2, (w + 1) // 2
    rc = np.zeros((H, W, 3), np.float32)
    mc = np.zeros((H, W), np.bool_)
    for Y in nb.prange(H):
        for X in range(W):
            whole = True
            for y in range(2 * Y, 2 * Y + 2):
                for x in range(2 * X, 2 * X + 2):
                    if y >= h or x >= w or not m[y, x]:
                        whole = False
                        continue
                    deg, a0, a1, a2 = _gather(c, b, m, lam, y, x)
                    rc[Y, X, 0] += a0 - deg * c[y, x, 0]
                    rc[Y, X, 1] += a1 - deg * c[y, x, 1]
                    rc[Y, X, 2] += a2 - deg * c[y, x, 2]
            mc[Y, X] = whole
    return rc, mc


@nb.njit(cache=True, parallel=True)
def _prolong(c, e, m, mc):
    """c += the coarse correction e interpolated bilinearly (cell-centred; coarse pixels outside the hole count 0)."""
    h, w = m.shape
    H, W = mc.shape
    for y in nb.prange(h):
        iy, jy = y // 2, min(max(y // 2 + (1 if y % 2 else -1), 0), H - 1)
        for x in range(w):
            if not m[y, x]:
                continue
            ix, jx = x // 2, min(max(x // 2 + (1 if x % 2 else -1), 0), W - 1)
            for k in range(3):
                v = 0.0
                for py, wy in ((iy, 0.75), (jy, 0.25)):
                    for px, wx in ((ix, 0.75), (jx, 0.25)):
                        if mc[py, px]:
                            v += wy * wx * e[py, px, k]
                c[y, x, k] += v
