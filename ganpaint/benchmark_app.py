"""Where the time of one Inpaint request goes in the app, for 1, 4 and 12 MP photos; Outpaint and Bridge at 12 MP.

    python -m ganpaint.benchmark --app --json results/benchmark_app_cpu.json

Starts ``app.py`` on a free loopback port and, for each photo size (a scenery photo resized, with a brush
stroke across it as a mask), times: the library call on the same files (``inpainter(photo, mask)``); the
``/inpaint`` endpoint through ``gradio_client``; the Inpaint tab's own request through ``gradio_client`` split
into the app's stages (upload, editor decode, to image and mask, fill, encoding, and the rest: Gradio's
processing and the response); and, in a headless browser, the click on Inpaint until the result is shown.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from . import paths, results

ROOT = Path(__file__).resolve().parent.parent
SIZES_MP = (1, 4, 12)
CHROMIUM = "/usr/bin/chromium"


def make_inputs(mp: float, folder: Path, paint_side: int = 768, margin: int = 40) -> dict:
    """A 4:3 photo of about ``mp`` megapixels (JPEG, as phones write); a brush stroke painted on the app's painting
    copy (long side ``paint_side``, in a ``margin``-px frame) as the tab hands it over (a transparent layer of the
    framed copy's size); and the same stroke scaled up to the photo as a mask PNG, for the library and
    ``/inpaint``. ``paint_side`` and ``margin`` are app.py's PAINT_SIDE and PAINT_MARGIN."""
    w = int(round((mp * 1e6 * 4 / 3) ** 0.5 / 16) * 16)
    h = w * 3 // 4
    examples = paths.examples()
    src = Image.open(examples[0]).convert("RGB") if examples else Image.new("RGB", (w, h), (90, 140, 200))
    files = {k: folder / f"{k}_{mp}mp.{'jpg' if k == 'photo' else 'png'}" for k in ("photo", "layer", "mask")}
    src.resize((w, h), Image.Resampling.BICUBIC).save(files["photo"], quality=92)
    s = min(paint_side / w, 1.0)
    dw, dh = round(w * s), round(h * s)
    layer = np.zeros((dh + 2 * margin, dw + 2 * margin, 4), np.uint8)
    stroke = layer[margin : margin + dh, margin : margin + dw]
    stroke[dh // 2 - 24 : dh // 2 + 24, int(0.3 * dw) : int(0.7 * dw)] = 255  # one stroke of the default 24-px brush
    Image.fromarray(layer, "RGBA").save(files["layer"])
    mask = Image.fromarray(stroke[..., 3].copy()).resize((w, h), Image.Resampling.BILINEAR)
    Image.fromarray((np.asarray(mask) >= 128).astype(np.uint8) * 255).save(files["mask"])
    return files


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(stage_log: Path, log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = dict(os.environ, GRADIO_SERVER_NAME="127.0.0.1", GRADIO_SERVER_PORT=str(port), GRADIO_ANALYTICS_ENABLED="False",
               GANPAINT_STAGE_LOG=str(stage_log))
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=open(log, "w"), stderr=subprocess.STDOUT)
    for _ in range(240):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, f"http://127.0.0.1:{port}"
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError("the app did not start: " + log.read_text()[-2000:])
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError("the app did not start within 120 s")


def median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def upload_s(url: str, path: Path) -> float:
    import httpx

    t = time.perf_counter()
    with open(path, "rb") as f:
        httpx.post(f"{url}/gradio_api/upload", files={"files": (path.name, f)}, timeout=120).raise_for_status()
    return time.perf_counter() - t


def tab_request(client, url: str, inputs: dict, stage_log: Path, repeats: int) -> dict:
    """The Inpaint tab's request (the photo, and the brush layer painted on the editor's copy) through
    gradio_client, by stage."""
    from gradio_client import handle_file

    photo, layer = inputs["photo"], inputs["layer"]
    strokes = [handle_file(str(layer))]  # what the tab's browser-only step hands over: the editor's brush layers
    rows = []
    for _ in range(repeats):
        before = stage_log.read_text().count("\n") if stage_log.exists() else 0
        t = time.perf_counter()
        client.predict(handle_file(str(photo)), strokes, "gan", "auto", 0, 0, True, True, api_name="/inpaint_ui")
        total = time.perf_counter() - t
        lines = stage_log.read_text().splitlines()
        assert len(lines) == before + 1, "the app wrote no stage line"
        stages = json.loads(lines[-1])
        up = upload_s(url, photo) + upload_s(url, layer)
        rows.append({"upload": up, **stages, "total": total})
    out = {k: statistics.median(r[k] for r in rows) for k in rows[0]}
    out["Gradio processing and response"] = max(out["total"] - sum(v for k, v in out.items() if k != "total"), 0.0)
    return out


def open_app(playwright, url: str, viewport=(1400, 1000)):
    """Headless Debian chromium on the app, once the Inpaint editor is drawn: (browser, page)."""
    browser = playwright.chromium.launch(executable_path=CHROMIUM,
                                         args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
    page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
    page.goto(url)
    page.wait_for_selector("#inpaint_editor canvas", timeout=60_000)
    return browser, page


def browser_click_to_shown(url: str, photo: Path, repeats: int) -> float | None:
    """Seconds from the click on Inpaint until the before/after view shows the new result, in headless chromium;
    each repeat paints one stroke (a new one each time, so a new result) and undoes it after."""
    if not Path(CHROMIUM).exists():
        return None
    from playwright.sync_api import sync_playwright

    times = []
    with sync_playwright() as p:
        browser, page = open_app(p, url)
        page.locator("#inpaint_photo input[type=file]").first.set_input_files(str(photo))
        time.sleep(4 + Image.open(photo).width / 1000)  # the app makes the painting copy; the editor draws it
        page.get_by_role("button", name="Brush", exact=True).first.click()
        for repeat in range(repeats):
            canvas = page.locator("#inpaint_editor canvas").first
            canvas.scroll_into_view_if_needed()  # a result can scroll the page
            box = canvas.bounding_box()
            cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
            y = cy + 40 * (repeat - repeats // 2)  # a new stroke each time: a new result, not a cached one
            page.mouse.move(cx - 80, y)
            page.mouse.down()
            for i in range(1, 21):
                page.mouse.move(cx - 80 + 8 * i, y, steps=2)
            page.mouse.up()
            time.sleep(1)
            old = page.eval_on_selector_all("#inpaint_slider img", "els => els.map(e => e.src).join(' ')")
            t = time.perf_counter()
            page.locator("#inpaint_button").click()
            page.wait_for_function(
                """old => { const imgs = [...document.querySelectorAll('#inpaint_slider img')];
                            return imgs.length >= 2 && imgs.map(e => e.src).join(' ') !== old
                                   && imgs.every(e => e.complete && e.naturalWidth > 0); }""",
                arg=old, timeout=120_000, polling=50)
            times.append(time.perf_counter() - t)
            page.get_by_role("button", name="Undo", exact=True).first.click()  # the next repeat: one stroke again
            time.sleep(0.5)
        browser.close()
    return statistics.median(times)


def other_tasks(client, gan, folder: Path, repeats: int) -> list[dict]:
    """Outpaint (a 12 MP photo, 256 px more on the left and right) and Bridge (two 6 MP photos, a gap of 20 %: the
    largest canvas under the size limit): the library call, and the endpoint through gradio_client."""
    from gradio_client import handle_file

    from .compose import bridge, outpaint

    photo, half = make_inputs(12, folder)["photo"], make_inputs(6, folder)["photo"]
    cases = {"outpaint": (lambda: outpaint(gan, photo, left=256, right=256),
                          lambda: client.predict(handle_file(str(photo)), 256, 256, 0, 0, "none", "gan", api_name="/outpaint")),
             "bridge": (lambda: bridge(gan, half, half, "horizontal", 0.2),
                        lambda: client.predict(handle_file(str(half)), handle_file(str(half)), "horizontal", 0.2, "gan",
                                               api_name="/bridge"))}
    rows = []
    for task, (library, api) in cases.items():
        size = list(library().size)  # warm-up, and the canvas it fills
        api()
        row = {"task": task, "size": size, "library_s": median_time(library, repeats), "api_s": median_time(api, repeats)}
        row["api_over_library"] = row["api_s"] / row["library_s"]
        print(json.dumps(row), flush=True)
        rows.append(row)
    return rows


def run(sizes=SIZES_MP, repeats: int = 3, browser: bool = True) -> dict:
    from gradio_client import Client, handle_file

    from .inpainters import get_inpainter

    folder = Path(tempfile.mkdtemp(prefix="ganpaint_bench_app_"))
    stage_log = folder / "stages.jsonl"
    proc, url = start_app(stage_log, folder / "app.log")
    rows = []
    try:
        client = Client(url, verbose=False)
        gan = get_inpainter("gan")
        for mp in sizes:
            inputs = make_inputs(mp, folder)
            photo, mask = inputs["photo"], inputs["mask"]
            gan(photo, mask)  # warm-up: first call loads and plans
            client.predict(handle_file(str(photo)), handle_file(str(mask)), "gan", api_name="/inpaint")
            row = {"megapixels": mp, "size": list(Image.open(photo).size),
                   "library_s": median_time(lambda: gan(photo, mask), repeats),
                   "api_inpaint_s": median_time(lambda: client.predict(
                       handle_file(str(photo)), handle_file(str(mask)), "gan", api_name="/inpaint"), repeats),
                   "tab_stages_s": tab_request(client, url, inputs, stage_log, repeats)}
            row["api_over_library"] = row["api_inpaint_s"] / row["library_s"]
            if browser:
                row["browser_click_to_shown_s"] = browser_click_to_shown(url, photo, repeats)
            print(json.dumps(row), flush=True)
            rows.append(row)
        others = other_tasks(client, gan, folder, repeats)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return {"results": rows, "other_tasks": others, "cores": os.cpu_count(), "repeats": repeats}


def markdown(rows: list[dict]) -> str:
    stages = list(rows[0]["tab_stages_s"]) if rows else []
    head = ["photo", "library", "/inpaint (client)", "× library", "browser click→shown"] + [f"tab: {s}" for s in stages]
    table = []
    for r in rows:
        shown = r.get("browser_click_to_shown_s")
        cells = [f"{r['megapixels']} MP ({r['size'][0]}×{r['size'][1]})", f"{r['library_s']:.2f} s",
                 f"{r['api_inpaint_s']:.2f} s", f"{r['api_over_library']:.2f}×", "—" if shown is None else f"{shown:.2f} s"]
        cells += [f"{r['tab_stages_s'][s]:.2f}" for s in stages]
        table.append(cells)
    return results.markdown(head, table)


def markdown_other(rows: list[dict]) -> str:
    head = ["task", "canvas", "library", "endpoint (client)", "× library"]
    return results.markdown(head, [[r["task"], f"{r['size'][0]}×{r['size'][1]}", f"{r['library_s']:.2f} s",
                                    f"{r['api_s']:.2f} s", f"{r['api_over_library']:.2f}×"] for r in rows])
