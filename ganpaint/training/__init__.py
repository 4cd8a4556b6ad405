"""Training scripts: ``gan`` (the inpainting GAN) and ``diffusion`` (the scratch diffusion baseline)."""
