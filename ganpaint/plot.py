"""Training curves from a run's log.csv.

    python -m ganpaint.plot --log runs/gan/log.csv --out weights/gan/training_curve.png
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path


def read_log(path) -> dict[str, list[tuple[float, float]]]:
    """Column -> [(step, value)] for the numeric cells present."""
    series: dict[str, list[tuple[float, float]]] = {}
    with open(path) as f:
        for row in csv.DictReader(f):
            step = float(row["step"])
            for k, v in row.items():
                if k != "step" and v not in ("", None):
                    try:
                        series.setdefault(k, []).append((step, float(v)))
                    except ValueError:
                        pass
    return series


def smooth(values: list[float], n: int = 20) -> list[float]:
    out, acc = [], []
    for v in values:
        acc = (acc + [v])[-n:]
        out.append(sum(acc) / len(acc))
    return out


def plot(log: Path, out: Path, losses=("l1", "ssim", "perceptual", "adv", "fm", "d_loss", "loss")):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    s = read_log(log)
    val = [k for k in ("val_psnr", "val_ssim", "val_lpips") if k in s]
    fig, axes = plt.subplots(1, 1 + len(val), figsize=(5 * (1 + len(val)), 3.6))
    axes = axes if hasattr(axes, "__len__") else [axes]
    for k in losses:
        if k in s:
            steps, values = zip(*s[k])
            axes[0].plot(steps, smooth(list(values)), label=k)
    axes[0].set(title="training losses (smoothed)", xlabel="step")
    axes[0].set_yscale("symlog", linthresh=0.1)  # the hinge G loss can be negative
    axes[0].legend(fontsize=8)
    for ax, k in zip(axes[1:], val):
        steps, values = zip(*s[k])
        ax.plot(steps, values, marker="o")
        ax.set(title=k.replace("val_", "validation ").upper().replace("VALIDATION", "validation"), xlabel="step")
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    return out


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m ganpaint.plot", description=__doc__.split("\n\n")[0])
    p.add_argument("--log", required=True)
    p.add_argument("--out", required=True)
    args = p.parse_args(argv)
    print(plot(Path(args.log), Path(args.out)))


if __name__ == "__main__":
    main()
