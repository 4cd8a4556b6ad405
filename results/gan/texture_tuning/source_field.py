"""Where each pixel of a fill was copied from, next to the stage's steps (README, twenty-first step).

    python results/gan/texture_tuning/source_field.py /tmp/field.png --task bridge --photo 3 [NAME=value ...]

Columns, cropped to the hole: the guide | the copies (the final vote) | after the pull | after the fades | after the
veil's lift | after the seams (the fill) | the source field | the truth. In the source field a hole pixel's red is its
copy's offset in rows and its green the offset in columns (128: none, ±2 px per level), so a coherent copy is one
flat colour and its edges are where copies meet. Also prints the largest coherent copies: offset, size, and the column most of their rows end at.
"""

import argparse

import numpy as np
from PIL import Image

import tune
from ganpaint.inpainters import base


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out")
    p.add_argument("settings", nargs="*", help="NAME=value constants of texture.py")
    p.add_argument("--task", default="bridge", help="inpaint_medium, inpaint_hard, outpaint, bridge, bridge_diag")
    p.add_argument("--photo", type=int, default=3)
    p.add_argument("--zoom", type=int, default=2)
    args = p.parse_args()
    images, groups, fills = tune.guides(256)
    key, masks = tune.task_masks(groups, args.task)
    module = tune.texture_with(args.settings)
    steps = {}

    def keep(name, fn):  # wraps a step of the stage to keep its in-place result
        def wrapped(out, *rest):
            result = fn(out, *rest)
            steps[name] = out.copy()
            return result
        return wrapped

    def keep_to_palette(pull, est, hole, dens, fn=module._keep_to_palette):
        steps["copies"] = est.copy()
        fn(pull, est, hole, dens)
        steps["pulled"] = est + pull

    def seam_correction(out, rgb, known, hole, top, fn=module._seam_correction):
        change = fn(out, rgb, known, hole, top)
        steps["top"], steps["seams"] = top.copy(), out + change
        return change

    module._keep_to_palette, module._seam_correction = keep_to_palette, seam_correction
    module._soften, module._lift_veil = keep("faded", module._soften), keep("lifted", module._lift_veil)
    base.add_texture = module.add_texture
    image, hole = images[args.photo], masks[args.photo].astype(bool)
    base.texture_near_hole(image, hole, fills[key][args.photo], fills[f"upscale_{key}"][args.photo])
    cols = [np.where(hole[..., None], fills[key][args.photo], image)]
    for name in ["copies", "pulled", "faded", "lifted", "seams"]:
        if name in steps:
            cols.append(np.where(hole[..., None], np.clip(np.round(steps[name]), 0, 255), image).astype(np.uint8))
    top = steps["top"]
    ys, xs = np.mgrid[: hole.shape[0], : hole.shape[1]]
    dy, dx = top[..., 0] - ys, top[..., 1] - xs
    field = image // 3
    field[hole] = np.stack([np.clip(128 + dy // 2, 0, 255), np.clip(128 + dx // 2, 0, 255), np.zeros_like(dy)],
                           -1)[hole].astype(np.uint8)
    cols += [field, image]
    y, x = np.nonzero(hole)
    y0, y1, x0, x1 = max(y.min() - 8, 0), y.max() + 9, max(x.min() - 8, 0), x.max() + 9
    row = np.concatenate([c[y0:y1, x0:x1] for c in cols], axis=1)
    im = Image.fromarray(row)
    im.resize((im.width * args.zoom, im.height * args.zoom), Image.NEAREST).save(args.out)
    offsets, counts = np.unique(np.stack([dy[hole], dx[hole]], 1), axis=0, return_counts=True)
    for k in np.argsort(-counts)[:5]:
        at = hole & (dy == offsets[k][0]) & (dx == offsets[k][1])
        rows = np.nonzero(at.any(1))[0]
        ends = np.array([np.nonzero(at[r])[0].max() for r in rows])
        end = np.bincount(ends).argmax()
        print(f"offset {tuple(int(v) for v in offsets[k])}: {counts[k]} px over rows {rows.min()}-{rows.max()}; "
              f"{(ends == end).sum()} of its {len(rows)} rows end at column {end} (copied from column "
              f"{end + offsets[k][1]})")


if __name__ == "__main__":
    main()
