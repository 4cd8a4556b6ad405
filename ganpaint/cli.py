"""The ``ganpaint`` command line.

    ganpaint inpaint  --image photo.jpg|DIR --mask mask.png|DIR --out DIR [--method gan]
    ganpaint outpaint --image photo.jpg|DIR --out DIR (--left N --right N --top N --bottom N | --aspect 16:9)
    ganpaint bridge   --first a.jpg --second b.jpg --out DIR [--layout horizontal|diagonal] [--gap 0.25]
    ganpaint methods  (which methods can run here)

A folder of masks pairs with a folder of images by file name (extension aside);
every output keeps its input's file name.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from PIL import Image
from tqdm import tqdm

from .compose import bridge, outpaint
from .data import IMAGE_EXTENSIONS
from .inputs import InpaintError
from . import timing
from .inpainters import METHODS, STRATEGIES, availability, get_inpainter, method_class
from .outputs import write_png


def _files(path: Path) -> list[Path]:
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS | {".tif", ".tiff", ".bmp"})
        if not files:
            raise InpaintError(f"no images in {path}")
        return files
    if not path.exists():
        raise InpaintError(f"not found: {path}")
    return [path]


def pair_masks(images: list[Path], mask_arg: Path) -> list[tuple[Path, Path]]:
    """Each image with its mask: the same file name, or the same name with another extension."""
    if not mask_arg.is_dir():
        if len(images) != 1:
            raise InpaintError("several images need a folder of masks (paired by file name)")
        return [(images[0], mask_arg)]
    masks = {p.name: p for p in _files(mask_arg)}
    by_stem = {p.stem: p for p in masks.values()}
    pairs, missing = [], []
    for im in images:
        m = masks.get(im.name) or by_stem.get(im.stem)
        (pairs.append((im, m)) if m else missing.append(im.name))
    if missing:
        raise InpaintError(f"no mask in {mask_arg} for: {', '.join(missing[:10])}{' ...' if len(missing) > 10 else ''}")
    return pairs


FORMATS = {"png": ".png", "jpg": ".jpg", "webp": ".webp"}
LOSSY_NOTE = ("JPEG is lossy: every pixel, outside the mask too, changes slightly on saving; "
              "--format png (or webp, lossless unless --quality is given) keeps them byte-identical")


def out_path(out: Path, source: Path, fmt: str) -> Path:
    """The output keeps the input's file name; another --format changes only the extension."""
    return out / (source.name if fmt == "same" else source.stem + FORMATS[fmt])


def save(image, path: Path, quality: int | None = None):
    """Write losslessly where the format allows: PNG, TIFF, BMP, and WebP unless a quality is asked for."""
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix.lower()
    tmp = path.with_name(f".{path.name}.part")  # a crash mid-write never leaves a truncated result
    if suffix in (".jpg", ".jpeg"):
        if image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        image.save(tmp, format="JPEG", quality=quality or 95, subsampling=0)
    elif suffix == ".webp":
        image.save(tmp, format="WEBP", **({"quality": quality} if quality else {"lossless": True, "exact": True}))
    elif suffix == ".png":
        write_png(image, tmp)  # fpng: a fraction of Pillow's time, for a somewhat larger file
    else:
        image.save(tmp, format=Image.registered_extensions().get(suffix, "PNG"))
    tmp.replace(path)


def check_outputs(pairs: list[tuple[Path, Path]], inputs: list[Path], overwrite: bool):
    """Refuse to write over an input file (an image or a mask) unless --overwrite."""
    taken = {p.resolve() for p in inputs}
    clash = [out.name for _, out in pairs if out.resolve() in taken]
    if clash and not overwrite:
        raise InpaintError(f"the output would overwrite input file(s) {', '.join(clash[:5])}; "
                           "choose another --out folder or pass --overwrite")


def run_batch(jobs: list[tuple[Path, Path]], work, desc: str, args) -> int:
    """Fill each (input, output) pair; a file that fails is reported and the rest go on. Returns the failures."""
    failures, lossy = [], False
    with timing.record() as stages:
        for source, out in tqdm(jobs, desc=desc, disable=len(jobs) == 1):
            try:
                result = work(source)
                with timing.stage("write"):
                    save(result, out, args.quality)
                lossy |= out.suffix.lower() in (".jpg", ".jpeg")
            except InpaintError as e:
                failures.append(f"{source.name}: {e}")
    print(f"wrote {len(jobs) - len(failures)} image(s) to {args.out}")
    if getattr(args, "timing", False):
        print(timing.table(stages, max(1, len(jobs) - len(failures))), file=sys.stderr)
    if lossy:
        print(f"note: {LOSSY_NOTE}", file=sys.stderr)
    if failures:
        print(f"{len(failures)} failed:\n  " + "\n  ".join(failures), file=sys.stderr)
    return len(failures)


def _inpainter(args):
    if args.method == "gan" and args.weights:
        return get_inpainter("gan", weights=args.weights)
    ok, why = method_class(args.method).available()  # this method's only: asking Stable Diffusion imports diffusers (2.5 s)
    if not ok:
        raise InpaintError(f"method {args.method!r} cannot run here: {why}")
    return get_inpainter(args.method)


def _jobs(sources: list[Path], args, also_inputs: list[Path] = ()) -> list[tuple[Path, Path]]:
    jobs = [(src, out_path(Path(args.out), src, args.format)) for src in sources]
    check_outputs(jobs, list(sources) + list(also_inputs), args.overwrite)
    return jobs


def cmd_inpaint(args):
    pairs = pair_masks(_files(Path(args.image)), Path(args.mask))
    masks = dict(pairs)
    jobs = _jobs([image for image, _ in pairs], args, list(masks.values()))
    inpainter = _inpainter(args)
    return run_batch(jobs, lambda image: inpainter(image, masks[image], strategy=args.strategy, detail=args.detail),
                     "inpaint", args)


def cmd_outpaint(args):
    jobs = _jobs(_files(Path(args.image)), args)
    inpainter = _inpainter(args)
    return run_batch(jobs, lambda image: outpaint(inpainter, image, args.left, args.right, args.top, args.bottom,
                                                  aspect=args.aspect, strategy=args.strategy, detail=args.detail),
                     "outpaint", args)


def cmd_bridge(args):
    jobs = _jobs([Path(args.first)], args, [Path(args.second)])
    inpainter = _inpainter(args)
    return run_batch(jobs, lambda first: bridge(inpainter, first, args.second, layout=args.layout, gap=args.gap,
                                                strategy=args.strategy, detail=args.detail), "bridge", args)


def cmd_methods(args):
    for name, (ok, why) in availability().items():
        print(f"{name:10s} {'ready' if ok else 'unavailable'}{': ' + why if why else ''}")


def main(argv=None):
    p = argparse.ArgumentParser(prog="ganpaint", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)

    def common(sp):
        sp.add_argument("--out", required=True, help="output folder; outputs keep the input's file name")
        sp.add_argument("--method", default="gan", choices=list(METHODS))
        sp.add_argument("--weights", default=None, help="GAN weights folder or Hub repo id (default: weights/gan)")
        sp.add_argument("--strategy", default="auto", choices=STRATEGIES, help="large-image strategy")
        sp.add_argument("--detail", action=argparse.BooleanOptionalAction, default=True,
                        help="texture from the photo's known pixels for the GAN's fill and any upscaled fill "
                             "(--no-detail: the bare network fill)")
        sp.add_argument("--format", default="same", choices=["same", *FORMATS],
                        help="output format; 'same' keeps the input's file name and format. PNG, TIFF, BMP and "
                             f"WebP are written losslessly; {LOSSY_NOTE}")
        sp.add_argument("--quality", type=int, default=None, choices=range(1, 101), metavar="1-100",
                        help="JPEG quality (default 95, 4:4:4 chroma), or lossy WebP at this quality")
        sp.add_argument("--overwrite", action="store_true", help="allow an output to replace an input file")
        sp.add_argument("--timing", action="store_true",
                        help="print where each photo's time went (open, fill, texture stage's steps, write)")

    sp = sub.add_parser("inpaint", help="fill the white part of each mask")
    sp.add_argument("--image", required=True, help="an image or a folder of images")
    sp.add_argument("--mask", required=True, help="a mask or a folder of masks with the same file names")
    common(sp)
    sp.set_defaults(func=cmd_inpaint)

    sp = sub.add_parser("outpaint", help="extend images past their borders")
    sp.add_argument("--image", required=True, help="an image or a folder of images")
    for side in ("left", "right", "top", "bottom"):
        sp.add_argument(f"--{side}", type=int, default=0, help=f"pixels to add on the {side}")
    sp.add_argument("--aspect", default=None, help="extend evenly to this aspect ratio instead, e.g. 16:9")
    common(sp)
    sp.set_defaults(func=cmd_outpaint)

    sp = sub.add_parser("bridge", help="join two photos into one scene")
    sp.add_argument("--first", required=True)
    sp.add_argument("--second", required=True)
    sp.add_argument("--layout", default="horizontal", choices=["horizontal", "diagonal"])
    sp.add_argument("--gap", type=float, default=0.25, help="horizontal: share of the canvas width to fill")
    common(sp)
    sp.set_defaults(func=cmd_bridge)

    sp = sub.add_parser("methods", help="list the methods and whether they can run here")
    sp.set_defaults(func=cmd_methods)

    args = p.parse_args(argv)
    try:
        failed = args.func(args)
    except InpaintError as e:
        sys.exit(f"ganpaint: {e}")
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
