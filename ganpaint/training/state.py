"""A GAN run's resumable state as small committed files, so CPU training adds up across machines and sessions.

    training_state/gan/
        generator.safetensors      the EMA generator, fp16
        discriminator.safetensors  the discriminator, fp16
        state.json                 step, training minutes, config, hardware, earlier stages
        log.csv                    every logged step of every session

``train.py gan --resume-from training_state/gan`` continues it: the models come from these files, the optimisers
restart with a short warm-up (``--restart-warmup``), the step counter, minutes and log go on.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from .. import paths

DEFAULT = paths.CHECKOUT / "training_state" / "gan"
FILES = {"ema": "generator.safetensors", "d": "discriminator.safetensors"}


def _atomic(path: Path, write):
    tmp = path.with_name(path.name + ".tmp")
    write(tmp)
    os.replace(tmp, path)


def save_state(folder, models: dict[str, torch.nn.Module], info: dict, log: Path | None = None):
    """Write the models (fp16, by ``FILES`` key), ``info`` as state.json and a copy of the run's ``log``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for key, name in FILES.items():
        half = {k: (v.half() if v.is_floating_point() else v).contiguous().cpu() for k, v in models[key].state_dict().items()}
        _atomic(folder / name, lambda p, t=half: save_file(t, str(p)))
    _atomic(folder / "state.json", lambda p: p.write_text(json.dumps(info, indent=2) + "\n"))
    if log is not None and Path(log).is_file() and Path(log).resolve() != (folder / "log.csv").resolve():
        _atomic(folder / "log.csv", lambda p: shutil.copyfile(log, p))


def load_state(folder) -> dict:
    """state.json's fields plus ``models``: {key: fp32 state dict}. A missing or partial folder is a clear error."""
    folder = Path(folder)
    missing = [n for n in [*FILES.values(), "state.json"] if not (folder / n).is_file()]
    if missing:
        raise FileNotFoundError(f"no training state at {folder}: {', '.join(missing)} missing")
    info = json.loads((folder / "state.json").read_text())
    info["models"] = {key: {k: v.float() if v.is_floating_point() else v for k, v in load_file(str(folder / name)).items()}
                      for key, name in FILES.items()}
    return info


def state_generator(folder):
    """The state's EMA generator as a ``Generator`` (fp32), built from the run's saved config."""
    from ..models import Generator
    from .gan import GANConfig

    info = load_state(folder)
    fields = GANConfig.__dataclass_fields__
    cfg = GANConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in info["config"].items() if k in fields})
    g = Generator(**cfg.generator)
    g.load_state_dict(info["models"]["ema"], strict=True)
    return g


def total_compute(info: dict) -> dict:
    """Steps, images and minutes over the weights' whole history: the earlier stages and this run."""
    stages = info.get("stages", []) + [{"steps": info["step"], "minutes": info["minutes"],
                                        "batch_size": info["config"]["batch_size"]}]
    return {"steps": sum(s["steps"] for s in stages),
            "images_seen": sum(s["steps"] * s.get("batch_size", 8) for s in stages),
            "minutes": round(sum(s["minutes"] for s in stages), 1)}


def resume_run(run, folder) -> dict:
    """Point ``run`` at a saved state: its config (but the runtime flags), step, minutes, hardware and log.
    Returns the state (with its ``models``) for the caller to load into its modules."""
    import dataclasses

    from .common import given_flags, resumed_config, run_hardware

    state = load_state(folder)
    # Flags set on the command line win over the saved ones, like the runtime flags.
    run.cfg = resumed_config(run.cfg, state["config"], given_flags(run.cfg) | {"out", "resume_from", "save_state"})
    (run.out / "config.json").write_text(json.dumps(dataclasses.asdict(run.cfg), indent=2))
    run.step, run.minutes_before = state["step"], state["minutes"]
    run.hardware = run_hardware(state, run.device, run.world)
    if (Path(folder) / "log.csv").is_file():
        shutil.copyfile(Path(folder) / "log.csv", run.out / "log.csv")  # the log goes on from the state's
    print(f"resumed from the training state {folder} at step {run.step}")
    return state


def export_weights(folder, out) -> dict:
    """The state's EMA generator as a weights folder (``save_pretrained`` plus a training.json whose stages are the
    state's earlier ones and its own, each with its hardware: the state's where a stage does not say), so it can
    replace ``weights/gan``. Returns the training.json written."""
    info = load_state(folder)
    cfg = info["config"]
    own = {"steps": info["step"], "minutes": info["minutes"], "size": cfg["size"], "batch_size": cfg["batch_size"],
           "init_from": "the stage above", "mask_mix": cfg.get("mask_mix"), "jitter": cfg.get("jitter"),
           "g_context": cfg.get("g_context") or None, "note": f"{folder} at step {info['step']}"}
    total = total_compute(info)
    data = {"steps": total["steps"], "batch_size": cfg["batch_size"], "size": cfg["size"],
            "images_seen": total["images_seen"], "minutes": total["minutes"], "hardware": info["hardware"],
            "init_from": None, "stages": [{"hardware": info["hardware"], **st} for st in info.get("stages", []) + [own]],
            "steps_all_stages": total["steps"], "minutes_all_stages": total["minutes"]}
    out = Path(out)
    state_generator(folder).save_pretrained(out)
    (out / "training.json").write_text(json.dumps(data, indent=2) + "\n")
    return data


def cli(argv=None):
    import argparse

    p = argparse.ArgumentParser(prog="train.py export-state", description=export_weights.__doc__)
    p.add_argument("state", help="a training state folder (training_state/gan)")
    p.add_argument("out", help="the weights folder to write (weights/gan)")
    args = p.parse_args(argv)
    data = export_weights(args.state, args.out)
    print(f"wrote {args.out}: {data['steps']} steps, {data['minutes']:.0f} minutes in all")
