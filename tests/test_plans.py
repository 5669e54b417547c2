"""Contingency plans at run time: opening, idempotence, escalation, closure, tasks."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError

from engine.clock import parse_time
from engine.services import plan_tick
from engine.services.tick_steps import StepReport, tick_steps
from engine.store import plan_repo
from engine.store.db import open_store
from engine.store.plan_models import PlanOccurrence
from tests.conftest import ORG_FILE, Lv, make_lv
from tests.definition_helpers import variant
from tests.plan_helpers import SUPPLY_PROCESS, write_supply

CREATED = "2026-01-10T10:00:00+08:00"
OPENS = "2026-02-20T00:00:00+08:00"  # due 2026-01-20, so 31 days overdue from this instant


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, sqlite_db: str) -> str:
    if request.param == "sqlite":
        return sqlite_db
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def supply_lv(db: str, tmp_path: Path) -> Lv:
    lv = make_lv(db)
    assert lv("org", "apply", str(ORG_FILE)).exit_code == 0
    assert lv("process", "deploy", str(write_supply(tmp_path))).exit_code == 0
    return lv


def new_supply(lv: Lv, *sets: str, start: bool = True, now: str = CREATED,
               due_on: str | None = "2026-01-20", paid: str | None = "false") -> str:
    data = ("amount=100.00", *sets)
    if paid is not None:
        data += (f"paid={paid}",)
    if due_on is not None:
        data += (f"due_on={due_on}",)
    args = [arg for pair in data for arg in ("--set", pair)]
    created = lv("--now", now, "--as", "wang_li", "contract", "new", "--process", "supply",
                 "--customer", "Hengtong", *args)
    assert created.exit_code == 0, created.output
    number = created.stdout.strip()
    if start:
        started = lv("--now", now, "--as", "wang_li", "contract", "fire", number, "start")
        assert started.exit_code == 0, started.output
    return number


def tick(db: str, when: str) -> list[StepReport]:
    store = open_store(db, create=False)
    try:
        return [step(store, parse_time(when)) for step in tick_steps()]
    finally:
        store.dispose()


def shifted(when: str, **delta: float) -> str:
    return (parse_time(when) + timedelta(**delta)).strftime("%Y-%m-%dT%H:%M:%SZ")


def plans(lv: Lv, *args: str) -> list[dict[str, object]]:
    result = lv("plans", "--format", "json", *args)
    assert result.exit_code == 0, result.output
    return list(json.loads(result.stdout))


def history(lv: Lv, number: str) -> list[dict[str, object]]:
    return list(json.loads(lv("contract", "history", number, "--format", "json").stdout))


def kinds(lv: Lv, number: str) -> list[str]:
    return [str(row["kind"]) for row in history(lv, number)]


def shown(lv: Lv, number: str) -> dict[str, object]:
    return dict(json.loads(lv("contract", "show", number, "--format", "json").stdout))


def open_tasks(lv: Lv) -> list[dict[str, object]]:
    return list(json.loads(lv("tasks", "--format", "json").stdout))


def outbox(lv: Lv) -> list[dict[str, object]]:
    return list(json.loads(lv("notify", "list", "--format", "json").stdout))


def test_overdue_opens_exactly_one_plan(supply_lv: Lv, db: str) -> None:
    number = new_supply(supply_lv)

    tick(db, shifted(OPENS, seconds=-1))
    before = plans(supply_lv)
    reports = tick(db, OPENS)
    opened = plans(supply_lv)

    assert before == []
    assert reports[-1].messages == [f"{number}: contingency plan late_payment opened",
                                    f"{number}: report_breach execution -> breach (by system)"]
    assert len(opened) == 1
    assert opened[0]["plan"] == "late_payment"
    assert opened[0]["status"] == "open"
    assert opened[0]["owner"] == "finance"
    assert opened[0]["fire_outcome"] == "fired"
    assert shown(supply_lv, number)["state"] == "breach"
    assert [(t["title"], t["role"], t["due_at"]) for t in open_tasks(supply_lv)] == [
        ("Send dunning letter", "finance", "2026-02-23 00:00:00+0800"),
        ("Review further deliveries", "sales", "2026-02-27 00:00:00+0800"),
    ]
    assert [(m["role"], m["subject"]) for m in outbox(supply_lv)] == [
        ("finance", f"Contingency plan opened: Customer pays late (contract {number})"),
        ("sales", f"Contingency plan opened: Customer pays late (contract {number})"),
    ]
    assert kinds(supply_lv, number)[2:] == ["plan_opened", "transition", "plan_measure",
                                            "plan_measure"]
    fired = history(supply_lv, number)[3]
    assert (fired["actor"], fired["trigger"], fired["rule"]) == (
        "system", "report_breach", "plan:late_payment")


def test_hundred_more_ticks_keep_one_plan(supply_lv: Lv, db: str) -> None:
    number = new_supply(supply_lv)
    tick(db, OPENS)
    rows_after_opening = len(history(supply_lv, number))

    for hour in range(100):
        tick(db, shifted(OPENS, hours=hour + 1))

    assert len(plans(supply_lv)) == 1
    assert len(history(supply_lv, number)) == rows_after_opening
    assert len(outbox(supply_lv)) == 2


def test_paying_closes_plan_and_cures(supply_lv: Lv, db: str) -> None:
    number = new_supply(supply_lv)
    tick(db, OPENS)

    paid = supply_lv("--now", shifted(OPENS, days=2), "--as", "liu_yang", "contract", "fire",
                     number, "update", "--set", "paid=true")

    assert paid.exit_code == 0, paid.output
    assert paid.stdout.splitlines() == [f"{number}: update breach -> breach (by liu_yang)",
                                        f"{number}: cure breach -> execution (by system)"]
    closed = plans(supply_lv)[0]
    assert (closed["status"], closed["close_reason"], closed["age_days"]) == (
        "closed", "closes_when", 2)
    assert open_tasks(supply_lv) == []
    assert shown(supply_lv, number)["state"] == "execution"
    closing = history(supply_lv, number)[-1]
    assert closing["kind"] == "plan_closed"
    assert closing["details"]["cancelled_tasks"] == [1, 2]  # type: ignore[index]
    assert supply_lv("audit", "verify").exit_code == 0


def test_same_risk_opens_new_occurrence(supply_lv: Lv, db: str) -> None:
    number = new_supply(supply_lv)
    tick(db, OPENS)
    supply_lv("--now", shifted(OPENS, days=2), "--as", "liu_yang", "contract", "fire", number,
              "update", "--set", "paid=true")

    again = supply_lv("--now", shifted(OPENS, days=3), "--as", "liu_yang", "contract", "fire",
                      number, "update", "--set", "paid=false")

    assert again.stdout.splitlines()[-1] == (
        f"{number}: report_breach execution -> breach (by system)")
    assert [(p["status"], p["opened_at"]) for p in plans(supply_lv)] == [
        ("closed", "2026-02-20 00:00:00+0800"), ("open", "2026-02-23 00:00:00+0800")]
    assert [p["plan"] for p in plans(supply_lv, "--open")] == ["late_payment"]


def test_escalation_at_offsets_not_before(supply_lv: Lv, db: str) -> None:
    number = new_supply(supply_lv)
    tick(db, OPENS)
    steps = [(shifted(OPENS, days=15, seconds=-1), 0), (shifted(OPENS, days=15), 1),
             (shifted(OPENS, days=15, hours=1), 1), (shifted(OPENS, days=60, minutes=-1), 1),
             (shifted(OPENS, days=60), 2), (shifted(OPENS, days=89), 2),
             (shifted(OPENS, days=90), 3)]

    escalation_counts = []
    for when, _expected in steps:
        tick(db, when)
        escalation_counts.append(plans(supply_lv)[0]["escalations"])

    assert escalation_counts == [expected for _when, expected in steps]
    assert [m["role"] for m in outbox(supply_lv)] == ["finance", "sales", "cfo"]
    assert outbox(supply_lv)[2]["subject"] == (
        f"Escalation: Customer pays late (contract {number})")
    lawyer = [t for t in open_tasks(supply_lv) if t["role"] == "legal"]
    assert [(t["title"], t["due_at"]) for t in lawyer] == [
        ("Lawyer's letter", "2026-04-26 00:00:00+0800")]
    assert shown(supply_lv, number)["state"] == "terminated"
    terminate = [row for row in history(supply_lv, number) if row["trigger"] == "terminate"]
    assert [(row["kind"], row["rule"]) for row in terminate] == [
        ("plan_escalated", "plan:late_payment:escalate:3"),
        ("transition", "plan:late_payment:escalate:3")]


def test_refused_fire_still_opens_plan(tmp_path: Path) -> None:
    lv = make_lv(str(tmp_path / "lvyue.db"))
    text = variant("    in: [execution]\n", "", SUPPLY_PROCESS)
    assert lv("org", "apply", str(ORG_FILE)).exit_code == 0
    assert lv("process", "deploy", str(write_supply(tmp_path, text))).exit_code == 0

    number = new_supply(lv, start=False, now=OPENS)

    found = plans(lv)
    skipped = history(lv, number)[-3]
    assert [(p["plan"], p["fire_outcome"]) for p in found] == [("late_payment", "skipped")]
    assert shown(lv, number)["state"] == "draft"
    assert (skipped["kind"], skipped["trigger"], skipped["rule"]) == (
        "transition_skipped", "report_breach", "plan:late_payment")
    assert skipped["reason"] == ("'report_breach' is not allowed in state draft. Triggers "
                                 "allowed now: start.")


def test_guard_error_recorded_tick_continues(supply_lv: Lv, db: str) -> None:
    # Without `paid` the guard fails only once the due date is 31 days past, because
    # CEL's && is false without error while its other side is false.
    broken = new_supply(supply_lv, paid=None)
    healthy = new_supply(supply_lv)

    first = tick(db, OPENS)
    second = tick(db, shifted(OPENS, hours=1))

    assert [p["contract"] for p in plans(supply_lv)] == [healthy]
    assert first[-1].errors == []
    assert first[-1].messages == [
        (f"{broken}: guard when of contingency plan late_payment failed: guard '!data.paid && "
        "days_between(data.due_on, today) > 30' failed: field data.paid is missing. Set it "
        "with --set paid=VALUE."),
        f"{healthy}: contingency plan late_payment opened",
        f"{healthy}: report_breach execution -> breach (by system)",
    ]
    assert second[-1].messages == []
    assert kinds(supply_lv, broken).count("plan_guard_failed") == 1


def test_done_measure_closes_plan(supply_lv: Lv, db: str) -> None:
    number = new_supply(supply_lv, due_on="2026-03-01")
    flagged = supply_lv("--now", OPENS, "--as", "wang_li", "contract", "fire", number, "update",
                        "--set", "quality_flag=true")
    task = open_tasks(supply_lv)[0]

    done = supply_lv("--now", shifted(OPENS, days=1), "--as", "wang_li", "tasks", "done",
                     str(task["id"]), "--comment", "Goods re-inspected")

    assert flagged.exit_code == 0, flagged.output
    assert (task["title"], task["role"]) == ("Inspect the goods", "sales")
    assert done.exit_code == 0, done.output
    assert done.stdout.splitlines() == [f"Task {task['id']} on {number} done.",
                                        f"{number}: contingency plan quality_issue closed"]
    assert [(p["status"], p["close_reason"], p["measures"]) for p in plans(supply_lv)] == [
        ("closed", "measures_done", "1/1")]
    done_row = history(supply_lv, number)[-2]
    assert (done_row["kind"], done_row["actor"], done_row["role"], done_row["reason"]) == (
        "task_done", "wang_li", "sales", "Goods re-inspected")


def test_closed_plan_waits_for_trigger_reset(supply_lv: Lv, db: str) -> None:
    number = new_supply(supply_lv, due_on="2026-03-01")
    supply_lv("--now", OPENS, "--as", "wang_li", "contract", "fire", number, "update",
              "--set", "quality_flag=true")
    task_id = str(open_tasks(supply_lv)[0]["id"])
    supply_lv("--now", OPENS, "--as", "wang_li", "tasks", "done", task_id)

    tick(db, shifted(OPENS, days=1))
    still_flagged = len(plans(supply_lv))
    for day, flag in ((2, "false"), (3, "true")):
        supply_lv("--now", shifted(OPENS, days=day), "--as", "wang_li", "contract", "fire",
                  number, "update", "--set", f"quality_flag={flag}")

    assert still_flagged == 1
    assert [p["status"] for p in plans(supply_lv)] == ["closed", "open"]


def test_tasks_done_refusals(supply_lv: Lv) -> None:
    number = new_supply(supply_lv, due_on="2026-03-01")
    supply_lv("--now", OPENS, "--as", "wang_li", "contract", "fire", number, "update",
              "--set", "quality_flag=true")
    task_id = str(open_tasks(supply_lv)[0]["id"])

    wrong_role = supply_lv("--as", "liu_yang", "tasks", "done", task_id)
    missing = supply_lv("--as", "wang_li", "tasks", "done", "999")
    first = supply_lv("--as", "wang_li", "tasks", "done", task_id)
    twice = supply_lv("--as", "wang_li", "tasks", "done", task_id)

    assert wrong_role.exit_code == 1
    assert wrong_role.stderr == (f"Task {task_id} (Inspect the goods) is for role sales, and "
                                 "liu_yang holds finance. Ask someone with role sales to "
                                 "complete it.\n")
    assert missing.exit_code == 4
    assert missing.stderr == ("Task 999 not found. 'lvyue tasks' lists the open tasks with "
                              "their ids.\n")
    assert first.exit_code == 0, first.output
    assert twice.exit_code == 1
    assert twice.stderr == (f"Task {task_id} is already done; only open tasks can be "
                            "completed.\n")


def test_plans_filters_and_csv(supply_lv: Lv, db: str) -> None:
    late = new_supply(supply_lv)
    flagged = new_supply(supply_lv, due_on="2026-03-01")
    tick(db, OPENS)
    supply_lv("--now", OPENS, "--as", "wang_li", "contract", "fire", flagged, "update",
              "--set", "quality_flag=true")

    medium = plans(supply_lv, "--severity", "medium")
    by_contract = plans(supply_lv, "--contract", late)
    csv = supply_lv("--now", shifted(OPENS, days=5), "plans", "--format", "csv").stdout
    bad = supply_lv("plans", "--severity", "urgent")

    assert [(p["contract"], p["plan"]) for p in medium] == [(flagged, "quality_issue")]
    assert [p["plan"] for p in by_contract] == ["late_payment"]
    assert csv.splitlines()[0] == ("id,contract,plan,risk,severity,owner,status,opened_at,"
                                   "age_days,measures,overdue_measures,escalations")
    assert csv.splitlines()[1].startswith(f"1,{late},late_payment,Customer pays late,high,"
                                          "finance,open,2026-02-20 00:00:00+0800,5,0/2,")
    assert bad.exit_code == 2


def occurrence(contract_id: int, status: str) -> PlanOccurrence:
    return PlanOccurrence(contract_id=contract_id, plan_id="late_payment", process_version=1,
                          status=status, severity="high", owner_role="finance",
                          opened_at=parse_time(OPENS), opened_by="when", fire_outcome="none",
                          rearm_required=False)


def test_store_allows_one_open_occurrence(supply_lv: Lv, db: str) -> None:
    new_supply(supply_lv)
    store = open_store(db, create=False)
    try:
        with store.write() as session:
            session.add_all([occurrence(1, "closed"), occurrence(1, "closed"),
                             occurrence(1, "open")])
        with pytest.raises(IntegrityError) as caught, store.write() as session:
            session.add(occurrence(1, "open"))
    finally:
        store.dispose()

    assert "uq_plan_occurrences_open" in str(caught.value) or "UNIQUE" in str(caught.value)


def test_tick_visits_only_open_plans_without_clock(tmp_path: Path) -> None:
    db = str(tmp_path / "lvyue.db")
    lv = make_lv(db)
    text = variant("    when: '!data.paid && days_between(data.due_on, today) > 30'\n",
                   "    when: '!data.paid && money_gt(data.amount, \"500\")'\n", SUPPLY_PROCESS)
    assert lv("org", "apply", str(ORG_FILE)).exit_code == 0
    assert lv("process", "deploy", str(write_supply(tmp_path, text))).exit_code == 0
    quiet = [new_supply(lv), new_supply(lv)]
    flagged = new_supply(lv, "quality_flag=true")

    store = open_store(db, create=False)
    try:
        with store.read() as session:
            scope, _definitions = plan_tick._scope(session)
            visited = [c.number for c in plan_repo.tick_candidates(session, scope,
                                                                   parse_time(OPENS), 0, 100)]
    finally:
        store.dispose()

    assert [p["contract"] for p in plans(lv)] == [flagged]
    assert visited == [flagged]
    assert all(number not in visited for number in quiet)


DISPUTE = """\
  dispute:
    risk: {en: Customer disputes the invoice, zh-CN: 客户对发票有异议}
    severity: low
    owner: sales
    on: dispute_raised
    measures:
      - {title: {en: Review the dispute, zh-CN: 核查异议}, role: sales, due: P2D}
"""
DISPUTE_EVENT = """\
  dispute_raised:
    label: {en: Dispute raised, zh-CN: 提出异议}
    fields:
      note: {type: string}
"""


def test_event_opens_plan_once_while_open(tmp_path: Path) -> None:
    from tests.plan_helpers import RECEIVABLE_PROCESS

    db = str(tmp_path / "lvyue.db")
    lv = make_lv(db)
    text = variant("events:\n", "events:\n" + DISPUTE_EVENT, RECEIVABLE_PROCESS) + DISPUTE
    (tmp_path / "receivable.yaml").write_text(text, encoding="utf-8")
    assert lv("org", "apply", str(ORG_FILE)).exit_code == 0
    assert lv("process", "deploy", str(tmp_path / "receivable.yaml")).exit_code == 0
    created = lv("--now", CREATED, "--as", "wang_li", "contract", "new", "--process",
                 "receivable", "--customer", "Hengtong", "--set", "amount=100.00",
                 "--set", "due_on=2026-01-20")
    number = created.stdout.strip()

    def record(when: str) -> None:
        result = lv("--now", when, "--as", "wang_li", "contract", "record", number,
                    "dispute_raised", "--set", "note=Wrong quantity")
        assert result.exit_code == 0, result.output

    record("2026-01-12T10:00:00+08:00")
    record("2026-01-13T10:00:00+08:00")
    while_open = [p["status"] for p in plans(lv)]
    task_id = str(open_tasks(lv)[0]["id"])
    done = lv("--now", "2026-01-14T10:00:00+08:00", "--as", "wang_li", "tasks", "done", task_id)
    record("2026-01-15T10:00:00+08:00")

    assert created.exit_code == 0, created.output
    assert while_open == ["open"]
    assert done.exit_code == 0, done.output
    assert [(p["plan"], p["status"]) for p in plans(lv)] == [("dispute", "closed"),
                                                           ("dispute", "open")]
    opened = [row for row in history(lv, number) if row["kind"] == "plan_opened"]
    assert [row["details"]["opened_by"] for row in opened] == [  # type: ignore[index]
        "on:dispute_raised", "on:dispute_raised"]
