"""Shared fixtures: tiny models and small photo folders the tests build themselves."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ganpaint.models import Generator

ROOT = Path(__file__).resolve().parent.parent
SHARED_VAL = ROOT.parent / "shared" / "data" / "scenery" / "val"
TINY = dict(channels=(8, 8, 16, 16), decoder_channels=(16, 8, 8), dilations=(1, 2), fourier_every=2)


def scenery(w: int, h: int, seed: int) -> np.ndarray:
    """A synthetic landscape: sky gradient, a horizon and textured ground."""
    rng = np.random.default_rng(seed)
    y = np.linspace(0, 1, h)[:, None, None]
    x = np.linspace(0, 1, w)[None, :, None]
    sky = np.array([90, 140, 220]) * (1 - 0.5 * y) + 20 * x
    ground = np.array([60, 120, 50]) + rng.normal(0, 12, (h, w, 3))
    horizon = 0.55 + 0.05 * np.sin(6 * x + seed)
    img = np.where(y < horizon, sky, ground)
    return np.clip(img, 0, 255).astype(np.uint8)


@pytest.fixture(scope="session", autouse=True)
def alexnet_features(tmp_path_factory):
    """LPIPS needs ImageNet AlexNet features. Use the shared offline copy when this checkout has one; elsewhere
    (a clone without ../shared, no internet) a randomly initialised AlexNet the tests build themselves, so
    the metric code still runs (its values are then meaningless, and no test relies on them)."""
    from ganpaint.features import local_weights

    if local_weights("alexnet") is None:
        import torch
        import torchvision
        from safetensors.torch import save_file

        torch.manual_seed(0)
        path = tmp_path_factory.mktemp("alexnet") / "alexnet_random_features.safetensors"
        save_file(torchvision.models.alexnet().features.state_dict(), str(path))
        os.environ["GANPAINT_ALEXNET_WEIGHTS"] = str(path)  # inherited by the app and CLI subprocesses
    yield


@pytest.fixture(scope="session")
def photos(tmp_path_factory) -> Path:
    """Four photos: the shared val photos when present, synthetic scenery otherwise."""
    folder = tmp_path_factory.mktemp("photos")
    for i in range(4):
        src = SHARED_VAL / f"{i:03d}.jpg"
        img = Image.open(src).convert("RGB") if src.exists() else Image.fromarray(scenery(320, 240, i))
        img.save(folder / f"photo{i}.jpg", quality=95)
    return folder


@pytest.fixture(scope="session")
def tiny_weights(tmp_path_factory) -> Path:
    """A tiny randomly initialised generator saved with save_pretrained."""
    import torch

    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("tiny_gan")
    Generator(**TINY).save_pretrained(folder)
    return folder


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def app_url(tiny_weights, tmp_path_factory):
    port = free_port()
    env = dict(os.environ, GANPAINT_GAN_WEIGHTS=str(tiny_weights), GRADIO_SERVER_NAME="127.0.0.1",
               GRADIO_SERVER_PORT=str(port), GRADIO_ANALYTICS_ENABLED="False")
    log = open(tmp_path_factory.mktemp("app") / "app.log", "w")
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    start = time.time()
    while time.time() - start < 120:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert proc.poll() is None, open(log.name).read()
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("app did not start within 120 s: " + open(log.name).read())
    yield url
    proc.terminate()
    proc.wait(timeout=30)


@pytest.fixture(scope="session")
def client(app_url):
    from gradio_client import Client

    return Client(app_url, verbose=False)
