"""Train the inpainting GAN. Reads top to bottom: config, setup, data, models, optimisers, loop.

    python train.py gan --data ../shared/data/scenery/train --out runs/gan
    torchrun --nproc_per_node=N train.py gan ...   # N processes (GPUs, or CPU with gloo), --batch-size each
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from tqdm import tqdm

from ..data import TrainSet, batches, validation_set
from ..losses import GANLoss, PerceptualLoss, feature_matching, hole_l1, r1_penalty, ssim_loss
from ..models import Generator, PatchDiscriminator
from .common import (CSVLog, EMA, Timer, all_mean, check_replicas, cosine_lr, end_distributed, load_checkpoint,
                     parse_config, run_hardware, save_checkpoint, setup_distributed, start_run, unwrap, val_report,
                     write_training_info)


@dataclass
class GANConfig:
    """Train the ganpaint inpainting GAN."""

    data: str = "../shared/data/scenery/train"
    val_data: str = "../shared/data/scenery/val"
    out: str = "runs/gan"
    size: int = 256
    batch_size: int = 8
    steps: int = 20000  # the LR schedule's length; training stops here or at --max-minutes
    max_minutes: float = 0.0  # 0 = no time budget
    resume: bool = False
    init_from: str = ""  # a generator folder (G only) or a ckpt.pt (its EMA generator and its discriminator)
    # models
    g_channels: tuple = (24, 48, 96, 160)
    g_decoder_channels: tuple = (96, 48, 24)
    g_dilations: tuple = (1, 2, 4, 8, 1, 2)
    g_fourier_every: int = 2
    use_edges: bool = False
    g_upsample: str = "nearest"  # "bilinear": no 16-px blocks from the bottleneck
    d_base: int = 32
    d_layers: int = 3
    # optimisation
    lr_g: float = 3e-4
    lr_d: float = 1e-4
    warmup_steps: int = 200
    decay_start: float = 0.6  # cosine decay to 10 % over the last 40 % of --steps
    ema_decay: float = 0.999
    d_throttle: float = 0.9  # skip the D step while its running accuracy is above this
    # losses
    l1_weight: float = 100.0  # L1 inside the hole (LaMa: 0, so the fill need not be the mean)
    ssim_weight: float = 1.0
    perceptual_weight: float = 1.0
    adv_weight: float = 1.0
    fm_weight: float = 10.0
    r1_weight: float = 0.0
    r1_every: int = 16
    gan_loss: str = "hinge"
    adv_mask_target: bool = False  # LaMa: D calls only the filled region fake, the kept rest real
    perceptual_layers: tuple = ("relu1_2", "relu2_2", "relu3_3")
    perceptual_size: int = 0  # run VGG at this size (0 = training size)
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


def get_lr(step: int, base: float, cfg: GANConfig) -> float:
    return cosine_lr(step, base, cfg.warmup_steps, cfg.decay_start, cfg.steps)


@torch.no_grad()
def validate(g, images, masks, device, out_png: Path | None = None, batch: int = 8) -> dict:
    """Metrics of ``g`` on the fixed val set; optionally a grid PNG (input | fill | truth)."""
    outs = []
    for i in range(0, len(images), batch):
        x, m = images[i : i + batch].to(device), masks[i : i + batch].to(device)
        outs.append(g(x, m).float().clamp(-1, 1).cpu())
    return val_report((torch.cat(outs) + 1) / 2, (images + 1) / 2, masks, out_png)


def main(cfg: GANConfig):
    # 1. Setup; with --resume the checkpoint's config wins, except for the budget and where to stop
    cfg, state, out, device = start_run(cfg)
    rank, world, device = setup_distributed(device)  # under torchrun: this process's rank and GPU
    main_proc = rank == 0  # logs, validation and checkpoints come from one process
    memory_format = torch.channels_last if cfg.channels_last else torch.contiguous_format
    ckpt_path = out / "ckpt.pt"

    # 2. Data
    dataset = TrainSet(cfg.data, cfg.size, seed=cfg.seed)
    val_images, val_masks = validation_set(cfg.val_data, cfg.size, n=cfg.val_n) if cfg.val_data and main_proc else (None, None)

    # 3. Models
    g = Generator(channels=cfg.g_channels, decoder_channels=cfg.g_decoder_channels, dilations=cfg.g_dilations,
                  fourier_every=cfg.g_fourier_every, use_edges=cfg.use_edges, upsample=cfg.g_upsample, train_size=cfg.size)
    d = PatchDiscriminator(base=cfg.d_base, n_layers=cfg.d_layers)
    if cfg.init_from and state is None:
        if Path(cfg.init_from).is_file():
            # A fine-tune (e.g. other dilations, same shapes) then starts against a trained D, not a random one.
            start = load_checkpoint(Path(cfg.init_from))
            g.load_state_dict(start["ema"])
            d.load_state_dict(start["d"])
        else:
            g.load_state_dict(Generator.from_pretrained(cfg.init_from, strict=True).state_dict())
    g, d = g.to(device, memory_format=memory_format), d.to(device, memory_format=memory_format)
    ema = EMA(g, cfg.ema_decay)
    perceptual = PerceptualLoss(cfg.perceptual_layers, size=cfg.perceptual_size or None).to(device) if cfg.perceptual_weight else None
    gan_loss = GANLoss(cfg.gan_loss)
    if main_proc:
        print(f"G: {sum(p.numel() for p in g.parameters()) / 1e6:.2f} M params, D: {sum(p.numel() for p in d.parameters()) / 1e6:.2f} M"
              + (f", {world} processes" if world > 1 else ""))

    # 4. Optimisers
    opt_g = torch.optim.Adam(g.parameters(), lr=cfg.lr_g, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(d.parameters(), lr=cfg.lr_d, betas=(0.5, 0.999))
    step, d_acc, elapsed_before = 0, 0.5, 0.0
    if state is not None:
        g.load_state_dict(state["g"])
        d.load_state_dict(state["d"])
        ema.model.load_state_dict(state["ema"])
        opt_g.load_state_dict(state["opt_g"])
        opt_d.load_state_dict(state["opt_d"])
        step, d_acc, elapsed_before = state["step"], state["d_acc"], state["minutes"]
        if main_proc:
            print(f"resumed from {ckpt_path} at step {step}")
    hardware = run_hardware(state, device, world)
    g_train, d_train = g, d
    if world > 1:  # gradients averaged over the processes; every replica takes the same step
        from torch.nn.parallel import DistributedDataParallel as DDP

        g_train, d_train = DDP(g), DDP(d)
    if cfg.compile:
        g_train, d_train = torch.compile(g_train), torch.compile(d_train)

    def save():
        check_replicas(g, world)
        if not main_proc:
            return
        save_checkpoint(ckpt_path, {
            "g": g.state_dict(), "d": d.state_dict(), "ema": ema.model.state_dict(),
            "opt_g": opt_g.state_dict(), "opt_d": opt_d.state_dict(), "step": step, "d_acc": d_acc,
            "minutes": elapsed_before + timer.minutes(), "config": dataclasses.asdict(cfg), "hardware": hardware,
        })
        ema.model.save_pretrained(out / "generator")
        write_training_info(out / "generator", cfg, step, elapsed_before + timer.minutes(), hardware)

    # 5. The loop
    log = CSVLog(out / "log.csv", ["step", "minutes", "lr_g", "g_loss", "l1", "ssim", "adv", "fm", "perceptual", "d_loss",
                                   "d_acc", "d_step", "images_per_s", "val_psnr", "val_ssim", "val_lpips"])
    timer = Timer()
    autocast = torch.autocast(device.type, dtype=torch.bfloat16, enabled=cfg.amp and device.type == "cuda")
    data = batches(dataset, cfg.batch_size, start_step=step, num_workers=cfg.num_workers, rank=rank, world=world)
    bar = tqdm(total=cfg.steps, initial=step, desc="gan", dynamic_ncols=True, disable=not main_proc)
    images_seen_t0, t0 = 0, time.time()
    while step < cfg.steps and not (cfg.max_minutes and timer.minutes() >= cfg.max_minutes):
        images, masks = next(data)
        images = images.to(device, non_blocking=True).contiguous(memory_format=memory_format)
        masks = masks.to(device, non_blocking=True).contiguous(memory_format=memory_format)
        for opt, base in ((opt_g, cfg.lr_g), (opt_d, cfg.lr_d)):
            for group in opt.param_groups:
                group["lr"] = get_lr(step, base, cfg)

        with autocast:
            fake = g_train(images, masks)

        # Discriminator step, skipped while D dominates so G keeps a useful signal.
        fake_mask = masks if cfg.adv_mask_target else None
        d_step = d_acc < cfg.d_throttle
        real_in = images.detach().requires_grad_(cfg.r1_weight > 0 and step % cfg.r1_every == 0)
        with autocast, torch.set_grad_enabled(d_step):
            real_logits, real_feats = d_train(real_in, masks)
            fake_logits_d, _ = d_train(fake.detach(), masks)
            d_loss = gan_loss.d_loss(real_logits.float(), fake_logits_d.float(), fake_mask)
        if d_step:
            if real_in.requires_grad:
                d_loss = d_loss + cfg.r1_weight * cfg.r1_every * r1_penalty(real_logits.float(), real_in)
            opt_d.zero_grad(set_to_none=True)
            d_loss.backward()
            opt_d.step()
        acc = all_mean(((real_logits > 0).float().mean() + (fake_logits_d < 0).float().mean()).item() / 2, world, device)
        d_acc = 0.9 * d_acc + 0.1 * acc

        # Generator step
        with autocast:
            fake_logits, fake_feats = d_train(fake, masks)
            losses = {
                "l1": cfg.l1_weight * hole_l1(fake.float(), images, masks),
                "ssim": cfg.ssim_weight * ssim_loss(fake.float(), images),
                "adv": cfg.adv_weight * gan_loss.g_loss(fake_logits.float(), fake_mask),
                "fm": cfg.fm_weight * feature_matching([f.float() for f in fake_feats], [r.float() for r in real_feats]),
            }
            if perceptual is not None:
                losses["perceptual"] = cfg.perceptual_weight * perceptual(fake, images).float()
        g_loss = sum(losses.values())
        opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        opt_g.step()
        ema.update(unwrap(g_train), step)
        step += 1
        images_seen_t0 += cfg.batch_size
        bar.update(1)

        if main_proc and (step % 10 == 0 or step % cfg.val_every == 0 or step == cfg.steps):
            rate = images_seen_t0 / (time.time() - t0)
            row = {"step": step, "minutes": round(elapsed_before + timer.minutes(), 3), "lr_g": get_lr(step, cfg.lr_g, cfg),
                   "g_loss": g_loss.item(), **{k: v.item() for k, v in losses.items()}, "d_loss": d_loss.item(),
                   "d_acc": round(d_acc, 4), "d_step": int(d_step), "images_per_s": round(rate, 2)}
            if val_images is not None and (step % cfg.val_every == 0 or step == cfg.steps):
                row.update(validate(ema.model, val_images, val_masks, device, out / f"val_{step:06d}.png"))
            log.write(row)
            bar.set_postfix(g=f"{g_loss.item():.2f}", d=f"{d_loss.item():.2f}", acc=f"{d_acc:.2f}", ips=f"{rate:.1f}")
        if step % cfg.ckpt_every == 0:
            save()
    bar.close()
    save()
    end_distributed(world)
    if not main_proc:
        return step
    print(f"stopped at step {step} after {timer.minutes():.1f} min; checkpoint {ckpt_path}, generator {out / 'generator'}")

    # 6. Publish
    if cfg.push_to_hub:
        from ..hub import push_folder

        push_folder(out / "generator", cfg.push_to_hub, dataclasses.asdict(cfg), step, kind="gan")
    return step


def cli(argv=None):
    return main(parse_config(GANConfig, argv, prog="train.py gan"))
