"""Speed and size of every method on this machine, in one run.

    python -m ganpaint.benchmark --json benchmark.json
    python -m ganpaint.benchmark --app --json app.json   # one Inpaint request in the app, stage by stage

For each method and size (a square photo with a hard mask) it reports the median
latency of repeated runs after a warm-up, the process's peak memory, the
parameters and the weights' size; on CUDA also GPU latency and GAN training
throughput. Each (method, size) runs in its own process so peak memory is its own.
Stable Diffusion without downloadable weights is timed as the same architecture
built from its published configs with random weights, labelled "timing only".
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from . import paths, results
from .inpainters import METHODS
from .inpainters.base import STRATEGIES

DEFAULT_SIZES = "256,512,1024,2048"
SLOW = ("sd", "diffusion")  # dozens of network passes per image: fewer repeats, steps stated


def test_photo(size: int) -> np.ndarray:
    """An example photo (or a synthetic one) as a size x size RGB array."""
    from PIL import Image

    examples = paths.examples()
    if examples:
        im = Image.open(examples[0]).convert("RGB")
        s = min(im.size)
        im = im.crop(((im.width - s) // 2, (im.height - s) // 2, (im.width + s) // 2, (im.height + s) // 2))
        return np.asarray(im.resize((size, size), Image.Resampling.BICUBIC))
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (size, size, 3), dtype=np.uint8)


def folder_mb(path) -> float:
    if not path or not Path(path).exists():
        return 0.0
    path = Path(path)
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20


def build(method: str, device: str, steps: int, gan_variant: str):
    """The inpainter, and a note on what it is ('timing only' for random-weight stand-ins)."""
    from .inpainters import get_inpainter, method_class

    if method == "gan":
        from .inpainters.gan import GANInpainter, default_weights

        return GANInpainter(device=device, variant=gan_variant), "", folder_mb(default_weights())
    if method == "sd":
        from .inpainters.stable_diffusion import StableDiffusionInpainter

        try:
            inp = StableDiffusionInpainter(device=device, steps=steps)
            inp.load()
            return inp, "", inp.weights_mb()
        except Exception:
            inp = StableDiffusionInpainter.timing_only(device=device, steps=steps)
            return inp, "timing only (random weights, published SD 1.5 inpainting configs)", inp.weights_mb()
    ok, why = method_class(method).available()
    if not ok:
        raise RuntimeError(why)
    inp = get_inpainter(method, device=device, steps=steps) if method == "diffusion" else get_inpainter(method)
    return inp, "", folder_mb(inp.weights_path or "")


def worker(method: str, size: int, repeats: int, device: str, steps: int, gan_variant: str, strategy: str = "auto",
           detail: bool = True) -> dict:
    """One measurement, in this process; ``steps`` is the denoising steps of the diffusion methods."""
    import torch

    from .masks import difficulty_mask

    inp, note, weights_mb = build(method, device, steps, gan_variant)
    image = test_photo(size)
    mask = difficulty_mask(size, size, "hard", 0) * 255
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    inp(image, mask, strategy=strategy, detail=detail)  # warm-up
    sync()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        inp(image, mask, strategy=strategy, detail=detail)
        sync()
        times.append((time.perf_counter() - t) * 1000)
    # The median is the figure; each run's time is kept too, since on a shared CPU the same code took 1.5x as long from
    # one minute to the next (README, Speed), and the fastest run is the least disturbed measure of the code itself.
    row = {"method": method, "size": size, "device": device, "ms": statistics.median(times), "repeats": repeats,
           "ms_min": min(times), "ms_runs": [round(t, 1) for t in times],
           "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "parameters": inp.parameters,
           "weights_mb": round(weights_mb, 2), "note": note + ("" if detail else ", no detail"), "strategy": strategy,
           "detail": detail,
           # the side the model fills at: with auto, a larger region is downscaled to the method's max_side
           "fills_at": size if strategy == "full" or size <= inp.max_side else inp.max_side}
    if device == "cuda":
        row["gpu_peak_mb"] = torch.cuda.max_memory_allocated() / 2**20
    if method == "gan" and gan_variant != "torch":
        row["method"] = f"gan-{gan_variant}"
    if method in SLOW:
        row["steps"] = steps
    return row


def gan_training_throughput(batch_size: int = 32, steps: int = 60) -> dict:
    """Images/s of the real training step at 256x256 on CUDA (data loading included)."""
    import tempfile

    from .training.gan import GANConfig, main

    data = paths.shared_data("train")
    with tempfile.TemporaryDirectory() as out:
        cfg = GANConfig(data=str(data), val_data="", out=out, size=256, batch_size=batch_size, steps=steps,
                        ckpt_every=10**9, num_workers=8)
        t = time.time()
        main(cfg)
        elapsed = time.time() - t
        with open(Path(out) / "log.csv") as f:
            rate = float(list(csv.DictReader(f))[-1]["images_per_s"])
    return {"size": 256, "batch_size": batch_size, "steps": steps, "images_per_s": rate, "wall_s": elapsed}


def fast_paths(compile_too: bool = False, repeats: int = 7) -> list[dict]:
    """The GAN's CPU fast paths against the plain path, in this process (median ms after a warm-up)."""
    import torch

    from .inpainters.gan import GANInpainter

    def median_ms(fn):
        fn()
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            fn()
            times.append((time.perf_counter() - t) * 1000)
        return statistics.median(times)

    g = GANInpainter(device="cpu").generator
    rows = []
    with torch.inference_mode():
        for size in (256, 512):
            x, m = torch.rand(1, 3, size, size) * 2 - 1, (torch.rand(1, 1, size, size) > 0.5).float()
            cl = x.contiguous(memory_format=torch.channels_last)
            g.to(memory_format=torch.contiguous_format)
            plain = median_ms(lambda: g(x, m))
            g.to(memory_format=torch.channels_last)
            rows.append({"path": f"channels_last, {size}²", "plain_ms": plain, "fast_ms": median_ms(lambda: g(cl, m))})
        x4, m4 = torch.rand(4, 3, 256, 256) * 2 - 1, (torch.rand(4, 1, 256, 256) > 0.5).float()
        rows.append({"path": "4 regions of 256² in one call", "fast_ms": median_ms(lambda: g(x4, m4)),
                     "plain_ms": median_ms(lambda: [g(x4[i : i + 1], m4[i : i + 1]) for i in range(4)])})
        x, m = torch.rand(1, 3, 512, 512) * 2 - 1, (torch.rand(1, 1, 512, 512) > 0.5).float()
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        one = median_ms(lambda: g(x, m))
        torch.set_num_threads(threads)
        rows.append({"path": f"{threads} threads instead of 1, 512²", "plain_ms": one, "fast_ms": median_ms(lambda: g(x, m))})
        for size in (256, 512):
            x, m = torch.rand(1, 3, size, size) * 2 - 1, (torch.rand(1, 1, size, size) > 0.5).float()
            image = ((x[0].permute(1, 2, 0) + 1) * 127.5).byte().numpy()
            hole = m[0, 0].bool().numpy()
            plain_inp, onnx_inp = GANInpainter(device="cpu"), GANInpainter(device="cpu", variant="onnx")
            rows.append({"path": f"ONNX Runtime, {size}²", "plain_ms": median_ms(lambda: plain_inp.forward(image, hole)),
                         "fast_ms": median_ms(lambda: onnx_inp.forward(image, hole))})
        if compile_too:
            compiled = torch.compile(g)
            t = time.perf_counter()
            compiled(x, m)
            first = (time.perf_counter() - t) * 1000
            rows.append({"path": f"torch.compile, {size}² (first call {first / 1000:.0f} s)", "plain_ms": median_ms(lambda: g(x, m)),
                         "fast_ms": median_ms(lambda: compiled(x, m))})
    for r in rows:
        r["speedup"] = r["plain_ms"] / r["fast_ms"]
    return rows


def run_isolated(method, size, args, device) -> dict:
    repeats = {"sd": args.sd_repeats, "diffusion": args.diffusion_repeats}.get(method, args.repeats)
    steps = {"sd": args.sd_steps, "diffusion": args.diffusion_steps}.get(method, 0)
    cmd = [sys.executable, "-m", "ganpaint.benchmark", "--worker", f"{method}:{size}:{device}:{steps}",
           "--repeats", str(repeats), "--gan-variant", args.gan_variant, "--strategy", args.strategy,
           "--detail" if args.detail else "--no-detail"]
    env = dict(os.environ)
    if args.threads:
        env["OMP_NUM_THREADS"] = str(args.threads)
    run = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=args.timeout)
    if run.returncode != 0:
        reason = (run.stderr.strip().splitlines() or ["failed"])[-1]
        return {"method": method, "size": size, "device": device, "error": reason}
    return json.loads(run.stdout.strip().splitlines()[-1])


def markdown(rows: list[dict]) -> str:
    gan = {(r["size"], r["device"]): r["ms"] for r in rows if r["method"] == "gan" and "ms" in r}
    head = ["method", "device", "size", "fills at", "latency (ms)", "× GAN", "peak RSS (MB)", "parameters", "weights (MB)", "note"]
    cells = []
    for r in rows:
        if "error" in r:
            cells.append([r["method"], r["device"], f"{r['size']}²"] + ["–"] * 6 + [f"unavailable: {r['error']}"])
            continue
        ratio = r["ms"] / gan[(r["size"], r["device"])] if (r["size"], r["device"]) in gan else float("nan")
        note = r.get("note", "") + (f", {r['steps']} steps" if "steps" in r else "")
        fills_at = f"{r['fills_at']} px" if "fills_at" in r else "–"  # rows from runs before it was recorded
        cells.append([r["method"], r["device"], f"{r['size']}²", fills_at, f"{r['ms']:.1f}", f"{ratio:.1f}", f"{r['peak_mb']:.0f}",
                      f"{r['parameters'] / 1e6:.2f} M", f"{r['weights_mb']:.1f}", note.strip(", ")])
    return results.markdown(head, cells)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m ganpaint.benchmark", description=__doc__.split("\n\n")[0])
    p.add_argument("--methods", default=",".join(METHODS))
    p.add_argument("--sizes", default=DEFAULT_SIZES)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--sd-repeats", type=int, default=1, help="Stable Diffusion is slow on a CPU: fewer repeats")
    p.add_argument("--sd-steps", type=int, default=20)
    p.add_argument("--diffusion-repeats", type=int, default=3, help="the scratch diffusion model: fewer repeats")
    p.add_argument("--diffusion-steps", type=int, default=25)
    p.add_argument("--threads", type=int, default=0, help="OMP threads per worker (0 = default)")
    p.add_argument("--gan-variant", default="torch", choices=["torch", "onnx"], help="GAN runtime")
    p.add_argument("--strategy", default="auto", choices=STRATEGIES,
                   help="large-image strategy; auto fills each method at its working resolution, as users get it")
    p.add_argument("--detail", action=argparse.BooleanOptionalAction, default=True,
                   help="texture from the photo's known pixels for the GAN's fill and any upscaled fill "
                        "(--no-detail: the bare network fill)")
    p.add_argument("--devices", default="auto", help="cpu, cuda, or auto (cpu, plus cuda when present)")
    p.add_argument("--training", action=argparse.BooleanOptionalAction, default=True,
                   help="on CUDA, also measure GAN training throughput")
    p.add_argument("--timeout", type=int, default=3600, help="seconds per measurement")
    p.add_argument("--fast-paths", action="store_true", help="only compare the GAN's CPU fast paths with the plain path")
    p.add_argument("--compile", action="store_true", help="with --fast-paths, also time torch.compile (slow to build)")
    p.add_argument("--json", default=None)
    p.add_argument("--merge", default=None, metavar="JSON",
                   help="keep this earlier run's rows for the methods not measured now (e.g. hours of Stable Diffusion)")
    p.add_argument("--app", action="store_true",
                   help="time one Inpaint request in the running app by stage (library, gradio_client, browser)")
    p.add_argument("--app-megapixels", default="1,4,12", help="with --app: photo sizes")
    p.add_argument("--browser", action=argparse.BooleanOptionalAction, default=True,
                   help="with --app: also the click-to-shown time in headless chromium")
    p.add_argument("--folder", type=int, default=0, metavar="N",
                   help="time `ganpaint inpaint` on a folder of N photos against the library call on the same ones")
    p.add_argument("--folder-images", default=None, metavar="DIR", help="with --folder: photos to use (default: examples/)")
    p.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    return p


def app_latency(args, command: str) -> dict:
    """``--app``: one Inpaint request in the running app, stage by stage."""
    from . import benchmark_app

    out = benchmark_app.run([float(x) for x in args.app_megapixels.split(",")], args.repeats, args.browser)
    out["command"] = command
    print(benchmark_app.markdown(out["results"]))
    print(benchmark_app.markdown_other(out["other_tasks"]))
    results.write_json(args.json, out)
    return out


def fast_paths_table(args, command: str) -> list[dict]:
    """``--fast-paths``: the GAN's CPU fast paths against the plain path."""
    rows = fast_paths(args.compile)
    print(results.markdown(["fast path", "plain (ms)", "fast (ms)", "speed-up"],
                           [[r["path"], f"{r['plain_ms']:.1f}", f"{r['fast_ms']:.1f}", f"{r['speedup']:.2f}×"] for r in rows]))
    results.write_json(args.json, {"fast_paths": rows, "command": command})
    return rows


def folder_table(args, command: str) -> dict:
    """``--folder N``: the command line against the library on the same photos (benchmark_folder)."""
    from . import benchmark_folder

    rows = benchmark_folder.folder_rows([m for m in args.methods.split(",") if m], [int(s) for s in args.sizes.split(",")],
                                        args.folder, args.folder_images)
    print(benchmark_folder.markdown(rows))
    out = {"folder": rows, "command": command, "machine": {"cpu": platform.processor() or platform.machine(),
                                                            "cores": os.cpu_count()}}
    results.write_json(args.json, out)
    return out


def methods_table(args, command: str) -> dict:
    """Every (device, method, size), each in its own process, plus GAN training throughput on CUDA."""
    import torch

    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else []) if args.devices == "auto" else args.devices.split(",")
    measured = [m for m in args.methods.split(",") if m]
    rows = []
    for device in devices:
        for method in measured:
            for size in [int(s) for s in args.sizes.split(",")]:
                rows.append(run_isolated(method, size, args, device))
                print(json.dumps(rows[-1]), flush=True)
    out = {"machine": {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
                       "torch": torch.__version__, "gpu": torch.cuda.get_device_name() if torch.cuda.is_available() else None},
           "results": rows, "command": command}
    earlier = json.loads(Path(args.merge).read_text()) if args.merge else {"results": []}
    results.merge(out, earlier, measured, args.merge, key=lambda r: (r["device"], results.method_rank(r["method"]), r["size"]))
    if "cuda" in devices and args.training:
        out["gan_training"] = gan_training_throughput()
    print(markdown(out["results"]))
    if "gan_training" in out:
        t = out["gan_training"]
        print(f"\nGAN training on {out['machine']['gpu']}: {t['images_per_s']:.0f} images/s at 256², batch {t['batch_size']}")
    results.write_json(args.json, out)
    return out


def main(argv=None):
    args = parser().parse_args(argv)
    command = "python -m ganpaint.benchmark " + " ".join(sys.argv[1:] if argv is None else argv)
    if args.app:
        return app_latency(args, command)
    if args.fast_paths:
        return fast_paths_table(args, command)
    if args.folder:
        return folder_table(args, command)
    if args.worker:  # one measurement, in its own process (run_isolated)
        method, size, device, steps = args.worker.split(":")
        print(json.dumps(worker(method, int(size), args.repeats, device, int(steps), args.gan_variant, args.strategy,
                                args.detail)))
        return None
    return methods_table(args, command)


if __name__ == "__main__":
    main()
