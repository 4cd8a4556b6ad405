"""Stable Diffusion 1.5 inpainting's published architecture, and pipelines built from configs.

Used where the pretrained weights cannot be downloaded: the benchmark times the
same architecture with random weights ("timing only"), and the tests build a
tiny random pipeline so the real wrapper code runs offline.
"""

from __future__ import annotations

import json
from pathlib import Path

# From stable-diffusion-v1-5/stable-diffusion-inpainting: unet/, vae/ and text_encoder/ config.json.
SD15_INPAINT_UNET = dict(
    sample_size=64, in_channels=9, out_channels=4, layers_per_block=2, block_out_channels=(320, 640, 1280, 1280),
    down_block_types=("CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"),
    up_block_types=("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"),
    cross_attention_dim=768, attention_head_dim=8, norm_num_groups=32, act_fn="silu", flip_sin_to_cos=True, freq_shift=0,
)
SD15_VAE = dict(
    in_channels=3, out_channels=3, latent_channels=4, layers_per_block=2, block_out_channels=(128, 256, 512, 512),
    down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4, norm_num_groups=32,
    sample_size=512, act_fn="silu",
)
SD15_TEXT = dict(
    vocab_size=49408, hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12,
    max_position_embeddings=77, hidden_act="quick_gelu", projection_dim=768,
)
SD15_SCHEDULER = dict(num_train_timesteps=1000, beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
                      steps_offset=1, set_alpha_to_one=False, skip_prk_steps=True)

# A tiny architecture of the same shape, for tests.
TINY_UNET = dict(
    sample_size=16, in_channels=9, out_channels=4, layers_per_block=1, block_out_channels=(32, 64),
    down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"), up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
    cross_attention_dim=32, attention_head_dim=4, norm_num_groups=8,
)
TINY_VAE = dict(in_channels=3, out_channels=3, latent_channels=4, layers_per_block=1, block_out_channels=(16, 32),
                down_block_types=("DownEncoderBlock2D",) * 2, up_block_types=("UpDecoderBlock2D",) * 2, norm_num_groups=8)
TINY_TEXT = dict(vocab_size=1000, hidden_size=32, intermediate_size=37, num_hidden_layers=2, num_attention_heads=4,
                 max_position_embeddings=77, bos_token_id=0, eos_token_id=1, pad_token_id=1)


def write_tokenizer(folder: Path) -> Path:
    """A small byte-pair-encoding CLIP tokenizer (letters and a few merges), written as files."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    letters = [chr(c) for c in range(ord("a"), ord("z") + 1)]
    tokens = ["<|startoftext|>", "<|endoftext|>"] + letters + [c + "</w>" for c in letters] + ["th", "the</w>", "er"]
    (folder / "vocab.json").write_text(json.dumps({t: i for i, t in enumerate(tokens)}))
    (folder / "merges.txt").write_text("#version: 0.2\nt h\nth e</w>\ne r\n")
    return folder


def build_pipeline(unet: dict, vae: dict, text: dict, tokenizer_dir: Path, seed: int = 0):
    """A StableDiffusionInpaintPipeline with random weights from architecture configs."""
    import torch
    from diffusers import AutoencoderKL, PNDMScheduler, StableDiffusionInpaintPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    torch.manual_seed(seed)
    tokenizer = CLIPTokenizer(str(Path(tokenizer_dir) / "vocab.json"), str(Path(tokenizer_dir) / "merges.txt"),
                              model_max_length=text["max_position_embeddings"])
    return StableDiffusionInpaintPipeline(
        unet=UNet2DConditionModel(**unet), vae=AutoencoderKL(**vae), text_encoder=CLIPTextModel(CLIPTextConfig(**text)),
        tokenizer=tokenizer, scheduler=PNDMScheduler(**SD15_SCHEDULER),
        safety_checker=None, feature_extractor=None, requires_safety_checker=False,
    )
