import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from ganpaint.cli import main as cli
from ganpaint.evaluate import FIELDS

ROOT = __import__("conftest").ROOT


def test_evaluate_on_four_photos_writes_every_field(photos, tiny_weights, tmp_path):
    out = tmp_path / "results.json"
    cmd = [sys.executable, "-m", "ganpaint.evaluate", "--images", str(photos), "--methods", "gan,telea,ns",
           "--difficulty", "easy,hard", "--size", "64", "--seed", "0", "--json", str(out),
           "--weights", str(tiny_weights), "--grid-dir", str(tmp_path / "grids")]
    run = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    assert "| gan | inpaint | easy | 4 |" in run.stdout
    results = json.loads(out.read_text())["results"]
    assert {(r["method"], r["difficulty"]) for r in results} == {(m, d) for m in ("gan", "telea", "ns") for d in ("easy", "hard")}
    for r in results:
        assert set(FIELDS) <= set(r)
        assert r["n"] == 4 and 5 < r["psnr"] < 60 and 0 < r["ssim"] <= 1 and 0 <= r["lpips"] < 1.5
        assert 0 <= r["l1_hole"] <= 1 and 0 < r["accuracy"] <= 1 and r["ms_per_image"] > 0
        assert r["accuracy"] >= 1 - r["l1_hole"]  # the hole is where all the error is
    assert (tmp_path / "grids" / "grid_hard.jpg").exists()


def test_evaluate_tasks_have_their_layouts_and_a_task_field(photos, tiny_weights, tmp_path):
    from ganpaint.evaluate import main as evaluate, task_mask

    out = evaluate(["--images", str(photos), "--methods", "gan,telea", "--weights", str(tiny_weights), "--size", "64",
                    "--task", "inpaint,outpaint,bridge,bridge_diag", "--difficulty", "medium",
                    "--grid-dir", str(tmp_path / "grids")])
    assert [(r["task"], r["difficulty"]) for r in out["results"]] == [
        (t, d) for t, d in [("inpaint", "medium"), ("outpaint", "-"), ("bridge", "-"), ("bridge_diag", "-")] for _ in "gt"]
    assert {p.name for p in (tmp_path / "grids").glob("*.jpg")} == {
        "grid_medium.jpg", "grid_outpaint.jpg", "grid_bridge.jpg", "grid_bridge_diag.jpg"}
    outpaint, bridge, diag = (task_mask(t, 64) for t in ("outpaint", "bridge", "bridge_diag"))
    assert outpaint[:, :16].all() and outpaint[:, 48:].all() and not outpaint[:, 16:48].any()
    assert abs(bridge.mean() - 0.3) < 0.02 and bridge[:, 32].all() and not bridge[:, :20].any()
    assert diag[:32, 32:].all() and diag[32:, :32].all() and not diag[:32, :32].any() and not diag[32:, 32:].any()
    with pytest.raises(SystemExit):
        evaluate(["--images", str(photos), "--task", "inpaint,sideways", "--size", "64"])


def test_cli_inpaint_folder_pairs_masks_by_name(photos, tiny_weights, tmp_path):
    masks = tmp_path / "masks"
    masks.mkdir()
    for p in sorted(photos.iterdir()):
        w, h = Image.open(p).size
        m = np.zeros((h, w), np.uint8)
        m[h // 4 : h // 2, w // 4 : w // 2] = 255
        Image.fromarray(m).save(masks / (p.stem + ".png"))  # other extension, same name
    cli(["inpaint", "--image", str(photos), "--mask", str(masks), "--out", str(tmp_path / "out"),
         "--weights", str(tiny_weights)])
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(p.name for p in photos.iterdir())


def test_cli_missing_mask_is_a_clear_error(photos, tmp_path, capsys):
    masks = tmp_path / "masks"
    masks.mkdir()
    Image.new("L", (8, 8), 255).save(masks / "photo0.png")
    with pytest.raises(SystemExit, match="no mask in .* for: photo1.jpg"):
        cli(["inpaint", "--image", str(photos), "--mask", str(masks), "--out", str(tmp_path / "o"), "--method", "telea"])


def test_cli_outpaint_and_bridge(photos, tmp_path):
    first, second = sorted(photos.iterdir())[:2]
    cli(["outpaint", "--image", str(first), "--out", str(tmp_path / "wide"), "--aspect", "21:9", "--method", "ns"])
    w, h = Image.open(tmp_path / "wide" / first.name).size
    assert abs(w / h - 21 / 9) < 0.01
    cli(["bridge", "--first", str(first), "--second", str(second), "--out", str(tmp_path / "b"), "--method", "telea"])
    assert (tmp_path / "b" / first.name).exists()


def test_console_script_is_installed():
    run = subprocess.run(["ganpaint", "methods"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and "telea" in run.stdout


def test_benchmark_writes_every_field(tiny_weights, tmp_path):
    import os

    out = tmp_path / "bench.json"
    env = dict(os.environ, GANPAINT_GAN_WEIGHTS=str(tiny_weights))
    cmd = [sys.executable, "-m", "ganpaint.benchmark", "--methods", "gan,telea", "--sizes", "64,320", "--repeats", "2",
           "--devices", "cpu", "--json", str(out)]
    run = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600, env=env)
    assert run.returncode == 0, run.stderr
    rows = json.loads(out.read_text())["results"]
    assert [(r["method"], r["size"]) for r in rows] == [("gan", 64), ("gan", 320), ("telea", 64), ("telea", 320)]
    for r in rows:
        assert r["ms"] > 0 and r["peak_mb"] > 50 and r["repeats"] == 2 and r["strategy"] == "auto" and r["detail"] is True
        assert len(r["ms_runs"]) == 2 and abs(r["ms_min"] - min(r["ms_runs"])) <= 0.05 and r["ms_min"] <= r["ms"]
    assert rows[0]["parameters"] > 0 and rows[2]["parameters"] == 0
    # the GAN fills a 320² photo at its 256 px working resolution; OpenCV at full size
    assert [r["fills_at"] for r in rows] == [64, 256, 64, 320]
    assert "| telea | cpu | 320² | 320 px |" in run.stdout


def test_report_joins_size_compute_speed_and_quality(tiny_weights, tmp_path, monkeypatch):
    import types

    from ganpaint.report import main as report
    from ganpaint.training.common import write_training_info

    weights = tmp_path / "gan"
    weights.mkdir()
    write_training_info(weights, types.SimpleNamespace(batch_size=8, size=128), 1000, 12.5, ["NVIDIA H200"])
    monkeypatch.setenv("GANPAINT_GAN_WEIGHTS", str(weights))
    row = {"repeats": 5, "peak_mb": 1.0, "weights_mb": 1.0, "note": ""}
    cpu = {"results": [dict(row, method="gan", size=512, device="cpu", ms=102.5, parameters=3_570_000, fills_at=256),
                       dict(row, method="telea", size=512, device="cpu", ms=440.7, parameters=0)]}
    gpu = {"results": [dict(row, method="gan", size=512, device="cuda", ms=2.25, parameters=3_570_000)]}
    quality = {"results": [{"method": m, "difficulty": d, "psnr": p, "ssim": 0.9, "lpips": lp}
                           for m, p, lp in (("gan", 27.6, 0.165), ("telea", 26.6, 0.186)) for d in ("medium", "hard")],
               "unavailable": [{"method": "sd", "reason": "offline"}]}
    for name, data in (("cpu", cpu), ("gpu", gpu), ("eval", quality)):
        (tmp_path / f"{name}.json").write_text(json.dumps(data))
    table = report(["--eval", str(tmp_path / "eval.json"), "--benchmark", str(tmp_path / "cpu.json"),
                    "--benchmark", str(tmp_path / "gpu.json")]).splitlines()
    assert table[2].startswith("| gan | 3.57 M | 12 min on NVIDIA H200: 1000 steps × 8 at 128² (8.0 k images) | 102 (fills at 256 px) | 2.2 | 27.60")
    assert table[3].startswith("| telea | 0 | none (classical) | 441 | – | 26.60 |")
    assert table[4].startswith("| sd | – |") and "unavailable" in table[4] and table[-1].endswith("offline")


def test_report_follows_the_weights_a_run_started_from(tmp_path):
    import types

    from ganpaint.report import describe_training
    from ganpaint.training.common import write_training_info

    first, second = tmp_path / "gan128", tmp_path / "gan"
    write_training_info(first, types.SimpleNamespace(batch_size=8, size=128), 1000, 110.0, ["2-core x86_64 CPU"])
    write_training_info(second, types.SimpleNamespace(batch_size=8, size=256, init_from=str(first)), 500, 60.0,
                        ["2-core x86_64 CPU"])
    assert describe_training(second) == (
        f"60 min on 2-core x86_64 CPU: 500 steps × 8 at 256² (4.0 k images), started from {first} "
        "(110 min on 2-core x86_64 CPU: 1000 steps × 8 at 128² (8.0 k images))")
    assert describe_training(tmp_path / "missing") is None


def test_evaluate_merge_keeps_other_methods_rows_and_refuses_other_masks(photos, tiny_weights, tmp_path):
    from ganpaint.evaluate import main as evaluate

    base = ["--images", str(photos), "--difficulty", "easy,hard", "--size", "48", "--seed", "0"]
    first = evaluate(base + ["--methods", "gan,telea", "--json", str(tmp_path / "a.json")])
    again = evaluate(base + ["--methods", "gan", "--weights", str(tiny_weights), "--merge", str(tmp_path / "a.json")])
    assert [(r["method"], r["difficulty"]) for r in again["results"]] == [
        ("gan", "easy"), ("telea", "easy"), ("gan", "hard"), ("telea", "hard")]
    assert [r for r in again["results"] if r["method"] == "telea"] == [r for r in first["results"] if r["method"] == "telea"]
    assert again["merged_from"]["methods"] == ["telea"] and again["weights"] == str(tiny_weights)
    with pytest.raises(SystemExit):  # other masks: the rows would not be comparable
        evaluate(["--images", str(photos), "--difficulty", "easy", "--size", "64", "--methods", "gan",
                  "--merge", str(tmp_path / "a.json")])


def test_evaluate_gan_max_side_reaches_the_inpainter(tiny_weights):
    from ganpaint.evaluate import make_inpainter

    assert make_inpainter("gan", str(tiny_weights), 384).max_side == 384
    assert make_inpainter("gan", str(tiny_weights)).max_side == 256  # no training.json: at least 256
    assert make_inpainter("telea", None, 384).max_side == 4096       # OpenCV keeps its own


def test_cli_detail_flag_reaches_the_inpainter(tiny_weights, tmp_path):
    from ganpaint.inpainters.gan import GANInpainter

    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (400, 600, 3), dtype=np.uint8)  # above the tiny GAN's 256 px: the fill is upscaled
    mask = np.zeros((400, 600), np.uint8)
    mask[100:300, 150:450] = 255
    Image.fromarray(img).save(tmp_path / "p.png")
    Image.fromarray(mask).save(tmp_path / "m.png")
    for flag in ("--detail", "--no-detail"):
        cli(["inpaint", "--image", str(tmp_path / "p.png"), "--mask", str(tmp_path / "m.png"), "--out",
             str(tmp_path / flag), "--weights", str(tiny_weights), flag])
    with_detail, without = (np.asarray(Image.open(tmp_path / f / "p.png")) for f in ("--detail", "--no-detail"))
    assert not np.array_equal(with_detail, without)
    assert np.array_equal(without, np.asarray(GANInpainter(str(tiny_weights))(img, mask, detail=False)))


def _jpeg_and_mask(tmp_path):
    photo = tmp_path / "in" / "shot.jpg"
    photo.parent.mkdir()
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (48, 64, 3), np.uint8)).save(photo, quality=90)
    mask = np.zeros((48, 64), np.uint8)
    mask[10:30, 10:30] = 255
    Image.fromarray(mask).save(tmp_path / "mask.png")
    return photo, tmp_path / "mask.png", mask == 0


def test_cli_lossless_formats_keep_pixels_and_jpeg_says_it_is_lossy(tmp_path, capsys):
    photo, mask, keep = _jpeg_and_mask(tmp_path)
    original = np.asarray(Image.open(photo).convert("RGB"))
    for fmt, name in (("png", "shot.png"), ("webp", "shot.webp")):
        cli(["inpaint", "--image", str(photo), "--mask", str(mask), "--out", str(tmp_path / fmt), "--method", "telea",
             "--format", fmt])
        assert np.array_equal(np.asarray(Image.open(tmp_path / fmt / name).convert("RGB"))[keep], original[keep])
    capsys.readouterr()
    cli(["inpaint", "--image", str(photo), "--mask", str(mask), "--out", str(tmp_path / "same"), "--method", "telea"])
    assert (tmp_path / "same" / "shot.jpg").exists()  # 'same' keeps the file name
    assert "JPEG is lossy" in capsys.readouterr().err
    assert "lossy" in subprocess.run([sys.executable, "-m", "ganpaint", "inpaint", "--help"], cwd=ROOT,
                                     capture_output=True, text=True).stdout


def test_cli_refuses_to_overwrite_inputs_unless_asked(tmp_path):
    photo, mask, _ = _jpeg_and_mask(tmp_path)
    before = photo.read_bytes()
    with pytest.raises(SystemExit, match="overwrite input file\\(s\\) shot.jpg"):
        cli(["inpaint", "--image", str(photo), "--mask", str(mask), "--out", str(photo.parent), "--method", "telea"])
    assert photo.read_bytes() == before
    cli(["inpaint", "--image", str(photo), "--mask", str(mask), "--out", str(photo.parent), "--method", "telea",
         "--overwrite"])
    assert photo.read_bytes() != before


def test_cli_batch_goes_on_past_a_bad_file_and_exits_non_zero(photos, tmp_path, capsys):
    folder = tmp_path / "batch"
    shutil_copy = __import__("shutil").copytree
    shutil_copy(photos, folder)
    (folder / "broken.jpg").write_bytes(b"not a jpeg at all")
    with pytest.raises(SystemExit) as exit_:
        cli(["outpaint", "--image", str(folder), "--out", str(tmp_path / "out"), "--left", "16", "--method", "telea"])
    assert exit_.value.code == 1
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(p.name for p in photos.iterdir())
    assert "1 failed" in capsys.readouterr().err


def test_compare_keeps_the_fills_when_lpips_cannot_be_computed(monkeypatch):
    import ganpaint.evaluate as ev

    def offline(a, b):
        raise OSError("<urlopen error [Errno -3] Temporary failure in name resolution>")

    monkeypatch.setattr(ev, "lpips", offline)
    img = np.random.default_rng(0).integers(0, 256, (40, 40, 3), np.uint8)
    mask = np.zeros((40, 40), np.uint8)
    mask[10:20, 10:20] = 255
    rows = ev.compare(img, mask, ["telea", "ns"], truth=img)
    for r in rows:
        assert r["available"] and r["image"].size == (40, 40) and r["psnr"] > 5
        assert r["lpips"] is None and "LPIPS could not be computed: <urlopen error" in r["lpips_missing"]
    with pytest.raises(OSError):  # an evaluation table must not silently lose a column
        ev.image_metrics(img, img, mask > 0)


def test_an_install_without_the_checkout_says_where_weights_go_or_uses_the_hub_fallback(monkeypatch, tmp_path):
    """`pip install .` run from elsewhere has no weights/: `ganpaint methods` must say what to set, not a site-packages path."""
    from ganpaint import paths
    from ganpaint.inpainters import method_class

    monkeypatch.setattr(paths, "CHECKOUT", tmp_path / "site-packages")
    monkeypatch.delenv("GANPAINT_GAN_WEIGHTS", raising=False)
    monkeypatch.delenv("GANPAINT_DIFFUSION_WEIGHTS", raising=False)
    ok, why = method_class("gan").available()
    assert not ok and "GANPAINT_GAN_WEIGHTS" in why and "no checkout" in why and "site-packages" not in why
    ok, why = method_class("diffusion").available()
    assert not ok and "GANPAINT_DIFFUSION_WEIGHTS" in why
    # a published repo set in ganpaint.paths is the fallback (downloaded on first use)
    monkeypatch.setitem(paths.HUB_REPOS, "gan", "someone/ganpaint-gan")
    assert paths.weights("gan") == "someone/ganpaint-gan" and method_class("gan").available() == (True, "")
    # the variable wins over everything
    monkeypatch.setenv("GANPAINT_GAN_WEIGHTS", str(tmp_path / "mine"))
    assert paths.weights("gan") == str(tmp_path / "mine")
    assert "no GAN weights at" in method_class("gan").available()[1]


def test_cli_timing_says_where_each_photos_time_went(photos, tiny_weights, tmp_path, capsys):
    masks = tmp_path / "masks"
    masks.mkdir()
    for p in sorted(photos.iterdir()):
        w, h = Image.open(p).size
        m = np.zeros((h, w), np.uint8)
        m[h // 3 : h // 2, w // 3 : w // 2] = 255
        Image.fromarray(m).save(masks / (p.stem + ".png"))
    cli(["inpaint", "--image", str(photos), "--mask", str(masks), "--out", str(tmp_path / "out"), "--format", "png",
         "--weights", str(tiny_weights), "--timing"])
    err = capsys.readouterr().err
    import re

    rows = [re.match(r"^\s*(.+?)\s{2,}([\d.]+)(?:\s+[\d.]+%)?$", line) for line in err.splitlines()]
    ms = {m.group(1): float(m.group(2)) for m in rows if m}
    for stage in ("open and check", "fill", "texture", "texture: search and vote", "texture: seams", "paste back",
                  "write", "total"):
        assert stage in ms, err
    total = ms["total"]
    parts = sum(ms[s] for s in ("open and check", "fill", "texture", "paste back", "write"))
    assert total > 0 and abs(parts - total) < 0.01 * total + 0.5  # the top-level stages add up to the total


def test_evaluate_guide_none_leaves_the_network_out(photos, tiny_weights, monkeypatch):
    from ganpaint.evaluate import main as evaluate
    from ganpaint.inpainters.gan import GANInpainter

    args = ["--images", str(photos), "--methods", "gan", "--weights", str(tiny_weights), "--size", "64",
            "--difficulty", "hard", "--task", "inpaint,outpaint"]
    with_network = evaluate(args)["results"]
    monkeypatch.setattr(GANInpainter, "warmup", lambda self: None)  # a timing warm-up, before any fill
    monkeypatch.setattr(GANInpainter, "forward", lambda *a, **k: pytest.fail("the network ran"))
    out = evaluate(args + ["--guide", "none"])
    assert out["guide"] == "none" and [r["guide"] for r in out["results"]] == ["none", "none"]
    assert [r["psnr"] for r in out["results"]] != [r["psnr"] for r in with_network]
    with pytest.raises(SystemExit):
        evaluate(args + ["--texture", "not_a_setting=1"])


def test_benchmark_times_the_folder_command_against_the_library(photos, tmp_path):
    from ganpaint.benchmark_folder import folder_rows, markdown

    rows = folder_rows(["telea"], [64], 2, str(photos), repeats=1)
    assert [(r["method"], r["size"], r["photos"]) for r in rows] == [("telea", 64, 2)]
    assert rows[0]["library_ms"] > 0 and rows[0]["cli_ms"] == rows[0]["cli_runs"][0]
    assert "| telea | 64² |" in markdown(rows)
