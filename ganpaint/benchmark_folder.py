"""What a folder of photos costs through the command line against the library call, in one run.

    python -m ganpaint.benchmark --folder 10 [--folder-images DIR] --methods gan,gan:bare,telea --sizes 512

For each method and size: ``ganpaint inpaint --image DIR --mask DIR`` on N + 1 photos and on the first one alone, the
difference over N being each photo's cost with start-up and loading left out; then the library call
``inpainter(image, mask)`` on the same photos and masks, in one process after a warm-up. Photos are centre squares
(hard masks, a seed each) of ``--folder-images`` (default: the checkout's examples, cycled).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from . import paths, results


def write_photos(folder: Path, size: int, n: int, source: str | None) -> list[str]:
    """n photos (PNG) and their hard masks under folder/all, the first also under folder/one. Returns the names."""
    from .data import center_square, list_images, load_rgb
    from .masks import difficulty_mask

    files = list_images(source) if source else paths.examples()
    if not files:
        raise FileNotFoundError("no photos to time: pass --folder-images DIR")
    names = []
    for i in range(n):
        name = f"{i:03d}.png"
        image = center_square(load_rgb(files[i % len(files)]), size)
        mask = (difficulty_mask(size, size, "hard", i) * 255).astype(np.uint8)
        for sub in ("all", "one") if i == 0 else ("all",):
            for kind, array in (("image", image), ("mask", mask)):
                (folder / sub / kind).mkdir(parents=True, exist_ok=True)
                Image.fromarray(array).save(folder / sub / kind / name)
        names.append(name)
    return names


def cli_seconds(folder: Path, sub: str, method: str, detail: bool = True) -> float:
    out = folder / f"out_{sub}_{method}"
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "ganpaint", "inpaint", "--image", str(folder / sub / "image"), "--mask",
                    str(folder / sub / "mask"), "--out", str(out), "--method", method, "--overwrite"] + ([] if detail else ["--no-detail"]),
                   check=True, capture_output=True)
    return time.perf_counter() - t


def library_ms(folder: Path, names: list[str], method: str, detail: bool = True) -> float:
    """The mean library call over the photos after the first (a warm-up), in a fresh process like the CLI's."""
    code = ("import json, sys, time, numpy as np; from PIL import Image; from ganpaint.inpainters import get_inpainter;"
            f"inp = get_inpainter({method!r}); d = {str(folder / 'all')!r}; names = {names!r};"
            "load = lambda n: (np.asarray(Image.open(f'{d}/image/{n}')), np.asarray(Image.open(f'{d}/mask/{n}')));"
            f"kw = dict(detail={detail}); inp(*load(names[0]), **kw); ts = []\n"
            "for n in names[1:]:\n    im, m = load(n); t = time.perf_counter(); inp(im, m, **kw); ts.append(time.perf_counter() - t)\n"
            "print(json.dumps(1000 * sum(ts) / len(ts)))")
    run = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return float(run.stdout.strip().splitlines()[-1])


def folder_rows(methods: list[str], sizes: list[int], n: int, source: str | None, repeats: int = 2) -> list[dict]:
    """One row per (method, size): the CLI's and the library's ms per photo (the least of ``repeats`` runs each).
    A method ending in ``:bare`` is its fill without the texture stage (``--no-detail``)."""
    rows = []
    for size in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            names = write_photos(folder, size, n + 1, source)
            for name in methods:
                method, detail = name.removesuffix(":bare"), not name.endswith(":bare")
                runs = [(cli_seconds(folder, "all", method, detail) - cli_seconds(folder, "one", method, detail)) / n * 1000
                        for _ in range(repeats)]
                lib = min(library_ms(folder, names, method, detail) for _ in range(repeats))
                rows.append({"method": name, "size": size, "photos": n, "cli_ms": min(runs), "cli_runs": runs,
                             "library_ms": lib, "cli_over_library": min(runs) / lib})
                print(json.dumps(rows[-1]), flush=True)
    return rows


def markdown(rows: list[dict]) -> str:
    telea = {r["size"]: r for r in rows if r["method"] == "telea"}
    cells = []
    for r in rows:
        t = telea.get(r["size"])
        cells.append([r["method"], f"{r['size']}²", f"{r['cli_ms']:.0f}", f"{r['library_ms']:.0f}",
                      f"{r['cli_over_library']:.2f}", f"{r['cli_ms'] / t['cli_ms']:.2f}" if t else "–",
                      f"{r['library_ms'] / t['library_ms']:.2f}" if t else "–"])
    return results.markdown(["method", "size", "CLI ms/photo", "library ms/photo", "CLI / library", "CLI × Telea",
                             "library × Telea"], cells)
