"""Classical inpainting from OpenCV: Telea's fast marching and Navier-Stokes."""

from __future__ import annotations

import cv2
import numpy as np

from .base import Inpainter


class OpenCVInpainter(Inpainter):
    name = "opencv"
    pad_multiple = 1
    max_side = 4096  # runs at any size; no need to downscale
    flag = cv2.INPAINT_TELEA

    def __init__(self, radius: int = 5):
        self.radius = radius

    def forward(self, image: np.ndarray, mask: np.ndarray, **options) -> np.ndarray:
        # Each channel is filled independently, so RGB order needs no conversion.
        return cv2.inpaint(image, mask.astype(np.uint8) * 255, self.radius, self.flag)


class TeleaInpainter(OpenCVInpainter):
    name = "telea"
    label = "OpenCV Telea"
    flag = cv2.INPAINT_TELEA


class NavierStokesInpainter(OpenCVInpainter):
    name = "ns"
    label = "OpenCV Navier-Stokes"
    flag = cv2.INPAINT_NS
