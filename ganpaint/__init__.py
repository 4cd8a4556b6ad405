"""ganpaint: inpainting and outpainting of natural scenery with a small GAN.

    from ganpaint import get_inpainter
    result = get_inpainter("gan")(image, mask)      # white in the mask = fill
"""

from .compose import bridge, outpaint
from .inputs import MAX_PIXELS, InpaintError
from .inpainters import METHODS, Inpainter, availability, get_inpainter

__version__ = "0.1.0"
__all__ = ["Inpainter", "InpaintError", "MAX_PIXELS", "METHODS", "availability", "bridge", "get_inpainter", "outpaint"]
