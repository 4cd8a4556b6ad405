"""Mean squared error per hole pixel by distance from the kept pixels: the network's bare fill, the texture stage
(with any NAME=value constants, as tune.py takes them) and OpenCV Telea, on val_xsrc's cases (README, the pull's tints).

    python results/gan/texture_tuning/by_distance.py --size 256 --tasks outpaint,bridge [NAME=value ...]
    python results/gan/texture_tuning/by_distance.py --images val --tasks outpaint   # a held-out set
"""

import argparse

import cv2
import numpy as np
from PIL import Image

import tune
from ganpaint.inpainters import base, get_inpainter

EDGES = [0, 4, 8, 16, 24, 32, 48, 64, 10**6]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--tasks", default="outpaint,bridge", help="outpaint, bridge, bridge_diag, inpaint_medium, inpaint_hard")
    p.add_argument("--images", default="val_xsrc", help="a set of ../shared/data/scenery (val_xsrc, val, hires)")
    p.add_argument("settings", nargs="*")
    args = p.parse_args()
    base.add_texture = tune.texture_with(args.settings).add_texture
    telea = get_inpainter("telea")
    images, groups, fills = tune.guides(args.size, images=args.images)
    for task, difficulty, masks in groups:
        key = f"{task}_{difficulty}"
        if key.rstrip("_-") not in args.tasks.split(","):
            continue
        err = {n: np.zeros(len(EDGES) - 1) for n in ("network", "texture", "telea")}
        count = np.zeros(len(EDGES) - 1)
        for i, (truth, mask) in enumerate(zip(images, masks)):
            hole = mask.astype(bool)
            dist = cv2.distanceTransform(mask.astype(np.uint8), cv2.DIST_L2, 3)
            textured = base.texture_near_hole(truth, hole, fills[key][i], fills[f"upscale_{key}"][i])
            fills_i = {"network": fills[key][i], "texture": textured,
                       "telea": np.asarray(telea(Image.fromarray(truth), Image.fromarray(mask * 255)))}
            for b in range(len(EDGES) - 1):
                ring = hole & (dist > EDGES[b]) & (dist <= EDGES[b + 1])
                count[b] += ring.sum()
                for name, fill in fills_i.items():
                    err[name][b] += ((fill.astype(np.float32) - truth)[ring] ** 2).sum()
        keep = count > 0
        print(f"{key.rstrip('_-')}: distance (px) " + " ".join(f"{EDGES[b]}-{EDGES[b + 1]}" for b in np.flatnonzero(keep)))
        print(f"  share of the hole {' '.join(f'{c:.0%}' for c in (count / count.sum())[keep])}")
        for name, e in err.items():
            print(f"  {name:8s} {' '.join(f'{v:.0f}' for v in (e / np.maximum(3 * count, 1))[keep])}")


if __name__ == "__main__":
    main()
