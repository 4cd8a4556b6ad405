"""Which side the scratch diffusion model fills at best: val_xsrc at 512², medium holes (diffusion card, *Fill size*)."""
import time, json, numpy as np
from ganpaint.data import list_images, load_rgb, center_square
from ganpaint.evaluate import eval_masks, image_metrics
from ganpaint.inpainters.diffusion import DiffusionInpainter
from PIL import Image
files = list_images("../shared/data/scenery/val_xsrc")[:10]
size = 512
images = [center_square(load_rgb(f), size) for f in files]
masks = eval_masks(len(images), size, "medium", 0)
inp = DiffusionInpainter()
rows = []
for side in (128, 192, 256, 512):
    inp.max_side = side
    ms, mets = [], []
    for im, m in zip(images, masks):
        t = time.perf_counter()
        out = np.asarray(inp(Image.fromarray(im), Image.fromarray(m.astype(np.uint8) * 255)))
        ms.append((time.perf_counter() - t) * 1000)
        mets.append(image_metrics(out, im, m.astype(bool)))
    row = {"max_side": side, "ms": float(np.median(ms)), **{k: float(np.mean([x[k] for x in mets])) for k in ("psnr", "lpips")}}
    print(json.dumps(row), flush=True)
