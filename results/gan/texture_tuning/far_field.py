"""What outpainting's PSNR at 256² could still come from (README, ninth step): the committed stage's fills with
their texture softened far from the border, or made from a guide averaged with its mirror image.

    python results/gan/texture_tuning/far_field.py --size 256 --soften 2:16:0.5:0.5:64   # FINE:WIDE:FINE_GAIN:BAND_GAIN:PX
    python results/gan/texture_tuning/far_field.py --size 256 --flip                      # guide = mean of G(x), flip G(flip x)
    python results/gan/texture_tuning/far_field.py --size 256 --low-pass 8                # the fills' Gaussian low-pass only
    python results/gan/texture_tuning/far_field.py --size 256 --soften ... --picture out.jpg --photos 19,52,35,8
    python results/gan/texture_tuning/far_field.py --size 256 --oracle 0.5      # guide leaned halfway to the truth
    python results/gan/texture_tuning/far_field.py --size 256 --seeds 0,1       # two searches' fills averaged

``--soften``: after the stage, the fill's grain finer than a Gaussian σ of FINE px is scaled by FINE_GAIN and the band
between FINE and WIDE px by BAND_GAIN, both reached linearly at PX px from the kept pixels (full strength at the
border). ``--low-pass SIGMA``: the fill (and the bare guide) of the photo replaced by its Gaussian low-pass in the
hole, how good its low frequencies alone are. ``--oracle W``: the guide leaned W of the way to the truth's Gaussian
low-pass (σ ORACLE_SIGMA px), how much of a better guide the stage passes on. ``--seeds A,B,..``: the stage run with
each seed and the fills averaged (``--seeds-band``: only their structure above σ TEXTURE_SIGMA px averaged, the
first seed's grain kept), how much PSNR the disagreement between searches costs. Prints LPIPS / PSNR per task
(tune.py's row) and, with ``--flip``, ``--low-pass`` or ``--oracle``, the bare guides' row too.
"""

import argparse
import functools

import cv2
import numpy as np
from PIL import Image

import tune
from ganpaint.evaluate import image_metrics
from ganpaint.inpainters import base, get_inpainter
from ganpaint.inpainters.texture import TEXTURE_SIGMA


def soften(fill: np.ndarray, hole: np.ndarray, fine: float, wide: float, fine_gain: float, band_gain: float,
           px: float) -> np.ndarray:
    ramp = np.clip(cv2.distanceTransform(hole.astype(np.uint8), cv2.DIST_L2, 3) / px, 0, 1)[..., None]
    f = fill.astype(np.float32)
    lo, hi = cv2.GaussianBlur(f, (0, 0), fine), cv2.GaussianBlur(f, (0, 0), wide)
    out = hi + (1 - (1 - band_gain) * ramp) * (lo - hi) + (1 - (1 - fine_gain) * ramp) * (f - lo)
    return np.clip(np.round(out), 0, 255).astype(np.uint8)


def low_pass(photo: np.ndarray, hole: np.ndarray, truth: np.ndarray, sigma: float) -> np.ndarray:
    blurred = np.round(cv2.GaussianBlur(photo.astype(np.float32), (0, 0), sigma))
    return np.where(hole[..., None], np.clip(blurred, 0, 255).astype(np.uint8), truth)


def flipped_guides(images, groups, fills):
    """The bare fills averaged with the fill of the mirrored photo, mirrored back (the network at full size)."""
    gan = get_inpainter("gan")
    out = {}
    for task, difficulty, masks in groups:
        key = f"{task}_{difficulty}"
        out[key] = np.stack([
            np.round((fills[key][i].astype(np.float32) + gan._fill(
                np.ascontiguousarray(im[:, ::-1]), np.ascontiguousarray(m[:, ::-1].astype(bool)), "full",
                {"progress": None})[0][:, ::-1]) / 2).astype(np.uint8)
            for i, (im, m) in enumerate(zip(images, masks))])
    return out


ORACLE_SIGMA = 4.0


def oracle_guides(images, groups, fills, weight: float):
    """The bare fills leaned ``weight`` of the way to the truth's low-pass (a diagnostic: no method can do this)."""
    lows = [cv2.GaussianBlur(im.astype(np.float32), (0, 0), ORACLE_SIGMA) for im in images]  # once, not per task
    out = {}
    for task, difficulty, _ in groups:
        key = f"{task}_{difficulty}"
        out[key] = np.stack([np.clip(np.round((1 - weight) * fills[key][i] + weight * low), 0, 255).astype(np.uint8)
                             for i, low in enumerate(lows)])
    return out


def seed_mean(stage, truth, hole, guide, upscale, seeds, band_only: bool) -> np.ndarray:
    """The stage's fills with each seed, averaged (``band_only``: the first seed's grain finer than TEXTURE_SIGMA kept)."""
    made = []
    for seed in seeds:
        base.add_texture = functools.partial(stage, seed=seed)
        made.append(base.texture_near_hole(truth, hole, guide, upscale).astype(np.float32))
    base.add_texture = stage
    mean = np.mean(made, axis=0)
    if band_only:
        sigma = TEXTURE_SIGMA * upscale  # the guide's px, as the stage's grain fade counts them
        mean = cv2.GaussianBlur(mean, (0, 0), sigma) + made[0] - cv2.GaussianBlur(made[0], (0, 0), sigma)
    return np.clip(np.round(mean), 0, 255).astype(np.uint8)


def row(label, scores):
    cells = " | ".join(f"{lp:.4f} / {ps:.2f}" for lp, ps in scores)
    return f"| {label} | {cells} | {np.mean([s[0] for s in scores]):.4f} |"


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--soften", help="FINE:WIDE:FINE_GAIN:BAND_GAIN:PX")
    p.add_argument("--flip", action="store_true")
    p.add_argument("--low-pass", type=float, default=0.0, metavar="SIGMA")
    p.add_argument("--oracle", type=float, default=0.0, metavar="W")
    p.add_argument("--seeds", help="A,B,...: the stage's fills with these seeds, averaged")
    p.add_argument("--seeds-band", action="store_true", help="with --seeds: average only the structure, not the grain")
    p.add_argument("--picture", help="a JPEG of outpainted photos: the committed stage | softened | truth")
    p.add_argument("--photos", default="19,52,35,8")
    args = p.parse_args()
    images, groups, fills = tune.guides(args.size)
    guides = flipped_guides(images, groups, fills) if args.flip else fills
    if args.oracle:
        guides = oracle_guides(images, groups, guides, args.oracle)
    stage = base.add_texture
    textured, bare, made = [], [], {}
    for task, difficulty, masks in groups:
        key = f"{task}_{difficulty}"
        rows, bare_rows = [], []
        for i, (truth, mask) in enumerate(zip(images, masks)):
            hole = mask.astype(bool)
            if args.seeds:
                fill = seed_mean(stage, truth, hole, guides[key][i], fills[f"upscale_{key}"][i],
                                 [int(s) for s in args.seeds.split(",")], args.seeds_band)
            else:
                fill = base.texture_near_hole(truth, hole, guides[key][i], fills[f"upscale_{key}"][i])
            committed = fill
            if args.soften:
                fill = soften(fill, hole, *map(float, args.soften.split(":")))
            result = np.where(hole[..., None], fill, truth)
            bare_fill = np.where(hole[..., None], guides[key][i], truth)
            if args.low_pass:
                result, bare_fill = (low_pass(x, hole, truth, args.low_pass) for x in (result, bare_fill))
            rows.append(image_metrics(result, truth, hole))
            bare_rows.append(image_metrics(bare_fill, truth, hole))
            if key.startswith("outpaint"):
                made[i] = (np.where(hole[..., None], committed, truth), result, truth)
        textured.append((np.mean([r["lpips"] for r in rows]), np.mean([r["psnr"] for r in rows])))
        bare.append((np.mean([r["lpips"] for r in bare_rows]), np.mean([r["psnr"] for r in bare_rows])))
    label = [str(args.size)] + ["flip"] * args.flip + [args.soften] * bool(args.soften) + \
        [f"low-pass {args.low_pass:g}"] * bool(args.low_pass) + [f"oracle {args.oracle:g}"] * bool(args.oracle) + \
        [f"seeds {args.seeds}" + " band" * args.seeds_band] * bool(args.seeds)
    print(row(" ".join(label), textured))
    if args.flip or args.low_pass or args.oracle:
        print(row(f"{args.size} the bare guides", bare))
    if args.picture:
        strips = [np.concatenate(made[int(i)], 1) for i in args.photos.split(",")]
        Image.fromarray(np.concatenate(strips, 0)).save(args.picture, quality=90)


if __name__ == "__main__":
    main()
