"""The PNG writer the app's results go through: lossless in every mode it is handed."""

import numpy as np
import pytest
from PIL import Image

from ganpaint.outputs import write_png


@pytest.mark.parametrize("mode,shape,dtype", [("RGB", (37, 53, 3), np.uint8), ("RGBA", (37, 53, 4), np.uint8),
                                              ("L", (37, 53), np.uint8), ("I;16", (37, 53), np.uint16)])
def test_write_png_gives_back_every_pixel(tmp_path, mode, shape, dtype):
    rng = np.random.default_rng(0)
    arr = rng.integers(0, np.iinfo(dtype).max, shape, endpoint=True).astype(dtype)
    path = tmp_path / "out.png"
    write_png(Image.fromarray(arr, mode), path)
    back = Image.open(path)
    assert back.format == "PNG"
    assert np.array_equal(np.asarray(back), arr)
