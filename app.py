"""ganpaint: the Gradio app (also a Hugging Face Space as it stands).

    python app.py          # honours GRADIO_SERVER_NAME / GRADIO_SERVER_PORT

The app only turns widgets into an image and a mask and calls the ganpaint
library; every method goes through the same ``Inpainter`` interface.
API endpoints for gradio_client: /inpaint, /outpaint, /bridge, /compare.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import gradio as gr
import numpy as np
from PIL import Image, ImageOps

from ganpaint import MAX_PIXELS, InpaintError, availability, get_inpainter
from ganpaint.compose import bridge_canvas, outpaint_canvas
from ganpaint.evaluate import compare
from ganpaint.inpainters import METHODS, STRATEGIES, method_class
from ganpaint.inputs import float_is_unit, open_image, open_mask
from ganpaint.masks import DIFFICULTY, difficulty_mask
from ganpaint.outputs import write_png
from ganpaint.results import markdown

ROOT = Path(__file__).resolve().parent  # the app runs from the checkout (or a Space made from it)
EXAMPLES = sorted(str(p) for p in (ROOT / "examples").glob("*.jpg"))
ASPECTS = ["none", "1:1", "4:3", "3:2", "16:9", "21:9", "3:1", "9:16"]
COMPARE_MAX_SIDE = 512  # the comparison runs every method on the same, modest size
RESULTS = Path(os.environ.get("GANPAINT_RESULTS_DIR") or Path(tempfile.gettempdir()) / "ganpaint-results")
KEEP_RESULTS_S = 3600  # result files older than this are swept away
PREVIEW_SIDE = 2048  # the before/after view shows at most this long side: a 12 MP PNG takes seconds to encode and load
PAINT_SIDE = 768  # the Inpaint editor paints on a copy at most this long side; the fill uses the original
PAINT_MARGIN = 40  # a frame around that copy: a stroke that starts just outside the photo still counts
EDITOR_HEIGHT = "min(520px, 75vw)"  # 520 px on a desktop; on a phone the height of a 4:3 photo across the screen
STAGE_LOG = os.environ.get("GANPAINT_STAGE_LOG")  # JSON lines of each Inpaint request's stages (benchmark --app)


class Stages:
    """Seconds per stage of one request, appended to GANPAINT_STAGE_LOG when set (requests one at a time)."""

    def __init__(self):
        self.times, self.t = {}, time.perf_counter()

    def lap(self, name: str):
        now = time.perf_counter()
        self.times[name] = now - self.t
        self.t = now

    def write(self):
        if STAGE_LOG:
            with open(STAGE_LOG, "a") as f:
                f.write(json.dumps(self.times) + "\n")


def long_side(image: Image.Image, side: int, upscale: bool = False, resample=Image.Resampling.BILINEAR) -> Image.Image:
    """``image`` resized so its long side is ``side`` (only ever smaller unless ``upscale``)."""
    scale = side / max(image.size)
    if scale == 1 or (scale > 1 and not upscale):
        return image
    size = (max(round(image.width * scale), 1), max(round(image.height * scale), 1))
    return image.resize(size, resample, reducing_gap=2.0 if scale < 1 else None)


def own_file(image: Image.Image, filename: str, **save) -> str:
    """``image`` saved in a folder of its own under RESULTS, whole before its name is handed out (a ``.png`` name
    is written by ``write_png``, other formats with ``save``)."""
    folder = Path(tempfile.mkdtemp(dir=_results_dir()))
    part, path = folder / f".part{Path(filename).suffix}", folder / filename
    if path.suffix == ".png":
        write_png(image, part)
    else:
        image.save(part, **save)
    os.replace(part, path)
    return str(path)


def result_file(image: Image.Image, name: str = "ganpaint", method: str = "") -> str:
    """The image as a PNG file of its own, written whole before its name is handed out.

    Gradio caches a returned PIL image under a name derived from its content and rewrites that
    file for every identical request, so a download could be cut short by the next identical
    request. A path of our own is copied into Gradio's cache atomically instead.
    """
    stem = Path(name).stem if isinstance(name, (str, Path)) else "ganpaint"  # downloads named after the input
    return own_file(encodable(image), f"{stem}{'_' + method if method else ''}.png")  # lossless


def preview_file(image: Image.Image, name: str) -> str:
    """A light JPEG copy (long side at most PREVIEW_SIDE) for what is only looked at; downloads stay full PNGs."""
    return own_file(long_side(image.convert("RGB"), PREVIEW_SIDE), f"{name}.jpg", format="JPEG", quality=90)


def _results_dir() -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    sweep_results()
    return RESULTS


def sweep_results():
    cutoff = time.time() - KEEP_RESULTS_S
    for folder in RESULTS.iterdir():
        try:
            if folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder, ignore_errors=True)
        except FileNotFoundError:  # swept by a concurrent request
            pass


def encodable(image: Image.Image) -> Image.Image:
    """PNG cannot hold 32-bit float pixels: a float result comes back as 16-bit grey on its own scale."""
    if image.mode != "F":
        return image
    arr = np.asarray(image, np.float64)
    scale = 65535 if float_is_unit(arr) else 257
    return Image.fromarray(np.clip(np.nan_to_num(arr) * scale, 0, 65535).round().astype(np.uint16))


def method_choices():
    return [(f"{method_class(m).label}" + ("" if ok else " (unavailable)"), m) for m, (ok, _) in availability().items()]


def run(fn, *args, **kwargs):
    """Call the library; bad input becomes a clear message in the UI, never a stack trace."""
    try:
        return fn(*args, **kwargs)
    except InpaintError as e:
        raise gr.Error(str(e)) from e


def inpainter(method: str, progress=None):
    """The method, loaded (with a progress message for the slow first load of Stable Diffusion)."""
    if method not in METHODS:
        raise gr.Error(f"unknown method {method!r}; choose from {', '.join(METHODS)}")
    label = method_class(method).label
    ok, why = method_class(method).available()  # this method's check only, not every method's, on every request
    if not ok:
        raise gr.Error(f"{label} cannot run here: {why}")
    try:
        inp = get_inpainter(method)
        if progress is not None and why:
            progress(0, desc=f"loading {label} ({why})")  # e.g. Stable Diffusion's first download
        inp.load()
        return inp
    except InpaintError:
        raise
    except Exception as e:  # e.g. weights that cannot be downloaded
        raise gr.Error(f"{label} could not be loaded: {one_sentence(e)}") from e


def one_sentence(error: Exception, limit: int = 160) -> str:
    """An exception's first line, cut at a word boundary: a toast is read at a glance."""
    text = (str(error).strip().splitlines() or [type(error).__name__])[0]
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"


def progress_callback(progress):
    return lambda fraction, desc: progress(fraction, desc=desc)


def editor_to_inputs(value) -> tuple[Image.Image, np.ndarray]:
    """The photo and the painted mask (the brush layer's alpha) from gr.ImageEditor's value."""
    if not value or value.get("background") is None:
        raise gr.Error("upload a photo first")
    image = value["background"]
    if image.mode == "RGBA" and np.asarray(image)[..., 3].min() == 255:
        image = image.convert("RGB")  # the editor always hands over RGBA; an opaque photo stays RGB
    return image, painted(value, image.size)


def painted(value, size: tuple[int, int], margin: int = 0) -> np.ndarray:
    """The brush layers' alpha as a mask of ``size``: strokes on the painting copy are scaled to the photo, and
    what was painted on its ``margin``-px frame is cut off (a stroke begun there counts from where it enters)."""
    layers = [layer for layer in (value or {}).get("layers") or [] if layer is not None]
    if not layers:
        raise gr.Error("the mask is empty: paint over the part to fill")
    alpha = np.zeros(layers[0].size[::-1], bool)
    for layer in layers:
        alpha |= np.asarray(layer.convert("RGBA"))[..., 3] > 0
    if margin and min(alpha.shape) > 2 * margin:
        alpha = alpha[margin:-margin, margin:-margin]
    if not alpha.any():
        raise gr.Error("the mask is empty: paint over the part to fill")
    if alpha.shape[::-1] == tuple(size):
        return alpha
    return np.asarray(Image.fromarray(alpha.astype(np.uint8) * 255).resize(size, Image.Resampling.BILINEAR)) >= 128


def painting_copy(photo: str | None):
    """The Inpaint tab's painting copy of a newly chosen photo (a JPEG file), PAINT_SIDE on its long side.

    The browser then encodes only that copy when Inpaint is clicked (a 12 MP canvas takes it many seconds), and
    the brush covers the same share of any photo, small or large; the fill works on the original file, with the
    strokes scaled to it. Refused photos are refused here, on upload, not after painting.
    """
    if not photo:
        return None
    image = run(open_image, photo)
    rgb = image.convert("RGBA") if "A" in image.getbands() or "transparency" in image.info else image.convert("RGB")
    small = PAINT_SIDE < max(image.size)  # small photos are enlarged with sharp pixels, to paint them precisely
    rgb = long_side(rgb, PAINT_SIDE, upscale=True,
                    resample=Image.Resampling.BILINEAR if small else Image.Resampling.NEAREST)
    if rgb.mode == "RGBA":  # transparent pixels shown on white, as in the result view
        rgb = Image.alpha_composite(Image.new("RGBA", rgb.size, "white"), rgb).convert("RGB")
    rgb = ImageOps.expand(rgb, PAINT_MARGIN, fill=(72, 72, 72))  # the frame: see PAINT_MARGIN
    return own_file(rgb, f"{Path(photo).stem}.jpg", format="JPEG", quality=92)


# The copy reaches the editor through a browser-only step: Gradio's front end re-reads (re-exports and re-uploads)
# every component that a server event has ever written to on each status message of any later event, and an
# edited canvas costs it a PNG export each time, which competed with the fill for the CPU.
TO_EDITOR_JS = "(copy) => copy ? {background: copy, layers: [], composite: null} : null"
# For the same reason the Inpaint button hands the editor to the server only through this browser-only step (its
# brush layers, as files): a component that is an input of a server event is re-read from then on as well.
STROKES_JS = "(editor) => [(editor && editor.layers) || []]"  # a returned array is one value per output
PHOTO_AND_STROKES_JS = "(editor) => [editor && editor.background ? [editor.background, ...(editor.layers || [])] : []]"


def editor_files(files, photo: bool) -> dict:
    """An editor value from the files a browser-only step handed over: the photo first when ``photo``, then the
    brush layers."""
    files = list(files or [])
    background = run(open_image, files.pop(0), "photo") if photo and files else None
    return {"background": background, "layers": [run(open_image, path, "brush layer") for path in files]}


def transparent(image: Image.Image) -> np.ndarray | None:
    """Where the photo is fully transparent (the natural canvas to fill), or None for an opaque photo."""
    if "A" not in image.getbands() and "transparency" not in image.info:
        return None
    alpha = np.asarray(image.convert("RGBA"))[..., 3] == 0
    return alpha if alpha.any() else None


OVERLAY_SIDE = 1024  # layout previews are only looked at: a 13 MP canvas would take seconds to encode on every change


def overlay(image: Image.Image, mask) -> Image.Image:
    """The image with the area to fill tinted, for previews, at most OVERLAY_SIDE on its long side."""
    m = np.asarray(mask) > 127 if not isinstance(mask, np.ndarray) or mask.dtype != bool else mask
    image = long_side(image.convert("RGB"), OVERLAY_SIDE)
    m = np.asarray(Image.fromarray(m.astype(np.uint8) * 255).resize(image.size, Image.Resampling.NEAREST))[..., None] > 127
    rgb = np.asarray(image).astype(np.float32)
    tint = np.array([255, 64, 160], np.float32)
    return Image.fromarray(np.where(m, 0.45 * rgb + 0.55 * tint, rgb).astype(np.uint8))


# ---------------------------------------------------------------- Inpaint
def inpaint_ui(photo, editor, method, strategy, grow, feather, detail=True, fill_transparent=True,
               progress=gr.Progress()):
    """The Inpaint button. A refusal (no photo, empty mask, unavailable method, bad file) is a warning toast and
    leaves both panes as they were: a raised error would cover the previous before/after with an error badge.
    ``editor`` is the editor's value, or (from the tab) the files of its brush layers: see STROKES_JS."""
    try:
        return _inpaint(photo, editor, method, strategy, grow, feather, detail, fill_transparent, progress)
    except gr.Error as e:
        gr.Warning(e.message)
        return gr.skip(), None  # no held result: inpaint_download then keeps the result pane as it is


def _inpaint(photo, editor, method, strategy, grow, feather, detail, fill_transparent, progress):
    stages = Stages()
    if isinstance(editor, (list, tuple)):
        editor = editor_files(editor, photo=False)
    stages.lap("editor decode")
    if not photo:
        raise gr.Error("upload a photo first")
    image = run(open_image, photo)
    clear = transparent(image) if fill_transparent else None
    try:
        mask = painted(editor, image.size, PAINT_MARGIN)
    except gr.Error:
        if clear is None:
            raise
        mask = np.zeros(clear.shape, bool)  # nothing painted: fill just the transparent pixels
    if clear is not None:
        mask |= clear
    stages.lap("to image and mask")
    result = run(inpainter(method, progress), image, Image.fromarray(mask), strategy=strategy, grow=int(grow),
                 feather=int(feather), detail=bool(detail), progress=progress_callback(progress))
    stages.lap("fill")
    before_after = (preview_file(image, "before"), preview_file(result, "after"))
    stages.lap("encode previews (JPEG)")
    stages.write()
    # The full PNG is written by inpaint_download, after the previews are shown; what it needs travels in the held
    # state, so that step sends no file inputs (the browser re-sent the photo first, before the previews showed).
    return before_after, {"image": result, "photo": photo, "method": method}


def inpaint_download(held: dict | None) -> str:
    """The full-resolution, lossless result for download and reuse."""
    return result_file(held["image"], held["photo"], held["method"]) if held else gr.skip()


def inpaint_api(image: str, mask: str, method: str = "gan") -> str:
    """/inpaint: image file, mask file (white = fill), method -> the filled image."""
    if image is None or mask is None:
        raise gr.Error("/inpaint needs an image and a mask")
    return result_file(run(inpainter(method or "gan"), image, mask), image, method or "gan")


# ---------------------------------------------------------------- Outpaint
def outpaint_sizes(sides, pixels, aspect):
    if aspect and aspect != "none":
        return dict(aspect=aspect)
    if not sides:
        raise gr.Error("choose at least one side to extend, or an aspect ratio")
    return {side: int(pixels) if side in sides else 0 for side in ("left", "right", "top", "bottom")}


def outpaint_preview(image, sides, pixels, aspect):
    if image is None:
        return None
    try:
        canvas, mask = outpaint_canvas(image, **outpaint_sizes(sides, pixels, aspect))
    except (InpaintError, gr.Error):
        return None
    return overlay(canvas, mask)


def outpaint_ui(image, sides, pixels, aspect, method, progress=gr.Progress()):
    if image is None:
        raise gr.Error("upload a photo first")
    canvas, mask = run(outpaint_canvas, image, **outpaint_sizes(sides, pixels, aspect))
    return result_file(run(inpainter(method, progress), canvas, mask, progress=progress_callback(progress)), image, method)


def outpaint_api(image: str, left: int = 0, right: int = 0, top: int = 0, bottom: int = 0, aspect: str = "none",
                 method: str = "gan") -> str:
    """/outpaint: image file, pixels per side (or an aspect like 16:9), method -> the extended image."""
    sizes = dict(aspect=aspect) if aspect and aspect != "none" else dict(
        left=int(left or 0), right=int(right or 0), top=int(top or 0), bottom=int(bottom or 0))
    canvas, mask = run(outpaint_canvas, image, **sizes)
    return result_file(run(inpainter(method or "gan"), canvas, mask), image, method or "gan")


# ---------------------------------------------------------------- Bridge
def bridge_preview(first, second, layout, gap):
    if first is None or second is None:
        return None
    try:
        canvas, mask = bridge_canvas(first, second, layout, gap)
    except InpaintError:
        return None
    return overlay(canvas, mask)


def bridge_ui(first, second, layout, gap, method, progress=gr.Progress()):
    if first is None or second is None:
        raise gr.Error("upload two photos")
    canvas, mask = run(bridge_canvas, first, second, layout, gap)
    return result_file(run(inpainter(method, progress), canvas, mask, progress=progress_callback(progress)), first, method)


def bridge_api(first: str, second: str, layout: str = "horizontal", gap: float = 0.25, method: str = "gan") -> str:
    """/bridge: two image files, layout (horizontal | diagonal), gap share, method -> one scene."""
    canvas, mask = run(bridge_canvas, first, second, layout or "horizontal", float(gap or 0.25))
    return result_file(run(inpainter(method or "gan"), canvas, mask), first, method or "gan")


# ---------------------------------------------------------------- Compare
def _shrink(image: Image.Image) -> Image.Image:
    return long_side(image.convert("RGB"), COMPARE_MAX_SIDE, resample=Image.Resampling.LANCZOS)


def compare_core(image: Image.Image, mask: np.ndarray | None, difficulty: str, methods, seed: int, progress=None):
    """Every chosen method on the same photo and mask. A preset mask is cut into the complete photo, so the
    hidden pixels are known and quality is measured; a drawn mask is measured against the photo too."""
    if not methods:
        raise gr.Error("choose at least one method")
    if image.width * image.height > MAX_PIXELS:
        raise gr.Error(f"the photo is over the {MAX_PIXELS / 1e6:.1f} MP limit")
    small = _shrink(image)
    if difficulty != "drawn":
        mask = difficulty_mask(small.height, small.width, difficulty, int(seed)).astype(bool)
    else:
        if mask is None or not mask.any():
            raise gr.Error("draw a mask, or pick a preset (easy / medium / hard)")
        mask = np.asarray(Image.fromarray(mask).resize(small.size, Image.Resampling.NEAREST))
    truth = np.asarray(small)
    rows = run(compare, small, Image.fromarray(mask), list(methods), truth=truth, progress=progress)
    gallery = [(overlay(small, mask), "input (mask tinted)")]
    table, summary, notes = [], [], []
    for r in rows:
        if not r["available"]:
            table.append([r["label"]] + ["—"] * 5)
            notes.append(f"{r['label']} did not run: {r['reason']}")
            summary.append({"method": r["method"], "available": False, "reason": r["reason"]})
            continue
        params = f"{r['parameters'] / 1e6:.2f} M" if r["parameters"] else "0 (classical)"
        lp = "—" if r["lpips"] is None else f"{r['lpips']:.4f}"
        gallery.append((r["image"], f"{r['label']} · {r['ms']:.0f} ms · PSNR {r['psnr']:.2f}"))
        table.append([r["label"], f"{r['ms']:.0f}", params, f"{r['psnr']:.2f}", f"{r['ssim']:.4f}", lp])
        summary.append({k: r[k] for k in ("method", "available", "ms", "parameters", "psnr", "ssim", "lpips", "l1_hole",
                                          "accuracy", "lpips_missing") if k in r})
    missing = sorted({r["lpips_missing"] for r in rows if r.get("lpips_missing")})
    notes += [f"{m} (— in the table); the fills are shown all the same." for m in missing]
    table = markdown(["method", "time (ms)", "parameters", "PSNR ↑", "SSIM ↑", "LPIPS ↓"], table)
    return gallery, "\n".join([table] + ([""] + [f"*{n}*  " for n in notes] if notes else [])), summary


def parse_methods(methods: str) -> list[str]:
    """The comma-separated methods of /compare: each once, in order, every one known."""
    names = list(dict.fromkeys(m.strip() for m in (methods or "").split(",") if m.strip()))
    unknown = [m for m in names if m not in METHODS]
    if unknown:
        raise gr.Error(f"unknown method(s) {', '.join(map(repr, unknown[:5]))}; choose from {', '.join(METHODS)}")
    return names


def compare_ui(editor, difficulty, methods, seed, progress=gr.Progress()):
    """The Compare button; ``editor`` is the editor's value, or (from the tab) its files: see PHOTO_AND_STROKES_JS."""
    if isinstance(editor, (list, tuple)):
        editor = editor_files(editor, photo=True)
    if not editor or editor.get("background") is None:
        raise gr.Error("upload a photo first")
    mask = None
    if difficulty == "drawn":
        _, mask = editor_to_inputs(editor)
    gallery, table, _ = compare_core(editor["background"], mask, difficulty, methods, seed, progress_callback(progress))
    return gallery, table


def compare_api(image: str, mask: str | None = None, difficulty: str = "medium", methods: str = "gan,telea,ns",
                seed: int = 0):
    """/compare: image file, optional mask file (used when difficulty is 'drawn'), preset difficulty,
    comma-separated methods, seed -> gallery of results and a JSON summary per method."""
    if not image:
        raise gr.Error("/compare needs an image")
    im = run(open_image, image).convert("RGB")
    m = run(open_mask, mask, im.size) if difficulty == "drawn" else None
    gallery, _, summary = compare_core(im, m, difficulty or "medium", parse_methods(methods), int(seed or 0))
    return gallery, summary


# ---------------------------------------------------------------- About
ABOUT_EVAL = ROOT / "assets" / "about" / "eval_xsrc_256.json"  # what the About tab shows: photos from other sources


def about_markdown() -> str:
    """Short: what each method is and whether it runs here, one table of the latest measurements, where to read more."""
    parts = ["# About ganpaint",
             "A small GAN for filling holes in landscape photos, side by side with classical and diffusion methods, all "
             "through one `Inpainter` interface. White in a mask means *fill*; pixels outside the mask come back "
             f"unchanged. Photos up to {MAX_PIXELS:,} pixels (4096×4096).", "## Methods"]
    for name, (ok, why) in availability().items():
        state = "ready" + (f" ({why})" if why else "") if ok else f"**unavailable**: {why}"
        parts.append(f"- **{method_class(name).label}** (`{name}`): {METHOD_NOTES.get(name, '')} — {state}")
    parts.append(about_table())
    parts.append("More in the model cards (`weights/gan/README.md`, `weights/diffusion/README.md`) and the README: "
                 "training, ablations, every table and grid.")
    return "\n\n".join(p for p in parts if p)


METHOD_NOTES = {
    "gan": "a 3.6 M-parameter U-Net GAN for the structure, with texture taken from the photo's own pixels",
    "patchmatch": "PatchMatch (Barnes et al. 2009): copies patches of the photo into the hole",
    "telea": "OpenCV's fast marching method (Telea 2004): smooth, for thin strokes",
    "ns": "OpenCV's Navier-Stokes inpainting: smooth, for thin strokes",
    "diffusion": "a small diffusion model trained here from scratch, on the same data and compute as the GAN",
    "sd": "pretrained Stable Diffusion 1.5 inpainting (about 1 B parameters; slow on a CPU)",
}


def about_table() -> str:
    """LPIPS / PSNR per method and task from the latest evaluation on val_xsrc, or nothing if it is missing."""
    if not ABOUT_EVAL.is_file():
        return ""
    rows = json.loads(ABOUT_EVAL.read_text())["results"]
    cols = [(r.get("task", "inpaint"), r["difficulty"]) for r in rows]
    cols = list(dict.fromkeys(cols))
    methods = list(dict.fromkeys(r["method"] for r in rows))
    cell = {(r["method"], r.get("task", "inpaint"), r["difficulty"]): r for r in rows}
    names = [d if t == "inpaint" else t for t, d in cols]
    table = [[m] + [f"{v['lpips']:.3f} / {v['psnr']:.1f}" if v else "–" for v in (cell.get((m, t, d)) for t, d in cols)]
             for m in methods]
    return (f"## How they compare\n\nLPIPS ↓ / PSNR ↑ on {rows[0]['n']} photos from sources never trained on "
            "(`val_xsrc`, 256², the same seeded masks for every method):\n\n" + markdown(["method"] + names, table))


def about_images():
    """The plots and grids that exist, largest first, shown one per row so they can be read."""
    files = [ROOT / "weights" / "gan" / "training_curve.png"] + sorted((ROOT / "assets" / "about" / "grids_xsrc_256").glob("*.jpg"))
    return [(str(p), p.stem.replace("_", " ")) for p in files if p.is_file()]


# ---------------------------------------------------------------- Layout
def inpaint_tab(choices):
    """The Inpaint tab: a photo, a painting copy of it in the editor, the fill of the original."""
    with gr.Tab("Inpaint", id="inpaint"):
        with gr.Row():
            with gr.Column():
                photo = gr.Image(type="filepath", image_mode=None, label="1. photo (any size up to 4096×4096)",
                                 elem_id="inpaint_photo", height=160, sources=["upload", "clipboard"])
                # The label as text above the editor: on a phone the editor's own label hides under its zoom toolbar.
                gr.Markdown("**2. paint the area to fill**", elem_id="inpaint_editor_label")
                editor = gr.ImageEditor(
                    type="pil", image_mode="RGBA", layers=False, label="2. paint the area to fill", show_label=False,
                    brush=gr.Brush(colors=["#ffffff"], color_mode="fixed", default_size=24),
                    eraser=gr.Eraser(default_size=24), transforms=(), elem_id="inpaint_editor", height=EDITOR_HEIGHT,
                    sources=(), format="png",
                )
                method = gr.Dropdown(choices, value="gan", label="method")
                # Folded: on a phone the result then sits right under the button, not a screen further down.
                with gr.Accordion("options", open=False, elem_id="inpaint_options"), gr.Row():
                    strategy = gr.Dropdown(list(STRATEGIES), value="auto", label="large-image strategy", min_width=280,
                                           info="auto: whole image up to the method's working size (GAN: 1.5× its training crop), else crop around each region")
                    grow = gr.Slider(0, 32, 0, step=1, label="grow mask (px)")
                    feather = gr.Slider(0, 32, 0, step=1, label="feather (px)")
                    detail = gr.Checkbox(True, label="fine detail", elem_id="inpaint_detail",
                                         info="texture from the photo's own pixels on the network's fill (off: the bare network fill)")
                    fill_clear = gr.Checkbox(True, label="fill transparent pixels", elem_id="inpaint_transparent",
                                             info="a photo with transparent areas: fill them too (off: they stay transparent)")
                inpaint_btn = gr.Button("Inpaint", variant="primary", elem_id="inpaint_button")
            with gr.Column():
                before_after = gr.ImageSlider(label="before / after (preview; download the result below)", type="filepath",
                                              elem_id="inpaint_slider", buttons=["fullscreen"])
                result = gr.Image(type="filepath", label="result", elem_id="inpaint_result", format="png", interactive=False,
                                  buttons=["download"])
                reuse = gr.Button("Use as input", elem_id="inpaint_reuse")
        if EXAMPLES:
            gr.Examples(EXAMPLES, inputs=photo, label="examples (click, then paint)")
        copy = gr.Image(type="filepath", visible=False, elem_id="inpaint_copy")
        photo.change(painting_copy, photo, copy, api_visibility="undocumented")
        copy.change(None, copy, editor, js=TO_EDITOR_JS)
        filled = gr.State()
        strokes = gr.File(file_count="multiple", visible=False, elem_id="inpaint_strokes")
        inpaint_btn.click(None, editor, strokes, js=STROKES_JS).then(
            inpaint_ui, [photo, strokes, method, strategy, grow, feather, detail, fill_clear], [before_after, filled],
            api_visibility="undocumented").success(
            inpaint_download, filled, result, api_visibility="undocumented")
        reuse.click(lambda r: r, result, photo, api_visibility="undocumented")


def outpaint_tab(choices):
    """The Outpaint tab: extend a photo past its borders, with a live layout preview."""
    with gr.Tab("Outpaint", id="outpaint"):
        with gr.Row():
            with gr.Column():
                out_in = gr.Image(type="filepath", image_mode=None, label="photo", elem_id="outpaint_input")
                sides = gr.CheckboxGroup(["left", "right", "top", "bottom"], value=["left", "right"], label="extend")
                pixels = gr.Slider(16, 1024, 256, step=16, label="pixels per side")
                aspect = gr.Dropdown(ASPECTS, value="none", label="or extend to aspect ratio")
                out_method = gr.Dropdown(choices, value="gan", label="method")
                out_btn = gr.Button("Outpaint", variant="primary")
            with gr.Column():
                out_preview = gr.Image(label="canvas preview (tinted = new)", interactive=False)
                out_result = gr.Image(type="filepath", label="result", format="png", buttons=["download"], interactive=False)
                out_reuse = gr.Button("Use as input (grow a panorama)")
        if EXAMPLES:
            gr.Examples(EXAMPLES, inputs=out_in)
        aspect.change(lambda a: [gr.update(interactive=a == "none")] * 2, aspect, [sides, pixels], queue=False,
                      api_visibility="private")  # an aspect ratio decides the sides and pixels itself
        for trigger in (out_in.change, sides.change, pixels.change, aspect.change):
            trigger(outpaint_preview, [out_in, sides, pixels, aspect], out_preview, api_visibility="private",
                    queue=False)
        out_btn.click(outpaint_ui, [out_in, sides, pixels, aspect, out_method], out_result, api_visibility="undocumented")
        out_reuse.click(lambda r: r, out_result, out_in, api_visibility="undocumented")


def bridge_tab(choices):
    """The Bridge tab: two photos joined by a filled gap."""
    with gr.Tab("Bridge", id="bridge"):
        with gr.Row():
            # Paths, decoded by ganpaint's own reader: only photo formats, clear messages, size checked first.
            first = gr.Image(type="filepath", image_mode=None, label="first photo (left / top-left)")
            second = gr.Image(type="filepath", image_mode=None, label="second photo (right / bottom-right)")
        with gr.Row():
            layout = gr.Radio(["horizontal", "diagonal"], value="horizontal", label="layout")
            gap = gr.Slider(0.05, 0.6, 0.25, step=0.05, label="gap (share of width, horizontal)")
            br_method = gr.Dropdown(choices, value="gan", label="method")
        br_btn = gr.Button("Bridge", variant="primary")
        with gr.Row():
            br_preview = gr.Image(label="layout preview (tinted = filled)", interactive=False)
            br_result = gr.Image(type="filepath", label="scene", format="png", buttons=["download"], interactive=False)
        if len(EXAMPLES) >= 2:
            gr.Examples([[EXAMPLES[0], EXAMPLES[1]], [EXAMPLES[2], EXAMPLES[3]]], inputs=[first, second])
        for trigger in (first.change, second.change, layout.change, gap.change):
            trigger(bridge_preview, [first, second, layout, gap], br_preview, api_visibility="private", queue=False)
        br_btn.click(bridge_ui, [first, second, layout, gap, br_method], br_result, api_visibility="undocumented")


def compare_tab(choices):
    """The Compare tab: every chosen method on the same photo and mask, timed and measured."""
    with gr.Tab("Compare", id="compare"):
        with gr.Row():
            with gr.Column():
                gr.Markdown("**photo** (draw a mask, or use a preset)", elem_id="compare_editor_label")
                cmp_editor = gr.ImageEditor(
                    type="pil", image_mode="RGBA", layers=False, label="photo (draw a mask, or use a preset)", show_label=False,
                    brush=gr.Brush(colors=["#ffffff"], color_mode="fixed", default_size=40), transforms=(),
                    elem_id="compare_editor", height=420, format="png",
                )
                difficulty = gr.Radio(["drawn"] + list(DIFFICULTY), value="medium", label="mask",
                                      info="presets cut a seeded free-form hole into the complete photo")
                seed = gr.Number(0, precision=0, label="mask seed")
                methods = gr.CheckboxGroup(choices, value=[m for m in METHODS if m != "sd"], label="methods",
                                           info="Stable Diffusion downloads about 2 GB on first use")
                cmp_btn = gr.Button("Compare", variant="primary")
            with gr.Column():
                gallery = gr.Gallery(label="results", columns=3, height=520, object_fit="contain", elem_id="compare_gallery")
                table = gr.Markdown()
        cmp_photo = gr.Image(type="filepath", visible=False, elem_id="compare_photo")  # examples reach the editor via it
        if EXAMPLES:
            gr.Examples(EXAMPLES, inputs=cmp_photo)
        cmp_photo.change(None, cmp_photo, cmp_editor, js=TO_EDITOR_JS)
        cmp_files = gr.File(file_count="multiple", visible=False, elem_id="compare_files")
        cmp_btn.click(None, cmp_editor, cmp_files, js=PHOTO_AND_STROKES_JS).then(
            compare_ui, [cmp_files, difficulty, methods, seed], [gallery, table], api_visibility="undocumented")


def about_tab():
    """The About tab: short, with the latest measurements."""
    with gr.Tab("About", id="about"):
        gr.Markdown(about_markdown(), elem_id="about_text")
        images = about_images()
        if images:
            gr.Gallery(images, label="training curve and val_xsrc grids (masked input | methods | truth)", columns=1,
                       height="auto", object_fit="contain", elem_id="about_gallery")


def api_endpoints():
    """API endpoints with stable names and plain file inputs (no editor format), on hidden components."""
    with gr.Column(visible=False):
        files = [gr.File(type="filepath", label=n) for n in ("image", "mask_or_second")]
        text = [gr.Textbox(label=n) for n in ("method", "aspect", "layout", "difficulty", "methods")]
        nums = [gr.Number(label=n) for n in ("left", "right", "top", "bottom", "gap", "seed")]
        api_image = gr.Image(type="filepath", format="png", label="result")
        api_gallery, api_json = gr.Gallery(label="results"), gr.JSON(label="summary")
        hidden = gr.Button()
    image_file, second_file = files
    method_t, aspect_t, layout_t, difficulty_t, methods_t = text
    left_n, right_n, top_n, bottom_n, gap_n, seed_n = nums
    hidden.click(inpaint_api, [image_file, second_file, method_t], api_image, api_name="inpaint")
    hidden.click(outpaint_api, [image_file, left_n, right_n, top_n, bottom_n, aspect_t, method_t], api_image,
                 api_name="outpaint")
    hidden.click(bridge_api, [image_file, second_file, layout_t, gap_n, method_t], api_image, api_name="bridge")
    hidden.click(compare_api, [image_file, second_file, difficulty_t, methods_t, seed_n], [api_gallery, api_json],
                 api_name="compare")


def build() -> gr.Blocks:
    choices = method_choices()
    with gr.Blocks(title="ganpaint") as demo:
        gr.Markdown("# ganpaint — fill, extend and bridge landscape photos\nPaint over what to replace; "
                    "the GAN fills it in milliseconds on a CPU. Compare it with diffusion and OpenCV in the last tabs.")
        inpaint_tab(choices)
        outpaint_tab(choices)
        bridge_tab(choices)
        compare_tab(choices)
        about_tab()
        api_endpoints()
    return demo


demo = build()
demo.queue(default_concurrency_limit=2, max_size=32)

if __name__ == "__main__":
    demo.launch(max_file_size="50mb", theme=gr.themes.Soft())
