"""Benchmark: import the public accounts-receivable ledger, replay it, report its KPIs.

Runs the CLI as a user would (one process per command, fresh SQLite file) and
prints the wall time of each command, the machine and the load it ran under.
The ledger is read from ../shared/data/accounts-receivable.csv unless --ledger
names another file; it is never copied into the repository.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_LEDGER = ROOT.parent / "shared" / "data" / "accounts-receivable.csv"
MAPPING = ROOT / "examples" / "accounts-receivable" / "mapping.yaml"
PROCESS = ROOT / "processes" / "invoice_payment.yaml"
ORG = ROOT / "examples" / "org.yaml"
REPLAY = ("--from", "2012-01-03", "--to", "2014-01-31", "--step", "1d")


@dataclass(frozen=True)
class Timing:
    wall: float  # seconds from start to exit
    cpu: float  # user plus system seconds the process used

    def __str__(self) -> str:
        return f"{self.wall:.2f} s wall, {self.cpu:.2f} s CPU"


def lvyue(db: Path, *args: str) -> Timing:
    """Run one lvyue command and return its times. Exits when the command fails."""
    command = [sys.executable, str(ROOT / "cli.py"), "--db", str(db), *args]
    environment = dict(os.environ, LVYUE_ACTOR="ops", LOGNAME="lvyue-ops", LVYUE_LANG="en")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=environment, check=False)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(f"lvyue {' '.join(args)} failed with exit {done.returncode}:\n{done.stderr}")
    print(f"    {done.stdout.strip().splitlines()[-1][:150]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Timing(elapsed, cpu)


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{cpu}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
            f"SQLite {sqlite3.sqlite_version}, {platform.system()} {platform.release()}")


def load() -> str:
    try:
        return " ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ledger", type=Path, default=DEFAULT_LEDGER)
    parser.add_argument("--runs", type=int, default=1, help="number of full runs (import, replay, report), each on a new database")
    options = parser.parse_args()
    if not options.ledger.is_file():
        sys.exit(f"ledger {options.ledger} not found; pass --ledger FILE")

    print(f"machine: {machine()}")
    for run in range(1, options.runs + 1):
        print(f"run {run}, load average before: {load()}")
        with tempfile.TemporaryDirectory() as folder:
            db = Path(folder) / "bench.db"
            lvyue(db, "org", "apply", str(ORG))
            lvyue(db, "process", "deploy", str(PROCESS))
            imported = lvyue(db, "contract", "import", str(options.ledger), "--mapping",
                             str(MAPPING))
            replayed = lvyue(db, "replay", *REPLAY)
            reported = lvyue(db, "report", "kpi", "--format", "json")
        print(f"  import: {imported}; replay: {replayed}; report kpi: {reported} "
              f"(each a new process); load average after: {load()}")


if __name__ == "__main__":
    main()
