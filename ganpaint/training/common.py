"""Pieces shared by the GAN and diffusion training scripts: config flags, checkpoints, EMA, logs."""

from __future__ import annotations

import argparse
import copy
import csv
import dataclasses
import os
import time
from pathlib import Path

import torch


def parse_config(cls, argv=None, prog=None):
    """Build a config dataclass from ``--flag value`` arguments; unknown flags and wrong types are refused."""
    parser = argparse.ArgumentParser(prog=prog, description=cls.__doc__)
    for f in dataclasses.fields(cls):
        flag = "--" + f.name.replace("_", "-")
        default = f.default
        if isinstance(default, bool):
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=default)
        elif isinstance(default, tuple):
            kind = type(default[0]) if default else str
            parser.add_argument(flag, type=lambda s, k=kind: tuple(k(v) for v in s.split(",") if v), default=default,
                                metavar="A,B,...")
        else:
            parser.add_argument(flag, type=type(default), default=default)
    args = parser.parse_args(argv)
    return cls(**{f.name: getattr(args, f.name) for f in dataclasses.fields(cls)})


def pick_device(name: str = "auto") -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


class EMA:
    """Exponential moving average of a model's weights (buffers copied as they are)."""

    def __init__(self, model: torch.nn.Module, decay: float):
        self.model = copy.deepcopy(model).eval().requires_grad_(False)
        self.decay = decay

    @torch.no_grad()
    def update(self, model: torch.nn.Module, step: int):
        # Early on, average over fewer steps so the EMA is not stuck at the random init.
        decay = min(self.decay, (1 + step) / (10 + step))
        for e, p in zip(self.model.parameters(), model.parameters()):
            e.lerp_(p.detach(), 1 - decay)
        for e, b in zip(self.model.buffers(), model.buffers()):
            e.copy_(b)


def save_checkpoint(path: Path, state: dict):
    """Write to a temporary file, then rename: a crash never leaves a half-written checkpoint."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)


def load_checkpoint(path: Path, device="cpu") -> dict:
    return torch.load(path, map_location=device, weights_only=True)


class CSVLog:
    """Appends one row per call with fixed columns (missing ones left empty); header written once per file."""

    def __init__(self, path: Path, fields: list[str]):
        self.path, self.fields = Path(path), fields

    def write(self, row: dict):
        new = not self.path.exists()
        with open(self.path, "a", newline="") as f:
            w = csv.DictWriter(f, fieldnames=self.fields, restval="", extrasaction="raise")
            if new:
                w.writeheader()
            w.writerow(row)


class Timer:
    def __init__(self):
        self.start = time.time()

    def minutes(self) -> float:
        return (time.time() - self.start) / 60


def unwrap(model):
    """The plain module behind torch.compile's wrapper."""
    return getattr(model, "_orig_mod", model)
