"""The scratch diffusion baseline and the Stable Diffusion wrapper, on tiny models the tests build."""

import csv
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from ganpaint.inpainters.diffusion import DiffusionInpainter
from ganpaint.inpainters.sd_configs import TINY_TEXT, TINY_UNET, TINY_VAE, build_pipeline, write_tokenizer
from ganpaint.inpainters.stable_diffusion import StableDiffusionInpainter
from ganpaint.training.diffusion import DiffusionConfig, main


def tiny_run(photos, out, steps, resume=False):
    return DiffusionConfig(data=str(photos), val_data=str(photos), out=str(out), size=32, batch_size=2, steps=steps,
                           resume=resume, channels=(16, 32), val_every=4, val_n=2, val_steps=3, ckpt_every=100,
                           warmup_steps=2)


@pytest.fixture(scope="module")
def diffusion_weights(photos, tmp_path_factory):
    out = tmp_path_factory.mktemp("diffusion")
    main(tiny_run(photos, out, 4))
    return out


def test_diffusion_training_resumes_the_same_run(photos, diffusion_weights, tmp_path):
    main(tiny_run(photos, tmp_path, 2))
    main(tiny_run(photos, tmp_path, 4, resume=True))
    a = torch.load(diffusion_weights / "ckpt.pt", weights_only=True)
    b = torch.load(tmp_path / "ckpt.pt", weights_only=True)
    assert a["step"] == b["step"] == 4
    for k in a["unet"]:
        torch.testing.assert_close(a["unet"][k], b["unet"][k])
    assert [int(r["step"]) for r in csv.DictReader(open(tmp_path / "log.csv"))] == [2, 4]
    assert (tmp_path / "val_000004.png").exists()
    # The compute behind the weights, kept across the resume for the comparison table
    info = json.loads((tmp_path / "diffusion" / "training.json").read_text())
    assert info["steps"] == 4 and info["images_seen"] == 8 and info["batch_size"] == 2 and info["size"] == 32
    assert info["minutes"] > 0 and len(info["hardware"]) == 1 and info["hardware"][0].endswith("CPU")


def test_diffusion_loss_falls_on_a_fixed_batch(photos):
    from diffusers import DDPMScheduler

    from ganpaint.data import TrainSet
    from ganpaint.training.diffusion import build_unet

    torch.manual_seed(0)
    cfg = DiffusionConfig(size=32, channels=(16, 32))
    unet, sched = build_unet(cfg), DDPMScheduler(num_train_timesteps=1000)
    ds = TrainSet(photos, size=32)
    x, m = map(torch.stack, zip(*[ds[i] for i in range(4)]))
    noise, t = torch.randn_like(x), torch.randint(0, 1000, (4,))
    opt = torch.optim.Adam(unet.parameters(), lr=1e-3)

    def loss():
        pred = unet(torch.cat([sched.add_noise(x, noise, t), x * (1 - m), m], 1), t).sample
        return ((pred - noise) ** 2).mean()

    first = loss().item()
    for _ in range(30):
        opt.zero_grad()
        loss().backward()
        opt.step()
    assert loss().item() < 0.7 * first


def test_diffusion_inpainter_keeps_known_pixels_and_reports_steps(diffusion_weights):
    inp = DiffusionInpainter(str(diffusion_weights / "diffusion"), steps=4, device="cpu")
    img = np.random.default_rng(0).integers(0, 256, (37, 53, 3), dtype=np.uint8)
    mask = np.zeros((37, 53), np.uint8)
    mask[10:25, 5:40] = 255
    steps = []
    out = np.asarray(inp(img, mask, progress=lambda f, d: steps.append(d)))
    assert out.shape == img.shape and np.array_equal(out[mask == 0], img[mask == 0])
    assert sum("denoising" in s for s in steps) == 4
    assert inp.parameters > 0


@pytest.fixture(scope="module")
def tiny_sd(tmp_path_factory):
    """A tiny random StableDiffusionInpaintPipeline saved like a Hub model: 9-channel UNet, VAE, CLIP, tokenizer."""
    folder = tmp_path_factory.mktemp("tiny_sd")
    pipe = build_pipeline(TINY_UNET, TINY_VAE, TINY_TEXT, write_tokenizer(folder / "tok"))
    pipe.save_pretrained(folder / "model")
    return folder / "model"


def test_stable_diffusion_wrapper_runs_the_real_pipeline(tiny_sd, monkeypatch):
    monkeypatch.setenv("GANPAINT_SD_MODEL", str(tiny_sd))
    assert StableDiffusionInpainter.available() == (True, "")
    inp = StableDiffusionInpainter(steps=3, device="cpu")
    assert inp.pipeline is None  # lazy: nothing loaded until the first fill
    img = Image.fromarray(np.random.default_rng(1).integers(0, 256, (50, 70, 3), dtype=np.uint8))
    mask = np.zeros((50, 70), np.uint8)
    mask[10:30, 20:50] = 255
    steps = []
    out = inp(img, mask, prompt="a lake", seed=1, progress=lambda f, d: steps.append(d))
    assert out.size == img.size
    assert np.array_equal(np.asarray(out)[mask == 0], np.asarray(img)[mask == 0])
    assert sum("Stable Diffusion step" in s for s in steps) == 3
    again = inp(img, mask, prompt="a lake", seed=1)
    assert np.array_equal(np.asarray(out), np.asarray(again))  # seeded
    # A large image goes through the crop strategy: the pipeline only sees a box around the hole.
    big = Image.fromarray(np.random.default_rng(2).integers(0, 256, (700, 900, 3), dtype=np.uint8))
    big_mask = np.zeros((700, 900), np.uint8)
    big_mask[300:340, 400:460] = 255
    inp.max_side = 256
    out = inp(big, big_mask)
    assert np.array_equal(np.asarray(out)[big_mask == 0], np.asarray(big)[big_mask == 0])


def test_stable_diffusion_fails_fast_and_clearly_offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("GANPAINT_SD_MODEL", "no-such-org/no-such-model")
    ok, why = StableDiffusionInpainter.available()
    assert not ok and "HF_HUB_OFFLINE" in why and "GANPAINT_SD_MODEL" in why
    inp = StableDiffusionInpainter(device="cpu")
    t = time.time()
    with pytest.raises(RuntimeError, match="GANPAINT_SD_MODEL"):
        inp(np.zeros((64, 64, 3), np.uint8), np.full((64, 64), 255, np.uint8))
    assert time.time() - t < 60


def test_evaluate_lists_unavailable_methods(photos, tiny_weights, diffusion_weights, monkeypatch):
    from ganpaint.evaluate import evaluate
    from ganpaint.inpainters import _cache

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("GANPAINT_SD_MODEL", "no-such-org/no-such-model")
    monkeypatch.setenv("GANPAINT_DIFFUSION_WEIGHTS", str(diffusion_weights / "diffusion"))
    _cache.clear()
    images = [np.asarray(Image.open(p).convert("RGB").resize((32, 32))) for p in sorted(photos.iterdir())]
    out = evaluate(images, ["gan", "diffusion", "sd", "telea"], ["easy"], 32, 0, weights=str(tiny_weights))
    assert [r["method"] for r in out["results"]] == ["gan", "diffusion", "telea"]
    assert out["unavailable"][0]["method"] == "sd" and "HF_HUB_OFFLINE" in out["unavailable"][0]["reason"]
    _cache.clear()


def test_compare_reports_progress_and_keeps_going_without_sd(tiny_sd, tiny_weights, monkeypatch):
    from ganpaint.evaluate import compare
    from ganpaint.inpainters import _cache

    img = np.random.default_rng(5).integers(0, 256, (48, 64, 3), dtype=np.uint8)
    mask = np.zeros((48, 64), np.uint8)
    mask[10:30, 10:40] = 255
    monkeypatch.setenv("GANPAINT_GAN_WEIGHTS", str(tiny_weights))
    monkeypatch.setenv("GANPAINT_SD_MODEL", str(tiny_sd))
    _cache.clear()
    seen = []
    rows = compare(img, mask, ["gan", "sd"], truth=img, progress=lambda f, d: seen.append((f, d)), steps=2)
    assert all(r["available"] for r in rows) and rows[1]["parameters"] > rows[0]["parameters"] > 0
    assert any("Stable Diffusion step 2/2" in d for _, d in seen)
    assert [f for f, _ in seen] == sorted(f for f, _ in seen) and seen[-1][0] == 1.0
    # Without the weights the SD row says why, and the GAN row is still measured.
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("GANPAINT_SD_MODEL", "no-such-org/no-such-model")
    _cache.clear()
    rows = compare(img, mask, ["gan", "sd"], truth=img)
    assert rows[0]["available"] and rows[0]["psnr"] > 0
    assert not rows[1]["available"] and "HF_HUB_OFFLINE" in rows[1]["reason"]
    _cache.clear()


def test_benchmark_times_diffusion_and_keeps_an_earlier_runs_other_methods(diffusion_weights, tmp_path):
    gan = {"method": "gan", "size": 64, "device": "cpu", "ms": 5.0, "repeats": 5, "peak_mb": 600.0, "parameters": 1000,
           "weights_mb": 1.0, "note": ""}
    stale = dict(gan, method="diffusion", ms=1e9)
    (tmp_path / "earlier.json").write_text(json.dumps({"results": [stale, gan], "command": "earlier run"}))
    env = dict(os.environ, GANPAINT_DIFFUSION_WEIGHTS=str(diffusion_weights / "diffusion"))
    cmd = [sys.executable, "-m", "ganpaint.benchmark", "--methods", "diffusion", "--sizes", "64", "--devices", "cpu",
           "--diffusion-steps", "2", "--diffusion-repeats", "1", "--merge", str(tmp_path / "earlier.json"),
           "--json", str(tmp_path / "out.json")]
    run = subprocess.run(cmd, cwd=Path(__file__).parent.parent, capture_output=True, text=True, timeout=600, env=env)
    assert run.returncode == 0, run.stderr
    out = json.loads((tmp_path / "out.json").read_text())
    assert [r["method"] for r in out["results"]] == ["gan", "diffusion"]
    assert out["results"][0] == gan
    new = out["results"][1]
    assert new["steps"] == 2 and new["repeats"] == 1 and 0 < new["ms"] < 1e9 and new["parameters"] > 10_000
    assert out["merged_from"]["methods"] == ["gan"] and out["merged_from"]["command"] == "earlier run"
    assert f"| diffusion | cpu | 64² | 64 px | {new['ms']:.1f} | {new['ms'] / 5.0:.1f} |" in run.stdout and "2 steps" in run.stdout


def test_committed_diffusion_model_loads_keeps_known_pixels_and_had_the_gans_compute():
    root = Path(__file__).parent.parent / "weights"
    inp = DiffusionInpainter(steps=2, device="cpu")  # the committed weights/diffusion (stored fp16, run in fp32)
    assert inp.unet.dtype == torch.float32 and inp.parameters > 1_000_000
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (72, 88, 3), dtype=np.uint8)
    mask = np.zeros((72, 88), np.uint8)
    mask[20:50, 30:70] = 255
    out = np.asarray(inp(image, mask))
    assert out.shape == image.shape and (out[mask == 0] == image[mask == 0]).all()
    # The comparison is fair only if both models had the same hardware and minutes: the GAN's first stage (128²,
    # from scratch) is the one the diffusion model was matched with.
    gan = json.loads((root / "gan" / "training.json").read_text())["stages"][0]
    diffusion = json.loads((root / "diffusion" / "training.json").read_text())
    assert diffusion["hardware"] == gan["hardware"] and abs(diffusion["minutes"] - gan["minutes"]) <= 2
    assert diffusion["size"] == gan["size"]


def test_evaluate_reports_a_method_whose_weights_fail_on_first_use(photos, tmp_path, monkeypatch):
    from ganpaint.evaluate import evaluate
    from ganpaint.inpainters import _cache

    broken = tmp_path / "broken_sd"
    broken.mkdir()
    (broken / "model_index.json").write_text("{}")  # looks cached, cannot load: found only on first use
    monkeypatch.setenv("GANPAINT_SD_MODEL", str(broken))
    _cache.clear()
    images = [np.asarray(Image.open(p).convert("RGB").resize((32, 32))) for p in sorted(photos.iterdir())]
    out = evaluate(images, ["sd", "telea"], ["easy", "hard"], 32, 0)
    assert [r["method"] for r in out["results"]] == ["telea", "telea"]
    assert [u["method"] for u in out["unavailable"]] == ["sd"] and "could not be loaded" in out["unavailable"][0]["reason"]
    _cache.clear()


@pytest.mark.parametrize("sampler", ["ddim", "dpm"])
@pytest.mark.parametrize("prediction_type", ["epsilon", "v_prediction"])
def test_sampler_reproduces_the_photo_given_the_true_prediction(sampler, prediction_type):
    """With an oracle network the sampling loop must land on the photo: errors seen in samples are the model's."""
    from diffusers import DDPMScheduler

    from ganpaint.inpainters.diffusion import make_sampler, sample

    train = DDPMScheduler(num_train_timesteps=1000, beta_schedule="squaredcos_cap_v2", prediction_type=prediction_type)
    image = torch.rand(1, 3, 16, 16, generator=torch.Generator().manual_seed(0)) * 2 - 1
    mask = torch.zeros(1, 1, 16, 16)
    mask[..., 4:12, 4:12] = 1

    def oracle(inputs, t):
        a = train.alphas_cumprod[int(t)]
        noise = (inputs[:, :3] - a.sqrt() * image) / (1 - a).sqrt()
        target = train.get_velocity(image, noise, torch.tensor([int(t)])) if prediction_type == "v_prediction" else noise
        return type("Out", (), {"sample": target})()

    out = sample(oracle, make_sampler(sampler, train.config), image, mask, 20, torch.Generator().manual_seed(1))
    torch.testing.assert_close(out, image, atol=1e-4, rtol=0)


def test_stable_diffusion_is_unavailable_when_the_hub_cannot_be_reached(monkeypatch):
    from ganpaint.inpainters import stable_diffusion as sd

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("GANPAINT_SD_MODEL", "no-such-org/no-such-model")
    monkeypatch.setenv("HF_ENDPOINT", "https://unreachable.invalid")  # no such host, anywhere
    sd._REACHABLE.clear()
    ok, why = StableDiffusionInpainter.available()
    assert not ok and "cannot be reached" in why and "GANPAINT_SD_MODEL" in why
    sd._REACHABLE.clear()


def test_app_load_errors_are_one_short_sentence():
    import app

    long = OSError("We couldn't connect to 'https://huggingface.co' to load the files, and couldn't find them in the "
                   "cached files.\nCheck your internet connection or see how to run the library in offline mode at "
                   "'https://huggingface.co/docs/diffusers/installation#offline-mode'.")
    assert app.one_sentence(long) == str(long).splitlines()[0]
    text = app.one_sentence(OSError("word " * 100))
    assert len(text) <= 162 and text.endswith(" …")
