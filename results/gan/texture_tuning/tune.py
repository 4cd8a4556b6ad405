"""One-change runs of the texture stage's settings on val_xsrc (issue 14), against the committed stage.

    python results/gan/texture_tuning/tune.py --size 256 BLUR=3.0            # one run; several NAME=value at once
    python results/gan/texture_tuning/tune.py --size 256                     # the committed settings
    python results/gan/texture_tuning/tune.py --weights RUN/generator        # guides of other GAN weights
    python results/gan/texture_tuning/tune.py --images val                   # a held-out set: to check, not to choose

The GAN's bare fills (the guide) are made once per size and kept in ~/.cache/ganpaint/texture_tuning; each run
copies ganpaint/inpainters/texture.py with the named module constants replaced (numba compiles them in, so a
setting cannot change at run time), and fills the evaluation's own cases (seed 0, medium and hard inpaint,
outpaint, bridge, bridge_diag) through texture_near_hole, as the default `gan` does. Prints LPIPS / PSNR per task.
"""

import argparse
import hashlib
import importlib.util
import re
import sys
import tempfile
from pathlib import Path

import numpy as np

from ganpaint import paths
from ganpaint.data import center_square, list_images, load_rgb
from ganpaint.evaluate import cases, image_metrics
from ganpaint.inpainters import base, get_inpainter
from ganpaint.inpainters.gan import default_weights

TASKS, DIFFICULTIES = ["inpaint", "outpaint", "bridge", "bridge_diag"], ["medium", "hard"]


def _weights_key(weights: str) -> str:
    path = Path(weights).resolve()
    files = sorted(path.glob("*.safetensors")) if path.is_dir() else [path]
    return str(path) + "".join(f"|{f.name}:{f.stat().st_size}:{f.stat().st_mtime_ns}" for f in files if f.exists())


def guides(size: int, weights: str | None = None, images: str = "val_xsrc"):
    """The photos, the evaluation's cases and the GAN's bare fills of them (``weights``: other GAN weights than the
    default, e.g. a training run's ``generator`` folder; cached apart by their path and file; ``images``: a set of
    ../shared/data/scenery, val_xsrc by default, the one settings are chosen by)."""
    files = list_images(paths.shared_data(images))
    photos = [center_square(load_rgb(f), size) for f in files]
    groups = list(cases(TASKS, DIFFICULTIES, len(photos), size, 0))
    # Keyed by the weights' path and their file's size and time: a training run rewrites its generator folder, and
    # the shipped weights changed too (twenty-third step).
    weights = weights or default_weights()
    tag = f"_{hashlib.sha1(_weights_key(weights).encode()).hexdigest()[:8]}"
    tag += f"_{images}" if images != "val_xsrc" else ""
    cache = Path.home() / ".cache" / "ganpaint" / "texture_tuning" / f"guides_{size}_{len(photos)}_scaled{tag}.npz"
    if not cache.exists():
        gan = get_inpainter("gan", weights=weights)
        strategy = "full" if size <= gan.max_side else "crop"  # what the default strategy ("auto") picks
        fills = {}
        for t, d, masks in groups:  # the bare fill (detail=False) and the factor it was upscaled by
            made = [gan._fill(im, m.astype(bool), strategy, {"progress": None}) for im, m in zip(photos, masks)]
            fills[f"{t}_{d}"] = np.stack([f for f, _ in made])
            fills[f"upscale_{t}_{d}"] = np.array([u for _, u in made])
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.savez(cache, **fills)
    fills = np.load(cache)
    return photos, groups, {k: fills[k] for k in fills.files}


def texture_with(settings: list[str]):
    """The texture module with ``NAME=value`` constants replaced, imported from a temporary copy."""
    src = (paths.CHECKOUT / "ganpaint" / "inpainters" / "texture.py").read_text().replace("cache=True", "cache=False")
    for s in settings:
        name, value = s.split("=", 1)
        src, n = re.subn(rf"^({re.escape(name)}) = .*$", rf"\g<1> = {value}", src, flags=re.M)
        if not n:
            raise SystemExit(f"texture.py has no constant {name}")
    path = Path(tempfile.mkdtemp()) / "texture_variant.py"
    path.write_text(src)
    spec = importlib.util.spec_from_file_location("texture_variant", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def task_masks(groups, task: str):
    """The key of one task's guides and its masks; ``task`` as the tables name it (inpaint_medium, outpaint, ...)."""
    return next((f"{t}_{d}", m) for t, d, m in groups if f"{t}_{d}".rstrip("_-") == task)


def scores(images, masks, fills, key) -> list[dict]:
    """Each photo's metrics (``image_metrics``) for the texture stage as ``base.add_texture`` now is."""
    rows = []
    for i, (truth, mask) in enumerate(zip(images, masks)):
        hole = mask.astype(bool)
        textured = base.texture_near_hole(truth, hole, fills[key][i], fills[f"upscale_{key}"][i])
        rows.append(image_metrics(np.where(hole[..., None], textured, truth), truth, hole))
    return rows


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--weights", help="GAN weights for the guides (default: the shipped ones)")
    p.add_argument("--images", default="val_xsrc", help="a set of ../shared/data/scenery (val_xsrc, val, hires)")
    p.add_argument("settings", nargs="*", help="NAME=value constants of texture.py")
    args = p.parse_args()
    base.add_texture = texture_with(args.settings).add_texture
    images, groups, fills = guides(args.size, args.weights, args.images)
    means = []
    for task, difficulty, masks in groups:
        rows = scores(images, masks, fills, f"{task}_{difficulty}")
        means.append((np.mean([r["lpips"] for r in rows]), np.mean([r["psnr"] for r in rows])))
    cells = " | ".join(f"{lp:.4f} / {ps:.2f}" for lp, ps in means)
    label = " ".join(args.settings) or "committed"
    label += f" ({args.images})" if args.images != "val_xsrc" else ""
    print(f"| {args.size} | {label} | {cells} | {np.mean([m[0] for m in means]):.4f} |")


if __name__ == "__main__":
    sys.exit(main())
