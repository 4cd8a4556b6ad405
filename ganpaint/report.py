"""The README's method comparison, one row per method, from the files that measured it.

    python -m ganpaint.report --eval results/eval_val.json --benchmark results/benchmark_cpu.json
    python -m ganpaint.report --xsrc      # the README's results table, from the committed val_xsrc JSONs

Parameters and latency come from benchmark JSONs (``python -m ganpaint.benchmark``), quality from an
evaluation JSON (``python -m ganpaint.evaluate``), training compute from the ``training.json`` that
``train.py`` writes beside each model's weights.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from . import paths
from .inpainters import METHODS
from .results import markdown

# Pretrained elsewhere: what its publishers report (the SD v1 model card: A100 PCIe 40GB, 150 000 hours),
# before the inpainting fine-tune.
EXTERNAL_COMPUTE = {"sd": "pretrained by its publishers: ≈150 000 A100-hours (SD v1 card) + inpainting fine-tune"}
CLASSICAL = {"patchmatch", "telea", "ns"}
REPO = paths.CHECKOUT  # init_from paths in training.json are relative to it


def weights_folder(method: str) -> Path | None:
    if method == "gan":
        from .inpainters.gan import default_weights
    elif method == "diffusion":
        from .inpainters.diffusion import default_weights
    else:
        return None
    return Path(default_weights())


def describe_training(folder: Path) -> str | None:
    """One line from a model's ``training.json``, followed back through the weights it started from."""
    info_path = folder / "training.json"
    if not info_path.is_file():
        return None
    info = json.loads(info_path.read_text())
    text = (f"{info['minutes']:.0f} min on {' + '.join(info['hardware'])}: {info['steps']} steps × {info['batch_size']} "
            f"at {info['size']}² ({info['images_seen'] / 1000:.1f} k images)")
    if len(info.get("stages", [])) > 1:  # the weights' whole history, every stage counted
        stages = info["stages"]
        images = sum(st["steps"] * st.get("batch_size", info["batch_size"]) for st in stages)
        sizes = "/".join(f"{st.get('size', info['size'])}²" for st in stages)
        text = (f"{sum(st['minutes'] for st in stages):.0f} min on {' + '.join(info['hardware'])}: {len(stages)} stages "
                f"at {sizes}, {sum(st['steps'] for st in stages)} steps ({images / 1000:.1f} k images)")
    start = info.get("init_from")
    if start:
        start = Path(start) if Path(start).is_absolute() else REPO / start
        earlier = describe_training(start) if start.resolve() != folder.resolve() else None
        text += f", started from {info['init_from']}" + (f" ({earlier})" if earlier else "")
    return text


def training_compute(method: str) -> str:
    if method in CLASSICAL:
        return "none (classical)"
    if method in EXTERNAL_COMPUTE:
        return EXTERNAL_COMPUTE[method]
    folder = weights_folder(method)
    return (describe_training(folder) if folder else None) or "–"


def latency(rows: list[dict], method: str, device: str, size: int) -> str:
    for r in rows:
        if r["method"] == method and r["device"] == device and r["size"] == size and "ms" in r:
            notes = [f"{r['steps']} steps"] if "steps" in r else []
            notes += ["timing only"] if "timing only" in r.get("note", "") else []
            notes += [f"fills at {r['fills_at']} px"] if r.get("fills_at", size) < size else []
            extra = f" ({', '.join(notes)})" if notes else ""
            return f"{r['ms']:,.0f}{extra}" if r["ms"] >= 10 else f"{r['ms']:.1f}{extra}"
    return "–"


def comparison(evaluation: dict, benchmarks: list[dict], difficulties=("medium", "hard"), size: int = 512) -> str:
    bench_rows = [r for b in benchmarks for r in b["results"]]
    quality = {(r["method"], r["difficulty"]): r for r in evaluation["results"]}
    unavailable = {u["method"]: u["reason"] for u in evaluation.get("unavailable", [])}
    methods = [m for m in METHODS
               if any(k[0] == m for k in quality) or m in unavailable or any(r["method"] == m for r in bench_rows)]
    head = ["method", "parameters", "training compute", f"CPU ms, {size}²", f"GPU ms, {size}²"]
    head += [f"{d} {q}" for d in difficulties for q in ("PSNR ↑", "SSIM ↑", "LPIPS ↓")]
    rows = []
    for m in methods:
        params = next((r["parameters"] for r in bench_rows if r["method"] == m and "parameters" in r), None)
        cells = [m, "0" if m in CLASSICAL else (f"{params / 1e6:.2f} M" if params else "–"), training_compute(m),
                 latency(bench_rows, m, "cpu", size), latency(bench_rows, m, "cuda", size)]
        for d in difficulties:
            q = quality.get((m, d))
            if q:
                cells += [f"{q['psnr']:.2f}", f"{q['ssim']:.4f}", f"{q['lpips']:.4f}"]
            else:
                cells += ["unavailable" if m in unavailable else "–", "", ""]
        rows.append(cells)
    notes = [f"- {m}: unavailable in the evaluation: {why}" for m, why in unavailable.items()]
    return "\n".join([markdown(head, rows)] + ([""] + notes if notes else []))


# The README's results table: per size, the evaluation JSONs of the default fill (with PatchMatch and Telea), of
# the texture stage alone (--guide none) and of the bare network (--no-detail).
XSRC = {256: ("assets/about/eval_xsrc_256.json", "results/xsrc/eval_256_guide_none.json",
              "results/xsrc/eval_256_no_detail.json"),
        512: ("results/xsrc/eval_512.json", "results/xsrc/eval_512_guide_none.json", "results/xsrc/eval_512_no_detail.json")}
XSRC_TASKS = [("inpaint", "medium", "inpaint, medium holes"), ("inpaint", "hard", "inpaint, hard holes"),
              ("outpaint", None, "outpaint"), ("bridge", None, "bridge"), ("bridge_diag", None, "diagonal bridge")]


def _xsrc_columns(size: int) -> list[dict]:
    """Each column's rows by (task, difficulty): ganpaint, stage alone, bare network, PatchMatch, Telea."""
    full, alone, bare = (json.loads((paths.CHECKOUT / f).read_text())["results"] for f in XSRC[size])
    pick = lambda rows, m: {(r["task"], r.get("difficulty") if r["task"] == "inpaint" else None): r  # noqa: E731
                            for r in rows if r["method"] == m}
    return [pick(full, "gan"), pick(alone, "gan"), pick(bare, "gan"), pick(full, "patchmatch"), pick(full, "telea")]


def xsrc_table() -> str:
    """LPIPS / PSNR of every task at 256² and 512², the best of each bold, and the mean LPIPS of each column."""
    bold = lambda text, yes: f"**{text}**" if yes else text  # noqa: E731
    rows, means = [], {}
    for size in XSRC:
        cols = _xsrc_columns(size)
        means[size] = [sum(c[(t, d)]["lpips"] for t, d, _ in XSRC_TASKS) / len(XSRC_TASKS) for c in cols]
        for task, diff, label in XSRC_TASKS:
            cells = [c[(task, diff)] for c in cols]
            lo, hi = min(r["lpips"] for r in cells), max(r["psnr"] for r in cells)
            rows.append([label, f"{size}²"] + [bold(f"{r['lpips']:.4f}", r["lpips"] == lo) + " / " +
                                              bold(f"{r['psnr']:.2f}", r["psnr"] == hi) for r in cells])
    best = {size: min(m) for size, m in means.items()}
    rows.append(["mean LPIPS", " / ".join(f"{s}²" for s in XSRC)] +
                [" / ".join(bold(f"{means[s][i]:.4f}", means[s][i] == best[s]) for s in XSRC) for i in range(5)])
    return markdown(["task", "size", "ganpaint", "stage alone", "bare network", "PatchMatch", "Telea"], rows)


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m ganpaint.report", description=__doc__.split("\n\n")[0])
    p.add_argument("--xsrc", action="store_true", help="print the README's val_xsrc results table and stop")
    p.add_argument("--eval", help="a JSON written by `python -m ganpaint.evaluate --json`")
    p.add_argument("--benchmark", action="append",
                   help="a JSON written by `python -m ganpaint.benchmark --json` (repeat for a GPU run)")
    p.add_argument("--difficulty", default="medium,hard")
    p.add_argument("--size", type=int, default=512, help="the benchmark size whose latency is shown")
    args = p.parse_args(argv)
    if args.xsrc:
        table = xsrc_table()  # six JSONs read once
        print(table)
        return table
    if not args.eval or not args.benchmark:
        p.error("--eval and --benchmark are required (or --xsrc)")
    table = comparison(json.loads(Path(args.eval).read_text()), [json.loads(Path(b).read_text()) for b in args.benchmark],
                       tuple(args.difficulty.split(",")), args.size)
    print(table)
    return table


if __name__ == "__main__":
    main()
