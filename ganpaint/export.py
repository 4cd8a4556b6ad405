"""ONNX export of the generator, run with onnxruntime on the CPU.

    python -m ganpaint.export --weights weights/gan --out generator.onnx
"""

from __future__ import annotations

import argparse
import hashlib
import tempfile
from pathlib import Path

import torch

from .models import Generator


def export_onnx(generator: Generator, path: Path) -> Path:
    """Export with dynamic height and width (multiples of the generator's ``pad_multiple``)."""
    generator = generator.eval().float().cpu()
    m = generator.pad_multiple
    h, w = torch.export.Dim("h", min=1, max=512), torch.export.Dim("w", min=1, max=512)
    shapes = {2: m * h, 3: m * w}
    x, mask = torch.zeros(1, 3, 4 * m, 4 * m), torch.ones(1, 1, 4 * m, 4 * m)
    torch.onnx.export(generator, (x, mask), str(path), input_names=["image", "mask"], output_names=["output"],
                      dynamic_shapes={"image": shapes, "mask": shapes}, dynamo=True, verbose=False)
    return Path(path)


def onnx_session(generator: Generator):
    """An onnxruntime session for ``generator``, exported once into a cache keyed by its weights."""
    import onnxruntime as ort

    digest = hashlib.sha1(b"".join(t.detach().cpu().numpy().tobytes() for t in generator.state_dict().values())).hexdigest()[:16]
    path = Path(tempfile.gettempdir()) / "ganpaint-onnx" / f"generator-{digest}.onnx"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        export_onnx(generator, path)
    options = ort.SessionOptions()
    # The exported DFT's inferred shapes break onnxruntime's buffer reuse on dynamic sizes.
    options.enable_mem_reuse = False
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m ganpaint.export", description=__doc__.split("\n\n")[0])
    p.add_argument("--weights", default="weights/gan")
    p.add_argument("--out", default="generator.onnx")
    args = p.parse_args(argv)
    print(export_onnx(Generator.from_pretrained(args.weights), Path(args.out)))


if __name__ == "__main__":
    main()
