"""Two OS processes fire on one contract at the same instant: exactly one wins."""

from __future__ import annotations

import json
import multiprocessing as mp

import pytest

from tests.conftest import Lv, new_contract, prepare

ROUNDS = 50


def _fire_when_released(db: str, number: str, trigger: str, barrier, results) -> None:  # type: ignore[no-untyped-def]
    import os

    from engine.cli import build_cli

    os.environ["LOGNAME"] = "lvyue-ops"
    barrier.wait()
    code = build_cli().main(["--db", db, "--as", "wang_li", "contract", "fire", number, trigger],
                            prog_name="lvyue", standalone_mode=False)
    results.put(code)


def race(db: str, number: str) -> list[int]:
    context = mp.get_context("fork")
    barrier = context.Barrier(2)
    results = context.Queue()
    workers = [context.Process(target=_fire_when_released,
                               args=(db, number, "submit", barrier, results))
               for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    return sorted(results.get(timeout=5) for _ in workers)


def check_races(lv: Lv, db: str) -> None:
    prepare(lv)
    for _round in range(ROUNDS):
        number = new_contract(lv)

        codes = race(db, number)

        history = json.loads(lv("contract", "history", number, "--format", "json").stdout)
        assert codes[0] == 0, codes
        assert codes[1] in (1, 3), codes
        assert [row["kind"] for row in history] == ["created", "transition", "approval"]
        assert history[1]["trigger"] == "submit"
        assert history[2]["details"]["event"] == "round_started"
    assert lv("audit", "verify").exit_code == 0


def test_concurrent_fire_on_sqlite(lv: Lv, sqlite_db: str) -> None:
    check_races(lv, sqlite_db)


@pytest.mark.postgres
def test_concurrent_fire_on_postgresql(pg_lv: Lv, pg_url: str) -> None:
    check_races(pg_lv, pg_url)
