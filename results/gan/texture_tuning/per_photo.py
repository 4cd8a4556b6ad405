"""Per-photo LPIPS / PSNR of one task of the texture stage under several settings (val_xsrc, 256², seed 0 unless told).

    python results/gan/texture_tuning/per_photo.py outpaint "" "LOW_ALPHA=0.0"

Settings as in tune.py ("NAME=value ..." per column; "" for the committed stage). Prints a row per photo, the means,
and, against the first setting, how many photos lose PSNR under each other one and by how much (median, largest).
"""

import argparse

import numpy as np

import tune
from ganpaint.inpainters import base


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("task", help="inpaint_medium, inpaint_hard, outpaint, bridge, bridge_diag")
    p.add_argument("settings", nargs="+")
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--images", default="val_xsrc", help="a set of ../shared/data/scenery (val_xsrc, val, hires)")
    args = p.parse_args()
    images, groups, fills = tune.guides(args.size, images=args.images)
    key, masks = tune.task_masks(groups, args.task)
    scores = np.zeros((len(args.settings), len(images), 2))
    for j, setting in enumerate(args.settings):
        base.add_texture = tune.texture_with(setting.split()).add_texture
        scores[j] = [(r["lpips"], r["psnr"]) for r in tune.scores(images, masks, fills, key)]
    for i in range(len(images)):
        print(i, " | ".join(f"{lp:.3f} / {ps:5.2f}" for lp, ps in scores[:, i]))
    print("mean", " | ".join(f"{lp:.4f} / {ps:.2f}" for lp, ps in scores.mean(axis=1)))
    for j in range(1, len(args.settings)):
        loss = scores[0, :, 1] - scores[j, :, 1]
        print(f"{args.settings[j]!r}: {(loss > 0).sum()} of {len(images)} photos lose PSNR, median "
              f"{np.median(loss):.2f} dB, largest {loss.max():.2f} dB")


if __name__ == "__main__":
    main()
