"""The README's and the design note's pictures, from the committed weights.

    python scripts/figures.py results    # docs/results.jpg: masked input | ganpaint | PatchMatch | truth, per task
    python scripts/figures.py steps      # docs/texture_steps.jpg: the texture stage's output after each step
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from ganpaint import paths
from ganpaint.data import center_square, list_images, load_rgb
from ganpaint.evaluate import task_mask
from ganpaint.inpainters import get_inpainter
from ganpaint.inpainters.texture import DEFAULT

DOCS = paths.CHECKOUT / "docs"
SIZE, TILE = 512, 300
TASKS = [("inpaint", 2), ("outpaint", 9), ("bridge", 5)]  # (task, photo of val/)


def masked(image, hole):
    out = image.copy()
    out[hole] = 255
    return out


def mask_for(task: str, index: int) -> np.ndarray:
    from ganpaint.masks import difficulty_mask

    return (difficulty_mask(SIZE, SIZE, "hard", index) if task == "inpaint" else task_mask(task, SIZE)).astype(bool)


def labelled_grid(rows: list[list[np.ndarray]], labels: list[str], path: Path):
    """Tiles TILE px wide, one label row on top; a JPEG small enough to commit."""
    head = 24
    grid = Image.new("RGB", (TILE * len(labels), head + TILE * len(rows)), "white")
    draw = ImageDraw.Draw(grid)
    for j, label in enumerate(labels):
        draw.text((j * TILE + 8, 6), label, fill="black")
    for i, row in enumerate(rows):
        for j, tile in enumerate(row):
            grid.paste(Image.fromarray(tile).resize((TILE, TILE), Image.Resampling.LANCZOS), (j * TILE, head + i * TILE))
    path.parent.mkdir(parents=True, exist_ok=True)
    grid.save(path, quality=88)
    print(f"wrote {path}")


def results_figure(images: list[Path]):
    gan, patchmatch = get_inpainter("gan"), get_inpainter("patchmatch")
    rows = []
    for task, index in TASKS:
        truth = center_square(load_rgb(images[index]), SIZE)
        hole = mask_for(task, index)
        mask = hole.astype(np.uint8) * 255
        rows.append([masked(truth, hole), np.asarray(gan(truth, mask)), np.asarray(patchmatch(truth, mask)), truth])
    labelled_grid(rows, ["masked input", "ganpaint", "PatchMatch", "truth"], DOCS / "results.jpg")


def steps_figure(images: list[Path]):
    """After each step, by leaving the later ones out: search and vote (no pull, fades or seams), + pull, + fades,
    + seams (the default fill); the guide is the bare network."""
    gan = get_inpainter("gan")
    copies = replace(DEFAULT, low_alpha=0.0, texture_gain=1.0, band_gain=1.0, seams=0.0)
    stages = [copies, replace(copies, low_alpha=DEFAULT.low_alpha), replace(DEFAULT, seams=0.0), DEFAULT]
    rows = []
    for task, index in TASKS[:2]:
        truth = center_square(load_rgb(images[index]), SIZE)
        hole = mask_for(task, index)
        mask = hole.astype(np.uint8) * 255
        row = [masked(truth, hole), np.asarray(gan(truth, mask, detail=False))]
        row += [np.asarray(gan(truth, mask, texture=s)) for s in stages]
        rows.append(row + [truth])
    labels = ["masked input", "guide (network)", "2. search and vote", "3. + pull", "4. + fades", "5. + seams", "truth"]
    labelled_grid(rows, labels, DOCS / "texture_steps.jpg")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("figure", choices=["results", "steps"])
    p.add_argument("--images", default=str(paths.shared_data("val")), help="photos (README figures: val/)")
    args = p.parse_args()
    images = list_images(args.images)
    (results_figure if args.figure == "results" else steps_figure)(images)


if __name__ == "__main__":
    main()
