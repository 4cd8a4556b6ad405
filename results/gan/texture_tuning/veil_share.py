"""Per photo, the share of the fades' change that leaves the photo's palette (twentieth step), outpainting at 256².

    python results/gan/texture_tuning/veil_share.py

For each val_xsrc photo, the mean over the hole of 1 - (density of the faded colour / density of the copy's), where
the faded colour is the rarer (``texture._off_palette``, before the lift undoes anything); largest first.
"""

import numpy as np

import tune
from ganpaint.inpainters import base, texture


def main():
    images, groups, fills = tune.guides(256)
    key, masks = tune.task_masks(groups, "outpaint")
    seen = {}
    lift = texture._lift_veil

    def record(out, copied, hole, dens, sigma):  # called by add_texture right after the fades
        off = np.zeros(hole.shape, np.float32)
        texture._off_palette(out, copied, hole, dens, off)
        seen["share"] = float(off[hole].mean())
        lift(out, copied, hole, dens, sigma)

    texture._lift_veil = record
    shares = []
    for i, (truth, mask) in enumerate(zip(images, masks)):
        base.texture_near_hole(truth, mask.astype(bool), fills[key][i], fills[f"upscale_{key}"][i])
        shares.append((seen["share"], i))
    for share, i in sorted(shares, reverse=True):
        print(f"{i:2d} {share:.3f}")


if __name__ == "__main__":
    main()
