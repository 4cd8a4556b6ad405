import pytest
import torch

from ganpaint.models import Generator, PatchDiscriminator
from ganpaint.models.generator import known_edges

from conftest import TINY


def test_default_generator_size():
    assert sum(p.numel() for p in Generator().parameters()) <= 12_000_000


def test_generator_keeps_known_pixels():
    torch.manual_seed(0)
    g = Generator(**TINY)
    x = torch.rand(2, 3, 48, 64) * 2 - 1
    m = (torch.rand(2, 1, 48, 64) > 0.5).float()
    y = g(x, m)
    assert y.shape == x.shape
    assert torch.equal(y * (1 - m), x * (1 - m))
    assert y.min() >= -1 and y.max() <= 1


def test_generator_never_sees_hidden_pixels():
    torch.manual_seed(0)
    g = Generator(**TINY, use_edges=True)
    x = torch.rand(1, 3, 32, 32) * 2 - 1
    m = torch.zeros(1, 1, 32, 32)
    m[..., 8:24, 8:24] = 1
    other = x * (1 - m) + torch.rand_like(x) * m  # same known pixels, different hidden ones
    assert torch.equal(known_edges(x, m), known_edges(other, m))
    assert torch.allclose(g(x, m), g(other, m) * m + x * (1 - m))


def test_discriminator_patch_output():
    d = PatchDiscriminator(base=8)
    logits, feats = d(torch.randn(2, 3, 128, 128), torch.zeros(2, 1, 128, 128))
    assert logits.shape == (2, 1, 14, 14) and len(feats) == 4


def test_save_from_pretrained_round_trip(tmp_path):
    torch.manual_seed(1)
    g = Generator(**TINY, use_edges=True)
    g.save_pretrained(tmp_path)
    assert (tmp_path / "model.safetensors").exists() and (tmp_path / "config.json").exists()
    loaded = Generator.from_pretrained(tmp_path)
    assert loaded.use_edges
    x, m = torch.rand(1, 3, 32, 32), torch.ones(1, 1, 32, 32)
    assert torch.equal(g(x, m), loaded(x, m))


def test_weights_with_other_tensor_names_are_refused_not_loaded_at_random(tiny_weights, tmp_path, monkeypatch):
    import shutil

    from safetensors.torch import load_file, save_file

    from ganpaint.inpainters.gan import GANInpainter

    bad = tmp_path / "bad"
    shutil.copytree(tiny_weights, bad)
    tensors = load_file(bad / "model.safetensors")
    save_file({"module." + k: v for k, v in tensors.items()}, bad / "model.safetensors")
    with pytest.raises(ValueError, match="do not fit the generator.*module"):
        GANInpainter(str(bad))
    monkeypatch.setenv("GANPAINT_GAN_WEIGHTS", str(bad))
    ok, why = GANInpainter.available()
    assert not ok and "unexpected" in why and "module." in why
    monkeypatch.setenv("GANPAINT_GAN_WEIGHTS", str(tiny_weights))
    assert GANInpainter.available() == (True, "")


def test_a_context_generator_never_sees_hidden_pixels_and_loads_as_weights(tmp_path):
    """The AlexNet branch reads the known pixels only; saved with save_pretrained it fills through GANInpainter."""
    import numpy as np

    from ganpaint.inpainters.gan import GANInpainter

    torch.manual_seed(0)
    g = Generator(**TINY, context="alexnet").eval()
    torch.nn.init.normal_(g.from_context.weight, std=0.1)  # a trained join, so the branch counts
    x = torch.rand(1, 3, 32, 32) * 2 - 1
    m = torch.zeros(1, 1, 32, 32)
    m[..., 8:24, 8:24] = 1
    y = x.clone()
    y[..., 8:24, 8:24] = -x[..., 8:24, 8:24]
    with torch.no_grad():
        assert torch.equal(g(x, m), g(y, m))
        with_branch = g(x, m)
        torch.nn.init.zeros_(g.from_context.weight)
        assert not torch.equal(with_branch, g(x, m))  # the branch's view changes the fill
    g.save_pretrained(tmp_path / "w")
    image = np.random.default_rng(0).integers(0, 256, (40, 56, 3), dtype=np.uint8)
    mask = np.zeros((40, 56), np.uint8)
    mask[10:30, 10:40] = 255
    out = np.asarray(GANInpainter(weights=str(tmp_path / "w"))(image, mask, detail=False))
    assert np.array_equal(out[mask == 0], image[mask == 0])
    with pytest.raises(ValueError, match="context must be"):
        Generator(context="vgg19")
