"""The dunning ladder of the shipped customer_contract process: reminders and overdue plans.

The payment of the sample contract is due on 2026-02-11 (signed 2026-01-12, 30
days' terms), so it is 1 day overdue on 2026-02-12, 31 days on 2026-03-14 and
91 days on 2026-05-13.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from engine.clock import parse_time, start_of_day
from engine.services.ticking import run_tick
from engine.store.db import open_store
from tests.conftest import CONTRACT_DATA, Lv, make_lv, prepare

SIGNED = "2026-01-12T10:00:00+08:00"
DAY_31 = "2026-03-14T00:00:00+08:00"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, sqlite_db: str) -> str:
    if request.param == "sqlite":
        return sqlite_db
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def contract(db: str) -> tuple[Lv, str]:
    """A customer contract in performance, approved on the day it was signed."""
    lv = make_lv(db)
    prepare(lv)
    return lv, _signed_contract(lv)


def _signed_contract(lv: Lv) -> str:
    number = new_contract_at(lv, SIGNED)
    for actor, args in (("wang_li", ("contract", "fire", number, "submit")),
                        ("chen_jie", ("contract", "approve", number)),
                        ("liu_yang", ("contract", "approve", number))):
        result = lv("--now", SIGNED, "--as", actor, *args)
        assert result.exit_code == 0, result.output
    return number


def new_contract_at(lv: Lv, when: str) -> str:
    sets = [arg for pair in CONTRACT_DATA for arg in ("--set", pair)]
    result = lv("--now", when, "--as", "wang_li", "contract", "new", "--process",
                "customer_contract", "--customer", "Hengtong", *sets)
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


def tick_days(db: str, first: date, last: date) -> dict[date, list[str]]:
    """Tick at the start of every business day from `first` to `last`; messages by day."""
    store = open_store(db, create=False)
    messages = {}
    try:
        day = first
        while day <= last:
            report = run_tick(store, start_of_day(day))
            messages[day] = [line for step in report.steps for line in step.messages]
            day += timedelta(days=1)
    finally:
        store.dispose()
    return messages


def tick_at(db: str, when: str) -> list[str]:
    store = open_store(db, create=False)
    try:
        report = run_tick(store, parse_time(when))
    finally:
        store.dispose()
    return [line for step in report.steps for line in step.messages]


def as_json(lv: Lv, *args: str) -> list[dict[str, object]]:
    result = lv(*args, "--format", "json")
    assert result.exit_code == 0, result.output
    return list(json.loads(result.stdout))


def state_of(lv: Lv, number: str) -> str:
    return str(json.loads(lv("contract", "show", number, "--format", "json").stdout)["state"])


def test_31_days_overdue_opens_one_plan(contract: tuple[Lv, str], db: str) -> None:
    lv, number = contract

    messages = tick_at(db, DAY_31)

    plans = as_json(lv, "plans")
    measures = [t for t in as_json(lv, "tasks") if t["kind"] == "measure"]
    assert f"{number}: contingency plan overdue_escalation opened" in messages
    assert [(p["plan"], p["status"], p["owner"]) for p in plans] == [
        ("overdue_escalation", "open", "sales")]
    assert state_of(lv, number) == "breach"
    assert [(t["title"], t["role"], t["due_at"]) for t in measures] == [
        ("Meet the customer and agree a payment plan", "sales", "2026-03-21 00:00:00+0800"),
        ("Decide whether to suspend further deliveries", "sales", "2026-03-21 00:00:00+0800"),
    ]


def test_hundred_more_ticks_one_plan(contract: tuple[Lv, str], db: str) -> None:
    lv, number = contract
    tick_at(db, DAY_31)
    rows = len(as_json(lv, "contract", "history", number))

    store = open_store(db, create=False)
    try:
        for hour in range(1, 101):
            run_tick(store, parse_time(DAY_31) + timedelta(hours=hour))
    finally:
        store.dispose()

    assert [p["plan"] for p in as_json(lv, "plans")] == ["overdue_escalation"]
    assert len(as_json(lv, "contract", "history", number)) == rows


def test_paying_closes_plan_and_returns(contract: tuple[Lv, str], db: str) -> None:
    lv, number = contract
    tick_at(db, DAY_31)

    paid = lv("--now", "2026-03-16T10:00:00+08:00", "--as", "liu_yang", "contract", "record",
              number, "payment_received", "--set", "amount=860000.00")

    assert paid.exit_code == 0, paid.output
    assert state_of(lv, number) == "execution"
    plans = as_json(lv, "plans")
    assert [(p["plan"], p["status"], p["close_reason"]) for p in plans] == [
        ("overdue_escalation", "closed", "closes_when")]
    assert [t for t in as_json(lv, "tasks") if t["kind"] == "measure"] == []
    kinds = [row["kind"] for row in as_json(lv, "contract", "history", number)]
    assert kinds[-3:] == ["event", "transition", "plan_closed"]


def test_ladder_day_by_day(contract: tuple[Lv, str], db: str) -> None:
    lv, number = contract

    messages = tick_days(db, date(2026, 2, 1), date(2026, 5, 20))

    days = {line: day for day, lines in messages.items() for line in lines}
    assert days[f"{number}: reminder -P7D for obligation payment due on 2026-02-11"] == date(
        2026, 2, 4)
    assert days[f"{number}: reminder P0D for obligation payment due on 2026-02-11"] == date(
        2026, 2, 11)
    assert days[f"{number}: contingency plan overdue_collection opened"] == date(2026, 2, 12)
    assert days[f"{number}: contingency plan overdue_collection escalated (step 1)"] == date(
        2026, 2, 26)
    assert days[f"{number}: contingency plan overdue_collection closed"] == date(2026, 3, 14)
    assert days[f"{number}: contingency plan overdue_escalation opened"] == date(2026, 3, 14)
    assert days[f"{number}: contingency plan overdue_escalation escalated (step 1)"] == date(
        2026, 4, 13)
    assert days[f"{number}: contingency plan overdue_escalation closed"] == date(2026, 5, 13)
    assert days[f"{number}: contingency plan overdue_legal opened"] == date(2026, 5, 13)
    every_line = [line for lines in messages.values() for line in lines]
    assert len(every_line) == len(set(every_line))
    assert [(p["plan"], p["status"]) for p in as_json(lv, "plans")] == [
        ("overdue_collection", "closed"), ("overdue_escalation", "closed"),
        ("overdue_legal", "open")]
    lawyer = [t for t in as_json(lv, "tasks") if t["role"] == "legal"]
    assert [(t["title"], t["due_at"]) for t in lawyer] == [
        ("Send a lawyer's letter", "2026-05-18 00:00:00+0800")]


def test_reminders_fire_once_each(contract: tuple[Lv, str], db: str) -> None:
    lv, number = contract

    tick_days(db, date(2026, 2, 1), date(2026, 2, 11))
    store = open_store(db, create=False)
    try:
        for hour in range(1, 24):
            run_tick(store, start_of_day(date(2026, 2, 11)) + timedelta(hours=hour))
    finally:
        store.dispose()

    history = as_json(lv, "contract", "history", number)
    reminders = [(row["details"]["offset"], row["details"]["skipped"])  # type: ignore[index]
                 for row in history if row["kind"] == "reminder"]
    outbox = [(m["role"], m["subject"]) for m in as_json(lv, "notify", "list")
              if str(m["subject"]).startswith("Reminder")]
    subject = f"Reminder: Payment of the contract amount of contract {number} is due on 2026-02-11"
    assert reminders == [("-P7D", []), ("P0D", [])]
    assert outbox == [("finance", subject), ("sales", subject)] * 2


def test_late_first_tick_skips_early_reminder(contract: tuple[Lv, str], db: str) -> None:
    lv, number = contract

    messages = tick_at(db, "2026-02-11T09:00:00+08:00")
    later = tick_at(db, "2026-02-11T10:00:00+08:00")

    history = as_json(lv, "contract", "history", number)
    reminders = [(row["details"]["offset"], row["details"]["skipped"])  # type: ignore[index]
                 for row in history if row["kind"] == "reminder"]
    assert messages == [f"{number}: reminder P0D for obligation payment due on 2026-02-11"]
    assert later == []
    assert reminders == [("P0D", ["-P7D"])]


def test_settled_payment_gets_no_reminder(contract: tuple[Lv, str], db: str) -> None:
    lv, number = contract
    paid = lv("--now", "2026-02-02T10:00:00+08:00", "--as", "liu_yang", "contract", "record",
              number, "payment_received", "--set", "amount=860000.00")

    messages = tick_days(db, date(2026, 2, 3), date(2026, 3, 20))

    assert paid.exit_code == 0, paid.output
    assert [line for lines in messages.values() for line in lines] == []
    assert as_json(lv, "plans") == []
