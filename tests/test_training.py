import csv
import json

import numpy as np
import pytest
import torch

from ganpaint.data import TrainSet, batches
from ganpaint.losses import GANLoss, PerceptualLoss, hole_l1, ssim_loss
from ganpaint.models import Generator, PatchDiscriminator
from ganpaint.training.common import parse_config
from ganpaint.training.gan import GANConfig, main

from conftest import TINY


def test_a_few_steps_lower_the_loss_on_a_fixed_batch(photos):
    torch.manual_seed(0)
    ds = TrainSet(photos, size=64, seed=0)
    images, masks = map(torch.stack, zip(*[ds[i] for i in range(4)]))
    g = Generator(**TINY)
    opt = torch.optim.Adam(g.parameters(), lr=2e-3)

    def loss():
        out = g(images, masks)
        return 100 * hole_l1(out, images, masks) + ssim_loss(out, images)

    first = loss().item()
    for _ in range(40):
        opt.zero_grad()
        loss().backward()
        opt.step()
    assert loss().item() < 0.7 * first


def test_losses_behave():
    x = torch.rand(2, 3, 32, 32) * 2 - 1
    m = torch.ones(2, 1, 32, 32)
    assert hole_l1(x, x, m) == 0 and ssim_loss(x, x).abs() < 1e-4
    assert hole_l1(x, -x, m) > 0
    g = GANLoss("hinge")
    assert g.d_loss(torch.full((4,), 5.0), torch.full((4,), -5.0)) == 0
    with pytest.raises(ValueError):
        GANLoss("wasserstein")


def test_perceptual_loss_uses_given_net():
    import torchvision

    p = PerceptualLoss(("relu1_2", "relu2_2"), net=torchvision.models.vgg16().features)
    x = torch.rand(1, 3, 32, 32) * 2 - 1
    assert p(x, x).item() == 0 and p(x, x.flip(-1)).item() > 0


def test_config_rejects_unknown_flags_and_wrong_types():
    cfg = parse_config(GANConfig, ["--size", "64", "--g-dilations", "1,2", "--no-amp"])
    assert cfg.size == 64 and cfg.g_dilations == (1, 2) and cfg.amp is False
    with pytest.raises(SystemExit):
        parse_config(GANConfig, ["--sizee", "64"])
    with pytest.raises(SystemExit):
        parse_config(GANConfig, ["--size", "big"])


def test_the_mask_mix_flag_reaches_the_training_masks(photos):
    cfg = parse_config(GANConfig, ["--mask-mix", "0,1,0,0"])
    assert cfg.mask_mix == (0.0, 1.0, 0.0, 0.0)
    ds = TrainSet(photos, size=32, seed=0, mask_mix=cfg.mask_mix)
    for i in range(8):  # outpainting borders only: a mask touches the photo's edge across a whole side
        m = ds[i][1][0].bool()
        assert m.any() and any(bool(side.all()) for side in (m[0], m[-1], m[:, 0], m[:, -1]))


def test_the_crop_scale_flag_sets_how_much_of_the_photo_a_crop_shows(tmp_path):
    from PIL import Image

    half = np.zeros((64, 64, 3), np.uint8)
    half[:, 32:] = 255  # left half black, right half white
    Image.fromarray(half).save(tmp_path / "half.png")
    cfg = parse_config(GANConfig, ["--crop-scale", "1,1"])
    assert cfg.crop_scale == (1.0, 1.0)
    whole, zoomed = TrainSet(tmp_path, size=32, scale=cfg.crop_scale), TrainSet(tmp_path, size=32, scale=(0.3, 0.3))
    shares = [float(whole[i][0].mean()) for i in range(8)]
    assert all(abs(s) < 0.05 for s in shares)  # the whole photo: half black, half white ([-1, 1] scale)
    assert max(abs(float(zoomed[i][0].mean())) for i in range(8)) > 0.5  # a 30 % crop mostly sees one half


def tiny_run(photos, out, steps, resume=False):
    # perceptual_weight 0: the VGG weights are not needed for a resume test.
    return GANConfig(data=str(photos), val_data=str(photos), out=str(out), size=32, batch_size=2, steps=steps,
                     resume=resume, g_channels=TINY["channels"], g_decoder_channels=TINY["decoder_channels"],
                     g_dilations=TINY["dilations"], d_base=8, perceptual_weight=0, val_every=4, val_n=2,
                     ckpt_every=100, warmup_steps=2)


def test_resume_continues_the_same_run(photos, tmp_path):
    main(tiny_run(photos, tmp_path / "straight", 4))
    main(tiny_run(photos, tmp_path / "split", 2))
    main(tiny_run(photos, tmp_path / "split", 4, resume=True))
    a = torch.load(tmp_path / "straight" / "ckpt.pt", weights_only=True)
    b = torch.load(tmp_path / "split" / "ckpt.pt", weights_only=True)
    assert a["step"] == b["step"] == 4
    for k in a["g"]:
        torch.testing.assert_close(a["g"][k], b["g"][k])
    for k in a["ema"]:
        torch.testing.assert_close(a["ema"][k], b["ema"][k])
    steps = [int(r["step"]) for r in csv.DictReader(open(tmp_path / "split" / "log.csv"))]
    assert steps == [2, 4]  # the log continues rather than restarting
    assert (tmp_path / "split" / "generator" / "model.safetensors").exists()
    assert (tmp_path / "split" / "val_000004.png").exists()
    rows = list(csv.DictReader(open(tmp_path / "split" / "log.csv")))
    assert float(rows[-1]["val_psnr"]) > 0
    info = json.loads((tmp_path / "split" / "generator" / "training.json").read_text())
    assert info["steps"] == 4 and info["images_seen"] == 8 and info["init_from"] is None
    assert 0 < info["minutes"] and info["hardware"] == [a["hardware"][0]] == b["hardware"]


def test_init_from_a_checkpoint_takes_its_ema_generator_and_discriminator(photos, tmp_path):
    import dataclasses

    main(tiny_run(photos, tmp_path / "first", 2))
    first = torch.load(tmp_path / "first" / "ckpt.pt", weights_only=True)
    # Other dilations keep the parameter shapes, so a fine-tune can start from the same weights; 0 steps: just the start.
    cfg = dataclasses.replace(tiny_run(photos, tmp_path / "second", 0), init_from=str(tmp_path / "first" / "ckpt.pt"),
                              g_dilations=(1,) * len(TINY["dilations"]))
    main(cfg)
    second = torch.load(tmp_path / "second" / "ckpt.pt", weights_only=True)
    assert second["step"] == 0
    for k in first["ema"]:
        torch.testing.assert_close(second["g"][k], first["ema"][k])
    for k in first["d"]:
        torch.testing.assert_close(second["d"][k], first["d"][k])
    assert any(not torch.equal(first["g"][k], first["ema"][k]) for k in first["g"])  # EMA, not raw G, was taken
    info = json.loads((tmp_path / "second" / "generator" / "training.json").read_text())
    assert info["init_from"] == str(tmp_path / "first" / "ckpt.pt")


def test_training_curve_plot(photos, tmp_path):
    from ganpaint.plot import plot, read_log

    main(tiny_run(photos, tmp_path / "run", 4))
    series = read_log(tmp_path / "run" / "log.csv")
    assert {"l1", "val_psnr"} <= set(series)
    png = plot(tmp_path / "run" / "log.csv", tmp_path / "curve.png")
    assert png.stat().st_size > 5000


def test_ablation_trains_each_variant_once_and_tables_them(photos, tmp_path):
    from ganpaint.training import ablation

    tiny = (f"--data {photos} --val-data {photos} --val-n 2 --d-base 8 --perceptual-weight 0 --warmup-steps 1 "
            f"--g-channels {','.join(map(str, TINY['channels']))} --g-decoder-channels {','.join(map(str, TINY['decoder_channels']))} "
            f"--g-dilations {','.join(map(str, TINY['dilations']))}")
    argv = ["--out", str(tmp_path), "--steps", "2", "--size", "32", "--batch-size", "2", "--images", str(photos),
            "--variants", "recipe,no_fourier_branch", "--eval-size", "64", "--train-args", tiny,
            "--json", str(tmp_path / "ablation.json")]
    rows = ablation.main(argv)
    assert [(r["variant"], r["difficulty"]) for r in rows] == [
        ("recipe", "medium"), ("recipe", "hard"), ("no Fourier branch", "medium"), ("no Fourier branch", "hard")]
    assert all(5 < r["psnr"] < 60 and 0 <= r["lpips"] < 1.5 for r in rows)
    # the variant's change reached the model; everything else is the recipe's
    assert json.loads((tmp_path / "no_fourier_branch" / "generator" / "config.json").read_text())["fourier_every"] == 0
    assert json.loads((tmp_path / "recipe" / "generator" / "config.json").read_text())["fourier_every"] == 2
    saved = json.loads((tmp_path / "ablation.json").read_text())
    assert saved["steps"] == 2 and len(saved["results"]) == 4
    table = ablation.markdown(rows)
    assert "| no Fourier branch | `--g-fourier-every 0` |" in table and "| recipe | `—` |" in table
    # a finished run is evaluated again but not retrained; the other variant's rows stay in the JSON
    ckpt = tmp_path / "recipe" / "ckpt.pt"
    before = ckpt.stat().st_mtime_ns
    again = ablation.main(argv + ["--variants", "recipe"])
    assert ckpt.stat().st_mtime_ns == before
    assert [r["variant"] for r in again] == [r["variant"] for r in rows]
    assert len(json.loads((tmp_path / "ablation.json").read_text())["commands"]) == 2
    with pytest.raises(SystemExit):  # rows of a different budget are not mixed in
        ablation.main(argv + ["--steps", "3"])


def _tiny_flags(photos, out, steps):
    return ["--data", str(photos), "--val-data", str(photos), "--out", str(out), "--size", "32", "--batch-size", "2",
            "--steps", str(steps), "--g-channels", ",".join(map(str, TINY["channels"])),
            "--g-decoder-channels", ",".join(map(str, TINY["decoder_channels"])),
            "--g-dilations", ",".join(map(str, TINY["dilations"])), "--d-base", "8", "--perceptual-weight", "0",
            "--val-every", "2", "--val-n", "2", "--ckpt-every", "2", "--warmup-steps", "1", "--threads", "1"]


def test_two_cpu_processes_train_with_ddp_stay_identical_and_resume(photos, tmp_path):
    import subprocess
    import sys

    from conftest import ROOT, free_port

    def torchrun(steps, *extra):
        cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", "--master_port", str(free_port()),
               "train.py", "gan", *_tiny_flags(photos, tmp_path / "ddp", steps), *extra]
        run = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
        return run

    # check_replicas runs at every checkpoint and raises if the two processes' generators differ by one bit
    torchrun(2)
    first = torch.load(tmp_path / "ddp" / "ckpt.pt", weights_only=True)
    run = torchrun(4, "--resume")
    state = torch.load(tmp_path / "ddp" / "ckpt.pt", weights_only=True)
    assert first["step"] == 2 and state["step"] == 4 and len(state["hardware"]) == 1
    assert state["hardware"][0].startswith("2 x ") and not state["hardware"][0].startswith("2 x 2 x")  # once, on resume too
    assert run.stdout.count("resumed from") == 1  # rank 0 alone logs
    assert [int(r["step"]) for r in csv.DictReader(open(tmp_path / "ddp" / "log.csv"))] == [2, 4]
    assert any(not torch.equal(first["g"][k], state["g"][k]) for k in state["g"])


def test_each_process_gets_its_own_shard_and_one_process_the_old_batches(photos):
    from ganpaint.data import batches

    ds = TrainSet(photos, size=32, seed=0)
    one = next(batches(ds, 2, start_step=3))[0]
    rank0, rank1 = (next(batches(ds, 2, start_step=3, rank=r, world=2))[0] for r in (0, 1))
    torch.testing.assert_close(one, torch.stack([ds[6][0], ds[7][0]]))
    torch.testing.assert_close(rank0, torch.stack([ds[12][0], ds[13][0]]))
    torch.testing.assert_close(rank1, torch.stack([ds[14][0], ds[15][0]]))


def test_push_to_hub_uploads_weights_card_config_and_training_info(photos, tmp_path, monkeypatch):
    import huggingface_hub

    from ganpaint.inpainters.gan import GANInpainter

    calls = {}

    def fake_upload(repo_id, folder_path, commit_message):
        calls["files"] = {p.name: p.read_bytes() for p in __import__("pathlib").Path(folder_path).iterdir()}
        calls["repo"] = repo_id
        return f"https://huggingface.co/{repo_id}"

    monkeypatch.setattr(huggingface_hub, "create_repo", lambda repo_id, exist_ok: None)
    monkeypatch.setattr(huggingface_hub, "upload_folder", fake_upload)
    cfg = parse_config(GANConfig, _tiny_flags(photos, tmp_path / "run", 2) + ["--push-to-hub", "me/ganpaint-test"])
    main(cfg)
    files = calls["files"]
    assert calls["repo"] == "me/ganpaint-test"
    assert {"model.safetensors", "config.json", "README.md", "training.json"} <= set(files)
    assert json.loads(files["config.json"])["train_size"] == 32
    assert b"library_name: ganpaint" in files["README.md"] and json.loads(files["training.json"])["steps"] == 2
    # A Hub download is this folder without training.json: the working resolution comes from config.json.
    hub = tmp_path / "hub_layout"
    hub.mkdir()
    for name in ("model.safetensors", "config.json"):
        (hub / name).write_bytes(files[name])
    g = Generator.from_pretrained(str(hub))
    assert g.train_size == 32
    assert GANInpainter(str(hub), device="cpu").max_side == 256  # 1.5 x 32, at least 256
    Generator(**TINY, train_size=320).save_pretrained(tmp_path / "big_crop")
    assert GANInpainter(str(tmp_path / "big_crop"), device="cpu").max_side == 480  # from config.json alone
    assert GANInpainter(str(ROOT_WEIGHTS), device="cpu").max_side == 384


ROOT_WEIGHTS = __import__("conftest").ROOT / "weights" / "gan"


def test_generator_and_discriminator_losses_each_return_loss_and_metrics(photos):
    """The GAN step's two halves can be checked alone, as LaMa's trainer splits them."""
    from ganpaint.training.gan import discriminator_loss, generator_loss

    cfg = GANConfig(adv_mask_target=True, gan_loss="nonsat", r1_weight=1.0, perceptual_weight=0)
    images, masks = next(batches(TrainSet(photos, size=32, seed=0), 2))
    g, d = Generator(**TINY), PatchDiscriminator(base=8)
    fake = g(images, masks)
    gan_loss = GANLoss(cfg.gan_loss)
    real_in = images.clone().requires_grad_(True)
    real_logits, real_feats = d(real_in, masks)
    d_loss, d_metrics = discriminator_loss(d, gan_loss, cfg, real_logits, real_in, fake, masks)
    assert set(d_metrics) == {"d_loss", "acc"} and 0 <= d_metrics["acc"] <= 1
    d_loss.backward()
    assert all(p.grad is not None for p in d.parameters()) and all(p.grad is None for p in g.parameters())
    g_loss, g_metrics = generator_loss(d, gan_loss, None, cfg, fake, images, masks, real_feats)
    assert set(g_metrics) == {"g_loss", "l1", "ssim", "adv", "fm"}
    torch.testing.assert_close(g_metrics["g_loss"], sum(g_metrics[k] for k in ("l1", "ssim", "adv", "fm")))
    g_loss.backward()
    assert all(p.grad is not None for p in g.parameters())
    # a fill equal to the photo has no hole L1 and no SSIM loss
    _, perfect = generator_loss(d, gan_loss, None, cfg, images, images, masks, real_feats)
    assert perfect["l1"] == 0 and perfect["ssim"] < 1e-4


def test_the_committed_training_state_resumes_on_a_tiny_set(photos, tmp_path):
    """training_state/gan (committed) goes on for two steps: models, step, minutes, hardware and log carry over."""
    import shutil

    from ganpaint.training.state import DEFAULT, load_state

    state = tmp_path / "state"
    shutil.copytree(DEFAULT, state)
    before = load_state(state)
    rows_before = list(csv.DictReader(open(state / "log.csv")))
    # Flags given on the command line win over the saved config: a tiny size and batch, no VGG.
    main(GANConfig(resume_from=str(state), data=str(photos), val_data=str(photos), out=str(tmp_path / "run"), size=32,
                   batch_size=2, steps=before["step"] + 2, perceptual_weight=0, val_n=2, val_every=10**6, ckpt_every=10**6,
                   restart_warmup=1, ema_decay=0.5))  # a short EMA, so two steps move it past fp16's rounding
    after = load_state(state)
    assert after["step"] == before["step"] + 2 and after["minutes"] > before["minutes"]
    assert after["hardware"][: len(before["hardware"])] == before["hardware"] and after["stages"] == before["stages"]
    assert after["config"]["lr_g"] == before["config"]["lr_g"] and after["config"]["size"] == 32
    moved = [k for k in before["models"]["ema"] if not torch.equal(before["models"]["ema"][k], after["models"]["ema"][k])]
    assert moved and set(after["models"]["d"]) == set(before["models"]["d"])
    rows = list(csv.DictReader(open(state / "log.csv")))
    assert rows[: len(rows_before)] == rows_before and int(rows[-1]["step"]) == after["step"]  # the log goes on


def test_a_resumed_run_goes_on_to_its_own_length_unless_steps_is_given():
    """`train.py gan --resume-from training_state/gan` with no --steps goes on: the state is past the CLI's default."""
    from ganpaint.training.common import resumed_config

    saved = {"steps": 60000, "lr_g": 5e-5, "max_minutes": 130.0, "mask_mix": [0.4, 0.35, 0.15, 0.1]}
    cfg = resumed_config(GANConfig(max_minutes=20), saved)
    assert (cfg.steps, cfg.lr_g, cfg.max_minutes, cfg.mask_mix) == (60000, 5e-5, 20, (0.4, 0.35, 0.15, 0.1))
    assert resumed_config(GANConfig(steps=70000), saved).steps == 70000


def test_a_missing_training_state_is_a_clear_error(photos, tmp_path):
    (tmp_path / "state").mkdir()
    with pytest.raises(FileNotFoundError, match="no training state .*generator.safetensors"):
        main(GANConfig(resume_from=str(tmp_path / "state"), data=str(photos), out=str(tmp_path / "run")))


def test_the_training_state_loads_as_weights_and_fills(tmp_path):
    """GANInpainter(weights=training_state/gan) is the state's EMA generator: a step can be judged as it is."""
    import numpy as np

    from ganpaint.inpainters.gan import GANInpainter
    from ganpaint.training.state import DEFAULT, load_state

    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (96, 128, 3), dtype=np.uint8)
    mask = np.zeros((96, 128), np.uint8)
    mask[30:60, 40:90] = 255
    inpainter = GANInpainter(weights=str(DEFAULT))
    ema = load_state(DEFAULT)["models"]["ema"]
    name = next(iter(ema))
    assert torch.equal(inpainter.generator.state_dict()[name].float(), ema[name].float())
    out = np.asarray(inpainter(image, mask, detail=False))
    assert out.shape == image.shape and np.array_equal(out[mask == 0], image[mask == 0])
    assert not np.array_equal(out[mask > 0], image[mask > 0])


def test_colour_jitter_moves_the_crops_but_not_the_masks(photos):
    plain, jittered = TrainSet(photos, size=32, seed=0), TrainSet(photos, size=32, seed=0, jitter=0.3)
    for i in range(4):
        (a, ma), (b, mb) = plain[i], jittered[i]
        assert torch.equal(ma, mb) and not torch.equal(a, b)
        assert (a - b).abs().mean() < 0.5  # the same crop, recoloured
    assert torch.equal(TrainSet(photos, size=32, seed=0, jitter=0)[3][0], plain[3][0])


def test_a_context_branch_joins_a_trained_state_without_changing_its_fills(photos, tmp_path, monkeypatch):
    """--g-context alexnet on the committed state: the branch starts at its ImageNet weights (here a stand-in file)
    joined through zeros, so the resumed G fills as the state did; the steps then train the 1x1 join, not AlexNet."""
    import shutil

    import torchvision
    from safetensors.torch import save_file

    from ganpaint.training.state import DEFAULT, load_state, state_generator

    imagenet = {k: torch.randn_like(v) for k, v in torchvision.models.alexnet().features.state_dict().items()}
    save_file(imagenet, str(tmp_path / "alexnet.safetensors"))
    monkeypatch.setenv("GANPAINT_ALEXNET_WEIGHTS", str(tmp_path / "alexnet.safetensors"))
    state = tmp_path / "state"
    shutil.copytree(DEFAULT, state)
    before = state_generator(state).eval()
    cfg = dict(resume_from=str(state), data=str(photos), val_data=str(photos), size=64, batch_size=2,
               perceptual_weight=0, val_n=2, val_every=10**6, ckpt_every=10**6, restart_warmup=1, ema_decay=0.5)
    from ganpaint.training.gan import build_models, load_generator_state

    g, _ = build_models(GANConfig(g_context="alexnet"), resuming=True)
    load_generator_state(g, {k: v for k, v in before.state_dict().items()})
    assert torch.equal(g.context.net[0].weight, imagenet["0.weight"])
    image, mask = torch.rand(1, 3, 64, 64) * 2 - 1, torch.zeros(1, 1, 64, 64)
    mask[..., 16:48, 16:48] = 1
    with torch.no_grad():
        torch.testing.assert_close(g.eval()(image, mask), before(image, mask))

    main(GANConfig(**cfg, out=str(tmp_path / "run"), steps=load_state(state)["step"] + 2, g_context="alexnet"))
    after = load_state(state)
    ema = after["models"]["ema"]
    assert after["config"]["g_context"] == "alexnet"
    assert torch.equal(ema["context.net.0.weight"], imagenet["0.weight"].half().float())  # frozen
    assert ema["from_context.weight"].abs().sum() > 0  # the join learned
    with pytest.raises(RuntimeError, match="do not fit"):
        load_generator_state(before, ema)  # a generator without the branch refuses its weights
    assert state_generator(state).context is not None  # the state loads with its branch


def test_the_training_state_exports_as_weights_with_its_whole_history(tmp_path):
    """train.py export-state: the state's EMA generator as a weights folder that fills like the state, with every stage."""
    from ganpaint.inpainters.gan import GANInpainter
    from ganpaint.training.state import DEFAULT, cli, load_state, state_generator

    cli([str(DEFAULT), str(tmp_path / "w")])
    info, state = json.loads((tmp_path / "w" / "training.json").read_text()), load_state(DEFAULT)
    assert info["stages"][-1]["steps"] == state["step"] and len(info["stages"]) == len(state["stages"]) + 1
    assert info["steps"] == sum(s["steps"] for s in info["stages"]) and info["size"] == state["config"]["size"]
    assert all(s["hardware"] for s in info["stages"])  # the diffusion baseline's fairness test reads stage 1's
    exported = GANInpainter(weights=str(tmp_path / "w"))
    for k, v in state_generator(DEFAULT).state_dict().items():
        assert torch.equal(exported.generator.state_dict()[k], v)
    assert exported.max_side == GANInpainter(weights=str(DEFAULT)).max_side == 384  # the 256² crop's working side


def test_the_training_clock_leaves_out_a_pause(monkeypatch):
    """A run stopped with SIGSTOP while tests have the CPU: the minutes it records (and its --max-minutes budget)
    count the steps, not the pause."""
    from ganpaint.training import common

    now = [1000.0]
    monkeypatch.setattr(common.time, "time", lambda: now[0])
    timer = common.Timer(pause=120)
    for _ in range(30):  # 30 steps of 2 s
        now[0] += 2
        timer.minutes()
    now[0] += 15 * 60  # stopped for 15 minutes
    timer.minutes()
    now[0] += 2
    assert timer.minutes() == (31 * 2) / 60
