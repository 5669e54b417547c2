"""Benchmark: contract creation, moves and audit verification through the services.

    .venv/bin/python bench/moves.py [--contracts 500] [--pg ADMIN_URL]

Creates N contracts of the shipped customer_contract process, moves each
through submit → approve → complete → archive (one transaction per move, as
the CLI does), then verifies every chain. Prints wall-clock seconds and rates.
It uses a new SQLite file in a temporary folder, or with --pg a new PostgreSQL
database created through ADMIN_URL and dropped afterwards.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine import EXAMPLES_DIR, PROCESSES_DIR  # noqa: E402
from engine.audit.verify import verify_all  # noqa: E402
from engine.clock import utcnow  # noqa: E402
from engine.services import contracts, org, processes  # noqa: E402
from engine.services.identity import Claim, resolve  # noqa: E402
from engine.store.db import open_store  # noqa: E402

DATA = {"amount": "860000.00", "currency": "CNY", "signed_on": "2026-01-12",
        "payment_terms_days": 30, "subject": "Benchmark"}
STEPS = [("wang_li", "submit"), ("chen_jie", "approve"), ("liu_yang", "complete"),
         ("he_ping", "archive")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contracts", type=int, default=500)
    parser.add_argument("--pg", default=None, help="PostgreSQL admin URL, e.g. "
                        "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    os.environ["LOGNAME"] = "lvyue-ops"
    with tempfile.TemporaryDirectory() as folder, scratch_database(args.pg) as url:
        run(args.contracts, url or str(Path(folder) / "bench.db"))


@contextmanager
def scratch_database(admin_url: str | None) -> Iterator[str | None]:
    if admin_url is None:
        yield None
        return
    name = f"lvyue_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run(count: int, url: str) -> None:
    store = open_store(url, create=True)
    with store.write() as session:
        org.apply_org(session, org.load_org_file(EXAMPLES_DIR / "org.yaml"))
        processes.deploy(session, PROCESSES_DIR / "customer_contract.yaml", "bench")

    started = time.perf_counter()
    numbers = []
    for _index in range(count):
        with store.write() as session:
            identity = resolve(session, Claim(as_person="wang_li"))
            numbers.append(contracts.create(session, identity, "customer_contract", "Bench",
                                            dict(DATA), utcnow()).number)
    created = time.perf_counter() - started

    started = time.perf_counter()
    for number in numbers:
        for actor, trigger in STEPS:
            with store.write() as session:
                identity = resolve(session, Claim(as_person=actor))
                contracts.fire(session, identity, number, trigger, utcnow())
    moved = time.perf_counter() - started

    started = time.perf_counter()
    with store.read() as session:
        report = verify_all(session)
    verified = time.perf_counter() - started
    store.dispose()

    moves = count * len(STEPS)
    print(f"backend: {store.dialect}")
    print(f"create: {count} contracts in {created:.2f} s ({count / created:.0f}/s)")
    print(f"fire: {moves} moves in {moved:.2f} s ({moves / moved:.0f}/s)")
    print(f"verify: {report.contracts} contracts, {report.rows} rows in {verified:.2f} s, "
          f"ok={report.ok}")


if __name__ == "__main__":
    main()
