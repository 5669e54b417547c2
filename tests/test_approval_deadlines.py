"""The approval deadline tick step: notify, add approvers, working days, idempotence."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from engine.clock import parse_time
from engine.services.approval_deadlines import approval_deadline_step
from engine.services.tick_steps import tick_steps
from engine.store.db import Store, open_store
from engine.store.models import OutboxMessage
from tests.approval_helpers import act, create, history, setup, shown, snapshot, state_of
from tests.conftest import Lv

PEOPLE = {"seller": ["sales"], "lee": ["legal"], "ann": ["board"], "ben": ["board"],
          "chief": ["cfo"], "fin": ["finance"]}


def step(db: str, when: str) -> tuple[int, list[str], list[str]]:
    store = open_store(db, create=False)
    try:
        report = approval_deadline_step(store, parse_time(when))
    finally:
        store.dispose()
    assert report.step == "approval_deadlines"
    return report.changed, report.messages, report.errors


def outbox(db: str) -> list[tuple[str | None, dict[str, str]]]:
    store = Store(db if "://" in db else f"sqlite:///{db}")
    try:
        with store.read() as session:
            rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
            return [(row.recipient_role, json.loads(row.subject_json)) for row in rows]
    finally:
        store.dispose()


def escalations(lv: Lv, number: str) -> list[dict[str, object]]:
    return [row for row in history(lv, number) if row["kind"] == "escalation"]


def test_tick_steps_include_deadlines() -> None:
    assert approval_deadline_step in tick_steps()


def test_notify_after_deadline_once(lv: Lv, tmp_path: Path, sqlite_db: str) -> None:
    levels = "        - {role: legal, deadline: P1D, escalate: {notify: cfo}}\n"
    setup(lv, tmp_path, PEOPLE, levels)
    number = create(lv)
    assert act(lv, "seller", "contract", "fire", number, "submit").exit_code == 0
    version = shown(lv, number)["row_version"]

    early = step(sqlite_db, "2026-03-03T09:59:59+08:00")
    due = step(sqlite_db, "2026-03-03T10:00:00+08:00")
    again = step(sqlite_db, "2026-03-04T10:00:00+08:00")

    assert early == (0, [], [])
    assert due == (1, [f"{number}: approval level 1 is overdue; notified cfo."], [])
    assert again == (0, [], [])
    [row] = escalations(lv, number)
    assert (row["actor"], row["rule"]) == ("system", "approval:approval:escalate")
    assert row["details"] == {"action": "notify", "due_at": "2026-03-03T02:00:00.000000Z",
                              "level": 1, "role": "cfo", "round": 1}
    assert shown(lv, number)["row_version"] == version + 1
    [(role, subject)] = outbox(sqlite_db)
    assert role == "cfo"
    assert subject["en"] == f"Approval of {number} is overdue at level 1"
    assert number in subject["zh-CN"]
    assert lv("audit", "verify").exit_code == 0


def test_add_approver_lets_escalation_role_decide(lv: Lv, tmp_path: Path,
                                                  sqlite_db: str) -> None:
    levels = "        - {role: legal, deadline: P2D, escalate: {add_approver: board}}\n"
    setup(lv, tmp_path, PEOPLE, levels)
    number = create(lv)
    assert act(lv, "seller", "contract", "fire", number, "submit").exit_code == 0
    early_vote = act(lv, "ann", "contract", "approve", number)

    result = step(sqlite_db, "2026-03-05T09:00:00+08:00")
    tasks = json.loads(lv("--now", "2026-03-05T09:00:00+08:00", "tasks", "--format",
                          "json").stdout)
    approved = act(lv, "ann", "contract", "approve", number, now="2026-03-05T09:30:00+08:00")

    assert early_vote.exit_code == 1
    assert result == (1, [(f"{number}: approval level 1 is overdue; added approvers ann, ben "
                          "(board).")], [])
    assert [(t["waits_for"], t["overdue"]) for t in tasks] == [
        ("lee", True), ("ann", True), ("ben", True)]
    assert approved.exit_code == 0, approved.output
    assert state_of(lv, number) == "active"
    assert escalations(lv, number)[0]["details"]["added"] == ["ann", "ben"]


def test_add_approver_excludes_initiator_and_voters(lv: Lv, tmp_path: Path,
                                                    sqlite_db: str) -> None:
    levels = ("        - {role: board}\n"
              "        - {role: legal, deadline: P1D, escalate: {add_approver: board}}\n")
    setup(lv, tmp_path, dict(PEOPLE, seller=["sales", "board"]), levels)
    number = create(lv)
    assert act(lv, "seller", "contract", "fire", number, "submit").exit_code == 0
    assert act(lv, "ann", "contract", "approve", number).exit_code == 0

    result = step(sqlite_db, "2026-03-04T09:00:00+08:00")

    assert result == (1, [(f"{number}: approval level 2 is overdue; added approvers ben "
                          "(board).")], [])


def test_working_day_deadline_over_make_up_saturday(lv: Lv, tmp_path: Path,
                                                    sqlite_db: str) -> None:
    """Submitted on Friday 13 February: one working day ends with the make-up Saturday 14th."""
    levels = "        - {role: legal, deadline: {working_days: 1}, escalate: {notify: cfo}}\n"
    setup(lv, tmp_path, PEOPLE, levels)
    number = create(lv)
    friday = "2026-02-13T17:00:00+08:00"
    assert act(lv, "seller", "contract", "fire", number, "submit", now=friday).exit_code == 0

    saturday_night = step(sqlite_db, "2026-02-14T23:59:59+08:00")
    sunday = step(sqlite_db, "2026-02-15T00:00:00+08:00")

    assert saturday_night == (0, [], [])
    assert sunday[0] == 1
    assert escalations(lv, number)[0]["details"]["due_at"] == "2026-02-14T16:00:00.000000Z"


def test_overdue_without_escalation_is_recorded(lv: Lv, tmp_path: Path, sqlite_db: str) -> None:
    setup(lv, tmp_path, PEOPLE, "        - {role: legal, deadline: P1D}\n")
    number = create(lv)
    assert act(lv, "seller", "contract", "fire", number, "submit").exit_code == 0

    result = step(sqlite_db, "2026-03-04T09:00:00+08:00")

    assert result == (1, [(f"{number}: approval level 1 is overdue; the process names no "
                          "escalation.")], [])
    assert escalations(lv, number)[0]["details"]["action"] == "none"


def test_closed_round_is_not_escalated(lv: Lv, tmp_path: Path, sqlite_db: str) -> None:
    levels = "        - {role: legal, deadline: P1D, escalate: {notify: cfo}}\n"
    setup(lv, tmp_path, PEOPLE, levels)
    number = create(lv)
    assert act(lv, "seller", "contract", "fire", number, "submit").exit_code == 0
    assert act(lv, "seller", "contract", "fire", number, "withdraw").exit_code == 0

    assert step(sqlite_db, "2026-03-09T09:00:00+08:00") == (0, [], [])
    assert escalations(lv, number) == []


def test_deadline_outside_calendar_refuses_submission(lv: Lv, tmp_path: Path) -> None:
    levels = "        - {role: legal, deadline: {working_days: 3}}\n"
    setup(lv, tmp_path, PEOPLE, levels)
    number = create(lv)
    before = snapshot(lv, number)

    result = act(lv, "seller", "contract", "fire", number, "submit",
                 now="2026-12-30T10:00:00+08:00")

    assert result.exit_code == 2
    assert "covers 2026 but not 2027, so it cannot tell whether 2027-01-01 is a working " \
           "day." in result.stderr
    assert snapshot(lv, number) == before


@pytest.mark.postgres
def test_notify_on_postgresql(pg_lv: Lv, pg_url: str, tmp_path: Path) -> None:
    levels = "        - {role: legal, deadline: P1D, escalate: {notify: cfo}}\n"
    setup(pg_lv, tmp_path, PEOPLE, levels)
    number = create(pg_lv)
    assert act(pg_lv, "seller", "contract", "fire", number, "submit").exit_code == 0

    first = step(pg_url, "2026-03-04T10:00:00+08:00")
    second = step(pg_url, "2026-03-04T10:00:00+08:00")

    assert first[0] == 1
    assert second == (0, [], [])
    assert outbox(pg_url)[0][0] == "cfo"
    assert pg_lv("audit", "verify").exit_code == 0

