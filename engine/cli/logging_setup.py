"""Log records on stderr for the commands that run unattended (worker, notify send)."""

from __future__ import annotations

import logging
import sys
from typing import TextIO


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is when a record arrives (test runners replace it)."""

    def __init__(self) -> None:
        super().__init__()

    @property  # type: ignore[override]
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def log_to_stderr(level: int) -> None:
    """Send Lvyue's log records at `level` and above to stderr (installed once per process)."""
    handler = next((h for h in logging.getLogger().handlers if isinstance(h, _StderrHandler)),
                   None)
    if handler is None:
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logging.getLogger().addHandler(handler)
    handler.setLevel(level)
    for name in ("engine", "lvyue"):
        logging.getLogger(name).setLevel(min(level, logging.WARNING))
