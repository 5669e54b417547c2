"""Run every benchmark of Lvyue (`make bench`). Results are recorded in bench/RESULTS.md."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import ledger_replay

if __name__ == "__main__":
    ledger_replay.main()
