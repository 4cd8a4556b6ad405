"""A thin stroke across a mountain face (683x512, 24 px): rows = bare GAN fill, + texture stage, Telea fill,
+ texture stage, PatchMatch. before.png: the texture stage copied the lake's reflections whatever its guide;
after.png: the second design (an exemplar fill the guide seeds, sources near the hole via texture.REACH, the
closest-patch vote) copies the rock around the stroke (issue 14)."""
import numpy as np, cv2
from PIL import Image
import ganpaint.inpainters.texture as tx
from ganpaint import get_inpainter
src = Image.open("examples/000.jpg").convert("RGB")
W, H = src.size
im = src.crop(((W - H * 4 // 3) // 2, 0, (W + H * 4 // 3) // 2, H)).resize((683, 512), Image.Resampling.LANCZOS)
w, h = im.size
m = np.zeros((h, w), np.uint8); yy, xx = np.mgrid[:h, :w]
m[(abs(yy - h * 0.5) < 12) & (xx > w * 0.3) & (xx < w * 0.7)] = 255
rgb = np.asarray(im); hole = m > 0
crop = (int(w*0.25), int(h*0.4), int(w*0.75), int(h*0.6))
telea = cv2.inpaint(rgb, m, 5, cv2.INPAINT_TELEA)
gan = np.asarray(get_inpainter("gan")(im, Image.fromarray(m), detail=False))
rows = []
for guide in (gan, telea):
    out = tx.add_texture(rgb, hole, guide)
    rows += [guide, out]
rows.append(np.asarray(get_inpainter("patchmatch")(im, Image.fromarray(m))))
rows = [np.asarray(Image.fromarray(r).crop(crop)) for r in rows]
Image.fromarray(np.concatenate(rows, 0)).resize((2*(crop[2]-crop[0]), 2*len(rows)*(crop[3]-crop[1])), Image.Resampling.NEAREST).save("results/gan/thin_stroke/after.png")
