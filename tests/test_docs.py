"""The docs stay short, their links resolve and their speed figures are the committed run's."""

import json
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIMITS = {"README.md": 15_000, "weights/gan/README.md": 8_000, "weights/diffusion/README.md": 8_000,
          "docs/texture.md": 10_000}


def test_docs_keep_their_byte_limits():
    sizes = {name: (ROOT / name).stat().st_size for name in LIMITS}
    assert all(sizes[n] <= LIMITS[n] for n in LIMITS), sizes


def test_no_experiment_patches_in_the_tree():
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    assert tracked and not [f for f in tracked if f.endswith(".patch")]


def test_the_readme_links_resolve():
    text = (ROOT / "README.md").read_text()
    links = [t for t in re.findall(r"\]\(([^)#]+)", text) if not t.startswith(("http://", "https://"))]
    assert links and not [t for t in links if not (ROOT / t).exists()]


def test_the_readme_speed_table_is_the_committed_run():
    """Each method's CLI and library ms in the README are the rounded figures of results/benchmark_folder_512.json."""
    text = (ROOT / "README.md").read_text()
    rows = json.loads((ROOT / "results/benchmark_folder_512.json").read_text())["folder"]
    speed = text[text.index("## Speed"):]
    for r in rows:
        assert f"| {round(r['cli_ms'])} | {round(r['library_ms'])} | {r['cli_over_library']:.2f} |" in speed, r["method"]
    assert not re.search(r"\b[A-Z]{3,}_[A-Z]{3,}\b", text)  # no placeholder left where a table belongs


def test_the_readme_results_table_is_the_committed_evaluations():
    """The README's val_xsrc table is `python -m ganpaint.report --xsrc`: every figure from the committed JSONs."""
    from ganpaint.report import xsrc_table

    assert xsrc_table() in (ROOT / "README.md").read_text()
