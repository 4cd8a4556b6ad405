"""Ablation of the GAN recipe: short runs from scratch that differ from it in one thing, compared on val.

    python -m ganpaint.training.ablation --out ~/.cache/ganpaint/ablation --steps 1200 \
        --json results/gan/ablation.json

Every run gets the same steps, seed, data order and masks, so the differences are the change's. Runs
resume: a finished one is not trained again, an interrupted one goes on from its checkpoint.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import sys
from pathlib import Path

from ..data import center_square, list_images, load_rgb
from .. import results
from ..evaluate import evaluate
from .common import parse_config
from .gan import GANConfig
from .gan import main as train_gan

# name -> train.py flags that differ from the recipe (GANConfig's defaults)
VARIANTS = {
    "recipe": [],
    "recipe, seed 1": ["--seed", "1"],  # another init, data order and masks: how much runs differ by chance
    "no Fourier branch": ["--g-fourier-every", "0"],
    "no dilation": ["--g-dilations", "1,1,1,1,1,1"],
    "edge-map input": ["--use-edges"],
    "non-saturating + R1": ["--gan-loss", "nonsat", "--r1-weight", "1"],
    "no feature matching": ["--fm-weight", "0"],
    "no perceptual loss": ["--perceptual-weight", "0"],
    "no adversarial loss": ["--adv-weight", "0", "--fm-weight", "0"],
}


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def finished(run: Path, steps: int) -> dict | None:
    path = run / "generator" / "training.json"
    info = json.loads(path.read_text()) if path.exists() else None
    return info if info and info["steps"] >= steps else None


def train(run: Path, flags: list[str], args) -> dict:
    if not finished(run, args.steps):
        argv = ["--out", str(run), "--resume", "--steps", str(args.steps), "--size", str(args.size),
                "--batch-size", str(args.batch_size), "--perceptual-size", "64", "--val-every", str(args.steps),
                "--ckpt-every", "200", *shlex.split(args.train_args), *flags]
        print("+ train.py gan", shlex.join(argv), flush=True)
        train_gan(parse_config(GANConfig, argv, prog="train.py gan"))
    return finished(run, args.steps)


def markdown(rows: list[dict]) -> str:
    base = {r["difficulty"]: r for r in rows if r["variant"] == "recipe"}
    head = ["variant", "flags", "medium PSNR ↑", "medium LPIPS ↓", "hard PSNR ↑", "hard LPIPS ↓", "Δ LPIPS vs recipe (hard)"]
    cells = []
    for name in dict.fromkeys(r["variant"] for r in rows):
        med, hard = ({r["difficulty"]: r for r in rows if r["variant"] == name}[d] for d in ("medium", "hard"))
        delta = f"{hard['lpips'] - base['hard']['lpips']:+.4f}" if "hard" in base else ""
        cells.append([name, f"`{med['flags'] or '—'}`", f"{med['psnr']:.2f}", f"{med['lpips']:.4f}", f"{hard['psnr']:.2f}",
                      f"{hard['lpips']:.4f}", delta])
    return results.markdown(head, cells)


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m ganpaint.training.ablation", description=__doc__.split("\n\n")[0])
    p.add_argument("--out", required=True, help="folder for the runs (kept outside the repo)")
    p.add_argument("--variants", default=",".join(slug(v) for v in VARIANTS), help="comma-separated subset")
    p.add_argument("--steps", type=int, default=1200)
    p.add_argument("--size", type=int, default=128)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--train-args", default="", help="extra train.py flags for every run, e.g. '--device cuda'")
    p.add_argument("--images", default="../shared/data/scenery/val")
    p.add_argument("--eval-size", type=int, default=256)
    p.add_argument("--json", default=None)
    args = p.parse_args(argv)

    wanted = set(args.variants.split(","))
    images = [center_square(load_rgb(f), args.eval_size) for f in list_images(args.images)]
    # Rows of variants not run now are kept from an earlier --json, so the table can grow run by run.
    earlier = json.loads(Path(args.json).read_text()) if args.json and Path(args.json).exists() else {"results": []}
    if earlier["results"] and (earlier["steps"], earlier["size"]) != (args.steps, args.size):
        p.error(f"{args.json} holds runs of {earlier['steps']} steps at {earlier['size']}²: use another --json")
    kept = [r for r in earlier["results"] if slug(r["variant"]) not in wanted]
    order = {name: i for i, name in enumerate(VARIANTS)}
    command = "python -m ganpaint.training.ablation " + shlex.join(sys.argv[1:] if argv is None else argv)
    new, rows = [], kept
    for name, flags in VARIANTS.items():
        if slug(name) not in wanted:
            continue
        run = Path(args.out).expanduser() / slug(name)
        info = train(run, flags, args)
        out = evaluate(images, ["gan"], ["medium", "hard"], args.eval_size, seed=0, weights=str(run / "generator"))
        for r in out["results"]:
            new.append({"variant": name, "flags": shlex.join(flags), "minutes": info["minutes"],
                         "images_per_s": info["images_per_s"], **r})
        rows = sorted(kept + new, key=lambda r: order.get(r["variant"], len(order)))
        print(markdown(rows), flush=True)
        if args.json:
            commands = earlier.get("commands", [earlier["command"]] if "command" in earlier else [])
            Path(args.json).write_text(json.dumps({"steps": args.steps, "size": args.size, "batch_size": args.batch_size,
                                                   "eval_images": args.images, "eval_size": args.eval_size,
                                                   "commands": list(dict.fromkeys(commands + [command])),
                                                   "results": rows}, indent=2))
    return rows


if __name__ == "__main__":
    main()
