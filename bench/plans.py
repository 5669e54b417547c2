"""Benchmark: contingency plan ticks and outbox delivery through the services.

    .venv/bin/python bench/plans.py [--contracts 500] [--workers 1] [--pg ADMIN_URL]

Creates N started contracts of the `supply` test process (tests/plan_helpers.py),
all 31 days past due at the tick instant. Then it times:
- the tick that opens N plans (each fires report_breach and creates 2 measures),
  shared by --workers forked processes that each run the plan tick step;
- an idle tick one hour later, where nothing changes;
- delivering the 2N queued notifications to a file channel.
It uses a new SQLite file in a temporary folder, or with --pg a new PostgreSQL
database created through ADMIN_URL and dropped afterwards.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.moves import scratch_database  # noqa: E402
from engine import EXAMPLES_DIR  # noqa: E402
from engine.clock import parse_time  # noqa: E402
from engine.notify.config import load_channel_file  # noqa: E402
from engine.services import contracts, org, processes  # noqa: E402
from engine.services.identity import Claim, resolve  # noqa: E402
from engine.services.notifications import deliver_due  # noqa: E402
from engine.services.plan_tick import plan_step  # noqa: E402
from engine.store.db import open_store  # noqa: E402
from tests.plan_helpers import write_supply  # noqa: E402

CREATED = parse_time("2026-01-10T10:00:00+08:00")
DUE = parse_time("2026-02-20T00:00:00+08:00")
DATA = {"amount": "100.00", "due_on": "2026-01-20", "paid": False}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contracts", type=int, default=500)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--pg", default=None, help="PostgreSQL admin URL, e.g. "
                        "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    os.environ["LOGNAME"] = "lvyue-ops"
    with tempfile.TemporaryDirectory() as folder, scratch_database(args.pg) as url:
        run(args.contracts, args.workers, url or str(Path(folder) / "bench.db"), Path(folder))


def prepare(url: str, folder: Path, count: int) -> None:
    store = open_store(url, create=True)
    with store.write() as session:
        org.apply_org(session, org.load_org_file(EXAMPLES_DIR / "org.yaml"))
        processes.deploy(session, write_supply(folder), "bench")
    for _index in range(count):
        with store.write() as session:
            identity = resolve(session, Claim(as_person="wang_li"))
            number = contracts.create(session, identity, "supply", "Bench", dict(DATA),
                                      CREATED).number
            contracts.fire(session, identity, number, "start", CREATED)
    store.dispose()


def _tick_in_process(url: str, when_iso: str, results) -> None:  # type: ignore[no-untyped-def]
    store = open_store(url, create=False)
    report = plan_step(store, parse_time(when_iso))
    store.dispose()
    results.put(report.changed)


def timed_tick(url: str, when: str, workers: int) -> tuple[float, int]:
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    processes_ = [context.Process(target=_tick_in_process, args=(url, when, results))
                  for _index in range(workers)]
    started = time.perf_counter()
    for process in processes_:
        process.start()
    for process in processes_:
        process.join()
    elapsed = time.perf_counter() - started
    return elapsed, sum(results.get() for _process in processes_)


def run(count: int, workers: int, url: str, folder: Path) -> None:
    prepare(url, folder, count)
    opening, opened = timed_tick(url, DUE.isoformat() + "Z", workers)
    later = (DUE + timedelta(hours=1)).isoformat() + "Z"
    idle, changed = timed_tick(url, later, workers)

    channels = folder / "channels.yaml"
    channels.write_text("channels:\n  journal: {type: file, path: notes.jsonl}\n",
                        encoding="utf-8")
    store = open_store(url, create=False)
    started = time.perf_counter()
    report = deliver_due(store, load_channel_file(channels), DUE + timedelta(hours=2))
    delivered = time.perf_counter() - started
    store.dispose()

    print(f"backend: {store.dialect}, workers: {workers}")
    print(f"opening tick: {opened} plans opened in {opening:.2f} s ({opened / opening:.0f}/s)")
    print(f"idle tick: {count} contracts, {changed} changed, in {idle:.2f} s "
          f"({count / idle:.0f}/s)")
    print(f"notify send: {report.delivered} delivered, {report.failed} failed in "
          f"{delivered:.2f} s ({report.delivered / delivered:.0f}/s)")


if __name__ == "__main__":
    main()
