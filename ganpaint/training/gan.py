"""Train the inpainting GAN. Reads top to bottom: config, setup, data, models, optimisers, loop.

    python train.py gan --data ../shared/data/scenery/train --out runs/gan
    torchrun --nproc_per_node=N train.py gan ...   # N processes (GPUs, or CPU with gloo), --batch-size each
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import torch

from .. import paths
from ..data import TrainSet, batches, validation_set
from ..losses import GANLoss, PerceptualLoss, feature_matching, hole_l1, r1_penalty, ssim_loss
from ..models import Generator, PatchDiscriminator
from .state import resume_run, save_state
from .common import (EMA, RunConfig, model_defaults, all_mean, check_replicas, cosine_lr, load_checkpoint, open_run, parse_config, publish,
                     save_checkpoint, train_loop, unwrap, val_report, write_training_info)


G_DEFAULTS = model_defaults(Generator)
D_DEFAULTS = model_defaults(PatchDiscriminator)


@dataclass
class GANConfig(RunConfig):
    """Train the ganpaint inpainting GAN."""

    out: str = "runs/gan"
    init_from: str = ""  # a generator folder (G only) or a ckpt.pt (its EMA generator and its discriminator)
    resume_from: str = ""  # a training state folder (training_state/gan): its models, step, config and log go on
    save_state: str = ""  # write the training state here at every checkpoint ('' = --resume-from's folder)
    restart_warmup: int = 100  # after --resume-from the optimisers restart: LR warm-up over this many steps
    # models: the generator's defaults are its own (models/generator.py); D is narrower than its default
    g_channels: tuple = G_DEFAULTS["channels"]
    g_decoder_channels: tuple = G_DEFAULTS["decoder_channels"]
    g_dilations: tuple = G_DEFAULTS["dilations"]
    g_fourier_every: int = G_DEFAULTS["fourier_every"]
    use_edges: bool = G_DEFAULTS["use_edges"]
    g_upsample: str = G_DEFAULTS["upsample"]  # "bilinear": no 16-px blocks from the bottleneck
    g_context: str = G_DEFAULTS["context"]  # "alexnet": ImageNet AlexNet features of the photo join the bottleneck
    d_base: int = 32
    d_layers: int = D_DEFAULTS["n_layers"]
    # optimisation
    lr_g: float = 3e-4
    lr_d: float = 1e-4
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

    @property
    def generator(self) -> dict:
        """The generator's arguments (saved with its weights in config.json, which inference reads)."""
        return {"channels": self.g_channels, "decoder_channels": self.g_decoder_channels, "dilations": self.g_dilations,
                "fourier_every": self.g_fourier_every, "use_edges": self.use_edges, "upsample": self.g_upsample,
                "train_size": self.size, **({"context": self.g_context} if self.g_context else {})}


def get_lr(step: int, base: float, cfg: GANConfig, restart: int | None = None) -> float:
    """The schedule; after a restart of the optimisers (``restart``: the step it happened) a linear warm-up."""
    warm = 1.0 if restart is None else min(1.0, (step - restart + 1) / max(1, cfg.restart_warmup))
    return warm * cosine_lr(step, base, cfg.warmup_steps, cfg.decay_start, cfg.steps)


@torch.no_grad()
def validate(g, images, masks, device, out_png: Path | None = None, batch: int = 8) -> dict:
    """Metrics of ``g`` on the fixed val set; optionally a grid PNG (input | fill | truth)."""
    outs = []
    for i in range(0, len(images), batch):
        x, m = images[i : i + batch].to(device), masks[i : i + batch].to(device)
        outs.append(g(x, m).float().clamp(-1, 1).cpu())
    return val_report((torch.cat(outs) + 1) / 2, (images + 1) / 2, masks, out_png)


def build_models(cfg: GANConfig, resuming: bool) -> tuple[Generator, PatchDiscriminator]:
    """G and D as configured; unless resuming, started from ``--init-from`` when given."""
    g = Generator(**cfg.generator)
    d = PatchDiscriminator(base=cfg.d_base, n_layers=cfg.d_layers)
    if g.context is not None and not resuming:
        g.context.load_imagenet()
    if cfg.init_from and not resuming:
        if Path(cfg.init_from).is_file():
            # A fine-tune (e.g. other dilations, same shapes) then starts against a trained D, not a random one.
            start = load_checkpoint(Path(cfg.init_from))
            load_generator_state(g, start["ema"])
            d.load_state_dict(start["d"])
        else:
            load_generator_state(g, Generator.from_pretrained(cfg.init_from, strict=True).state_dict())
    return g, d


def load_generator_state(g: Generator, state: dict):
    """``state`` into ``g``; weights from a generator without ``g``'s context branch leave the branch as it is (its
    ImageNet start, joined through zeros: G starts as the weights were)."""
    missing, unexpected = g.load_state_dict(state, strict=False)
    if unexpected or any(not k.startswith(("context.", "from_context.")) for k in missing):
        raise RuntimeError(f"the generator's weights do not fit: missing {missing[:3]}, unexpected {unexpected[:3]}")
    if missing:
        g.context.load_imagenet()


def earlier_stages(init_from: str) -> list:
    """The stages behind a generator folder's weights (its training.json, and the weights each stage started from),
    so a training state knows its total compute."""
    info = paths.CHECKOUT / init_from / "training.json" if init_from else None
    if info is None or not info.is_file():
        return []
    data = json.loads(info.read_text())
    own = data.get("stages") or [{"steps": data["steps"], "minutes": data["minutes"], "init_from": data.get("init_from")}]
    own = [{"size": data["size"], "batch_size": data["batch_size"], **s} for s in own]
    return earlier_stages(own[0].get("init_from") or "") + own


def discriminator_loss(d, gan_loss: GANLoss, cfg: GANConfig, real_logits, real_in, fake, masks) -> tuple[torch.Tensor, dict]:
    """D calls the photos real and the fills fake (with ``--adv-mask-target`` only the filled region), plus R1 on
    photos that require grad. ``real_logits`` is D's view of ``real_in``, computed once and shared with G's loss."""
    fake_logits, _ = d(fake.detach(), masks)
    loss = gan_loss.d_loss(real_logits.float(), fake_logits.float(), masks if cfg.adv_mask_target else None)
    if real_in.requires_grad and torch.is_grad_enabled():
        loss = loss + cfg.r1_weight * cfg.r1_every * r1_penalty(real_logits.float(), real_in)
    acc = ((real_logits > 0).float().mean() + (fake_logits < 0).float().mean()) / 2
    return loss, {"d_loss": loss.detach(), "acc": acc}


def generator_loss(d, gan_loss: GANLoss, perceptual, cfg: GANConfig, fake, images, masks, real_feats) -> tuple[torch.Tensor, dict]:
    """Hole L1, SSIM, adversarial, feature matching against D's features of the photo, and perceptual."""
    fake_logits, fake_feats = d(fake, masks)
    losses = {
        "l1": cfg.l1_weight * hole_l1(fake.float(), images, masks),
        "ssim": cfg.ssim_weight * ssim_loss(fake.float(), images),
        "adv": cfg.adv_weight * gan_loss.g_loss(fake_logits.float(), masks if cfg.adv_mask_target else None),
        "fm": cfg.fm_weight * feature_matching([f.float() for f in fake_feats], [r.float() for r in real_feats]),
    }
    if perceptual is not None:
        losses["perceptual"] = cfg.perceptual_weight * perceptual(fake, images).float()
    loss = sum(losses.values())
    return loss, {"g_loss": loss.detach(), **{k: v.detach() for k, v in losses.items()}}


@dataclass
class Trainee:
    """What the GAN's steps change: the models (plain and as trained: DDP, compiled), optimisers, EMA and D's accuracy."""

    g: Generator
    d: PatchDiscriminator
    ema: EMA
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer
    perceptual: PerceptualLoss | None
    gan_loss: GANLoss
    g_train: torch.nn.Module = None
    d_train: torch.nn.Module = None
    d_acc: float = 0.5  # running accuracy of D, which throttles its steps
    restart: int | None = None  # the step the optimisers restarted at (a --resume-from run)
    stages: list = field(default_factory=list)  # the training behind --init-from's weights, for the state's total

    def modules(self) -> dict:  # what a checkpoint holds, by key
        return {"g": self.g, "d": self.d, "ema": self.ema.model, "opt_g": self.opt_g, "opt_d": self.opt_d}


def train_step(run, t: Trainee, images, masks, step: int) -> dict:
    """D's step (skipped while D dominates, so G keeps a useful signal), then G's; returns the metrics to log."""
    cfg = run.cfg
    for opt, base in ((t.opt_g, cfg.lr_g), (t.opt_d, cfg.lr_d)):
        for group in opt.param_groups:
            group["lr"] = get_lr(step, base, cfg, t.restart)
    with run.autocast():
        fake = t.g_train(images, masks)
    d_step = t.d_acc < cfg.d_throttle
    real_in = images.detach().requires_grad_(cfg.r1_weight > 0 and step % cfg.r1_every == 0)
    with run.autocast(), torch.set_grad_enabled(d_step):
        real_logits, real_feats = t.d_train(real_in, masks)
        d_loss, d_metrics = discriminator_loss(t.d_train, t.gan_loss, cfg, real_logits, real_in, fake, masks)
    if d_step:
        t.opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        t.opt_d.step()
    t.d_acc = 0.9 * t.d_acc + 0.1 * all_mean(d_metrics.pop("acc").item(), run.world, run.device)

    with run.autocast():
        g_loss, g_metrics = generator_loss(t.d_train, t.gan_loss, t.perceptual, cfg, fake, images, masks, real_feats)
    t.opt_g.zero_grad(set_to_none=True)
    g_loss.backward()
    t.opt_g.step()
    t.ema.update(unwrap(t.g_train), step)
    return {"lr_g": get_lr(step, cfg.lr_g, cfg, t.restart), **g_metrics, **d_metrics, "d_acc": round(t.d_acc, 4), "d_step": int(d_step)}


def save(run, t: Trainee):
    """The checkpoint (full state, for --resume) and the EMA generator with its training.json."""
    check_replicas(t.g, run.world)
    if run.main_proc:
        save_checkpoint(run.ckpt_path, run.checkpoint({k: m.state_dict() for k, m in t.modules().items()}
                                                      | {"d_acc": t.d_acc, "stages": t.stages}))
        t.ema.model.save_pretrained(run.out / "generator")
        write_training_info(run.out / "generator", run.cfg, run.step, run.minutes(), run.hardware)
        folder = run.cfg.save_state or run.cfg.resume_from
        if folder:
            info = {"step": run.step, "minutes": round(run.minutes(), 3), "d_acc": t.d_acc, "hardware": run.hardware,
                    "stages": t.stages, "config": dataclasses.asdict(run.cfg)}
            save_state(folder, {"ema": t.ema.model, "d": t.d}, info, run.out / "log.csv")


def trainee(run, g, d, perceptual, state: dict | None, saved: dict | None) -> Trainee:
    """Optimisers and EMA, with the state of a --resume checkpoint or of a --resume-from training state."""
    cfg = run.cfg
    t = Trainee(g, d, EMA(g, cfg.ema_decay), torch.optim.Adam(g.parameters(), lr=cfg.lr_g, betas=(0.5, 0.999)),
                torch.optim.Adam(d.parameters(), lr=cfg.lr_d, betas=(0.5, 0.999)), perceptual, GANLoss(cfg.gan_loss))
    t.stages = earlier_stages(cfg.init_from)
    if state is not None:
        for key, module in t.modules().items():
            module.load_state_dict(state[key])
        t.d_acc, t.stages = state["d_acc"], state.get("stages", t.stages)
    if saved is not None:  # G goes on from the EMA generator; the fresh optimisers warm up again
        for module, key in ((g, "ema"), (t.ema.model, "ema")):
            load_generator_state(module, saved["models"][key])
        d.load_state_dict(saved["models"]["d"])
        t.d_acc, t.restart, t.stages = saved["d_acc"], run.step, saved.get("stages", [])
    t.g_train, t.d_train = g, d
    return t


def main(cfg: GANConfig):
    # 1. Setup; with --resume (or --resume-from) the saved config wins, except for the budget and where to stop
    run = open_run(cfg, distributed=True)  # under torchrun: this process's rank and GPU
    saved = resume_run(run, cfg.resume_from) if cfg.resume_from else None
    cfg, device, state = run.cfg, run.device, None if saved else run.state

    # 2. Data
    dataset = TrainSet(cfg.data, cfg.size, seed=cfg.seed, scale=cfg.crop_scale, mask_mix=cfg.mask_mix,
                       jitter=cfg.jitter)
    val_images, val_masks = validation_set(cfg.val_data, cfg.size, n=cfg.val_n) if cfg.val_data and run.main_proc else (None, None)

    # 3. Models and losses
    g, d = build_models(cfg, resuming=state is not None or saved is not None)
    g, d = g.to(device, memory_format=run.memory_format), d.to(device, memory_format=run.memory_format)
    perceptual = PerceptualLoss(cfg.perceptual_layers, size=cfg.perceptual_size or None).to(device) if cfg.perceptual_weight else None
    if run.main_proc:
        print(f"G: {sum(p.numel() for p in g.parameters()) / 1e6:.2f} M params, D: {sum(p.numel() for p in d.parameters()) / 1e6:.2f} M"
              + (f", {run.world} processes" if run.world > 1 else ""))

    # 4. Optimisers; a resumed run takes every state from its checkpoint
    t = trainee(run, g, d, perceptual, state, saved)
    if run.world > 1:  # gradients averaged over the processes; every replica takes the same step
        from torch.nn.parallel import DistributedDataParallel as DDP

        t.g_train, t.d_train = DDP(g), DDP(d)
    if cfg.compile:
        t.g_train, t.d_train = torch.compile(t.g_train), torch.compile(t.d_train)

    # 5. The loop
    data = batches(dataset, cfg.batch_size, start_step=run.step, num_workers=cfg.num_workers, rank=run.rank, world=run.world)
    validate_ema = (lambda png: validate(t.ema.model, val_images, val_masks, device, png)) if val_images is not None else None
    train_loop(run, data, partial(train_step, run, t), partial(save, run, t),
               ["lr_g", "g_loss", "l1", "ssim", "adv", "fm", "perceptual", "d_loss", "d_acc", "d_step"],
               validate_ema, postfix=("g_loss", "d_loss", "d_acc"), desc="gan")

    # 6. Publish
    if run.main_proc:
        publish(run, run.out / "generator", kind="gan")
    return run.step


def cli(argv=None):
    return main(parse_config(GANConfig, argv, prog="train.py gan"))
