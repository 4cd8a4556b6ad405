"""The one interface every inpainting method implements.

``Inpainter.__call__`` owns everything that is not the model: input checks,
modes, the large-image strategy, padding and pasting back only the masked
pixels. A method implements ``forward`` at model resolution and says what it
needs (``pad_multiple``, ``max_side``).
"""

from __future__ import annotations

import dataclasses
import time
from typing import Callable

import cv2
import numpy as np
from PIL import Image

from .. import timing
from ..inputs import InpaintError, check_mask, from_rgb8, normalize_mode, open_image, open_mask, to_rgb8
from .texture import DEFAULT as TEXTURE_DEFAULT
from .texture import TextureSettings, add_texture
from .texture.pyramid import paste

STRATEGIES = ("auto", "full", "crop", "resize")
GUIDES = ("method", "none")  # what steers the texture stage: the method's fill, or nothing (the stage alone)
MAX_BOXES = 1024  # more separate regions than this are filled as one box
COARSE_BOXES_PIXELS, COARSE_BOXES_CELL = 4_000_000, 8  # region_boxes groups larger photos on 8x8 cells
TEXTURE_CONTEXT = 256  # the least context (px) around a hole that the texture stage searches


def side_for(train_size: int) -> int:
    """The largest side a network trained on ``train_size`` crops fills at directly: 1.5x the crop, at least 256 px.
    Larger regions are downscaled, filled and upscaled (the texture stage restores their detail): far above its
    training scale a network fills much worse (GAN card, *Working resolution*; diffusion card, *Fill size*)."""
    return max(3 * train_size // 2, 256)


class Inpainter:
    """Base class. ``inpainter(image, mask) -> image`` (PIL in, PIL out, same size and mode).

    Strategies for large images:
      * ``full``: run on the whole image (padded to ``pad_multiple``).
      * ``crop``: run on a box around each masked region with ``crop_margin`` px of context;
        a box larger than ``max_side`` is downscaled, filled, and the fill upscaled.
      * ``resize``: downscale the whole image to ``max_side``, fill, upscale the fill.
      * ``auto``: ``full`` up to ``max_side``, ``crop`` above it.
    With ``detail=True`` the fill of a method that declares ``texture = True`` (the GAN), and any fill made at a
    lower resolution and upscaled, is the structure of the fill with texture taken from the photo's known pixels
    (``texture/``). Only masked pixels are ever written; everything else is the input's own bytes.
    """

    name = "base"
    label = "base"
    pad_multiple = 8
    max_side = 1024
    crop_margin = 128
    texture = False  # the fill is a smooth prediction: give it the photo's texture (``detail``)
    options: tuple[str, ...] = ()  # the method's own keyword options (e.g. Stable Diffusion's prompt); others are refused
    weights_path: str | None = None  # where the weights come from (a folder or Hub repo id); None for classical methods

    @classmethod
    def available(cls) -> tuple[bool, str]:
        """Whether this method can run here, and if not, why."""
        return True, ""

    def load(self):
        """Have the weights in memory (a method that loads lazily, like Stable Diffusion, does it here)."""
        return self

    @property
    def num_parameters(self) -> int:
        """Learned parameters (0 for classical methods)."""
        return 0

    @property
    def parameters(self) -> int:
        """``num_parameters`` under the name the result tables use (their ``parameters`` field)."""
        return self.num_parameters

    def forward(self, image: np.ndarray, mask: np.ndarray, progress=None, **options) -> np.ndarray:
        """Fill ``mask`` (bool HxW) in ``image`` (uint8 HxWx3, H and W multiples of ``pad_multiple``).

        ``progress(fraction, description)``, when given, may be called as the work advances.
        """
        raise NotImplementedError

    def __call__(self, image, mask, strategy: str = "auto", grow: int = 0, feather: int = 0, detail: bool = True,
                 progress: Callable[[float, str], None] | None = None, texture: TextureSettings | None = None,
                 guide: str = "method", **options) -> Image.Image:
        """Fill the white part of ``mask``.

        ``grow`` dilates the mask by that many pixels first (covers halos around a removed object);
        ``feather`` blends the fill into the original over that many pixels *inside* the mask.
        ``detail`` gives the fill texture from the photo's known pixels (for a ``texture`` method, or a fill made at a
        lower resolution and upscaled); ``detail=False`` returns the method's bare fill. ``texture``: the texture
        stage's settings for this call. ``guide="none"`` is the ablation of the method: the texture stage alone,
        started from OpenCV Telea with no pull toward a guide, the method itself not run.
        """
        # 1. Check inputs
        with timing.stage("open and check"):
            self._check_options(options, strategy, grow, feather)
            if guide not in GUIDES:
                raise InpaintError(f"unknown guide {guide!r}; use one of {GUIDES}")
            im = normalize_mode(open_image(image))
            hole = open_mask(mask, im.size)
            check_mask(hole)
            if grow:
                kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1))
                hole = cv2.dilate(hole.astype(np.uint8), kernel) > 0
            arr = np.asarray(im)
            rgb = to_rgb8(arr, im.mode)
        # 2. Fill the 8-bit RGB view with the chosen strategy, then give it the photo's texture
        fill = self._fill_with_detail(rgb, hole, strategy, detail, progress, texture or TEXTURE_DEFAULT, guide, options)
        # 3. Paste back only the masked pixels, in the input's own mode
        with timing.stage("paste back"):
            if feather:
                # Weight rises from the mask's edge to 1 at ``feather`` px inside; it is 0 outside the mask.
                inside = cv2.distanceTransform(hole.astype(np.uint8), cv2.DIST_L2, 3)
                a = np.clip(inside / feather, 0, 1)[..., None]
                fill = np.round(rgb * (1 - a) + fill * a).astype(np.uint8)
            out = arr.copy()
            paste_where(out, from_rgb8(fill, arr, im.mode), hole)
        if progress:
            progress(1.0, "done")
        return Image.fromarray(out)  # the dtype and channel count give back the input's mode

    def _fill_with_detail(self, rgb, hole, strategy, detail, progress, settings: TextureSettings, guide: str, options):
        """The method's fill (or, with ``guide="none"``, Telea's) and then, with ``detail``, the texture stage."""
        if guide == "none":
            if not detail:
                raise InpaintError("guide='none' is the texture stage without the method: it needs detail=True")
            fill, upscale = telea_fill(rgb, hole), 1.0
            settings = dataclasses.replace(settings, guide=False, guide_term=0.0, low_alpha=0.0)
        else:
            if strategy == "auto":
                strategy = "full" if max(rgb.shape[:2]) <= self.max_side else "crop"
            options["progress"] = progress  # slow methods (diffusion) report their steps through it
            with timing.stage("fill"):
                fill, upscale = self._fill(rgb, hole, strategy, options)
        if detail and (self.texture or upscale > 1 or guide == "none"):
            if progress:
                progress(0.95, "texture")
            with timing.stage("texture"):
                fill = texture_near_hole(rgb, hole, fill, upscale, settings)
        return fill

    def _check_options(self, options: dict, strategy: str, grow: int, feather: int):
        unknown = sorted(set(options) - set(self.options))
        if unknown:
            takes = f"it takes {', '.join(self.options)}" if self.options else "it takes no options of its own"
            raise InpaintError(f"{self.label} does not know the option(s) {', '.join(unknown)}; {takes}")
        if strategy not in STRATEGIES:
            raise InpaintError(f"unknown strategy {strategy!r}; use one of {STRATEGIES}")
        if grow < 0 or feather < 0:
            raise InpaintError("grow and feather must not be negative")

    def _fill(self, rgb: np.ndarray, hole: np.ndarray, strategy: str, options: dict) -> tuple[np.ndarray, float]:
        """The fill of the whole frame with a concrete strategy, and the largest factor by which any of it was made
        smaller and upscaled (1: none)."""
        if strategy == "resize":
            return self._fit(rgb, hole, options)
        if strategy == "full":
            return self._padded(rgb, hole, options), 1.0
        # crop: one region at a time (several crops as one batch measured no faster on the CPU:
        # python -m ganpaint.benchmark --fast-paths)
        fill, upscale, progress = np.zeros_like(rgb), 1.0, options.get("progress")
        boxes = region_boxes(hole, self.crop_margin)
        for i, (x0, y0, x1, y1) in enumerate(boxes):
            if progress and len(boxes) > 1:
                progress(i / len(boxes), f"region {i + 1}/{len(boxes)}")
            sub = hole[y0:y1, x0:x1]
            part, up = self._fit(rgb[y0:y1, x0:x1], sub, options)
            paste_where(fill[y0:y1, x0:x1], part, sub)
            upscale = max(upscale, up)
        return fill, upscale

    def warmup(self):
        """One small fill, so one-time costs (kernel selection, allocations) stay out of timings."""
        mask = np.zeros((64, 64), np.uint8)
        mask[16:48, 16:48] = 255
        self(np.full((64, 64, 3), 127, np.uint8), mask)

    def timed(self, image, mask, **kwargs) -> tuple[Image.Image, float]:
        """The result and the wall time in milliseconds."""
        t = time.perf_counter()
        result = self(image, mask, **kwargs)
        return result, (time.perf_counter() - t) * 1000

    def _fit(self, rgb: np.ndarray, hole: np.ndarray, options) -> tuple[np.ndarray, float]:
        """Fill at most ``max_side`` pixels on the long side: downscale, fill, upscale. Also the factor it upscaled by."""
        h, w = hole.shape
        scale = self.max_side / max(h, w)
        if scale >= 1:
            return self._padded(rgb, hole, options), 1.0
        sw, sh = max(1, round(w * scale)), max(1, round(h * scale))
        small = cv2.resize(rgb, (sw, sh), interpolation=cv2.INTER_AREA)
        # Area-resize then any coverage: thin strokes must not vanish when downscaled.
        small_hole = cv2.resize(hole.astype(np.float32), (sw, sh), interpolation=cv2.INTER_AREA) > 0
        filled = self._padded(small, small_hole, options)
        return cv2.resize(filled, (w, h), interpolation=cv2.INTER_CUBIC), 1 / scale

    def _padded(self, rgb: np.ndarray, hole: np.ndarray, options) -> np.ndarray:
        """Pad to ``pad_multiple`` (padding counts as known), run ``forward``, crop."""
        h, w = hole.shape
        rgb, hole = _pad_to(rgb, hole, h + -h % self.pad_multiple, w + -w % self.pad_multiple)
        return self.forward(rgb, hole, **options)[:h, :w]


def paste_where(dst: np.ndarray, src: np.ndarray, mask: np.ndarray):
    """``dst`` takes ``src`` where ``mask``: neither boolean indexing (60 ms an assignment on a 4 MP photo) nor
    ``np.copyto(where=mask[..., None])`` (35 ms at 2048², against 7 for the texture stage's ``paste``)."""
    if dst.ndim == 3:
        paste(dst, src, mask, True)
    else:
        np.copyto(dst, src, where=mask)


def _pad_to(rgb: np.ndarray, hole: np.ndarray, h: int, w: int):
    """Pad bottom/right to (h, w) by reflection (edge copy for tiny inputs); padding is never filled."""
    ph, pw = h - hole.shape[0], w - hole.shape[1]
    if ph or pw:
        mode = "reflect" if ph < hole.shape[0] and pw < hole.shape[1] else "edge"
        rgb = np.pad(rgb, ((0, ph), (0, pw), (0, 0)), mode=mode)
        hole = np.pad(hole, ((0, ph), (0, pw)))
    return np.ascontiguousarray(rgb), hole


def telea_fill(rgb: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """The ``telea`` method's fill: the classical start of the ``guide="none"`` ablation."""
    from .opencv import TeleaInpainter

    return TeleaInpainter().forward(rgb, hole)


def texture_near_hole(rgb: np.ndarray, hole: np.ndarray, fill: np.ndarray, upscale: float = 1.0,
                      settings: TextureSettings = TEXTURE_DEFAULT) -> np.ndarray:
    """``add_texture`` on each group of hole regions (those within 2 * TEXTURE_CONTEXT px of each other), over the
    group's bounding box with context around it as wide as the group is thick, and at least TEXTURE_CONTEXT px (so
    up to 512² it is always the whole photo): a stroke on a 12 MP photo takes its texture from around it, the two
    borders of an outpainted photo each from their own side, and the whole-photo passes (pyramid, float copies) no
    longer cost more than the texture itself. ``upscale``: the factor by which the fill was made smaller and upscaled."""
    out = fill.copy()
    for bx0, by0, bx1, by1 in region_boxes(hole, TEXTURE_CONTEXT):  # a box holds its own group's regions only
        x, y, w, h = cv2.boundingRect(hole[by0:by1, bx0:bx1].astype(np.uint8))
        x, y = x + bx0, y + by0
        m = max(min(w, h), TEXTURE_CONTEXT)
        x0, y0, x1, y1 = max(x - m, 0), max(y - m, 0), min(x + w + m, hole.shape[1]), min(y + h + m, hole.shape[0])
        # Other groups' holes inside this crop stay holes (never read as sources) but are not written from here.
        textured = add_texture(rgb[y0:y1, x0:x1], hole[y0:y1, x0:x1], fill[y0:y1, x0:x1], guide_scale=upscale,
                               settings=settings)
        own = np.zeros((y1 - y0, x1 - x0), bool)
        own[max(by0 - y0, 0) : by1 - y0, max(bx0 - x0, 0) : bx1 - x0] = True
        own &= hole[y0:y1, x0:x1]
        paste_where(out[y0:y1, x0:x1], textured, own)
    return out


def _cells_masked(cells: np.ndarray, f: int) -> np.ndarray:
    """uint8: 1 for each f x f cell of ``cells`` (uint8, sides multiples of f) with a pixel that is not 0. With f = 8
    a cell's row of pixels is tested as one uint64 (0.1 ms at 2048², against 12 for numpy's max over the cells)."""
    h, w = cells.shape
    if f == 8:
        rows = cells.view(np.uint64) != 0
        return rows.reshape(h // f, f, w // f).any(axis=1).astype(np.uint8)
    return cells.reshape(h // f, f, w // f, f).max(axis=(1, 3))


def region_boxes(hole: np.ndarray, margin: int) -> list[tuple[int, int, int, int]]:
    """Boxes (x0, y0, x1, y1) around the masked regions, grown by ``margin`` and merged where they overlap,
    so each masked pixel lies in exactly one box.

    Near-linear in the pixels whatever the mask: regions closer than ``2 * margin`` are grouped at once by dilating
    the mask (their grown boxes would overlap), so few boxes are left for the pairwise merge. Salt noise over a
    photo becomes one box, not a quadratic merge over thousands."""
    h, w = hole.shape
    # Above COARSE_BOXES_PIXELS the regions are grouped on an f-times coarser grid (a cell is masked if any of its
    # pixels is): f² fewer pixels to dilate, for boxes at most 2f px wider per side.
    f = COARSE_BOXES_CELL if h * w > COARSE_BOXES_PIXELS and margin >= 4 * COARSE_BOXES_CELL else 1
    grown = hole.astype(np.uint8)
    if f > 1:
        cells = np.zeros((-(-h // f) * f, -(-w // f) * f), np.uint8)
        cells[:h, :w] = grown
        grown = _cells_masked(cells, f)
    r = -(-margin // f)
    if r:
        grown = cv2.dilate(grown, cv2.getStructuringElement(cv2.MORPH_RECT, (2 * r + 1, 2 * r + 1)))
    _, _, stats, _ = cv2.connectedComponentsWithStats(grown, connectivity=8)
    # A dilated region's bounds are its masked pixels' (or cells') bounds grown by the margin, clipped to the image.
    boxes = np.array([(x * f, y * f, min((x + bw) * f, w), min((y + bh) * f, h)) for x, y, bw, bh, _ in stats[1:]],
                     np.int64).reshape(-1, 4)
    if len(boxes) > MAX_BOXES:  # only with margin 0 and heavy noise: one box is right and cheap
        ys, xs = np.nonzero(hole)
        return [(int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)]
    while len(boxes) > 1:
        a, b = boxes[:, None], boxes[None]
        overlap = (a[..., 0] < b[..., 2]) & (b[..., 0] < a[..., 2]) & (a[..., 1] < b[..., 3]) & (b[..., 1] < a[..., 3])
        np.fill_diagonal(overlap, False)
        if not overlap.any():
            break
        group = np.arange(len(boxes))  # label propagation: each box joins the smallest label it overlaps
        while True:
            smallest = np.where(overlap, group[None], len(boxes)).min(1)
            new = np.minimum(group, smallest)
            if np.array_equal(new, group):
                break
            group = new
        boxes = np.array([[boxes[group == g, 0].min(), boxes[group == g, 1].min(), boxes[group == g, 2].max(),
                           boxes[group == g, 3].max()] for g in np.unique(group)])
    return [tuple(int(v) for v in b) for b in boxes]
