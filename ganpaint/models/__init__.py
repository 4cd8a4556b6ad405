from .discriminator import PatchDiscriminator
from .generator import Generator

__all__ = ["Generator", "PatchDiscriminator"]
