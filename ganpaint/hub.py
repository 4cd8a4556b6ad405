"""Publishing weights to the Hugging Face Hub."""

from __future__ import annotations

from pathlib import Path


LOADERS = {
    "gan": "from ganpaint.models import Generator\ng = Generator.from_pretrained(\"<this repo or folder>\")",
    "diffusion": "from ganpaint.inpainters.diffusion import DiffusionInpainter\ninpaint = DiffusionInpainter(\"<local folder>\")",
}


def model_card(title: str, config: dict, step: int, extra: str = "", kind: str = "gan") -> str:
    flags = "\n".join(f"| `{k}` | `{v}` |" for k, v in sorted(config.items()))
    return f"""---
library_name: ganpaint
tags: [inpainting, image-to-image, {kind}]
license: mit
---

# {title}

Trained with [ganpaint](https://github.com/) `train.py` for {step} steps.

Load it with:

```python
{LOADERS[kind]}
```

{extra}

## Training configuration

| option | value |
|---|---|
{flags}
"""


def push_folder(folder: Path, repo_id: str, config: dict, step: int, kind: str = "gan"):
    """Upload a save_pretrained folder with a model card; the folder's own README.md wins if present."""
    from huggingface_hub import create_repo, upload_folder

    folder = Path(folder)
    if not (folder / "README.md").exists():
        (folder / "README.md").write_text(model_card(f"ganpaint {kind} model: {repo_id}", config, step, kind=kind))
    try:
        create_repo(repo_id, exist_ok=True)
        url = upload_folder(repo_id=repo_id, folder_path=str(folder), commit_message=f"ganpaint weights, step {step}")
    except Exception as e:
        raise RuntimeError(
            f"could not push to the Hub repo {repo_id!r}: {e}. Log in with `hf auth login` (or set HF_TOKEN) "
            "and check the network; the weights are saved locally in " + str(folder)
        ) from e
    print(f"pushed {folder} to {url}")
    return url
