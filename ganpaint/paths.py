"""Every default location ganpaint reads, in one place, each with its environment override.

In a checkout (or an editable install) the defaults are the checkout's own folders. Installed without it
(``pip install .`` and run from elsewhere) the committed weights are not on disk: the trained models then use the
Hub repo id in ``HUB_REPOS`` when one is set there, and otherwise say which variable to point at a weights folder.
"""

from __future__ import annotations

import os
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent  # the repository, when the package runs from one

# method -> (environment variable, folder under the checkout's weights/)
WEIGHTS = {"gan": ("GANPAINT_GAN_WEIGHTS", "gan"), "diffusion": ("GANPAINT_DIFFUSION_WEIGHTS", "diffusion")}
# method -> the Hub repo id an installed package falls back to (`train.py ... --push-to-hub <id>` makes one).
# None: no repo is published yet, so an install without the checkout asks for the variable instead.
HUB_REPOS: dict[str, str | None] = {"gan": None, "diffusion": None}


def in_checkout() -> bool:
    return (CHECKOUT / "pyproject.toml").is_file() and (CHECKOUT / "weights").is_dir()


def weights(method: str) -> str:
    """Where ``method``'s weights are: its variable (a folder or a Hub repo id), else the checkout's folder, else
    the Hub fallback, else the checkout's folder path (which does not exist; ``missing_weights`` says what to do)."""
    env, folder = WEIGHTS[method]
    if os.environ.get(env):
        return os.environ[env]
    local = CHECKOUT / "weights" / folder
    if local.exists() or not HUB_REPOS.get(method):
        return str(local)
    return HUB_REPOS[method]


def missing_weights(method: str, label: str, train: str) -> str:
    """Why ``method`` cannot run for want of weights, and how to get them, for its "unavailable" line."""
    env, folder = WEIGHTS[method]
    if in_checkout() or os.environ.get(env):
        return f"no {label} weights at {weights(method)}: train them with `{train}`, or set {env} to a weights folder or Hub repo id"
    return (f"no {label} weights in this install (it has no checkout, so no weights/{folder}): set {env} to a weights "
            "folder or Hub repo id, or run ganpaint from a clone of the repository")


def shared_weights_dirs() -> list[Path]:
    """Folders searched for the ImageNet feature weights (perceptual loss, LPIPS) before torchvision downloads them."""
    return [CHECKOUT / "weights", CHECKOUT.parent / "shared" / "weights", Path.cwd().parent / "shared" / "weights"]


def examples() -> list[Path]:
    """The checkout's example photos (licenses in examples/SOURCES.csv)."""
    return sorted((CHECKOUT / "examples").glob("*.jpg"))


def shared_data(split: str = "train") -> Path:
    """A split of the scenery photos in ../shared (never committed)."""
    return CHECKOUT.parent / "shared" / "data" / "scenery" / split
