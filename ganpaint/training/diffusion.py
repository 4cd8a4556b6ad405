"""Train the scratch diffusion baseline. Reads top to bottom like the GAN script.

    python train.py diffusion --data ../shared/data/scenery/train --out runs/diffusion

A diffusers UNet2DModel predicts the velocity v (or the noise) of a DDPM schedule, seeing
the noisy photo, the masked photo and the mask; same data, crops and masks as the GAN.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from tqdm import tqdm

from ..data import TrainSet, batches, validation_set
from ..inpainters.diffusion import make_sampler, sample
from .common import (CSVLog, EMA, Timer, cosine_lr, parse_config, run_hardware, save_checkpoint, start_run, unwrap,
                     val_report, write_training_info)


@dataclass
class DiffusionConfig:
    """Train the scratch diffusion inpainting baseline."""

    data: str = "../shared/data/scenery/train"
    val_data: str = "../shared/data/scenery/val"
    out: str = "runs/diffusion"
    size: int = 256
    batch_size: int = 8
    steps: int = 20000
    max_minutes: float = 0.0
    resume: bool = False
    # model
    channels: tuple = (64, 128, 192, 256)
    layers_per_block: int = 1
    attention: bool = True  # self-attention at the lowest resolution
    train_timesteps: int = 1000
    beta_schedule: str = "squaredcos_cap_v2"
    # v: well-conditioned at high noise, where an epsilon prediction's error is amplified into the first
    # few sampling steps' image estimate (seen as saturated colour blotches after short training)
    prediction_type: str = "v_prediction"  # or "epsilon"
    # optimisation
    lr: float = 2e-4
    warmup_steps: int = 200
    decay_start: float = 0.6
    ema_decay: float = 0.999
    hole_weight: float = 4.0  # the prediction error inside the hole counts this much more
    # validation sampling
    sampler: str = "ddim"
    val_steps: int = 20
    # system
    device: str = "auto"
    amp: bool = True
    channels_last: bool = True
    compile: bool = False
    num_workers: int = 0
    threads: int = 0
    seed: int = 0
    val_every: int = 500
    val_n: int = 16
    ckpt_every: int = 250
    push_to_hub: str = ""


def build_unet(cfg: DiffusionConfig):
    from diffusers import UNet2DModel

    n = len(cfg.channels)
    down = ["DownBlock2D"] * (n - 1) + ["AttnDownBlock2D" if cfg.attention else "DownBlock2D"]
    up = ["AttnUpBlock2D" if cfg.attention else "UpBlock2D"] + ["UpBlock2D"] * (n - 1)
    return UNet2DModel(sample_size=cfg.size, in_channels=7, out_channels=3, block_out_channels=cfg.channels,
                       layers_per_block=cfg.layers_per_block, down_block_types=tuple(down), up_block_types=tuple(up),
                       norm_num_groups=min(32, cfg.channels[0]), attention_head_dim=32)


def get_lr(step: int, cfg: DiffusionConfig) -> float:
    return cosine_lr(step, cfg.lr, cfg.warmup_steps, cfg.decay_start, cfg.steps)


@torch.no_grad()
def validate(unet, train_scheduler, cfg, images, masks, device, out_png: Path | None = None) -> dict:
    sampler = make_sampler(cfg.sampler, train_scheduler.config)
    g = torch.Generator().manual_seed(0)
    outs = [sample(unet, sampler, images[i : i + 8].to(device), masks[i : i + 8].to(device), cfg.val_steps, g).float().cpu()
            for i in range(0, len(images), 8)]
    return val_report((torch.cat(outs) + 1) / 2, (images + 1) / 2, masks, out_png)


def main(cfg: DiffusionConfig):
    from diffusers import DDPMScheduler

    # 1. Setup; with --resume the checkpoint's config wins, except for the budget and where to stop
    cfg, state, out, device = start_run(cfg)
    memory_format = torch.channels_last if cfg.channels_last else torch.contiguous_format
    ckpt_path = out / "ckpt.pt"

    # 2. Data: the GAN's crops and masks
    dataset = TrainSet(cfg.data, cfg.size, seed=cfg.seed)
    val_images, val_masks = validation_set(cfg.val_data, cfg.size, n=cfg.val_n) if cfg.val_data else (None, None)

    # 3. Model and noise schedule
    unet = build_unet(cfg).to(device, memory_format=memory_format)
    scheduler = DDPMScheduler(num_train_timesteps=cfg.train_timesteps, beta_schedule=cfg.beta_schedule,
                              prediction_type=cfg.prediction_type)
    ema = EMA(unet, cfg.ema_decay)
    print(f"UNet: {sum(p.numel() for p in unet.parameters()) / 1e6:.2f} M params")

    # 4. Optimiser
    opt = torch.optim.AdamW(unet.parameters(), lr=cfg.lr, weight_decay=0.0)
    step, elapsed_before = 0, 0.0
    if state is not None:
        unet.load_state_dict(state["unet"])
        ema.model.load_state_dict(state["ema"])
        opt.load_state_dict(state["opt"])
        step, elapsed_before = state["step"], state["minutes"]
        print(f"resumed from {ckpt_path} at step {step}")
    hardware = run_hardware(state, device)
    unet_train = torch.compile(unet) if cfg.compile else unet

    def save():
        save_checkpoint(ckpt_path, {"unet": unet.state_dict(), "ema": ema.model.state_dict(), "opt": opt.state_dict(),
                                    "step": step, "minutes": elapsed_before + timer.minutes(),
                                    "config": dataclasses.asdict(cfg), "hardware": hardware})
        ema.model.save_pretrained(out / "diffusion" / "unet")
        scheduler.save_pretrained(out / "diffusion" / "scheduler")
        write_training_info(out / "diffusion", cfg, step, elapsed_before + timer.minutes(), hardware)

    # 5. The loop
    log = CSVLog(out / "log.csv", ["step", "minutes", "lr", "loss", "images_per_s", "val_psnr", "val_ssim", "val_lpips"])
    timer = Timer()
    autocast = torch.autocast(device.type, dtype=torch.bfloat16, enabled=cfg.amp and device.type == "cuda")
    data = batches(dataset, cfg.batch_size, start_step=step, num_workers=cfg.num_workers)
    noise_rng = torch.Generator().manual_seed(cfg.seed)
    bar = tqdm(total=cfg.steps, initial=step, desc="diffusion", dynamic_ncols=True)
    seen, t0 = 0, time.time()
    while step < cfg.steps and not (cfg.max_minutes and timer.minutes() >= cfg.max_minutes):
        images, masks = next(data)
        images = images.to(device, non_blocking=True).contiguous(memory_format=memory_format)
        masks = masks.to(device, non_blocking=True).contiguous(memory_format=memory_format)
        for group in opt.param_groups:
            group["lr"] = get_lr(step, cfg)

        # Noise and timesteps depend only on (seed, step): a resumed run continues the same sequence.
        noise_rng.manual_seed(cfg.seed * 1_000_003 + step)
        noise = torch.randn(images.shape, generator=noise_rng).to(device)
        t = torch.randint(0, cfg.train_timesteps, (images.shape[0],), generator=noise_rng).to(device)
        noisy = scheduler.add_noise(images, noise, t)
        with autocast:
            pred = unet_train(torch.cat([noisy, images * (1 - masks), masks], 1), t).sample
        target = scheduler.get_velocity(images, noise, t) if cfg.prediction_type == "v_prediction" else noise
        weight = 1 + (cfg.hole_weight - 1) * masks
        loss = ((pred.float() - target) ** 2 * weight).mean() / weight.mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(unet.parameters(), 1.0)
        opt.step()
        ema.update(unwrap(unet_train), step)
        step += 1
        seen += cfg.batch_size
        bar.update(1)

        if step % 10 == 0 or step % cfg.val_every == 0 or step == cfg.steps:
            rate = seen / (time.time() - t0)
            row = {"step": step, "minutes": round(elapsed_before + timer.minutes(), 3), "lr": get_lr(step, cfg),
                   "loss": loss.item(), "images_per_s": round(rate, 2)}
            if val_images is not None and (step % cfg.val_every == 0 or step == cfg.steps):
                row.update(validate(ema.model, scheduler, cfg, val_images, val_masks, device, out / f"val_{step:06d}.png"))
            log.write(row)
            bar.set_postfix(loss=f"{loss.item():.4f}", ips=f"{rate:.1f}")
        if step % cfg.ckpt_every == 0:
            save()
    bar.close()
    save()
    print(f"stopped at step {step} after {timer.minutes():.1f} min; checkpoint {ckpt_path}, model {out / 'diffusion'}")

    # 6. Publish
    if cfg.push_to_hub:
        from ..hub import push_folder

        push_folder(out / "diffusion", cfg.push_to_hub, dataclasses.asdict(cfg), step, kind="diffusion")
    return step


def cli(argv=None):
    return main(parse_config(DiffusionConfig, argv, prog="train.py diffusion"))
