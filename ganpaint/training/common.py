"""Pieces shared by the GAN and diffusion training scripts: config flags, checkpoints, EMA, logs."""

from __future__ import annotations

import argparse
import copy
import csv
import dataclasses
import json
import math
import os
import platform
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from tqdm import tqdm

from ..data import CROP_SCALE
from ..masks import TRAINING_MIX
from ..tensors import pick_device


@dataclass
class RunConfig:
    """What every training run has: data, budget, resume, system and publishing (each script adds its own)."""

    data: str = "../shared/data/scenery/train"
    val_data: str = "../shared/data/scenery/val"
    out: str = "runs/train"
    size: int = 256
    batch_size: int = 8
    steps: int = 20000  # the LR schedule's length; training stops here or at --max-minutes
    max_minutes: float = 0.0  # 0 = no time budget
    resume: bool = False
    warmup_steps: int = 200
    decay_start: float = 0.6  # cosine decay to 10 % over the last 40 % of --steps
    # shares of the training masks: strokes and boxes, outpainting borders, vertical bridges, diagonal bridges
    mask_mix: tuple = TRAINING_MIX
    crop_scale: tuple = CROP_SCALE  # each crop's side as a share of the photo's short side (the fill sees 1.0)
    jitter: float = 0.0  # colour jitter of the training crops (brightness, contrast, saturation, white balance)
    ema_decay: float = 0.999
    # system
    device: str = "auto"
    amp: bool = True  # bf16 autocast on CUDA (on CPUs without AMX it is slower, so CPU runs stay fp32)
    channels_last: bool = True
    compile: bool = False
    num_workers: int = 0
    threads: int = 0  # CPU threads (0 = PyTorch's default)
    seed: int = 0
    val_every: int = 500
    val_n: int = 16
    ckpt_every: int = 250
    push_to_hub: str = ""


def model_defaults(cls) -> dict:
    """A model's constructor defaults: the one place its default architecture is written."""
    import inspect

    return {k: v.default for k, v in inspect.signature(cls.__init__).parameters.items()
            if v.default is not inspect.Parameter.empty}


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


# Flags a resumed run takes from the command line; everything else comes from the checkpoint.
RUNTIME_FLAGS = {"max_minutes", "resume", "push_to_hub", "val_every", "ckpt_every", "num_workers", "threads", "device"}


def given_flags(cfg) -> set:
    """The flags of ``cfg`` not at their defaults: those set on the command line."""
    return {f.name for f in dataclasses.fields(cfg) if getattr(cfg, f.name) != f.default}


def resumed_config(cfg, saved: dict, keep=frozenset()):
    """``cfg`` with a saved run's config, but for RUNTIME_FLAGS, ``keep`` and ``--steps`` where it is given: a resumed
    run goes on to the length it was started with (a CLI default below its step would stop it at once)."""
    keep = RUNTIME_FLAGS | set(keep) | (given_flags(cfg) & {"steps"})
    saved = {k: tuple(v) if isinstance(v, list) else v for k, v in saved.items()}
    return dataclasses.replace(cfg, **{k: v for k, v in saved.items() if k not in keep and hasattr(cfg, k)})


def start_run(cfg):
    """Output folder, device and, with ``--resume``, the checkpoint state.

    Returns (cfg, state, out, device): a resumed run keeps its saved config except RUNTIME_FLAGS
    and a given ``--steps``.
    """
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    device = pick_device(cfg.device)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = True
        torch.backends.cudnn.benchmark = True
    state = None
    if cfg.resume and (out / "ckpt.pt").exists():
        state = load_checkpoint(out / "ckpt.pt")
        cfg = resumed_config(cfg, state["config"])
    (out / "config.json").write_text(json.dumps(dataclasses.asdict(cfg), indent=2))
    return cfg, state, out, device


def cosine_lr(step: int, base: float, warmup: int, decay_start: float, total: int) -> float:
    """Linear warm-up, constant, then cosine decay to 10 % over the last ``1 - decay_start`` of ``total``."""
    if step < warmup:
        return base * (step + 1) / warmup
    start = int(decay_start * total)
    if step < start:
        return base
    t = min(1.0, (step - start) / max(1, total - start))
    return base * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * t)))


def val_report(out: torch.Tensor, truth: torch.Tensor, masks: torch.Tensor, png: Path | None = None) -> dict:
    """PSNR / SSIM / LPIPS of [0, 1] results against the truth; optionally a grid (input | result | truth)."""
    from ..metrics import lpips, psnr, ssim

    metrics = {"val_psnr": psnr(out, truth).mean().item(), "val_ssim": ssim(out, truth).item()}
    try:
        metrics["val_lpips"] = lpips(out, truth).mean().item()
    except Exception as e:  # LPIPS weights missing offline: report the other two
        print(f"LPIPS skipped: {e}")
    if png is not None:
        rows = [torch.cat([truth[i] * (1 - masks[i]) + masks[i], out[i], truth[i]], 2) for i in range(min(6, len(out)))]
        grid = (torch.cat(rows, 1).permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
        Image.fromarray(grid).save(png)
    return metrics


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


def hardware_name(device: torch.device) -> str:
    """What a run trains on, for the model card: the GPU's name or the CPU's core count."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"{os.cpu_count()}-core {platform.machine()} CPU"


def run_hardware(state: dict | None, device: torch.device, world: int = 1) -> list[str]:
    """Every machine a run has trained on, for the model card (a run may resume elsewhere); ``world`` processes
    count as "N x <device>"."""
    name = hardware_name(device) if world == 1 else f"{world} x {hardware_name(device)}"
    return list(dict.fromkeys((state or {}).get("hardware", []) + [name]))


def write_training_info(folder: Path, cfg, step: int, minutes: float, hardware: list[str]):
    """training.json beside the weights: the compute that made them (the comparison table reads it)."""
    seen = step * cfg.batch_size
    info = {"steps": step, "batch_size": cfg.batch_size, "size": cfg.size, "images_seen": seen,
            "minutes": round(minutes, 3), "images_per_s": round(seen / max(minutes * 60, 1e-9), 2),
            "hardware": hardware, "init_from": getattr(cfg, "init_from", "") or None}
    Path(folder).mkdir(parents=True, exist_ok=True)
    (Path(folder) / "training.json").write_text(json.dumps(info, indent=2) + "\n")


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
    """Training minutes: the wall time between readings (one a step at least), less any gap over ``pause`` seconds:
    a run stopped with SIGSTOP while tests or benchmarks have the CPU did not train then (and its --max-minutes
    budget goes on after SIGCONT)."""

    def __init__(self, pause: float = 120.0):
        self.last, self.total, self.pause = time.time(), 0.0, pause

    def minutes(self) -> float:
        now = time.time()
        if now - self.last < self.pause:
            self.total += now - self.last
        self.last = now
        return self.total / 60


def unwrap(model):
    """The plain module behind torch.compile's and DistributedDataParallel's wrappers."""
    model = getattr(model, "_orig_mod", model)
    return model.module if isinstance(model, torch.nn.parallel.DistributedDataParallel) else model


# ---------------------------------------------------------------- several processes (torchrun)
def setup_distributed(device: torch.device) -> tuple[int, int, torch.device]:
    """(rank, world size, this process's device). Under ``torchrun`` (WORLD_SIZE > 1) joins the process group:
    NCCL with one GPU per process on CUDA, gloo on the CPU. A plain run is rank 0 of 1."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world == 1:
        return 0, 1, device
    import torch.distributed as dist

    if device.type == "cuda":
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(device)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return dist.get_rank(), world, device


def all_mean(value: float, world: int, device: torch.device) -> float:
    """The mean of a number over all processes, so every rank takes the same decisions (e.g. skip the D step)."""
    if world == 1:
        return value
    import torch.distributed as dist

    t = torch.tensor([value], dtype=torch.float64, device=device)
    dist.all_reduce(t)
    return t.item() / world


def check_replicas(model: torch.nn.Module, world: int):
    """Raise if the processes' copies of ``model`` have drifted apart (they must stay bit-identical)."""
    if world == 1:
        return
    import torch.distributed as dist

    flat = torch.cat([p.detach().float().flatten().cpu() for p in model.parameters()]).double()
    mine = torch.stack([flat.sum(), (flat * torch.arange(flat.numel(), dtype=torch.float64)).sum()])
    every = [torch.zeros_like(mine) for _ in range(world)]
    dist.all_gather(every, mine.to(next(model.parameters()).device))
    if any(not torch.equal(e.cpu(), every[0].cpu()) for e in every):
        raise RuntimeError(f"the {world} processes' models differ: {[e.tolist() for e in every]}")


def end_distributed(world: int):
    if world > 1:
        import torch.distributed as dist

        dist.barrier()
        dist.destroy_process_group()


# ---------------------------------------------------------------- the loop both scripts share
@dataclass
class Run:
    """One training run as the shared loop sees it: its config, folder, device, processes and progress."""

    cfg: object
    out: Path
    device: torch.device
    state: dict | None  # the checkpoint a resumed run starts from
    rank: int = 0
    world: int = 1
    step: int = 0
    minutes_before: float = 0.0  # training time of the earlier sessions of a resumed run
    hardware: list = field(default_factory=list)
    timer: Timer = field(default_factory=Timer)

    @property
    def main_proc(self) -> bool:  # logs, validation and checkpoints come from one process
        return self.rank == 0

    @property
    def memory_format(self):
        return torch.channels_last if self.cfg.channels_last else torch.contiguous_format

    @property
    def ckpt_path(self) -> Path:
        return self.out / "ckpt.pt"

    def minutes(self) -> float:
        return self.minutes_before + self.timer.minutes()

    def autocast(self):
        # bf16 on CUDA only: on CPUs without AMX it is slower (and crashes some oneDNN builds)
        return torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.cfg.amp and self.device.type == "cuda")

    def checkpoint(self, models: dict) -> dict:
        """The checkpoint: ``models`` (state dicts) plus where the run is and what it ran on."""
        return {**models, "step": self.step, "minutes": self.minutes(), "config": dataclasses.asdict(self.cfg),
                "hardware": self.hardware}


def open_run(cfg, distributed: bool = False) -> Run:
    """Set a run up (see ``start_run``); with ``distributed``, join torchrun's processes when there are several."""
    cfg, state, out, device = start_run(cfg)
    rank, world = 0, 1
    if distributed:
        rank, world, device = setup_distributed(device)
    run = Run(cfg, out, device, state, rank, world)
    if state is not None:
        run.step, run.minutes_before = state["step"], state["minutes"]
        if run.main_proc:
            print(f"resumed from {run.ckpt_path} at step {run.step}")
    run.hardware = run_hardware(state, device, world)
    return run


def train_loop(run: Run, data, train_step, save, log_fields: list[str], validate=None, postfix=(), desc="train"):
    """Train until ``--steps`` or ``--max-minutes``: one ``train_step(images, masks, step)`` per batch, a log row
    every 10 steps, ``validate(png)`` every ``--val-every`` and ``save()`` every ``--ckpt-every`` steps and at the end.

    ``train_step`` returns the metrics to log as tensors or numbers: they are read (a GPU sync) only when logged.
    """
    cfg = run.cfg
    run.timer = Timer()  # training time, not set-up
    log = CSVLog(run.out / "log.csv", ["step", "minutes", *log_fields, "images_per_s", "val_psnr", "val_ssim", "val_lpips"])
    bar = tqdm(total=cfg.steps, initial=run.step, desc=desc, dynamic_ncols=True, disable=not run.main_proc)
    seen, t0 = 0, time.time()
    while run.step < cfg.steps and not (cfg.max_minutes and run.timer.minutes() >= cfg.max_minutes):
        images, masks = (t.to(run.device, non_blocking=True).contiguous(memory_format=run.memory_format) for t in next(data))
        metrics = train_step(images, masks, run.step)
        run.step += 1
        seen += cfg.batch_size
        bar.update(1)
        step = run.step
        if run.main_proc and (step % 10 == 0 or step % cfg.val_every == 0 or step == cfg.steps):
            rate = seen / (time.time() - t0)
            row = {"step": step, "minutes": round(run.minutes(), 3), **{k: v.item() if torch.is_tensor(v) else v for k, v in metrics.items()},
                   "images_per_s": round(rate, 2)}
            if validate is not None and (step % cfg.val_every == 0 or step == cfg.steps):
                row.update(validate(run.out / f"val_{step:06d}.png"))
            log.write(row)
            bar.set_postfix({k: f"{row[k]:.3g}" for k in postfix} | {"ips": f"{rate:.1f}"})
        if step % cfg.ckpt_every == 0:
            save()
    bar.close()
    save()
    end_distributed(run.world)


def publish(run: Run, folder: Path, kind: str):
    """After training: say where the results are and, with ``--push-to-hub``, upload ``folder``."""
    print(f"stopped at step {run.step} after {run.timer.minutes():.1f} min; checkpoint {run.ckpt_path}, model {folder}")
    if run.cfg.push_to_hub:
        from ..hub import push_folder

        push_folder(folder, run.cfg.push_to_hub, dataclasses.asdict(run.cfg), run.step, kind=kind)
