"""The pure plan logic: event triggers, escalation order, refused transitions."""

from __future__ import annotations

from datetime import datetime

from engine.clock import parse_time
from engine.definition import load_definition_text
from engine.runtime.moves import ContractSnapshot
from engine.runtime.plans import OpenPlan, PlanState, evaluate_plans, try_fire
from tests.definition_helpers import variant
from tests.plan_helpers import SUPPLY_PROCESS

COMPLAINT_PLAN = """\
  complaint:
    risk: {en: Customer complaint, zh-CN: 客户投诉}
    severity: low
    owner: sales
    on: complaint_received
    measures:
      - {title: {en: Call the customer, zh-CN: 回访客户}, role: sales, due: P1D}
events:
  complaint_received: {label: {en: Complaint received, zh-CN: 收到投诉}}
  payment_received: {label: {en: Payment received, zh-CN: 收到回款}}
"""
NOW = parse_time("2026-02-20T00:00:00+08:00")


def definition(text: str = SUPPLY_PROCESS):  # type: ignore[no-untyped-def]
    return load_definition_text(text, "supply.yaml")


def snapshot(state: str = "execution", **data: object) -> ContractSnapshot:
    values = {"amount": "100.00", "due_on": "2026-02-01", "paid": False, **data}
    return ContractSnapshot("HT-2026-000001", "Hengtong", state, values, "supply", 1)


def test_event_plan_opens_only_on_its_event() -> None:
    process = definition(SUPPLY_PROCESS + COMPLAINT_PLAN)

    quiet = evaluate_plans(process, snapshot(), NOW, PlanState())
    other = evaluate_plans(process, snapshot(), NOW, PlanState(), event="payment_received")
    matching = evaluate_plans(process, snapshot(), NOW, PlanState(), event="complaint_received")

    assert quiet.openings == []
    assert other.openings == []
    assert [(o.plan.plan_id, o.opened_by) for o in matching.openings] == [
        ("complaint", "on:complaint_received")]
    assert [(m.role, m.due_at) for m in matching.openings[0].measures] == [
        ("sales", datetime(2026, 2, 20, 16, 0))]


def test_due_steps_run_in_offset_order() -> None:
    text = variant("      - {after: P15D, notify: cfo}\n", "", SUPPLY_PROCESS)
    text = variant("      - {after: P90D, fire: terminate}\n",
                   "      - {after: P90D, fire: terminate}\n      - {after: P15D, notify: cfo}\n",
                   text)
    process = definition(text)
    opened = OpenPlan(1, "late_payment", parse_time("2025-01-01"), frozenset(), 2, 2)
    contract = snapshot("breach")

    outcome = evaluate_plans(process, contract, NOW, PlanState({"late_payment": opened}))

    assert [e.step.index for e in outcome.escalations] == [2, 0, 1]
    assert [e.step.after for e in outcome.escalations] == ["P15D", "P60D", "P90D"]
    assert contract.state == "terminated"


def test_done_steps_are_not_repeated() -> None:
    opened = OpenPlan(1, "late_payment", parse_time("2025-01-01"), frozenset({0, 1, 2}), 2, 2)

    outcome = evaluate_plans(definition(), snapshot("breach"), NOW,
                             PlanState({"late_payment": opened}))

    assert outcome.escalations == []
    assert not outcome.changed


def test_refused_fire_leaves_snapshot_alone() -> None:
    contract = snapshot("draft", quality_flag=True)

    moves, reason = try_fire(definition(), contract, "terminate", "plan:test", NOW)

    assert moves == []
    assert reason == "'terminate' is not allowed in state draft. Triggers allowed now: start."
    assert contract.state == "draft"


def test_final_state_closes_open_plans() -> None:
    opened = OpenPlan(7, "late_payment", NOW, frozenset(), 2, 2)

    outcome = evaluate_plans(definition(), snapshot("archived"), NOW,
                             PlanState({"late_payment": opened}))

    assert [(c.occurrence_id, c.reason) for c in outcome.closures] == [(7, "contract_ended")]


def test_waiting_plan_rearms_when_trigger_is_false() -> None:
    waiting = PlanState(rearm_required=frozenset({"quality_issue"}))

    still = evaluate_plans(definition(), snapshot(quality_flag=True), NOW, waiting)
    reset = evaluate_plans(definition(), snapshot(quality_flag=False), NOW, waiting)

    assert [o.plan.plan_id for o in still.openings] == []
    assert still.rearmed == []
    assert reset.rearmed == ["quality_issue"]
