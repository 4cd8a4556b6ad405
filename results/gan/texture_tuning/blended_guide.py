"""tune.py with the guide leaning to OpenCV Telea's fill near the kept pixels (README, fifteenth step).

    python results/gan/texture_tuning/blended_guide.py --size 256 --tau 8 [NAME=value ...]

The guide becomes w Telea + (1 - w) network with w = exp(-distance / (tau px x size / 256)); tau 0: the network's.
Prints the bare blended guide's PSNR per task and the row of the texture stage run on it.
"""

import argparse

import cv2
import numpy as np
from PIL import Image

import tune
from ganpaint.evaluate import image_metrics
from ganpaint.inpainters import base, get_inpainter


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--tau", type=float, default=8.0)
    p.add_argument("settings", nargs="*")
    args = p.parse_args()
    base.add_texture = tune.texture_with(args.settings).add_texture
    telea = get_inpainter("telea")
    images, groups, fills = tune.guides(args.size)
    scores, bare = [], []
    for task, difficulty, masks in groups:
        key = f"{task}_{difficulty}"
        rows, psnr = [], []
        for i, (truth, mask) in enumerate(zip(images, masks)):
            hole = mask.astype(bool)
            guide = fills[key][i].astype(np.float32)
            if args.tau:
                near = np.asarray(telea(Image.fromarray(truth), Image.fromarray(mask * 255))).astype(np.float32)
                dist = cv2.distanceTransform(mask.astype(np.uint8), cv2.DIST_L2, 3)[..., None]
                w = np.exp(-dist / (args.tau * args.size / 256))
                guide = w * near + (1 - w) * guide
            guide = np.clip(np.round(guide), 0, 255).astype(np.uint8)
            err = np.mean((np.where(hole[..., None], guide, truth).astype(np.float64) - truth) ** 2)
            psnr.append(10 * np.log10(255 ** 2 / err))  # the evaluation's whole-photo PSNR
            textured = base.texture_near_hole(truth, hole, guide, fills[f"upscale_{key}"][i])
            rows.append(image_metrics(np.where(hole[..., None], textured, truth), truth, hole))
        bare.append(f"{key.rstrip('_-')} {np.mean(psnr):.2f}")
        scores.append((np.mean([r["lpips"] for r in rows]), np.mean([r["psnr"] for r in rows])))
    print("bare guide PSNR:", ", ".join(bare))
    cells = " | ".join(f"{lp:.4f} / {ps:.2f}" for lp, ps in scores)
    print(f"| {args.size} | tau {args.tau:g} {' '.join(args.settings)} | {cells} | {np.mean([s[0] for s in scores]):.4f} |")


if __name__ == "__main__":
    main()
