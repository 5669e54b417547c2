"""`lvyue worker` as real processes: SIGTERM, the SQLite lock, four workers on PostgreSQL."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.clock import parse_time
from engine.services import contracts
from engine.services.identity import Identity
from engine.store.db import open_store
from engine.store.models import Contract
from engine.store.plan_models import PlanOccurrence
from tests.conftest import ORG_FILE, ROOT, SERVICE_LOGIN, Lv, make_lv
from tests.plan_helpers import write_receivable, write_supply

CREATED = "2026-01-10T10:00:00+08:00"
OPENS = "2026-02-20T00:00:00+08:00"
SALES = Identity("wang_li", SERVICE_LOGIN, None, True, ("sales",))


def create_started(db: str, count: int) -> None:
    """Create `count` started supply contracts, all due on 2026-01-20, in one transaction."""
    store = open_store(db, create=False)
    now = parse_time(CREATED)
    try:
        with store.write() as session:
            for _n in range(count):
                created = contracts.create(session, SALES, "supply", "Hengtong",
                                           {"amount": "100.00", "due_on": "2026-01-20",
                                            "paid": False}, now)
                contracts.fire(session, SALES, created.number, "start", now)
    finally:
        store.dispose()


def prepare_supply(db: str, tmp_path: Path, count: int, processes: int = 1) -> Lv:
    """Deploy the supply process and create `count` started contracts in `processes` processes."""
    lv = make_lv(db)
    assert lv("org", "apply", str(ORG_FILE)).exit_code == 0
    assert lv("process", "deploy", str(write_supply(tmp_path))).exit_code == 0
    if processes == 1:
        create_started(db, count)
        return lv
    context = multiprocessing.get_context("fork")
    creators = [context.Process(target=create_started, args=(db, count // processes))
                for _n in range(processes)]
    for creator in creators:
        creator.start()
    for creator in creators:
        creator.join(timeout=300)
    assert [creator.exitcode for creator in creators] == [0] * processes
    return lv


class Worker:
    """A `lvyue worker` subprocess whose output lines are collected as they arrive."""

    def __init__(self, db: str, *args: str) -> None:
        env = dict(os.environ, LOGNAME=SERVICE_LOGIN, PYTHONUNBUFFERED="1")
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "cli.py"), "--db", db, *args],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines: list[str] = []  # stderr
        self.output: list[str] = []  # stdout
        self._readers = [threading.Thread(target=self._read, args=(stream, lines), daemon=True)
                         for stream, lines in ((self.process.stderr, self.lines),
                                               (self.process.stdout, self.output))]
        for reader in self._readers:
            reader.start()

    @staticmethod
    def _read(stream, lines: list[str]) -> None:  # type: ignore[no-untyped-def]
        for line in stream:
            lines.append(line.rstrip("\n"))

    def wait_for(self, text: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not any(text in line for line in self.lines):
            assert self.process.poll() is None, "\n".join(self.lines)
            assert time.monotonic() < deadline, f"no {text!r} in: {self.lines}"
            time.sleep(0.01)

    def finish(self, timeout: float = 120) -> tuple[int, str]:
        """Wait for the exit; return the exit code and everything written to stdout."""
        code = self.process.wait(timeout=timeout)
        for reader in self._readers:
            reader.join(timeout=10)
        return code, "".join(line + "\n" for line in self.output)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


def counts(db: str) -> tuple[int, Counter[str], Counter[int]]:
    """Return (open occurrences, contracts by state, open occurrences per contract)."""
    store = open_store(db, create=False)
    try:
        with store.read() as session:
            per_contract = Counter(dict(session.execute(
                select(PlanOccurrence.contract_id, func.count())
                .where(PlanOccurrence.status == "open")
                .group_by(PlanOccurrence.contract_id)).all()))
            states = Counter(session.scalars(select(Contract.state)))
    finally:
        store.dispose()
    return sum(per_contract.values()), states, per_contract


def test_sigterm_finishes_transaction(sqlite_db: str, tmp_path: Path) -> None:
    lv = prepare_supply(sqlite_db, tmp_path, 300)
    worker = Worker(sqlite_db, "--now", OPENS, "worker", "--interval", "1s")
    try:
        deadline = time.monotonic() + 60
        while counts(sqlite_db)[0] == 0:
            assert time.monotonic() < deadline, worker.lines
            time.sleep(0.01)
        worker.process.send_signal(signal.SIGTERM)
        code, _stdout = worker.finish()
    finally:
        worker.stop()

    opened, states, per_contract = counts(sqlite_db)
    assert code == 0, worker.lines
    assert any("stopping after the current transaction" in line for line in worker.lines)
    assert any("worker stopped" in line for line in worker.lines)
    assert 0 < opened < 300
    assert states["breach"] == opened
    assert set(per_contract.values()) == {1}
    assert lv("audit", "verify").exit_code == 0

    resumed = lv("--now", OPENS, "worker", "--once")
    assert resumed.exit_code == 0, resumed.output
    assert counts(sqlite_db)[0] == 300


def test_second_sqlite_worker_refused(sqlite_db: str, tmp_path: Path) -> None:
    lv = prepare_supply(sqlite_db, tmp_path, 0)
    first = Worker(sqlite_db, "worker", "--interval", "60s")
    try:
        first.wait_for("worker started")
        second = lv("worker", "--once")
        first.process.send_signal(signal.SIGTERM)
        code, _stdout = first.finish()
    finally:
        first.stop()
    after = lv("worker", "--once")

    assert second.exit_code == 3
    assert second.stderr.splitlines()[-1] == (
        f"Another worker (process {first.process.pid}) is already running on SQLite database "
        f"{sqlite_db}. SQLite allows one worker at a time: stop that worker first, or use "
        "PostgreSQL to run several.")
    assert code == 0
    assert after.exit_code == 0, after.output


def test_worker_once_reports_round(sqlite_db: str, tmp_path: Path) -> None:
    lv = prepare_supply(sqlite_db, tmp_path, 2)
    channels = tmp_path / "channels.yaml"
    channels.write_text("channels:\n  journal: {type: file, path: notes.jsonl}\n",
                        encoding="utf-8")

    result = lv("--now", OPENS, "worker", "--once", "--channels", str(channels))

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "HT-2026-000001: contingency plan late_payment opened",
        "HT-2026-000001: report_breach execution -> breach (by system)",
        "HT-2026-000002: contingency plan late_payment opened",
        "HT-2026-000002: report_breach execution -> breach (by system)",
        "Notifications delivered: 4; failed and kept for a retry: 0.",
    ]
    assert len((tmp_path / "notes.jsonl").read_text(encoding="utf-8").splitlines()) == 4


@pytest.mark.parametrize("interval", ["0s", "soon", "P1M"])
def test_invalid_interval_rejected(lv: Lv, interval: str) -> None:
    result = lv("worker", "--once", "--interval", interval)

    assert result.exit_code == 2
    assert result.stderr == (f"Invalid value for --interval: {interval!r}. Use seconds, "
                             "minutes or hours such as 30s, 5m or 1h.\n")


def create_receivables(db: str, count: int) -> None:
    """Create `count` receivable contracts, due 2026-01-20, each in its own transaction."""
    store = open_store(db, create=False)
    now = parse_time(CREATED)
    try:
        for _n in range(count):
            with store.write() as session:
                contracts.create(session, SALES, "receivable", "Hengtong",
                                 {"amount": "100.00", "due_on": "2026-01-20"}, now)
    finally:
        store.dispose()


@pytest.mark.postgres
def test_four_workers_open_each_plan_once(pg_url: str, tmp_path: Path) -> None:
    lv = make_lv(pg_url)
    assert lv("org", "apply", str(ORG_FILE)).exit_code == 0
    assert lv("process", "deploy", str(write_receivable(tmp_path))).exit_code == 0
    context = multiprocessing.get_context("fork")
    creators = [context.Process(target=create_receivables, args=(pg_url, 250))
                for _n in range(4)]
    for creator in creators:
        creator.start()
    for creator in creators:
        creator.join(timeout=300)
    assert [creator.exitcode for creator in creators] == [0] * 4

    workers = [Worker(pg_url, "--now", OPENS, "worker", "--once") for _n in range(4)]
    try:
        results = [worker.finish(timeout=300) for worker in workers]
    finally:
        for worker in workers:
            worker.stop()

    opened, states, per_contract = counts(pg_url)
    reported = Counter(line for _code, stdout in results for line in stdout.splitlines()
                       if "contingency plan" in line)
    assert [code for code, _stdout in results] == [0, 0, 0, 0], [w.lines for w in workers]
    assert opened == 1000
    assert len(per_contract) == 1000
    assert set(per_contract.values()) == {1}
    assert states == Counter({"breach": 1000})
    assert len(reported) == 1000
    assert set(reported.values()) == {1}
    assert sum(1 for _code, stdout in results if stdout) >= 2
    assert lv("audit", "verify").exit_code == 0


@pytest.mark.postgres
def test_locked_contract_is_retried(pg_url: str, tmp_path: Path) -> None:
    from sqlalchemy import create_engine, text

    from engine.services.plan_tick import plan_step

    prepare_supply(pg_url, tmp_path, 3)
    holder = create_engine(pg_url)
    store = open_store(pg_url, create=False)
    reports = []
    try:
        with holder.connect() as connection:
            connection.execute(text("SELECT id FROM contracts WHERE id = 2 FOR UPDATE"))
            ticking = threading.Thread(target=lambda: reports.append(
                plan_step(store, parse_time(OPENS))))
            ticking.start()
            deadline = time.monotonic() + 60
            while counts(pg_url)[0] < 2:
                assert time.monotonic() < deadline
                time.sleep(0.01)
            while_locked = counts(pg_url)[2]
            connection.rollback()
        ticking.join(timeout=60)
    finally:
        store.dispose()
        holder.dispose()

    assert set(while_locked) == {1, 3}
    assert set(counts(pg_url)[2]) == {1, 2, 3}
    assert len([line for line in reports[0].messages if "opened" in line]) == 3


def test_repeated_errors_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    from engine.services.tick_steps import StepReport
    from engine.services.worker import RoundReport, _log_round

    def round_with(*errors: str) -> RoundReport:
        return RoundReport(parse_time(OPENS), steps=[StepReport("plans", errors=list(errors))])

    with caplog.at_level("INFO", logger="engine.services.worker"):
        seen = _log_round(round_with("HT-1: broken"), set())
        seen = _log_round(round_with("HT-1: broken", "HT-2: broken"), seen)
        _log_round(round_with("HT-1: broken", "HT-2: broken"), seen)

    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert warnings == ["HT-1: broken", "HT-2: broken"]
    assert [r.getMessage() for r in caplog.records if "repeat" in r.getMessage()] == [
        "1 errors repeat from the previous round", "2 errors repeat from the previous round"]


def test_ctrl_c_stops_with_130(sqlite_db: str, tmp_path: Path) -> None:
    prepare_supply(sqlite_db, tmp_path, 0)
    worker = Worker(sqlite_db, "worker", "--interval", "60s")
    try:
        worker.wait_for("worker started")
        worker.process.send_signal(signal.SIGINT)
        code, _stdout = worker.finish()
    finally:
        worker.stop()

    assert code == 130
    assert any("worker stopped after 1 rounds" in line for line in worker.lines)
