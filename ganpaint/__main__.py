"""`python -m ganpaint ...` works like the `ganpaint` command."""

from .cli import main

main()
