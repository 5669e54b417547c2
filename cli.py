"""Entry point of the `lvyue` command."""

from __future__ import annotations

import sys

from engine.cli import build_cli
from engine.cli import main as _main

__all__ = ["build_cli", "main"]


def main() -> None:
    sys.exit(_main())


if __name__ == "__main__":
    main()
