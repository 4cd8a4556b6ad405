"""The stage's low frequencies near the kept pixels replaced by OpenCV Telea's (README, twenty-third step).

    python results/gan/texture_tuning/near_border_low.py --size 256 --tasks outpaint,bridge [NAME=value ...]

Each hole pixel of the stage's fill S becomes S + exp(-d / TAU) (G_SIGMA * Telea - G_SIGMA * S), d its distance in
px from the kept pixels: Telea's diffusion is the best fill within about 16 px of the border (fifth step), the stage's
copies keep their grain. Prints LPIPS / PSNR per task for the stage, Telea and each SIGMA:TAU in --pairs.
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
    p.add_argument("--tasks", default="outpaint,bridge", help="outpaint, bridge, bridge_diag, inpaint_medium, inpaint_hard")
    p.add_argument("--pairs", default="2:4,2:8,2:16,4:4,4:8,4:16", help="SIGMA:TAU px, comma-separated")
    p.add_argument("settings", nargs="*")
    args = p.parse_args()
    base.add_texture = tune.texture_with(args.settings).add_texture
    telea = get_inpainter("telea")
    pairs = [tuple(map(float, s.split(":"))) for s in args.pairs.split(",")]
    images, groups, fills = tune.guides(args.size)
    for task in args.tasks.split(","):
        key, masks = tune.task_masks(groups, task)
        scores = {name: [] for name in ["stage", "telea"] + pairs}
        for i, (truth, mask) in enumerate(zip(images, masks)):
            hole = mask.astype(bool)
            stage = base.texture_near_hole(truth, hole, fills[key][i], fills[f"upscale_{key}"][i]).astype(np.float32)
            flat = np.asarray(telea(Image.fromarray(truth), Image.fromarray(mask * 255))).astype(np.float32)
            dist = cv2.distanceTransform(mask.astype(np.uint8), cv2.DIST_L2, 3)[..., None]
            made = {"stage": stage, "telea": flat}
            for sigma, tau in pairs:
                made[(sigma, tau)] = stage + np.exp(-dist / tau) * (
                    cv2.GaussianBlur(flat, (0, 0), sigma) - cv2.GaussianBlur(stage, (0, 0), sigma))
            for name, fill in made.items():
                fill = np.clip(np.round(fill), 0, 255).astype(np.uint8)
                scores[name].append(image_metrics(np.where(hole[..., None], fill, truth), truth, hole))
        for name, rows in scores.items():
            label = name if isinstance(name, str) else f"σ {name[0]:g}, τ {name[1]:g}"
            print(f"{task} {label}: {np.mean([r['lpips'] for r in rows]):.4f} / {np.mean([r['psnr'] for r in rows]):.2f}")


if __name__ == "__main__":
    main()
