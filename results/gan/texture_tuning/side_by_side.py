"""Side by side, the texture stage's fills of val_xsrc photos under several settings (README, eleventh step).

    python results/gan/texture_tuning/side_by_side.py seams.jpg --task outpaint --photos 8,19 "SEAMS=0.0" ""

Columns: the guide (the GAN's bare fill), one per setting (``NAME=value`` constants of texture.py, space-separated;
"" for the committed ones), the truth; a row per photo, the evaluation's own cases (256², seed 0).
"""

import argparse

import numpy as np
from PIL import Image

import tune
from ganpaint.inpainters import base


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out")
    p.add_argument("settings", nargs="+", help='"NAME=value ..." per column; "" for the committed stage')
    p.add_argument("--task", default="outpaint", help="inpaint_medium, inpaint_hard, outpaint, bridge, bridge_diag")
    p.add_argument("--photos", default="8,19")
    p.add_argument("--zoom", type=int, default=2)
    args = p.parse_args()
    images, groups, fills = tune.guides(256)
    key, masks = tune.task_masks(groups, args.task)
    modules = [tune.texture_with(s.split()).add_texture for s in args.settings]
    rows = []
    for i in map(int, args.photos.split(",")):
        hole = masks[i].astype(bool)
        cols = [np.where(hole[..., None], fills[key][i], images[i])]
        for add_texture in modules:
            base.add_texture = add_texture
            fill = base.texture_near_hole(images[i], hole, fills[key][i], fills[f"upscale_{key}"][i])
            cols.append(np.where(hole[..., None], fill, images[i]))
        rows.append(np.concatenate(cols + [images[i]], axis=1))
    im = Image.fromarray(np.concatenate(rows, axis=0))
    im.resize((im.width * args.zoom, im.height * args.zoom), Image.NEAREST).save(args.out, quality=92)


if __name__ == "__main__":
    main()
