"""Every inpainting method behind one interface, and the registry the app, CLI and evaluation use."""

from __future__ import annotations

import importlib

from .base import STRATEGIES, Inpainter

# name -> "module:class", imported only when used (heavy libraries load on demand).
METHODS = {
    "gan": "ganpaint.inpainters.gan:GANInpainter",
    "patchmatch": "ganpaint.inpainters.patchmatch:PatchMatchInpainter",
    "telea": "ganpaint.inpainters.opencv:TeleaInpainter",
    "ns": "ganpaint.inpainters.opencv:NavierStokesInpainter",
    "diffusion": "ganpaint.inpainters.diffusion:DiffusionInpainter",
    "sd": "ganpaint.inpainters.stable_diffusion:StableDiffusionInpainter",
}

_cache: dict = {}


def method_class(name: str) -> type[Inpainter]:
    if name not in METHODS:
        raise ValueError(f"unknown method {name!r}; choose from {', '.join(METHODS)}")
    module, cls = METHODS[name].split(":")
    return getattr(importlib.import_module(module), cls)


def get_inpainter(name: str, **kwargs) -> Inpainter:
    """A ready inpainter; the default-configured ones are built once and reused."""
    if kwargs:
        return method_class(name)(**kwargs)
    if name not in _cache:
        _cache[name] = method_class(name)()
    return _cache[name]


def availability() -> dict[str, tuple[bool, str]]:
    """For each method: can it run here, and if not, why."""
    return {name: method_class(name).available() for name in METHODS}


__all__ = ["Inpainter", "METHODS", "STRATEGIES", "availability", "get_inpainter", "method_class"]
