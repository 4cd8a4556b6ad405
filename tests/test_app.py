"""The app's API endpoints through gradio_client, against a running `python app.py`."""

import numpy as np
import pytest
from PIL import Image

from conftest import ROOT


@pytest.fixture()
def photo_and_mask(tmp_path):
    img = Image.open(ROOT / "examples" / "000.jpg")
    mask = np.zeros((img.height, img.width), np.uint8)
    mask[300:420, 500:700] = 255
    Image.fromarray(mask).save(tmp_path / "mask.png")
    return ROOT / "examples" / "000.jpg", tmp_path / "mask.png", np.asarray(img), mask


def test_endpoints_have_stable_names(client):
    names = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert {"/inpaint", "/outpaint", "/bridge", "/compare"} <= set(names)


@pytest.mark.parametrize("method", ["gan", "telea"])
def test_inpaint_endpoint_changes_only_the_mask(client, photo_and_mask, method):
    from gradio_client import handle_file

    photo, mask_file, original, mask = photo_and_mask
    out = np.asarray(Image.open(client.predict(handle_file(photo), handle_file(mask_file), method, api_name="/inpaint")))
    assert out.shape == original.shape
    assert np.array_equal(out[mask == 0], original[mask == 0])
    assert np.any(out[mask > 0] != original[mask > 0])


def test_outpaint_endpoint(client, photo_and_mask):
    from gradio_client import handle_file

    photo, _, original, _ = photo_and_mask
    out = Image.open(client.predict(handle_file(photo), 64, 0, 32, 0, "none", "gan", api_name="/outpaint"))
    assert out.size == (original.shape[1] + 64, original.shape[0] + 32)
    assert np.array_equal(np.asarray(out.convert("RGB"))[32:, 64:], original)
    wide = Image.open(client.predict(handle_file(photo), 0, 0, 0, 0, "21:9", "telea", api_name="/outpaint"))
    assert abs(wide.width / wide.height - 21 / 9) < 0.01


def test_bridge_endpoint(client):
    from gradio_client import handle_file

    a, b = ROOT / "examples" / "000.jpg", ROOT / "examples" / "001.jpg"
    out = Image.open(client.predict(handle_file(a), handle_file(b), "diagonal", 0.25, "gan", api_name="/bridge"))
    w, h = Image.open(a).size
    assert out.size == (2 * w, 2 * h)


def test_compare_endpoint_measures_every_method(client):
    from gradio_client import handle_file

    gallery, summary = client.predict(handle_file(ROOT / "examples" / "004.jpg"), None, "hard", "gan,telea,ns", 3,
                                      api_name="/compare")
    assert [s["method"] for s in summary] == ["gan", "telea", "ns"]
    assert len(gallery) == 4  # the input plus one result per method
    for s in summary:
        assert s["available"] and s["ms"] > 0 and 5 < s["psnr"] < 60 and 0 <= s["lpips"] < 1.5
    assert summary[0]["parameters"] > 0 and summary[1]["parameters"] == 0


def test_bad_input_is_a_clear_error(client, photo_and_mask, tmp_path):
    from gradio_client import handle_file

    photo, _, original, _ = photo_and_mask
    Image.new("L", (original.shape[1], original.shape[0]), 0).save(tmp_path / "empty.png")
    with pytest.raises(Exception, match="mask is empty"):
        client.predict(handle_file(photo), handle_file(tmp_path / "empty.png"), "gan", api_name="/inpaint")
    (tmp_path / "text.png").write_text("not an image")
    with pytest.raises(Exception, match="not a readable image"):
        client.predict(handle_file(tmp_path / "text.png"), handle_file(tmp_path / "empty.png"), "gan", api_name="/inpaint")
    with pytest.raises(Exception, match="unknown method"):
        client.predict(handle_file(photo), handle_file(tmp_path / "empty.png"), "magic", api_name="/inpaint")


def test_files_outside_the_app_are_not_served(app_url):
    import urllib.error
    import urllib.request

    for path in ("/gradio_api/file=/etc/passwd", f"/gradio_api/file={ROOT / 'app.py'}", "/file=/etc/passwd"):
        try:
            with urllib.request.urlopen(app_url + path, timeout=10) as r:
                body = r.read()
            assert b"root:" not in body and b"import gradio" not in body, path
        except urllib.error.HTTPError as e:
            assert e.code in (403, 404), path


def test_twenty_concurrent_identical_requests_get_twenty_complete_results(client, photo_and_mask):
    from gradio_client import handle_file

    photo, mask_file, original, mask = photo_and_mask
    jobs = [client.submit(handle_file(photo), handle_file(mask_file), "telea", api_name="/inpaint") for _ in range(20)]
    outputs = [open(job.result(timeout=300), "rb").read() for job in jobs]
    assert len(set(outputs)) == 1  # identical, and none cut short
    out = np.asarray(Image.open(__import__("io").BytesIO(outputs[0])))
    assert np.array_equal(out[mask == 0], original[mask == 0])


def test_float_images_come_back_as_16_bit_grey(client, tmp_path):
    from gradio_client import handle_file

    arr = np.random.default_rng(0).uniform(0.1, 0.9, (48, 64)).astype(np.float32)
    Image.fromarray(arr).save(tmp_path / "float.tif")
    mask = np.zeros((48, 64), np.uint8)
    mask[10:30, 10:40] = 255
    Image.fromarray(mask).save(tmp_path / "m.png")
    out = Image.open(client.predict(handle_file(tmp_path / "float.tif"), handle_file(tmp_path / "m.png"), "telea",
                                    api_name="/inpaint"))
    assert out.mode.startswith("I")
    values = np.asarray(out).astype(np.float64)
    assert np.array_equal(values[mask == 0], np.round(arr.astype(np.float64) * 65535)[mask == 0])


def test_compare_checks_its_methods_list(client):
    from gradio_client import handle_file

    photo = handle_file(ROOT / "examples" / "004.jpg")
    with pytest.raises(Exception, match="unknown method.*'magic'.*choose from gan"):
        client.predict(photo, None, "easy", "gan,magic", 0, api_name="/compare")
    _, summary = client.predict(photo, None, "easy", "telea,telea,ns,telea", 0, api_name="/compare")
    assert [s["method"] for s in summary] == ["telea", "ns"]


def test_error_messages_name_the_file_not_the_servers_upload_folder(client, tmp_path):
    from gradio_client import handle_file

    (tmp_path / "holiday.png").write_text("not an image")
    Image.new("L", (8, 8), 255).save(tmp_path / "m.png")
    with pytest.raises(Exception) as err:
        client.predict(handle_file(tmp_path / "holiday.png"), handle_file(tmp_path / "m.png"), "telea", api_name="/inpaint")
    assert "holiday.png" in str(err.value) and "/tmp" not in str(err.value) and "gradio" not in str(err.value)


def test_inpaint_tab_paints_on_a_copy_and_fills_the_original(client, tmp_path):
    """The Inpaint tab's own request: the editor holds a 768-px painting copy; the fill is made on the original
    photo (here 1600x1200) with the strokes (the brush layer's file, as the tab's browser step hands it over)
    scaled up, and the download is the original's size."""
    from gradio_client import handle_file

    import app

    photo = tmp_path / "big.png"
    original = np.asarray(Image.open(ROOT / "examples" / "000.jpg").convert("RGB").resize((1600, 1200)))
    Image.fromarray(original).save(photo)
    copy = Image.open(client.predict(handle_file(photo), api_name="/painting_copy"))
    m = app.PAINT_MARGIN  # a frame around the copy, where strokes may start
    assert copy.size == (768 + 2 * m, 576 + 2 * m)
    layer = np.zeros((576 + 2 * m, 768 + 2 * m, 4), np.uint8)
    layer[m + 200 : m + 260, 0 : m + 500] = 255  # a stroke on the copy, begun on the frame left of the photo
    Image.fromarray(layer, "RGBA").save(tmp_path / "layer.png")
    strokes = [handle_file(tmp_path / "layer.png")]
    before_after = client.predict(handle_file(photo), strokes, "telea", "auto", 0, 0, True, True, api_name="/inpaint_ui")
    previews = [Image.open(p["path"] if isinstance(p, dict) else p) for p in before_after]  # the held result is session state
    assert len(previews) == 2 and max(previews[1].size) <= 2048
    out = np.asarray(Image.open(client.predict(api_name="/inpaint_download")))  # the held result is session state
    assert out.shape == original.shape
    changed = np.any(out != original, axis=2)
    ys, xs = np.nonzero(changed)
    assert changed.any() and ys.min() >= 200 * 1200 / 576 - 3 and ys.max() <= 260 * 1200 / 576 + 3
    assert xs.min() == 0 and xs.max() <= 500 * 1600 / 768 + 3  # from the photo's left edge: the frame part is cut off


def test_a_photo_over_the_limit_is_refused_on_upload(client, tmp_path):
    from gradio_client import handle_file

    Image.new("L", (4097, 4096)).save(tmp_path / "huge.png")
    with pytest.raises(Exception, match="16,781,312 pixels; the limit is 16,777,216"):
        client.predict(handle_file(tmp_path / "huge.png"), api_name="/painting_copy")


def test_transparent_pixels_are_filled_when_asked():
    import app

    rgba = np.zeros((40, 60, 4), np.uint8)
    rgba[..., :3], rgba[..., 3] = 120, 255
    rgba[:, :10, 3] = 0  # a transparent strip: the canvas to fill
    image = Image.fromarray(rgba, "RGBA")
    assert app.transparent(image)[:, :10].all() and not app.transparent(image)[:, 10:].any()
    assert app.transparent(Image.new("RGB", (4, 4))) is None


def test_layout_previews_stay_light_for_large_photos(tmp_path):
    import time

    import app

    big = np.random.default_rng(0).integers(0, 256, (3000, 4000, 3), np.uint8)
    Image.fromarray(big).save(tmp_path / "big.jpg", quality=90)
    t = time.perf_counter()
    preview = app.outpaint_preview(str(tmp_path / "big.jpg"), ["left", "right"], 256, "none")
    assert max(preview.size) == 1024 and preview.size[0] > preview.size[1]
    assert time.perf_counter() - t < 10  # decoding the photo is the cost; the 13 MP canvas is never encoded
    small = app.overlay(Image.new("RGB", (40, 30)), np.ones((30, 40), bool))
    assert small.size == (40, 30) and np.asarray(small)[0, 0, 0] > 100  # tinted, not resized


def test_a_refused_inpaint_leaves_both_panes_as_they_were(tmp_path):
    """No photo, an empty mask or an unknown method: a warning, and no update of the before/after or the result
    (an error raised there would cover the previous before/after with an error badge)."""
    import gradio as gr

    import app

    Image.new("RGB", (64, 48), (90, 140, 200)).save(tmp_path / "p.png")
    empty = {"background": None, "layers": [], "composite": None}
    layer = Image.new("RGBA", (64 + 2 * app.PAINT_MARGIN, 48 + 2 * app.PAINT_MARGIN))
    layer.paste((255, 255, 255, 255), (app.PAINT_MARGIN + 10, app.PAINT_MARGIN + 10, app.PAINT_MARGIN + 30, app.PAINT_MARGIN + 30))
    stroke = {"background": None, "layers": [layer], "composite": None}
    for photo, editor, method in ((None, stroke, "telea"), (str(tmp_path / "p.png"), empty, "telea"),
                                  (str(tmp_path / "p.png"), stroke, "no-such-method")):
        before_after, held = app.inpaint_ui(photo, editor, method, "auto", 0, 0, progress=lambda *a, **k: None)
        assert held is None and before_after == gr.skip()  # an update that changes nothing
        assert app.inpaint_download(held) == gr.skip()
    before_after, held = app.inpaint_ui(str(tmp_path / "p.png"), stroke, "telea", "auto", 0, 0, progress=lambda *a, **k: None)
    assert isinstance(held["image"], Image.Image) and len(before_after) == 2  # the same call goes through when all is well


def test_scratch_diffusion_in_the_inpaint_tab_reports_its_denoising_steps(tmp_path):
    """The Inpaint tab shows the diffusion model's steps as Compare does (it fills at its training scale)."""
    import app
    from ganpaint.inpainters import method_class

    if not method_class("diffusion").available()[0]:
        pytest.skip("no diffusion weights here")
    Image.new("RGB", (64, 48), (90, 140, 200)).save(tmp_path / "p.png")
    m = app.PAINT_MARGIN
    layer = Image.new("RGBA", (64 + 2 * m, 48 + 2 * m))
    layer.paste((255, 255, 255, 255), (m + 10, m + 10, m + 30, m + 30))
    seen = []
    before_after, held = app.inpaint_ui(str(tmp_path / "p.png"), {"background": None, "layers": [layer], "composite": None},
                                        "diffusion", "auto", 0, 0, progress=lambda f, desc=None: seen.append(desc))
    assert held is not None, "the fill was refused"
    steps = [d for d in seen if d and d.startswith("denoising step")]
    assert steps and steps[-1].endswith("/25") and len(steps) == 25
    assert app.get_inpainter("diffusion").max_side == 256  # side_for its 128-px training crop
