import io
import json
import platform
import shutil
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from ganpaint import InpaintError, MAX_PIXELS, get_inpainter
from ganpaint.compose import aspect_padding, bridge, bridge_canvas, outpaint, outpaint_canvas
from ganpaint.inpainters.base import region_boxes
from ganpaint.inpainters.gan import GANInpainter

MODES = ["RGB", "RGBA", "L", "LA", "I;16", "I", "F", "P", "1", "CMYK"]


def make_image(mode: str, w: int, h: int, seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    if mode == "I;16":
        return Image.fromarray(rng.integers(0, 65536, (h, w), dtype=np.uint16))
    if mode == "I":
        return Image.fromarray(rng.integers(0, 65536, (h, w)).astype(np.int32))
    if mode == "F":
        return Image.fromarray(rng.random((h, w)).astype(np.float32))
    rgba = Image.fromarray(rng.integers(0, 256, (h, w, 4), dtype=np.uint8), "RGBA")
    return rgba.convert(mode)


@pytest.fixture(scope="module")
def gan(tiny_weights):
    return GANInpainter(str(tiny_weights))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    mode=st.sampled_from(MODES),
    w=st.integers(1, 150), h=st.integers(1, 150), seed=st.integers(0, 10**6),
    method=st.sampled_from(["gan", "telea"]), strategy=st.sampled_from(["auto", "full", "crop", "resize"]),
)
def test_pixels_outside_the_mask_are_unchanged(gan, mode, w, h, seed, method, strategy):
    image = make_image(mode, w, h, seed)
    rng = np.random.default_rng(seed + 1)
    mask = rng.random((h, w)) < rng.uniform(0.05, 0.6)
    mask[rng.integers(h), rng.integers(w)] = True
    inpainter = gan if method == "gan" else get_inpainter("telea")
    old, inpainter.max_side = inpainter.max_side, 64  # force the crop/resize paths to actually downscale
    try:
        out = inpainter(image, Image.fromarray(mask.astype(np.uint8) * 255), strategy=strategy)
    finally:
        inpainter.max_side = old
    expected_mode = {"P": "RGB", "1": "L", "CMYK": "RGB"}.get(mode, mode)
    ref = image if mode == expected_mode else image.convert(expected_mode)
    assert out.size == image.size and out.mode == expected_mode
    a, b = np.asarray(out), np.asarray(ref)
    assert a.dtype == b.dtype
    assert np.array_equal(a[~mask], b[~mask])
    assert isinstance(out, Image.Image) and out is not image


def test_exif_rotated_input_comes_back_upright():
    img = Image.fromarray(np.random.default_rng(0).integers(0, 256, (40, 60, 3), dtype=np.uint8))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees on display
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif.tobytes())
    upright = Image.open(io.BytesIO(buf.getvalue()))
    mask = np.zeros((60, 40), np.uint8)  # the displayed image is 40 wide, 60 tall
    mask[10:20, 10:20] = 255
    out = get_inpainter("telea")(buf.getvalue(), mask)
    assert out.size == (40, 60)
    from PIL import ImageOps
    ref = np.asarray(ImageOps.exif_transpose(upright))
    assert np.array_equal(np.asarray(out)[mask == 0], ref[mask == 0])


def test_input_is_not_modified(gan):
    img = Image.fromarray(np.full((32, 32, 3), 100, np.uint8))
    before = np.asarray(img).copy()
    mask = np.zeros((32, 32), np.uint8)
    mask[8:16] = 255
    gan(img, mask)
    assert np.array_equal(np.asarray(img), before)


def test_the_hole_is_actually_filled():
    img = np.zeros((64, 64, 3), np.uint8)
    img[:, :] = (200, 100, 50)
    img[20:40, 20:40] = 0
    mask = np.zeros((64, 64), np.uint8)
    mask[20:40, 20:40] = 255
    out = np.asarray(get_inpainter("telea")(img, mask))
    assert np.abs(out[25:35, 25:35].astype(int) - (200, 100, 50)).max() < 10


def test_painted_layer_alpha_is_the_mask():
    img = np.full((32, 32, 3), 80, np.uint8)
    layer = np.zeros((32, 32, 4), np.uint8)
    layer[5:10, 5:10] = 255  # white, opaque stroke on a transparent layer
    out = np.asarray(get_inpainter("telea")(img, Image.fromarray(layer, "RGBA")))
    assert np.array_equal(out[12:], img[12:])


@pytest.mark.parametrize("image, mask, message", [
    (np.zeros((32, 32, 3), np.uint8), np.zeros((32, 32), np.uint8), "mask is empty"),
    (np.zeros((32, 32, 3), np.uint8), np.ones((16, 32), np.uint8) * 255, "must match"),
    (b"this is not an image", np.ones((32, 32), np.uint8), "not a readable image"),
    ("/no/such/file.png", np.ones((32, 32), np.uint8), "not found"),
    (None, np.ones((32, 32), np.uint8), "no image"),
    (np.zeros((32, 32, 3), np.uint8), b"garbage", "mask is not a readable image"),
])
def test_bad_input_gets_a_clear_error(image, mask, message):
    with pytest.raises(InpaintError, match=message):
        get_inpainter("telea")(image, mask)


def test_huge_images_are_refused(tmp_path):
    big = Image.new("L", (5000, 4000))
    with pytest.raises(InpaintError, match="limit"):
        get_inpainter("telea")(big, Image.new("L", (5000, 4000), 255))
    path = tmp_path / "big.png"
    big.save(path)
    with pytest.raises(InpaintError, match="5000x4000 = 20,000,000 pixels"):
        get_inpainter("telea")(path, np.ones((10, 10), np.uint8))
    assert 5000 * 4000 > MAX_PIXELS
    with pytest.raises(InpaintError, match="16,781,312 pixels; the limit is 16,777,216 pixels"):  # one column over
        get_inpainter("telea")(Image.new("L", (4097, 4096)), np.ones((10, 10), np.uint8))


def test_a_decompression_bomb_is_refused_from_its_header(tmp_path):
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    # A 20000x20000 PNG header with a tiny (invalid) body: refused before any pixel is decoded.
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 20000, 20000, 8, 0, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(b"\0" * 100)) + chunk(b"IEND", b"")
    path = tmp_path / "bomb.png"
    path.write_bytes(png)
    for src in (path, png):
        with pytest.raises(InpaintError, match="400,000,000 pixels; the limit is 16,777,216"):
            get_inpainter("telea")(src, np.ones((10, 10), np.uint8))


def test_unknown_strategy():
    with pytest.raises(InpaintError, match="strategy"):
        get_inpainter("telea")(np.zeros((8, 8, 3), np.uint8), np.ones((8, 8), np.uint8) * 255, strategy="tile")


def test_region_boxes_merge_and_cover():
    hole = np.zeros((400, 400), bool)
    hole[10:20, 10:20] = hole[30:40, 30:40] = hole[300:350, 300:320] = True
    boxes = region_boxes(hole, margin=16)
    assert len(boxes) == 2
    covered = np.zeros_like(hole)
    for x0, y0, x1, y1 in boxes:
        assert not covered[y0:y1, x0:x1].any()  # disjoint
        covered[y0:y1, x0:x1] = True
    assert covered[hole].all()


def test_region_boxes_stay_fast_on_salt_noise():
    import time

    rng = np.random.default_rng(0)
    hole = rng.random((1536, 1536)) < 0.01  # ~23 000 separate dots: the old merge loop took minutes
    hole[100:140, 900:960] = True
    t = time.perf_counter()
    boxes = region_boxes(hole, margin=128)
    assert time.perf_counter() - t < 2
    covered = np.zeros(hole.shape, int)
    for x0, y0, x1, y1 in boxes:
        covered[y0:y1, x0:x1] += 1
    assert covered.max() == 1 and covered[hole].all()
    sparse = np.zeros((2000, 2000), bool)
    sparse[::300, ::300] = True  # far-apart dots keep their own boxes
    assert len(region_boxes(sparse, margin=64)) == 49


def test_region_boxes_on_a_12_mp_photo_are_grouped_on_cells_and_still_cover_with_their_margin():
    from ganpaint.inpainters.base import COARSE_BOXES_CELL

    hole = np.zeros((3000, 4000), bool)
    hole[1403:1597, 1201:2799] = True  # a stroke
    hole[97:131, 3503:3551] = True  # a far dot
    hole[1650:1660, 1300:1310] = True  # a dot close to the stroke: grouped with it
    margin, f = 128, COARSE_BOXES_CELL
    boxes = region_boxes(hole, margin)
    assert len(boxes) == 2
    covered = np.zeros(hole.shape, int)
    for x0, y0, x1, y1 in boxes:
        covered[y0:y1, x0:x1] += 1
        ys, xs = np.nonzero(hole[y0:y1, x0:x1])
        # every side has the margin of context (or the photo's edge), and at most 2 cells more
        assert margin <= xs.min() <= margin + 2 * f or x0 == 0
        assert margin <= ys.min() <= margin + 2 * f or y0 == 0
        assert margin <= (x1 - x0) - 1 - xs.max() <= margin + 2 * f or x1 == hole.shape[1]
        assert margin <= (y1 - y0) - 1 - ys.max() <= margin + 2 * f or y1 == hole.shape[0]
    assert covered.max() == 1 and covered[hole].all()


def test_crop_strategy_runs_the_model_only_near_the_hole():
    seen = []

    class Spy(type(get_inpainter("telea"))):
        def forward(self, image, mask, **options):
            seen.append(image.shape)
            return super().forward(image, mask)

    img = np.random.default_rng(0).integers(0, 256, (1000, 1200, 3), dtype=np.uint8)
    mask = np.zeros((1000, 1200), np.uint8)
    mask[100:150, 100:150] = mask[800:820, 900:1000] = 255
    inp = Spy()
    inp.max_side = 512
    inp(img, mask, strategy="auto")
    # margin 128 around each region, clipped at the image border
    assert sorted(seen) == sorted([(150 + 128, 150 + 128, 3), (20 + 256, 100 + 256, 3)])


def test_gan_fills_large_photos_at_its_training_scale(tiny_weights, tmp_path):
    """The generator runs at most at 1.5x its training crop; a bigger photo's region is filled downscaled."""
    seen = []

    class Spy(GANInpainter):
        def forward(self, image, mask, **options):
            seen.append(image.shape[:2])
            return super().forward(image, mask)

    assert Spy(str(tiny_weights)).max_side == 256  # no training.json: the committed recipe's scale
    weights = tmp_path / "w"
    shutil.copytree(tiny_weights, weights)
    (weights / "training.json").write_text(json.dumps({"size": 256}))
    inp = Spy(str(weights))
    assert inp.max_side == 384 and Spy(str(weights), max_side=300).max_side == 300
    img = np.random.default_rng(0).integers(0, 256, (700, 1000, 3), dtype=np.uint8)
    mask = np.zeros((700, 1000), np.uint8)
    mask[100:600, 100:900] = 255
    out = np.asarray(inp(img, mask))
    assert seen == [(272, 384)]  # the whole photo is one region: 1000x700 -> 384x269, padded to 16
    assert np.array_equal(out[mask == 0], img[mask == 0]) and not np.array_equal(out[mask > 0], img[mask > 0])


def test_outpaint_and_aspect():
    img = Image.fromarray(np.random.default_rng(0).integers(0, 256, (100, 120, 3), dtype=np.uint8))
    canvas, mask = outpaint_canvas(img, left=10, bottom=20)
    assert canvas.size == (130, 120) and np.asarray(mask)[:100, 10:].max() == 0 and np.asarray(mask)[:, :10].min() == 255
    assert aspect_padding(120, 100, "16:9") == (29, 29, 0, 0)
    assert aspect_padding(120, 100, "1:1") == (0, 0, 10, 10)
    out = outpaint(get_inpainter("telea"), img, aspect="2:1")
    assert out.size == (200, 100) and np.array_equal(np.asarray(out)[:, 40:160], np.asarray(img))
    with pytest.raises(InpaintError, match="nothing to extend"):
        outpaint_canvas(img)
    with pytest.raises(InpaintError, match="aspect"):
        outpaint_canvas(img, aspect="wide")


def test_bridge_layouts_keep_both_photos():
    rng = np.random.default_rng(0)
    a = Image.fromarray(rng.integers(0, 256, (100, 150, 3), dtype=np.uint8))
    b = Image.fromarray(rng.integers(0, 256, (100, 120, 3), dtype=np.uint8))
    canvas, mask = bridge_canvas(a, b, "horizontal", gap=0.2)
    m = np.asarray(mask)
    assert canvas.size[1] == 100 and m[:, :150].max() == 0 and m[:, -120:].max() == 0
    assert abs(m[0].mean() / 255 - 0.2) < 0.02
    out = bridge(get_inpainter("telea"), a, b, "diagonal")
    assert out.size == (300, 200)
    assert np.array_equal(np.asarray(out)[:100, :150], np.asarray(a))
    with pytest.raises(InpaintError):
        bridge_canvas(a, b, "vertical")


def test_grow_and_feather_stay_inside_the_grown_mask():
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
    mask = np.zeros((64, 64), np.uint8)
    mask[20:40, 20:40] = 255
    plain = np.asarray(get_inpainter("telea")(img, mask))
    grown = np.asarray(get_inpainter("telea")(img, mask, grow=4))
    changed = np.any(grown != img, axis=2)
    assert changed[16:20, 25:35].any() and not changed[:15].any() and not changed[45:].any()
    soft = np.asarray(get_inpainter("telea")(img, mask, feather=6))
    assert np.array_equal(soft[mask == 0], img[mask == 0])
    edge = np.abs(soft[20, 25:35].astype(int) - img[20, 25:35]).mean()
    centre = np.abs(soft[28:32, 28:32].astype(int) - plain[28:32, 28:32]).mean()  # >6 px inside
    assert centre == 0 and edge < np.abs(plain[20, 25:35].astype(int) - img[20, 25:35]).mean()
    with pytest.raises(InpaintError):
        get_inpainter("telea")(img, mask, grow=-1)


def test_onnx_fast_path_matches_the_plain_path(tiny_weights):
    plain = GANInpainter(str(tiny_weights), device="cpu")
    fast = GANInpainter(str(tiny_weights), device="cpu", variant="onnx")
    rng = np.random.default_rng(3)
    for h, w in [(64, 64), (75, 130)]:
        img = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        mask = (rng.random((h, w)) < 0.3).astype(np.uint8) * 255
        a, b = np.asarray(plain(img, mask)).astype(int), np.asarray(fast(img, mask)).astype(int)
        assert np.abs(a - b).max() <= 1  # float rounding may move a value by one level


def _textured_scene(size=512):
    """Sky over a field of fine stripes: a fill made at a quarter of the size loses the stripes."""
    y, x = np.mgrid[:size, :size].astype(np.float32)
    field = 110 + 40 * np.sin(2 * np.pi * (x + 0.5 * y) / 5)
    sky = 170 + 40 * y / size
    img = np.where(y[..., None] < size / 3, np.stack([sky * 0.8, sky * 0.9, sky], -1),
                   np.stack([field * 0.5, field, field * 0.4], -1))
    return np.clip(img, 0, 255).astype(np.uint8)


def _high_freq(img, region):
    g = img.astype(np.float32).mean(2)
    return np.abs(g - cv2.GaussianBlur(g, (0, 0), 2))[region].mean()


def test_detail_gives_an_upscaled_fill_the_photos_texture_back(monkeypatch):
    img = _textured_scene()
    hole = np.zeros(img.shape[:2], bool)
    hole[260:420, 150:350] = True  # inside the striped field
    telea = get_inpainter("telea")
    monkeypatch.setattr(telea, "max_side", 128)  # fill at a quarter of the size, then upscale (restored after)
    plain = np.asarray(telea(img, hole.astype(np.uint8) * 255, strategy="resize", detail=False))
    detailed = np.asarray(telea(img, hole.astype(np.uint8) * 255, strategy="resize"))
    truth = _high_freq(img, hole)
    assert _high_freq(plain, hole) < 0.3 * truth  # the upscaled fill is smooth
    assert 0.6 * truth < _high_freq(detailed, hole) < 1.4 * truth
    assert np.array_equal(detailed[~hole], img[~hole])


@pytest.mark.parametrize("size, guide_scale, full_size", [(256, 1.0, "searched"), (512, 512 / 384, "one pass"),
                                                       (768, 2.0, "voted")])
def test_texture_never_reads_the_pixels_under_the_hole_and_is_reproducible(size, guide_scale, full_size):
    """256²: the full size is searched as every level is. 512²: it gets one local pass after the level above's last
    vote (FULL_SEARCH). 768²: it is not searched, that vote alone writes it."""
    from ganpaint.inpainters.texture import DEFAULT, add_texture

    img = _textured_scene(size)
    path = "searched" if size <= DEFAULT.search_side else "one pass" if size <= DEFAULT.full_search else "voted"
    assert path == full_size  # each way to the full size is covered
    f = size / 256
    hole = np.zeros(img.shape[:2], bool)
    hole[int(100 * f) : int(180 * f), int(60 * f) : int(200 * f)] = True
    guide = cv2.resize(cv2.resize(img, (64, 64), interpolation=cv2.INTER_AREA), (size, size), interpolation=cv2.INTER_CUBIC)
    a, b = img.copy(), img.copy()
    a[hole], b[hole] = 0, 255
    out_a = add_texture(a, hole, guide, guide_scale=guide_scale)
    out_b = add_texture(b, hole, guide, guide_scale=guide_scale)
    assert np.array_equal(out_a, out_b) and not np.array_equal(out_a[hole], guide[hole])
    assert np.array_equal(out_a[~hole], guide[~hole])  # only the hole is touched
    assert not np.array_equal(add_texture(a, hole, guide, seed=1, guide_scale=guide_scale), out_a)  # the seed varies it


def test_a_full_size_searched_once_more_lands_its_copies_at_the_pixel(monkeypatch):
    """At 512² the level above votes copies at its own 2 px; the local pass at the full size (FULL_SEARCH) moves
    each to the pixel: in a thin hole across fine stripes, where the fades leave the copies as they are, the fill
    is closer to the stripes."""
    from ganpaint.inpainters import texture

    img = _textured_scene(512)
    hole = np.zeros(img.shape[:2], bool)
    hole[260:284, 150:350] = True  # 24 px thick, in the striped field
    guide = cv2.resize(cv2.resize(img, (64, 64), interpolation=cv2.INTER_AREA), (512, 512), interpolation=cv2.INTER_CUBIC)

    def error(**settings):
        out = texture.add_texture(img, hole, guide, guide_scale=512 / 384, settings=replace(texture.DEFAULT, **settings))
        assert np.array_equal(out[~hole], guide[~hole])
        return np.sqrt(np.mean((out[hole].astype(np.float32) - img[hole]) ** 2))

    # The pass alone: FULL_FEATURES adds the guide term at 256², and this test's guide is a blur of the stripes.
    searched = error(full_features=False)
    # the full size written by the vote from 256² alone
    assert searched < 0.9 * error(full_features=False, full_search=0)


def test_the_pyramid_averages_any_number_of_channels_alike():
    """The texture features have two channels; the RGB path once read and wrote a third that was not there, and a
    row's last pixel raced with the next row's first (fills of grey photos changed from run to run under load)."""
    from ganpaint.inpainters.texture.pyramid import downsample as _downsample

    rng = np.random.default_rng(0)
    img = rng.uniform(0, 255, (97, 131, 8)).astype(np.float32)
    hole = rng.random((97, 131)) < 0.3
    full, small = _downsample(img, hole)
    for channels in (slice(0, 1), slice(0, 2), slice(3, 5)):
        part, part_small = _downsample(np.ascontiguousarray(img[..., channels]), hole)
        assert np.array_equal(part_small, small)
        np.testing.assert_allclose(part, full[..., channels], rtol=1e-6)


def test_paste_copies_only_where_the_mask_says():
    from ganpaint.inpainters.texture.pyramid import paste as _paste

    mask = np.zeros((5, 7), bool)
    mask[1:3, 2:6] = True
    src = np.arange(5 * 7 * 3, dtype=np.uint8).reshape(5, 7, 3)
    dst = np.full((5, 7, 3), -1.0, np.float32)
    _paste(dst, src, mask, True)
    assert np.array_equal(dst[mask], src[mask]) and (dst[~mask] == -1).all()
    _paste(dst, np.zeros((1, 1, 3), np.float32), mask, False)  # a 1x1 source: that value everywhere
    assert (dst[~mask] == 0).all() and np.array_equal(dst[mask], src[mask])


def test_the_seam_solve_is_the_screened_poisson_solution():
    """The multigrid solve against a direct one on a hole of a stroke, a blob and a box (with coarse levels that took
    in partly kept pixels the cycles diverged)."""
    from ganpaint.inpainters.texture.seams import STEPS, poisson as _poisson

    rng = np.random.default_rng(0)
    h, w, lam = 37, 53, 0.001
    hole = np.zeros((h, w), np.uint8)
    cv2.ellipse(hole, (20, 18), (14, 9), 30, 0, 360, 1, -1)
    cv2.rectangle(hole, (30, 4), (50, 30), 1, -1)
    cv2.line(hole, (0, 33), (52, 25), 1, 3)
    hole = hole > 0
    b = (rng.normal(0, 5, (h, w, 3)) * hole[..., None]).astype(np.float32)
    ys, xs = np.nonzero(hole)
    index = {(y, x): i for i, (y, x) in enumerate(zip(ys, xs))}
    a = np.zeros((len(ys), len(ys)))
    for i, (y, x) in enumerate(zip(ys, xs)):
        a[i, i] = lam
        for dy, dx in STEPS:
            if 0 <= y + dy < h and 0 <= x + dx < w:
                a[i, i] += 1
                if (y + dy, x + dx) in index:
                    a[i, index[y + dy, x + dx]] = -1
    direct = np.linalg.solve(a, b[ys, xs])
    for cycles, tolerance in ((1, 0.15), (8, 1e-3)):
        c = _poisson(b, hole, lam, cycles)
        assert (c[~hole] == 0).all()
        assert np.abs(c[ys, xs] - direct).max() < tolerance * np.abs(direct).max()


def test_a_copy_from_the_targets_own_rows_costs_less():
    """Scenery is layered in rows: of sources with the same patch, the one on the target's rows is the closest
    match, each by exactly its offset's cost."""
    from ganpaint.inpainters.texture import DEFAULT
    from ganpaint.inpainters.texture.search import patch_distance

    DX_TERM, DY_TERM, R, kn = DEFAULT.dx_term, DEFAULT.dy_term, DEFAULT.patch_radius, DEFAULT.kernel()

    def _dist(*args):
        return patch_distance(*args, kn)

    rng = np.random.default_rng(0)
    h, w = 64, 96
    img = rng.uniform(0, 255, (h, w, 3)).astype(np.float32)
    patch = img[30 - R:31 + R, 20 - R:21 + R].copy()
    for y, x in ((30, 70), (50, 20), (6, 80)):  # the same patch on the target's row, 20 and 24 rows off
        img[y - R:y + R + 1, x - R:x + R + 1] = patch
    hole, far = np.zeros((h, w), bool), np.zeros((h, w), bool)
    assert DY_TERM > 0
    same_row, off_row, further = (_dist(img, 30, 20, img, hole, far, y, x, 1.0) for y, x in ((30, 70), (50, 20),
                                                                                            (6, 80)))
    assert same_row == pytest.approx(DX_TERM * (50 / w) ** 2) and same_row < off_row < further
    assert off_row == pytest.approx(DY_TERM * (20 / h) ** 2)
    assert further == pytest.approx(DY_TERM * (24 / h) ** 2 + DX_TERM * (60 / w) ** 2)
    assert _dist(img, 30, 20, img, hole, far, 30, 20, 1.0) == 0.0  # itself


def test_a_seam_between_two_copies_of_a_smooth_gradient_loses_its_step():
    """Two copies of a sky ramp taken from different places meet with a step (and step again at the kept pixels);
    the correction puts the ramp's own gradient there, so the fill becomes the ramp (but for the little the weight
    on staying put keeps)."""
    from ganpaint.inpainters.texture import DEFAULT
    from ganpaint.inpainters.texture.seams import seam_correction as _seam_correction

    h, w = 40, 120
    truth = np.broadcast_to(40 + np.arange(w, dtype=np.float32)[None, :, None], (h, w, 3)).copy()
    hole = np.zeros((h, w), bool)
    hole[10:30, 40:80] = True
    known = truth * ~hole[..., None]
    ys, xs = np.mgrid[0:h, 0:w]
    top = np.stack([ys, np.where(xs < 60, xs - 35, xs + 35)], axis=2).astype(np.int32)  # both halves: kept pixels
    top[~hole] = -1
    out = truth.copy()
    out[hole] = known[top[hole][:, 0], top[hole][:, 1]]
    assert np.abs(np.diff(out[hole.any(1)][:, 39:81], axis=1) - 1).max() == 70  # the step between the copies
    fixed = out + _seam_correction(out, known.astype(np.uint8), known, hole, top, replace(DEFAULT, seam_cycles=8))
    assert np.abs(out - truth)[hole].max() == 35 and np.abs(fixed - truth)[hole].max() < 1.5


def test_a_seam_like_the_photos_own_edges_is_blended_where_it_is(monkeypatch):
    """A flower bed: a copy of orange flowers meets a copy of dark leaves, a step of 335 levels (summed over RGB) that
    the photo has near both sources too. The seam is blended, but the leaves and flowers 8-16 px from it keep their
    colours: spread as far as a sky's seam, the change was a glow of orange over the leaves."""
    from ganpaint.inpainters import texture
    from ganpaint.inpainters.texture.seams import seam_correction

    h, w = 96, 64
    orange, navy = np.float32([240, 110, 30]), np.float32([20, 25, 60])
    ys, xs = np.mgrid[0:h, 0:w]
    dots = (ys % 6 == 0) & (xs % 6 == 0)  # navy dots among the flowers, orange among the leaves: the photo's edges
    known = np.where(((xs < 32) ^ dots)[..., None], orange, navy).astype(np.float32)
    hole = np.zeros((h, w), bool)
    hole[8:40, 16:48] = True
    known[hole] = 0
    top = np.stack([ys + 48, np.where(xs < 32, xs - 8, xs + 8)], axis=2).astype(np.int32)  # flowers | leaves
    top[~hole] = -1
    out = known.copy()
    out[hole] = known[top[hole][:, 0], top[hole][:, 1]]

    def change(**settings):
        cfg = replace(texture.DEFAULT, seam_cycles=8, **settings)
        c = seam_correction(out, known.astype(np.uint8), known, hole, top, cfg)
        step = np.abs((out + c)[8:40, 32] - (out + c)[8:40, 31]).sum(axis=1).mean()
        away = np.abs(np.concatenate([c[8:40, 16:24], c[8:40, 40:48]], axis=1)).sum(axis=2).mean()
        return step, away

    assert np.abs(out[8:40, 32] - out[8:40, 31]).sum(axis=1).mean() == 335
    step, away = change()
    assert step < 335 / 2 and away < 20
    _, far_away = change(seam_floor=2**16 - 1)  # no step counts as an edge: all spread far
    assert far_away > 2 * away


def test_the_pull_keeps_to_the_photos_palette():
    """Over orange flowers among navy leaves, a pull of the leaves toward the network's brown mean is a colour the
    photo has nowhere, and is nearly dropped; a pull to a lighter navy the leaves have, or along a sky's ramp, mostly
    stays."""
    from ganpaint.inpainters.texture import DEFAULT
    from ganpaint.inpainters.texture.pull import add_pull, palette_density

    rng = np.random.default_rng(0)
    h, w = 64, 64
    orange, navy = np.float32([240, 110, 30]), np.float32([20, 25, 60])
    bed = np.where((rng.random((h, w)) < 0.5)[..., None], orange, navy) + rng.uniform(-20, 20, (h, w, 3))
    sky = np.broadcast_to(np.linspace(40, 200, w, dtype=np.float32)[None, :, None] * [0.6, 0.8, 1.0], (h, w, 3))
    hole = np.zeros((h, w), bool)
    hole[16:48, 16:48] = True

    def kept(photo, est, pull):
        p = np.broadcast_to(np.float32(pull), (h, w, 3)).copy()
        e = np.broadcast_to(np.float32(est), (h, w, 3)).copy()
        add_pull(p, e, hole, np.float32(1), palette_density(np.clip(photo, 0, 255).astype(np.uint8), hole, DEFAULT),
                 DEFAULT.palette)
        p -= e  # what is left of the pull
        assert (p[~hole] == np.float32(pull)).all()  # kept pixels take the whole pull
        return float(np.abs(p[hole]).sum() / (np.abs(np.float32(pull)).sum() * hole.sum()))

    assert kept(bed, navy, (orange - navy) / 4) < 0.1
    assert kept(bed, navy, [8, 8, 8]) > 0.5
    assert kept(sky, [60, 80, 100], [18, 24, 30]) > 0.8  # not 1: the histogram bins a thin ramp unevenly


def _flower_bed(h, w, seed=0):
    """Orange flowers among navy leaves: blobs of either colour, a palette with nothing between the two."""
    rng = np.random.default_rng(seed)
    orange, navy = np.float32([240, 110, 30]), np.float32([20, 25, 60])
    blobs = cv2.resize(rng.random((h // 6, w // 6)).astype(np.float32), (w, h), interpolation=cv2.INTER_NEAREST)
    bed = np.where((blobs < 0.5)[..., None], orange, navy) + rng.uniform(-15, 15, (h, w, 3))
    return np.clip(bed, 0, 255).astype(np.uint8), orange, navy


def test_the_fades_are_lifted_where_they_veil_a_region():
    """Faded halfway to their mean, flowers and leaves are a brown veil over the whole region: the fade is undone
    there. A noisy sky ramp faded along itself, or a few flowers faded among many untouched pixels, keep it."""
    from ganpaint.inpainters.texture import DEFAULT
    from ganpaint.inpainters.texture.pull import lift_veil, palette_density
    from ganpaint.inpainters.texture.pyramid import low_pass as _low_pass

    h, w = 96, 96
    rng = np.random.default_rng(1)
    bed, _, _ = _flower_bed(h, w)
    ramp = np.linspace(40, 200, w, dtype=np.float32)[None, :, None] * np.float32([0.6, 0.8, 1.0])
    sky = np.clip(ramp + rng.uniform(-10, 10, (h, w, 3)), 0, 255).astype(np.uint8)
    hole = np.zeros((h, w), bool)
    hole[24:72, 24:72] = True

    def undone(photo, faded_share):
        copy = photo.astype(np.float32)
        faded = copy + 0.5 * (_low_pass(copy, 6.0) - copy)
        out = np.where((hole & (rng.random((h, w)) < faded_share))[..., None], faded, copy).astype(np.float32)
        change = np.abs(out - copy)[hole].sum()
        before = out.copy()
        lift_veil(out, copy, hole, palette_density(photo, hole, DEFAULT), 16.0, DEFAULT)
        assert (out[~hole] == before[~hole]).all()  # kept pixels are not touched
        return 1 - np.abs(out - copy)[hole].sum() / change

    assert undone(bed, 1.0) > 0.9
    assert undone(bed, 0.1) < 0.1
    assert undone(sky, 1.0) < 0.1


def test_an_outpainted_flower_bed_keeps_its_colours(monkeypatch):
    """End to end: with a network's brown mean as the guide, an outpainted strip of a flower bed has far fewer
    pixels of a colour between the flowers and the leaves with the fades' veil lifted than without."""
    from ganpaint.inpainters import texture

    bed, orange, navy = _flower_bed(192, 192)
    hole = np.zeros(bed.shape[:2], bool)
    hole[:, :64] = True
    guide = bed.copy()
    guide[hole] = ((orange + navy) / 2).astype(np.uint8)

    def browns(**settings):
        out = texture.add_texture(bed, hole, guide, settings=replace(texture.DEFAULT, **settings)).astype(np.float32)[hole]
        return float(np.mean(np.minimum(np.linalg.norm(out - orange, axis=1), np.linalg.norm(out - navy, axis=1)) > 60))

    lifted = browns()
    veiled = browns(lift_veil=False)
    assert lifted < 0.5 * veiled, (lifted, veiled)


_FAULTS = """
import resource, sys
import numpy as np
sys.path.insert(0, {tests!r})
from test_inpainter import _textured_scene
from ganpaint.inpainters.texture import add_texture
img = _textured_scene(1800)  # float RGB buffers of 39 MB: over glibc's largest threshold for keeping them
hole = np.zeros(img.shape[:2], bool)
hole[700:1000, 800:1100] = True
faults = []
for _ in range(3):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    add_texture(img, hole, img)
    faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
print(min(faults[1:]))
"""


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc's heap only")
def test_a_second_large_fill_reuses_the_first_ones_memory(tmp_path):
    """Buffers over 32 MB stay in the heap once freed: the page faults that made 2048² timings swing by half a second
    are paid once per process, not once per fill. With malloc left alone (GANPAINT_MALLOC=system) they come back."""
    import os
    import subprocess
    import sys

    script = _FAULTS.format(tests=str(Path(__file__).parent))

    def faults(**env):
        run = subprocess.run([sys.executable, "-c", script], env={**os.environ, **env}, capture_output=True, text=True,
                             check=True)
        return int(run.stdout.split()[-1])

    kept, system = faults(), faults(GANPAINT_MALLOC="system")
    assert kept < 500 < 2000 < system


def test_gan_fill_gets_the_photos_texture_and_detail_false_is_the_bare_network(gan):
    img = _textured_scene(256)
    mask = np.zeros(img.shape[:2], np.uint8)
    mask[120:220, 60:200] = 255  # inside the striped field
    hole = mask > 0
    bare = np.asarray(gan(img, mask, detail=False))
    x = torch.from_numpy(img).permute(2, 0, 1)[None].float() / 127.5 - 1
    net = ((gan.generator(x, torch.from_numpy(hole)[None, None].float()) + 1) * 127.5).round().clamp(0, 255)
    assert np.abs(bare.astype(int) - net[0].permute(1, 2, 0).detach().numpy().astype(int)).max() <= 1
    textured = np.asarray(gan(img, mask))
    assert np.array_equal(textured, np.asarray(gan(img, mask)))  # seeded: the same fill every time
    assert np.array_equal(textured[~hole], img[~hole]) and not np.array_equal(textured, bare)


def test_a_smooth_fill_of_the_right_structure_gets_the_photos_texture():
    from ganpaint.inpainters import Inpainter

    img = _textured_scene(256)

    class Smooth(Inpainter):  # a network that gets the layout right but predicts the mean: the blurred truth
        texture = True

        def forward(self, image, mask, **options):
            return cv2.GaussianBlur(img, (0, 0), 6)

    mask = np.zeros(img.shape[:2], np.uint8)
    mask[120:220, 60:200] = 255  # inside the striped field
    hole = mask > 0
    truth = _high_freq(img, hole)
    assert _high_freq(np.asarray(Smooth()(img, mask, detail=False)), hole) < 0.3 * truth
    textured = np.asarray(Smooth()(img, mask))
    assert 0.6 * truth < _high_freq(textured, hole) < 1.4 * truth  # the stripes come back
    assert np.abs(textured.astype(int) - img.astype(int))[hole].mean() < 30  # ... and the field stays a field


def test_patchmatch_fills_from_the_photo_and_keeps_the_rest():
    pm = get_inpainter("patchmatch")
    img = _textured_scene(128)
    mask = np.zeros(img.shape[:2], np.uint8)
    mask[70:110, 30:90] = 255
    out = np.asarray(pm(img, mask))
    assert np.array_equal(out[mask == 0], img[mask == 0])
    assert np.array_equal(out, np.asarray(pm(img, mask)))  # seeded
    assert np.abs(out.astype(int) - img.astype(int))[mask > 0].mean() < 25  # a periodic texture is continued


def test_detail_changes_nothing_when_the_fill_is_not_upscaled():
    img = _textured_scene(128)
    mask = np.zeros(img.shape[:2], np.uint8)
    mask[40:90, 30:100] = 255
    telea = get_inpainter("telea")
    assert np.array_equal(np.asarray(telea(img, mask)), np.asarray(telea(img, mask, detail=False)))


def test_masks_of_zeros_and_ones_are_accepted_and_photos_are_refused():
    img = np.full((40, 60, 3), 90, np.uint8)
    labels = np.zeros((40, 60), np.uint8)
    labels[10:20, 10:30] = 1  # a label mask: 1 = fill
    out = np.asarray(get_inpainter("telea")(img, labels))
    assert np.array_equal(out[25:], img[25:])
    photo = np.asarray(Image.fromarray(np.random.default_rng(0).integers(0, 256, (10, 15, 3), np.uint8)).resize((60, 40)))
    with pytest.raises(InpaintError, match="looks like a photo"):
        get_inpainter("telea")(img, photo)
    soft = cv2.GaussianBlur(np.pad(np.full((20, 30), 255, np.uint8), ((10, 10), (15, 15))), (0, 0), 2)
    get_inpainter("telea")(img, soft)  # a soft-edged (or JPEG) mask is still a mask


def test_float_images_take_their_scale_from_most_pixels_not_the_maximum():
    rng = np.random.default_rng(0)
    arr = rng.uniform(0.2, 0.8, (32, 32)).astype(np.float32)
    arr[0, 0] = 1.02  # one overshooting pixel must not turn a 0-1 image into a 0-255 one
    mask = np.zeros((32, 32), np.uint8)
    mask[8:24, 8:24] = 255
    out = np.asarray(get_inpainter("telea")(Image.fromarray(arr), mask))
    assert 0.15 < out[8:24, 8:24].mean() < 0.85
    assert np.array_equal(out[mask == 0], arr[mask == 0])


def test_animated_images_and_exotic_formats_are_refused_and_files_closed(tmp_path):
    import os

    frames = [Image.new("RGB", (16, 16), c) for c in ("red", "blue")]
    gif = tmp_path / "anim.gif"
    frames[0].save(gif, save_all=True, append_images=frames[1:])
    eps = io.BytesIO()
    Image.new("RGB", (16, 16)).save(eps, "EPS")
    (tmp_path / "page.eps").write_bytes(eps.getvalue())
    (tmp_path / "cut.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 40)
    fds = len(os.listdir("/proc/self/fd"))
    for name, message in (("anim.gif", "animated \\(2 frames\\)"), ("page.eps", "not a readable image"),
                          ("cut.png", "not a readable image|damaged")):
        with pytest.raises(InpaintError, match=message) as err:
            get_inpainter("telea")(tmp_path / name, np.ones((16, 16), np.uint8))
        assert str(tmp_path) not in str(err.value) and name in str(err.value)  # the file's name, not its folder
    assert len(os.listdir("/proc/self/fd")) == fds


def test_every_method_has_the_whole_contract_and_refuses_unknown_options(tiny_weights):
    from ganpaint.inpainters import METHODS, method_class

    for name in METHODS:
        cls = method_class(name)
        assert callable(cls.load) and isinstance(cls.options, tuple) and hasattr(cls, "weights_path")
    gan = GANInpainter(str(tiny_weights))
    assert gan.load() is gan and gan.num_parameters == gan.parameters > 0 and gan.weights_path == str(tiny_weights)
    telea = get_inpainter("telea")
    assert telea.num_parameters == 0 and telea.weights_path is None
    img, mask = np.zeros((32, 32, 3), np.uint8), np.full((32, 32), 255, np.uint8)
    with pytest.raises(InpaintError, match="does not know the option\\(s\\) promt; it takes no options"):
        telea(img, mask, promt="a lake")  # a typo is an error, not silently ignored
    assert method_class("sd").options == ("prompt", "negative_prompt", "steps", "guidance", "seed")


def test_the_texture_stage_fills_a_thin_stroke_from_around_it_not_from_a_far_smooth_region():
    """Patch distances favour flat sources: a stroke through noisy rock took a far lake's flat colour. Sources now lie
    near the hole, so the fill is as textured as its surroundings."""
    from ganpaint.inpainters import texture

    rng = np.random.default_rng(0)
    img = np.full((256, 384, 3), 120, np.uint8)
    img[:200] = np.clip(120 + rng.normal(0, 40, (200, 384, 1)), 0, 255).astype(np.uint8)  # textured "rock"
    hole = np.zeros((256, 384), bool)
    hole[90:100, 80:300] = True  # a thin stroke through it, 100 px above the flat "lake"
    guide = np.where(hole[..., None], np.uint8(120), img)  # a network's smooth fill: the mean colour
    out = texture.add_texture(img, hole, guide)
    assert out[hole].std() > 0.6 * img[:200][~hole[:200]].std()
    assert np.array_equal(out[~hole], guide[~hole])


def test_a_large_hole_in_a_busy_texture_is_not_filled_from_a_smooth_region_of_the_same_colour(monkeypatch):
    """A smooth guide matches smooth sources best at the coarse levels, where a fine texture averages out to its mean:
    a hole in frost took a flat block of the pale sky beside it. How busy a
    patch is now counts there, so the fill is as busy as the texture around it; without that it is much flatter
    (flat with no offset prior; the column prior, DX_TERM, now keeps part of it busy: sources above and below the
    hole are frost)."""
    from ganpaint.inpainters import texture

    rng = np.random.default_rng(0)
    img = np.full((768, 768, 3), 128, np.uint8)  # right third: smooth, the texture's mean colour
    img[:, :512] = np.where(rng.random((768, 512, 1)) < 0.5, 68, 188)  # left: fine salt-and-pepper "frost"
    hole = np.zeros((768, 768), bool)
    hole[240:528, 200:440] = True
    guide = np.where(hole[..., None], np.uint8(128), img)  # a network's smooth fill: the mean colour

    def busy(out):  # mean |difference| of horizontal neighbours inside the hole
        return np.abs(np.diff(out.astype(float), axis=1))[hole[:, 1:] & hole[:, :-1]].mean()

    texture_level = busy(img)  # the texture's own: about 60
    with_features = busy(texture.add_texture(img, hole, guide))  # about 40
    assert with_features > 0.6 * texture_level
    rgb_only = texture.add_texture(img, hole, guide, settings=replace(texture.DEFAULT, features=0.0))
    assert busy(rgb_only) < with_features - 0.1 * texture_level  # about 30


def test_far_apart_holes_are_textured_each_on_its_own_crop_and_never_read(monkeypatch):
    """The two borders of an outpainted wide photo are textured as two groups, each from its own side: a group's
    pixels are written only from its own crop, and no hole pixel (of either group) is read."""
    from ganpaint.inpainters import base
    from ganpaint.inpainters.base import TEXTURE_CONTEXT, texture_near_hole

    crops = []
    add_texture = base.add_texture
    monkeypatch.setattr(base, "add_texture", lambda rgb, *a, **k: crops.append(rgb.shape[1]) or add_texture(rgb, *a, **k))
    rng = np.random.default_rng(0)
    w = 6 * TEXTURE_CONTEXT
    img = np.zeros((256, w, 3), np.uint8)
    img[:, : w // 2] = np.where((np.arange(w // 2) // 4) % 2, 200, 40)[None, :, None]  # stripes on the left half
    img[:, w // 2 :] = rng.integers(60, 180, (256, w - w // 2, 3))  # noise on the right half
    hole = np.zeros(img.shape[:2], bool)
    hole[:, :64] = hole[:, -64:] = True
    guide = cv2.GaussianBlur(img, (0, 0), 8)
    a, b = img.copy(), img.copy()
    a[hole], b[hole] = 0, 255
    out = texture_near_hole(a, hole, guide)
    assert len(crops) == 2 and max(crops) < w / 2  # two crops, not the whole width
    assert np.array_equal(out, texture_near_hole(b, hole, guide))
    assert np.array_equal(out[~hole], guide[~hole])
    left, right = out[:, :64].astype(int), out[:, -64:].astype(int)
    # Left: columns of the stripes (flat down each column); right: the noise (no two columns alike down their length)
    assert np.abs(np.diff(left[40:-40], axis=0)).mean() < 10 < np.abs(np.diff(right[40:-40], axis=0)).mean()


def test_the_copies_grain_keeps_its_contrast_at_the_border_and_softens_away_from_it(monkeypatch):
    """Far from the kept pixels copied grain is uncorrelated with the truth (the texture's
    gain): it keeps its full contrast where it continues the border and falls to TEXTURE_GAIN of it further in."""
    from ganpaint.inpainters import texture

    rng = np.random.default_rng(0)
    img = np.clip(128 + rng.normal(0, 40, (256, 256, 1)), 0, 255).repeat(3, 2).astype(np.uint8)
    hole = np.zeros((256, 256), bool)
    hole[48:208, 48:208] = True
    guide = np.where(hole[..., None], np.uint8(128), img)  # a network's smooth fill: the mean colour
    dist = cv2.distanceTransform(hole.astype(np.uint8), cv2.DIST_L2, 3)
    near, far = hole & (dist <= 4), dist > 48

    def grain(out, region):
        g = out.astype(np.float32).mean(2)
        return np.abs(g - cv2.GaussianBlur(g, (0, 0), 2))[region].mean()

    photo = grain(img, ~hole)
    out = texture.add_texture(img, hole, guide)
    assert grain(out, near) > 0.85 * photo and 0.6 * photo < grain(out, far) < 0.8 * photo
    full_grain = texture.add_texture(img, hole, guide, settings=replace(texture.DEFAULT, texture_gain=1.0))
    assert grain(full_grain, far) > 0.9 * photo


def test_copied_structure_keeps_its_contrast_at_the_border_and_fades_to_band_gain_far_from_it(monkeypatch):
    """Far out a copied branch or ridge is rarely where the photo had one: the band
    between the grain and BAND_SIGMA keeps its contrast at the border and falls to BAND_GAIN of it at BAND_FAR px."""
    from ganpaint.inpainters import texture

    rng = np.random.default_rng(0)
    blobs = cv2.GaussianBlur(rng.normal(0, 1, (320, 320)).astype(np.float32), (0, 0), 5)
    img = np.clip(128 + 60 * blobs / blobs.std(), 0, 255)[..., None].repeat(3, 2).astype(np.uint8)
    hole = np.zeros((320, 320), bool)
    hole[64:256, 64:256] = True  # up to 96 px from the kept pixels
    guide = np.where(hole[..., None], np.uint8(128), img)
    dist = cv2.distanceTransform(hole.astype(np.uint8), cv2.DIST_L2, 3)
    near, far = hole & (dist <= 3), dist >= texture.DEFAULT.band_far

    def band(out, region):
        g = out.astype(np.float32).mean(2)
        return np.abs(cv2.GaussianBlur(g, (0, 0), texture.DEFAULT.texture_sigma) -
                      cv2.GaussianBlur(g, (0, 0), texture.DEFAULT.band_sigma))[region].mean()

    faded, gain = texture.add_texture(img, hole, guide), texture.DEFAULT.band_gain
    kept = texture.add_texture(img, hole, guide, settings=replace(texture.DEFAULT, band_gain=1.0))
    assert band(kept, near) > 0 and band(kept, far) > 0
    assert band(faded, near) > 0.9 * band(kept, near)
    assert band(faded, far) < 0.75 * band(kept, far)  # faded far out ...
    assert 0.8 * gain < band(faded, far) / band(kept, far) < 1.25 * gain  # ... to about BAND_GAIN (the blur reaches in)


@pytest.mark.parametrize("side", ["left", "right", "top", "bottom"])
def test_hole_pixels_on_the_photos_edge_take_copies_not_the_guide(monkeypatch, side):
    """The outermost row or column of an outpainted frame is copied like the rest: the patch distance counts a
    target pixel on the photo's edge as unmatched whatever the source, so the search may align it with a source pixel
    in the hole; before the final vote's fallback nothing voted there and a line of the guide's raw colour stayed
    along the frame."""
    from ganpaint.inpainters import texture

    copies_only = replace(texture.DEFAULT, low_alpha=0.0)  # the result is the copies alone
    img = np.zeros((256, 256, 3), np.uint8)
    img[:] = (90, 140, 220)
    hole = np.zeros((256, 256), bool)
    hole[{"left": np.s_[:, :128], "right": np.s_[:, 128:], "top": np.s_[:128], "bottom": np.s_[128:]}[side]] = True
    guide = np.where(hole[..., None], np.uint8(30), img)
    out = texture.add_texture(img, hole, guide, settings=copies_only)
    assert (out == img).all()


def test_the_pull_takes_the_guides_colour_near_the_border_and_only_its_grey_level_far_from_it(monkeypatch):
    """Far from the kept pixels a network's fill drifts into tints (a purple sky): there the pull toward the guide
    moves the grey level only, and the copies keep the photo's colour. The palette
    is off here: this sky has one colour, and the palette alone refuses any pull away from it."""
    from ganpaint.inpainters import texture

    no_palette = replace(texture.DEFAULT, palette=0.0)
    img = np.zeros((256, 256, 3), np.uint8)
    img[:] = (90, 140, 220)  # a blue sky
    hole = np.zeros((256, 256), bool)
    hole[:, 128:] = True  # outpainted: up to 128 px from the kept pixels
    guide = img.copy()
    guide[hole] = (130, 100, 220)  # the same grey level, tinted purple
    dist = cv2.distanceTransform(hole.astype(np.uint8), cv2.DIST_L2, 3)
    near, far = hole & (dist >= 8) & (dist <= 12), dist >= 3 * texture.DEFAULT.chroma_trust

    def tint(out, region):  # mean |shift| of red and green from the sky's own colour
        return np.abs(out[region].astype(np.float32) - img[0, 0]).mean(0)[:2].mean()

    faded = texture.add_texture(img, hole, guide, settings=no_palette)
    pulled = texture.add_texture(img, hole, guide, settings=replace(no_palette, chroma_trust=0.0))
    assert tint(pulled, far) > 15  # the halfway pull: 20 levels of purple far out
    assert tint(faded, far) < 3  # the sky's own colour, but for a level or two the structure's fade blurs in
    assert tint(faded, near) > 0.5 * tint(pulled, near)  # near the border the guide's colour is trusted
    grey = faded[hole].astype(np.float32).mean(1)
    assert np.abs(grey - img[0, 0].mean()).max() <= 2  # the grey level untouched either way
    assert tint(texture.add_texture(img, hole, guide), near) < 3  # a purple the photo has nowhere: no pull to it


def test_the_texture_stage_learns_by_how_much_the_fill_was_upscaled(monkeypatch):
    """How far from the border the guide is trusted, and how coarse the softened grain is, follow the resolution the
    fill was made at: the stage is told the factor (1 for a fill made at full size)."""
    from ganpaint.inpainters import base

    scales = []
    add_texture = base.add_texture
    monkeypatch.setattr(base, "add_texture", lambda *a, guide_scale, **k: scales.append(guide_scale) or
                        add_texture(*a, guide_scale=guide_scale, **k))
    img = _textured_scene(256)
    mask = np.zeros(img.shape[:2], np.uint8)
    mask[100:160, 80:180] = 255
    telea = get_inpainter("telea")
    monkeypatch.setattr(telea, "max_side", 64)
    telea(img, mask, strategy="resize")  # made at a quarter of the size, then upscaled
    telea(img, mask, strategy="crop")  # the box with 128 px of context, clipped to the photo: 256 px -> 64
    monkeypatch.setattr(telea, "max_side", 1024)
    telea(img, mask, strategy="resize", detail=True)  # made at full size: telea's fill is not textured at all
    assert scales == [4.0, 4.0]
