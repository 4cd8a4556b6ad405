"""Train the scratch diffusion baseline. Reads top to bottom like the GAN script.

    python train.py diffusion --data ../shared/data/scenery/train --out runs/diffusion

A diffusers UNet2DModel predicts the velocity v (or the noise) of a DDPM schedule, seeing
the noisy photo, the masked photo and the mask; same data, crops and masks as the GAN.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path

import torch

from ..data import TrainSet, batches, validation_set
from ..inpainters.diffusion import make_sampler, sample
from .common import (EMA, RunConfig, cosine_lr, open_run, parse_config, publish, save_checkpoint, train_loop, unwrap, val_report,
                     write_training_info)


@dataclass
class DiffusionConfig(RunConfig):
    """Train the scratch diffusion inpainting baseline."""

    out: str = "runs/diffusion"
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
    hole_weight: float = 4.0  # the prediction error inside the hole counts this much more
    # validation sampling
    sampler: str = "ddim"
    val_steps: int = 20


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


def save(run, unet, ema: EMA, opt, scheduler):
    """The checkpoint (full state, for --resume) and the EMA model with its scheduler and training.json."""
    save_checkpoint(run.ckpt_path, run.checkpoint({"unet": unet.state_dict(), "ema": ema.model.state_dict(),
                                                   "opt": opt.state_dict()}))
    ema.model.save_pretrained(run.out / "diffusion" / "unet")
    scheduler.save_pretrained(run.out / "diffusion" / "scheduler")
    write_training_info(run.out / "diffusion", run.cfg, run.step, run.minutes(), run.hardware)


def main(cfg: DiffusionConfig):
    from diffusers import DDPMScheduler

    # 1. Setup; with --resume the checkpoint's config wins, except for the budget and a given --steps
    run = open_run(cfg)
    cfg, device, state = run.cfg, run.device, run.state

    # 2. Data: the GAN's crops and masks
    dataset = TrainSet(cfg.data, cfg.size, seed=cfg.seed, scale=cfg.crop_scale, mask_mix=cfg.mask_mix,
                       jitter=cfg.jitter)
    val_images, val_masks = validation_set(cfg.val_data, cfg.size, n=cfg.val_n) if cfg.val_data else (None, None)

    # 3. Model and noise schedule
    unet = build_unet(cfg).to(device, memory_format=run.memory_format)
    scheduler = DDPMScheduler(num_train_timesteps=cfg.train_timesteps, beta_schedule=cfg.beta_schedule,
                              prediction_type=cfg.prediction_type)
    ema = EMA(unet, cfg.ema_decay)
    print(f"UNet: {sum(p.numel() for p in unet.parameters()) / 1e6:.2f} M params")

    # 4. Optimiser
    opt = torch.optim.AdamW(unet.parameters(), lr=cfg.lr, weight_decay=0.0)
    if state is not None:
        for module, key in ((unet, "unet"), (ema.model, "ema"), (opt, "opt")):
            module.load_state_dict(state[key])
    unet_train = torch.compile(unet) if cfg.compile else unet
    noise_rng = torch.Generator().manual_seed(cfg.seed)

    # 5. One step: denoise a random noise level, the hole's error weighted up
    def train_step(images, masks, step):
        for group in opt.param_groups:
            group["lr"] = get_lr(step, cfg)
        # Noise and timesteps depend only on (seed, step): a resumed run continues the same sequence.
        noise_rng.manual_seed(cfg.seed * 1_000_003 + step)
        noise = torch.randn(images.shape, generator=noise_rng).to(device)
        t = torch.randint(0, cfg.train_timesteps, (images.shape[0],), generator=noise_rng).to(device)
        noisy = scheduler.add_noise(images, noise, t)
        with run.autocast():
            pred = unet_train(torch.cat([noisy, images * (1 - masks), masks], 1), t).sample
        target = scheduler.get_velocity(images, noise, t) if cfg.prediction_type == "v_prediction" else noise
        weight = 1 + (cfg.hole_weight - 1) * masks
        loss = ((pred.float() - target) ** 2 * weight).mean() / weight.mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(unet.parameters(), 1.0)
        opt.step()
        ema.update(unwrap(unet_train), step)
        return {"lr": get_lr(step, cfg), "loss": loss.detach()}

    data = batches(dataset, cfg.batch_size, start_step=run.step, num_workers=cfg.num_workers)
    validate_ema = (lambda png: validate(ema.model, scheduler, cfg, val_images, val_masks, device, png)) if val_images is not None else None
    train_loop(run, data, train_step, partial(save, run, unet, ema, opt, scheduler), ["lr", "loss"], validate_ema,
               postfix=("loss",), desc="diffusion")

    # 6. Publish
    publish(run, run.out / "diffusion", kind="diffusion")
    return run.step


def cli(argv=None):
    return main(parse_config(DiffusionConfig, argv, prog="train.py diffusion"))
