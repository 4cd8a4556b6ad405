"""Turning user input into checked images and masks, and model output back into the input's mode.

Every method works on 8-bit RGB; this module keeps the user's own mode (L, RGBA,
16-bit, float...) so that pixels outside the mask come back byte-identical.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

# Largest image accepted: 4096 x 4096 (16.8 megapixels). Larger inputs are refused, not silently shrunk.
MAX_PIXELS = 4096 * 4096

# Modes kept as they are; any other mode is converted first (palette -> RGB/RGBA, CMYK -> RGB, 1 -> L).
NATIVE_MODES = {"RGB", "RGBA", "L", "LA", "I;16", "I", "F"}


class InpaintError(ValueError):
    """Bad input: the message says what is wrong and what to do."""


# Formats a photo or a mask comes in. Pillow would also open EPS/PS (through Ghostscript) and dozens of rarer
# formats; a web upload has no business reaching those parsers.
FORMATS = ("PNG", "JPEG", "WEBP", "TIFF", "BMP", "GIF")  # JPEG includes phones' multi-picture (MPO) files


def open_image(src, what: str = "image") -> Image.Image:
    """A PIL image from a PIL image, a path, bytes or a numpy array, upright (EXIF orientation applied).

    Messages name a file by its own name, never by the folder it sits in (a server's upload path).
    """
    if src is None:
        raise InpaintError(f"no {what} given")
    if isinstance(src, Image.Image):
        return _checked(src, what)
    if isinstance(src, np.ndarray):
        try:
            return _checked(Image.fromarray(src), what)
        except TypeError as e:
            raise InpaintError(f"{what} is an array Pillow cannot read as an image ({e})") from None
    if isinstance(src, (bytes, bytearray)):
        name, opener = what, lambda: Image.open(io.BytesIO(src), formats=FORMATS)
    else:
        path = Path(src)
        if not path.is_file():
            raise InpaintError(f"{what} file not found: {path.name}")
        name, opener = f"{what} {path.name}", lambda: Image.open(path, formats=FORMATS)
    try:
        with opener() as im:  # closed on every path, refused or not
            im = _checked(im, name)
            im.load()
            return ImageOps.exif_transpose(im)  # a copy: ``im`` itself is closed on leaving
    except Image.DecompressionBombError as e:  # Pillow's own header check, for images far over its limit
        found = re.search(r"\((\d+) pixels\)", str(e))
        raise InpaintError(too_large(name, f"{int(found[1]):,} pixels" if found else "over Pillow's limit")) from None
    except UnidentifiedImageError:
        raise InpaintError(f"{name} is not a readable image (accepted: {', '.join(FORMATS)})") from None
    except (OSError, SyntaxError, ValueError) as e:
        if isinstance(e, InpaintError):
            raise
        raise InpaintError(f"{name} is damaged or truncated ({type(e).__name__})") from None


def _checked(im: Image.Image, name: str) -> Image.Image:
    """Refuse what cannot be filled faithfully, from the header alone (before any decoding)."""
    w, h = im.size
    if w * h > MAX_PIXELS:
        raise InpaintError(too_large(name, f"{w}x{h} = {w * h:,} pixels"))
    if getattr(im, "n_frames", 1) > 1 and im.format in ("GIF", "PNG", "WEBP"):  # animated; MPO/TIFF extras are previews
        raise InpaintError(f"{name} is animated ({im.n_frames} frames); only still images are filled: "
                           "save the frame you want as a PNG")
    return im


def too_large(what: str, size: str) -> str:
    return f"{what} is {size}; the limit is {MAX_PIXELS:,} pixels (4096x4096). Downscale it first."


def normalize_mode(im: Image.Image) -> Image.Image:
    """The image in one of NATIVE_MODES."""
    if im.mode in NATIVE_MODES:
        return im
    if im.mode.startswith("I;16"):
        return Image.fromarray(np.asarray(im).astype(np.uint16))
    if im.mode in ("P", "PA"):
        return im.convert("RGBA" if im.mode == "PA" or "transparency" in im.info else "RGB")
    if im.mode == "1":
        return im.convert("L")
    return im.convert("RGBA" if "A" in im.mode else "RGB")


def float_is_unit(arr: np.ndarray) -> bool:
    """Whether a float image is on the 0-1 scale (else 0-255).

    Decided by the 99.5th percentile, not the maximum, so a few overshooting pixels
    (noise, resampling ringing) do not flip a 0-1 image to the 0-255 scale.
    """
    finite = arr[np.isfinite(arr)]
    return finite.size == 0 or float(np.percentile(finite, 99.5)) <= 1.0 + 1e-6


def _sixteen_bit(arr: np.ndarray, mode: str) -> bool:
    return mode == "I;16" or (mode == "I" and arr.max(initial=0) > 255)


def to_rgb8(arr: np.ndarray, mode: str) -> np.ndarray:
    """The 8-bit RGB view every method works on."""
    if mode in ("RGB", "RGBA"):
        return np.ascontiguousarray(arr[..., :3])
    if mode == "LA":
        arr = arr[..., 0]
    if mode in ("I;16", "I"):
        arr = np.clip(arr, 0, 65535) / 257.0 if _sixteen_bit(arr, mode) else np.clip(arr, 0, 255)
    elif mode == "F":
        arr = np.clip(np.nan_to_num(arr * 255.0 if float_is_unit(arr) else arr), 0, 255)
    gray = np.round(arr).astype(np.uint8)
    return np.repeat(gray[..., None], 3, axis=2)


def from_rgb8(fill: np.ndarray, arr: np.ndarray, mode: str) -> np.ndarray:
    """The fill in the original's mode and value range (new pixels are opaque)."""
    if mode == "RGB":
        return fill
    if mode == "RGBA":
        return np.concatenate([fill, np.full(fill.shape[:2] + (1,), 255, np.uint8)], axis=2)
    gray = fill.astype(np.float64) @ np.array([0.299, 0.587, 0.114])  # ITU-R 601, as PIL's convert("L")
    if mode == "L":
        return np.round(gray).astype(np.uint8)
    if mode == "LA":
        return np.stack([np.round(gray).astype(np.uint8), np.full(gray.shape, 255, np.uint8)], axis=2)
    if mode in ("I;16", "I"):
        return np.round(gray * (257 if _sixteen_bit(arr, mode) else 1)).astype(arr.dtype)
    return (gray / 255.0 if float_is_unit(arr) else gray).astype(arr.dtype)  # F


def open_mask(src, size: tuple[int, int]) -> np.ndarray:
    """A boolean mask (True = fill) of the image's ``size`` (width, height).

    White (> 127) marks pixels to fill; a mask whose values are only 0 and 1 uses 1 for fill. A mask with
    transparency (a painted layer) uses its alpha. A photo given as the mask is refused.
    """
    im = open_image(src, "mask")
    if im.size != size:
        raise InpaintError(f"mask is {im.size[0]}x{im.size[1]} but the image is {size[0]}x{size[1]}; they must match")
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        alpha = np.asarray(im.convert("RGBA"))[..., 3]
        if alpha.min() < 255:
            return alpha > 127
    im = normalize_mode(im)
    arr = np.asarray(im)
    if im.mode in ("L", "I", "I;16", "RGB") and arr.size and arr.max() == 1 and arr.min() >= 0:
        return (arr if arr.ndim == 2 else arr.max(axis=2)) == 1  # a 0/1 label mask
    gray = arr if im.mode == "L" else arr.max(axis=2) if im.mode == "RGB" else to_rgb8(arr, im.mode).max(axis=2)
    if looks_like_photo(gray):
        raise InpaintError("the mask looks like a photo (many shades of grey): a mask is black where the image "
                           "is kept and white where it is filled")
    return gray > 127


def looks_like_photo(gray: np.ndarray) -> bool:
    """Many distinct levels and much of the area in mid-grey: a photo, not a (soft-edged or JPEG) mask."""
    # uint8 (open_mask's grey); OpenCV's histogram: 1 ms at 2048², numpy's bincount 5 (it widens to int64 first)
    counts = cv2.calcHist([np.ascontiguousarray(gray, np.uint8)], [0], None, [256], [0, 256]).ravel()
    mid = counts[33:223].sum() / max(gray.size, 1)
    return bool(mid > 0.25 and np.count_nonzero(counts) > 64)


def check_mask(mask: np.ndarray):
    if not mask.any():
        raise InpaintError("the mask is empty: paint (white) the area to fill")
