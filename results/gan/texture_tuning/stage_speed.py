"""The texture stage alone, the committed texture.py against an earlier commit's, alternating in one process.

    python results/gan/texture_tuning/stage_speed.py efeea20 --size 2048

The photo is the first of examples/ (centre crop), the mask the evaluation's hard one (seed 0), the guide a box blur
of the photo in the hole; median and fastest of --repeats runs each (the benchmark times the whole `gan` fill; this
isolates what a change to the stage costs, as alternating cancels the shared machine's drift).
"""

import argparse
import importlib.util
import subprocess
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from ganpaint import paths
from ganpaint.data import center_square, list_images, load_rgb
from ganpaint.evaluate import cases
from ganpaint.inpainters import texture


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("commit")
    p.add_argument("--size", type=int, default=2048)
    p.add_argument("--repeats", type=int, default=5)
    args = p.parse_args()
    src = subprocess.run(["git", "-C", str(paths.CHECKOUT), "show", f"{args.commit}:ganpaint/inpainters/texture.py"],
                         check=True, capture_output=True, text=True).stdout
    path = Path(tempfile.mkdtemp()) / "texture_then.py"
    path.write_text(src.replace("cache=True", "cache=False"))
    spec = importlib.util.spec_from_file_location("texture_then", path)
    then = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(then)
    img = center_square(load_rgb(list_images(paths.CHECKOUT / "examples")[0]), args.size)
    hole = next(iter(cases(["inpaint"], ["hard"], 1, args.size, 0)))[2][0].astype(bool)
    guide = img.copy()
    guide[hole] = cv2.blur(img, (31, 31))[hole]
    stages = {"committed": texture, args.commit: then}
    times = {name: [] for name in stages}
    for stage in stages.values():
        stage.add_texture(img, hole, guide)  # compile
    for _ in range(args.repeats):
        for name, stage in stages.items():
            t0 = time.perf_counter()
            stage.add_texture(img, hole, guide)
            times[name].append(1000 * (time.perf_counter() - t0))
    for name, t in times.items():
        print(f"{args.size}² {name}: median {np.median(t):.1f} ms, fastest {min(t):.1f} ms")


if __name__ == "__main__":
    main()
