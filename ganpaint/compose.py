"""Outpainting and bridging: build a larger canvas and its mask, then inpaint it with any method."""

from __future__ import annotations

import numpy as np
from PIL import Image

from .inputs import MAX_PIXELS, InpaintError, open_image
from .inpainters import Inpainter


def _rgb(src, what="image") -> Image.Image:
    im = open_image(src, what)
    return im.convert("RGBA" if "A" in im.mode or "transparency" in im.info else "RGB")


def parse_aspect(aspect) -> float:
    """``16:9``, ``16/9`` or ``1.777`` -> width / height."""
    if isinstance(aspect, (int, float)):
        value = float(aspect)
    else:
        s = str(aspect).replace("/", ":")
        try:
            a, _, b = s.partition(":")
            value = float(a) / float(b) if b else float(a)
        except ValueError:
            raise InpaintError(f"aspect ratio {aspect!r} is not like 16:9 or 1.78") from None
    if not 0.1 <= value <= 10:
        raise InpaintError(f"aspect ratio {value:.3g} is outside 1:10 .. 10:1")
    return value


def aspect_padding(width: int, height: int, aspect) -> tuple[int, int, int, int]:
    """(left, right, top, bottom) that extend the image evenly to ``aspect``, never cropping it."""
    ratio = parse_aspect(aspect)
    if width / height < ratio:
        extra = round(height * ratio) - width
        return extra // 2, extra - extra // 2, 0, 0
    extra = round(width / ratio) - height
    return 0, 0, extra // 2, extra - extra // 2


def outpaint_canvas(image, left: int = 0, right: int = 0, top: int = 0, bottom: int = 0, aspect=None):
    """The extended canvas (new border copies the edge pixels, a neutral start) and its mask (L, 255 = fill)."""
    im = _rgb(image)
    if aspect is not None:
        left, right, top, bottom = aspect_padding(*im.size, aspect)
    sides = (left, right, top, bottom)
    if min(sides) < 0:
        raise InpaintError("outpaint sizes must not be negative")
    if not any(sides):
        raise InpaintError("nothing to extend: give a size for at least one side, or an aspect ratio")
    w, h = im.width + left + right, im.height + top + bottom
    if w * h > MAX_PIXELS:
        raise InpaintError(f"the extended canvas would be {w}x{h}, over the {MAX_PIXELS / 1e6:.1f} MP limit")
    arr = np.pad(np.asarray(im), ((top, bottom), (left, right), (0, 0)), mode="edge")
    mask = np.ones((h, w), np.uint8) * 255
    mask[top : top + im.height, left : left + im.width] = 0
    return Image.fromarray(arr), Image.fromarray(mask)


def outpaint(inpainter: Inpainter, image, left=0, right=0, top=0, bottom=0, aspect=None, **options) -> Image.Image:
    canvas, mask = outpaint_canvas(image, left, right, top, bottom, aspect)
    return inpainter(canvas, mask, **options)


def _resize(im: Image.Image, w: int, h: int) -> Image.Image:
    return im if im.size == (w, h) else im.resize((w, h), Image.Resampling.LANCZOS)


def bridge_canvas(first, second, layout: str = "horizontal", gap: float = 0.25):
    """Two photos on one canvas with the space between them masked.

    ``horizontal``: side by side at the same height, a gap of ``gap`` (share of the canvas
    width) between them. ``diagonal``: ``first`` top-left and ``second`` bottom-right,
    both at the first photo's size; the other two quadrants are filled.
    """
    a, b = _rgb(first, "first image"), _rgb(second, "second image")
    mode = "RGBA" if "A" in a.mode + b.mode else "RGB"
    a, b = a.convert(mode), b.convert(mode)
    if layout == "horizontal":
        if not 0 < gap < 1:
            raise InpaintError("gap must be a share of the canvas width between 0 and 1 (e.g. 0.25)")
        h = min(a.height, b.height)
        a, b = _resize(a, round(a.width * h / a.height), h), _resize(b, round(b.width * h / b.height), h)
        g = max(8, round(gap * (a.width + b.width) / (1 - gap)))
        w = a.width + g + b.width
        boxes = [(0, 0), (a.width + g, 0)]
        canvas_size = (w, h)
    elif layout == "diagonal":
        b = _resize(b, a.width, a.height)
        canvas_size = (2 * a.width, 2 * a.height)
        boxes = [(0, 0), (a.width, a.height)]
    else:
        raise InpaintError(f"unknown layout {layout!r}; use 'horizontal' or 'diagonal'")
    if canvas_size[0] * canvas_size[1] > MAX_PIXELS:
        raise InpaintError(f"the bridge canvas would be {canvas_size[0]}x{canvas_size[1]}, over the "
                           f"{MAX_PIXELS / 1e6:.1f} MP limit; use smaller photos")
    canvas = Image.new(mode, canvas_size, (127,) * len(mode))
    mask = Image.new("L", canvas_size, 255)
    for im, (x, y) in zip((a, b), boxes):
        canvas.paste(im, (x, y))
        mask.paste(0, (x, y, x + im.width, y + im.height))
    return canvas, mask


def bridge(inpainter: Inpainter, first, second, layout: str = "horizontal", gap: float = 0.25, **options) -> Image.Image:
    canvas, mask = bridge_canvas(first, second, layout, gap)
    return inpainter(canvas, mask, **options)
