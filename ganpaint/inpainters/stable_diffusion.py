"""Pretrained Stable Diffusion inpainting (diffusers) behind the common interface.

Loaded lazily on the first fill, never at import or app start. Where the weights
cannot be had (offline, no disk) it fails fast with what to do.
"""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ..tensors import pick_device
from .base import Inpainter

DEFAULT_MODEL = "stable-diffusion-v1-5/stable-diffusion-inpainting"
MODEL_ENV = "GANPAINT_SD_MODEL"


def default_model() -> str:
    return os.environ.get(MODEL_ENV, DEFAULT_MODEL)


def _offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "0").lower() in ("1", "true", "yes")


_REACHABLE: dict[str, tuple[float, bool]] = {}


def _hub_reachable(timeout: float = 1.5, ttl: float = 300.0) -> bool:
    """Whether the Hugging Face Hub answers a TCP connection (checked at most every ``ttl`` seconds): offline, a
    download would fail only after the user picked the method, with a long error."""
    import socket
    import time
    from urllib.parse import urlparse

    host = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co")).hostname or "huggingface.co"
    checked = _REACHABLE.get(host)
    if checked and time.monotonic() - checked[0] < ttl:
        return checked[1]
    try:
        socket.create_connection((host, 443), timeout=timeout).close()
        ok = True
    except OSError:
        ok = False
    _REACHABLE[host] = (time.monotonic(), ok)
    return ok


def _cached(model_id: str) -> bool:
    if Path(model_id).is_dir():
        return (Path(model_id) / "model_index.json").is_file()
    try:
        from huggingface_hub import try_to_load_from_cache

        return isinstance(try_to_load_from_cache(model_id, "model_index.json"), str)
    except Exception:
        return False


class StableDiffusionInpainter(Inpainter):
    name = "sd"
    label = "Stable Diffusion (pretrained)"
    options = ("prompt", "negative_prompt", "steps", "guidance", "seed")
    pad_multiple = 8
    max_side = 512  # SD 1.5's native resolution; larger regions are downscaled by the crop strategy

    def __init__(self, model_id: str | None = None, device: str | None = None, steps: int = 25,
                 guidance: float = 7.5, prompt: str = "a natural landscape photo, high quality",
                 negative_prompt: str = "text, watermark, people, blurry", seed: int = 0, pipeline=None):
        self.model_id = self.weights_path = model_id or default_model()
        self.device = pick_device(device)
        self.steps, self.guidance, self.seed = steps, guidance, seed
        self.prompt, self.negative_prompt = prompt, negative_prompt
        self.pipeline = pipeline
        self._lock = threading.Lock()
        if pipeline is not None:
            self._prepare(pipeline)

    @classmethod
    def available(cls) -> tuple[bool, str]:
        try:
            import diffusers  # noqa: F401
        except ImportError:
            return False, "diffusers is not installed (pip install -r requirements.txt)"
        model = default_model()
        if _cached(model):
            return True, ""
        if _offline():
            return False, (f"{model} is not downloaded and HF_HUB_OFFLINE is set: download it where there is internet, "
                           f"or set {MODEL_ENV} to a local folder")
        if not _hub_reachable():
            return False, (f"{model} is not downloaded and the Hugging Face Hub cannot be reached: download it where "
                           f"there is internet (about 2 GB), or set {MODEL_ENV} to a local folder")
        return True, "downloads about 2 GB on first use"

    @classmethod
    def timing_only(cls, device: str | None = None, steps: int = 25):
        """The SD 1.5 inpainting architecture with random weights: same compute, meaningless pixels."""
        from .sd_configs import SD15_INPAINT_UNET, SD15_TEXT, SD15_VAE, build_pipeline, write_tokenizer

        tok = write_tokenizer(Path(tempfile.mkdtemp()) / "tokenizer")
        inp = cls(model_id="timing-only", device=device, steps=steps)
        inp._prepare(build_pipeline(SD15_INPAINT_UNET, SD15_VAE, SD15_TEXT, tok))
        return inp

    def _prepare(self, pipeline):
        from diffusers import DPMSolverMultistepScheduler

        # DPM-Solver gives SD's usual quality in 20-25 steps instead of 50.
        pipeline.scheduler = DPMSolverMultistepScheduler.from_config(pipeline.scheduler.config)
        pipeline.set_progress_bar_config(disable=True)
        self.pipeline = pipeline.to(self.device)

    def load(self):
        """Build the pipeline on first use (thread-safe); a clear error when the weights cannot be had."""
        with self._lock:
            if self.pipeline is not None:
                return self.pipeline
            from diffusers import StableDiffusionInpaintPipeline

            dtype = torch.float16 if self.device.type == "cuda" else torch.float32
            try:
                pipe = StableDiffusionInpaintPipeline.from_pretrained(
                    self.model_id, torch_dtype=dtype, safety_checker=None, requires_safety_checker=False)
            except Exception as e:
                raise RuntimeError(
                    f"Stable Diffusion weights {self.model_id!r} could not be loaded ({type(e).__name__}: "
                    f"{str(e).splitlines()[0][:200] if str(e) else ''}). With internet, check the model id; offline, "
                    f"download it elsewhere and set {MODEL_ENV} to its local folder (HF_HUB_OFFLINE=1 skips the network)."
                ) from e
            self._prepare(pipe)
            return self.pipeline

    def weights_mb(self) -> float:
        if self.pipeline is None:
            return 0.0
        modules = [self.pipeline.unet, self.pipeline.vae, self.pipeline.text_encoder]
        return sum(p.numel() * p.element_size() for m in modules for p in m.parameters()) / 2**20

    def warmup(self):
        self.load()  # loading (and any download) stays out of the timing; a warm-up fill would cost minutes

    @property
    def num_parameters(self) -> int:
        if self.pipeline is None:
            return 0
        modules = [self.pipeline.unet, self.pipeline.vae, self.pipeline.text_encoder]
        return sum(p.numel() for m in modules for p in m.parameters())

    def forward(self, image: np.ndarray, mask: np.ndarray, progress=None, prompt: str | None = None,
                negative_prompt: str | None = None, steps: int | None = None, guidance: float | None = None,
                seed: int | None = None, **options) -> np.ndarray:
        pipe = self.load()
        h, w = mask.shape
        steps = steps or self.steps

        def on_step(pipeline, i, t, kwargs):
            if progress:
                progress((i + 1) / steps, f"Stable Diffusion step {i + 1}/{steps}")
            return kwargs

        out = pipe(
            prompt=self.prompt if prompt is None else prompt,
            negative_prompt=self.negative_prompt if negative_prompt is None else negative_prompt,
            image=Image.fromarray(image), mask_image=Image.fromarray(mask.astype(np.uint8) * 255),
            height=h, width=w, num_inference_steps=steps, strength=1.0,
            guidance_scale=self.guidance if guidance is None else guidance,
            generator=torch.Generator("cpu").manual_seed(self.seed if seed is None else seed),
            callback_on_step_end=on_step,
        ).images[0]
        return np.asarray(out.convert("RGB").resize((w, h)))
