"""`lvyue tick`: overdue marks, automatic breach, monotonic and idempotent ticks."""

from __future__ import annotations

from datetime import datetime

import pytest

from engine.store import obligation_repo
from engine.store.db import open_store
from tests.conftest import Lv
from tests.ledger_helpers import history, new_invoice, prepare_ledger, show


def tick(lv: Lv, at: str) -> str:
    result = lv("tick", "--now", at)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_overdue_from_start_of_day_after_due(lv: Lv) -> None:
    prepare_ledger(lv)
    number = new_invoice(lv, due_date="2025-04-02")

    before = tick(lv, "2025-04-02T23:59:59")
    after = tick(lv, "2025-04-03")

    assert "0 contract changes." in before
    assert f"{number}: obligation payment is overdue (due 2025-04-02)." in after
    mark = history(lv, number)[-1]
    assert (mark["kind"], mark["actor"], mark["rule"]) == ("obligation", "system",
                                                           "overdue:payment")
    assert mark["effective_at"] == "2025-04-03 00:00:00+0800"
    assert mark["details"]["outstanding"] == "100.00"
    assert show(lv, number)["state"] == "execution"


def test_breach_when_more_than_30_days_overdue(lv: Lv) -> None:
    prepare_ledger(lv)
    number = new_invoice(lv, due_date="2025-04-02")
    tick(lv, "2025-04-03")

    day_30 = tick(lv, "2025-05-02")
    day_31 = tick(lv, "2025-05-03")

    assert "0 contract changes." in day_30
    assert f"{number}: report_breach execution -> breach (by system)" in day_31
    move = history(lv, number)[-1]
    assert (move["trigger"], move["actor"], move["rule"], move["os_login"]) == (
        "report_breach", "system", "auto:report_breach", "lvyue-ops")
    assert move["details"]["guard"] == "obligations.payment.days_overdue > 30"
    assert show(lv, number)["state"] == "breach"


def test_late_first_tick_marks_and_breaches_at_once(lv: Lv) -> None:
    prepare_ledger(lv)
    number = new_invoice(lv, due_date="2025-04-02")

    output = tick(lv, "2025-06-01")

    assert f"{number}: obligation payment is overdue (due 2025-04-02)." in output
    assert f"{number}: report_breach execution -> breach (by system)" in output
    kinds = [(row["kind"], row["effective_at"]) for row in history(lv, number)[1:]]
    assert kinds == [("obligation", "2025-04-03 00:00:00+0800"),
                     ("transition", "2025-06-01 00:00:00+0800")]


def test_same_instant_twice_changes_nothing(lv: Lv) -> None:
    prepare_ledger(lv)
    number = new_invoice(lv, due_date="2025-04-02")
    tick(lv, "2025-05-03")
    before = (history(lv, number), show(lv, number))

    again = tick(lv, "2025-05-03")

    assert "0 contract changes." in again
    assert (history(lv, number), show(lv, number)) == before


def test_earlier_tick_changes_nothing(lv: Lv) -> None:
    prepare_ledger(lv)
    first = new_invoice(lv, "0000000001", due_date="2025-04-02")
    tick(lv, "2025-04-10")
    second = new_invoice(lv, "0000000002", invoice_date="2025-03-05", due_date="2025-04-04")
    before = history(lv, second)

    earlier = tick(lv, "2025-04-06")

    assert earlier.strip() == ("The clock is already at 2025-04-10 00:00:00+0800; a tick at "
                               "2025-04-06 00:00:00+0800 changes nothing.")
    assert history(lv, second) == before
    assert len(history(lv, first)) == 2


def test_root_now_option_also_sets_tick_time(lv: Lv) -> None:
    prepare_ledger(lv)
    number = new_invoice(lv, due_date="2025-04-02")

    result = lv("--now", "2025-04-03", "tick")

    assert result.exit_code == 0, result.output
    assert f"{number}: obligation payment is overdue" in result.stdout


def test_tick_reads_only_due_obligations(lv: Lv, sqlite_db: str) -> None:
    prepare_ledger(lv)
    due = new_invoice(lv, "0000000001", due_date="2025-04-02")
    later = new_invoice(lv, "0000000002", due_date="2025-12-31")

    store = open_store(sqlite_db, create=False)
    try:
        with store.read() as session:
            selected = obligation_repo.due_for_check(session, datetime(2025, 4, 3))
    finally:
        store.dispose()
    tick(lv, "2025-04-03")

    assert [contract.number for contract, _rows in selected] == [due]
    assert show(lv, later)["row_version"] == 1


def test_settled_obligation_leaves_the_tick(lv: Lv, sqlite_db: str) -> None:
    prepare_ledger(lv)
    number = new_invoice(lv, due_date="2025-04-02")
    paid = lv("--now", "2025-04-05", "contract", "record", number, "payment_received",
              "--set", "amount=100.00")
    assert paid.exit_code == 0, paid.output

    store = open_store(sqlite_db, create=False)
    try:
        with store.read() as session:
            selected = obligation_repo.due_for_check(session, datetime(2025, 6, 1))
    finally:
        store.dispose()

    assert selected == []


@pytest.mark.postgres
def test_tick_breach_on_postgresql(pg_lv: Lv) -> None:
    prepare_ledger(pg_lv)
    number = new_invoice(pg_lv, due_date="2025-04-02")

    tick(pg_lv, "2025-04-03")
    tick(pg_lv, "2025-05-03")
    again = tick(pg_lv, "2025-05-03")
    earlier = tick(pg_lv, "2025-04-20")

    assert show(pg_lv, number)["state"] == "breach"
    assert "0 contract changes." in again
    assert "changes nothing" in earlier
    assert [row["rule"] for row in history(pg_lv, number)[1:]] == [
        "overdue:payment", "auto:report_breach"]
    assert pg_lv("audit", "verify").exit_code == 0


def test_final_state_leaves_the_tick(lv: Lv, sqlite_db: str) -> None:
    prepare_ledger(lv)
    number = new_invoice(lv, due_date="2025-04-02")
    tick(lv, "2025-05-03")
    assert lv("--as", "chen_jie", "contract", "fire", number, "terminate").exit_code == 0
    assert lv("--as", "he_ping", "contract", "fire", number, "archive").exit_code == 0

    tick(lv, "2025-05-04")
    store = open_store(sqlite_db, create=False)
    try:
        with store.read() as session:
            selected = obligation_repo.due_for_check(session, datetime(2025, 6, 1))
    finally:
        store.dispose()

    assert show(lv, number)["state"] == "archived"
    assert selected == []
