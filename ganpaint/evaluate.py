"""Measure inpainting methods on the same photos and masks.

    python -m ganpaint.evaluate --images ../shared/data/scenery/val_xsrc --methods gan,patchmatch,telea,ns \
        --task inpaint,outpaint,bridge,bridge_diag --difficulty medium,hard --size 256 --seed 0 --json results.json

Each photo is centre-cropped to a square of ``--size``, so the truth behind every hole is known. Tasks:
``inpaint`` (a seeded free-form mask per photo and ``--difficulty``), ``outpaint`` (left and right quarters
missing), ``bridge`` (a vertical band of 30 % of the width missing between two kept sides) and ``bridge_diag``
(top-right and bottom-left quadrants missing, the GAN Paint layout). Every method sees exactly the same holes.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from tqdm import tqdm

from .data import center_square, list_images, load_rgb
from .inputs import InpaintError, open_mask
from .inpainters import METHODS, get_inpainter, method_class
from .inpainters import texture
from .inpainters.base import GUIDES, STRATEGIES
from .masks import DIFFICULTY, bridge_layout, difficulty_mask, outpaint_border
from .metrics import lpips, psnr, ssim
from .results import markdown, merge, write_json

FIELDS = ("method", "task", "difficulty", "n", "psnr", "ssim", "lpips", "l1_hole", "accuracy", "ms_per_image")


TASKS = ("inpaint", "outpaint", "bridge", "bridge_diag")
NO_DIFFICULTY = "-"  # the difficulty field of a task with one fixed layout


def eval_masks(n_images: int, size: int, difficulty: str, seed: int) -> list[np.ndarray]:
    k = list(DIFFICULTY).index(difficulty)
    return [difficulty_mask(size, size, difficulty, np.random.default_rng([seed, i, k])) for i in range(n_images)]


def task_mask(task: str, size: int) -> np.ndarray:
    """The fixed layout of a task other than ``inpaint`` on a ``size``-square photo."""
    if task == "outpaint":
        return outpaint_border(size, size, left=size // 4, right=size // 4)
    if task == "bridge":
        return bridge_layout(size, size, "horizontal", gap=0.3)
    if task == "bridge_diag":
        return bridge_layout(size, size, "diagonal")
    raise ValueError(f"unknown task {task!r}; use one of {TASKS}")


def cases(tasks: list[str], difficulties: list[str], n_images: int, size: int, seed: int):
    """(task, difficulty, masks) for each row group: one per difficulty for ``inpaint``, one per other task."""
    for task in tasks:
        if task == "inpaint":
            for difficulty in difficulties:
                yield task, difficulty, eval_masks(n_images, size, difficulty, seed)
        else:
            yield task, NO_DIFFICULTY, [task_mask(task, size)] * n_images


def row_order(r: dict) -> tuple[int, int]:
    """Rows sort by task, then difficulty (an earlier file without ``task`` holds inpaint rows)."""
    d = r["difficulty"]
    return TASKS.index(r.get("task", "inpaint")), list(DIFFICULTY).index(d) if d in DIFFICULTY else -1


def image_metrics(result: np.ndarray, truth: np.ndarray, hole: np.ndarray, lpips_optional: bool = False) -> dict:
    """Metrics of one result against the truth, on a [0, 1] scale.

    With ``lpips_optional`` a LPIPS network that cannot be loaded (offline, no local weights) gives
    ``lpips: None`` and the reason in ``lpips_missing`` instead of an error.
    """
    a = torch.from_numpy(np.array(result)).permute(2, 0, 1)[None].float() / 255
    b = torch.from_numpy(np.array(truth)).permute(2, 0, 1)[None].float() / 255
    diff = (a - b).abs()
    h = torch.from_numpy(hole)[None, None].float()
    row = {"psnr": psnr(a, b).item(), "ssim": ssim(a, b).item(), "lpips": None,
           "l1_hole": ((diff * h).sum() / (h.sum() * 3)).item(), "accuracy": 1 - diff.mean().item()}
    try:
        row["lpips"] = lpips(a, b).item()
    except Exception as e:  # the network's weights could not be had
        if not lpips_optional:
            raise
        row["lpips_missing"] = f"LPIPS could not be computed: {(str(e).splitlines() or [type(e).__name__])[0]}"
    return row


def make_inpainter(name: str, weights: str | None, max_side: int | None = None):
    gan_options = {k: v for k, v in (("weights", weights), ("max_side", max_side)) if v}
    if name == "gan" and gan_options:
        return get_inpainter("gan", **gan_options)
    return get_inpainter(name)


def evaluate(images: list[np.ndarray], methods: list[str], difficulties: list[str], size: int, seed: int,
             weights: str | None = None, grid_dir: Path | None = None, strategy: str = "auto",
             gan_max_side: int | None = None, detail: bool = True, tasks: tuple[str, ...] = ("inpaint",),
             texture_options: dict | None = None) -> dict:
    """Each method as a user gets it: ``auto`` lets it fill at its own working resolution. ``texture_options``
    (``texture=`` settings, ``guide="none"``) go to the methods whose fill the texture stage takes (the GAN)."""
    results, unavailable = [], []
    inpainters = {}
    for name in methods:
        # Explicit --weights stand in for the default ones, so only those are checked (by loading them).
        ok, why = (True, "") if name == "gan" and weights else method_class(name).available()
        if not ok:
            unavailable.append({"method": name, "reason": why})
            continue
        try:
            inpainter = make_inpainter(name, weights, gan_max_side)
            inpainter.warmup()  # lazy weights (SD) load here, so a failure is known before any timing
            inpainters[name] = inpainter
        except Exception as e:  # e.g. weights that cannot be downloaded offline
            unavailable.append({"method": name, "reason": str(e).splitlines()[0]})
    for task, difficulty, masks in cases(list(tasks), difficulties, len(images), size, seed):
        outputs = {}
        for name, inpainter in inpainters.items():
            extra = (texture_options or {}) if inpainter.texture else {}
            # Warm-up: first-call costs stay out of the timing.
            inpainter(images[0], masks[0] * 255, strategy=strategy, detail=detail, **extra)
            rows, times, outputs[name] = [], [], []
            label = task if difficulty == NO_DIFFICULTY else f"{task} {difficulty}"
            for truth, mask in tqdm(list(zip(images, masks)), desc=f"{name} {label}", leave=False):
                result, ms = inpainter.timed(Image.fromarray(truth), Image.fromarray(mask * 255), strategy=strategy,
                                             detail=detail, **extra)
                result = np.asarray(result)
                outputs[name].append(result)
                rows.append(image_metrics(result, truth, mask.astype(bool)))
                times.append(ms)
            summary = {"method": name, "difficulty": difficulty, "n": len(rows), "task": task,
                       **({"guide": extra["guide"]} if extra.get("guide", "method") != "method" else {})}
            summary.update({k: float(np.mean([r[k] for r in rows])) for k in rows[0]})
            summary["ms_per_image"] = statistics.median(times)
            results.append(summary)
        if grid_dir is not None and outputs:
            save_grid(grid_dir / f"grid_{difficulty if task == 'inpaint' else task}.jpg", images, masks, outputs)
    return {"results": results, "unavailable": unavailable}


def compare(image, mask, methods: list[str], truth: np.ndarray | None = None, progress=None, **options) -> list[dict]:
    """Run each method on one image and mask: result, time, size and, when ``truth`` is given, quality.

    A method that cannot run here is reported with its reason; the others still run.
    """
    rows = []
    hole = None
    for i, name in enumerate(methods):
        ok, why = method_class(name).available()
        label = method_class(name).label
        row = {"method": name, "label": label, "available": ok, "reason": why}
        step = (lambda f, d, i=i, label=label: progress((i + f) / len(methods), f"{label}: {d}")) if progress else None
        if ok:
            try:
                if step:
                    step(0, "loading" + (f" ({why})" if why else ""))
                inpainter = get_inpainter(name)
                inpainter.warmup()
                own = {k: v for k, v in options.items() if k in inpainter.options}  # e.g. steps: the diffusion models'
                result, ms = inpainter.timed(image, mask, progress=step, **own)
                row.update(image=result, ms=ms, parameters=inpainter.parameters)
            except InpaintError:
                raise  # bad input: the same for every method, so the caller should see it
            except Exception as e:  # weights that cannot be had, out of memory...
                row.update(available=False, reason=str(e).splitlines()[0] if str(e) else type(e).__name__)
            if truth is not None and row["available"]:  # a metric that fails never throws the fill away
                hole = open_mask(mask, row["image"].size) if hole is None else hole
                row.update(image_metrics(np.asarray(row["image"].convert("RGB")), truth, hole, lpips_optional=True))
        rows.append(row)
    return rows


def save_grid(path: Path, images, masks, outputs: dict, rows: int = 4):
    """One row per photo: masked input | each method | truth."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = []
    for i in range(min(rows, len(images))):
        masked = images[i].copy()
        masked[masks[i].astype(bool)] = 255
        lines.append(np.concatenate([masked] + [outputs[m][i] for m in outputs] + [images[i]], axis=1))
    Image.fromarray(np.concatenate(lines, axis=0)).save(path, quality=92)  # JPEG keeps the repo small
    (path.with_suffix(".txt")).write_text("columns: masked input | " + " | ".join(outputs) + " | ground truth\n")


def markdown_table(results: list[dict]) -> str:
    head = ["method", "task", "difficulty", "n", "PSNR ↑", "SSIM ↑", "LPIPS ↓", "L1 hole ↓", "accuracy ↑", "ms/image"]
    return markdown(head, [[r["method"] + (f" (guide {r['guide']})" if "guide" in r else ""), r.get("task", "inpaint"), r["difficulty"], r["n"], f"{r['psnr']:.2f}", f"{r['ssim']:.4f}",
                            f"{r['lpips']:.4f}", f"{r['l1_hole']:.4f}", f"{r['accuracy']:.4f}", f"{r['ms_per_image']:.1f}"]
                           for r in results])


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m ganpaint.evaluate", description=__doc__.split("\n\n")[0])
    p.add_argument("--images", required=True, help="folder of photos (recursive)")
    p.add_argument("--methods", default="gan,telea,ns", help=f"comma-separated, from {','.join(METHODS)}")
    p.add_argument("--task", default="inpaint", help=f"comma-separated, from {','.join(TASKS)}")
    p.add_argument("--difficulty", default="easy,medium,hard",
                   help=f"comma-separated, from {','.join(DIFFICULTY)} (for the inpaint task)")
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--limit", type=int, default=0, help="use only the first N photos (0 = all)")
    p.add_argument("--strategy", default="auto", choices=STRATEGIES,
                   help="large-image strategy (auto: each method at its working resolution)")
    p.add_argument("--detail", action=argparse.BooleanOptionalAction, default=True,
                   help="texture from the photo's known pixels for the GAN's fill and any upscaled fill "
                        "(--no-detail: the bare network fill)")
    p.add_argument("--weights", default=None, help="GAN weights: a save_pretrained folder or Hub repo id")
    p.add_argument("--gan-max-side", type=int, default=None,
                   help="GAN only: fill at most this many px (default: 1.5x the crop in the weights' training.json)")
    p.add_argument("--guide", default="method", choices=GUIDES,
                   help="none: the GAN's row is the texture stage alone, started from Telea with no pull toward a "
                        "guide (the network left out: what it is worth in the default fill)")
    p.add_argument("--texture", nargs="*", default=[], metavar="NAME=VALUE",
                   help="texture-stage settings for this run (ganpaint/inpainters/texture/settings.py), e.g. seams=0")
    p.add_argument("--json", default=None, help="write the results here")
    p.add_argument("--grid-dir", default=None, help="write a sample grid image per difficulty here")
    p.add_argument("--merge", default=None, metavar="JSON",
                   help="keep this earlier run's rows for the methods not measured now (same photos, size and seed)")
    return p


def parse_lists(p: argparse.ArgumentParser, args) -> tuple[list[str], list[str], list[str]]:
    """The comma-separated methods, difficulties and tasks, each checked against what exists."""
    chosen = []
    for value, valid, what in ((args.methods, METHODS, "method"), (args.difficulty, DIFFICULTY, "difficulty"),
                               (args.task, TASKS, "task")):
        names = [v for v in value.split(",") if v]
        for name in names:
            if name not in valid:
                p.error(f"unknown {what} {name!r}; choose from {', '.join(valid)}")
        chosen.append(names)
    return tuple(chosen)


def main(argv=None):
    p = parser()
    args = p.parse_args(argv)
    earlier = json.loads(Path(args.merge).read_text()) if args.merge else None
    if earlier and [earlier.get(k) for k in ("images", "size", "seed")] != [args.images, args.size, args.seed]:
        p.error(f"{args.merge} was measured on other photos, size or seed: its rows would not be comparable")
    methods, difficulties, tasks = parse_lists(p, args)
    files = list_images(args.images)[: args.limit or None]
    images = [center_square(load_rgb(f), args.size) for f in files]

    try:
        settings = texture.parse(args.texture)
    except ValueError as e:
        p.error(str(e))
    options = {"guide": args.guide} | ({"texture": settings} if args.texture else {})
    out = evaluate(images, methods, difficulties, args.size, args.seed, args.weights,
                   Path(args.grid_dir) if args.grid_dir else None, args.strategy, args.gan_max_side, args.detail, tasks,
                   options)
    out.update({"guide": args.guide, "texture": dict(s.split("=", 1) for s in args.texture),"images": str(args.images), "n_images": len(images), "size": args.size, "seed": args.seed, "tasks": tasks,
                "strategy": args.strategy, "detail": args.detail,
                "weights": args.weights, "gan_max_side": args.gan_max_side, "device": platform.processor() or platform.machine(),
                "torch_threads": torch.get_num_threads(), "command": "python -m ganpaint.evaluate " + " ".join(sys.argv[1:] if argv is None else argv)})
    if earlier:
        # the earlier table's row order, so a re-measured method stays where it was
        order = list(dict.fromkeys([r["method"] for r in earlier["results"]] + methods))
        merge(out, earlier, methods, args.merge, key=lambda r: (*row_order(r), order.index(r["method"])))
    print(markdown_table(out["results"]))
    for u in out["unavailable"]:
        print(f"{u['method']}: unavailable ({u['reason']})")
    write_json(args.json, out)
    return out


if __name__ == "__main__":
    main()
