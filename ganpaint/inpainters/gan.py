"""The ganpaint GAN behind the common interface."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np
import torch

from .. import paths
from ..models import Generator
from ..tensors import pick_device, to_tensor, to_uint8
from .base import Inpainter, side_for


def default_weights() -> str:
    """``GANPAINT_GAN_WEIGHTS`` (a folder or Hub repo id), else the committed ``weights/gan`` (ganpaint.paths)."""
    return paths.weights("gan")


def working_side(weights: str, generator: Generator | None = None) -> int:
    """The largest side the GAN fills at directly (``side_for`` its training crop); for the 256² weights 384 px
    filled best on val/ at 512² (model card, *Working resolution*).

    The crop comes from the generator's own config (``train_size``, saved with the weights, so a Hub download
    has it), else an older folder's ``training.json``, else 128."""
    info = Path(weights) / "training.json"
    size = getattr(generator, "train_size", 0) or (json.loads(info.read_text())["size"] if info.is_file() else 128)
    return side_for(size)


def load_generator(weights: str) -> Generator:
    """The generator with every tensor of ``weights`` in place: names that do not match (a ``module.`` prefix, another
    architecture) are an error naming them, never a silently random network. A training state folder
    (``training_state/gan``, see ganpaint.training.state) loads its EMA generator, so a step can be judged as it is."""
    if (Path(weights) / "state.json").is_file():
        from ..training.state import state_generator

        return state_generator(weights)
    if (Path(weights) / "model.safetensors").is_file():
        why = weights_mismatch(Path(weights))
        if why:
            raise ValueError(why)
    try:
        return Generator.from_pretrained(weights, strict=True)
    except RuntimeError as e:  # a Hub download that does not fit
        if "state_dict" not in str(e):
            raise
        text = " ".join(str(e).split())
        raise ValueError(f"the GAN weights at {weights} do not fit the generator: {text[:300]} ...") from None


def weights_mismatch(folder: Path) -> str:
    """Why the safetensors in a local weights folder would not load into its configured generator ('' if they do)."""
    files = [folder / "config.json", folder / "model.safetensors"]
    return _mismatch(str(folder), tuple(f.stat().st_mtime_ns if f.is_file() else 0 for f in files))


@functools.lru_cache(maxsize=8)
def _mismatch(folder: str, stamps: tuple) -> str:
    """weights_mismatch, once per version of the files (building a generator to compare costs 50 ms: the app
    checks before every request)."""
    from safetensors import safe_open

    folder = Path(folder)
    config = json.loads((folder / "config.json").read_text()) if (folder / "config.json").is_file() else {}
    expected = set(Generator(**config).state_dict())
    with safe_open(folder / "model.safetensors", "pt") as f:
        found = set(f.keys())
    missing, unexpected = sorted(expected - found), sorted(found - expected)
    if not missing and not unexpected:
        return ""
    return (f"the GAN weights at {folder} do not fit the generator: {len(missing)} tensors missing (e.g. "
            f"{', '.join(missing[:3]) or '-'}), {len(unexpected)} unexpected (e.g. {', '.join(unexpected[:3]) or '-'})")


def _looks_like_repo_id(name: str) -> bool:
    return name.count("/") == 1 and not name.startswith((".", "/", "~"))


class GANInpainter(Inpainter):
    name = "gan"
    label = "GAN (ganpaint)"
    pad_multiple = Generator.pad_multiple
    texture = True  # the network gives structure; texture comes from the photo (detail=False: the bare fill)

    def __init__(self, weights: str | None = None, device: str | None = None, generator: Generator | None = None,
                 variant: str = "torch", max_side: int | None = None):
        """``variant="onnx"`` runs an ONNX export with onnxruntime on the CPU (measured slower than PyTorch
        on our 2-core machine, see the benchmark, so ``torch`` is the default). ``max_side`` overrides the
        working resolution read from the weights' ``training.json``."""
        self.device = pick_device(device)
        self.weights_path = weights or default_weights()
        if generator is None:
            if not Path(self.weights_path).exists() and not _looks_like_repo_id(self.weights_path):
                raise FileNotFoundError(f"no GAN weights at {self.weights_path}: train them with `python train.py gan`, "
                                        "or pass a save_pretrained folder or a Hub repo id")
            generator = load_generator(self.weights_path)
        self.max_side = max_side or working_side(self.weights_path, generator)
        self.generator = generator.eval().to(self.device, memory_format=torch.channels_last)
        self.session = None
        if variant == "onnx":
            from ..export import onnx_session

            self.session = onnx_session(self.generator)
        elif variant != "torch":
            raise ValueError(f"unknown variant {variant!r}; use 'torch' or 'onnx'")

    @classmethod
    def available(cls) -> tuple[bool, str]:
        w = default_weights()
        if (Path(w) / "model.safetensors").is_file():
            why = weights_mismatch(Path(w))
            return not why, why
        if not Path(w).exists() and _looks_like_repo_id(w):
            return True, ""  # a Hub repo id: downloaded on first use
        return False, paths.missing_weights("gan", "GAN", "python train.py gan")

    @property
    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.generator.parameters())

    @torch.inference_mode()
    def forward(self, image: np.ndarray, mask: np.ndarray, **options) -> np.ndarray:
        x = to_tensor(image[None]).to(self.device)
        m = torch.from_numpy(mask).to(self.device)[None, None].float()
        if self.session is not None:
            y = torch.from_numpy(self.session.run(None, {"image": x.contiguous().numpy(), "mask": m.numpy()})[0])
        else:
            y = self.generator(x.contiguous(memory_format=torch.channels_last), m)
        return to_uint8(y)[0]
