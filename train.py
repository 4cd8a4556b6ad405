"""Train ganpaint's models.

    python train.py gan --data ../shared/data/scenery/train --out runs/gan [--max-minutes 60] [--resume]
    python train.py diffusion --data ../shared/data/scenery/train --out runs/diffusion
    python train.py gan --help
    python train.py export-state training_state/gan weights/gan   # the committed state's generator as the weights
"""

import sys

COMMANDS = {"gan": "ganpaint.training.gan", "diffusion": "ganpaint.training.diffusion",
            "export-state": "ganpaint.training.state"}


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in COMMANDS:
        sys.exit(f"usage: python train.py {{{','.join(COMMANDS)}}} [--flags]   (python train.py gan --help)")
    import importlib

    importlib.import_module(COMMANDS[argv[0]]).cli(argv[1:])


if __name__ == "__main__":
    main()
